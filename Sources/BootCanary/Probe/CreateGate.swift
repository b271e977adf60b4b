import Foundation

/// One domain create at a time per libvirt URI, within this process.
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
final class CreateGate: @unchecked Sendable {
    static let shared = CreateGate()

    // @unchecked: `locks` is only touched under `guardLock`; each NSLock is itself thread-safe.
    private let guardLock = NSLock()
    private var locks: [String: NSLock] = [:]

    func serialized<T>(uri: String, _ body: () throws -> T) rethrows -> T {
        let lock = guardLock.withLock { () -> NSLock in
            if let existing = locks[uri] { return existing }
            let made = NSLock()
            locks[uri] = made
            return made
        }
        return try lock.withLock(body)
    }
}
