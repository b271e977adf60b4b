import CanaryModel

/// When a silent console counts as a stall, and what the vCPUs were doing meanwhile.
///
/// Two thresholds (docs/contract.md `--stall-timeout`, `--frozen-after`):
/// - `stallTimeout`: console silence that ends the boot whatever the vCPUs do. Its default
///   leaves room for the guest's own detectors to print first — RCU stall (21 s in Debian's
///   kernels), soft lockup (20 s), hung task (120 s) — syzkaller orders its timeouts the same
///   way, so one hang is always reported by its most specific witness.
/// - `frozenAfter`: a shorter silence that is enough when the domain is running and its vCPU
///   time has not advanced at all: the hypervisor is not scheduling the guest, and no guest
///   detector will ever print.
public struct StallPolicy: Sendable, Equatable {
    public var stallTimeout: Double
    public var frozenAfter: Double
    /// vCPU use (fraction of the vCPUs' wall time) at or above which a silent guest is spinning.
    public var spinningRate: Double
    /// Total vCPU time advance (seconds) at or below which the vCPUs count as not advancing.
    public var frozenEpsilon: Double
    /// vCPU use (fraction of the vCPUs' wall time) at or below which vCPUs that the driver
    /// says are waiting for a pCPU count as not scheduled (`BootWatchdog.starved`). 5 %: a
    /// runnable vCPU on a host with a free pCPU runs at once, so it gains nearly all of it.
    public var starvedShare: Double = 0.05

    public static let defaultStallTimeout = 150.0
    public static let defaultFrozenAfter = 15.0
    /// Silence from the start with not one byte: no guest detector can have run yet, so there
    /// is nothing to wait for beyond a slow firmware or decompressor (a kernel whose
    /// decompressor fails halts without a word).
    public static let defaultNoOutputTimeout = 60.0
    public var noOutputTimeout: Double = StallPolicy.defaultNoOutputTimeout

    public init(stallTimeout: Double = StallPolicy.defaultStallTimeout, frozenAfter: Double = StallPolicy.defaultFrozenAfter,
                spinningRate: Double = 0.5, frozenEpsilon: Double = 0.001) {
        self.stallTimeout = stallTimeout
        self.frozenAfter = frozenAfter
        self.spinningRate = spinningRate
        self.frozenEpsilon = frozenEpsilon
    }
}

/// Watches one boot's liveness from outside: domain state and cumulative vCPU time sampled
/// about once a second, against the time of the console's last byte. Pure: it is handed the
/// samples and the clock readings, so the decision is tested without a guest.
public struct BootWatchdog: Sendable {
    public let policy: StallPolicy
    public let vcpus: Int

    /// One look at the domain.
    public struct Sample: Sendable, Equatable {
        /// Seconds since the boot started (the Probe's monotonic clock).
        public var seconds: Double
        public var running: Bool
        public var paused: Bool
        /// Cumulative vCPU time, seconds.
        public var cpuSeconds: Double
        /// Every vCPU runnable and waiting for a pCPU (neither running nor blocked), when the
        /// driver says (`Domain.vcpuStates`, Xen); nil when not asked in this look.
        public var vcpusWaiting: Bool?

        public init(seconds: Double, running: Bool, paused: Bool, cpuSeconds: Double, vcpusWaiting: Bool? = nil) {
            self.seconds = seconds
            self.running = running
            self.paused = paused
            self.cpuSeconds = cpuSeconds
            self.vcpusWaiting = vcpusWaiting
        }
    }

    public private(set) var samples: [Sample] = []
    /// Total seconds the domain was seen paused (someone paused it through libvirt).
    public private(set) var pausedSeconds: Double = 0
    public private(set) var pausedNow = false

    /// How old the newest look may be for a vCPU pattern to be claimed: the sampler looks about
    /// once a second, so five seconds without one means its calls are not returning.
    public static let freshSampleSeconds = 5.0

    public init(policy: StallPolicy, vcpus: Int) {
        self.policy = policy
        self.vcpus = max(1, vcpus)
    }

    public mutating func record(_ sample: Sample) {
        if let last = samples.last, last.paused && sample.paused {
            pausedSeconds += sample.seconds - last.seconds
        }
        pausedNow = sample.paused
        samples.append(sample)
        // Keep what any window needs (the longest is the stall timeout) plus slack.
        let horizon = sample.seconds - policy.stallTimeout - 5
        if let cut = samples.firstIndex(where: { $0.seconds >= horizon }), cut > 0 { samples.removeFirst(cut) }
    }

    /// A stall the watchdog declares: how long the console was silent, what the vCPUs did,
    /// and whether this host's history (`soonerLimit`) decided it before the fixed thresholds.
    public struct Stall: Sendable, Equatable {
        public var silence: Double
        public var vcpu: VCPUPattern
        public var bySoonerLimit = false
    }

