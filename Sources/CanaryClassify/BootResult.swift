import CanaryModel

/// A console line that supports a result, for people and for the diagnosis.
public struct Evidence: Sendable, Hashable, Codable {
    public var line: Int
    public var reason: String
    public var text: String
}

/// How one boot ended, judged from its console and how it stopped (`BootClassifier.judge`):
/// the classifier's part of the boot record (`BootRecord`), in docs/json.md's names. Times are
/// rounded to microseconds, what a transcript keeps, so a live boot and its saved transcript
/// give the same record.
public struct BootResult: Sendable, Hashable, Codable {
    public var outcome: BootOutcome
    public var lastMilestone: Milestone
    /// The last meaningful console line, prefixes and control sequences removed.
    @AlwaysEncoded public var lastLine: String?
    public var lastLineNumber: Int?
    /// Normalized failure title (syzkaller-style), comparable across boots.
    @AlwaysEncoded public var title: String?
    /// The worst signature kind seen.
    public var signature: SignatureKind?
    /// `kernel panic: REASON` when the kernel panicked (also when the title is an earlier oops).
    public var panicReason: String?
    public var evidence: [Evidence]
    /// Monotonic seconds from the boot's start to the moment the outcome was decided.
    @AlwaysEncoded public var secondsToOutcome: Double?
    /// Console silence at the end, when the boot stalled.
    @AlwaysEncoded public var stallSeconds: Double?
    /// What the vCPUs did during the stall, as the caller measured.
    @AlwaysEncoded public var vcpu: VCPUPattern?
    @AlwaysEncoded public var firstByteSeconds: Double?
    public var lastByteSeconds: Double?
    public var lines: Int
    public var bytes: Int
    public var milestones: [MilestoneSighting]
    /// Gaps between console lines per milestone, for milestones with at least one.
    public var gaps: [GapProfile.Summary]
    /// Which clock `gaps` were measured on.
    public var gapClock: GapProfile.Clock?
    public var ending: BootEnding
    /// The last meaningful lines, oldest first.
    public var lastLines: [String]
    /// A second `Linux version` banner: the guest rebooted on its own.
    public var reboots: Int
}

extension BootResult {
    /// The gaps measured while `milestone` was the last one reached.
    public func gaps(at milestone: Milestone) -> GapProfile.Summary? { gaps.first { $0.milestone == milestone } }

    /// Microseconds are what the transcript keeps (`ConsoleTime.micro`).
    static func micro(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }

    /// This result with every time rounded as a transcript would keep it.
    func roundedToMicroseconds() -> BootResult {
        var r = self
        r.secondsToOutcome = secondsToOutcome.map(Self.micro)
        r.stallSeconds = stallSeconds.map(Self.micro)
        r.firstByteSeconds = firstByteSeconds.map(Self.micro)
        r.lastByteSeconds = lastByteSeconds.map(Self.micro)
        for i in r.milestones.indices { r.milestones[i].seconds = r.milestones[i].seconds.map(Self.micro) }
        for i in r.gaps.indices {
            r.gaps[i].meanSeconds = Self.micro(r.gaps[i].meanSeconds)
            r.gaps[i].maxSeconds = Self.micro(r.gaps[i].maxSeconds)
        }
        return r
    }
}
