/// One read-only host tool bootcanary ran through the host access (`xl info`, `xl vcpu-list`,
/// `xenctx`, `xenstore-ls`, a log's tail, the QEMU monitor), and how it went.
///
/// The output itself goes to a file of the run folder (`evidence/…`, named by `file`) and into
/// the bundle, not into run.json: `xl dmesg` alone is up to 16 KiB a call.
public struct HostToolRun: Codable, Sendable, Equatable {
    /// What the report calls it: `xl vcpu-list #2`, `tail /var/log/xen/qemu-dm-NAME.log`.
    public var name: String
    public var command: [String]
    /// The tool's exit status; nil when it could not be started at all (not installed, no access).
    @AlwaysEncoded public var exitStatus: Int32?
    public var seconds: Double
    /// Where its output is, relative to the run folder; nil when it printed nothing.
    @AlwaysEncoded public var file: String?
    /// Why its output is missing or partial ("not installed", "timed out after 20 s", "exit 1:
    /// …"); nil when it answered.
    @AlwaysEncoded public var problem: String?
    /// What it printed (stdout, then stderr when it failed). Not in run.json: see `file`.
    public var output: String = ""

    enum CodingKeys: String, CodingKey { case name, command, exitStatus, seconds, file, problem }

    public init(name: String, command: [String], exitStatus: Int32?, seconds: Double, problem: String?, output: String) {
        self.name = name
        self.command = command
        self.exitStatus = exitStatus
        // Milliseconds are all a report says of a tool's time.
        self.seconds = (seconds * 1000).rounded() / 1000
        self.problem = problem
        self.output = output
    }

    public var answered: Bool { problem == nil }
}

/// What the host said about one failing test domain while it still existed: bootcanary asks
/// before it destroys the domain, so the hypervisor's view is of the stall itself.
public struct DomainEvidence: Codable, Sendable, Equatable {
    public var domain: String
    public var tools: [HostToolRun]
    /// Two looks at the vCPUs, 2 s apart (`xl vcpu-list`): running, blocked or waiting.
    @AlwaysEncoded public var scheduling: VCPUScheduling?
    /// Where each vCPU was (instruction pointer), in the kernel's own words once symbolized.
    public var locations: [VCPULocation]
    /// The hypervisor's answer to the debug keys (`q`: vCPU pause/pending state, `r`: run
    /// queues), as the new lines of `xl dmesg`.
    public var debugKeyLines: [String]

    public init(domain: String, tools: [HostToolRun] = [], scheduling: VCPUScheduling? = nil,
                locations: [VCPULocation] = [], debugKeyLines: [String] = []) {
        self.domain = domain
        self.tools = tools
        self.scheduling = scheduling
        self.locations = locations
        self.debugKeyLines = debugKeyLines
    }
}

/// The run's host-wide evidence: what the hypervisor's log (or the host kernel's) gained while
/// the run went on, the host's own summary (`xl info`), and what could not be asked.
public struct HostEvidence: Codable, Sendable, Equatable {
    /// How the host was reached (`HostAccess.summary`); nil when it could not be.
    @AlwaysEncoded public var access: String?
    /// Why nothing could be asked (no shell on the host: a `+tcp` URI without `--host-exec`).
    @AlwaysEncoded public var unavailable: String?
    public var tools: [HostToolRun]
    /// `xl dmesg` on Xen, the host kernel's log on QEMU/KVM.
    @AlwaysEncoded public var logName: String?
    /// The lines that log gained during the run (at most `HostEvidence.maxNewLines`, the last ones).
    public var newLogLines: [String]
    public var findings: [HostFinding]

    public static let maxNewLines = 400

    /// Takes `lines` (each as often as it occurs there) out of the log's new lines, and the
    /// findings they alone made: the debug keys' output for one boot is in that boot's part.
    public mutating func removeLines(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        var counts: [String: Int] = [:]
        for l in lines { counts[l, default: 0] += 1 }
        newLogLines = newLogLines.filter { l in
            guard let n = counts[l], n > 0 else { return true }
            counts[l] = n - 1
            return false
        }
        findings = findings.filter { f in f.line.map { l in newLogLines.contains { $0.hasPrefix(l.prefix(300)) } } ?? true }
    }

    public init(access: String?, unavailable: String? = nil, tools: [HostToolRun] = [], logName: String? = nil,
                newLogLines: [String] = [], findings: [HostFinding] = []) {
        self.access = access
        self.unavailable = unavailable
        self.tools = tools
        self.logName = logName
        self.newLogLines = newLogLines
        self.findings = findings
    }
}

/// A line of host evidence that means something on its own (HostFindingTable).
public struct HostFinding: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The hypervisor logged an error during the run: a domain crash, grant-table or memory
        /// exhaustion, an assertion.
        case hypervisorError = "hypervisor_error"
        /// A dom0 daemon (xenstored, xenconsoled) or the toolstack did not answer.
        case daemonUnresponsive = "daemon_unresponsive"
        /// The host kernel's KVM logged an error during the run.
        case kvmError = "kvm_error"
    }
    public var kind: Kind
    public var detail: String
    /// The log line or tool that showed it.
    @AlwaysEncoded public var line: String?

    /// Whether it speaks against the host by itself. A domain the hypervisor crashed, or a
    /// guest's triple fault, is what a broken guest kernel also makes it log.
    public var pointsAtHost: Bool {
        kind != .hypervisorError || !(detail.contains("crashed a domain") || detail.contains("triple-faulted"))
    }

    public init(kind: Kind, detail: String, line: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.line = line
    }
}
