import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryModel
import Foundation

/// A console line as `boot` prints it live: its offset from the boot's start, then the text
/// with every control sequence removed (console content is untrusted: a guest must not be
/// able to move the operator's cursor, retitle the terminal or hide lines).
public enum LiveConsole {
    public static func format(_ line: ConsoleLine, time: ConsoleTime?) -> String {
        let offset = time.map { String(format: "%8.3f", $0.seconds) } ?? "       -"
        return "[+\(offset)] \(TerminalText.line(line.text))\n"
    }
}

/// The short result block `boot` prints after the console.
public enum BootSummaryText {
    public static func render(_ boot: BootRecord) -> String {
        let r = boot.result
        var out: [String] = []
        let secs = { (v: Double?) in v.map { String(format: "%.2f s", $0) } ?? "-" }
        out.append("")
        out.append("outcome      \(r.outcome.rawValue)\(r.title.map { ": \(TerminalText.line($0))" } ?? "")")
        out.append("milestone    \(r.lastMilestone.rawValue)")
        if let last = r.lastLine { out.append("last line    \(TerminalText.line(last))") }
        out.append("time         \(secs(r.secondsToOutcome)) to outcome, first byte after \(secs(r.firstByteSeconds))")
        if let stall = r.stallSeconds { out.append("stall        \(String(format: "%.1f", stall)) s of silence, vCPUs \(r.vcpu?.rawValue ?? "unknown")") }
        out.append("console      \(r.lines) lines, \(r.bytes) bytes")
        out.append("ended by     \(TerminalText.line(endingText(r.ending)))")
        if let create = boot.createSeconds { out.append("create       \(String(format: "%.2f s", create)) (\(boot.domain ?? "-"), destroyed)") }
        if let t = boot.transcript { out.append("transcript   \(t)") }
        for note in boot.notes { out.append("note         \(TerminalText.line(note))") }
        return out.joined(separator: "\n")
    }

    public static func endingText(_ e: BootEnding) -> String {
        switch e {
        case .successMarker: "the success marker"
        case .fatalSignature: "a fatal signature (after its grace period)"
        case .stall(let s, let v): "a stall: \(Int(s)) s of console silence, vCPUs \(v.rawValue)"
        case .domainStopped(let r): "the domain stopping (\(r.rawValue))"
        case .timeout: "the boot timeout"
        case .consoleClosed: "the console closing"
        case .startFailure(let m): "a start failure: \(m)"
        case .infrastructureError(let m): "an infrastructure error: \(m)"
        case .endOfLog: "the end of the log"
        }
    }
}

/// docs/contract.md's exit codes for one boot: 0 booted, 2 any failed outcome, 3 when the tool
/// could not judge.
public enum BootExit {
    public static func status(for outcome: BootOutcome) -> Int32 {
        switch outcome {
        case .booted: ExitStatus.healthy.rawValue
        case .infraError: ExitStatus.unknown.rawValue
        default: ExitStatus.critical.rawValue
        }
    }
}
