import CLibvirt
import Foundation
import Synchronization

/// One domain lifecycle event (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`).
public struct LifecycleEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Int32, Sendable {
        case defined = 0, undefined, started, suspended, resumed, stopped, shutdown, pmSuspended, crashed
    }
    public var domainName: String
    public var domainUUID: String
    public var kind: Kind
    /// The raw detail; its meaning depends on `kind` (see `detailName`).
    public var detail: Int32

    public init(domainName: String, domainUUID: String, kind: Kind, detail: Int32) {
        self.domainName = domainName
        self.domainUUID = domainUUID
        self.kind = kind
        self.detail = detail
    }

    /// libvirt's detail names (virsh event's spelling). libxl emits no `shutdown` and no
    /// `crashed` events: a crashed Xen guest arrives as `stopped` with detail `crashed`.
    public var detailName: String {
        let names: [String]
        switch kind {
        case .defined: names = ["added", "updated", "renamed", "snapshot"]
        case .undefined: names = ["removed", "renamed"]
        case .started: names = ["booted", "migrated", "restored", "snapshot", "wakeup", "recreated"]
        case .suspended:
            names = ["paused", "migrated", "I/O error", "watchdog", "restored", "snapshot", "api error",
                     "post-copy", "post-copy error", "guest shutdown"]
        case .resumed: names = ["unpaused", "migrated", "snapshot", "post-copy", "post-copy error"]
        case .stopped: names = ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "snapshot", "recreated"]
        case .shutdown: names = ["finished", "guest", "host"]
        case .pmSuspended: names = ["memory", "disk"]
        case .crashed: names = ["panicked", "crashloaded"]
        }
        return detail >= 0 && Int(detail) < names.count ? names[Int(detail)] : "detail \(detail)"
    }

    public var kindName: String {
        switch kind {
        case .defined: "defined"
        case .undefined: "undefined"
        case .started: "started"
        case .suspended: "suspended"
        case .resumed: "resumed"
        case .stopped: "stopped"
        case .shutdown: "shutdown"
        case .pmSuspended: "pmsuspended"
        case .crashed: "crashed"
        }
    }

    public var description: String { "\(domainName): \(kindName) \(detailName)" }
}

extension Connection {
    /// Lifecycle events of every domain on this connection, delivered as they happen. Each
    /// call gets its own stream; the subscription ends when the consumer stops iterating or
    /// drops the stream.
    ///
    /// libvirt tracks a lifecycle callback once per connection and function ("event callback
    /// already tracked" on a second registration), so one registration per connection fans
    /// out to every subscriber.
    /// The corresponding C function is `virConnectDomainEventRegisterAny`.
    public func lifecycleEvents() throws(LibvirtError) -> AsyncStream<LifecycleEvent> {
        let hub = try lifecycleHub()
        let (stream, continuation) = AsyncStream<LifecycleEvent>.makeStream(bufferingPolicy: .unbounded)
        let id = hub.subscribe(continuation)
        continuation.onTermination = { _ in hub.unsubscribe(id) }
        return stream
    }

    /// The connection's one registration, made on first use.
    func lifecycleHub() throws(LibvirtError) -> LifecycleHub {
        let result: Result<LifecycleHub, LibvirtError> = hubState.withLock { slot in
            if let hub = slot { return .success(hub) }
            let hub = LifecycleHub()
            let opaque = Unmanaged.passRetained(hub).toOpaque()
            do {
                hub.registration = try check("virConnectDomainEventRegisterAny") {
                    CLibvirt_register_lifecycle(pointer, lifecycleCallback, opaque) {
                        Unmanaged<LifecycleHub>.fromOpaque($0!).release()
                    }
                }
            } catch let error as LibvirtError {
                Unmanaged<LifecycleHub>.fromOpaque(opaque).release()
                return .failure(error)
            } catch {
                Unmanaged<LifecycleHub>.fromOpaque(opaque).release()
                return .failure(LibvirtError(code: .unknown, message: "\(error)", function: "virConnectDomainEventRegisterAny"))
            }
            slot = hub
            return .success(hub)
        }
        return try result.get()
    }
}

/// Fans one libvirt lifecycle registration out to many streams.
final class LifecycleHub: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<LifecycleEvent>.Continuation] = [:]
        var nextID = 0
        var registration: Int32 = -1
    }
    private let state = Mutex(State())

    /// libvirt's callback id, for deregistration when the connection closes.
    var registration: Int32 {
        get { state.withLock { $0.registration } }
        set { state.withLock { $0.registration = newValue } }
    }

    func subscribe(_ c: AsyncStream<LifecycleEvent>.Continuation) -> Int {
        state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = c
            return s.nextID
        }
    }

    func unsubscribe(_ id: Int) { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }

    func deliver(_ event: LifecycleEvent) {
        for c in state.withLock({ Array($0.subscribers.values) }) { c.yield(event) }
    }
}

/// Runs on the event-loop thread. The domain pointer is borrowed for the duration of the call,
/// so its name and UUID are copied here.
private let lifecycleCallback: virConnectDomainEventCallback = { _, dom, event, detail, opaque in
    guard let dom, let opaque, let kind = LifecycleEvent.Kind(rawValue: event) else { return 0 }
    let hub = Unmanaged<LifecycleHub>.fromOpaque(opaque).takeUnretainedValue()
    let name = virDomainGetName(dom).map { String(cString: $0) } ?? ""
    var buf = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
    let uuid = virDomainGetUUIDString(dom, &buf) == 0 ? string(fromBuffer: buf) : ""
    hub.deliver(LifecycleEvent(domainName: name, domainUUID: uuid, kind: kind, detail: detail))
    return 0
}
