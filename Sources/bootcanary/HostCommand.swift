import ArgumentParser
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import Foundation
import Libvirt

/// `bootcanary host [-c URI] [--json]`: the facts a diagnosis starts from.
struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Show host facts: hypervisor and libvirt versions, host UUID, CPUs, memory, running domains.")

    @OptionGroup var connect: ConnectOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await reportingFailures {
            let connection = try await connect.open(readOnly: true)
            let facts = try await BlockingCall.run { () throws(LibvirtError) in try HostFacts.gather(from: connection) }
            if json { Terminal.printJSON(try JSONFormat.string(facts)) } else { Terminal.print(HostFactsText.render(facts)) }
        }
    }
}
