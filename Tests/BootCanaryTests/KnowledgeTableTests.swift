import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryDiagnose
@testable import CanaryModel

/// Feeds `text` as one boot's console, the n-th line at n seconds, the last line left
/// unterminated (as a prompt waits), and judges it.
private func boot(_ text: String, _ ending: BootEnding = .endOfLog, at end: Double? = nil,
                  options: ClassifierOptions = ClassifierOptions()) throws -> BootResult {
    var console = try BootConsole(options: options)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for (k, line) in lines.enumerated() {
        let bytes = k == lines.count - 1 ? String(line) : line + "\r\n"
        _ = console.append(Array(bytes.utf8), at: ConsoleTime(seconds: Double(k)))
    }
    _ = console.finish()
    return console.judge(ending, at: end.map { ConsoleTime(seconds: $0) })
}

@Suite struct XenbusStateTableTests {
    /// xen/include/public/io/xenbus.h `enum xenbus_state`.
    static let header: [Int: String] = [
        1: "Initialising", 2: "InitWait", 3: "Initialised", 4: "Connected", 5: "Closing", 6: "Closed",
    ]

    @Test func everyStateNumberHasItsHeaderName() {
        for (number, name) in Self.header {
            #expect(XenbusStateTable.state(number)?.name == name, "state \(number)")
        }
        #expect(XenbusStateTable.standard.count == Self.header.count)
    }

    @Test func numbersAreUniqueAndInOrder() {
        let numbers = XenbusStateTable.standard.map(\.number)
        #expect(numbers == numbers.sorted())
        #expect(Set(numbers).count == numbers.count)
    }

    /// Only a backend that never got past InitWait is the host's fault.
    @Test func onlyInitialisingAndInitWaitMeanTheBackendNeverConnected() {
        let never = XenbusStateTable.standard.filter(\.backendNeverConnected).map(\.number)
        #expect(never == [1, 2])
    }

    @Test func theTitleNamesTheRemoteStateFromTheTable() {
        for row in XenbusStateTable.standard {
            let line = "xenbus_probe_frontend: Timeout connecting to device: device/vbd/51712 (local state 3, remote state \(row.number))"
            #expect(BootClassifier.xenbusTitle(line) == "XENBUS: timeout connecting to device/vbd (remote state \(row.number): \(row.name))")
        }
        // a number the table does not name is kept bare
        let unknown = "XENBUS: Timeout connecting to device: device/vif/0 (local state 3, remote state 0)"
        #expect(BootClassifier.xenbusTitle(unknown) == "XENBUS: timeout connecting to device/vif (remote state 0)")
    }

    /// The diagnosis reads the same rows: state 2 on the console is a host-side sign, state 4
    /// (the backend connected) is not.
    @Test func hostSideSignFollowsTheTable() throws {
        func sign(_ remote: Int) throws -> String? {
            let r = try boot("""
                [    0.000000] Linux version 6.1.0-27-cloud-amd64
                [   35.7] xenbus_probe_frontend: Timeout connecting to device: device/vbd/51712 (local state 3, remote state \(remote))
                [   35.8] Waiting for root device /dev/xvda1...
                """, .stall(silenceSeconds: 120, vcpu: .idle))
            return BootObservation(kind: .kernel, run: 1, usesGuestDisk: true, result: r).hostSideSign
        }
        for row in XenbusStateTable.standard {
            let s = try sign(row.number)
            #expect((s?.hasPrefix("xenbus backend never connected") ?? false) == row.backendNeverConnected, "state \(row.number)")
        }
    }
}
