import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryReport

/// Every string field of a run record, made hostile at once, reaches report.md only escaped:
/// inline fields as `MarkdownText.inline` makes them, fenced lines as `UntrustedText.visible`
/// makes them. A field a renderer interpolates raw shows up unescaped and fails the test.
@Suite struct MarkdownFieldWalkTests {
    /// Markdown and HTML that would format, link, embed, end a cell or start a block; a line
    /// break; Trojan-Source bidi; an ANSI sequence.
    static let tail = "|`*_[x](http://e.example/p)<b onclick=1>&amp; #h\n- li\u{202E}\u{1B}[31m $m$ @u ~~s~~ see www.e.example ![i](x)"

    typealias Path = [Any]

    /// Every string leaf of a JSON value, by path.
    static func stringPaths(_ value: Any, _ path: Path = []) -> [Path] {
        if value is String { return [path] }
        if let d = value as? [String: Any] { return d.keys.sorted().flatMap { stringPaths(d[$0]!, path + [$0]) } }
        if let a = value as? [Any] { return a.indices.flatMap { stringPaths(a[$0], path + [$0]) } }
        return []
    }

    static func replacing(_ value: Any, at path: Path, with s: String) -> Any {
        guard let head = path.first else { return s }
        let rest = Array(path.dropFirst())
        if var d = value as? [String: Any], let k = head as? String { d[k] = replacing(d[k]!, at: rest, with: s); return d }
        if var a = value as? [Any], let i = head as? Int { a[i] = replacing(a[i], at: rest, with: s); return a }
        return value
    }

    static func decode(_ json: Any) -> RunRecord? {
        guard let data = try? JSONSerialization.data(withJSONObject: json) else { return nil }
        return try? JSONFormat.decoder().decode(RunRecord.self, from: data)
    }

    @Test(arguments: ReportFixtures.names) func everyStringFieldIsEscaped(_ name: String) throws {
        let data = try Data(contentsOf: ReportFixtures.folder(name).appendingPathComponent("run.json"))
        var json = try JSONSerialization.jsonObject(with: data)
        // Strings that are free text (not dates, enum words or numbers-as-text) still decode
        // when replaced: those are the fields a person or a guest could fill.
        var free: [Path] = []
        for path in Self.stringPaths(json) where Self.decode(Self.replacing(json, at: path, with: "QZ0Q" + Self.tail)) != nil {
            free.append(path)
        }
        #expect(free.count > 20, "only \(free.count) free-text fields found")
        for (n, path) in free.enumerated() { json = Self.replacing(json, at: path, with: "QZ\(n)Q" + Self.tail) }
        let record = try #require(Self.decode(json))
        let md = MarkdownReport.render(RunReport.load(record, recordFolder: ReportFixtures.folder(name)))

        let inline = MarkdownText.inline(Self.tail)
        let fenced = UntrustedText.visible(Self.tail)
        var fence: String?
        var seen = Set<Int>()
        for line in md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let open = fence {
                if line.hasPrefix(open) && line.allSatisfy({ $0 == "`" }) { fence = nil; continue }
            } else if line.hasPrefix("```") {
                fence = String(line.prefix { $0 == "`" })
                continue
            }
            if fence == nil {
                // Outside a fence, no tag or link target survives without its backslash.
                #expect(line.range(of: #"(?<!\\)<b onclick"#, options: .regularExpression) == nil, "\(line)")
                #expect(line.range(of: #"(?<!\\)\]\("#, options: .regularExpression) == nil, "\(line)")
            }
            var rest = Substring(line)
            while let r = rest.range(of: #"QZ[0-9]+Q"#, options: .regularExpression) {
                let n = Int(rest[r].dropFirst(2).dropLast())!
                seen.insert(n)
                let after = rest[r.upperBound...]
                let expected = fence == nil ? inline : fenced
                // Equal up to the end of the expected form, or up to an ellipsis where a long
                // field was cut.
                let common = zip(after, expected).prefix { $0 == $1 }.count
                let ok = common == expected.count || after.dropFirst(common).first == "…"
                #expect(ok, "field \(free[n].map { "\($0)" }.joined(separator: ".")) rendered as \(String(after.prefix(expected.count + 10)).debugDescription) in \(fence == nil ? "text" : "a fence")")
                rest = after
            }
        }
        #expect(seen.count > 10, "only \(seen.count) hostile fields reached report.md")
        #expect(!md.contains("\u{202E}") && !md.contains("\u{1B}"))
    }

    @Test(arguments: [
        ("# heading", "\\# heading"),
        ("> quote", "\\> quote"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("    code", "code"),
        ("see https://evil.example/x", "see https\\://evil.example/x"),
        ("www.evil.example", "www\\.evil.example"),
        ("mail me@evil.example", "mail me\\@evil.example"),
        ("a | b", "a \\| b"),
        ("[x](y)", "\\[x\\](y)"),
    ])
    func inlineTextStartsNoBlockAndNoLink(input: String, escaped: String) {
        #expect(MarkdownText.inline(input) == escaped)
    }
}
