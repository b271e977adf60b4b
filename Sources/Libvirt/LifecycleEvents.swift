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
    /// Lifecycle events of every domain on this connection, delivered as they happen. The
    /// registration ends when the stream's consumer stops iterating or drops it.
    /// The corresponding C function is `virConnectDomainEventRegisterAny`
    /// (deregistered with `virConnectDomainEventDeregisterAny`).
    public func lifecycleEvents() throws(LibvirtError) -> AsyncStream<LifecycleEvent> {
        let (stream, continuation) = AsyncStream<LifecycleEvent>.makeStream(bufferingPolicy: .unbounded)
        let box = LifecycleBox(continuation)
        let opaque = Unmanaged.passRetained(box).toOpaque()
        let id: Int32
        do {
            id = try check("virConnectDomainEventRegisterAny") {
                bootcanary_register_lifecycle(pointer, lifecycleCallback, opaque) {
                    Unmanaged<LifecycleBox>.fromOpaque($0!).release()
                }
            }
        } catch {
            Unmanaged<LifecycleBox>.fromOpaque(opaque).release()
            throw error
        }
        continuation.onTermination = { [self] _ in
            _ = virConnectDomainEventDeregisterAny(self.pointer, id)
        }
        return stream
    }
}

private final class LifecycleBox: Sendable {
    let continuation: AsyncStream<LifecycleEvent>.Continuation
    init(_ c: AsyncStream<LifecycleEvent>.Continuation) { continuation = c }
}

/// Runs on the event-loop thread. The domain pointer is borrowed for the duration of the call,
/// so its name and UUID are copied here.
private let lifecycleCallback: virConnectDomainEventCallback = { _, dom, event, detail, opaque in
    guard let dom, let opaque, let kind = LifecycleEvent.Kind(rawValue: event) else { return 0 }
    let box = Unmanaged<LifecycleBox>.fromOpaque(opaque).takeUnretainedValue()
    let name = virDomainGetName(dom).map { String(cString: $0) } ?? ""
    var buf = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
    let uuid = virDomainGetUUIDString(dom, &buf) == 0 ? string(fromBuffer: buf) : ""
    box.continuation.yield(LifecycleEvent(domainName: name, domainUUID: uuid, kind: kind, detail: detail))
    return 0
}
