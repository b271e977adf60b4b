import CanaryHostFacts
import Foundation

/// How bootcanary runs the host's own tools (`xl`, `tail` of libxl's log) on the host it
/// examines, beside libvirt:
/// - `local`: bootcanary runs on that host (`xen:///system`, `qemu:///system`);
/// - `ssh`: a `+ssh` URI's user and host, with ssh in batch mode (no password prompt can hang
///   a scheduled run);
/// - `command`: a command the operator names with `--host-exec CMD` (the lab's `dom0-exec`);
///   the host command's words follow it, as they follow `ssh host`.
/// Every call has a deadline; a failing call is a recorded fact, never fatal.
public enum HostAccess: Sendable, Equatable {
    case local
    case ssh(user: String?, host: String, port: Int?)
    case command([String])

    /// The access for a connection: `--host-exec` when given, else what the URI implies, else
    /// nil (a `+tcp` or `+tls` URI says nothing about how to reach a shell on the host).
    public static func forConnection(uri: String, hostExec: String?) -> HostAccess? {
        if let hostExec, !hostExec.trimmingCharacters(in: .whitespaces).isEmpty {
            return .command(hostExec.split(separator: " ").map(String.init))
        }
        let parsed = ConnectionURI(uri)
        if parsed.isLocal { return .local }
        guard uri.contains("+ssh://"), let range = uri.range(of: "://") else { return nil }
        let authority = uri[range.upperBound...].prefix { $0 != "/" && $0 != "?" }
        var user: String?
        var hostPort = Substring(authority)
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at])
            hostPort = authority[authority.index(after: at)...]
        }
        var host = String(hostPort)
        var port: Int?
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.contains("]") || hostPort.last != "]" {
            port = Int(hostPort[hostPort.index(after: colon)...])
            if port != nil { host = String(hostPort[..<colon]) }
        }
        return host.isEmpty ? nil : .ssh(user: user, host: host, port: port)
    }

    /// What the report says about this access.
    public var summary: String {
        switch self {
        case .local: "local (bootcanary runs on the host)"
        case .ssh(let user, let host, let port): "ssh \(user.map { "\($0)@" } ?? "")\(host)\(port.map { ":\($0)" } ?? "")"
        case .command(let words): "--host-exec \(words.joined(separator: " "))"
        }
    }

    /// Runs `argv` on the host. The words are passed as separate arguments locally and through
    /// `--host-exec`; over ssh each is quoted for the remote shell. Waits for the tool like
    /// `ExternalTool.run`, so async code calls it through `BlockingCall.run`.
    @available(*, noasync)
    public func run(_ argv: [String], timeout: Double = 20) -> ExternalTool.Result {
        let command: [String]
        switch self {
        case .local:
            command = argv
        case .command(let words):
            command = words + argv
        case .ssh(let user, let host, let port):
            var ssh = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5"]
            if let port { ssh += ["-p", String(port)] }
            if let user { ssh += ["-l", user] }
            command = ssh + [host, "--", argv.map(Self.shellQuoted).joined(separator: " ")]
        }
        guard let first = command.first, let executable = ExternalTool.find(first) else {
            return ExternalTool.Result(status: 127, stdout: "", stderr: "\(command.first ?? "") not found", timedOut: false)
        }
        do {
            return try ExternalTool.run(executable, Array(command.dropFirst()), timeout: timeout)
        } catch {
            return ExternalTool.Result(status: 127, stdout: "", stderr: "\(error)", timedOut: false)
        }
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
