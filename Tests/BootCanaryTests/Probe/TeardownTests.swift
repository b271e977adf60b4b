import Foundation
import Synchronization
import Testing
@testable import CanaryEvidence

/// Teardown after a signal: it waits for a creation under way (a domain whose create returns
/// after the undo would outlive the run), wakes as soon as that creation returns, and gives up
/// on one that never does at its bound.
@Suite struct TeardownTests {
    @Test func undoWaitsForTheCreationUnderWay() {
        let teardown = Teardown()
        let log = Mutex<[String]>([])
        _ = teardown.register("undid it") { log.withLock { $0.append("undo ran") } }
        let inside = Latch(), release = Latch()
        BlockingPool.shared.submit("test-create") {
            try? teardown.creation {
                inside.signal()
                _ = release.wait(timeout: 120)
                log.withLock { $0.append("creation returned") }
            }
        }
        #expect(inside.wait(timeout: 60))
        BlockingPool.shared.submit("test-release") {
            Thread.sleep(forTimeInterval: 0.3)
            release.signal()
        }
        let started = Date()
        let undone = teardown.runAll(waitingUpTo: 120)
        let elapsed = Date().timeIntervalSince(started)
        #expect(undone == ["undid it"])
        #expect(log.withLock { $0 } == ["creation returned", "undo ran"])
        // Woken by the creation's return, not at the end of the 120 s bound.
        #expect(elapsed < 60, "runAll took \(elapsed) s")
        #expect(throws: Teardown.ShuttingDown.self) { try teardown.creation {} }
    }

    @Test func undoGivesUpOnACreationThatNeverReturns() {
        let teardown = Teardown()
        let ran = Latch()
        _ = teardown.register("undid it") { ran.signal() }
        let inside = Latch(), release = Latch()
        BlockingPool.shared.submit("test-create") {
            try? teardown.creation {
                inside.signal()
                _ = release.wait(timeout: 120)
            }
        }
        #expect(inside.wait(timeout: 60))
        let started = Date()
        #expect(teardown.runAll(waitingUpTo: 0.5) == ["undid it"])
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(ran.isSet)
        release.signal()
    }

    @Test func withNothingUnderWayUndoIsImmediate() {
        let teardown = Teardown()
        _ = teardown.register("a") {}
        _ = teardown.register("b") {}
        // Newest first, like `defer`.
        #expect(teardown.runAll(waitingUpTo: 120) == ["b", "a"])
    }
}
