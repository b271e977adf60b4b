import CanaryClassify
import CanaryModel
import Foundation

/// One boot as the diagnosis sees it: what was booted, on which host, and how it ended.
/// Built from a live `ProbeBoot` or from a saved console (`analyze`), so both give the same
/// diagnosis.
public struct BootObservation: Sendable, Equatable {
    /// Which host the boot ran on (`BootHost`, in Model: boot records carry it too).
    public typealias Host = BootHost

    public var kind: ProbeKind
    public var run: Int
    public var host: Host
    /// Whether the guest's disk was attached (pygrub, image, and kernel with `--image`).
    public var usesGuestDisk: Bool
    public var outcome: BootOutcome
    public var lastMilestone: Milestone
    public var title: String?
    public var lastLine: String?
    public var lastLineNumber: Int?
    public var signature: SignatureKind?
    public var vcpu: VCPUPattern?
    public var stallSeconds: Double?
    public var secondsToOutcome: Double?
    public var evidence: [Evidence]
    /// For infrastructure errors: what went wrong in the tooling.
    public var infraMessage: String?
    /// For start failures: what the hypervisor said when it refused the domain.
    public var startFailureMessage: String?

    public init(kind: ProbeKind, run: Int, host: Host = .suspect, usesGuestDisk: Bool, result: BootResult) {
        self.kind = kind
        self.run = run
        self.host = host
        self.usesGuestDisk = usesGuestDisk
        outcome = result.outcome
        lastMilestone = result.lastMilestone
        title = result.title
        lastLine = result.lastLine
        lastLineNumber = result.lastLineNumber
        signature = result.signature
        vcpu = result.vcpu
        stallSeconds = result.stallSeconds
        secondsToOutcome = result.secondsToOutcome
        evidence = result.evidence
        infraMessage = nil
        startFailureMessage = nil
        switch result.ending {
        case .infrastructureError(let m): infraMessage = m
        case .startFailure(let m): startFailureMessage = m
        default: break
        }
        if outcome == .timedOut { infraMessage = Self.timedOutMessage(lastMilestone) }
    }

    /// Why a boot cut off by `--timeout` while still printing is not counted.
    static func timedOutMessage(_ milestone: Milestone) -> String {
        "the guest was still printing (last milestone: \(milestone.rawValue)) when --timeout ran out; raise --timeout for this host"
    }

    /// From a recorded boot (a run record, or `analyze` of a transcript whose metadata names
    /// its kind). Returns nil when the record does not say which kind of boot it was.
    public init?(described d: DescribedBoot, kind fallback: ProbeKind? = nil, run fallbackRun: Int = 1) {
        guard let kind = d.kind ?? fallback else { return nil }
        self.kind = kind
        run = d.run ?? fallbackRun
        host = d.host ?? .suspect
        usesGuestDisk = d.usesGuestDisk ?? (kind != .installer)
        outcome = d.outcome
        lastMilestone = d.lastMilestone
        title = d.title
        lastLine = d.lastLine
        lastLineNumber = nil
        signature = d.signature
        vcpu = d.vcpu
        stallSeconds = d.stallSeconds
        secondsToOutcome = d.secondsToOutcome
        evidence = d.evidence
        infraMessage = nil
        startFailureMessage = nil
        switch d.ending {
        case .infrastructureError(let m): infraMessage = m
        case .startFailure(let m): startFailureMessage = m
        default: break
        }
        if outcome == .timedOut { infraMessage = Self.timedOutMessage(lastMilestone) }
    }

    /// `pygrub#2`, `installer#1@control`: how evidence names a boot.
    public var label: String { "\(kind.rawValue)#\(run)" + (host == .control ? "@control" : "") }

    public var booted: Bool { outcome == .booted }
    public var isGuestEvidence: Bool { outcome.isGuestEvidence }
    public var failed: Bool { isGuestEvidence && !booted }

    /// Where the boot stopped, comparable across boots: its normalized title, else its last
    /// milestone and last line.
    public var failurePoint: String {
        if let title { return title }
        if outcome == .startFailure, let m = startFailureMessage { return "start refused: " + Self.withoutProbeNames(m) }
        if outcome == .noOutput { return "no console output at all" }
        return "\(lastMilestone.rawValue): \(lastLine ?? "(no output)")"
    }

    /// Error texts name the domain (`libxenlight failed to create new domain
    /// 'bootcanary-3f0db6-pygrub-1'`); the same refusal on two boots must compare equal.
    static func withoutProbeNames(_ text: String) -> String {
        text.replacingOccurrences(of: #"bootcanary-[0-9a-f]+c?-[a-z]+-[0-9]+"#, with: "NAME", options: .regularExpression)
    }

    /// A stall while the domain ran but its vCPUs got no time: the hypervisor not
    /// scheduling the guest.
    public var frozen: Bool { (outcome == .stalled || outcome == .noOutput) && vcpu == .frozen }

    /// Console lines that only the host side explains: a xenbus backend that never came up
    /// (a remote state `XenbusStateTable` marks `backendNeverConnected`: 1 Initialising,
    /// 2 InitWait), a failed callback vector, a guest that went silent right after the
    /// hypervisor banner.
    public var hostSideSign: String? {
        for e in evidence where e.reason.contains("xenbus") {
            if XenbusStateTable.backendNeverConnected(in: e.text) {
                return "xenbus backend never connected: \(e.text)"
            }
        }
        if let title, XenbusStateTable.backendNeverConnected(in: title) {
            return "xenbus backend never connected: \(title)"
        }
        if let line = lastLine, line.contains("callback vector") && line.lowercased().contains("fail") {
            return "Xen callback vector failed: \(line)"
        }
        if outcome == .stalled, lastMilestone == .hypervisor || lastMilestone == .hypervisorCore {
            return "silent right after the hypervisor was detected (\(lastLine ?? ""))"
        }
        return nil
    }

    /// Whether the guest's own kernel never ran properly: pygrub could not read it, the
    /// decompressor rejected it, the hypervisor refused it.
    public var kernelNeverRan: Bool {
        switch outcome {
        case .bootloaderFailure, .startFailure: return true
        case .noOutput: return true
        default: return lastMilestone < .kernel && (signature == .decompressorError || signature == .bootloaderError)
        }
    }
}

/// Kinds that do not depend on the guest image's kernel; `installer` not on its disk either.
extension ProbeKind {
    public var isIndependentOfImageKernel: Bool { self == .kernel || self == .installer }
    public var dependsOnImage: Bool { self == .pygrub || self == .image }
}
