import Foundation
import Testing
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryProbe
@testable import CanaryReport

/// A real `bootcanary diagnose` on the QEMU lab, then its reproduce.sh booting kernel#1 again
/// by hand with virsh: the overlay made again over the lab image, the console captured by
/// `virsh console` under `script` reaching the login prompt, nothing left on the host.
@Suite(.serialized) struct ReproduceTests {
    @Test func reproduceShBootsKernel1ToLoginAndLeavesNothing() throws {
        let lab = Lab.shared
        let out = try Lab.tempFolder("reproduce")
        defer { try? FileManager.default.removeItem(at: out) }
        let image = try lab.image
        let before = try SHA256.hex(ofFile: image)
        // One boot at a time: pygrub#1 and kernel#1 share the image below their overlays, and
        // libvirt refused kernel#1 while another domain held it ("Requested operation is not
        // valid: Setting different DAC user or group on ..."; a second run on the lab did the same).
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--image", image, "--runs", "1", "--parallel", "1",
                               "--kernel", try lab.kernel, "--initrd", try lab.initrd, "--cmdline", "root=LABEL=canaryroot ro",
                               "--out", out.path])
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(record.boots.contains { $0.kind == .kernel && $0.result.outcome == .booted }, "\(cli.err)")
        let xml = out.appendingPathComponent("domains/kernel-1.xml")
        #expect(FileManager.default.fileExists(atPath: xml.path))

        let started = Date()
        let result = try ExternalTool.run("/usr/bin/timeout", ["300", out.appendingPathComponent("reproduce.sh").path, "--timeout", "240", "kernel#1"],
                                          timeout: 320)
        let seconds = Date().timeIntervalSince(started)
        let console = (try? String(contentsOf: out.appendingPathComponent("reproduced/kernel-1.console"), encoding: .utf8)) ?? ""
        let left = try ExternalTool.run("/usr/bin/virsh", ["-c", lab.uri, "list", "--all", "--name"], timeout: 30).stdout
            .split(separator: "\n").map(String.init).filter { $0.hasPrefix(ProbeName.prefix + record.runID) }
        print("reproduce.sh kernel#1: \(String(format: "%.1f", seconds)) s, status \(result.status), login reached \(console.contains("login:")), domains left \(left.count)")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(console.contains("login:"), "\(console.suffix(400))")
        #expect(left.isEmpty, "left on the host: \(left)")
        #expect(try SHA256.hex(ofFile: image) == before, "the suspect image changed")
        // The overlay it made again is gone with the domain.
        #expect(!FileManager.default.fileExists(atPath: ScratchFolder.defaultRoot().appendingPathComponent(ProbeName.make(runID: record.runID, kind: .kernel, repetition: 1)).path))
    }
}
