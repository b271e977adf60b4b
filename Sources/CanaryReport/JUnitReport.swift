import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one test case per boot.
/// A boot that did not reach its success marker is a `<failure>` carrying the outcome, the
/// failure title and the last console lines; a boot the tool could not judge (`infra_error`)
/// is an `<error>`, the JUnit word for "the test could not run". The diagnosis rides along as
/// suite properties.
///
/// The widely read form (Jenkins' junit.xsd / Ant's): `testsuites > testsuite > testcase`,
/// times in seconds. Text is XML 1.0: guest text is made visible first, so no character
/// XML forbids (NUL, ESC, U+FFFE) reaches the file.
public enum JUnitReport {
    /// Console lines carried by a failure.
    static let lastLines = 20

    public static func render(_ report: RunReport) -> String { render([report]) }

    /// Several runs (a fleet canary): one `<testsuite>` per host in one `<testsuites>`.
    public static func render(_ reports: [RunReport]) -> String {
        func failed(_ r: RunReport) -> Int { r.boots.filter { !$0.record.outcome.isSuccess && $0.record.outcome != .infraError }.count }
        func errored(_ r: RunReport) -> Int { r.boots.filter { $0.record.outcome == .infraError }.count }
        let tests = reports.map(\.boots.count).reduce(0, +)
        let total = reports.map { max(0, $0.record.ended.timeIntervalSince($0.record.started)) }.reduce(0, +)
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<testsuites name=\"bootcanary\" tests=\"\(tests)\" failures=\"\(reports.map(failed).reduce(0, +))\" errors=\"\(reports.map(errored).reduce(0, +))\" time=\"\(seconds(total))\">\n"
        for report in reports { o += suite(report, failures: failed(report), errors: errored(report)) }
        o += "</testsuites>\n"
        return o
    }

    static func suite(_ report: RunReport, failures: Int, errors: Int) -> String {
        let r = report.record
        let d = r.diagnosis
        let total = max(0, r.ended.timeIntervalSince(r.started))
        let suite = "bootcanary.\(r.mode).\(r.host.hostname)"
        var o = ""
        o += "  <testsuite name=\"\(XMLText.guest(suite, limit: 200))\" tests=\"\(report.boots.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"0\" "
        o += "time=\"\(seconds(total))\" timestamp=\"\(timestamp(r.started))\" hostname=\"\(XMLText.guest(r.host.hostname, limit: 200))\" id=\"\(XMLText.guest(r.runID, limit: 60))\">\n"
        o += "    <properties>\n"
        let properties: [(String, String)] = [
            ("verdict", d.verdict.rawValue), ("action", d.action.rawValue), ("confidence", String(format: "%.2f", d.confidence)),
            ("summary", d.summary), ("rule", d.rule), ("host.uri", r.host.uri),
            ("host.hypervisor", "\(r.host.hypervisor) \(r.host.hypervisorVersion)"),
            ("blastRadius", d.blastRadius.map(\.name).joined(separator: ",")), ("tool.version", r.tool.version), ("runID", r.runID),
        ]
        for (k, v) in properties {
            o += "      <property name=\"\(k)\" value=\"\(XMLText.guest(v, limit: 2000))\"/>\n"
        }
        o += "    </properties>\n"
        for b in report.boots {
            let x = b.record
            let kind = x.kind?.rawValue ?? "boot"
            o += "    <testcase classname=\"\(XMLText.guest("bootcanary.\(r.host.hostname).\(kind)", limit: 200))\" name=\"\(XMLText.guest(b.label.description, limit: 100))\" time=\"\(seconds(x.secondsToOutcome ?? 0))\""
            if x.outcome.isSuccess {
                o += "/>\n"
                continue
            }
            o += ">\n"
            let element = x.outcome == .infraError ? "error" : "failure"
            var message = ReportWords.outcome(x)
            if let t = x.title { message += ": " + t }
            message += " (last milestone \(x.lastMilestone.rawValue))"
            o += "      <\(element) type=\"\(x.outcome.rawValue)\" message=\"\(XMLText.guest(message, limit: 500))\">"
            var body: [String] = []
            body.append("outcome: \(ReportWords.outcome(x))")
            if let t = x.title { body.append("title: \(t)") }
            body.append("last milestone: \(x.lastMilestone.rawValue)")
            body.append("decided after: \(ReportWords.seconds(x.secondsToOutcome))")
            if let l = x.lastLine { body.append("last line: \(l)") }
            if let t = x.transcript { body.append("transcript: \(t)") }
            let lines = consoleTail(b)
            if !lines.isEmpty {
                body.append("")
                body.append("last console lines:")
                body.append(contentsOf: lines)
            }
            o += body.map { XMLText.guest($0, limit: 600) }.joined(separator: "\n")
            o += "</\(element)>\n"
            o += "    </testcase>\n"
        }
        o += "  </testsuite>\n"
        return o
    }

    /// The boot's last console lines, numbered and timed when the transcript is there.
    static func consoleTail(_ b: RunReport.Boot) -> [String] {
        if let ex = b.excerpt, !(ex.tail.isEmpty && ex.head.isEmpty) {
            return (ex.tail.isEmpty ? ex.head : ex.tail).suffix(lastLines).map {
                "\($0.number) \(ReportWords.offset($0.seconds)) \($0.text)"
            }
        }
        return Array(b.record.lastLines.suffix(lastLines))
    }

    static func seconds(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : "0" }

    /// JUnit's timestamp: ISO 8601 without a zone (Ant's format), in UTC.
    static func timestamp(_ d: Date) -> String { String(BootcanaryTranscript.formatWall(d).prefix(19)) }
}
