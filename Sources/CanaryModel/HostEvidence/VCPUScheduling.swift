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
    /// The host's pCPUs (`xl info` nr_cpus), and how many vCPUs of all domains wanted a pCPU
    /// in the second look (running or runnable). Together they give each vCPU's fair share.
    @AlwaysEncoded public var hostPCPUs: Int?
    @AlwaysEncoded public var competingVCPUs: Int?
    /// An HVM guest: a vCPU waiting for its device model (qemu-dm emulating an I/O access)
    /// also reads runnable and gains little, so `not_scheduled` is not claimed for it.
    public var deviceModel: Bool? = nil

    /// At or below this share of one pCPU over the interval a runnable vCPU may count as not
    /// scheduled. A vCPU that gets a slice now and then ("its time still creeps forward") is
    /// the same fault as one that gets none.
    public static let notScheduledShare = 0.05
    /// ... and at or below this part of its fair share (pCPUs over the vCPUs that want one).
    /// Why a fair share and not "idle pCPUs": measured on the Xen lab, dom0's two vCPUs are
    /// running whenever `xl vcpu-list` is (xl runs there), so no pCPU ever looks idle; yet a
    /// guest capped with `xl sched-credit2 -c 1` got 0.1 s in 2.9 s while an uncapped guest of
    /// the same weight beside it got 2.7 s. With 4 vCPUs wanting 2 pCPUs the fair share is
    /// half the interval; a fifth of it would still be 10 %. On a host overcommitted 20:1 the
    /// fair share is 5 % and a vCPU getting 3 % is only waiting its turn.
    public static let fairSharePart = 0.2

    public enum Reading: String, Codable, Sendable {
        /// Every vCPU runnable and given far less than its fair share.
        case notScheduled = "not_scheduled"
        case blocked
        case running
        case paused
        case mixed
    }

    public init(vcpus: [VCPU], intervalSeconds: Double, hostPCPUs: Int?, competingVCPUs: Int?) {
        self.vcpus = vcpus
        self.intervalSeconds = intervalSeconds
        self.hostPCPUs = hostPCPUs
        self.competingVCPUs = competingVCPUs
    }

    /// Each competing vCPU's fair share of one pCPU (1 when pCPUs outnumber them).
    public var fairShare: Double? {
        guard let hostPCPUs, let competingVCPUs, competingVCPUs > 0 else { return nil }
        return min(1, Double(hostPCPUs) / Double(competingVCPUs))
    }

    public var reading: Reading {
        guard !vcpus.isEmpty else { return .mixed }
        if vcpus.contains(where: \.paused) { return .paused }
        let limit = min(Self.notScheduledShare, (fairShare ?? 1) * Self.fairSharePart) * intervalSeconds
        if vcpus.allSatisfy({ $0.runnable && $0.cpuSecondsGained <= limit }) { return deviceModel == true ? .mixed : .notScheduled }
        if vcpus.allSatisfy(\.blocked) { return .blocked }
        if vcpus.allSatisfy({ $0.states.last?.hasPrefix("r") == true }) { return .running }
        return .mixed
    }

    /// "vCPU0 --- → ---, 0.100 s of CPU in 2.9 s; 4 vCPUs wanted 2 pCPUs (fair share 50 %)".
    public var summary: String {
        let each = vcpus.map { v in
            "vCPU\(v.id) \(v.states.joined(separator: " → ")), \(String(format: "%.3f", v.cpuSecondsGained)) s of CPU in \(String(format: "%.1f", intervalSeconds)) s"
        }.joined(separator: "; ")
        let share = fairShare.map { f in "; \(competingVCPUs ?? 0) vCPUs wanted \(hostPCPUs ?? 0) pCPUs (fair share \(Int((f * 100).rounded())) %)" } ?? ""
        return each + share + (deviceModel == true ? "; HVM: a vCPU waiting for its device model reads the same, so not judged" : "")
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
