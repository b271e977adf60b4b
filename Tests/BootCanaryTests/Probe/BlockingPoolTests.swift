import Foundation
import Synchronization
import Testing
@testable import CanaryEvidence

/// The blocking pool: a blocked job holds up no other, a deadline fires while its call is
/// still blocked, and a latch wakes every waiter. Asserted by what the jobs did and in which
/// order; the time bounds are generous (a parallel test run on two cores resumes tasks late).
@Suite struct BlockingPoolTests {
    /// Ten jobs that each wait until all ten are running: a pool that queued jobs behind
    /// blocked ones (a fixed pool, or Swift's cooperative pool of two threads here) would
    /// never get them all in.
    @Test func blockedJobsHoldUpNoOthers() {
        let jobs = 10
        let running = Mutex(0)
        let allIn = Latch(), release = Latch()
        for _ in 0..<jobs {
            BlockingPool.shared.submit("test-blocked") {
                if running.withLock({ $0 += 1; return $0 }) == jobs { allIn.signal() }
                _ = release.wait(timeout: 120)
            }
        }
        #expect(allIn.wait(timeout: 60), "only \(running.withLock { $0 }) of \(jobs) jobs started")
        release.signal()
    }

    /// The deadline ends the wait while the call is still blocked (it has not returned when
    /// the caller already holds the timeout); the call finishes on its own once released.
    @Test func theDeadlineFiresWhileTheCallIsBlocked() async throws {
        let release = Latch(), returned = Latch()
        await #expect(throws: BlockingCall.TimedOut.self) {
            try await BlockingCall.run("a stuck RPC", seconds: 0.5) {
                _ = release.wait(timeout: 120)
                returned.signal()
                return 1
            }
        }
        #expect(!returned.isSet, "the deadline waited for the call")
        release.signal()
        #expect(await BlockingCall.run { returned.wait(timeout: 60) }, "the released call never returned")
    }

    /// Without a deadline the caller gets the call's value or its error, however long it took.
    @Test func aCallWithoutDeadlineReturnsItsResult() async throws {
        struct Refused: Error {}
        #expect(await BlockingCall.run { 6 * 7 } == 42)
        await #expect(throws: Refused.self) { try await BlockingCall.run { () throws -> Int in throw Refused() } }
    }

    @Test func aCancelledDeadlineNeverFires() {
        let fired = Latch()
        BlockingCall.after(10) { fired.signal() }.signal()
        let due = Latch()
        _ = BlockingCall.after(0.1) { due.signal() }
        #expect(due.wait(timeout: 60), "a deadline of 0.1 s did not fire")
        #expect(!fired.isSet)
    }

    /// Every waiter wakes when the latch is set, and later waits return at once.
    @Test func aLatchWakesEveryWaiter() {
        let latch = Latch()
        let woken = (0..<3).map { _ in Latch() }
        for w in woken {
            BlockingPool.shared.submit("test-waiter") { if latch.wait(timeout: 120) { w.signal() } }
        }
        latch.signal()
        for w in woken { #expect(w.wait(timeout: 60)) }
        #expect(latch.wait(timeout: 0))
    }
}
