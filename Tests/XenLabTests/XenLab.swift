import Foundation
import Libvirt
@testable import CanaryEvidence

/// The Xen lab (lab/xen/start): Xen 4.17 under QEMU with a PV dom0 running libvirtd's libxl
/// driver, reached at `xen+tcp://127.0.0.1:16510/system`. Paths in it are dom0's.
struct XenLab {
    let env: [String: String]

    static let envFile = (ProcessInfo.processInfo.environment["BOOTCANARY_LAB_CACHE"] ?? "/var/cache/bootcanary-lab") + "/xen/xen-lab.env"
    static let labEnvFile = (ProcessInfo.processInfo.environment["BOOTCANARY_LAB_CACHE"] ?? "/var/cache/bootcanary-lab") + "/lab.env"

    static let shared = XenLab(env: read(envFile).merging(read(labEnvFile)) { a, _ in a })

    static func read(_ path: String) -> [String: String] {
        var env: [String: String] = [:]
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return env }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { env[parts[0]] = parts[1].split(separator: " ").first.map(String.init) ?? parts[1] }
        }
        return env
    }

    /// Up when its env file exists (lab/xen/start writes it once libvirtd answers).
    static var isUp: Bool { FileManager.default.fileExists(atPath: envFile) }

    func value(_ key: String) throws -> String {
        guard let v = env[key] else { throw XenLabMissing(what: key) }
        return v
    }

    var uri: String { get throws { try value("XEN_LAB_URI") } }
    var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// Runs a lab/xen script and returns its output.
    func script(_ name: String, _ args: [String] = []) throws -> String {
        let r = try ExternalTool.run(repository.appendingPathComponent("lab/xen/\(name)").path, args, timeout: 120)
        guard r.status == 0 else { throw XenLabMissing(what: "lab/xen/\(name) \(args.joined(separator: " ")) failed: \(r.stderr)") }
        return r.stdout
    }
}

struct XenLabMissing: Error, CustomStringConvertible {
    var what: String
    var description: String { "the Xen lab is not up (\(what)); run `sudo lab/xen/start` first (lab/test does)" }
}

/// The built `bootcanary` executable (next to the test bundle).
enum BootcanaryCLI {
    static var executable: URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("bootcanary")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        guard let exe = executable else { throw XenLabMissing(what: "the bootcanary executable") }
        // Without a history of healthy boots: the fixed stall thresholds, whatever earlier runs
        // on this machine taught (LabTests' CLI.run says why).
        var env = ProcessInfo.processInfo.environment
        env["BOOTCANARY_HISTORY_DIR"] = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
        let r = try ExternalTool.run(exe.path, arguments, timeout: 1800, environment: env)
        return (r.status, r.stdout, r.stderr)
    }
}
