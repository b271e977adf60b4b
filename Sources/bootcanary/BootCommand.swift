import ArgumentParser
import CanaryClassify
import CanaryDiagnose
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import CanaryReport
import Foundation
import Libvirt

/// `bootcanary boot`: one probe boot with a live, timestamped console.
struct BootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Boot one test guest, show its console live, and print how the boot ended.")

    @OptionGroup var connect: ConnectOptions
    @OptionGroup var probe: ProbeOptions
    @Flag(help: "Print the boot result as JSON (the console then goes to stderr).") var json = false
    @Option(help: ArgumentHelp("Write the timestamped transcript here.", valueName: "FILE")) var transcript: String?
    @Flag(help: "Do not print console lines as they arrive.") var quiet = false

    func run() async throws {
        SignalTrap.install()
        defer { SignalTrap.yieldToTeardown() }
        var status: Int32 = 0
        try await reportingFailures {
            let connection = try await connect.open()
            let facts = try await BlockingCall.run { () throws(LibvirtError) in try HostFacts.gather(from: connection) }
            let plan = try ProbePlanner.single(try probe.resolvedInputs(on: connection).0, facts: facts)
            let runID = ProbeName.newRunID()
            let ledger = try Ledger(runID: runID)
            defer { ledger.closeIfSettled() }
            Teardown.shared.atEnd { ledger.closeIfSettled() }
            let out = json ? FileHandle.standardError : FileHandle.standardOutput
            if !quiet {
                Terminal.write(out, "bootcanary: \(plan.kind.rawValue) probe on \(connection.uri) (\(plan.summary))")
            }
            let boot = try await ProbeRunner(connection: connection, ledger: ledger, settings: probe.settings,
                                                 hostAccess: connect.hostAccess(for: connection))
                .boot(plan, runID: runID, repetition: 1,
                      transcript: transcript.map { URL(fileURLWithPath: $0) }) { line, time in
                    guard !quiet else { return }
                    Terminal.raw(out, LiveConsole.format(line, time: time))
                }
            status = BootExit.status(for: boot.result.outcome)
            if json {
                Terminal.printJSON(try JSONFormat.string(boot))
            } else if boot.result.outcome != .infraError || boot.result.lines > 0 {
                Terminal.print(BootSummaryText.render(boot))
            }
            // Nothing to judge: one line naming the problem and the next step.
            if boot.result.outcome == .infraError, case .infrastructureError(let message) = boot.result.ending {
                Terminal.error(message)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
