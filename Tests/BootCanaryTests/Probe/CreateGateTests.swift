import Foundation
import Synchronization
import Testing
@testable import CanaryEvidence
@testable import CanaryProbe

/// Creates against one host never overlap (libxl's driver crashed when they did); creates
/// against different hosts are not held up by each other.
struct CreateGateTests {
    /// Runs `body` on two threads at once, each holding the gate for `uri(i)` for 0.2 s, and
    /// returns the largest number of bodies seen inside at the same moment.
    func peakOverlap(_ uri: @escaping @Sendable (Int) -> String) -> Int {
        let gate = CreateGate(lockFolder: nil)
        let state = NSLock()
        nonisolated(unsafe) var inside = 0
        nonisolated(unsafe) var peak = 0
        let group = DispatchGroup()
        for i in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                try? gate.serialized(uri: uri(i)) {
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
        let gate = CreateGate(lockFolder: nil)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try gate.serialized(uri: "test:///default") { throw Refused() } }
        #expect(try gate.serialized(uri: "test:///default") { 42 } == 42)
    }

    /// Another process (here: another open file description, which is what flock tells
    /// apart) cannot take the host's create lock while a create holds it, and can after.
    @Test func theQueueHoldsAcrossProcesses() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-locks-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let gate = CreateGate(lockFolder: folder)
        let uri = "xen+ssh://root@xen07/system"
        let path = folder.appendingPathComponent("create-\(CreateGate.fileName(uri)).lock").path
        func otherProcessCanLock() -> Bool {
            let fd = open(path, O_RDWR)
            guard fd >= 0 else { return true }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
            flock(fd, LOCK_UN)
            return true
        }
        let heldInside = try gate.serialized(uri: uri) { otherProcessCanLock() }
        #expect(heldInside == false, "a second bootcanary could have created on the same host")
        #expect(otherProcessCanLock())
    }

    /// After a create that never returned, the host's later creates fail at once.
    @Test func aWedgedHostFailsLaterCreatesAtOnce() throws {
        let gate = CreateGate(lockFolder: nil)
        gate.markWedged(uri: "xen:///system", why: "creating x did not return within 180 s")
        #expect(throws: CreateGate.Wedged.self) { try gate.serialized(uri: "xen:///system") { 1 } }
        #expect(try gate.serialized(uri: "qemu:///system") { 2 } == 2)
    }

    /// A blocking call that does not return is given up on at its deadline, without waiting
    /// for it (asserted by the call's own progress, not by wall time: in a parallel test run
    /// the awaiting task can be resumed seconds late).
    @Test func aBlockingCallIsBounded() async throws {
        final class Flag: Sendable { let value = Mutex(false) }
        let finished = Flag()
        await #expect(throws: BlockingCall.TimedOut.self) {
            try await BlockingCall.run("a stuck RPC", seconds: 0.5) {
                Thread.sleep(forTimeInterval: 60)
                finished.value.withLock { $0 = true }
                return 1
            }
        }
        #expect(finished.value.withLock { $0 } == false, "the deadline waited for the call")
        #expect(try await BlockingCall.run("a quick RPC", seconds: 5) { 7 } == 7)
    }
}
