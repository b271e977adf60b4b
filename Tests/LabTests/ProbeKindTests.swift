import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryProbe

/// Every probe kind, booted by `bootcanary boot` as a user runs it, reaches the lab guest's
/// login prompt; the disk it was given is exactly as it was (content, owner, mode) and the
/// scratch space (overlays, copied kernels) is empty afterwards.
@Suite(.serialized) struct ProbeKindTests {
    struct FileState: Equatable {
        var sha256: String
        var owner: Int
        var mode: Int
        init(_ path: String) throws {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            sha256 = try SHA256.hex(ofFile: path)
            owner = (attributes[.ownerAccountID] as? NSNumber)?.intValue ?? -1
            mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
    }

    static func arguments(for kind: ProbeKind) throws -> [String] {
        let lab = Lab.shared
        switch kind {
        case .pygrub: return ["--pygrub", try lab.image]
        case .kernel: return ["--kernel", try lab.kernel, "--initrd", try lab.initrd, "--cmdline", "console=ttyS0"]
        case .installer: return ["--installer", try lab.treeURL]
        case .image: return ["--master", try lab.image]
        }
    }

    @Test(arguments: ProbeKind.allCases)
    func bootsToLoginAndLeavesNothing(_ kind: ProbeKind) throws {
        let lab = Lab.shared
        let image = try lab.image
        let before = try FileState(image)
        let scratch = try Lab.tempFolder("scratch-\(kind.rawValue)")
        let state = try Lab.tempFolder("state-\(kind.rawValue)")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: state)
        }
        let cli = try CLI.run(["boot", "-c", lab.uri, "--json", "--quiet", "--timeout", "180"] + Self.arguments(for: kind),
                              environment: ["BOOTCANARY_SCRATCH_DIR": scratch.path, "BOOTCANARY_STATE_DIR": state.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [String: Any], "\(cli.err)")
        #expect(cli.status == 0, "\(cli.err)")
        #expect(json["kind"] as? String == kind.rawValue)
        #expect(json["outcome"] as? String == "booted", "\(json["lastLines"] ?? "")")
        #expect(json["lastMilestone"] as? String == "login")
        // Nothing the tool touched is lost or left behind.
        #expect(try FileState(image) == before, "the image changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "scratch left behind")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
        if let domain = json["domain"] as? String { #expect(try lab.domains(prefixed: domain).isEmpty) }
    }
}
