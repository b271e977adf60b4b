import Foundation
import Testing
@testable import CanaryConsole
@testable import CanaryReport
#if canImport(Glibc)
import Glibc
@testable import CanaryClassify
@testable import CanaryModel
#endif

/// Reports of big runs: 20 boots of 2,000-line transcripts render quickly; a transcript far
/// beyond the page's limits is read in one pass with bounded memory.
@Suite(.serialized) struct ReportScaleTests {
    /// A run folder of `boots` copies of a lab boot, each transcript `lines` lines long.
    static func bigRun(boots: Int, lines: Int) throws -> (RunRecord, URL) {
        let base = try ReportFixtures.record("lab-sick-host")
        let folder = try Fixtures.scratch()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("transcripts"), withIntermediateDirectories: true)
        var record = base
        record.boots = []
        for i in 0..<boots {
            var text = "# bootcanary transcript v1\n@meta {\"kind\":\"kernel\",\"run\":\"\(i + 1)\"}\n"
            text.reserveCapacity(lines * 110)
            for n in 0..<lines {
                let t = 0.9 + Double(n) * 0.004
                text += "L \(BootcanaryTranscript.formatSeconds(t)) - crlf [ \(String(format: "%10.6f", t))] line \(n + 1) of boot \(i + 1): some driver said something <b>\n"
            }
            let name = "transcripts/kernel-\(i + 1).transcript"
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
            var b = base.boots[i % base.boots.count]
            b.kind = .kernel
            b.run = i + 1
            b.transcript = name
            b.lines = lines
            record.boots.append(b)
        }
        return (record, folder)
    }

    @Test func twentyBootsOfTwoThousandLinesRenderQuickly() throws {
        let (record, folder) = try Self.bigRun(boots: 20, lines: 2000)
        let out = try Fixtures.scratch()
        let clock = ContinuousClock()
        var written: [ReportWriter.Written] = []
        let took = try clock.measure {
            written = try ReportWriter.write(record, recordFolder: folder, formats: ReportFormat.allCases, to: out)
        }
        #expect(written.count == ReportFormat.allCases.count)
        // Debug build, 2 cores: seconds, not minutes (release is several times faster).
        #expect(took < .seconds(30), "rendering took \(took)")
        let html = try Data(contentsOf: out.appendingPathComponent("report.html"))
        #expect(html.count < 12 << 20, "page is \(html.count >> 20) MiB")
        print("20 boots x 2000 lines: every format in \(took); report.html \(html.count >> 10) KiB")
    }

    @Test func aHugeTranscriptIsReadWithBoundedMemory() throws {
        let folder = try Fixtures.scratch()
        let path = folder.appendingPathComponent("huge.transcript").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("# bootcanary transcript v1\n".utf8))
        // 400,000 lines, about 40 MB.
        var block = ""
        for n in 0..<400_000 {
            block += "L \(BootcanaryTranscript.formatSeconds(Double(n) / 1000)) - crlf a console line that repeats, number \(n) of many\n"
            if block.utf8.count > 1 << 20 { try handle.write(contentsOf: Data(block.utf8)); block = "" }
        }
        try handle.write(contentsOf: Data(block.utf8))
        try handle.close()
        let ex = try TranscriptExcerpt.read(path: path, marking: [7, 200_000], limits: ExcerptLimits())
        #expect(ex.totalLines == 400_000)
        #expect(ex.head.count == 100 && ex.tail.count == 2000)
        #expect(ex.tail.first?.number == 398_001 && ex.tail.last?.number == 400_000)
        #expect(ex.marked.keys.sorted() == [7, 200_000])
        #expect(ex.omitted == 400_000 - 2100)

        // Memory, in child processes (each its own peak RSS, not this test process's, whose
        // peak other suites raise): `bootcanary report` of a recorded run, once as recorded and
        // once with one boot's transcript swapped for the 40 MB one.
        let exe = try #require(AnalyzeCommandTests.executable, "the bootcanary executable is not built beside the tests")
        let fm = FileManager.default
        func run(withHugeTranscript: Bool) throws -> Int {
            let copy = try Fixtures.scratch().appendingPathComponent("run")
            try fm.copyItem(at: Fixtures.root.appendingPathComponent("fixtures/runs/lab-sick-host"), to: copy)
            if withHugeTranscript {
                let target = copy.appendingPathComponent("transcripts/pygrub-1.transcript")
                try fm.removeItem(at: target)
                try fm.copyItem(atPath: path, toPath: target.path)
            }
            return try BadInputTests.peakRSSOfChild(exe.path, ["report", copy.appendingPathComponent("run.json").path,
                                                               "--out", copy.appendingPathComponent("out").path])
        }
        let baseline = try run(withHugeTranscript: false)
        let huge = try run(withHugeTranscript: true)
        print("report peak RSS: recorded run \(baseline >> 20) MiB, with a 40 MB transcript \(huge >> 20) MiB")
        #expect(huge - baseline < 24 << 20, "report with a 40 MB transcript peaked \((huge - baseline) >> 20) MiB above the recorded run's \(baseline >> 20) MiB")
    }
}
