import CanaryModel

/// What the boots of one host add up to, kind by kind: the facts every diagnosis rule reads.
/// Computed once, so the rules stay short sentences over named facts.
public struct MatrixFacts: Sendable {
    /// One kind's boots on one host.
    public struct KindFacts: Sendable, Equatable {
        public var kind: ProbeKind
        /// Boots that say something about guest or host (infrastructure errors excluded).
        public var boots: [BootObservation]
        public var passes: Int { boots.filter(\.booted).count }
        public var failures: [BootObservation] { boots.filter(\.failed) }
        public var runs: Int { boots.count }
        public var allPass: Bool { runs > 0 && passes == runs }
        public var allFail: Bool { runs > 0 && passes == 0 }
        public var mixed: Bool { passes > 0 && passes < runs }
        public var usesGuestDisk: Bool { boots.contains(where: \.usesGuestDisk) }

        /// Every failure stopped at the same point, at least twice: something deterministic.
        public var deterministic: Bool {
            let points = Set(failures.map(\.failurePoint))
            return failures.count >= 2 && points.count == 1
        }

        /// Failures at more than one point.
        public var varying: Bool { Set(failures.map(\.failurePoint)).count > 1 }
    }

    public var suspect: [ProbeKind: KindFacts]
    public var control: [ProbeKind: KindFacts]
    /// Boots that failed in bootcanary's own tooling, never counted as evidence.
    public var infrastructure: [BootObservation]

    public init(_ boots: [BootObservation]) {
        func group(_ host: BootHost) -> [ProbeKind: KindFacts] {
            var out: [ProbeKind: KindFacts] = [:]
            for b in boots where b.host == host && b.isGuestEvidence {
                out[b.kind, default: KindFacts(kind: b.kind, boots: [])].boots.append(b)
            }
            return out
        }
        suspect = group(.suspect)
        control = group(.control)
        infrastructure = boots.filter { !$0.isGuestEvidence }
    }

    public var kinds: [ProbeKind] { suspect.keys.sorted() }
    public var guestBoots: [BootObservation] { kinds.flatMap { suspect[$0]!.boots } }
    public var failures: [BootObservation] { guestBoots.filter(\.failed) }
    public var passes: [BootObservation] { guestBoots.filter(\.booted) }

    public var failingKinds: [ProbeKind] { kinds.filter { suspect[$0]!.failures.count > 0 } }
    public var passingKinds: [ProbeKind] { kinds.filter { suspect[$0]!.allPass } }
    public var mixedKinds: [ProbeKind] { kinds.filter { suspect[$0]!.mixed } }

    /// Failures of kernels that do not come from the guest image.
    public var independentFailures: [BootObservation] { failures.filter { $0.kind.isIndependentOfImageKernel } }
    public var frozenFailures: [BootObservation] { failures.filter(\.frozen) }
    public var hostSideSigns: [(BootObservation, String)] { failures.compactMap { b in b.hostSideSign.map { (b, $0) } } }

    /// Distinct failure points across all failed boots.
    public var failurePoints: Set<String> { Set(failures.map(\.failurePoint)) }

    /// The failure comparison `analyze` prints, over the suspect host's boots.
    public var comparison: FailurePointComparison {
        FailurePointComparison(guestBoots.map {
            FailurePointComparison.Point(name: $0.label.description, kind: $0.kind, outcome: $0.outcome, lastMilestone: $0.lastMilestone,
                                         title: $0.title, lastLine: $0.lastLine)
        })
    }

    public func kind(_ k: ProbeKind) -> KindFacts? { suspect[k] }
}
