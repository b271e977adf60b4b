import Foundation
import Synchronization

/// Runs a host program (pygrub, qemu-img, ssh, --host-exec commands) with a deadline,
/// collecting its output. A program that outlives its deadline is terminated, then killed,
/// together with everything it started: nothing the tool starts may hang bootcanary.
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

    /// Runs `executable` with `arguments`, stdin from /dev/null, and collects what it prints.
    ///
    /// The program starts as the leader of a process group of its own, and a timeout (or a
    /// SIGINT/SIGTERM teardown while it runs) ends that whole group: SIGTERM, then SIGKILL
    /// after 2 s, and SIGKILL once more for anything of the group still alive when the leader
    /// has exited. `sh -c` pipelines and pygrub's children no longer outlive their deadline.
    /// On a normal exit nothing is killed. Output still held open by a process that left the
    /// group (setsid) is read for at most 2 s after the leader has gone.
    ///
    /// Why posix_spawn and not Foundation.Process or swift-subprocess: Process cannot start a
    /// child in a new process group. swift-subprocess 1.0.2 can (`PlatformOptions.processGroupID`),
    /// but (1) its teardown sequence stops as soon as the group's leader exits, so a member that
    /// outlives the leader's SIGTERM is never killed; and (2) its API is async-only, and each
    /// run starts an unstructured `Task` (withAsyncTaskCleanupHandler) that needs Swift's global
    /// executor. This function is synchronous and may be called from threads of that very pool
    /// (swift-testing runs synchronous tests there): two such callers blocked on a semaphore
    /// would starve the two-thread pool the bridged task needs, and hang. Here every wait is on
    /// the caller's thread or the blocking pool's. Async code must call it through
    /// `BlockingCall.run` (BootProbe reads the hypervisor log so); `noasync` makes sure of it.
    @available(*, noasync)
    public static func run(_ executable: String, _ arguments: [String], timeout: Double,
                           environment: [String: String]? = nil) throws -> Result {
        let child = try SpawnedGroup.spawn(executable, arguments, environment: environment)
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let undo = Teardown.shared.register("stopped \(name) (process group \(child.pid))") { child.signalGroup(SIGKILL) }
        defer { Teardown.shared.unregister(undo) }
        let output = PipeReader(out: child.stdout, err: child.stderr)
        var timedOut = false
        if !child.exited.wait(timeout: timeout) {
            timedOut = true
            child.signalGroup(SIGTERM)
            if !child.exited.wait(timeout: 2) {
                child.signalGroup(SIGKILL)
                _ = child.exited.wait(timeout: .infinity)
            }
            // The leader is a zombie (not yet reaped), so its pid still names the group:
            // whatever of the group survived the leader is killed without a pid-reuse race.
            child.signalGroup(SIGKILL)
        }
        let status = child.reap()
        let (stdout, stderr) = output.finish(within: 2)
        return Result(status: status, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}

/// A child started by posix_spawn as the leader of its own process group
/// (POSIX_SPAWN_SETPGROUP), with stdout and stderr on pipes.
private final class SpawnedGroup: Sendable {
    let pid: pid_t
    let stdout: Int32
    let stderr: Int32
    /// Signalled when the child has exited; it stays a zombie until `reap`.
    let exited: Latch
    /// Set under the lock by `reap`: after it the pid may name someone else's process.
    private let reaped = Mutex(false)

    private init(pid: pid_t, stdout: Int32, stderr: Int32) {
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        exited = Latch()
        let exited = exited
        // waitid with WNOWAIT waits for the exit without reaping, on a thread of its own.
        BlockingPool.shared.submit("bootcanary-tool-wait") {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            exited.signal()
        }
    }

    /// Sends `signal` to every process of the group, unless the leader was already reaped.
    func signalGroup(_ signal: Int32) {
        reaped.withLock { done in if !done { _ = killpg(pid, signal) } }
    }

    /// Reaps the child; its exit status as a shell reports it (128 + N for signal N).
    func reap() -> Int32 {
        reaped.withLock { done -> Int32 in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            done = true
            let signal = status & 0x7F
            return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        }
    }

    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]?) throws -> SpawnedGroup {
        func failure(_ what: String, _ code: Int32) -> ExternalTool.Failure {
            .couldNotStart(executable, "\(what): \(String(cString: strerror(code)))")
        }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard GNU.pipeCloseOnExec(&out) == 0 else { throw failure("pipe", errno) }
        guard GNU.pipeCloseOnExec(&err) == 0 else {
            let e = errno
            close(out[0]); close(out[1])
            throw failure("pipe", e)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        // Nothing else of ours (libvirt's sockets, other tools' pipes) reaches the tool.
        GNU.closeFrom3(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own (pgid = its pid); default dispositions and an empty mask, since
        // SignalTrap ignores SIGINT and SIGTERM in bootcanary and ignored signals survive exec
        // (a tool ignoring SIGTERM would make every timeout wait for the SIGKILL).
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        for signal in Int32(1)..<32 where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(out[1]); close(err[1])
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw failure("posix_spawn", rc)
        }
        return SpawnedGroup(pid: pid, stdout: out[0], stderr: err[0])
    }
}

