import CLibvirt
import Foundation
import Synchronization

/// libvirt's default event loop, run on one dedicated thread for the whole process.
///
/// libvirt delivers stream data, domain lifecycle events, keepalive replies and close
/// notifications only while someone runs `virEventRunDefaultImpl`; and the implementation must
/// be registered *before the first connection is opened* (src/util/virevent.c; kubevirt #1630
/// lost events otherwise). `Connection.open` calls `EventLoop.start()` first, so callers need
/// not remember.
public enum EventLoop {
    private static let started = Mutex(false)

    /// Registers libvirt's default event implementation, silences libvirt's habit of printing
    /// every error to stderr, and starts the loop thread. Idempotent.
    /// The corresponding C functions are `virEventRegisterDefaultImpl`, `virSetErrorFunc`,
    /// `virEventAddTimeout` and `virEventRunDefaultImpl`.
    public static func start() {
        // The whole setup runs under the lock: a second caller must wait until the loop is
        // registered, or its virConnectOpen would race libvirt's one-time initialisation
        // (seen: a crash inside glib when tests opened connections concurrently).
        started.withLock { (running: inout Bool) in
            guard !running else { return }
            running = true
            // Without a handler, every failure prints "libvirt: <domain> error : <msg>" to
            // stderr; we report errors ourselves, once, with a next step.
            virSetErrorFunc(nil, { _, _ in })
            _ = virInitialize()
            _ = virEventRegisterDefaultImpl()
            // A disabled timer so the loop always has a source to wait on (virsh does the same).
            _ = virEventAddTimeout(-1, { _, _ in }, nil, nil)
            let thread = Thread {
                while true {
                    // Blocks in GLib's g_main_context_iteration until a handle, a timer or the
                    // timeout above is due: this loop does not poll.
                    if virEventRunDefaultImpl() < 0 {
                        // It fails at once, without waiting, only when libvirt's GLib loop
                        // cannot acquire the default main context because another thread holds
                        // it ("Another thread has acquired the main loop context",
                        // src/util/vireventglib.c). libvirt offers no wakeup for that context's
                        // release, so back off 10 ms rather than spin a core, and keep serving.
                        usleep(10_000)
                    }
                }
            }
            thread.name = "libvirt-event-loop"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
