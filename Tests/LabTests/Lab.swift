import Foundation
import Libvirt
@testable import CanaryModel
@testable import CanaryProbe

/// The local lab that lab/setup builds: a real libvirtd (qemu:///system), Debian's cloud
/// kernel, a busybox initramfs, an ext4 disk pygrub reads, an install tree on 127.0.0.1.
/// Prerequisite: `sudo lab/setup` (the README's test command and .ci/run do it first).
struct Lab {
    let env: [String: String]

    static let shared: Lab = {
        let cache = ProcessInfo.processInfo.environment["BOOTCANARY_LAB_CACHE"] ?? "/var/cache/bootcanary-lab"
        var env: [String: String] = [:]
        if let text = try? String(contentsOfFile: cache + "/lab.env", encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { env[parts[0]] = parts[1] }
            }
        }
        return Lab(env: env)
    }()

    func path(_ key: String) throws -> String {
        guard let value = env[key] else { throw LabMissing(key: key) }
        return value
    }

    var uri: String { env["LAB_URI"] ?? "qemu:///system" }
    var kernel: String { get throws { try path("LAB_KERNEL") } }
    var initrd: String { get throws { try path("LAB_INITRD") } }
    var image: String { get throws { try path("LAB_IMAGE") } }
    var treeURL: String { get throws { try path("LAB_TREE_URL") } }
    var debianTreeURL: String { get throws { try path("LAB_DEBIAN_TREE_URL") } }

    func connect() throws -> Connection {
        do { return try Connection(uri: uri) } catch { throw LabMissing(key: "a libvirtd answering on \(uri) (\(error.message))") }
    }

    /// A fresh scratch folder under the system temp folder.
    static func tempFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-labtest-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        chmod(url.path, 0o755)
        return url
    }

    /// Domains on the lab whose names start with `prefix`.
    func domains(prefixed prefix: String) throws -> [String] {
        try connect().listDomains().map(\.name).filter { $0.hasPrefix(prefix) }
    }
}

struct LabMissing: Error, CustomStringConvertible {
    var key: String
    var description: String { "the lab is not set up (missing \(key)); run `sudo lab/setup` first" }
}

extension DomainSpec {
    /// A lab guest booting the lab kernel directly.
    static func labKernel(name: String, cmdline: String, disk: String? = nil, serialLog: String? = nil) throws -> DomainSpec {
        let lab = Lab.shared
        var spec = DomainSpec(name: name, domainType: "qemu", guestType: .hvm, memoryMiB: 256, vcpus: 1,
                              boot: .direct(kernel: try lab.kernel, initrd: try lab.initrd, cmdline: cmdline),
                              disks: disk.map { [DomainSpec.Disk(path: $0, format: "raw", readOnly: true)] } ?? [])
        spec.serialLog = serialLog
        return spec
    }
}

/// Test names carry a recognisable prefix too, so a failed test's leftovers are findable.
func labDomainName(_ what: String) -> String {
    ProbeName.prefix + "t\(String(UInt32.random(in: 0..<0xFFFFFF), radix: 16))-\(what)"
}
