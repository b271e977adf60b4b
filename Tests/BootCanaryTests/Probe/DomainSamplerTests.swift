import Foundation
import Synchronization
import Testing
@testable import CanaryEvidence
@testable import CanaryProbe

/// DomainSampler's promise to the boot's teardown: `stop()` returns only after a look in
/// flight has returned, and nothing is delivered after it (a query racing libxl's destroy is
/// what that promise prevents).
@Suite struct DomainSamplerTests {
    static let sample = BootWatchdog.Sample(seconds: 0, running: true, paused: false, cpuSeconds: 0)

    @Test func stopWaitsForALookInFlight() {
        let log = Mutex<[String]>([])
        let looks = Mutex(0)
        let inSecondLook = Latch(), release = Latch()
        let sampler = DomainSampler(interval: 0.05, look: {
            if looks.withLock({ $0 += 1; return $0 }) == 2 {
                inSecondLook.signal()
                _ = release.wait(timeout: 120)
                log.withLock { $0.append("look returned") }
            }
            return .success(Self.sample)
        }, deliver: { _ in log.withLock { $0.append("delivered") } })
        #expect(inSecondLook.wait(timeout: 60))
        // The look is released from elsewhere while stop() waits.
        BlockingPool.shared.submit("test-release") {
            Thread.sleep(forTimeInterval: 0.3)
            release.signal()
        }
        sampler.stop()
        log.withLock { $0.append("stop returned") }
        // A delivery after stop() would show up here.
        Thread.sleep(forTimeInterval: 0.3)
        let events = log.withLock { $0 }
        let returned = events.firstIndex(of: "look returned"), stopped = events.firstIndex(of: "stop returned")
        #expect(returned != nil && stopped != nil && returned! < stopped!, "\(events)")
        #expect(events.last == "stop returned", "\(events)")
    }

    /// A stop during the sleep between looks ends it at once, not after the interval.
    @Test func stopEndsTheSleepBetweenLooks() {
        let delivered = Latch()
        let sampler = DomainSampler(interval: 3600, look: { .success(Self.sample) }, deliver: { _ in delivered.signal() })
        #expect(delivered.wait(timeout: 60))
        let started = Date()
        sampler.stop()
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < DomainSampler.stopWaitSeconds / 2, "stop() took \(elapsed) s")
    }
}
