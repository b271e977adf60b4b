import Libvirt
import Synchronization

/// The origin of one boot's console times: set when the guest is resumed.
final class BootClock: Sendable {
    private let origin = Mutex(HostClock.monotonicNanoseconds())
    func markStart() { origin.withLock { $0 = HostClock.monotonicNanoseconds() } }
    func seconds(_ mono: UInt64) -> Double { Double(Int64(bitPattern: mono &- origin.withLock { $0 })) / 1e9 }
}
