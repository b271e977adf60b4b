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
///
/// `@unchecked Sendable`: it holds a `virStreamPtr`, which Swift cannot see is safe to share;
/// libvirt's stream calls are thread-safe like the rest of its API (see `Connection`), and
/// every call on the stream after `init` goes through `StreamBox`'s lock.
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

    /// Ends the stream: removes the callback if it is still there, then finishes (after the far
    /// side's end of stream) or aborts it. Idempotent; the handler is not called after this
    /// returns. Call it only once the domain is gone (see `StreamBox`).
    public func close() { box.shutdown() }

    deinit {
        box.shutdown()
        _ = virStreamFree(stream)
    }
}

/// The stream's life, guarded by one lock: the callback and `close()` may race (virsh guards
/// its console object with a lock for the same reason).
///
/// When the far side ends the stream (EOF or an error), the callback only stops reading: the
/// stream itself is finished later, by `close()`, which the caller runs after the domain is
/// gone. Finishing it at once raced libvirtd's own teardown of a domain that stopped by
/// itself and crashed dom0's libvirtd 9.0 on the Xen lab (`shutdown-event-N: segfault at 90
/// ... in libvirt.so`, at virFDStreamSetInternalCloseCb+0x1f): the daemon's close of our stream
/// (virFDStreamCloseInt) sets the stream's private data to NULL and then waits for the
/// console table's lock, which the domain's disposal (virChrdevFree, from the libxl driver's
/// shutdown thread) holds while it clears the callbacks of every open console stream, reading
/// that private data. With the stream still open while the domain is disposed, the table is
/// cleared first and our later finish finds no callback to call. (libvirt src/conf/virchrdev.c,
/// src/util/virfdstream.c.)
///
/// `@unchecked Sendable`: the `virStreamPtr` and the read buffer are touched only with `phase`
/// held (the READABLE callback on the event-loop thread, `shutdown` on any thread).
private final class StreamBox: @unchecked Sendable {
    enum Phase {
        case reading
        /// The far side ended the stream; the callback is removed and the stream awaits
        /// `shutdown()`: finished after an orderly end, aborted after an error.
        case drained(graceful: Bool)
        case closed
    }

    let stream: OpaquePointer
    let handler: @Sendable (ConsoleEvent) -> Void
    let phase: Mutex<Phase> = Mutex(.reading)
    nonisolated(unsafe) var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(stream: OpaquePointer, handler: @escaping @Sendable (ConsoleEvent) -> Void) {
        self.stream = stream
        self.handler = handler
    }

    /// Ends the stream once: callback removed before Finish/Abort, as libvirt requires for
    /// non-blocking streams.
    func shutdown() {
        phase.withLock { phase in
            switch phase {
            case .reading:
                _ = virStreamEventRemoveCallback(stream)
                _ = virStreamAbort(stream)
            case .drained(let graceful):
                if graceful { _ = virStreamFinish(stream) } else { _ = virStreamAbort(stream) }
            case .closed:
                return
            }
            virResetLastError()
            phase = .closed
        }
    }

    /// Must be called with `phase` held and `.reading`: stops reading, leaves the stream open.
    private func drained(_ phase: inout Phase, graceful: Bool, _ event: ConsoleEvent) {
        _ = virStreamEventRemoveCallback(stream)
        virResetLastError()
        phase = .drained(graceful: graceful)
        handler(event)
    }

    /// Drains the stream. Runs on the event-loop thread.
    func readable(events: Int32) {
        phase.withLock { phase in
            guard case .reading = phase else { return } // a late event after the end
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
                    drained(&phase, graceful: true, .endOfStream(monotonicNanoseconds: now))
                } else {
                    let error = LibvirtError.capture("virStreamRecv")
                    drained(&phase, graceful: false, .failed(error, monotonicNanoseconds: now))
                }
                return
            }
            let hangup = Int32(VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue)
            if events & hangup != 0 {
                drained(&phase, graceful: false, .endOfStream(monotonicNanoseconds: HostClock.monotonicNanoseconds()))
            }
        }
    }
}

private let streamReadable: virStreamEventCallback = { _, events, opaque in
    guard let opaque else { return }
    Unmanaged<StreamBox>.fromOpaque(opaque).takeUnretainedValue().readable(events: events)
}
