import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryModel
@testable import CanaryReport

/// `report.md`, read as a ticket reader sees it: raw text, and rendered by cmark-gfm (the GFM
/// reference implementation GitHub uses) with raw HTML allowed.
@Suite struct MarkdownReportTests {
    @Test(arguments: ReportFixtures.names) func verdictActionAndSummaryComeFirst(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let md = MarkdownReport.render(report)
        let d = report.record.diagnosis
        let fold = try #require(md.range(of: "## Blast radius")).lowerBound
        let top = String(md[..<fold])
        #expect(top.contains("**Verdict:** `\(d.verdict.rawValue)`"))
        #expect(top.contains("**Action:** `\(d.action.rawValue)`"))
        #expect(top.contains("**Summary:** " + MarkdownText.inline(d.summary)))
        // The sections a ticket needs, in order.
        let order = ["## Blast radius", "## Boots", "## Evidence", "## Host", "## What was run"].map { md.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil })
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
    }

    /// The plan says what the host's history held, and records from before there was one say
    /// nothing about it.
    @Test func historyIsNamedWhenTheRunHadOne() throws {
        var report = try ReportFixtures.report(ReportFixtures.names[0])
        #expect(!MarkdownReport.render(report).contains("this host's history"))
        #expect(!HTMLReport.render(report).contains("this host&#39;s history") && !HTMLReport.render(report).contains("this host's history"))
        let kinds = report.record.plan.kinds.map(\.kind.rawValue)
        report.record.plan.historyBoots = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1, 20 + $0) })
        let md = MarkdownReport.render(report)
        let counts = kinds.enumerated().map { "\($1) \(20 + $0)" }.joined(separator: ", ")
        #expect(md.contains("Healthy boots in this host's history at the start: \(counts)"))
        #expect(HTMLReport.render(report).contains("Healthy boots in this host"))
    }

    @Test(arguments: ReportFixtures.names) func everyBootHasATableRow(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let md = MarkdownReport.render(report)
        let table = try #require(md.components(separatedBy: "## Boots").last?.components(separatedBy: "\n\n").dropFirst().first)
        let rows = table.split(separator: "\n").dropFirst(2)
        #expect(rows.count == report.boots.count)
        for (row, boot) in zip(rows, report.boots) {
            #expect(row.hasPrefix("| \(MarkdownText.inline(boot.label.description)) |"))
            #expect(row.contains(MarkdownText.code(boot.record.lastMilestone.rawValue)))
            #expect(Self.cells(String(row)) == 7, "\(row)")
        }
    }

    @Test func sickHostNamesTheBlastRadiusAndTheEvidenceTimes() throws {
        let report = try ReportFixtures.report("lab-sick-host")
        let md = MarkdownReport.render(report)
        #expect(md.contains("A reboot of vm interrupts 2 running guests: web2, web3."))
        // Evidence lines carry the transcript's times: pygrub#1's line 129 arrived 1.580 s in.
        #expect(md.contains("| pygrub#1 | 129 | +1.580 s, 2026-11-23T08:19:04.777479Z |"))
        #expect(md.contains("pygrub#1:129 [+1.580 s]  smpboot: Total of 1 processors activated (4890.78 BogoMIPS)"))
        // Each failed boot's last lines, ending with the line it stopped at.
        #expect(md.contains("129 +1.580  [    0.916869] smpboot: Total of 1 processors activated (4890.78 BogoMIPS)\n```"))
    }

    @Test(.enabled(if: HostTools.enabled, HostTools.reason), arguments: ReportFixtures.names) func rendersAsIntendedInGFM(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let dir = try Fixtures.scratch()
        let file = dir.appendingPathComponent("report.md")
        try Data(MarkdownReport.render(report).utf8).write(to: file)
        let seen = try Tool.reportCheck("markdown", file)
        // Only the elements Markdown itself makes: nothing from guest text.
        let tags = try #require(seen["tags"] as? [String: Int])
        let allowed: Set<String> = ["h1", "h2", "h3", "p", "ul", "li", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td"]
        #expect(Set(tags.keys).isSubset(of: allowed), "unexpected elements: \(Set(tags.keys).subtracting(allowed))")
        #expect((seen["eventAttributes"] as? [String])?.isEmpty == true)
        #expect((seen["hrefs"] as? [String])?.isEmpty == true, "a link was made from guest text")
        // Every table row has as many cells as its header.
        let tables = try #require(seen["tables"] as? [[String: Any]])
        #expect(tables.count >= 4)
        for t in tables {
            let header = t["header"] as? Int ?? 0
            #expect((t["rows"] as? [Int] ?? []).allSatisfy { $0 == header }, "\(t)")
        }
        // One code block per fence the report opened: no guest line closed one early.
        let blocks = try #require(seen["codeBlocks"] as? [String])
        let failed = report.boots.filter(\.failed).count
        #expect(blocks.count == failed + 2) // evidence lines + one per failed boot + the command line
        if name == "hostile" {
            let text = try #require(seen["text"] as? String)
            for marker in ReportFixtures.hostileMarkers where marker != "<math>" {
                #expect(text.contains(marker), "\(marker) should show as text")
            }
            #expect(blocks.contains { $0.contains("```````` a fence breaker") })
        }
    }

    /// Cells in a GFM table row: unescaped pipes, less the outer two, plus one.
    static func cells(_ row: String) -> Int {
        var pipes = 0
        var escaped = false
        for ch in row {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = true } else if ch == "|" { pipes += 1 }
        }
        return pipes - 1
    }
}
