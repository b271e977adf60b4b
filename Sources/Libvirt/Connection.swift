import CLibvirt
import Foundation
import Synchronization

/// An open libvirt connection (`virConnectPtr`), closed exactly once when the last reference
/// goes. Every `Domain` and `ConsoleStream` keeps its connection alive (libvirt-go's rule:
/// store the connection with the object, never call `virDomainGetConnect`).
///
/// Sendable because libvirt's public API is thread-safe for one connection used from many
/// threads (since libvirt 0.6.0; the remote driver multiplexes concurrent RPCs). The only Swift
/// state, the close handler, sits behind a `Mutex`.
public final class Connection: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The URI libvirt actually connected to (after defaults and aliases were resolved).
    public let uri: String
    public let readOnly: Bool
    private let closeBox = Mutex<CloseBox?>(nil)
    /// Shared with the close callback, which may run after this object is gone.
    private let lost = LossRecord()
    let hubState = Mutex<LifecycleHub?>(nil)

    /// Opens a connection like virsh does. `uri == nil` lets libvirt choose, which honours
    /// `LIBVIRT_DEFAULT_URI` and then its configured default. Starts the event loop first.
    /// The corresponding C function is `virConnectOpenAuth` (with `virConnectAuthPtrDefault`).
    public init(uri: String?, readOnly: Bool = false) throws(LibvirtError) {
        EventLoop.start()
        let flags: UInt32 = readOnly ? UInt32(VIR_CONNECT_RO.rawValue) : 0
        let ptr: OpaquePointer = try check("virConnectOpenAuth") {
            if let uri { return uri.withCString { CLibvirt_open($0, flags) } }
            return CLibvirt_open(nil, flags)
        }
        pointer = ptr
        self.readOnly = readOnly
        self.uri = (try? takeString("virConnectGetURI") { virConnectGetURI(ptr) }) ?? uri ?? ""
    }

    deinit {
        if let hub = hubState.withLock({ $0 }), hub.registration >= 0 {
            _ = virConnectDomainEventDeregisterAny(pointer, hub.registration)
        }
        if closeBox.withLock({ $0 }) != nil {
            _ = virConnectUnregisterCloseCallback(pointer, connectionClosed)
        }
        _ = virConnectClose(pointer)
    }

    // MARK: Liveness

    /// Opens a connection with keepalive on, at virsh's own defaults (`-k 5 -K 6`: a ping every
    /// 5 s, closed after 6 unanswered, about 35 s): every connection bootcanary holds — the
    /// suspect, `--control`, each canary profile or fleet host — notices a dead or wedged daemon
    /// instead of blocking until TCP gives up. Not shorter: with 5 s × 3, a busy dom0's libvirtd
    /// on the Xen lab left pings unanswered for 20 s while two HVM guests booted, and the run
    /// lost its connection to a daemon that was only slow (issue 10's HVM block-device case).
    /// Records why the connection closed (`lossReason`).
    public static func withKeepAlive(uri: String?, readOnly: Bool = false) throws(LibvirtError) -> Connection {
        let connection = try Connection(uri: uri, readOnly: readOnly)
        _ = try? connection.setKeepAlive(interval: 5, count: 6)
        try? connection.onClose { _ in }
        return connection
    }

    /// Why libvirt closed this connection, once it has (recorded by the close callback that
    /// `onClose` registers); nil while it is open or when no callback was registered.
    public var lossReason: CloseReason? { lost.withLock { $0 } }

    /// Asks the daemon to exchange keepalives so a dead peer is noticed within about
    /// `interval * (count + 1)` seconds. Returns false where the driver has no keepalive
    /// (in-process drivers such as `test:///`, or a peer that does not support it): that is
    /// not an error, there is simply no remote side to lose.
    /// The corresponding C function is `virConnectSetKeepAlive`.
    @discardableResult
    public func setKeepAlive(interval: Int32 = 5, count: UInt32 = 6) throws(LibvirtError) -> Bool {
        do {
            return try check("virConnectSetKeepAlive") { virConnectSetKeepAlive(pointer, interval, count) } == 0
        } catch where error.code == .noSupport {
            return false
        }
    }

    /// Why libvirt closed a connection (`virConnectCloseReason`).
    public enum CloseReason: Int32, Sendable {
        case error = 0, endOfFile = 1, keepalive = 2, client = 3

        /// The reason in an operator's words.
        public var explanation: String {
            switch self {
            case .error: "a socket error"
            case .endOfFile: "the daemon closed it (stopped or crashed)"
            case .keepalive: "the daemon stopped answering keepalive pings"
            case .client: "this client closed it"
            }
        }
    }

    /// Calls `handler` (on the event-loop thread) when the connection is lost. One handler per
    /// connection, as libvirt allows.
    /// The corresponding C function is `virConnectRegisterCloseCallback`.
    public func onClose(_ handler: @escaping @Sendable (CloseReason) -> Void) throws(LibvirtError) {
        let box = CloseBox { [lost] reason in
            lost.withLock { $0 = reason }
            handler(reason)
        }
        let opaque = Unmanaged.passRetained(box).toOpaque()
        do {
            try check("virConnectRegisterCloseCallback") {
                virConnectRegisterCloseCallback(pointer, connectionClosed, opaque) { Unmanaged<CloseBox>.fromOpaque($0!).release() }
            }
        } catch {
            Unmanaged<CloseBox>.fromOpaque(opaque).release()
            throw error
        }
        closeBox.withLock { $0 = box }
    }

    /// True while the connection to the daemon is usable.
    /// The corresponding C function is `virConnectIsAlive`.
    public var isAlive: Bool { virConnectIsAlive(pointer) == 1 }

    // MARK: Domains

    /// How `createTransient` actually started a domain, after any fallback.
    public struct StartMode: Sendable, Equatable {
        /// The vCPUs wait for `Domain.resume()`.
        public var paused: Bool
        /// libvirt destroys the domain when this connection closes, even if this process is
        /// killed (QEMU supports it; libxl and the test driver do not).
        public var autoDestroy: Bool
    }

    /// Creates and starts a transient domain (it disappears when it stops). With
    /// `startPaused`, the domain's vCPUs wait until `Domain.resume()`, so a console opened in
    /// between misses no byte. With `autoDestroy`, the daemon destroys it when this
    /// connection goes away. Drivers that reject a flag with "unsupported flags" get virsh's
    /// fallback: retry without it (auto-destroy dropped first), and the returned mode says so.
    /// The corresponding C function is `virDomainCreateXML`.
    public func createTransient(xml: String, startPaused: Bool, autoDestroy: Bool = false) throws(LibvirtError)
        -> (domain: Domain, mode: StartMode)
    {
        var mode = StartMode(paused: startPaused, autoDestroy: autoDestroy)
        while true {
            var flags: UInt32 = 0
            if mode.paused { flags |= UInt32(VIR_DOMAIN_START_PAUSED.rawValue) }
            if mode.autoDestroy { flags |= UInt32(VIR_DOMAIN_START_AUTODESTROY.rawValue) }
            do {
                let ptr: OpaquePointer = try check("virDomainCreateXML") { virDomainCreateXML(pointer, xml, flags) }
                return (Domain(pointer: ptr, connection: self), mode)
            } catch where flags != 0 && error.code == .invalidArg && error.message.contains("unsupported flags") {
                if mode.autoDestroy { mode.autoDestroy = false } else { mode.paused = false }
            }
        }
    }

    /// The corresponding C function is `virDomainLookupByName`.
    public func domain(named name: String) throws(LibvirtError) -> Domain {
        let ptr: OpaquePointer = try check("virDomainLookupByName") { virDomainLookupByName(pointer, name) }
        return Domain(pointer: ptr, connection: self)
    }

    /// Which domains `listDomains` returns.
    public struct ListFilter: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let active = ListFilter(rawValue: UInt32(VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue))
        public static let inactive = ListFilter(rawValue: UInt32(VIR_CONNECT_LIST_DOMAINS_INACTIVE.rawValue))
        public static let all: ListFilter = []
    }

    /// The corresponding C function is `virConnectListAllDomains`.
    public func listDomains(_ filter: ListFilter = .all) throws(LibvirtError) -> [Domain] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let n = try check("virConnectListAllDomains") { virConnectListAllDomains(pointer, &list, filter.rawValue) }
        defer { free(list) }
        return (0..<Int(n)).compactMap { i in list?[i].map { Domain(pointer: $0, connection: self) } }
    }
}

/// Why a connection was closed, written by the close callback on the event-loop thread.
private final class LossRecord: Sendable {
    private let reason = Mutex<Connection.CloseReason?>(nil)
    func withLock<T>(_ body: (inout Connection.CloseReason?) -> T) -> T { reason.withLock { body(&$0) } }
}

private final class CloseBox: Sendable {
    let handler: @Sendable (Connection.CloseReason) -> Void
    init(_ handler: @escaping @Sendable (Connection.CloseReason) -> Void) { self.handler = handler }
}

/// The C close callback; `opaque` is a retained `CloseBox`.
private let connectionClosed: virConnectCloseFunc = { _, reason, opaque in
    guard let opaque else { return }
    let box = Unmanaged<CloseBox>.fromOpaque(opaque).takeUnretainedValue()
    box.handler(Connection.CloseReason(rawValue: reason) ?? .error)
}
