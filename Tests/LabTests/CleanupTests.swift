import Foundation
import Libvirt
import Testing
@testable import CanaryProbe

/// `bootcanary cleanup` on the real lab: it removes exactly what a dead run's ledger records
/// (its domain, its scratch folder), and leaves alone a live run's domain and any domain that
/// merely looks like a probe.
@Suite(.serialized) struct CleanupTests {
    /// A guest left running the way a killed run leaves one (no auto-destroy).
    func leftoverDomain(_ what: String) throws -> String {
        let name = labDomainName(what)
        let spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0 bootcanary.after=wait")
        _ = try Lab.shared.connect().createTransient(xml: DomainXML.render(spec), startPaused: true, autoDestroy: false)
        return name
    }

    func destroy(_ name: String) {
        if let domain = try? Lab.shared.connect().domain(named: name) { _ = try? domain.destroy() }
    }

    /// The pid of a process that has exited: the run that wrote the ledger is dead.
    func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func cleanup(state: URL) throws -> CLI.Result {
        try CLI.run(["cleanup", "-c", Lab.shared.uri], environment: ["BOOTCANARY_STATE_DIR": state.path])
    }

    @Test func removesWhatADeadRunRecordedAndNothingElse() throws {
        let lab = Lab.shared
        let state = try Lab.tempFolder("cleanup-state")
        let scratch = try Lab.tempFolder("cleanup-bootcanary-scratch")
        defer { try? FileManager.default.removeItem(at: state) }
        try Data("overlay".utf8).write(to: scratch.appendingPathComponent("overlay.qcow2"))
        let recorded = try leftoverDomain("dead")
        let stranger = try leftoverDomain("stranger")
        defer { destroy(recorded); destroy(stranger) }

        let ledgerFolder = state.appendingPathComponent("ledger")
        let pid = try deadPID()
        let ledger = try Ledger(runID: "dead01", folder: ledgerFolder)
        try ledger.record(.init(op: .domain, uri: lab.uri, name: recorded, pid: pid))
        try ledger.record(.init(op: .scratch, path: scratch.path, pid: pid))

        let cli = try cleanup(state: state)
        #expect(cli.status == 0, "\(cli.err)")
        #expect(cli.out.contains("destroyed domain \(recorded)"), "\(cli.out)")
        #expect(cli.out.contains("removed scratch folder \(scratch.path)"))
        #expect(cli.out.contains("left alone: \(stranger) looks like a bootcanary probe"))
        #expect(try lab.domains(prefixed: recorded).isEmpty)
        #expect(try lab.domains(prefixed: stranger) == [stranger], "a domain no ledger records was touched")
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        #expect(Ledger.files(in: ledgerFolder).isEmpty, "the settled ledger was kept")

        // Run again: nothing left to do, and it says so.
        let again = try cleanup(state: state)
        #expect(again.out.contains("nothing to clean up"), "\(again.out)")
    }

    /// A ledger whose writer is alive (this test process is a bootcanary process) belongs to
    /// a run in progress: its domain is not cleanup's to destroy.
    @Test func leavesALiveRunAlone() throws {
        let lab = Lab.shared
        let state = try Lab.tempFolder("cleanup-live")
        defer { try? FileManager.default.removeItem(at: state) }
        let name = try leftoverDomain("live")
        defer { destroy(name) }
        let ledgerFolder = state.appendingPathComponent("ledger")
        let ledger = try Ledger(runID: "live01", folder: ledgerFolder)
        try ledger.record(.init(op: .domain, uri: lab.uri, name: name))

        let cli = try cleanup(state: state)
        #expect(cli.status == 0, "\(cli.err)")
        #expect(cli.out.contains("left alone: run live01 (pid \(getpid())) is still running"), "\(cli.out)")
        #expect(try lab.domains(prefixed: name) == [name])
        #expect(Ledger.files(in: ledgerFolder).count == 1)
    }
}
