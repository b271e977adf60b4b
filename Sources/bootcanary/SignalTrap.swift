import CanaryEvidence
import Foundation
import Synchronization

/// On SIGINT or SIGTERM: destroy every test domain in flight, remove scratch files and
/// uploads, then exit with the shell's code for the signal (130, 143). The handlers run on a
/// dispatch queue, not in signal context, so they may call libvirt.
///
/// Teardown is bounded: a daemon that stopped answering (measured: dom0's libvirtd hung, and
/// a destroy blocked for good) must not turn Ctrl-C into a hang. After `limitSeconds`, or at
/// a second signal, bootcanary exits anyway and says so; the ledger still lists whatever was
/// not undone, so `bootcanary cleanup` removes it once the daemon answers again.
enum SignalTrap {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let tearingDown = Atomic<Bool>(false)
    /// Creations under way get up to 60 s (a Xen create runs pygrub); the undo actions the rest.
    static let limitSeconds = 90.0

    static func install() {
        // A reader that went away (`bootcanary diagnose | tee log` with both Ctrl-C'd, or a
        // test runner that died) must not kill the run before its teardown: measured on the
        // Xen lab, an orphaned diagnose whose stderr pipe had no reader died of SIGPIPE on the
        // first "interrupted; cleaning up" line and left both of its test domains running.
        signal(SIGPIPE, SIG_IGN)
        for (signo, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { handle(code: code) }
            source.resume()
            sources.append(source)
        }
    }

    /// Called as a command returns (a `defer` after `install`): once teardown has begun, the
    /// process ends from the teardown thread with the signal's status, not with the status of
    /// the work the signal interrupted (measured: a create cut off by a frozen daemon returned
    /// first and the run exited 3 instead of 130).
    static func yieldToTeardown() {
        guard tearingDown.load(ordering: .sequentiallyConsistent) else { return }
        while true { sleep(60) }
    }

    private static func say(_ text: String) {
        Terminal.raw(FileHandle.standardError, "bootcanary: \(text)\n")
    }

    private static func handle(code: Int32) {
        guard tearingDown.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else {
            say("second interrupt: exiting before cleanup finished; run `bootcanary cleanup` to remove what is left")
            exit(code)
        }
        Terminal.raw(FileHandle.standardError, "\nbootcanary: interrupted; cleaning up (interrupt again to exit at once)...\n")
        // Off the handler's queue, so a second signal is still heard while libvirt calls block.
        Thread.detachNewThread {
            let undone = Teardown.shared.runAll()
            for label in undone { say(label) }
            exit(code)
        }
        // The limit has a thread of its own that waits once (no poll): Dispatch's shared pool
        // was seen firing timers seconds late in a busy process (0.5 s became 5.7 s; see
        // BlockingCall.after, which the library's deadlines use).
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: limitSeconds)
            say("cleanup did not finish within \(Int(limitSeconds)) s (is libvirtd answering?); run `bootcanary cleanup` once it does")
            exit(code)
        }
    }
}