    /// The verdict of the watchdog at `now`, given the time of the console's last byte (or of
    /// the resume, before any byte). Nil: keep waiting. `soonerLimit` is the silence this
    /// host's healthy boots allow at the console's milestone (`SilenceLimits`), when known.
    public func stall(now: Double, silentSince: Double, anyOutput: Bool = true, soonerLimit: Double? = nil) -> Stall? {
        // A domain someone paused through libvirt is not hanging; its silence does not count.
        if pausedNow { return nil }
        let silence = now - silentSince
        // Frozen: over the last `frozenAfter` seconds — all of them silent — the domain was
        // running and its vCPU time did not move. The freeze may have come well after the
        // last byte (a guest that ran quietly, then stopped getting CPU), so the window
        // trails `now` rather than starting at the last byte.
        if silence >= policy.frozenAfter {
            let trailing = samples.filter { $0.seconds > silentSince && $0.seconds >= now - policy.frozenAfter }
            if let first = trailing.first, let last = trailing.last,
               last.seconds - first.seconds >= max(2, policy.frozenAfter - 1.5),
               trailing.allSatisfy({ $0.running }),
               last.cpuSeconds - first.cpuSeconds <= policy.frozenEpsilon || starved(trailing) {
                return Stall(silence: silence, vcpu: .frozen)
            }
        }
        let limit = anyOutput ? policy.stallTimeout : min(policy.stallTimeout, policy.noOutputTimeout)
        // Spinning vCPUs are the guest's own hang, and its detectors will name it (soft lockup
        // after 20 s, an RCU stall after 21 s, with the function): stopping first would lose
        // that title. Frozen or idle vCPUs at a step where healthy boots never paused print
        // nothing more that waiting would add.
        if let soonerLimit, anyOutput, silence >= soonerLimit, silence < limit,
           let vcpu = patternOfSilence(now: now, silentSince: silentSince), vcpu == .frozen || vcpu == .idle {
            return Stall(silence: silence, vcpu: vcpu, bySoonerLimit: true)
        }
        if silence >= limit {
            // What the vCPUs did is said only from looks that reach the present: when the
            // sampler's calls stopped returning (a lost or wedged daemon), the samples of the
            // first seconds of the silence say nothing about the rest of it.
            let window = samples.filter { $0.seconds > silentSince }
            guard let last = window.last, now - last.seconds <= Self.freshSampleSeconds else { return Stall(silence: silence, vcpu: .unknown) }
            return Stall(silence: silence, vcpu: pattern(in: window) ?? .unknown)
        }
        return nil
    }

    /// vCPUs that want to run and barely get to: every look that asked found them all waiting
    /// for a pCPU (at least 3 such looks) and they gained at most `starvedShare` of their wall
    /// time. The same fault as vCPU time standing still: measured on the Xen lab, a guest
    /// capped with `xl sched-credit2 -c 1` read "offline" (waiting) in every look while its
    /// time crept ~1 %, so a test of "no time at all" never called it frozen.
    func starved(_ window: [Sample]) -> Bool {
        let asked = window.compactMap(\.vcpusWaiting)
        guard asked.count >= 3, asked.allSatisfy({ $0 }), let first = window.first, let last = window.last,
              last.seconds > first.seconds else { return false }
        let share = (last.cpuSeconds - first.cpuSeconds) / ((last.seconds - first.seconds) * Double(vcpus))
        return share <= policy.starvedShare
    }

    /// What the vCPUs did during a silence: nil while the looks since the last byte span under
    /// two seconds, `unknown` when they stopped reaching the present.
    func patternOfSilence(now: Double, silentSince: Double) -> VCPUPattern? {
        if pausedNow { return nil }
        let window = samples.filter { $0.seconds > silentSince }
        guard let last = window.last, now - last.seconds <= Self.freshSampleSeconds else { return .unknown }
        return pattern(in: window)
    }

    /// What the vCPUs did over a window of samples: not advancing at all, advancing at about
    /// the full rate, or in between. Needs samples spanning at least two seconds.
    public func pattern(in window: [Sample]) -> VCPUPattern? {
        guard let first = window.first, let last = window.last, last.seconds - first.seconds >= 2 else { return nil }
        let used = last.cpuSeconds - first.cpuSeconds
        if used <= policy.frozenEpsilon { return .frozen }
        let rate = used / ((last.seconds - first.seconds) * Double(vcpus))
        return rate >= policy.spinningRate ? .spinning : .idle
    }

    /// The pattern over the last `seconds` of samples, for reports.
    public func recentPattern(seconds: Double) -> VCPUPattern {
        guard let last = samples.last else { return .unknown }
        return pattern(in: samples.filter { $0.seconds >= last.seconds - seconds }) ?? .unknown
    }
}
