import Foundation
import Synchronization

/// Runs a blocking call (a libvirt RPC, a create that runs pygrub inside libxl) on the blocking
/// pool and waits for it at most `seconds`.
///
/// Why: on a wedged host a create or destroy can block for good — measured on the Xen lab, a
/// pygrub run inside libxl's create hung in a futex for over 7 minutes, and the boot's own
/// deadline, checked only when an event arrived, never fired. The call is not cancelled (libvirt
/// has no way to); its thread is left to finish or not, and the caller reports what it could
/// not confirm. Not on Swift's cooperative pool: it has one thread per core (two here), and two
/// blocked creates would starve every other task.
package enum BlockingCall {
    package struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var seconds: Double
        package var description: String { "\(what) did not return within \(Int(seconds)) s" }
    }

    package static func run<T: Sendable>(_ what: String, seconds: Double,
                                 _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let resumed = Mutex<Bool>(false)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            @Sendable func finish(_ result: Result<T, Error>) {
                let first = resumed.withLock { done -> Bool in
                    if done { return false }
                    done = true
                    return true
                }
                if first { continuation.resume(with: result) }
            }
            let done = after(seconds) { finish(.failure(TimedOut(what: what, seconds: seconds))) }
            BlockingPool.shared.submit("bootcanary-blocking") {
                finish(Result { try body() })
                done.signal()
            }
        }
    }

    /// Runs a blocking call on the blocking pool and waits for it however long it takes: for
    /// calls that had no deadline of their own before they left the cooperative pool (opening
    /// the console, an upload, qemu-img with its own timeout), so moving them changes no
    /// timeout.
    package static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            BlockingPool.shared.submit("bootcanary-blocking") {
                continuation.resume(returning: Result { () throws(E) -> T in try body() })
            }
        }
        return try result.get()
    }

    /// Calls `expire` after `seconds` unless the returned latch is set first.
    ///
    /// The deadline waits on a pool thread of its own: Dispatch's shared pool and Swift's
    /// cooperative pool were both seen firing timers seconds late in a busy test process (0.5 s
    /// became 5.7 s), which is what a deadline must not do. A thread blocked in a timed wait
    /// is woken by the kernel on time whatever the other threads are doing.
    package static func after(_ seconds: Double, _ expire: @escaping @Sendable () -> Void) -> Latch {
        let cancelled = Latch()
        BlockingPool.shared.submit("bootcanary-deadline") {
            if !cancelled.wait(timeout: seconds) { expire() }
        }
        return cancelled
    }
}

/// The dedicated pool for blocking work: libvirt RPCs, the boot's sampler, host tools and the
/// threads that wait for them, and the deadlines over them. Named threads, fed one job each.
///
/// Elastic, not fixed: a job that finds no parked thread gets a new one at once, so no job
/// ever queues behind another. A wedged create holds its thread for good (7 minutes and more,
/// measured on the Xen lab); in a fixed pool of N, N of those would leave the boot's destroy
/// and the teardown of a SIGINT without a thread. A thread that finishes its job parks for the
/// next one; at most `keepParked` park, the rest end (a `--parallel 2` diagnose keeps up to
/// eight busy at once: per boot, pygrub's call and deadline with the tool's waiter and reader,
/// later the sampler beside the destroy and its deadline).
package final class BlockingPool: Sendable {
    package static let shared = BlockingPool(keepParked: 8)

    /// One parked thread. The job is handed over under the pool's lock; the semaphore is only
    /// the wakeup (a `Mutex` cannot wait), never a lock: its wait blocks this thread in the
    /// kernel, no Dispatch queue or timer is involved.
    private final class Parked: Sendable {
        let wake = DispatchSemaphore(value: 0)
        let job = Mutex<(name: String, run: @Sendable () -> Void)?>(nil)
    }

    private struct State {
        var parked: [Parked] = []
        /// Threads alive, busy or parked (for tests).
        var threads = 0
    }
    private let state = Mutex(State())
    private let keepParked: Int

    package init(keepParked: Int) {
        self.keepParked = keepParked
    }

    /// Runs `job` on a thread of the pool, named `name` while it runs; returns at once.
    package func submit(_ name: String, _ job: @escaping @Sendable () -> Void) {
        let parked = state.withLock { s -> Parked? in
            if let p = s.parked.popLast() { return p }
            s.threads += 1
            return nil
        }
        if let parked {
            parked.job.withLock { $0 = (name, job) }
            parked.wake.signal()
            return
        }
        let thread = Thread { [self] in work(name, job) }
        thread.name = name
        thread.start()
    }

    /// Threads alive, busy or parked.
    package var threadCount: Int { state.withLock { $0.threads } }

    private func work(_ firstName: String, _ first: @escaping @Sendable () -> Void) {
        let me = Parked()
        var job = first
        var name = firstName
        while true {
            if Thread.current.name != name { Thread.current.name = name }
            job()
            let parks = state.withLock { s -> Bool in
                guard s.parked.count < keepParked else {
                    s.threads -= 1
                    return false
                }
                s.parked.append(me)
                return true
            }
            guard parks else { return }
            me.wake.wait()
            // `submit` sets the job before the one signal that wakes this thread.
            (name, job) = me.job.withLock { j in defer { j = nil }; return j! }
        }
    }
}

/// A one-shot event threads wait for with a deadline: once set it stays set.
///
/// The state is a `Mutex`'s; the semaphore is only the wakeup (a `Mutex` cannot wait), never a
/// lock: its timed wait blocks the calling thread in the kernel, so it ends on time however
/// busy Dispatch's and Swift's pools are.
package final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let fired = Mutex(false)

    package init() {}

    package func signal() {
        if fired.withLock({ f in defer { f = true }; return !f }) { semaphore.signal() }
    }

    package var isSet: Bool { fired.withLock { $0 } }

    /// Whether it was set within `seconds`; once it is, every later wait returns true at once.
    /// Blocks the calling thread: not for async code, which would hold one of the cooperative
    /// pool's two threads for as long.
    @available(*, noasync)
    package func wait(timeout seconds: Double) -> Bool {
        if isSet { return true }
        let woken = seconds.isInfinite ? semaphore.wait(timeout: .distantFuture) : semaphore.wait(timeout: .now() + seconds)
        guard woken == .success else { return false }
        semaphore.signal() // Leave it set for the next waiter.
        return true
    }
}
