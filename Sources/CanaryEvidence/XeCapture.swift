import CanaryPool
import Foundation

/// Runs pool-check's xe commands (`XeCommand`) on a pool master through `HostAccess`: locally
/// (bootcanary runs in the master's dom0), over ssh, or through `--host-exec CMD`. The commands
/// only list; nothing on the pool changes.
///
/// Written against xapi's CLI source and published outputs (docs/pool-check.md, fixtures/xe/):
/// no XAPI server runs where bootcanary is tested, so this path has run against a fake `xe`
/// only (Tests/BootCanaryTests/Pool/PoolCheckCommandTests.swift).
public enum XeCapture {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The three outputs, or the first failure in words that say what to do.
    @available(*, noasync)
    public static func run(_ access: HostAccess, timeout: Double) throws(Failure) -> XeOutputs {
        var texts: [XeCommand: (text: String, source: String)] = [:]
        for command in XeCommand.allCases {
            let result = access.run(["xe"] + command.arguments, timeout: timeout)
            let source = "\(command.commandLine) via \(access.summary)"
            if result.timedOut {
                throw Failure(description: "\(source) did not answer within \(Int(timeout)) s (a busy or unreachable pool master; --timeout S waits longer)")
            }
            guard result.status == 0 else { throw Failure(description: explain(result, command: command, access: access)) }
            texts[command] = (result.stdout, source)
        }
        return XeOutputs(texts: texts)
    }

    /// Exit 127 is "command not found" both from `HostAccess` (the local tool is missing) and
    /// from the remote shell ssh starts (`bash: xe: command not found`); 255 is ssh's own failure.
    static func explain(_ result: ExternalTool.Result, command: XeCommand, access: HostAccess) -> String {
        let said = result.lastErrorLine.map { ": \($0)" } ?? ""
        let offline = "pool-check runs xe on the pool master (a XenServer or XCP-ng dom0); from elsewhere use --ssh USER@MASTER, or save the outputs there and read them with --from DIR (docs/pool-check.md)"
        switch (result.status, access) {
        case (127, .local):
            return "xe is not installed here (not found in PATH). \(offline)"
        case (127, .command(let words)) where result.stderr.contains("\(words.first ?? "") not found"):
            return "--host-exec \(words.joined(separator: " ")): \(words.first ?? "") not found"
        case (127, _):
            return "xe was not found on the host reached by \(access.summary)\(said). \(offline)"
        case (255, .ssh):
            return "\(access.summary) failed\(said) (ssh runs in batch mode: the key must be loaded, no password prompt)"
        default:
            return "\(command.commandLine) via \(access.summary) failed (exit \(result.status))\(said)"
        }
    }
}
