import CanaryClassify
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// The one line a monitoring plugin prints (Nagios / Icinga plugin guidelines):
/// `BOOTCANARY OK - text | perfdata`. Console text never reaches it except through the
/// summary, which is made terminal-safe.
public enum CanaryStatus {
    public static func word(_ status: ExitStatus) -> String {
        switch status {
        case .healthy: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown, .usage: "UNKNOWN"
        }
    }

    public static func line(_ record: RunRecord) -> String {
        let d = record.diagnosis
        let host = record.host.hostname
        let suspect = record.boots.filter { ($0.host ?? .suspect) == .suspect }
        var text: String
        if d.verdict == .healthy {
            var kinds: [String] = []
            for kind in ProbeKind.allCases {
                let times = suspect.filter { $0.kind == kind && $0.outcome == .booted }.compactMap(\.secondsToOutcome)
                if let worst = times.max() { kinds.append("\(kind.rawValue) \(String(format: "%.1f", worst)) s") }
            }
            text = "\(host): \(suspect.count) of \(suspect.count) canary boots reached login (\(kinds.joined(separator: ", ")))"
        } else {
            text = "\(host): \(d.verdict.rawValue), \(d.action.rawValue) - \(d.summary)"
        }
        // Nagios takes everything after the first `|` as perfdata: a title quoting one would
        // corrupt the metrics, so the text has none.
        return "BOOTCANARY \(word(d.exitStatus)) - \(TerminalText.line(text).replacingOccurrences(of: "|", with: "/")) | \(perfdata(record))"
    }

    /// `'kernel_login_seconds'=4.2s;;;0` per kind, then the boot counts.
    static func perfdata(_ record: RunRecord) -> String {
        var parts: [String] = []
        let suspect = record.boots.filter { ($0.host ?? .suspect) == .suspect }
        for kind in ProbeKind.allCases {
            let boots = suspect.filter { $0.kind == kind }
            guard !boots.isEmpty else { continue }
            if let t = boots.filter({ $0.outcome == .booted }).compactMap(\.secondsToOutcome).max() {
                parts.append("'\(kind.rawValue)_login_seconds'=\(String(format: "%.2f", t))s;;;0")
            }
            parts.append("'\(kind.rawValue)_failed_boots'=\(boots.filter { $0.outcome != .booted && $0.outcome != .infraError }.count);;;0;\(boots.count)")
        }
        parts.append("'boots'=\(suspect.count);;;0")
        return parts.joined(separator: " ")
    }
}
