import Foundation
import Synchronization

/// One domain create at a time per libvirt URI: within this process, and across bootcanary
/// processes on this machine (a canary timer firing during an operator's diagnose).
///
/// Why: libvirt 9.0's libxl driver (Debian 12's, the Xen lab's dom0) is not safe under
/// concurrent `virDomainCreateXML`. Measured on the Xen lab with two creates in the same
/// millisecond: libvirtd died with a general protection fault in libc (every connection saw
/// "End of file while reading data"), and in another run libxl read a garbled kernel from a
/// healthy image ("unable to LZ4 decompress kernel") so a healthy host read as intermittent.
/// A diagnosis must never take down the host's daemon, so creates queue; the boots themselves
/// still run in parallel. On QEMU a create takes well under a second, so the queue costs little;
/// on Xen it includes pygrub's extraction, which is exactly the part that must not overlap.
/// Different hosts (a fleet canary) do not wait for each other.
///
/// Across processes the queue is an `flock` on a file per URI in a folder only we can write
/// (the lock is released by the kernel when a process dies, so a killed run blocks nobody).
final class CreateGate: Sendable {
    static let shared = CreateGate()

    /// A create on this host that never returned: later creates fail at once instead of
    /// queueing behind a call that holds the gate for good.
    struct Wedged: Error, CustomStringConvertible {
        var uri: String
        var why: String
        var description: String { "an earlier create on \(uri) has not returned (\(why)); not starting another on that host" }
    }

    /// One queue per host: a lock that a create holds for its whole length.
    private final class HostQueue: Sendable {
        let lock = Mutex<Void>(())
    }
    private let queues = Mutex<[String: HostQueue]>([:])
    private let wedged = Mutex<[String: String]>([:])
    private let lockFolder: URL?

    /// `lockFolder` nil: no cross-process lock (tests of the in-process queue).
    init(lockFolder: URL? = CreateGate.defaultLockFolder()) {
        self.lockFolder = lockFolder
    }

    /// /run/bootcanary for root (gone at reboot, with the creates it guarded), else the
    /// user's runtime folder.
    static func defaultLockFolder() -> URL {
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_STATE_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir).appendingPathComponent("locks")
        }
        if geteuid() == 0 { return URL(fileURLWithPath: "/run/bootcanary") }
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return URL(fileURLWithPath: runtime).appendingPathComponent("bootcanary")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/bootcanary/locks")
    }

    /// Runs `body` once no other create on `uri` runs. Blocks while it queues: run it on the
    /// blocking pool (BootProbe's create does), never on the cooperative pool's two threads.
    @available(*, noasync)
    func serialized<T>(uri: String, _ body: () throws -> T) throws -> T {
        if let why = wedged.withLock({ $0[uri] }) { throw Wedged(uri: uri, why: why) }
        let queue = queues.withLock { table -> HostQueue in
            if let existing = table[uri] { return existing }
            let made = HostQueue()
            table[uri] = made
            return made
        }
        // `withLock` blocks this thread (creates run on their own threads, BlockingCall),
        // which is what a queue of creates is.
        return try queue.lock.withLock { _ in
            if let why = wedged.withLock({ $0[uri] }) { throw Wedged(uri: uri, why: why) }
            let fd = try fileLock(uri)
            defer { if fd >= 0 { flock(fd, LOCK_UN); close(fd) } }
            return try body()
        }
    }

    func markWedged(uri: String, why: String) {
        wedged.withLock { $0[uri] = why }
    }

    /// The lock file for `uri`, locked; -1 when there is no lock folder.
    func fileLock(_ uri: String) throws -> Int32 {
        guard let lockFolder else { return -1 }
        try ScratchFolder.prepareRoot(lockFolder)
        let path = lockFolder.appendingPathComponent("create-\(Self.fileName(uri)).lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ScratchFolder.Failure.cannotCreate(path, String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let why = String(cString: strerror(errno))
                close(fd)
                throw ScratchFolder.Failure.cannotCreate(path, why)
            }
        }
        return fd
    }

    /// A stable file name for a URI: FNV-1a, so any URI (slashes, user names) maps to a name.
    static func fileName(_ uri: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in uri.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(hash, radix: 16)
    }
}
