import ArgumentParser
import CanaryEvidence
import CanaryModel
import CanaryPool
import Foundation

/// `bootcanary pool-check`: a XenServer / XCP-ng pool's HA setup against the ways it has failed
/// (docs/pool-check.md). No libvirt: it reads xe's output, live or saved.
///
/// How the master is reached is HostAccess's, like every other command's host tools, but without
/// `-c URI`: a pool has no libvirt URI. Local when neither option is given (bootcanary on the
/// master), `--ssh USER@HOST` (batch mode, as for a `+ssh` URI), or `--host-exec CMD` (the
/// same option, with the same meaning, as in ConnectOptions).
struct PoolCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-check",
        abstract: "Check a XenServer / XCP-ng pool's HA setup from xe's output (live on the master, over ssh, or saved files).",
        discussion: """
            Reads `\(XeCommand.allCases.map(\.commandLine).joined(separator: "`, `"))`. With --from DIR, reads \
            them from DIR/\(XeCommand.allCases.map(\.fileName).joined(separator: ", DIR/")). \
            Checks: \(PoolCheck.allCases.map(\.rawValue).joined(separator: ", ")) (docs/pool-check.md). \
            Exit status (Nagios): 0 no findings; 1 a warning; 2 a critical finding; 3 xe or its output \
            could not be read; 64 usage error.
            """)

    @Option(name: .customLong("from"), help: ArgumentHelp("Read saved xe output from DIR instead of running xe.", valueName: "DIR"))
    var from: String?

    @Option(name: .customLong("ssh"), help: ArgumentHelp("Run xe on the pool master over ssh (batch mode).", valueName: "[USER@]HOST"))
    var ssh: String?

    @Option(name: .customLong("host-exec"), help: ArgumentHelp("A command that runs a command on the pool master (its words follow CMD).", valueName: "CMD"))
    var hostExec: String?

    @Option(help: ArgumentHelp("Who else restarts VMs: auto (look for CloudStack's and OpenStack nova's marks in the VMs' other-config), none, or a name.", valueName: "auto|none|NAME"))
    var orchestrator: String = "auto"

    @Option(name: .customLong("min-ha-timeout"), help: ArgumentHelp("Flag an HA timeout set below S seconds.", valueName: "S"))
    var minHATimeout: Int = PoolCheckSettings.defaultMinimumHATimeout

    @Option(help: ArgumentHelp("Seconds to wait for each xe command.", valueName: "S"))
    var timeout: Double = 60

    @Flag(help: "Print JSON (schema bootcanary.pool-check/1) instead of text.")
    var json = false

    func validate() throws {
        if from != nil && (ssh != nil || hostExec != nil) { throw ValidationError("--from reads saved output; it cannot be combined with --ssh or --host-exec") }
        if ssh != nil && hostExec != nil { throw ValidationError("give --ssh or --host-exec, not both") }
        if let ssh, ssh.isEmpty || ssh.hasPrefix("-") || ssh.hasSuffix("@") || ssh.contains(" ") {
            throw ValidationError("--ssh takes [USER@]HOST (got '\(ssh)')")
        }
        if let hostExec, hostExec.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--host-exec takes a command") }
        if orchestrator.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--orchestrator takes auto, none or a name") }
        if !(1...3600).contains(minHATimeout) { throw ValidationError("--min-ha-timeout takes 1-3600 seconds (got \(minHATimeout))") }
        if !(timeout >= 1 && timeout <= 3600) { throw ValidationError("--timeout takes 1-3600 seconds (got \(timeout))") }
    }

    var access: HostAccess {
        if let hostExec { return .command(hostExec.split(separator: " ").map(String.init)) }
        if let ssh {
            if let at = ssh.lastIndex(of: "@") { return .ssh(user: String(ssh[..<at]), host: String(ssh[ssh.index(after: at)...]), port: nil) }
            return .ssh(user: nil, host: ssh, port: nil)
        }
        return .local
    }

    var settings: PoolCheckSettings {
        let name = orchestrator.trimmingCharacters(in: .whitespaces)
        let choice: Orchestrator = switch name.lowercased() {
        case "auto": .auto
        case "none": .none
        default: .named(name)
        }
        return PoolCheckSettings(orchestrator: choice, minimumHATimeout: minHATimeout)
    }

    func run() throws {
        let outputs: XeOutputs
        let source: [String]
        do {
            if let from {
                outputs = try XeOutputs.read(from: from)
                source = XeCommand.allCases.compactMap { outputs.texts[$0]?.source }
            } else {
                outputs = try XeCapture.run(access, timeout: timeout)
                source = XeCommand.allCases.compactMap { outputs.texts[$0]?.source }
            }
            let inventory = try PoolInventory(outputs)
            let report = PoolCheckReport.check(inventory, settings, source: source)
            if json { Terminal.printJSON(try JSONFormat.string(report)) } else { Terminal.print(PoolCheckText.render(report)) }
            if report.exitStatus != .healthy { throw ExitCode(report.exitStatus.rawValue) }
        } catch let error as XeOutputError {
            Terminal.error("pool-check: \(error.description)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        } catch let error as XeCapture.Failure {
            Terminal.error("pool-check: \(error.description)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
    }
}
