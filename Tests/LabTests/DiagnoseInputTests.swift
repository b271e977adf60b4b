import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryReport

/// `bootcanary diagnose` given too little or wrong input: a usage error naming what to give,
/// before anything is created; and a run where one kind cannot be judged says so instead of
/// guessing.
@Suite(.serialized) struct DiagnoseInputTests {
    @Test func noInputsIsAUsageError() throws {
        let out = try Lab.tempFolder("diag-none")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", Lab.shared.uri, "--out", out.path])
        #expect(cli.status == 64)
        #expect(cli.err.contains("nothing to diagnose: give --image DISK"), "\(cli.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path))
    }

    @Test func missingImageIsAUsageError() throws {
        let out = try Lab.tempFolder("diag-missing")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", Lab.shared.uri, "--image", "/nonexistent/guest.img", "--out", out.path])
        #expect(cli.status == 64)
        #expect(cli.err.contains("/nonexistent/guest.img"), "\(cli.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path))
    }

    /// The image and the host kernel boot, the install tree is no tree: the installer kind
    /// has nothing to say, so the verdict cannot lean on it.
    @Test func aKindThatCannotBeJudgedIsReported() throws {
        let lab = Lab.shared
        let out = try Lab.tempFolder("diag-oneinfra")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--image", try lab.image, "--runs", "1",
                               "--kernel", try lab.kernel, "--initrd", try lab.initrd, "--cmdline", "root=LABEL=canaryroot ro",
                               "--installer", "http://127.0.0.1:8765/", "--out", out.path])
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(cli.status == record.diagnosis.exitStatus.rawValue)
        let installer = record.boots.filter { $0.kind == .installer }
        #expect(!installer.isEmpty && installer.allSatisfy { $0.outcome == .infraError })
        #expect(record.boots.filter { $0.kind != .installer }.allSatisfy { $0.outcome == .booted })
        #expect(record.diagnosis.summary.contains("installer"), "\(record.diagnosis.summary)")
        #expect(try lab.domains(prefixed: ProbeName.prefix + record.runID).isEmpty)
    }

    /// Only the image's own kernel to go on, and it fails: one kind cannot tell a host from an
    /// image, so the verdict is inconclusive and `next` names the independent kinds to add.
    @Test func onlyOneFailingKindIsInconclusive() throws {
        let lab = Lab.shared
        let folder = try Lab.tempFolder("diag-onekind")
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appendingPathComponent("nogrub.img").path
        let made = try ExternalTool.run("/bin/sh", ["-c", "PATH=/usr/sbin:/sbin:$PATH; truncate -s 64M '\(disk)' && mkfs.ext4 -q -F '\(disk)'"], timeout: 60)
        try #require(made.status == 0, "\(made.stderr)")
        let out = folder.appendingPathComponent("out")
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--image", disk, "--out", out.path])
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(record.diagnosis.verdict == .inconclusive, "\(record.diagnosis.summary)")
        #expect(cli.status == 1)
        #expect(record.diagnosis.next.contains { $0.contains("--installer") })
        #expect(record.diagnosis.next.contains { $0.contains("--kernel") })
        #expect(cli.out.contains("inconclusive"))
    }
}
