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

    /// One line per finished boot, for progress: label, outcome, last milestone, seconds.
    public static func bootLine(_ b: BootRecord) -> String {
        let r = b.result
        var s = ProgressColumns.cell(b.label(position: 0).description, ProgressColumns.label)
        s += ProgressColumns.cell(r.outcome.rawValue, ProgressColumns.outcome)
        s += ProgressColumns.cell(r.lastMilestone.rawValue, ProgressColumns.milestone)
        s += r.secondsToOutcome.map { String(format: "%6.1f s", $0) } ?? "     - "
        if let v = r.vcpu, r.outcome == .stalled { s += "  vCPUs \(v.rawValue)" }
        if let t = r.title { s += "  \(TerminalText.line(String(t.prefix(70))))" }
        else if r.outcome == .infraError, case .infrastructureError(let m) = r.ending { s += "  \(TerminalText.line(String(m.prefix(90))))" }
        return s
    }
}

/// The columns of the progress lines. Each is as wide as the longest word it can hold plus a
/// gap, so no value runs into the next: with a fixed 18, `bootloader_failure` (18 letters)
/// met its milestone as "bootloader_failurenone".
enum ProgressColumns {
    static let gap = 2
    /// `installer#1@control` is the longest label of a first run; a label longer than that
    /// (a tenth run) still keeps the gap and only shifts its own line.
    static let label = BootLabel(kind: .installer, run: 1, host: .control).description.count + gap
    static let outcome = BootOutcome.allCases.map(\.rawValue.count).max()! + gap
    static let milestone = Milestone.allCases.map(\.rawValue.count).max()! + gap

    /// `text` padded to `width`, never cut, always followed by at least `gap` spaces.
    static func cell(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(width - text.count, gap))
    }
}
