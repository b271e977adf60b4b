import CLibvirt
import Foundation

/// A libvirt domain handle (`virDomainPtr`), freed exactly once, keeping its connection alive.
/// Sendable for the same reason as `Connection`: libvirt's domain calls are thread-safe.
public final class Domain: @unchecked Sendable {
    let pointer: OpaquePointer
    public let connection: Connection

    init(pointer: OpaquePointer, connection: Connection) {
        self.pointer = pointer
        self.connection = connection
    }

    deinit { _ = virDomainFree(pointer) }

    /// The corresponding C function is `virDomainGetName`.
    public var name: String {
        guard let raw = virDomainGetName(pointer) else { return "" }
        return String(cString: raw) // owned by the domain object: not freed
    }

    /// The corresponding C function is `virDomainGetUUIDString`.
    public var uuid: String {
        var buf = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(pointer, &buf) == 0 else { return "" }
        return string(fromBuffer: buf)
    }

    /// The hypervisor's id of a running domain (Xen's domid), nil when inactive.
    /// The corresponding C function is `virDomainGetID`.
    public var id: UInt32? {
        let v = virDomainGetID(pointer)
        return v == UInt32.max ? nil : v
    }

    /// The corresponding C function is `virDomainResume`.
    public func resume() throws(LibvirtError) {
        try check("virDomainResume") { virDomainResume(pointer) }
    }

    /// The corresponding C function is `virDomainSuspend`.
    public func suspend() throws(LibvirtError) {
        try check("virDomainSuspend") { virDomainSuspend(pointer) }
    }

    /// Stops the domain at once. A transient domain that already stopped has vanished, so
    /// "no such domain" and "not running" count as done: teardown must be idempotent.
    /// Returns true when this call did the destroying.
    /// The corresponding C function is `virDomainDestroy` (flags must be 0 on libxl).
    @discardableResult
    public func destroy() throws(LibvirtError) -> Bool {
        do {
            try check("virDomainDestroy") { virDomainDestroy(pointer) }
            return true
        } catch where error.code == .noDomain || error.code == .operationInvalid {
            return false
        }
    }

    /// Removes a persistent definition. Only needed for domains someone else defined.
    /// The corresponding C function is `virDomainUndefine`.
    public func undefine() throws(LibvirtError) {
        do {
            try check("virDomainUndefine") { virDomainUndefine(pointer) }
        } catch where error.code == .noDomain {}
    }

    /// The corresponding C function is `virDomainGetState`.
    public func state() throws(LibvirtError) -> DomainState {
        var state: Int32 = 0
        var reason: Int32 = 0
        try check("virDomainGetState") { virDomainGetState(pointer, &state, &reason, 0) }
        return DomainState(rawState: state, rawReason: reason)
    }

    /// State, memory, vCPU count and cumulative vCPU time.
    /// The corresponding C function is `virDomainGetInfo`.
    public func info() throws(LibvirtError) -> DomainInfo {
        var info = virDomainInfo()
        try check("virDomainGetInfo") { virDomainGetInfo(pointer, &info) }
        return DomainInfo(
            state: DomainState.Kind(rawValue: Int32(info.state)) ?? .noState,
            maxMemoryKiB: UInt64(info.maxMem),
            memoryKiB: UInt64(info.memory),
            vcpus: Int(info.nrVirtCpu),
            cpuTimeNanoseconds: info.cpuTime
        )
    }

    /// The domain's total CPU time in nanoseconds as the driver accounts it precisely (QEMU:
    /// the cgroup's cpuacct counter), or nil where the driver has no such counter.
    /// `info().cpuTimeNanoseconds` on QEMU comes from /proc in clock ticks (10 ms): an idle
    /// guest uses about 3 ms a second, so over a few seconds it can read as not moving at all.
    /// The corresponding C function is `virDomainGetCPUStats` (start_cpu -1: the total).
    public func totalCPUTimeNanoseconds() throws(LibvirtError) -> UInt64? {
        let count: Int32
        do {
            count = try check("virDomainGetCPUStats") { virDomainGetCPUStats(pointer, nil, 0, -1, 1, 0) }
        } catch where error.code == .noSupport || error.code == .operationInvalid || error.code == .argumentUnsupported {
            return nil
        }
        guard count > 0 else { return nil }
        var params = [virTypedParameter](repeating: virTypedParameter(), count: Int(count))
        let filled = try params.withUnsafeMutableBufferPointer { (buffer) throws(LibvirtError) -> Int32 in
            try check("virDomainGetCPUStats") { virDomainGetCPUStats(pointer, buffer.baseAddress, UInt32(count), -1, 1, 0) }
        }
        defer { virTypedParamsClear(&params, Int32(params.count)) }
        var value: UInt64 = 0
        guard virTypedParamsGetULLong(&params, filled, VIR_DOMAIN_CPU_STATS_CPUTIME, &value) == 1 else { return nil }
        return value
    }

