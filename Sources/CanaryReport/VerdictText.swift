import CanaryClassify
import CanaryDiagnose
import CanaryModel
import Foundation

/// The short verdict block `diagnose` and `analyze` print: verdict, action, the sentence for
/// the ticket, the evidence lines.
public enum VerdictText {
    public static func render(_ d: Diagnosis) -> String {
        var out: [String] = []
        out.append("verdict     \(d.verdict.rawValue) (confidence \(String(format: "%.2f", d.confidence)))")
        out.append("action      \(d.action.rawValue)")
        out.append("summary     \(TerminalText.line(d.summary))")
        for (i, e) in d.evidence.enumerated() {
            let head = i == 0 ? "evidence    " : "            "
            var line = "\(head)\(TerminalText.line(e.boot))"
            if let n = e.line { line += " line \(n)" }
            line += ": \(TerminalText.line(e.reason))"
            if let t = e.text, !t.isEmpty { line += " — \(TerminalText.line(String(t.prefix(120))))" }
            out.append(line)
        }
        for (i, n) in d.next.enumerated() { out.append((i == 0 ? "next        " : "            ") + TerminalText.line(n)) }
        return out.joined(separator: "\n")
    }

    /// One line per finished boot, for progress.
    public static func bootLine(_ b: BootRecord) -> String {
        let r = b.result
        var s = b.label(position: 0).description.padding(toLength: 18, withPad: " ", startingAt: 0)
        s += r.outcome.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)
        s += r.lastMilestone.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
        s += r.secondsToOutcome.map { String(format: "%6.1f s", $0) } ?? "     - "
        if let v = r.vcpu, r.outcome == .stalled { s += "  vCPUs \(v.rawValue)" }
        if let t = r.title { s += "  \(TerminalText.line(String(t.prefix(70))))" }
        else if r.outcome == .infraError, case .infrastructureError(let m) = r.ending { s += "  \(TerminalText.line(String(m.prefix(90))))" }
        return s
    }
}
