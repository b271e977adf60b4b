import CanaryModel

/// A console line that supports a result, for people and for the diagnosis.
public struct Evidence: Sendable, Hashable, Codable {
    public var line: Int
    public var reason: String
    public var text: String
}

/// How one boot ended, judged from its console and how it stopped (`BootClassifier.judge`).
public struct BootResult: Sendable, Hashable {
    public var outcome: BootOutcome
    public var lastMilestone: Milestone
    /// The last meaningful console line, prefixes and control sequences removed.
    public var lastLine: String?
    public var lastLineNumber: Int?
    /// Normalized failure title (syzkaller-style), comparable across boots.
    public var title: String?
    /// The worst signature kind seen.
    public var signature: SignatureKind?
    /// `kernel panic: REASON` when the kernel panicked (also when the title is an earlier oops).
    public var panicReason: String?
    public var evidence: [Evidence]
    /// Monotonic seconds from the boot's start to the moment the outcome was decided.
    public var secondsToOutcome: Double?
    /// Console silence at the end, when the boot stalled.
    public var stallSeconds: Double?
    /// What the vCPUs did during the stall, as the caller measured.
    public var vcpu: VCPUPattern?
    public var firstByteSeconds: Double?
    public var lastByteSeconds: Double?
    public var lines: Int
    public var bytes: Int
    public var milestones: [MilestoneSighting]
    public var gaps: GapProfile
    public var ending: BootEnding
    /// The last meaningful lines, oldest first.
    public var lastLines: [String]
    /// A second `Linux version` banner: the guest rebooted on its own.
    public var reboots: Int
}
