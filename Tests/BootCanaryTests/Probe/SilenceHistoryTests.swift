import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryModel
@testable import CanaryProbe

/// What normal looks like on a host: healthy boots' silences per milestone, and the early stall
/// they allow once there are enough of them.
@Suite struct SilenceHistoryTests {
    static let kernel = "6.1.0-57-cloud-amd64"

    static func boot(_ gaps: [Milestone: Double], kernel: String = kernel) -> SilenceHistory.Boot {
        .init(kernel: kernel, at: Date(timeIntervalSince1970: 1_800_000_000),
              longestGaps: Dictionary(uniqueKeysWithValues: gaps.map { ($0.key.rawValue, $0.value) }))
    }

    static func history(_ n: Int, _ gaps: [Milestone: Double], kernel: String = kernel) -> SilenceHistory {
        SilenceHistory(hostUUID: "u", kind: .kernel, boots: Array(repeating: boot(gaps, kernel: kernel), count: n))
    }

    @Test func aHealthyTranscriptAddsItsLongestGaps() throws {
        // A real bootcanary transcript of the lab's kernel kind: host-clock gaps, a banner.
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel"))
        #expect(analysis.result.gapClock == .host)
        var h = SilenceHistory(hostUUID: "u", kind: .kernel)
        let added1 = h.add(analysis.result, at: Date())
        #expect(added1)
        let added = try #require(h.boots.first)
        #expect(added.kernel == KernelBanner.release(in: analysis.result))
        #expect(added.kernel.hasPrefix("6.1.0-"))
        for g in analysis.result.gaps { #expect(added.longestGaps[g.milestone.rawValue] == g.maxSeconds) }
    }

    @Test func onlyBootedHostClockBootsAreAdded() throws {
        var stalled = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel")).result
        stalled.outcome = .stalled
        var plain = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel")).result
        plain.gapClock = .kernel
        var h = SilenceHistory(hostUUID: "u", kind: .kernel)
        let a = h.add(stalled, at: Date()), b = h.add(plain, at: Date())
        #expect(!a && !b)
        #expect(h.boots.isEmpty)
    }

    @Test func sizeIsBounded() throws {
        let result = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel")).result
        var h = SilenceHistory(hostUUID: "u", kind: .kernel)
        for i in 0..<(SilenceHistory.maxBoots + 7) { h.add(result, at: Date(timeIntervalSince1970: Double(i))) }
        #expect(h.boots.count == SilenceHistory.maxBoots)
        #expect(h.boots.first?.at == Date(timeIntervalSince1970: 7))
    }

    @Test func limitsNeedEnoughBootsOfTheSameKernel() {
        #expect(Self.history(SilenceHistory.minimumBoots - 1, [.devices: 0.8]).limits(kernel: Self.kernel) == nil)
        let h = Self.history(SilenceHistory.minimumBoots, [.devices: 0.8])
        #expect(h.limits(kernel: "6.1.0-99-amd64") == nil)
        let limits = h.limits(kernel: Self.kernel)
        #expect(limits?.boots == SilenceHistory.minimumBoots)
        // 4 × 0.8 + 2 = 5.2 s is under the floor.
        #expect(limits?.limit(at: .devices) == SilenceLimits.floorSeconds)
        #expect(limits?.limit(at: .`init`) == nil)
    }

    @Test func limitGrowsWithTheLongestSilence() {
        var h = Self.history(SilenceHistory.minimumBoots, [.`init`: 1.0])
        h.boots[3] = Self.boot([.`init`: 3.0])
        #expect(h.limits(kernel: Self.kernel)?.limit(at: .`init`) == 4 * 3.0 + 2)
    }

    /// A milestone only a few boots paused at sets no limit for the rest.
    @Test func aRareMilestoneSetsNoLimit() {
        var h = Self.history(SilenceHistory.minimumBoots, [.devices: 0.5])
        h.boots[0] = Self.boot([.devices: 0.5, .rootMount: 30])
        #expect(h.limits(kernel: Self.kernel)?.limit(at: .rootMount) == nil)
    }

    @Test func bannerRelease() {
        #expect(KernelBanner.release(fromBanner: "Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12)") == "6.1.0-57-cloud-amd64")
        #expect(KernelBanner.release(fromBanner: "Linux version ") == nil)
    }
}

/// The boot loop with a history: a silence past what healthy boots showed ends the boot early.
@Suite struct HistoryStallTests {
    static let banner = "[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP\r\n"

