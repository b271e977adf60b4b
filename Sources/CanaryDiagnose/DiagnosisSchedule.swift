import CanaryModel

/// Which boots the diagnosis wants next. Pure: it looks at what has run and what the
/// correlator says, so the policy is tested without a guest.
///
/// - Round one boots every kind once.
/// - A kind that failed is booted again until it has two runs, even with `--runs 1`: one
///   failure cannot show whether it is deterministic.
/// - Further rounds boot every kind up to `maxRuns`.
/// - Stop as soon as the diagnosis is settled (more boots cannot change it), or nothing is
///   left to run.
public struct DiagnosisSchedule: Sendable {
    public var kinds: [ProbeKind]
    public var maxRuns: Int

    public static let minimumRunsOfAFailingKind = 2

    public init(kinds: [ProbeKind], maxRuns: Int) {
        self.kinds = kinds
        self.maxRuns = max(1, maxRuns)
    }

    /// The next round: (kind, repetition) pairs not yet run. Empty means done.
    public func nextRound(after boots: [BootObservation], diagnosis: Diagnosis?) -> [(kind: ProbeKind, repetition: Int)] {
        let suspect = boots.filter { $0.host == .suspect }
        if suspect.isEmpty { return kinds.map { ($0, 1) } }
        if diagnosis?.settled == true { return [] }
        var round: [(ProbeKind, Int)] = []
        for kind in kinds {
            let runs = suspect.filter { $0.kind == kind }
            let failed = runs.contains { $0.failed }
            let allInfra = !runs.isEmpty && runs.allSatisfy { !$0.isGuestEvidence }
            let limit = failed ? max(maxRuns, Self.minimumRunsOfAFailingKind) : maxRuns
            // A kind whose every boot failed in our own tooling will fail the same way again.
            if allInfra && runs.count >= 1 { continue }
            if runs.count < limit { round.append((kind, (runs.map(\.run).max() ?? 0) + 1)) }
        }
        return round
    }

    /// Every kind, every repetition, at once: the fixed matrix run without early stop.
    public var fullMatrix: [(kind: ProbeKind, repetition: Int)] {
        (1...maxRuns).flatMap { run in kinds.map { ($0, run) } }
    }
}
