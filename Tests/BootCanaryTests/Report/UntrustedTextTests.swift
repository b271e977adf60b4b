import CanaryModel
import Foundation
import Testing
@testable import CanaryReport

/// The escaping every report relies on, tested as properties over hostile strings.
@Suite struct UntrustedTextTests {
    static let hostile: [String] = [
        "<script>alert(1)</script>", "</svg><img src=x onerror=alert(1)>", "a | b \\| c \\\\| d", "```` fence",
        "\u{0}NUL \u{1B}[31mred\u{1B}[0m \u{7F} \u{9B}", "\u{202E}exe.txt\u{202C} \u{2066}iso\u{2069}", "\u{FFFE}\u{FFFF}\u{FEFF}",
        "line\nbreak\r\nand\u{2028}sep", "[x](javascript:alert(1)) ![i](http://e/x.png) *b* _i_ $m$ ~s~ &amp; <http://e>",
        "tab\there", String(repeating: "é", count: 3000), "",
    ]

    @Test(arguments: hostile) func visibleIsOnePrintableLine(_ s: String) {
        let v = UntrustedText.visible(s)
        for scalar in v.unicodeScalars {
            let x = scalar.value
            #expect(!(x < 0x20 || x == 0x7F || (0x80..<0xA0).contains(x)), "control U+\(String(x, radix: 16)) left in \(v.debugDescription)")
            #expect(![0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029, 0xFFFE, 0xFFFF].contains(x))
        }
        // Nothing is silently dropped: every removed character is shown as an escape.
        if s.contains("\u{1B}") { #expect(v.contains("\\x1B")) }
        if s.contains("\u{202E}") { #expect(v.contains("\\u{202E}")) }
    }

    @Test(arguments: hostile) func visibleIsBounded(_ s: String) {
        for limit in [1, 10, 80] {
            let v = UntrustedText.visible(s, limit: limit)
            #expect(v.count <= limit + 1) // + the ellipsis
        }
    }

    @Test(arguments: hostile) func htmlEscapeLeavesNoMarkup(_ s: String) {
        let h = HTMLText.guest(s)
        #expect(!h.contains("<") && !h.contains(">") && !h.contains("\"") && !h.contains("'"))
        // Every & starts one of the entities the escaper writes.
        let ampersands = h.occurrences(of: "&")
        let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].map { h.occurrences(of: $0) }.reduce(0, +)
        #expect(ampersands == entities)
    }

    @Test(arguments: hostile) func markdownInlineCannotEndACell(_ s: String) {
        let m = MarkdownText.inline(s)
        // GFM's cell scanner: a backslash escapes the next punctuation character; a pipe that
        // is not escaped ends the cell.
        var escaped = false
        for ch in m {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            #expect(!["|", "<", ">", "`", "[", "]", "*", "_"].contains(ch), "unescaped \(ch) in \(m)")
        }
        #expect(!m.contains("\n"))
    }

    @Test func fenceIsLongerThanAnyBacktickRun() {
        let lines = ["plain", "``` three", "x ````````` nine y", "~~~"]
        let fenced = MarkdownText.fenced(lines)
        let fence = String(fenced.prefix { $0 == "`" })
        #expect(fence.count == 10)
        #expect(fenced.hasSuffix("\n" + fence))
        #expect(MarkdownText.fenced(["no backticks"]).hasPrefix("```text\n"))
    }

    @Test func codeSpanFallsBackForAnythingOdd() {
        #expect(MarkdownText.code("host_fault") == "`host_fault`")
        #expect(MarkdownText.code("a|b") == "a\\|b")
        #expect(MarkdownText.code("a`b") == "a\\`b")
    }
}

/// Line and column for a hand-edited run.json.
@Suite struct JSONSourceMapTests {
    @Test(arguments: [
        ("{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}", 3, 14),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3),
        ("{\"a\": tru}", 1, 7),
        ("{\"a\": \"unterminated\n}", 1, 20),
        ("{\"a\": 01}", 1, 8),
        ("{\"a\": 1} x", 1, 10),
        ("", 1, 1),
        ("{\"é\": [}", 1, 8),
    ]) func syntaxErrorsArePlaced(_ text: String, _ line: Int, _ column: Int) throws {
        let e = try #require(JSONSourceMap.syntaxError(in: Data(text.utf8)))
        #expect(e.line == line && e.column == column, "\(e)")
    }

    @Test func validJSONHasNoError() throws {
        let data = try Data(contentsOf: ReportFixtures.folder("lab-sick-host").appendingPathComponent("run.json"))
        #expect(JSONSourceMap.syntaxError(in: data) == nil)
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ s: String) { stringValue = s }
        init(_ i: Int) { stringValue = "\(i)"; intValue = i }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.init(intValue) }
    }

    @Test func pathsFindTheirLines() {
        let text = "{\n  \"boots\": [\n    {\"outcome\": \"x\"},\n    {\n      \"outcome\": \"stalledx\"\n    }\n  ]\n}"
        let data = Data(text.utf8)
        #expect(JSONSourceMap.line(of: [Key("boots"), Key(1), Key("outcome")], in: data) == 5)
        #expect(JSONSourceMap.line(of: [Key("boots"), Key(0), Key("outcome")], in: data) == 3)
        // A missing key: the object that should have had it.
        #expect(JSONSourceMap.line(of: [Key("boots"), Key(1), Key("lines")], in: data) == 4)
    }
}
