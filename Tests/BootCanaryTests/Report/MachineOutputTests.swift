import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryReport

/// The outputs machines read: Prometheus text format (parsed by prometheus_client, the
/// reference Python client) and JUnit XML (parsed by an XML parser, counted).
/// Read back by the reference parsers (prometheus_client, and a JUnit XML reader) through
/// lab/report-check on Debian's python3.
@Suite(.enabled(if: HostTools.enabled, HostTools.reason)) struct MachineOutputTests {
    func write(_ text: String, _ name: String) throws -> URL {
        let url = try Fixtures.scratch().appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func families(_ record: RunRecord) throws -> [String: [[String: Any]]] {
        let seen = try Tool.reportCheck("prometheus", try write(PrometheusMetrics.render(record), "metrics.prom"))
        var out: [String: [[String: Any]]] = [:]
        for f in try #require(seen["families"] as? [[String: Any]]) {
            #expect(f["type"] as? String == "gauge")
            #expect((f["documentation"] as? String)?.isEmpty == false)
            let name = try #require(f["name"] as? String)
            #expect(out[name] == nil, "family \(name) twice")
            out[name] = f["samples"] as? [[String: Any]] ?? []
        }
        return out
    }

    static func value(_ samples: [[String: Any]]?, _ labels: [String: String]) -> Double? {
        samples?.first { s in labels.allSatisfy { (s["labels"] as? [String: String])?[$0.key] == $0.value } }?["value"] as? Double
    }

    @Test(arguments: ReportFixtures.names) func prometheusParsesWithTheReferenceParser(_ name: String) throws {
        let record = try ReportFixtures.record(name)
        let f = try families(record)
        let host = record.host.hostname
        // The verdict is a state set: exactly one is 1, and it is the record's.
        let verdicts = try #require(f["bootcanary_verdict"])
        #expect(verdicts.count == Verdict.allCases.count)
        #expect(verdicts.compactMap { $0["value"] as? Double }.reduce(0, +) == 1)
        #expect(Self.value(verdicts, ["verdict": record.diagnosis.verdict.rawValue, "host": host]) == 1)
        #expect(Self.value(f["bootcanary_last_run_timestamp_seconds"], [:]) == record.ended.timeIntervalSince1970.rounded())
        #expect(Self.value(f["bootcanary_info"], ["version": record.tool.version]) == 1)
        #expect(Self.value(f["bootcanary_status"], [:]) == Double(record.diagnosis.exitStatus.rawValue))
        // Per kind: the last boot's outcome, seconds to login, stall seconds.
        for kind in Set(record.boots.compactMap(\.kind)) {
            let last = record.boots.filter { $0.kind == kind && $0.host != .control }.max { ($0.run ?? 0) < ($1.run ?? 0) }!
            let labels = ["kind": kind.rawValue, "role": "suspect"]
            #expect(Self.value(f["bootcanary_boot_outcome"], labels.merging(["outcome": last.outcome.rawValue]) { a, _ in a }) == 1)
            #expect(Self.value(f["bootcanary_boot_stall_seconds"], labels) == (last.stallSeconds ?? 0))
            #expect(Self.value(f["bootcanary_boot_login_seconds"], labels) == (last.outcome.isSuccess ? last.secondsToOutcome : nil))
            let outcomes = f["bootcanary_boot_outcome"]!.filter { ($0["labels"] as? [String: String])?["kind"] == kind.rawValue }
            #expect(outcomes.compactMap { $0["value"] as? Double }.reduce(0, +) == 1)
        }
        let counted = f["bootcanary_boots"]!.compactMap { $0["value"] as? Double }.reduce(0, +)
        #expect(Int(counted) == record.boots.count)
    }

    @Test func prometheusFileFollowsTheTextfileCollectorsRules() throws {
        let text = PrometheusMetrics.render(try ReportFixtures.record("lab-corrupt-image"))
        var seen = Set<String>()
        var helpFor: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { helpFor = String(line.split(separator: " ")[2]); continue }
            if line.hasPrefix("# TYPE ") { #expect(line.split(separator: " ")[2] == helpFor ?? ""); continue }
            // name{labels} value: no timestamp (node_exporter refuses them), each series once.
            let close = try #require(line.lastIndex(of: "}"))
            let series = String(line[...close])
            #expect(line[line.index(after: close)...].split(separator: " ").count == 1, "\(line)")
            #expect(series.hasPrefix(helpFor ?? "-"))
            #expect(seen.insert(series).inserted, "\(series) twice")
        }
        #expect(text.hasSuffix("\n"))
    }

    @Test func prometheusLabelsSurviveAHostileHostname() throws {
        let record = try ReportFixtures.record("hostile")
        let f = try families(record)
        let info = try #require(f["bootcanary_info"]?.first?["labels"] as? [String: String])
        #expect(info["host"] == UntrustedText.visible(record.host.hostname, limit: 400))
        #expect(info["uri"] == "qemu:///system?<x>")
    }

    @Test(arguments: ReportFixtures.names) func junitHasOneCasePerBootAndTheRightFailures(_ name: String) throws {
        let report = try ReportFixtures.report(name)
        let seen = try Tool.reportCheck("junit", try write(JUnitReport.render(report), "junit.xml"))
        let cases = try #require(seen["cases"] as? [[String: Any]])
        #expect(cases.count == report.boots.count)
        let failing = report.boots.filter { !$0.record.outcome.isSuccess && $0.record.outcome != .infraError }
        let suite = try #require((seen["suites"] as? [[String: String]])?.first)
        #expect(suite["tests"] == "\(report.boots.count)" && suite["failures"] == "\(failing.count)" && suite["errors"] == "0")
        #expect((seen["rootAttributes"] as? [String: String])?["failures"] == "\(failing.count)")
        for (c, b) in zip(cases, report.boots) {
            #expect(c["name"] as? String == UntrustedText.visible(b.label.description, limit: 100))
            let failure = c["failure"] as? [String: Any]
            #expect((failure != nil) == b.failed)
            guard let failure else { continue }
            #expect(failure["type"] as? String == b.record.outcome.rawValue)
            let message = try #require(failure["message"] as? String)
            #expect(message.hasPrefix(UntrustedText.visible(ReportWords.outcome(b.record))))
            let body = try #require(failure["text"] as? String)
            if let title = b.record.title { #expect(body.contains("title: " + UntrustedText.visible(title, limit: 590).prefix(100))) }
            // The last console lines, ending with the line the boot stopped at.
            let lastLine = try #require(b.excerpt?.tail.last ?? b.excerpt?.head.last)
            #expect(body.contains("last console lines:"))
            #expect(body.hasSuffix(UntrustedText.visible("\(lastLine.number) \(ReportWords.offset(lastLine.seconds)) \(lastLine.text)", limit: 600)))
        }
        let properties = try #require(seen["properties"] as? [String: String])
        #expect(properties["verdict"] == report.record.diagnosis.verdict.rawValue)
        #expect(properties["action"] == report.record.diagnosis.action.rawValue)
    }

    @Test func junitInfraErrorIsAnError() throws {
        var report = try ReportFixtures.report("lab-sick-host")
        report.boots[1].record.outcome = .infraError
        report.boots[1].record.ending = .infrastructureError("console could not be opened")
        let seen = try Tool.reportCheck("junit", try write(JUnitReport.render(report), "junit.xml"))
        let cases = try #require(seen["cases"] as? [[String: Any]])
        #expect(cases[1]["failure"] is NSNull && (cases[1]["error"] as? [String: Any])?["type"] as? String == "infra_error")
        let suite = try #require((seen["suites"] as? [[String: String]])?.first)
        #expect(suite["failures"] == "2" && suite["errors"] == "1")
    }
}
