import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryModel
@testable import CanaryReport

/// `analyze` with several saved consoles reaches the live run's verdict.
@Suite struct LogDiagnosisTests {
    @Test(arguments: ["lab-sick-host", "lab-corrupt-image"])
    func savedTranscriptsGiveTheLiveVerdict(_ run: String) throws {
        let folder = Fixtures.root.appendingPathComponent("fixtures/runs/\(run)")
        let record = try RunRecord.read(folder.appendingPathComponent("run.json"))
        let analyses = try record.boots.map { boot in
            try ConsoleLogAnalysis.analyze(path: try #require(RunFolder.transcriptURL(boot, recordFolder: folder)).path)
        }
        let result = LogDiagnosis.diagnose(analyses, kinds: [:])
        #expect(result.skipped.isEmpty)
        #expect(result.diagnosis.verdict == record.diagnosis.verdict)
        #expect(result.diagnosis.action == record.diagnosis.action)
        #expect(result.diagnosis.rule == record.diagnosis.rule)
    }

    /// Plain captures carry no kind: `--kind` supplies it; without it they stay out.
    @Test func plainLogsNeedTheirKind() throws {
        let a = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-decompressor-corrupt"))
        let b = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-healthy-initramfs"))
        let c = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-healthy-rootdisk"))
        let without = LogDiagnosis.diagnose([a, c], kinds: [:])
        #expect(without.skipped.count == 2)
        #expect(without.diagnosis.verdict == .inconclusive)
        let with = LogDiagnosis.diagnose([a, b, c], kinds: [a.path: .pygrub, c.path: .kernel])
        #expect(with.diagnosis.verdict == .guestKernelFault, "\(with.diagnosis.verdict) \(with.diagnosis.rule): \(with.diagnosis.summary)")
        #expect(!with.diagnosis.summary.contains("rebooting"))
    }
}
