import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryModel
@testable import CanaryReport

/// `report.html` and its timeline, checked as text: what the page must say and where the
/// timeline puts things. `ChromiumTests` checks what a browser makes of it.
@Suite struct HTMLReportTests {
    @Test(arguments: ReportFixtures.names) func bannerCarriesVerdictActionAndSummary(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let html = HTMLReport.render(report)
        let d = report.record.diagnosis
        let banner = try #require(html.components(separatedBy: "<header class=\"banner ").dropFirst().first?.components(separatedBy: "</header>").first)
        #expect(banner.hasPrefix(ReportWords.severity(d)))
        #expect(banner.contains("<code>\(d.verdict.rawValue)</code>"))
        #expect(banner.contains(HTMLText.escape(ReportWords.verdict(d.verdict))))
        #expect(banner.contains("<code>\(d.action.rawValue)</code>"))
        #expect(banner.contains("<p class=\"summary\">\(HTMLText.guest(d.summary, limit: 2000))</p>"))
    }

    /// Elements and attributes of the page are exactly the ones the renderer writes.
    static let elements: Set<String> = [
        "html", "head", "meta", "title", "style", "body", "header", "div", "span", "code", "p", "ul", "li", "main", "section",
        "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "a", "strong", "br", "svg", "defs", "pattern", "rect", "g",
        "line", "text", "path", "details", "summary", "pre", "footer",
    ]
    static let attributes: Set<String> = [
        "lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "open", "xmlns", "role", "viewBox", "width",
        "height", "aria-label", "patternUnits", "patternTransform", "fill", "x", "y", "x1", "y1", "x2", "y2", "d", "text-anchor",
    ]

    @Test(arguments: ReportFixtures.names) func selfContainedAndScriptFree(_ name: String) throws {
        let html = HTMLReport.render(try ReportFixtures.report(name))
        let (tags, attributes) = Self.markup(html)
        #expect(tags.isSubset(of: Self.elements), "unexpected elements \(tags.subtracting(Self.elements))")
        #expect(attributes.isSubset(of: Self.attributes), "unexpected attributes \(attributes.subtracting(Self.attributes))")
        let lower = html.lowercased()
        #expect(lower.occurrences(of: "<svg") == 1 && lower.occurrences(of: "</svg>") == 1)
        #expect(lower.occurrences(of: "<style") == 1 && lower.occurrences(of: "<script") == 0)
        // Nothing fetched: every link is an in-page anchor.
        let hrefs = html.components(separatedBy: " href=\"").dropFirst().map { $0.prefix(1) }
        #expect(hrefs.allSatisfy { $0 == "#" })
        // No raw control character reaches the page.
        #expect(html.unicodeScalars.allSatisfy { $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F && !(0x80..<0xA0).contains($0.value)) })
    }

