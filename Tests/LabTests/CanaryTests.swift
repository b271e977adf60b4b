import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryProbe
@testable import CanaryReport
@testable import CanarySession

/// `bootcanary canary` as cron or a systemd timer runs it.
@Suite(.serialized) struct CanaryTests {
    func profile(_ folder: URL) throws -> String {
        let lab = Lab.shared
        let text = """
        [limits]
        timeout = 300

        [kernel]
        kernel = "\(try lab.kernel)"
        initrd = "\(try lab.initrd)"

        [installer]
        url = "\(try lab.treeURL)"
        """
        let path = folder.appendingPathComponent("canary.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func healthyLabCanaryIsOKWithJUnitAndMetrics() throws {
        let folder = try Lab.tempFolder("canary")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CLI.run(["canary", "-c", Lab.shared.uri, "--profile", try profile(folder),
                             "--junit", folder.appendingPathComponent("junit.xml").path,
                             "--metrics", folder.appendingPathComponent("canary.prom").path,
                             "--out", folder.appendingPathComponent("run").path])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let line = r.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("BOOTCANARY OK - "))
        #expect(line.contains(" | 'kernel_login_seconds'="))
        #expect(!line.contains("\n"))
        let junit = try XMLDocument(contentsOf: folder.appendingPathComponent("junit.xml"))
        #expect(try junit.nodes(forXPath: "//testcase").count == 2)
        #expect(try junit.nodes(forXPath: "//failure").isEmpty)
        let prom = try String(contentsOf: folder.appendingPathComponent("canary.prom"), encoding: .utf8)
        #expect(prom.contains("bootcanary_verdict{host=\"\(try HostFacts.gather(from: Lab.shared.connect()).hostname)\",verdict=\"healthy\"} 1"))
        let record = try RunRecord.read(folder.appendingPathComponent("run/run.json"))
        #expect(record.mode == "canary")
    }

    @Test func badProfileIsAUsageErrorNamingTheLine() throws {
        let folder = try Lab.tempFolder("badprofile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.toml").path
        try "[limits]\ntimeout = \"soon\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["canary", "--profile", path, "--out", folder.appendingPathComponent("run").path])
        #expect(r.status == 64)
        #expect(r.err.contains("\(path):2: timeout must be a number, not a string"))
    }

    /// Three hosts: two URIs of the lab daemon (one host UUID: flagged) and one that does not
    /// answer (unknown for it, while the others complete).
    @Test func fleetWithAnUnreachableHost() throws {
        let folder = try Lab.tempFolder("fleet")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hosts = folder.appendingPathComponent("hosts").path
        try """
        # lab fleet
        qemu:///system
        qemu+unix:///system?socket=/run/libvirt/libvirt-sock
        qemu+tcp://127.0.0.1:1/system
        """.write(toFile: hosts, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("fleet")
        let r = try CLI.run(["canary", "--profile", try profile(folder), "--hosts", hosts, "--out", out.path,
                             "--metrics", folder.appendingPathComponent("fleet.prom").path])
        let data = try Data(contentsOf: out.appendingPathComponent("fleet.json"))
        let report = try JSONFormat.decoder().decode(Fleet.Report.self, from: data)
        #expect(report.hosts.count == 3)
        #expect(report.hosts[0].status == 0 && report.hosts[1].status == 0, "\(report.hosts)")
        #expect(report.hosts[2].status == ExitStatus.unknown.rawValue)
        #expect(report.hosts[2].summary.contains("Connection refused"))
        #expect(report.duplicateHostUUIDs.values.contains { $0.count == 2 })
        #expect(r.status == ExitStatus.unknown.rawValue)
        #expect(r.out.hasPrefix("BOOTCANARY UNKNOWN - 3 hosts: 2 OK, 1 UNKNOWN"))
        let markdown = try String(contentsOf: out.appendingPathComponent("fleet.md"), encoding: .utf8)
        #expect(markdown.contains("Hosts sharing a host UUID"))
        // One metrics file for the fleet: every family once, a series per host URI.
        let prom = try String(contentsOf: folder.appendingPathComponent("fleet.prom"), encoding: .utf8)
        #expect(prom.components(separatedBy: "# TYPE bootcanary_verdict gauge").count == 2)
        #expect(prom.contains("host_uri=\"qemu:///system\""))
    }
}
