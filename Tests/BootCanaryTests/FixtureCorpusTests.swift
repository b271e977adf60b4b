import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole

/// The corpus: every real console log in fixtures/transcripts with its expected result
/// beside it. Adding a case means adding two files.
@Suite struct FixtureCorpusTests {
    @Test func corpusIsLargeEnough() {
        #expect(Fixtures.corpus.count >= 150)
    }

    @Test("analyze gives the expected result", arguments: Fixtures.corpus)
    func analyzeMatchesExpected(name: String) throws {
        let expected = try Fixtures.expected(name)
        #expect(expected.source.hasPrefix("lab capture") || expected.source.hasPrefix("public bug report: https://"))
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path(name))
        #expect(analysis.format == expected.format)
        #expect(analysis.result.outcome == expected.outcome)
        #expect(analysis.result.lastMilestone == expected.lastMilestone)
        #expect(analysis.result.title == expected.title)
    }

    /// The live path (bytes in random chunks through `BootConsole`, partial lines included)
    /// judges every fixture exactly as `analyze` does: one classifier for both.
    @Test("the live console path agrees with analyze", arguments: Fixtures.corpus)
    func livePathAgrees(name: String) throws {
        let offline = try ConsoleLogAnalysis.analyze(path: Fixtures.path(name))
        let log = try ConsoleLogReader().readAll(path: Fixtures.path(name))
        var rng = SeededGenerator(seed: UInt64(name.utf8.count))
        var console = try BootConsole()
        var ending = BootEnding.endOfLog
        var endTime: ConsoleTime?
        if let end = log.summary.end {
            ending = try JSONDecoder().decode(BootEnding.self, from: end.json)
            endTime = end.time
        }
        var rebuilt: [UInt8] = []
        for line in log.lines {
            // Each line arrives in random pieces, all stamped with the line's own time (the
            // time of its first byte), as the live console would have stamped them.
            let time = line.time ?? ConsoleTime(seconds: 0)
            for chunk in line.rawBytes.randomChunks(maxChunk: 7, using: &rng) {
                for done in console.append(chunk, at: time) { rebuilt += done.rawBytes }
            }
        }
        for done in console.finish() { rebuilt += done.rawBytes }
        #expect(rebuilt == log.lines.flatMap(\.rawBytes))
        let live = console.judge(ending, at: endTime)
        #expect(live.outcome == offline.result.outcome)
        #expect(live.lastMilestone == offline.result.lastMilestone)
        #expect(live.title == offline.result.title)
        #expect(live.lines == offline.result.lines)
        #expect(live.bytes == offline.result.bytes)
    }

    /// The same failure in two boots (different addresses, times, PIDs) gets the same title.
    @Test func sameFailureSameTitleAcrossBoots() throws {
        let pairs = [("lab-vfs-no-root", "lab-init-nonexistent"), ("lab-sysrq-panic", "lab-sysrq-panic-rootdisk"),
                     ("lab-hung-task", "lab-hung-task-panic"),
                     // the same stall or hang in two boots: the title's function is the same
                     ("pub-syzkaller-264-bug-soft-lockup-in-sys-rmdir", "pub-syzkaller-266-bug-soft-lockup-in-sys-rmdir"),
                     ("pub-syzkaller-288-bug-soft-lockup-in-smp-call-function", "pub-syzkaller-297-bug-soft-lockup-in-smp-call-function"),
                     ("pub-syzkaller-432-info-task-hung-in-synchronize-rcu", "pub-syzkaller-507-info-task-hung-in-synchronize-rcu"),
                     ("pub-syzkaller-379-info-task-hung-in-exit-aio", "pub-syzkaller-386-info-task-hung-in-exit-aio")]
        for (a, b) in pairs {
            let ra = try ConsoleLogAnalysis.analyze(path: Fixtures.path(a)).result
            let rb = try ConsoleLogAnalysis.analyze(path: Fixtures.path(b)).result
            #expect(ra.title != nil)
            #expect(ra.title == rb.title, "\(a) vs \(b)")
        }
    }

    /// A transcript's recorded metadata reaches the JSON contract.
    @Test func transcriptMetadataReachesJSON() throws {
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-sysrq-panic"))
        let json = try JSONEncoder().encode(analysis.record)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["kind"] as? String == "kernel")
        #expect(object["run"] as? Int == 1)
        #expect(object["outcome"] as? String == "panic")
        #expect(object["transcript"] as? String == Fixtures.path("lab-sysrq-panic"))
        for key in ["kind", "run", "outcome", "lastMilestone", "lastLine", "title", "secondsToOutcome", "stallSeconds",
                    "vcpu", "firstByteSeconds", "lines", "transcript"] {
            #expect(object.keys.contains(key), "contract field \(key)")
        }
    }
}