    @Test func contentSecurityPolicyAllowsNoScriptAndOnlyThisStylesheet() throws {
        let html = HTMLReport.render(try ReportFixtures.report("lab-sick-host"))
        let csp = HTMLReport.contentSecurityPolicy
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"\(csp)\">"))
        #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'none'"))
        #expect(!csp.contains("unsafe"))
        // The hash is of the exact text inside <style>.
        let style = try #require(html.components(separatedBy: "<style>").dropFirst().first?.components(separatedBy: "</style>").first)
        let hex = SHA256.hex(Data(style.utf8))
        let digest = Data(stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let a = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[a..<hex.index(a, offsetBy: 2)], radix: 16)!
        })
        #expect(csp.hasSuffix("style-src 'sha256-\(digest.base64EncodedString())'"))
        // The CSP comes before anything it governs.
        #expect(html.range(of: "Content-Security-Policy")!.lowerBound < html.range(of: "<style>")!.lowerBound)
    }

    @Test func hostileTextIsEscapedEverywhere() throws {
        let html = HTMLReport.render(try ReportFixtures.report("hostile"))
        for marker in ReportFixtures.hostileMarkers {
            // The page's own </svg>, <style> and CSP <meta> are the only raw ones.
            #expect(html.occurrences(of: marker) == (["</svg>", "<style>", "<meta http-equiv"].contains(marker) ? 1 : 0), "raw \(marker) in the page")
            #expect(html.contains(HTMLText.escape(marker)), "\(marker) does not show at all")
        }
        #expect(html.occurrences(of: "</svg>") == 1)
        #expect(!html.contains("onerror=\"") && !html.contains("onload=\""))
        // Terminal escapes are gone from console lines, NUL and invalid UTF-8 are visible.
        #expect(html.contains("RED   cleared?"))
        #expect(html.contains("invalid UTF-8:\u{FFFD}"))
        #expect(html.contains("\\u{202E}exe.txt\\u{202C}"))
        // The 5000-character line is cut, and says so.
        #expect(html.contains("(4005 more characters)"))
    }

    @Test(arguments: ReportFixtures.names) func everyBootHasAnSVGRowAndATranscript(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let html = HTMLReport.render(report)
        #expect(html.occurrences(of: "<g class=\"tl-row ") == report.boots.count)
        for b in report.boots {
            #expect(html.contains("<g class=\"tl-row \(TimelineSVG.outcomeClass(b.record.outcome))\" id=\"tl-\(b.anchor)\">"))
            #expect(html.contains("<details id=\"\(b.anchor)\""))
        }
        // Every in-page link has its target.
        for target in Set(html.components(separatedBy: "href=\"#").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }) {
            #expect(html.contains("id=\"\(target)\""), "link to #\(target) has no target")
        }
    }

    @Test(arguments: ReportFixtures.names) func milestonesSitAtTheirSecondsOnTheSharedAxis(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let timeline = TimelineSVG(boots: report.boots)
        let svg = timeline.render()
        for (i, b) in report.boots.enumerated() {
            let row = try Self.row(svg, b)
            let diamonds = Self.numbers(row, after: "<g class=\"tl-ms\"><path d=\"M")
            let expected = b.firstMilestones.compactMap(\.seconds).map(timeline.x)
            #expect(diamonds.count == expected.count)
            for (x, e) in zip(diamonds.map(\.0), expected) { #expect(abs(x - e) < 0.01) }
            // Diamonds sit on the row's bar line.
            let mid = timeline.rowTop(i) + 22
            for (_, y) in diamonds { #expect(abs(y + 6 - mid) < 0.01) }
            // First milestones only, one marker per milestone.
            #expect(Set(b.firstMilestones.map(\.milestone)).count == b.firstMilestones.count)
        }
        // The axis is shared: it ends at or after every boot's end.
        #expect(report.boots.allSatisfy { $0.endSeconds <= timeline.axisEnd })
    }

    @Test(arguments: ReportFixtures.names) func stallBandRunsFromTheLastByteToTheStall(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let timeline = TimelineSVG(boots: report.boots)
        let svg = timeline.render()
        for b in report.boots {
            let row = try Self.row(svg, b)
            let band = row.components(separatedBy: "class=\"tl-stall\"").count - 1
            guard b.record.outcome == .stalled, let last = b.record.lastByteSeconds, let end = b.record.secondsToOutcome else {
                #expect(band == 0, "\(b.label) has a stall band")
                continue
            }
            #expect(band == 1)
            let rect = try #require(row.components(separatedBy: "<rect ").first { $0.contains("class=\"tl-stall\"") })
            let x = try #require(Self.attribute(rect, "x")), w = try #require(Self.attribute(rect, "width"))
            #expect(abs(x - timeline.x(last)) < 0.01)
            #expect(abs(x + w - timeline.x(end)) < 0.01)
        }
    }

    @Test func sickHostRowsStopAtThreeDifferentLines() throws {
        let report = try ReportFixtures.report("lab-sick-host")
        let svg = TimelineSVG(boots: report.boots).render()
        for (label, line) in [("pygrub#1", "line 129: smpboot: Total of 1 processors activated"), ("kernel#1", "line 105: x86/fpu: x87 FPU will use FXSAVE"),
                              ("installer#1", "line 271: Freeing initrd memory: 1116K")] {
            let b = try #require(report.boot(labelled: label))
            let row = try Self.row(svg, b)
            #expect(row.contains(line))
            #expect(row.contains("<a href=\"#\(b.lineAnchor(Int(line.split(separator: ":")[0].dropFirst(5))!))\">"))
        }
    }

    @Test func renderingIsDeterministic() throws {
        let a = try ReportFixtures.report("lab-corrupt-image")
        let b = try ReportFixtures.report("lab-corrupt-image")
        #expect(HTMLReport.render(a) == HTMLReport.render(b))
        #expect(MarkdownReport.render(a) == MarkdownReport.render(b))
    }

    @Test func longTranscriptsAreCutAndSaySo() throws {
        let report = try ReportFixtures.report("lab-corrupt-image", limits: ExcerptLimits(headLines: 5, tailLines: 20, lineCharacters: 40))
        let html = HTMLReport.render(report)
        let kernel = try #require(report.boot(labelled: "kernel#1"))
        let ex = try #require(kernel.excerpt)
        #expect(ex.head.count == 5 && ex.tail.count == 20)
        #expect(ex.tail.last?.number == ex.totalLines)
        #expect(html.contains("keeps the first 5 and the last 20 lines"))
        #expect(html.contains("… lines 6–"))
        // Evidence lines from the omitted middle are still shown, with their anchors.
        for e in report.record.diagnosis.evidence where e.boot == "kernel#1" {
            #expect(html.contains("id=\"\(kernel.lineAnchor(e.line!))\""))
        }
    }

    // MARK: helpers

    static func row(_ svg: String, _ b: RunReport.Boot) throws -> String {
        let start = try #require(svg.range(of: "id=\"tl-\(b.anchor)\">"))
        return svg[start.upperBound...].components(separatedBy: "</g>\n").first ?? ""
    }

    /// The two numbers after each occurrence of `marker` (a path's `M x y`).
    static func numbers(_ s: String, after marker: String) -> [(Double, Double)] {
        s.components(separatedBy: marker).dropFirst().compactMap { rest in
            let parts = rest.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, let x = Double(parts[0]), let y = Double(parts[1]) else { return nil }
            return (x, y)
        }
    }

    static func attribute(_ element: String, _ name: String) -> Double? {
        let element = String(element.prefix { $0 != ">" })
        guard let r = element.range(of: " \(name)=\"") ?? (element.hasPrefix("\(name)=\"") ? element.range(of: "\(name)=\"") : nil) else { return nil }
        return Double(element[r.upperBound...].prefix { $0 != "\"" })
    }

    /// Tag and attribute names, read the way an HTML tokenizer does. Text never holds a raw
    /// `<` (the renderer escapes it), so every `<` starts markup.
    static func markup(_ html: String) -> (tags: Set<String>, attributes: Set<String>) {
        var tags = Set<String>(), attributes = Set<String>()
        let c = Array(html.unicodeScalars)
        var i = 0
        func name() -> String {
            var s = ""
            while i < c.count, CharacterSet.alphanumerics.contains(c[i]) || c[i] == "-" || c[i] == ":" { s.unicodeScalars.append(c[i]); i += 1 }
            return s
        }
        while i < c.count {
            guard c[i] == "<" else { i += 1; continue }
            i += 1
            if i < c.count, c[i] == "!" || c[i] == "/" { while i < c.count, c[i] != ">" { i += 1 }; continue }
            tags.insert(name())
            while i < c.count, c[i] != ">" {
                if c[i] == " " || c[i] == "/" { i += 1; continue }
                let a = name()
                if a.isEmpty { i += 1; continue }
                attributes.insert(a)
                if i < c.count, c[i] == "=" {
                    i += 1
                    let q = c[i]
                    i += 1
                    while i < c.count, c[i] != q { i += 1 }
                    i += 1
                }
            }
        }
        return (tags, attributes)
    }
}

/// A record hand-edited into odd but decodable values still renders, bounded.
@Suite struct OddRecordTests {
    @Test func absurdNumbersAndNoBoots() throws {
        var record = try ReportFixtures.record("lab-sick-host")
        record.boots[0].secondsToOutcome = 1e300
        record.boots[0].lastByteSeconds = -5
        record.boots[0].milestones[0].seconds = .greatestFiniteMagnitude
        record.boots[1].stallSeconds = 1e12
        record.boots[2].kind = nil
        record.boots[2].run = nil
        let report = RunReport.load(record, recordFolder: ReportFixtures.folder("lab-sick-host"))
        let timeline = TimelineSVG(boots: report.boots)
        #expect(timeline.axisEnd <= 100_000) // a day, rounded up to a tick
        let svg = timeline.render()
        #expect(svg.occurrences(of: "class=\"tl-grid\"") <= 21)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        #expect(HTMLReport.render(report).contains("boot#3"))
        #expect(MarkdownReport.render(report).contains("| boot#3 | - | - |"))

        record.boots = []
        let empty = RunReport.load(record, recordFolder: ReportFixtures.folder("lab-sick-host"))
        #expect(HTMLReport.render(empty).contains("no boots in this run"))
        #expect(JUnitReport.render(empty).contains("tests=\"0\""))
    }
}
