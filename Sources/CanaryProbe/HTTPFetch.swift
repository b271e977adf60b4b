import CanaryEvidence
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads with the limits an install-tree fetch needs: a bound on size (a wrong URL must
/// not fill the disk), a stall timeout (a server that stops sending mid-file must not hang the
/// probe), an overall deadline (a server that trickles one byte a second never stalls, and
/// would otherwise hold the probe forever), HTTP errors as errors, and conditional requests for
/// the cache.
public struct HTTPFetch: Sendable {
    public var maxBytes: Int64
    /// Seconds without a single byte before the download is abandoned.
    public var stallSeconds: Double
    /// When every download made through this value must have finished, however steadily bytes
    /// arrive. Shared by all files of one install tree (see `InstallerFetcher.fetch`).
    public var deadline: Deadline?

    public init(maxBytes: Int64 = 1 << 30, stallSeconds: Double = 30, deadline: Deadline? = nil) {
        self.maxBytes = maxBytes
        self.stallSeconds = stallSeconds
        self.deadline = deadline
    }

    /// A point on the monotonic clock (wall-clock jumps must not end or extend it), with the
    /// length it was made with, for the message.
    public struct Deadline: Sendable, Equatable {
        public var instant: ContinuousClock.Instant
        public var seconds: Double

        public init(seconds: Double, from start: ContinuousClock.Instant = .now) {
            self.seconds = seconds
            self.instant = start.advanced(by: .milliseconds(Int64((seconds * 1000).rounded())))
        }

        var hasPassed: Bool { ContinuousClock.now >= instant }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case status(url: String, code: Int)
        case tooLarge(url: String, limit: Int64)
        case stalled(url: String, seconds: Double, received: Int64)
        case deadline(url: String, seconds: Double, received: Int64)
        case transport(url: String, message: String)
        case unsupportedScheme(String)

        public var description: String {
            switch self {
            case .status(let url, let code): "\(url): HTTP \(code) \(HTTPURLResponse.localizedString(forStatusCode: code))"
            case .tooLarge(let url, let limit): "\(url) is larger than the \(limit / (1 << 20)) MiB limit; is it really a kernel or initrd?"
            case .stalled(let url, let seconds, let received): "\(url) stalled: no data for \(Int(seconds)) s after \(received) bytes"
            case .deadline(let url, let seconds, let received):
                "\(url) was not fetched within the \(Int(seconds)) s allowed for the install tree's files (\(received) bytes arrived): the server is too slow or trickling; use a nearer mirror, a file:// tree, or a longer --timeout"
            case .transport(let url, let message): "\(url): \(message)"
            case .unsupportedScheme(let url): "\(url): only http, https and file URLs are supported"
            }
        }
    }

    public struct Response: Sendable {
        /// 200 with a body written to the destination, or 304 (not modified, nothing written).
        public var status: Int
        public var bytes: Int64
        public var etag: String?
        public var lastModified: String?
    }

    /// Fetches `url` into `destination`. 404 is returned as a status, not thrown, so callers can
    /// probe for optional files. `ifNoneMatch`/`ifModifiedSince` make the request conditional.
    public func download(_ url: URL, to destination: URL, ifNoneMatch: String? = nil,
                         ifModifiedSince: String? = nil) async throws -> Response {
        if let deadline, deadline.hasPassed {
            throw Failure.deadline(url: url.absoluteString, seconds: deadline.seconds, received: 0)
        }
        if url.isFileURL {
            let fm = FileManager.default
            guard fm.fileExists(atPath: url.path) else { return Response(status: 404, bytes: 0) }
            let size = (try fm.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
            if size > maxBytes { throw Failure.tooLarge(url: url.absoluteString, limit: maxBytes) }
            try? fm.removeItem(at: destination)
            try fm.copyItem(at: url, to: destination)
            return Response(status: 200, bytes: size)
        }
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw Failure.unsupportedScheme(url.absoluteString)
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = stallSeconds
        if let ifNoneMatch { request.setValue(ifNoneMatch, forHTTPHeaderField: "If-None-Match") }
        if let ifModifiedSince { request.setValue(ifModifiedSince, forHTTPHeaderField: "If-Modified-Since") }
        let delegate = try StreamingDelegate(url: url, destination: destination, maxBytes: maxBytes, stallSeconds: stallSeconds,
                                             deadlineSeconds: deadline?.seconds ?? 0)
        let config = URLSessionConfiguration.ephemeral
        // timeoutIntervalForRequest is an idle timeout: it fires when no byte arrives for that long.
        config.timeoutIntervalForRequest = stallSeconds
        config.timeoutIntervalForResource = 24 * 3600
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: config, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        // The overall deadline is ours, not URLSession's: swift-corelibs-foundation does not
        // enforce timeoutIntervalForResource, and the idle timeout above restarts with each byte.
        // On the blocking pool's deadline thread, not a Task: with 2 cores and a test run that
        // blocks cooperative threads, a Task.sleep deadline of 3 s fired after 8.9 s (and
        // Dispatch's shared pool was seen firing timers seconds late too, see BlockingCall.after).
        let timer = deadline.map { deadline in
            BlockingCall.after(max(0, ContinuousClock.now.duration(to: deadline.instant) / .seconds(1))) { delegate.expire() }
        }
        defer { timer?.signal() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request)
                delegate.start(task, continuation: continuation)
            }
        } onCancel: {
            session.invalidateAndCancel()
        }
    }

    /// A small text file (`.treeinfo`, `MANIFEST`), or nil when the server says 404.
    public func text(_ url: URL, limit: Int64 = 1 << 20) async throws -> String? {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var bounded = self
        bounded.maxBytes = limit
        let response = try await bounded.download(url, to: tmp)
        if response.status == 404 || response.status == 403 { return nil }
        return String(decoding: try Data(contentsOf: tmp), as: UTF8.self)
    }
}

