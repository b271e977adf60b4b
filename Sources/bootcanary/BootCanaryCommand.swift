import ArgumentParser
import CanaryModel

/// The `bootcanary` executable: argument parsing, terminal progress and exit codes only.
/// Everything it does lives in the layer targets (Canary*, README.md: Layout).
@main
struct BootCanaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootcanary",
        abstract: "Boot throwaway guests through libvirt and tell a wedged hypervisor from a corrupt guest image.",
        // buildRevision: written before each build by the GitRevision plugin.
        version: BootCanaryVersion.versionLine(revision: buildRevision),
        subcommands: [
            HostCommand.self,
            BootCommand.self,
            DiagnoseCommand.self,
            CanaryCommand.self,
            CleanupCommand.self,
            AnalyzeCommand.self,
            ReportCommand.self,
            PoolCheckCommand.self,
        ]
    )
}
