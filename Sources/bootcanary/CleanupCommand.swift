import ArgumentParser
import CanaryModel
import CanaryProbe
import Foundation

/// `bootcanary cleanup`: destroy what an interrupted run left behind, and nothing else.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Destroy leftover test domains, overlays and uploads recorded by interrupted runs.")

    @OptionGroup var connect: ConnectOptions

    func run() async throws {
        try await reportingFailures {
            let connection = try await connect.open()
            let report = await Cleanup(connection: connection, hostAccess: connect.hostAccess(for: connection)).run()
            for name in report.destroyed { Terminal.print("destroyed domain \(name)") }
            for path in report.removedFolders { Terminal.print("removed scratch folder \(path)") }
            for volume in report.deletedVolumes { Terminal.print("deleted volume \(volume)") }
            for run in report.stillRunning { Terminal.print("left alone: \(run) is still running") }
            for name in report.unrecorded {
                Terminal.print("left alone: \(name) looks like a bootcanary probe but no ledger here records it (destroy it with virsh if it is yours)")
            }
            for failure in report.failures { Terminal.error(failure) }
            let nothing = report.destroyed.isEmpty && report.removedFolders.isEmpty && report.deletedVolumes.isEmpty
            if nothing && report.failures.isEmpty { Terminal.print("nothing to clean up on \(connection.uri)") }
            if !report.failures.isEmpty { throw ExitCode(ExitStatus.unknown.rawValue) }
        }
    }
}
