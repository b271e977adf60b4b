import Foundation
import Libvirt
import Synchronization

/// Looks at a domain about once a second — its state (`virDomainGetInfo`) and its CPU time
/// (`virDomainGetCPUStats` where the driver counts it precisely, else `virDomainGetInfo`'s)
/// — and hands each look to the boot loop.
///
/// It runs on a thread of its own, not on Swift's cooperative pool: the call is a blocking RPC,
/// and on a two-core host the pool has two threads. Two probes booting in parallel (the default
/// `--parallel 2`) with a busy libvirtd could block both, and a watchdog left without samples
/// cannot tell an idle guest from a spinning one.
final class DomainSampler: Sendable {
    private let stopped = Atomic<Bool>(false)

    /// Starts sampling at once. `deliver` is called on the sampler's thread.
    init(domain: Domain, interval: Double = 1, clock: BootClock,
         deliver: @escaping @Sendable (Result<BootWatchdog.Sample, LibvirtError>) -> Void) {
        let thread = Thread { [self] in
            // nil until the first look: whether the driver has a precise CPU counter.
            var precise: Bool?
            while !stopped.load(ordering: .acquiring) {
                let look = Result { () throws(LibvirtError) -> BootWatchdog.Sample in
                    let info = try domain.info()
                    var cpu = info.cpuTimeNanoseconds
                    if precise != false {
                        let total = try? domain.totalCPUTimeNanoseconds()
                        if precise == nil { precise = total != nil }
                        if let total { cpu = total }
                    }
                    return BootWatchdog.Sample(seconds: clock.seconds(HostClock.monotonicNanoseconds()),
                                               running: info.state == .running || info.state == .blocked,
                                               paused: info.state == .paused,
                                               cpuSeconds: Double(cpu) / 1e9)
                }
                deliver(look)
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "bootcanary-sampler"
        thread.start()
    }

    /// Stops sampling; a look already in progress may still be delivered.
    func stop() { stopped.store(true, ordering: .releasing) }
}
