/// Two looks at a domain's vCPUs through the hypervisor (`xl vcpu-list`), a couple of seconds
/// apart: each vCPU's state and how much CPU time it got in between.
///
/// Why two: one look says "runnable" for a vCPU that the scheduler is about to run; only the
/// time it got across the interval separates a vCPU that wants to run and is not scheduled
/// from one that is blocked (idle, waiting for an event) or running.
public struct VCPUScheduling: Codable, Sendable, Hashable {
    public struct VCPU: Codable, Sendable, Hashable {
        public var id: Int
        /// xl's three-letter state in each look: `r--` running, `-b-` blocked, `--p` paused,
        /// `---` runnable (waiting for a pCPU).
        public var states: [String]
        public var cpuSecondsGained: Double
        public init(id: Int, states: [String], cpuSecondsGained: Double) {
            self.id = id
            self.states = states
            self.cpuSecondsGained = cpuSecondsGained
        }
        public var runnable: Bool { states.allSatisfy { $0.hasPrefix("-") && !$0.contains("b") && !$0.hasSuffix("p") } }
        public var blocked: Bool { states.allSatisfy { $0.contains("b") } }
        public var paused: Bool { states.contains { $0.hasSuffix("p") } }
    }

    public var vcpus: [VCPU]
    public var intervalSeconds: Double
    /// The host's pCPUs (`xl info` nr_cpus) and how many were running a vCPU of any domain in
    /// the second look: a scheduler that leaves a runnable vCPU waiting while pCPUs are idle is
    /// not short of CPUs, it is not running it.
    @AlwaysEncoded public var hostPCPUs: Int?
    @AlwaysEncoded public var busyPCPUs: Int?

    /// At or below this share of one pCPU over the interval a runnable vCPU counts as not
    /// scheduled. A vCPU that gets a slice now and then ("its time still creeps forward") is
    /// the same fault as one that gets none: healthy runnable vCPUs on a host with idle pCPUs
    /// run at once and gain about the whole interval.
    public static let notScheduledShare = 0.05

    public enum Reading: String, Codable, Sendable {
        /// Every vCPU runnable and barely scheduled while pCPUs were idle (or their number unknown).
        case notScheduled = "not_scheduled"
        case blocked
        case running
        case paused
        case mixed
    }

    public init(vcpus: [VCPU], intervalSeconds: Double, hostPCPUs: Int?, busyPCPUs: Int?) {
        self.vcpus = vcpus
        self.intervalSeconds = intervalSeconds
        self.hostPCPUs = hostPCPUs
        self.busyPCPUs = busyPCPUs
    }

    public var idlePCPUs: Int? {
        guard let hostPCPUs, let busyPCPUs else { return nil }
        return max(0, hostPCPUs - busyPCPUs)
    }

    public var reading: Reading {
        guard !vcpus.isEmpty else { return .mixed }
        if vcpus.contains(where: \.paused) { return .paused }
        let starved = vcpus.allSatisfy { $0.runnable && $0.cpuSecondsGained <= Self.notScheduledShare * intervalSeconds }
        // With no idle pCPU the wait may be contention (an overcommitted host), not a fault.
        if starved, idlePCPUs.map({ $0 > 0 }) ?? true { return .notScheduled }
        if vcpus.allSatisfy(\.blocked) { return .blocked }
        if vcpus.allSatisfy({ $0.states.last?.hasPrefix("r") == true }) { return .running }
        return .mixed
    }

    /// "vCPU0 runnable (---, ---), 0.000 s of CPU in 2.0 s; 1 of 2 pCPUs idle".
    public var summary: String {
        let each = vcpus.map { v in
            "vCPU\(v.id) \(v.states.joined(separator: " → ")), \(String(format: "%.3f", v.cpuSecondsGained)) s of CPU in \(String(format: "%.1f", intervalSeconds)) s"
        }.joined(separator: "; ")
        let idle = idlePCPUs.map { idle in "; \(idle) of \(hostPCPUs ?? 0) pCPUs idle" } ?? ""
        return each + idle
    }
}

/// Where one vCPU of a stalled domain was: its instruction pointer and, once symbolized
/// against the booted kernel's System.map, the function.
public struct VCPULocation: Codable, Sendable, Equatable {
    public var vcpu: Int
    /// Hex, as the tool printed it (`ffffffff81001234`).
    public var instructionPointer: String
    /// `native_safe_halt+0x12`; nil until symbolized, or when it could not be.
    @AlwaysEncoded public var symbol: String?
    /// `xenctx`, `qemu monitor`.
    public var source: String
    /// Why it is not symbolized, or what the symbol rests on ("KASLR offset 0x2e000000 from the IDT").
    @AlwaysEncoded public var note: String?
    /// The kernel's handler of vector 0 as the vCPU's IDT names it (QEMU monitor), to find
    /// where KASLR put the kernel. Not reported.
    public var divideErrorHandler: UInt64? = nil

    enum CodingKeys: String, CodingKey { case vcpu, instructionPointer, symbol, source, note }

    public init(vcpu: Int, instructionPointer: String, symbol: String? = nil, source: String, note: String? = nil,
                divideErrorHandler: UInt64? = nil) {
        self.vcpu = vcpu
        self.instructionPointer = instructionPointer
        self.symbol = symbol
        self.source = source
        self.note = note
        self.divideErrorHandler = divideErrorHandler
    }

    /// The function alone (`native_safe_halt`), for comparing where boots stopped.
    public var function: String? { symbol.map { String($0.prefix { $0 != "+" }) } }
}
