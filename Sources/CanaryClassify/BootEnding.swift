import CanaryModel

/// How libvirt said a domain stopped.
public enum DomainStopReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The guest shut down or powered off (VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN).
    case shutdown
    /// The guest crashed (VIR_DOMAIN_EVENT_STOPPED_CRASHED; Xen SHUTDOWN_crash).
    case crashed
    /// Someone destroyed the domain (VIR_DOMAIN_EVENT_STOPPED_DESTROYED).
    case destroyed
    /// Any other reason libvirt gives (failed, migrated, saved ...).
    case other
}

/// How a boot ended, as seen from outside the console. The Probe decides it with its clock
/// and libvirt; `analyze` reads it from a transcript's `@end` record, or uses `endOfLog` for a
/// saved log. `BootClassifier.judge` turns it, with what the console showed, into the one
/// boot outcome.
public enum BootEnding: Sendable, Hashable {
    /// The success marker was seen (`BootClassifier.successSeen`).
    case successMarker
    /// A fatal signature was seen and the grace period for its trace is over.
    case fatalSignature
    /// The caller declared a stall: the console was silent this long, the vCPUs did this.
    case stall(silenceSeconds: Double, vcpu: VCPUPattern)
    /// libvirt reported the domain stopped.
    case domainStopped(DomainStopReason)
    /// The overall boot timeout ran out.
    case timeout
    /// The console stream ended (EOF, hangup) while the domain was still there.
    case consoleClosed
    /// The domain could not be created or started (libvirt/libxl error).
    case startFailure(String)
    /// Our own tooling failed (connection lost, console could not be opened).
    case infrastructureError(String)
    /// A saved log ended; nothing is known about what happened next.
    case endOfLog

    /// The domain was still running when the boot ended this way, making no progress the
    /// console shows: what the hypervisor sees of it (vCPU states, where each vCPU is) is worth
    /// asking before the destroy. A fatal signature already says where the guest stopped.
    public var leavesDomainRunning: Bool {
        switch self {
        case .stall, .timeout: true
        default: false
        }
    }

    /// The word for it in JSON and transcripts.
    public var reason: String {
        switch self {
        case .successMarker: "success"
        case .fatalSignature: "fatal_signature"
        case .stall: "stall"
        case .domainStopped: "domain_stopped"
        case .timeout: "timeout"
        case .consoleClosed: "console_closed"
        case .startFailure: "start_failure"
        case .infrastructureError: "infra_error"
        case .endOfLog: "end_of_log"
        }
    }
}

extension BootEnding: Codable {
    private enum CodingKeys: String, CodingKey {
        case reason, silenceSeconds, vcpu, domainReason, message
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reason, forKey: .reason)
        switch self {
        case .stall(let silence, let vcpu):
            try c.encode(silence, forKey: .silenceSeconds)
            try c.encode(vcpu, forKey: .vcpu)
        case .domainStopped(let why):
            try c.encode(why, forKey: .domainReason)
        case .startFailure(let message), .infrastructureError(let message):
            try c.encode(message, forKey: .message)
        default:
            break
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let reason = try c.decode(String.self, forKey: .reason)
        switch reason {
        case "success": self = .successMarker
        case "fatal_signature": self = .fatalSignature
        case "stall":
            self = .stall(
                silenceSeconds: try c.decodeIfPresent(Double.self, forKey: .silenceSeconds) ?? 0,
                vcpu: try c.decodeIfPresent(VCPUPattern.self, forKey: .vcpu) ?? .unknown)
        case "domain_stopped": self = .domainStopped(try c.decodeIfPresent(DomainStopReason.self, forKey: .domainReason) ?? .other)
        case "timeout": self = .timeout
        case "console_closed": self = .consoleClosed
        case "start_failure": self = .startFailure(try c.decodeIfPresent(String.self, forKey: .message) ?? "")
        case "infra_error": self = .infrastructureError(try c.decodeIfPresent(String.self, forKey: .message) ?? "")
        case "end_of_log": self = .endOfLog
        default:
            throw DecodingError.dataCorruptedError(forKey: .reason, in: c, debugDescription: "unknown end reason \(reason)")
        }
    }
}
