import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryReport

/// A healthy image reads healthy in every shape real QEMU/KVM hosts use — raw (readable by
/// QEMU's user or only by root), qcow2 with and without a backing file, a block device — and a
/// corrupt one reads as the image's fault. The disk keeps its bytes, owner and mode however it
/// was attached (lab/disk-shapes builds the shapes from the lab image).
@Suite(.serialized) struct DiskShapeTests {
    struct FileState: Equatable, CustomStringConvertible {
        var sha256: String
        var uid: uid_t
        var gid: gid_t
        var mode: mode_t
        init(_ path: String) throws {
            var st = stat()
            guard stat(path, &st) == 0 else { throw LabMissing(key: path) }
            uid = st.st_uid
            gid = st.st_gid
            mode = st.st_mode & 0o7777
            sha256 = try SHA256.hex(ofFile: path)
        }
        var description: String { "\(uid):\(gid) \(String(mode, radix: 8)) \(sha256.prefix(12))" }
    }

    static func shapes() throws -> [String: String] {
        let result = try ExternalTool.run(CLI.repository.appendingPathComponent("lab/disk-shapes").path, [], timeout: 300)
        guard result.status == 0 else { throw LabMissing(key: "lab/disk-shapes: \(result.stderr)") }
        let folder = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var env: [String: String] = [:]
        for line in try String(contentsOfFile: folder + "/shapes.env", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { env[parts[0]] = parts[1] }
        }
        return env
    }

    /// A read-only loop device over `file`, detached by the caller.
    static func blockDevice(over file: String) throws -> String {
        let r = try ExternalTool.run("/usr/sbin/losetup", ["--find", "--show", "--read-only", file], timeout: 30)
        guard r.status == 0 else { throw LabMissing(key: "a loop device (losetup: \(r.stderr))") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `diagnose` with the image's own kernel, the lab kernel with the image's disk, and the
    /// installer; the inputs' state before and after every run must be equal.
    func diagnose(_ image: String, format: String?, label: String, also: [String] = []) throws -> RunRecord {
        let lab = Lab.shared
        let out = try Lab.tempFolder("shape-\(label)")
        defer { try? FileManager.default.removeItem(at: out) }
        let watched = [image] + also
        let before = try watched.map(FileState.init)
        var args = ["diagnose", "-c", lab.uri, "--image", image, "--kernel", try lab.kernel, "--initrd", try lab.initrd,
                    "--cmdline", "root=LABEL=canaryroot ro", "--installer", try lab.treeURL, "--runs", "1", "--out", out.path]
        if let format { args += ["--image-format", format] }
        let cli = try CLI.run(args)
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(try watched.map(FileState.init) == before, "an input changed: \(label)")
        #expect(cli.status == record.diagnosis.exitStatus.rawValue)
        #expect(try lab.domains(prefixed: ProbeName.prefix + record.runID).isEmpty)
        return record
    }

    static func describe(_ r: RunRecord) -> String {
        r.boots.map { "\($0.kind?.rawValue ?? "?"): \($0.outcome.rawValue) \($0.ending)" }.joined(separator: "\n")
    }

    @Test(arguments: ["qcow2", "qcow2-backed", "raw-0600"])
    func healthyImageInEachShapeIsHealthy(_ shape: String) throws {
        let s = try Self.shapes()
        let (path, format, also): (String, String?, [String]) = switch shape {
        case "qcow2": (s["SHAPE_QCOW2"]!, "qcow2", [])
        case "qcow2-backed": (s["SHAPE_QCOW2_BACKED"]!, "qcow2", [try Lab.shared.image])
        default: (s["SHAPE_RAW_0600"]!, nil, [])
        }
        let record = try diagnose(path, format: format, label: shape, also: also)
        #expect(record.diagnosis.verdict == .healthy, "\(record.diagnosis.summary)\n\(Self.describe(record))")
        #expect(record.boots.allSatisfy { $0.outcome == .booted })
    }

    @Test func healthyImageOnABlockDeviceIsHealthy() throws {
        let device = try Self.blockDevice(over: try Lab.shared.image)
        defer { _ = try? ExternalTool.run("/usr/sbin/losetup", ["--detach", device], timeout: 30) }
        let record = try diagnose(device, format: "raw", label: "block")
        #expect(record.diagnosis.verdict == .healthy, "\(record.diagnosis.summary)\n\(Self.describe(record))")
    }

    /// The damaged-superblock image as qcow2: the image's fault, as it is raw.
    @Test func corruptQcow2IsTheImagesFault() throws {
        let record = try diagnose(try Self.shapes()["SHAPE_QCOW2_CORRUPT"]!, format: "qcow2", label: "qcow2-corrupt")
        #expect(record.diagnosis.verdict == .imageFault, "\(record.diagnosis.summary)\n\(Self.describe(record))")
        #expect(record.diagnosis.action == .restoreImage)
    }

    /// A qcow2 given without a format is refused before anything boots (exit 64), naming the flag.
    @Test func undeclaredQcow2IsRefusedBeforeBooting() throws {
        let out = try Lab.tempFolder("shape-undeclared")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", Lab.shared.uri, "--image", try Self.shapes()["SHAPE_QCOW2"]!,
                               "--installer", try Lab.shared.treeURL, "--out", out.path])
        #expect(cli.status == 64)
        #expect(cli.err.contains("--image-format qcow2"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path))
    }

