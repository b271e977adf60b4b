import ArgumentParser
import CanaryEvidence
import CanaryModel
import CanaryProbe
import CanaryReport
import Foundation
import Libvirt

/// `-c/--connect URI`, as virsh spells it. Without it libvirt decides, which honours
/// `LIBVIRT_DEFAULT_URI` and then its configured default.
struct ConnectOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("connect")], help: ArgumentHelp("libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, then libvirt's default).", valueName: "URI"))
    var uri: String?

    @Option(name: .customLong("host-exec"), help: ArgumentHelp("A command that runs a command on the host (its words follow CMD), to read the hypervisor's own logs and reach xl; default: local for a local URI, ssh for a +ssh URI.", valueName: "CMD"))
    var hostExec: String?

    /// How to run the host's own tools for this connection.
    func hostAccess(for connection: Connection) -> HostAccess? {
        HostAccess.forConnection(uri: connection.uri, hostExec: hostExec)
    }

    /// The URI that will be used, for messages.
    var effectiveURI: String? { uri ?? ProcessInfo.processInfo.environment["LIBVIRT_DEFAULT_URI"] }

    /// Opens the connection on the blocking pool: against a daemon that accepts the socket and
    /// then never answers, virConnectOpen waits for libvirt's own timeouts, and a cooperative
    /// thread must not wait with it (DomainSampler says why).
    func open(readOnly: Bool = false) async throws -> Connection {
        let uri = uri
        do {
            return try await BlockingCall.run { () throws(LibvirtError) in try Connection.withKeepAlive(uri: uri, readOnly: readOnly) }
        } catch {
            throw Failure.unknown(ConnectionAdvice.explain(error, uri: effectiveURI))
        }
    }
}

/// An error the CLI reports as one line on stderr and an exit code (docs/contract.md).
enum Failure: Error, CustomStringConvertible {
    /// The tool could not judge: infrastructure error, libvirt unreachable (exit 3).
    case unknown(String)
    /// Bad arguments (exit 64).
    case usage(String)

    var description: String {
        switch self {
        case .unknown(let m), .usage(let m): m
        }
    }

    var exitCode: Int32 {
        switch self {
        case .unknown: ExitStatus.unknown.rawValue
        case .usage: ExitStatus.usage.rawValue
        }
    }
}

/// Runs a command body and maps failures to docs/contract.md's exit codes with one clear line.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        Terminal.error(failure.description)
        throw ExitCode(failure.exitCode)
    } catch let error as LibvirtError {
        Terminal.error(ConnectionAdvice.explain(error, uri: nil))
        throw ExitCode(ExitStatus.unknown.rawValue)
    } catch let error as ProbePlanner.Failure {
        Terminal.error(error.description)
        throw ExitCode(ExitStatus.usage.rawValue)
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.error(String(describing: error))
        throw ExitCode(ExitStatus.unknown.rawValue)
    }
}

/// Where the CLI writes. Progress and errors go to stderr; results to stdout. Every text goes
/// through `TerminalText` (guest, record and tree text can reach any of them); JSON is written
/// as the encoder made it, since it escapes controls itself and must stay valid.
enum Terminal {
    static func error(_ message: String) {
        write(FileHandle.standardError, "bootcanary: \(message)")
    }

    static func progress(_ message: String) {
        write(FileHandle.standardError, message)
    }

    static func print(_ text: String) {
        write(FileHandle.standardOutput, text)
    }

    /// `text` on `handle`, made terminal-safe line by line, ending in a newline.
    static func write(_ handle: FileHandle, _ text: String) {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        raw(handle, TerminalText.block(body) + "\n")
    }

    static func printJSON(_ json: String) {
        raw(FileHandle.standardOutput, json.hasSuffix("\n") ? json : json + "\n")
    }

    /// Writes and ignores a reader that went away: with SIGPIPE ignored (`SignalTrap`), a
    /// closed pipe is an error here, and `FileHandle.write(_:)` would trap on it; the run, its
    /// teardown and its report files matter more than its chatter.
    static func raw(_ handle: FileHandle, _ text: String) {
        try? handle.write(contentsOf: Data(text.utf8))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
