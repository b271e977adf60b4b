import CanaryHostFacts
import CanaryModel

/// The diagnosis over many boots (docs/contract.md): what is wrong, how sure, what to do, in one
/// sentence for the ticket, with the boots and lines that show it.
public struct Diagnosis: Codable, Sendable, Equatable {
    public var verdict: Verdict
    /// 0...1.
    public var confidence: Double
    public var action: Action
    /// One sentence a person pastes into a ticket.
    public var summary: String
    public var evidence: [Item]
    /// Running domains a host reboot would interrupt (always listed; named in the summary
    /// when the action is `reboot_host`).
    public var blastRadius: [RunningDomain]
    /// What to run to become surer (when inconclusive, or to confirm).
    public var next: [String]
    /// The rule that decided, and why each rule that looked at the boots said what it said:
    /// the audit trail a reviewer reads.
    public var rule: String
    public var reasoning: [String]
    /// True when more boots of the planned kinds could not change the verdict.
    public var settled: Bool

    /// One piece of evidence: a boot, a console line of it, and why it matters.
    public struct Item: Codable, Sendable, Equatable {
        /// The boot's label (`BootLabel`), as reports find it.
        public var boot: String
        public var line: Int?
        public var reason: String
        public var text: String?

        public init(boot: BootLabel, line: Int?, reason: String, text: String? = nil) {
            self.boot = boot.description
            self.line = line
            self.reason = reason
            self.text = text
        }
    }

    /// docs/contract.md's exit code for this verdict.
    public var exitStatus: ExitStatus {
        switch verdict {
        case .healthy: .healthy
        case .intermittent, .inconclusive: .warning
        case .hostFault, .imageFault, .guestKernelFault, .platformRegression: .critical
        }
    }
}

/// Where the boots ran, for the sentences: the host's name and what a reboot would interrupt.
public struct DiagnosisContext: Sendable {
    public var hostname: String
    public var blastRadius: [RunningDomain]
    /// False when the running domains are not known (saved consoles): say nothing about them.
    public var blastRadiusKnown: Bool = true
    /// The probe kinds the run could have booted (so `next` can say what is missing).
    public var availableKinds: Set<ProbeKind>
    /// Whether a control host was given.
    public var hasControl: Bool
    /// Repetitions per kind the run was allowed.
    public var maxRuns: Int
    /// What the host's own logs showed during the run that points at the host
    /// (HostFindingTable): errors the hypervisor or KVM logged, daemons that did not answer.
    public var hostFindings: [HostFinding] = []

    public init(hostname: String, blastRadius: [RunningDomain] = [], availableKinds: Set<ProbeKind> = [],
                hasControl: Bool = false, maxRuns: Int = 2) {
        self.hostname = hostname
        self.blastRadius = blastRadius
        self.availableKinds = availableKinds
        self.hasControl = hasControl
        self.maxRuns = maxRuns
    }
}