/// glibc calls Swift's Glibc module does not declare (they need _GNU_SOURCE), found at run
/// time; each has a plain-POSIX fallback.
private enum GNU {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let pipe2 = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }

    /// `pipe2(fds, O_CLOEXEC)`: close-on-exec from the start, so a child another thread
    /// spawns meanwhile cannot inherit our write ends (our reads would then wait for it too).
    static func pipeCloseOnExec(_ fds: inout [Int32]) -> Int32 {
        if let pipe2 { return pipe2(&fds, O_CLOEXEC) }
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    /// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34); without it, only
    /// close-on-exec descriptors stay out of the child.
    static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom { _ = closeFrom(&actions, 3) }
    }
}

/// Reads a child's stdout and stderr to their ends on one thread (poll), so a chatty child
/// cannot block on a full pipe.
private final class PipeReader: Sendable {
    private let collected = OutputCollector()
    private let done = Latch()
    private let stop = Latch()

    init(out: Int32, err: Int32) {
        let collected = collected, done = done, stop = stop
        BlockingPool.shared.submit("bootcanary-tool-output") {
            var fds = [pollfd(fd: out, events: Int16(POLLIN), revents: 0), pollfd(fd: err, events: Int16(POLLIN), revents: 0)]
            var data = [Data(), Data()]
            var buffer = [UInt8](repeating: 0, count: 65536)
            while fds.contains(where: { $0.fd >= 0 }) && !stop.isSet {
                guard poll(&fds, nfds_t(fds.count), 100) >= 0 || errno == EINTR else { break }
                for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                    let n = read(fds[i].fd, &buffer, buffer.count)
                    if n > 0 { data[i].append(contentsOf: buffer[..<n]) } else if n == 0 || errno != EINTR && errno != EAGAIN {
                        fds[i].fd = -1
                    }
                }
            }
            close(out); close(err)
            collected.set(data[0], isOut: true)
            collected.set(data[1], isOut: false)
            done.signal()
        }
    }

    /// What was read, waiting at most `seconds` more for the pipes to close.
    func finish(within seconds: Double) -> (String, String) {
        if !done.wait(timeout: seconds) {
            stop.signal()
            _ = done.wait(timeout: .infinity)
        }
        return (collected.stdout, collected.stderr)
    }
}

private final class OutputCollector: Sendable {
    private let output = Mutex((out: Data(), err: Data()))
    func set(_ data: Data, isOut: Bool) {
        output.withLock { if isOut { $0.out = data } else { $0.err = data } }
    }
    var stdout: String { output.withLock { String(decoding: $0.out, as: UTF8.self) } }
    var stderr: String { output.withLock { String(decoding: $0.err, as: UTF8.self) } }
}
