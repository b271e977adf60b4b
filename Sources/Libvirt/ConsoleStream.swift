import CLibvirt
import Foundation
import Synchronization

/// Bytes read from a guest console, stamped on arrival. The stream carries no timing of its
/// own, so the arrival time (CLOCK_MONOTONIC, plus the wall clock for people) is the best
/// host-side time a console byte can have.
public struct ConsoleChunk: Sendable, Hashable {
    public var bytes: [UInt8]
    public var monotonicNanoseconds: UInt64
    public var wall: Date
}

/// What a console stream delivers.
public enum ConsoleEvent: Sendable {
    case data(ConsoleChunk)
    /// The far side closed the stream (the domain stopped; libvirt reports EOF).
    case endOfStream(monotonicNanoseconds: UInt64)
    /// The stream broke. At guest shutdown libvirt reports an RPC error from the streams
    /// layer; that is the normal end of a console, not an infrastructure failure
    /// (libvirt-python examples/consolecallback.py ignores it likewise).
    case failed(LibvirtError, monotonicNanoseconds: UInt64)
}

/// The host's monotonic clock, the one every console chunk is stamped with.
public enum HostClock {
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// A guest's console, read without blocking through libvirt's event loop (virsh's design,
/// tools/virsh-console.c): a non-blocking `virStreamPtr` whose READABLE callback drains every
/// pending byte until libvirt says "no data yet" (-2).
///
/// Open it on a domain created paused, then resume the domain: QEMU's pty drops output while
/// nobody holds it, so that order is what makes "no byte lost" true.
public final class ConsoleStream: @unchecked Sendable {
    private let stream: OpaquePointer
    private let box: StreamBox
    public let domain: Domain

    /// Opens the first console (or `device`, an alias such as `serial0`) and delivers events to
    /// `handler` on the event-loop thread; the handler must return quickly.
    /// `force` takes the console from any other client (virsh console --force); without it a
    /// held console fails with `operationFailed` ("Active console session exists").
    /// On Xen pass `device: nil`: libxl does not set aliases (virt-manager serialcon.py).
    /// The corresponding C functions are `virStreamNew`, `virDomainOpenConsole` and
    /// `virStreamEventAddCallback`.
    public init(domain: Domain, device: String? = nil, force: Bool = true,
                handler: @escaping @Sendable (ConsoleEvent) -> Void) throws(LibvirtError) {
        self.domain = domain
        let st: OpaquePointer = try check("virStreamNew") {
            virStreamNew(domain.connection.pointer, UInt32(VIR_STREAM_NONBLOCK.rawValue))
        }
        let flags = force ? UInt32(VIR_DOMAIN_CONSOLE_FORCE.rawValue) : 0
        do {
            try check("virDomainOpenConsole") {
                if let device { return device.withCString { virDomainOpenConsole(domain.pointer, $0, st, flags) } }
                return virDomainOpenConsole(domain.pointer, nil, st, flags)
            }
        } catch {
            _ = virStreamFree(st)
            throw error
        }
        let box = StreamBox(stream: st, handler: handler)
        let opaque = Unmanaged.passRetained(box).toOpaque()
        let events = Int32(VIR_STREAM_EVENT_READABLE.rawValue | VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue)
        do {
            try check("virStreamEventAddCallback") {
                virStreamEventAddCallback(st, events, streamReadable, opaque) {
                    Unmanaged<StreamBox>.fromOpaque($0!).release()
                }
            }
        } catch {
            Unmanaged<StreamBox>.fromOpaque(opaque).release()
            _ = virStreamAbort(st)
            _ = virStreamFree(st)
            throw error
        }
        stream = st
        self.box = box
    }

    /// A convenience: the same events as an `AsyncStream`.
    public static func open(domain: Domain, device: String? = nil, force: Bool = true) throws(LibvirtError)
        -> (console: ConsoleStream, events: AsyncStream<ConsoleEvent>)
    {
        let (events, continuation) = AsyncStream<ConsoleEvent>.makeStream(bufferingPolicy: .unbounded)
        let console = try ConsoleStream(domain: domain, device: device, force: force) { event in
            continuation.yield(event)
            switch event {
            case .data: break
            case .endOfStream, .failed: continuation.finish()
            }
        }
        return (console, events)
    }

    /// Stops reading: removes the callback, then aborts the stream. Idempotent; the handler is
    /// not called after this returns.
    public func close() { box.shutdown(graceful: false, notify: nil) }

    deinit {
        box.shutdown(graceful: false, notify: nil)
        _ = virStreamFree(stream)
    }
}

private final class StreamBox: @unchecked Sendable {
    let stream: OpaquePointer
    let handler: @Sendable (ConsoleEvent) -> Void
    /// Guards `open` and the read buffer; the callback and `close()` may race (virsh guards its
    /// console object with a lock for the same reason).
    let state: Mutex<Bool> = Mutex(true)
    nonisolated(unsafe) var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(stream: OpaquePointer, handler: @escaping @Sendable (ConsoleEvent) -> Void) {
        self.stream = stream
        self.handler = handler
    }

    /// Ends the stream once: callback removed before Finish/Abort, as libvirt requires for
    /// non-blocking streams.
    func shutdown(graceful: Bool, notify: ConsoleEvent?) {
        state.withLock { open in
            guard open else { return }
            open = false
            finish(graceful: graceful)
            if let notify { handler(notify) }
        }
    }

    /// Must be called with `state` held and open.
    private func finish(graceful: Bool) {
        _ = virStreamEventRemoveCallback(stream)
        if graceful { _ = virStreamFinish(stream) } else { _ = virStreamAbort(stream) }
        virResetLastError()
    }

    /// Drains the stream. Runs on the event-loop thread.
    func readable(events: Int32) {
        state.withLock { open in
            guard open else { return } // a late event after close()
            while true {
                let n = buffer.withUnsafeMutableBytes { raw in
                    virStreamRecv(stream, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                let now = HostClock.monotonicNanoseconds()
                if n > 0 {
                    handler(.data(ConsoleChunk(bytes: Array(buffer[0..<Int(n)]), monotonicNanoseconds: now, wall: Date())))
                    continue
                }
                if n == -2 { break } // no data yet
                if n == 0 {
                    open = false
                    finish(graceful: true)
                    handler(.endOfStream(monotonicNanoseconds: now))
                } else {
                    let error = LibvirtError.capture("virStreamRecv")
                    open = false
                    finish(graceful: false)
                    handler(.failed(error, monotonicNanoseconds: now))
                }
                return
            }
            let hangup = Int32(VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue)
            if events & hangup != 0 {
                let now = HostClock.monotonicNanoseconds()
                open = false
                finish(graceful: false)
                handler(.endOfStream(monotonicNanoseconds: now))
            }
        }
    }
}

private let streamReadable: virStreamEventCallback = { _, events, opaque in
    guard let opaque else { return }
    Unmanaged<StreamBox>.fromOpaque(opaque).takeUnretainedValue().readable(events: events)
}