    /// Each vCPU's state as the driver reports it. libvirt's libxl driver maps libxl's
    /// vcpuinfo: `running` → running, `blocked` → blocked, neither → offline, which for an
    /// online vCPU is one that is runnable and waiting for a pCPU (libxl_driver.c,
    /// libxlDomainGetVcpus; seen on the Xen lab: a guest capped with `xl sched-credit2 -c 1`
    /// reads "offline" while its time creeps ~1 %). The QEMU driver reports every vCPU running.
    /// The corresponding C function is `virDomainGetVcpus`.
    public func vcpuStates(max: Int) throws(LibvirtError) -> [VCPUState] {
        var info = [virVcpuInfo](repeating: virVcpuInfo(), count: Swift.max(1, max))
        let n = try info.withUnsafeMutableBufferPointer { (buffer) throws(LibvirtError) -> Int32 in
            try check("virDomainGetVcpus") { virDomainGetVcpus(pointer, buffer.baseAddress, Int32(buffer.count), nil, 0) }
        }
        return info.prefix(Int(n)).map { i in
            switch Int32(i.state) {
            case Int32(VIR_VCPU_RUNNING.rawValue): .running
            case Int32(VIR_VCPU_BLOCKED.rawValue): .blocked
            default: .offline
            }
        }
    }

    /// The corresponding C function is `virDomainGetXMLDesc`.
    /// A QEMU human-monitor command's answer (`info registers -a`), through libvirt-qemu's
    /// virDomainQemuMonitorCommand with the HMP flag. Read-only commands only: libvirt marks a
    /// domain "tainted" after any monitor command, which is harmless for a test domain about to
    /// be destroyed and why bootcanary never sends one to another guest.
    public func qemuMonitorCommand(_ command: String) throws(LibvirtError) -> String {
        var result: UnsafeMutablePointer<CChar>?
        _ = try check("virDomainQemuMonitorCommand") {
            virDomainQemuMonitorCommand(pointer, command, &result, UInt32(VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP.rawValue))
        }
        defer { free(result) }
        return result.map { String(cString: $0) } ?? ""
    }

    public func xmlDescription() throws(LibvirtError) -> String {
        try takeString("virDomainGetXMLDesc") { virDomainGetXMLDesc(pointer, 0) }
    }

    /// Whether libvirt keeps a definition of it after it stops.
    /// The corresponding C function is `virDomainIsPersistent`.
    public var isPersistent: Bool { virDomainIsPersistent(pointer) == 1 }
}

/// `virDomainInfo`, in Swift units.
public struct DomainInfo: Sendable, Hashable {
    public var state: DomainState.Kind
    public var maxMemoryKiB: UInt64
    public var memoryKiB: UInt64
    public var vcpus: Int
    /// Cumulative vCPU time in nanoseconds (all vCPUs together).
    public var cpuTimeNanoseconds: UInt64
}

/// A domain's state and libvirt's reason for it (`virDomainState` + per-state reason enums).
public struct DomainState: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Int32, Sendable {
        case noState = 0, running, blocked, paused, shutdown, shutoff, crashed, pmSuspended
    }
    public var kind: Kind
    /// The raw reason; its meaning depends on `kind` (see `reasonName`).
    public var reason: Int32

    public init(rawState: Int32, rawReason: Int32) {
        kind = Kind(rawValue: rawState) ?? .noState
        reason = rawReason
    }

    /// libvirt's name for the reason, as virsh prints it ("user", "crashed", "destroyed").
    public var reasonName: String {
        let names: [String]
        switch kind {
        case .running:
            names = ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
                     "migration canceled", "save canceled", "event wakeup", "crashed", "post-copy",
                     "post-copy failed"]
        case .paused:
            names = ["unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog",
                     "from snapshot", "shutting down", "creating snapshot", "crashed", "starting up",
                     "post-copy", "post-copy failed", "api error"]
        case .shutoff:
            names = ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
                     "from snapshot", "daemon"]
        case .shutdown:
            names = ["unknown", "user"]
        case .crashed:
            names = ["unknown", "panicked"]
        case .blocked, .noState, .pmSuspended:
            names = ["unknown"]
        }
        return reason >= 0 && Int(reason) < names.count ? names[Int(reason)] : "reason \(reason)"
    }

    public var name: String {
        switch kind {
        case .noState: "no state"
        case .running: "running"
        case .blocked: "blocked"
        case .paused: "paused"
        case .shutdown: "in shutdown"
        case .shutoff: "shut off"
        case .crashed: "crashed"
        case .pmSuspended: "pmsuspended"
        }
    }

    public var description: String { "\(name) (\(reasonName))" }
}

/// `virVcpuState`: what a vCPU was doing when asked (see `Domain.vcpuStates`).
public enum VCPUState: Sendable, Hashable {
    case running, blocked, offline
}
