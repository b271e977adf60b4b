import CanaryClassify
import CanaryModel

/// How several boots' failure points compare: the same title, the same last milestone, or
/// varying. It only describes; the diagnosis (host fault or image fault) is built on it
/// elsewhere. Independent kernels failing at *different* points hints at the host; the same
/// title or milestone everywhere hints at what they share.
public struct FailurePointComparison: Sendable, Encodable {
    /// One boot's failure point.
    public struct Point: Sendable, Encodable, Hashable {
        public var name: String
        public var kind: ProbeKind?
        public var outcome: BootOutcome
        public var lastMilestone: Milestone
        public var title: String?
        public var lastLine: String?

        public init(name: String, kind: ProbeKind? = nil, outcome: BootOutcome, lastMilestone: Milestone,
                    title: String?, lastLine: String?) {
            self.name = name
            self.kind = kind
            self.outcome = outcome
            self.lastMilestone = lastMilestone
            self.title = title
            self.lastLine = lastLine
        }

        public init(name: String, kind: ProbeKind? = nil, result: BootResult) {
            self.init(name: name, kind: kind, outcome: result.outcome, lastMilestone: result.lastMilestone,
                      title: result.title, lastLine: result.lastLine)
        }
    }

    /// Whether a property agrees across the failed boots.
    public enum Agreement: String, Sendable, Encodable {
        /// Every failed boot has the same value.
        case same
        /// The failed boots differ.
        case varying
        /// Fewer than two failed boots, or the property is unknown in all of them.
        case notComparable = "not_comparable"
    }

    /// A property's agreement and, when `same`, its common value.
    public struct Comparison: Sendable, Encodable, Hashable {
        public var agreement: Agreement
        public var value: String?
        /// Each distinct value and how many failed boots had it, most frequent first.
        public var values: [ValueCount]
    }

    public struct ValueCount: Sendable, Encodable, Hashable {
        public var value: String
        public var boots: Int
    }

    public var points: [Point]
    /// Boots that reached success (not compared).
    public var booted: Int
    /// Boots that failed (bootcanary's own infrastructure errors are not failures of the guest).
    public var failed: Int
    public var outcome: Comparison
    public var title: Comparison
    public var lastMilestone: Comparison
    public var lastLine: Comparison

    public init(_ points: [Point]) {
        self.points = points
        let failures = points.filter { !$0.outcome.isSuccess && $0.outcome.isGuestEvidence }
        booted = points.filter { $0.outcome.isSuccess }.count
        failed = failures.count
        outcome = Self.compare(failures.map { $0.outcome.rawValue })
        title = Self.compare(failures.map { $0.title })
        lastMilestone = Self.compare(failures.map { $0.lastMilestone.rawValue })
        lastLine = Self.compare(failures.map { $0.lastLine })
    }

    static func compare(_ values: [String?]) -> Comparison {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for case let v? in values {
            if counts[v] == nil { order.append(v) }
            counts[v, default: 0] += 1
        }
        let list = order.map { ValueCount(value: $0, boots: counts[$0]!) }.sorted { $0.boots > $1.boots }
        let known = values.compactMap { $0 }
        guard values.count >= 2, !known.isEmpty else {
            return Comparison(agreement: .notComparable, value: nil, values: list)
        }
        if known.count == values.count, counts.count == 1 {
            return Comparison(agreement: .same, value: known[0], values: list)
        }
        return Comparison(agreement: .varying, value: nil, values: list)
    }

    /// One or two sentences for a person.
    public var summary: String {
        if failed == 0 { return points.count == booted ? "All \(booted) boots succeeded." : "No boot failed in a way the guest showed." }
        if failed == 1 { return "Only one boot failed (\(booted) booted); nothing to compare." }
        var parts: [String] = ["\(failed) of \(points.count) boots failed"]
        switch title.agreement {
        case .same: parts.append("all with the same title \"\(title.value!)\"")
        case .varying: parts.append("with \(title.values.count) different titles")
        case .notComparable: parts.append("without a failure title")
        }
        switch lastMilestone.agreement {
        case .same: parts.append("all after the same milestone (\(lastMilestone.value!))")
        case .varying: parts.append("after different milestones (\(lastMilestone.values.map(\.value).joined(separator: ", ")))")
        case .notComparable: break
        }
        return parts.joined(separator: ", ") + "."
    }
}
