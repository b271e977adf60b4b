import CanaryClassify
import CanaryModel
import Foundation

/// One boot as the diagnosis sees it: its record, with the kind and run it must have to be
/// compared. Built from a live boot or from a saved console (`analyze`) the same way, so both
/// give the same diagnosis; the record's result fields read through (`boot.outcome`).
@dynamicMemberLookup
public struct BootObservation: Sendable, Equatable {
    public var record: BootRecord
    public var kind: ProbeKind
    public var run: Int

    /// From a boot record. Returns nil when the record does not say which kind of boot it was
    /// (a saved console without metadata, and no `kind` given for it).
    public init?(_ record: BootRecord, kind fallback: ProbeKind? = nil, run fallbackRun: Int = 1) {
        guard let kind = record.kind ?? fallback else { return nil }
        self.record = record
        self.kind = kind
        run = record.run ?? fallbackRun
    }

    /// A boot known only by its result (tests, and `analyze` with kinds given per file).
    public init(kind: ProbeKind, run: Int, host: BootHost = .suspect, usesGuestDisk: Bool, result: BootResult) {
        record = BootRecord(identity: .init(kind: kind, run: run, host: host), result: result,
                            live: .init(usesGuestDisk: usesGuestDisk))
        self.kind = kind
        self.run = run
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<BootResult, T>) -> T {
        get { record.result[keyPath: path] }
        set { record.result[keyPath: path] = newValue }
    }

    public var host: BootHost {
        get { record.host ?? .suspect }
        set { record.host = newValue }
    }
    /// Whether the guest's disk was attached; a record that does not say is read from its kind
    /// (only the installer boots without the disk).
    public var usesGuestDisk: Bool {
        get { record.usesGuestDisk ?? (kind != .installer) }
        set { record.usesGuestDisk = newValue }
    }

    /// For infrastructure errors (and boots cut off by `--timeout`): what went wrong in the tooling.
    public var infraMessage: String? {
        if record.outcome == .timedOut { return Self.timedOutMessage(record.lastMilestone) }
        if case .infrastructureError(let m) = record.ending { return m }
        return nil
    }

    /// For start failures: what the hypervisor said when it refused the domain.
    public var startFailureMessage: String? {
        if case .startFailure(let m) = record.ending { return m }
        return nil
    }

    /// Why a boot cut off by `--timeout` while still printing is not counted.
    static func timedOutMessage(_ milestone: Milestone) -> String {
        "the guest was still printing (last milestone: \(milestone.rawValue)) when --timeout ran out; raise --timeout for this host"
    }

    /// `pygrub#2`, `installer#1@control`: how evidence names a boot.
    public var label: BootLabel { BootLabel(kind: kind, run: run, host: host) }

    public var outcome: BootOutcome {
        get { record.outcome }
        set { record.outcome = newValue }
    }
    public var booted: Bool { outcome == .booted }
    public var isGuestEvidence: Bool { outcome.isGuestEvidence }
    public var failed: Bool { isGuestEvidence && !booted }

    /// Where the boot stopped, comparable across boots: its normalized title, else its last
    /// milestone and last line.
    public var failurePoint: String {
        if let title = record.title { return title }
        if outcome == .startFailure, let m = startFailureMessage { return "start refused: " + Self.withoutProbeNames(m) }
        if outcome == .noOutput { return "no console output at all" }
        return "\(record.lastMilestone.rawValue): \(record.lastLine ?? "(no output)")"
    }

    /// Error texts name the domain (`libxenlight failed to create new domain
    /// 'bootcanary-3f0db6-pygrub-1'`); the same refusal on two boots must compare equal.
    static func withoutProbeNames(_ text: String) -> String {
        text.replacingOccurrences(of: #"bootcanary-[0-9a-f]+c?-[a-z]+-[0-9]+"#, with: "NAME", options: .regularExpression)
    }

    /// A stall while the domain ran but its vCPUs got no time: the hypervisor not
    /// scheduling the guest. Either the watchdog saw the vCPU time stand still, or the
    /// hypervisor itself showed the vCPUs runnable and barely scheduled while pCPUs were idle
    /// (`notScheduled`): a vCPU whose time still creeps forward is the same fault as one
    /// that gets none.
    public var frozen: Bool { (outcome == .stalled || outcome == .noOutput) && (record.vcpu == .frozen || notScheduled) }

    /// The hypervisor's two looks (`xl vcpu-list`, 2 s apart) found every vCPU runnable,
    /// given at most 5 % of a pCPU, with pCPUs idle.
    public var notScheduled: Bool { record.live.hostEvidence?.scheduling?.reading == .notScheduled }

    /// The function vCPU0 was in when the boot stalled (`native_safe_halt`), once symbolized.
    public var stallFunction: String? { record.live.hostEvidence?.locations.first { $0.vcpu == 0 }?.function }

    /// Where the vCPUs were, in the kernel's words (`vCPU0 in native_safe_halt+0x12`), when
    /// symbolized.
    public var vcpuLocations: String? {
        let named = (record.live.hostEvidence?.locations ?? []).compactMap { l in l.symbol.map { "vCPU\(l.vcpu) in \($0)" } }
        return named.isEmpty ? nil : named.joined(separator: ", ")
    }

    /// How many lines after the hypervisor's detection a silence still counts as right after it.
    static let rightAfterLines = 5

    /// Console lines that only the host side explains: a xenbus backend that never came up
    /// (a remote state `XenbusStateTable` marks `backendNeverConnected`: 1 Initialising,
    /// 2 InitWait), a failed callback vector, a guest that went silent right after the
    /// hypervisor banner.
    public var hostSideSign: String? {
        for e in record.evidence where e.reason.contains("xenbus") {
            if XenbusStateTable.backendNeverConnected(in: e.text) {
                return "xenbus backend never connected: \(e.text)"
            }
        }
        if let title = record.title, XenbusStateTable.backendNeverConnected(in: title) {
            return "xenbus backend never connected: \(title)"
        }
        if let line = record.lastLine, line.contains("callback vector") && line.lowercased().contains("fail") {
            return "Xen callback vector failed: \(line)"
        }
        // Only when the silence really follows the detection: on the Xen lab a PV kernel stays
        // at `hypervisor_core` for 170 lines more (the milestone table has nothing between it
        // and `devices` for PV), and a capped guest stalled at line 173 read "silent right
        // after the hypervisor was detected (Asymmetric key parser 'x509' registered)".
        if outcome == .stalled, record.lastMilestone == .hypervisor || record.lastMilestone == .hypervisorCore,
           let seen = record.milestones.last(where: { $0.milestone == record.lastMilestone }),
           let last = record.lastLineNumber, last - seen.line <= Self.rightAfterLines {
            return "silent right after the hypervisor was detected (\(record.lastLine ?? ""))"
        }
        return nil
    }

    /// Whether the guest's own kernel never ran properly: pygrub could not read it, the
    /// decompressor rejected it, the hypervisor refused it.
    public var kernelNeverRan: Bool {
        switch outcome {
        case .bootloaderFailure, .startFailure: return true
        case .noOutput: return true
        default: return record.lastMilestone < .kernel && (record.signature == .decompressorError || record.signature == .bootloaderError)
        }
    }
}

/// Kinds that do not depend on the guest image's kernel; `installer` not on its disk either.
extension ProbeKind {
    public var isIndependentOfImageKernel: Bool { self == .kernel || self == .installer }
    public var dependsOnImage: Bool { self == .pygrub || self == .image }
}
