import Testing
@testable import CanaryModel
@testable import CanaryProbe

/// The watchdog's decision from samples, without a guest.
@Suite struct BootWatchdogTests {
    static let policy = StallPolicy(stallTimeout: 60, frozenAfter: 15)

    /// Samples once a second from `from` to `to`, vCPU time from `cpu(t)`.
    static func watchdog(_ from: Int, _ to: Int, vcpus: Int = 1, paused: (Int) -> Bool = { _ in false },
                         cpu: (Int) -> Double) -> BootWatchdog {
        var w = BootWatchdog(policy: policy, vcpus: vcpus)
        for t in from...to {
            w.record(.init(seconds: Double(t) + 0.01, running: !paused(t), paused: paused(t), cpuSeconds: cpu(t)))
        }
        return w
    }

    /// Samples as the Xen sampler takes them: every third look says whether all vCPUs wait for a pCPU.
    static func xenWatchdog(waiting: Bool, creepPerSecond: Double) -> BootWatchdog {
        var w = BootWatchdog(policy: policy, vcpus: 1)
        for t in 0...40 {
            let cpu = t <= 10 ? Double(t) : 10 + Double(t - 10) * creepPerSecond
            w.record(.init(seconds: Double(t) + 0.01, running: true, paused: false, cpuSeconds: cpu,
                           vcpusWaiting: t % 3 == 0 ? (t > 10 ? waiting : false) : nil))
        }
        return w
    }

    /// Measured on the Xen lab: capped with `xl sched-credit2 -c 1`, the vCPU read "offline"
    /// (waiting) in every look and its time crept ~1 % (0.02 s every 2 s). That is frozen at
    /// frozenAfter, not idle until the 60 s stall timeout.
    @Test func vcpusWaitingWhileTheirTimeCreepsAreFrozen() {
        let w = Self.xenWatchdog(waiting: true, creepPerSecond: 0.01)
        #expect(w.stall(now: 24.0, silentSince: 10.0) == nil)
        #expect(w.stall(now: 25.5, silentSince: 10.0)?.vcpu == .frozen)
    }

    /// The same creep from a blocked (idle) vCPU is a quiet guest; and a waiting vCPU that
    /// gets a fair share (40 %) is a busy host, not a frozen guest.
    @Test func blockedOrFairlyScheduledVCPUsAreNotFrozen() {
        #expect(Self.xenWatchdog(waiting: false, creepPerSecond: 0.01).stall(now: 25.5, silentSince: 10.0) == nil)
        #expect(Self.xenWatchdog(waiting: true, creepPerSecond: 0.4).stall(now: 25.5, silentSince: 10.0) == nil)
    }

    @Test func frozenRightAfterTheLastByte() {
        // Busy until t=10, last byte at 10, nothing after.
        let w = Self.watchdog(0, 26) { min(Double($0), 10) }
        #expect(w.stall(now: 24.0, silentSince: 10.0) == nil)
        let verdict = w.stall(now: 25.5, silentSince: 10.0)
        #expect(verdict?.vcpu == .frozen)
        #expect(verdict?.silence == 15.5)
    }

    /// A guest that ran silently for a while before its vCPUs stopped: still frozen, declared
    /// frozenAfter after the freeze (the lab's injector froze a guest before its first byte).
    @Test func frozenLongAfterTheLastByte() {
        let w = Self.watchdog(0, 40) { t in t < 20 ? Double(t) * 0.3 : 6 }
        #expect(w.stall(now: 30, silentSince: 2) == nil)
        #expect(w.stall(now: 36, silentSince: 2)?.vcpu == .frozen)
    }

    @Test func spinningAndIdleWaitForTheStallTimeout() {
        let spinning = Self.watchdog(0, 80) { Double($0) * 0.95 }
        #expect(spinning.stall(now: 50, silentSince: 5) == nil)
        #expect(spinning.stall(now: 66, silentSince: 5)?.vcpu == .spinning)
        let idle = Self.watchdog(0, 80) { Double($0) * 0.02 }
        #expect(idle.stall(now: 50, silentSince: 5) == nil)
        #expect(idle.stall(now: 66, silentSince: 5)?.vcpu == .idle)
    }

    /// Time on two vCPUs counts against two vCPUs' worth of wall time.
    @Test func rateIsPerVCPU() {
        let w = Self.watchdog(0, 80, vcpus: 2) { Double($0) * 0.8 }
        #expect(w.stall(now: 66, silentSince: 5)?.vcpu == .idle)
    }

    @Test func pausedThroughLibvirtIsNeverAStall() {
        let w = Self.watchdog(0, 100, paused: { $0 >= 10 }) { min(Double($0), 10) }
        #expect(w.pausedNow)
        #expect(w.stall(now: 100, silentSince: 10) == nil)
        #expect(w.pausedSeconds > 80)
    }

    /// Not one byte since the start: the shorter no-output limit applies, whatever the vCPUs do.
    @Test func silentFromTheStartUsesTheNoOutputLimit() {
        let w = Self.watchdog(0, 80) { Double($0) * 0.02 }
        #expect(w.stall(now: 59, silentSince: 0, anyOutput: false) == nil)
        #expect(w.stall(now: 59, silentSince: 0, anyOutput: true) == nil)
        // The test policy's stall timeout (60) is already the shorter one; use a longer one.
        var p = Self.policy
        p.stallTimeout = 150
        var long = BootWatchdog(policy: p, vcpus: 1)
        for t in 0...70 { long.record(.init(seconds: Double(t) + 0.01, running: true, paused: false, cpuSeconds: Double(t) * 0.02)) }
        #expect(long.stall(now: 61, silentSince: 0, anyOutput: false)?.vcpu == .idle)
        #expect(long.stall(now: 61, silentSince: 0, anyOutput: true) == nil)
    }

    /// The sampler's calls stopped returning 40 s into a 60 s silence (the Xen lab's lost
    /// connection): the looks of the first 20 s showed an idle guest, but they do not describe
    /// the rest, so the stall names no pattern; with looks up to the present it does.
    @Test func staleLooksClaimNoPattern() {
        let stale = Self.watchdog(0, 40) { Double($0) * 0.02 }
        #expect(stale.stall(now: 80, silentSince: 20)?.vcpu == .unknown)
        let fresh = Self.watchdog(0, 80) { Double($0) * 0.02 }
        #expect(fresh.stall(now: 80, silentSince: 20)?.vcpu == .idle)
    }

    /// Too few samples after the last byte to judge the vCPUs: no frozen verdict on a guess.
    @Test func noFrozenVerdictWithoutSamples() {
        let w = Self.watchdog(0, 5) { _ in 1 }
        #expect(w.stall(now: 20, silentSince: 4) == nil)
    }
}
