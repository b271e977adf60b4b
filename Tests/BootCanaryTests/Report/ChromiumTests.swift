import Foundation
import Testing
@testable import CanaryDiagnose
@testable import CanaryReport

/// `report.html` in a real browser: headless Chromium (Debian's `chromium`, installed by
/// lab/setup) loads the page, runs whatever it would run, and dumps the DOM it ended with.
///
/// Every payload in `fixtures/runs/hostile` that runs sets `data-pwned` on <html>. The page must
/// end with no such attribute, no element or event handler made from guest text, and the
/// payloads visible as text — with its Content-Security-Policy, and without it (escaping alone
/// must hold; the CSP is the second line). A control page with one payload left unescaped
/// proves the check can see a script run.
@Suite(.serialized, .enabled(if: HostTools.enabled, HostTools.reason)) struct ChromiumTests {
    static func page(_ html: String) throws -> URL {
        let file = try Fixtures.scratch().appendingPathComponent("report.html")
        try Data(html.utf8).write(to: file)
        return file
    }

    static func withoutCSP(_ html: String) -> String {
        html.replacingOccurrences(of: "<meta http-equiv=\"Content-Security-Policy\" content=\"\(HTMLReport.contentSecurityPolicy)\">\n", with: "")
    }

    static func hostileHTML() throws -> String { HTMLReport.render(try ReportFixtures.report("hostile")) }

    @Test func controlPageProvesAScriptWouldBeSeen() throws {
        let html = Self.withoutCSP(try Self.hostileHTML())
            .replacingOccurrences(of: "</footer>", with: "</footer><script>document.documentElement.setAttribute('data-pwned','control')</script>")
        let dom = try Tool.reportCheck("dom", try Self.page(html))
        #expect((dom["htmlAttributes"] as? [String: String])?["data-pwned"] == "control")
    }

    @Test(arguments: [true, false]) func hostileTranscriptRunsNothingAndShowsAsText(withCSP: Bool) throws {
        let html = withCSP ? try Self.hostileHTML() : Self.withoutCSP(try Self.hostileHTML())
        #expect(html.contains("Content-Security-Policy") == withCSP)
        let report = try ReportFixtures.report("hostile")
        let dom = try Tool.reportCheck("dom", try Self.page(html))

        // No payload ran.
        let htmlAttributes = try #require(dom["htmlAttributes"] as? [String: String])
        #expect(htmlAttributes == ["lang": "en"], "payload ran: \(htmlAttributes)")
        // No element, handler or link came from guest text.
        let tags = try #require(dom["tags"] as? [String: Int])
        #expect(Set(tags.keys).isSubset(of: HTMLReportTests.elements), "elements from guest text: \(Set(tags.keys).subtracting(HTMLReportTests.elements))")
        #expect(tags["svg"] == 1 && tags["style"] == 1 && tags["meta"] == (withCSP ? 4 : 3) && tags["pre"] == report.boots.count + 1)
        #expect(tags["details"] == report.boots.count + 1)
        #expect((dom["eventAttributes"] as? [String]) == [])
        #expect((dom["hrefs"] as? [String] ?? []).allSatisfy { $0.hasPrefix("#") })
        // The document's title is the escaped hostname, as text.
        #expect((dom["title"] as? String)?.hasPrefix("bootcanary: Inconclusive on vm<script>") == true)
        // The payloads are on the page, as text.
        let text = try #require(dom["text"] as? String)
        for marker in ReportFixtures.hostileMarkers {
            #expect(text.contains(marker), "\(marker) not shown as text")
        }
        #expect(text.contains("RED   cleared?"))
    }

    @Test(arguments: ["lab-sick-host", "lab-corrupt-image"]) func labReportsLoadCleanly(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let dom = try Tool.reportCheck("dom", try Self.page(HTMLReport.render(report)))
        let tags = try #require(dom["tags"] as? [String: Int])
        #expect(Set(tags.keys).isSubset(of: HTMLReportTests.elements))
        #expect(tags["svg"] == 1 && tags["details"] == report.boots.count + 1)
        let text = try #require(dom["text"] as? String)
        #expect(text.contains(ReportWords.verdict(report.record.diagnosis.verdict)))
        #expect(text.contains(report.record.diagnosis.summary))
        for b in report.boots { #expect(text.contains(b.label.description)) }
    }
}
