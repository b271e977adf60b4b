import Foundation
import Synchronization

/// Runs a blocking call (a libvirt RPC, a create that runs pygrub inside libxl) on a thread of
/// its own and waits for it at most `seconds`.
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
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                finish(Result { try body() })
                done.signal()
            }
            thread.name = "bootcanary-blocking"
            thread.start()
            // The deadline has a thread of its own too: Dispatch's shared pool and Swift's
            // cooperative pool were both seen firing timers seconds late in a busy test
            // process (0.5 s became 5.7 s), which is what a deadline must not do.
            let timer = Thread {
                if done.wait(timeout: .now() + seconds) == .timedOut {
                    finish(.failure(TimedOut(what: what, seconds: seconds)))
                }
            }
            timer.name = "bootcanary-deadline"
            timer.start()
        }
    }
}
