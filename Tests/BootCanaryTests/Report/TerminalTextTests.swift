import CanaryModel
import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryReport

/// Everything the CLI prints goes through `TerminalText`; nothing a guest or a record holds
/// can reach the terminal as a control.
@Suite struct TerminalTextTests {
    /// No C0 (but the line breaks of a block), no DEL, no C1, no bidi control or other
    /// invisible format character the reports neutralize.
    static func isInert(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { s in
            let v = s.value
            if v == 0x0A { return true }
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) { return false }
            return UntrustedText.replacement(for: s) == nil
        }
    }

    @Test(arguments: [
        ("\u{1B}[31mred\u{1B}[0m", "red"),
        ("\u{9B}31mred\u{9B}0m", "red"),                              // 8-bit CSI, as UTF-8 (C2 9B)
        ("\u{1B}]0;owned title\u{07}after", "after"),                 // OSC: retitle the terminal
        ("\u{9D}0;owned\u{9C}after", "after"),                        // 8-bit OSC ... ST
        ("\u{1B}[2J\u{1B}[Hclear", "clear"),
        ("a\u{85}b", "ab"),                                           // NEL
        ("bell\u{07}\u{08}\u{7F}x", "bellx"),
        ("two\nlines\r\nverdict     healthy", "two lines  verdict     healthy"),
        ("abc\u{202E}fed\u{202C}", "abc\\u{202E}fed\\u{202C}"),       // Trojan Source
        ("\u{2066}iso\u{2069}\u{200F}\u{FEFF}", "\\u{2066}iso\\u{2069}\\u{200F}\\u{FEFF}"),
        ("tab\there", "tab here"),
        ("plain — ünïcode ×2", "plain — ünïcode ×2"),
    ])
    func controlsAreStripped(input: String, shown: String) {
        let out = TerminalText.line(input)
        #expect(out == shown)
        #expect(Self.isInert(out) && !out.contains("\n"))
        #expect(TerminalText.line(out) == out, "a second pass changes nothing")
    }

    @Test func aBlockKeepsItsLinesAndCleansEach() {
        #expect(TerminalText.block("verdict\u{1B}[5m x\nsummary \u{202E}y") == "verdict x\nsummary \\u{202E}y")
    }

    /// A raw 8-bit CSI byte from the console (invalid UTF-8 on its own) never reaches the
    /// terminal as 0x9B.
    @Test func liveConsoleLinesAreInert() {
        let bytes: [UInt8] = Array("[ OK ] ".utf8) + [0x9B, 0x32, 0x4A, 0x1B, 0x5B, 0x48] + Array("x\u{202E}y".utf8) + [0xC2, 0x9B, 0x33, 0x31, 0x6D]
        let text = LiveConsole.format(ConsoleLine(number: 1, bytes: bytes, terminator: .lf, time: nil), time: nil)
        #expect(Self.isInert(text))
        #expect(!text.utf8.contains(0x9B) && !text.utf8.contains(0x1B))
        #expect(text.contains("x\\u{202E}y"))
    }

    /// The hostile record through every text renderer the CLI prints.
    @Test func hostileRecordIsInertInEveryTerminalRenderer() throws {
        let record = try ReportFixtures.record("hostile")
        let report = try ReportFixtures.report("hostile")
        var texts = [VerdictText.render(record.diagnosis), CanaryStatus.line(record)]
        for b in report.boots {
            let d = b.record
            texts.append(TerminalText.block(d.title ?? ""))
            texts.append(LiveConsole.format(ConsoleLine(number: 1, bytes: Array((d.lastLine ?? "").utf8), terminator: .lf, time: nil), time: nil))
        }
        for text in texts { #expect(Self.isInert(text), "\(text.debugDescription)") }
        // The status line stays one line with the perfdata after its only `|`.
        let status = CanaryStatus.line(record)
        #expect(!status.contains("\n"))
        #expect(status.occurrences(of: " | ") == 1 && status.occurrences(of: "|") == 1, "\(status)")
    }

    /// `bootcanary analyze` as a user runs it, on the hostile run's transcripts.
    @Test func analyzePrintsNothingActive() throws {
        let folder = ReportFixtures.folder("hostile").appendingPathComponent("transcripts")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { folder.appendingPathComponent($0).path }
        let r = try Tool.bootcanary(["analyze"] + files)
        #expect(!r.outText.isEmpty)
        #expect(Self.isInert(r.outText), "\(r.outText.debugDescription)")
        #expect(Self.isInert(r.err), "\(r.err.debugDescription)")
    }
}
