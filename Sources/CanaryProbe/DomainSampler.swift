import CanaryEvidence
import Foundation
import Libvirt
import Synchronization

/// Looks at a domain about once a second — its state (`virDomainGetInfo`) and its CPU time
/// (`virDomainGetCPUStats` where the driver counts it precisely, else `virDomainGetInfo`'s)
/// — and hands each look to the boot loop.
///
/// It runs on the blocking pool, not on Swift's cooperative pool: the call is a blocking RPC,
/// and on a two-core host the pool has two threads. Two probes booting in parallel (the default
/// `--parallel 2`) with a busy libvirtd could block both, and a watchdog left without samples
/// cannot tell an idle guest from a spinning one.
///
/// `stop()` waits for a look already in flight: no `virDomainGetInfo`/`virDomainGetCPUStats`
/// of this domain may still be on the wire when the boot goes on to abort the console and
/// destroy the domain (the libxl driver drops the domain's lock inside destroy; a query that
/// races it is the kind of overlap a diagnosis must not put on a host's daemon).
final class DomainSampler: Sendable {
    /// Set by `stop()`; also what the sleep between looks waits on, so a stop ends it at once.
    private let stopped = Latch()
    /// Set by the sampling loop as it ends: no look is in flight any more.
    private let finished = Latch()

    /// How long `stop()` waits for a look in flight. A daemon that stopped answering must not
    /// hold the teardown forever; the boot then ends as an infrastructure error anyway.
    static let stopWaitSeconds = 30.0

    /// Whether `virDomainGetInfo`'s CPU time is already exact on this connection's driver, so
    /// one RPC a look is enough. libvirt's libxl driver fills it from `libxl_domain_info`'s
    /// `cpu_time`, Xen's own nanosecond counter (libxl_driver.c, libxlDomainGetInfo); the
    /// QEMU driver's comes from /proc ticks (10 ms), so there `virDomainGetCPUStats` (two RPCs:
    /// count, then values) stays. Why it matters: measured in the Xen lab's dom0, each of these
    /// RPCs cost libvirtd's event-loop thread 50-200 ms of CPU under nested emulation; three a
    /// second for each of two HVM probes kept it about 50 % busy (20 % with one), next to the
    /// guests' device models on the same two vCPUs. A diagnosis must not load the daemon it
    /// depends on.
    static func infoTimeIsExact(uri: String) -> Bool {
        uri.hasPrefix("xen:") || uri.hasPrefix("xen+")
    }

    /// Starts sampling at once. `deliver` is called on the sampler's thread.
    convenience init(domain: Domain, interval: Double = 1, clock: BootClock, infoTimeIsExact: Bool = false, vcpus: Int = 1,
                     asksVCPUStates: Bool = false,
                     deliver: @escaping @Sendable (Result<BootWatchdog.Sample, LibvirtError>) -> Void) {
        // nil until the first look: whether the driver has a precise CPU counter. Only the
        // sampler's thread touches it; a Mutex because the look is a @Sendable closure.
        let precise = Mutex<Bool?>(infoTimeIsExact ? false : nil)
        // On Xen PV and PVH, every third look also asks what the vCPUs are doing
        // (virDomainGetVcpus): a vCPU that is neither running nor blocked is waiting for a pCPU.
        // One RPC more every 3 s, not every second: each costs dom0's libvirtd 50-200 ms of CPU
        // under emulation. Not on HVM: a vCPU waiting for its device model (qemu-dm emulating
        // an I/O access) is neither running nor blocked either. Measured on the Xen lab in CI:
        // HVM direct-kernel boots sat after SeaBIOS's "Booting from ROM..." while qemu-dm in
        // dom0 loaded the kernel, their vCPUs read waiting with a trickle of CPU time, and two
        // healthy boots were called frozen: host_fault on a healthy host.
        let looks = Mutex(0)
        let vcpuCount = max(1, vcpus)
        self.init(interval: interval, look: {
            Result { () throws(LibvirtError) -> BootWatchdog.Sample in
                let info = try domain.info()
                var cpu = info.cpuTimeNanoseconds
                if precise.withLock({ $0 }) != false {
                    let total = try? domain.totalCPUTimeNanoseconds()
                    precise.withLock { if $0 == nil { $0 = total != nil } }
                    if let total { cpu = total }
                }
                var waiting: Bool?
                if asksVCPUStates, looks.withLock({ n in defer { n += 1 }; return n % 3 == 0 }),
                   let states = try? domain.vcpuStates(max: vcpuCount), !states.isEmpty {
                    waiting = states.allSatisfy { $0 == .offline }
                }
                return BootWatchdog.Sample(seconds: clock.seconds(HostClock.monotonicNanoseconds()),
                                           running: info.state == .running || info.state == .blocked,
                                           paused: info.state == .paused,
                                           cpuSeconds: Double(cpu) / 1e9, vcpusWaiting: waiting)
            }
        }, deliver: deliver)
    }

    /// Starts calling `look` at once and then every `interval` seconds, handing each result to
    /// `deliver`, both on the sampler's thread.
    init(interval: Double, look: @escaping @Sendable () -> Result<BootWatchdog.Sample, LibvirtError>,
         deliver: @escaping @Sendable (Result<BootWatchdog.Sample, LibvirtError>) -> Void) {
        let stopped = stopped, finished = finished
        BlockingPool.shared.submit("bootcanary-sampler") {
            while !stopped.isSet {
                let sample = look()
                // Nothing is delivered after stop() returned.
                if stopped.isSet { break }
                deliver(sample)
                // Sleep, but wake at once when stopped.
                if stopped.wait(timeout: interval) { break }
            }
            finished.signal()
        }
    }

    /// Stops sampling and waits (up to `stopWaitSeconds`) until a look in progress has
    /// returned; nothing is delivered after this returns. Idempotent. Blocks for as long as a
    /// look takes: call it on the blocking pool (`BootProbe.endDomain` does).
    @available(*, noasync)
    func stop() {
        stopped.signal()
        _ = finished.wait(timeout: Self.stopWaitSeconds)
    }
}
