import Foundation
import Testing
@testable import BootCanary

/// Creates against one host never overlap (libxl's driver crashed when they did); creates
/// against different hosts are not held up by each other.
struct CreateGateTests {
    /// Runs `body` on two threads at once, each holding the gate for `uri(i)` for 0.2 s, and
    /// returns the largest number of bodies seen inside at the same moment.
    func peakOverlap(_ uri: @escaping @Sendable (Int) -> String) -> Int {
        let gate = CreateGate()
        let state = NSLock()
        nonisolated(unsafe) var inside = 0
        nonisolated(unsafe) var peak = 0
        let group = DispatchGroup()
        for i in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                gate.serialized(uri: uri(i)) {
                    state.withLock { inside += 1; peak = max(peak, inside) }
                    Thread.sleep(forTimeInterval: 0.2)
                    state.withLock { inside -= 1 }
                }
                group.leave()
            }
        }
        group.wait()
        return state.withLock { peak }
    }

    @Test func createsOnOneHostQueue() {
        #expect(peakOverlap { _ in "xen+tcp://dom0/system" } == 1)
    }

    @Test func createsOnDifferentHostsOverlap() {
        #expect(peakOverlap { "xen+ssh://host\($0)/system" } == 2)
    }

    @Test func anErrorLeavesTheGateOpen() throws {
        let gate = CreateGate()
        struct Refused: Error {}
        #expect(throws: Refused.self) { try gate.serialized(uri: "test:///default") { throw Refused() } }
        #expect(gate.serialized(uri: "test:///default") { 42 } == 42)
    }
}