    static func machine(history: SilenceHistory?) throws -> BootLoop {
        BootLoop(console: try BootConsole(), watchdog: BootWatchdog(policy: StallPolicy(stallTimeout: 150, frozenAfter: 15), vcpus: 1),
                 timeout: 600, startedPaused: false, history: history)
    }

    /// Runs a guest that prints its banner at 1 s and then gets no CPU; returns the step at `until`.
    static func run(_ m: inout BootLoop, until: Double) -> BootLoop.Step {
        _ = m.handle(BootLoopTests.text(banner, at: 1), now: 1)
        var last = BootLoop.Step()
        for t in stride(from: 2.0, through: until, by: 1) {
            last = m.handle(BootLoopTests.running(t, cpu: 0.4), now: t)
            if last.ending != nil { return last }
        }
        return last
    }

    @Test func silencePastTheHistoryStallsEarly() throws {
        var m = try Self.machine(history: SilenceHistoryTests.history(SilenceHistory.minimumBoots, [.kernel: 0.5]))
        let step = Self.run(&m, until: 14)
        // Floor 8 s after the banner's second: at 9 s, before the 15 s frozen rule.
        #expect(step.ending == .stall(silenceSeconds: 8, vcpu: .frozen))
        #expect(step.note?.contains("never took more than 0.5 s in 20 healthy boots of kernel 6.1.0-57-cloud-amd64") == true)
    }

    /// A spinning guest is left to its own detectors, which name the function.
    @Test func spinningVCPUsWaitForTheGuestsDetectors() throws {
        var m = try Self.machine(history: SilenceHistoryTests.history(SilenceHistory.minimumBoots, [.kernel: 0.5]))
        _ = m.handle(BootLoopTests.text(Self.banner, at: 1), now: 1)
        for t in stride(from: 2.0, through: 30, by: 1) {
            #expect(m.handle(BootLoopTests.running(t, cpu: t), now: t).ending == nil)
        }
    }

    /// Idle vCPUs (advancing a little) at a step healthy boots never paused at stall early too.
    @Test func idleVCPUsStallEarly() throws {
        var m = try Self.machine(history: SilenceHistoryTests.history(SilenceHistory.minimumBoots, [.kernel: 0.5]))
        _ = m.handle(BootLoopTests.text(Self.banner, at: 1), now: 1)
        var ending: BootEnding?
        for t in stride(from: 2.0, through: 14, by: 1) where ending == nil {
            ending = m.handle(BootLoopTests.running(t, cpu: t * 0.05), now: t).ending
        }
        #expect(ending == .stall(silenceSeconds: 8, vcpu: .idle))
    }

    @Test func withoutHistoryTheFixedThresholdsStay() throws {
        var m = try Self.machine(history: nil)
        #expect(Self.run(&m, until: 14).ending == nil)
        #expect(m.handle(BootLoopTests.running(16, cpu: 0.4), now: 16).ending == .stall(silenceSeconds: 15, vcpu: .frozen))
    }

    @Test func anotherKernelsHistoryDoesNotApply() throws {
        var m = try Self.machine(history: SilenceHistoryTests.history(SilenceHistory.minimumBoots, [.kernel: 0.5], kernel: "6.1.0-56-cloud-amd64"))
        #expect(Self.run(&m, until: 14).ending == nil)
    }

    @Test func aGuestStillPrintingIsNotStalled() throws {
        var m = try Self.machine(history: SilenceHistoryTests.history(SilenceHistory.minimumBoots, [.kernel: 0.5]))
        _ = m.handle(BootLoopTests.text(Self.banner, at: 1), now: 1)
        for t in stride(from: 2.0, through: 30, by: 1) {
            let step = m.handle(BootLoopTests.text("[    \(t)] x86: booting\r\n", at: t), now: t)
            #expect(step.ending == nil)
            _ = m.handle(BootLoopTests.running(t, cpu: t), now: t)
        }
    }
}
