import Foundation

/// Runs a host program (pygrub, qemu-img) with a deadline, collecting its output.
/// A program that outlives its deadline is terminated, then killed: nothing the tool starts
/// may hang it.
public enum ExternalTool {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool

        /// The last non-empty line of stderr: where Python tracebacks and most tools put the
        /// message that matters ("RuntimeError: Unable to find partition containing kernel").
        public var lastErrorLine: String? {
            stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty }
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case notFound(String)
        case couldNotStart(String, String)
        public var description: String {
            switch self {
            case .notFound(let name): "\(name) is not installed (not found in PATH)"
            case .couldNotStart(let name, let why): "could not start \(name): \(why)"
            }
        }
    }

    /// Finds an executable by name in PATH (plus `extraDirectories`), like `which`.
    public static func find(_ name: String, extraDirectories: [String] = []) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":").map(String.init) + extraDirectories {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static func run(_ executable: String, _ arguments: [String], timeout: Double,
                           environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do {
            try process.run()
        } catch {
            throw Failure.couldNotStart(executable, error.localizedDescription)
        }
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let collected = OutputCollector()
        let group = DispatchGroup()
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(data, isOut: isOut)
                group.leave()
            }
        }
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if done.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                done.wait()
            }
        }
        group.wait()
        return Result(status: process.terminationStatus, stdout: collected.stdout, stderr: collected.stderr, timedOut: timedOut)
    }
}

private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    func set(_ data: Data, isOut: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isOut { out = data } else { err = data }
    }
    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }
}