    /// The attack: a guest wrote a qcow2 header naming /etc/shadow onto its raw disk. Without a
    /// declaration the disk is refused; declared raw it boots as the raw disk it is, and only
    /// it is attached (the domain XML names no /etc/shadow).
    @Test func guestWrittenHeaderIsNeverFollowed() throws {
        let hostile = try Self.shapes()["SHAPE_HOSTILE_HEADER"]!
        let refused = try CLI.run(["boot", "-c", Lab.shared.uri, "--json", "--quiet", "--pygrub", hostile])
        #expect(refused.status == 3)
        #expect(refused.err.contains("starts with a qcow2 header, but no format was declared"))
        let shadow = try FileState("/etc/shadow")
        let record = try diagnose(hostile, format: "raw", label: "hostile", also: ["/etc/shadow"])
        #expect(record.diagnosis.verdict == .healthy, "\(record.diagnosis.summary)\n\(Self.describe(record))")
        #expect(try FileState("/etc/shadow") == shadow)
        #expect(record.boots.contains { $0.notes.contains { $0.contains("claim a qcow2 header") } })
    }

    /// `--domain NAME`: a shut-off guest defined with a qcow2 disk is booted from its own
    /// definition (format included) and left exactly as it was: still defined, still shut off,
    /// the same XML.
    @Test func diagnoseByDomainName() throws {
        let lab = Lab.shared
        let image = try Self.shapes()["SHAPE_QCOW2"]!
        let name = "bctest-suspect-\(UUID().uuidString.prefix(6).lowercased())"
        let xml = """
            <domain type='qemu'><name>\(name)</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
            <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
            <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='\(image)'/><target dev='vda' bus='virtio'/></disk></devices>
            </domain>
            """
        let xmlFile = try Lab.tempFolder("shape-domain-xml").appendingPathComponent("guest.xml")
        try Data(xml.utf8).write(to: xmlFile)
        let defined = try ExternalTool.run("/usr/bin/virsh", ["-c", lab.uri, "define", xmlFile.path], timeout: 60)
        #expect(defined.status == 0, "\(defined.stderr)")
        let domain = try lab.connect().domain(named: name)
        defer { try? domain.undefine() }
        let before = try domain.xmlDescription()
        let out = try Lab.tempFolder("shape-domain")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--domain", name, "--installer", try lab.treeURL, "--runs", "1", "--out", out.path])
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(record.diagnosis.verdict == .healthy, "\(record.diagnosis.summary)\n\(Self.describe(record))\n\(cli.err)")
        #expect(record.boots.contains { $0.kind == .pygrub && $0.outcome == .booted })
        #expect(try domain.info().state == .shutoff)
        #expect(try domain.xmlDescription() == before)
        #expect(try String(contentsOf: out.appendingPathComponent("guest-domain.xml"), encoding: .utf8) == before)
    }
}
