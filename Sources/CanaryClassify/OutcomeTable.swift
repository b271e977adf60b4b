import CanaryModel

/// One rule of the boot's verdict: how it ended and what its console showed, to the outcome,
/// the moment the outcome counts as decided (`secondsToOutcome`), and the stall it measures.
public struct OutcomeRule: Sendable, Hashable {
    /// How the boot ended (`BootEnding` without its payloads; a stopped domain by reason).
    public enum Ending: String, Sendable, Hashable, CaseIterable {
        case successMarker, fatalSignature, stall, timeout, consoleClosed, startFailure, infrastructureError, endOfLog
        case domainShutdown, domainCrashed, domainDestroyed, domainOther

        public init(_ ending: BootEnding) {
            switch ending {
            case .successMarker: self = .successMarker
            case .fatalSignature: self = .fatalSignature
            case .stall: self = .stall
            case .domainStopped(.shutdown): self = .domainShutdown
            case .domainStopped(.crashed): self = .domainCrashed
            case .domainStopped(.destroyed): self = .domainDestroyed
            case .domainStopped(.other): self = .domainOther
            case .timeout: self = .timeout
            case .consoleClosed: self = .consoleClosed
            case .startFailure: self = .startFailure
            case .infrastructureError: self = .infrastructureError
            case .endOfLog: self = .endOfLog
            }
        }
    }

    /// What the console must have shown for the rule to apply.
    public enum Console: Sendable, Hashable {
        case anything
        /// Not one complete line (a prompt still waiting on the first line is no line yet).
        case silent
        /// The success marker, on or before the first fatal signature's line.
        case successFirst
        /// A fatal signature (its worst one names the outcome).
        case fatalSignature
        /// A fatal signature whose worst one gives this outcome.
        case worstSignature(BootOutcome)
        /// A shutdown signature (`reboot: Power down`).
        case shutdownSeen
        /// The last byte came within 15 s of the end and within the last tenth of the output's
        /// span (`OutcomeTable.stillPrinting`).
        case stillPrinting
    }

    public enum Outcome: Sendable, Hashable {
        case fixed(BootOutcome)
        /// The worst fatal signature's (`SignatureKind.outcome`): a panic beats an oops ...
        case worstSignature
    }

    /// Which moment `secondsToOutcome` is.
    public enum DecidedAt: Sendable, Hashable {
        /// When the caller ended the boot (its end time).
        case end
        /// The success marker's line.
        case successLine
        /// The first fatal signature's line.
        case firstFatal
        /// The last console byte: a saved log says nothing of what came after it.
        case lastByte
    }

    /// What `stallSeconds` and `vcpu` hold.
    public enum Stall: Sendable, Hashable {
        case none
        /// The caller's silence and the vCPU pattern it sampled (a `.stall` ending).
        case fromEnding
        /// From the last console byte to the end, no vCPU pattern.
        case sinceLastByte
    }

    public var endings: [Ending]
    public var console: Console
    public var outcome: Outcome
    public var decidedAt: DecidedAt
    public var stall: Stall
    /// Why the row exists: the boot, fixture or test that made it.
    public var why: String

    public init(_ endings: [Ending], when console: Console = .anything, _ outcome: Outcome, decidedAt: DecidedAt = .end,
                stall: Stall = .none, why: String) {
        self.endings = endings
        self.console = console
        self.outcome = outcome
        self.decidedAt = decidedAt
        self.stall = stall
        self.why = why
    }
}

