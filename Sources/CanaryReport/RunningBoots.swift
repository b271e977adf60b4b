import CanaryModel
import Foundation

/// The boots under way and how long each has run: the status line `diagnose` redraws every
/// second on a terminal (`running  pygrub#1 12 s  kernel#1 11 s`). Only text; when and where it
/// is drawn is the executable's (never into a pipe, where the log stays one line per event).
public struct RunningBoots: Sendable {
    private var started: [(label: BootLabel, at: Date)] = []

    public init() {}

    public var isEmpty: Bool { started.isEmpty }

    public mutating func start(_ label: BootLabel, at time: Date) {
        finish(label)
        started.append((label, time))
    }

    public mutating func finish(_ label: BootLabel) {
        started.removeAll { $0.label == label }
    }

    /// The status line at `now`, in start order, cut to `width` columns (a longer line would
    /// wrap, and `\r` then redraws only its last row); nil when nothing runs.
    public func line(now: Date, width: Int) -> String? {
        guard !started.isEmpty else { return nil }
        let parts = started.map { "\($0.label) \(Int(max(0, now.timeIntervalSince($0.at)))) s" }
        let text = "  running  " + parts.joined(separator: "  ")
        guard width > 0, text.count > width else { return text }
        return String(text.prefix(max(width - 1, 0))) + "…"
    }
}