/// Writes the body to a file as it arrives and enforces the byte limit.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, Sendable {
    let url: URL
    let destination: URL
    let maxBytes: Int64
    let stallSeconds: Double
    let deadlineSeconds: Double
    /// Touched by URLSession's delegate queue, the deadline's thread and `start`.
    private struct State {
        var continuation: CheckedContinuation<HTTPFetch.Response, Error>?
        var task: URLSessionDataTask?
        var handle: FileHandle?
        var received: Int64 = 0
        var status = 0
        var etag: String?
        var lastModified: String?
        var failure: HTTPFetch.Failure?
    }
    private let state = Mutex(State())

    init(url: URL, destination: URL, maxBytes: Int64, stallSeconds: Double, deadlineSeconds: Double) throws {
        self.url = url
        self.destination = destination
        self.maxBytes = maxBytes
        self.stallSeconds = stallSeconds
        self.deadlineSeconds = deadlineSeconds
    }

    func start(_ task: URLSessionDataTask, continuation: CheckedContinuation<HTTPFetch.Response, Error>) {
        let expired = state.withLock { s -> Bool in
            s.task = task
            s.continuation = continuation
            return s.failure != nil
        }
        // The deadline may have passed before the task existed: cancel it at once then.
        if expired { task.cancel() } else { task.resume() }
    }

    /// The overall deadline passed: abandon the transfer, whatever it is doing.
    func expire() {
        let task = state.withLock { s -> URLSessionDataTask? in
            if s.failure == nil && (s.continuation != nil || s.task == nil) {
                s.failure = .deadline(url: url.absoluteString, seconds: deadlineSeconds, received: s.received)
            }
            return s.task
        }
        task?.cancel()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state.withLock { s in
            let http = response as? HTTPURLResponse
            s.status = http?.statusCode ?? 0
            s.etag = http?.value(forHTTPHeaderField: "ETag")
            s.lastModified = http?.value(forHTTPHeaderField: "Last-Modified")
            if s.status == 200 {
                if response.expectedContentLength > maxBytes {
                    s.failure = .tooLarge(url: url.absoluteString, limit: maxBytes)
                    completionHandler(.cancel)
                    return
                }
                _ = FileManager.default.createFile(atPath: destination.path, contents: nil)
                s.handle = FileHandle(forWritingAtPath: destination.path)
            }
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        state.withLock { s in
            guard s.status == 200, s.failure == nil else { return }
            s.received += Int64(data.count)
            if s.received > maxBytes {
                s.failure = .tooLarge(url: url.absoluteString, limit: maxBytes)
                dataTask.cancel()
                return
            }
            s.handle?.write(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let (continuation, result) = state.withLock { s -> (CheckedContinuation<HTTPFetch.Response, Error>?, Result<HTTPFetch.Response, Error>) in
            try? s.handle?.close()
            s.handle = nil
            let continuation = s.continuation
            s.continuation = nil
            let result: Result<HTTPFetch.Response, Error>
            if let failure = s.failure {
                result = .failure(failure)
            } else if let error {
                let ns = error as NSError
                if ns.code == NSURLErrorTimedOut {
                    result = .failure(HTTPFetch.Failure.stalled(url: url.absoluteString, seconds: stallSeconds, received: s.received))
                } else {
                    result = .failure(HTTPFetch.Failure.transport(url: url.absoluteString, message: ns.localizedDescription))
                }
            } else if s.status == 200 || s.status == 304 || s.status == 404 || s.status == 403 {
                result = .success(.init(status: s.status, bytes: s.received, etag: s.etag, lastModified: s.lastModified))
            } else {
                result = .failure(HTTPFetch.Failure.status(url: url.absoluteString, code: s.status))
            }
            return (continuation, result)
        }
        if case .failure = result { try? FileManager.default.removeItem(at: destination) }
        continuation?.resume(with: result)
    }
}