/// The boot's verdict, for the live console and saved logs alike (`BootClassifier.judge`).
/// The first row whose ending and console condition both hold decides; every ending with
/// every console reaches a row.
///
/// The order is the policy: a refused start before a silent console (a refused start has no
/// console), a silent console before what lines showed, the success marker before a later
/// fatal signature, the kernel's own verdict before how the boot was stopped, and a
/// condition on an ending before the same ending's plain row.
///
/// To change a verdict: change or add a row, in its place. Nothing else changes.
public enum OutcomeTable {
    public static let standard: [OutcomeRule] = [
        // a refused start: nothing ran, whatever the console shows
        .init([.startFailure], when: .worstSignature(.bootloaderFailure), .fixed(.bootloaderFailure),
              why: "pygrub's own error or libxl's `bootloader failed - consult logfile` makes a refused start the bootloader's"),
        .init([.startFailure], .fixed(.startFailure),
              why: "libvirt/libxl refused the domain (`libxenlight failed to create new domain`; BootClassifierTests.noOutputWhenNothingArrived)"),

        // a silent console
        .init([.infrastructureError], when: .silent, .fixed(.infraError), why: "our console was lost before its first byte"),
        .init([.domainCrashed], when: .silent, .fixed(.crashed),
              why: "libvirt's STOPPED_CRASHED (Xen SHUTDOWN_crash) before any byte: the hypervisor says the guest died"),
        .init([.domainShutdown], when: .silent, .fixed(.poweredOff), why: "the domain shut down before any byte"),
        .init([.stall], when: .silent, .fixed(.noOutput), stall: .fromEnding,
              why: "silent from the start: the vCPU pattern still tells a guest that never printed from one the hypervisor never ran"),
        .init(OutcomeRule.Ending.allCases, when: .silent, .fixed(.noOutput),
              why: "not one line, however it ended (lab-no-output-hvc0: the kernel printed to a console nobody read)"),

        // what the console decided
        .init(OutcomeRule.Ending.allCases, when: .successFirst, .fixed(.booted), decidedAt: .successLine,
              why: "the success marker before any fatal signature; later ones stay evidence (lab-healthy-initramfs: login, then the console closed)"),
        .init(OutcomeRule.Ending.allCases, when: .fatalSignature, .worstSignature, decidedAt: .firstFatal,
              why: "the kernel's own verdict beats how the boot was stopped (lab-sysrq-panic: a panic, then the console closed)"),

        // how the boot was stopped, the console having decided nothing
        .init([.successMarker], .fixed(.booted), why: "the caller ended the boot on its success marker"),
        .init([.stall], .fixed(.stalled), stall: .fromEnding,
              why: "the watchdog's silence with the vCPU pattern it sampled (BootClassifierTests.stallKeepsSilenceAndVCPU)"),
        .init([.domainCrashed], .fixed(.crashed), why: "libvirt says the guest crashed, with no kernel message to say more"),
        .init([.domainShutdown], .fixed(.poweredOff), why: "the guest shut itself down (BootClassifierTests.domainEndings)"),
        .init([.domainDestroyed, .domainOther], .fixed(.infraError),
              why: "someone destroyed the domain, or libvirt gave another reason (failed, migrated, saved): nothing about the guest"),
        .init([.timeout], when: .stillPrinting, .fixed(.timedOut), stall: .sinceLastByte,
              why: "Xen lab under load: HVM boots printing a line every 3 s at the 900 s timeout were slow, not three stall points (TimedOutBootTests)"),
        .init([.timeout, .fatalSignature], .fixed(.stalled), stall: .sinceLastByte,
              why: "silent long before the deadline: a stall (lab-userspace-spin, silent from +3.3 s of a 10 s capture)"),
        .init([.consoleClosed], when: .shutdownSeen, .fixed(.poweredOff),
              why: "`reboot: Power down`, then the console closed (BootClassifierTests.domainEndings)"),
        .init([.consoleClosed], .fixed(.infraError), why: "the console closed with the domain still there and no shutdown on it: our side lost it"),
        .init([.infrastructureError], .fixed(.infraError), why: "our own tooling failed during the boot"),
        .init([.endOfLog], when: .shutdownSeen, .fixed(.poweredOff), decidedAt: .lastByte,
              why: "a saved log ending in `reboot: Power down` (pub-linuxkit-3029-shell-reboot-power-down)"),
        .init([.endOfLog], .fixed(.stalled), decidedAt: .lastByte,
              why: "a saved log that just ends stopped there, at its last byte (pub-rancheros-xenbus-vfb-timeout)"),
    ]

    /// Whether a boot the overall deadline cut off was still running: its last byte came within
    /// 15 s of the deadline — the shortest silence the watchdog ever calls a stall
    /// (`--frozen-after`'s default) — and within the last tenth of its output's span. The tenth
    /// keeps a short capture honest: fixtures/transcripts/lab-userspace-spin.log went silent at
    /// +3.3 s of a 10 s capture while its userspace spun, which is a stall, not a slow boot.
    static func stillPrinting(lastByte: Double?, firstByte: Double?, end: Double?) -> Bool {
        guard let last = lastByte, let end else { return false }
        let silence = end - last
        return silence < 15 && silence < 0.1 * (end - (firstByte ?? 0))
    }

    /// What the classifier saw, as the rows ask it.
    struct Facts: Sendable, Hashable {
        var lines: Int
        var successFirst: Bool
        /// The worst fatal signature's outcome.
        var worst: BootOutcome?
        var shutdownSeen: Bool
        var firstByte: Double?
        var lastByte: Double?
        var end: Double?
        var successTime: Double?
        var firstFatalTime: Double?

        func holds(_ console: OutcomeRule.Console) -> Bool {
            switch console {
            case .anything: true
            case .silent: lines == 0
            case .successFirst: successFirst
            case .fatalSignature: worst != nil
            case .worstSignature(let outcome): worst == outcome
            case .shutdownSeen: shutdownSeen
            case .stillPrinting: OutcomeTable.stillPrinting(lastByte: lastByte, firstByte: firstByte, end: end)
            }
        }
    }

    struct Decision: Sendable, Hashable {
        var outcome: BootOutcome
        var decidedAt: Double?
        var stallSeconds: Double?
        var vcpu: VCPUPattern?
        /// The row that decided; nil only if the table had a hole.
        var row: Int?
    }

    /// The first row that applies.
    static func row(for ending: OutcomeRule.Ending, _ facts: Facts) -> Int? {
        standard.firstIndex { $0.endings.contains(ending) && facts.holds($0.console) }
    }

    static func decide(_ ending: BootEnding, _ facts: Facts) -> Decision {
        guard let k = row(for: OutcomeRule.Ending(ending), facts) else {
            // A hole in the table is our fault, never the guest's (OutcomeTableTests prove
            // there is none).
            return Decision(outcome: .infraError, decidedAt: facts.end, row: nil)
        }
        let rule = standard[k]
        var decision = Decision(outcome: .infraError, row: k)
        switch rule.outcome {
        case .fixed(let outcome): decision.outcome = outcome
        case .worstSignature: decision.outcome = facts.worst ?? .infraError
        }
        switch rule.decidedAt {
        case .end: decision.decidedAt = facts.end
        case .successLine: decision.decidedAt = facts.successTime
        case .firstFatal: decision.decidedAt = facts.firstFatalTime
        case .lastByte: decision.decidedAt = facts.lastByte
        }
        switch rule.stall {
        case .none: break
        case .fromEnding:
            if case .stall(let silence, let pattern) = ending {
                decision.stallSeconds = silence
                decision.vcpu = pattern
            }
        case .sinceLastByte:
            if let end = facts.end, let last = facts.lastByte { decision.stallSeconds = max(0, end - last) }
        }
        return decision
    }
}
