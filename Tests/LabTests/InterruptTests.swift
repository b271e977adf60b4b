import Foundation
import Libvirt
import Testing
@testable import CanaryModel
@testable import CanaryProbe

/// Ctrl-C in the middle of a real boot: bootcanary exits with the shell's code, and its test
/// domain, its overlay and its ledger lines are gone; the image is untouched.
@Suite(.serialized) struct InterruptTests {
    /// One `bootcanary boot` of a fresh instance, with its own scratch and state folders.
    struct Run {
        let process = Process()
        let scratch: URL
        let state: URL
        /// Probe domains that were there before this run: not its own. (A benchmark's
        /// `bootcanary boot` running beside the suite once had its domain taken for the run's,
        /// and the signal reached the run before it had trapped signals.)
        let earlier: Set<String>

        init(_ arguments: [String], label: String, output: (Process) throws -> Void) throws {
            earlier = Set(try Lab.shared.connect().listDomains().map(\.name).filter(ProbeName.isProbe))
            scratch = try Lab.tempFolder("\(label)-scratch")
            state = try Lab.tempFolder("\(label)-state")
            process.executableURL = try #require(CLI.executable)
            process.arguments = ["boot", "-c", Lab.shared.uri] + arguments
            var env = ProcessInfo.processInfo.environment
            env["BOOTCANARY_SCRATCH_DIR"] = scratch.path
            env["BOOTCANARY_STATE_DIR"] = state.path
            process.environment = env
            try output(process)
            try process.run()
        }

        /// Waits for the test domain (the boot is then under way), sends `signal`, waits for
        /// the exit; returns the domain's name and the seconds from signal to exit.
        func interrupt(with signal: Int32) throws -> (domain: String, seconds: Double) {
            let connection = try Lab.shared.connect()
            var probe: String?
            let appear = Date().addingTimeInterval(60)
            while probe == nil && process.isRunning && Date() < appear {
                probe = try connection.listDomains().map(\.name).first { ProbeName.isProbe($0) && !earlier.contains($0) }
                if probe == nil { usleep(20_000) }
            }
            let domain = try #require(probe, "no test domain appeared")
            let sent = Date()
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(SignalTrap_limitSeconds + 10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            return (domain, Date().timeIntervalSince(sent))
        }

        func remove() {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: state)
        }
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptedBootLeavesNothing(_ signal: Int32, _ expectedStatus: Int32) throws {
        let image = try Lab.shared.image
        let before = try ProbeKindTests.FileState(image)
        let err = Pipe()
        let run = try Run(["--json", "--quiet", "--master", image], label: "interrupt") { process in
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
        }
        defer { run.remove() }
        let (domain, exitSeconds) = try run.interrupt(with: signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        #expect(run.process.terminationStatus == expectedStatus, "\(stderr)")
        #expect(exitSeconds < 30, "teardown took \(exitSeconds) s")
        #expect(stderr.contains("interrupted; cleaning up"), "\(stderr)")
        #expect(stderr.contains("destroyed domain \(domain)"), "\(stderr)")
        #expect(try Lab.shared.domains(prefixed: domain).isEmpty, "the test domain outlived the run")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.scratch.path).isEmpty, "scratch left behind")
        #expect(Ledger.files(in: run.state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
        #expect(try ProbeKindTests.FileState(image) == before, "the image changed")
    }

    /// The same Ctrl-C with nobody left to read bootcanary's output (a pipeline whose reader
    /// died first, a test runner that was killed): the teardown must still run. Seen on the Xen
    /// lab before SIGPIPE was ignored: the orphaned run died on its first "cleaning up" line
    /// and left its test domains running.
    @Test func interruptWithNoReaderLeavesNothing() throws {
        let out = Pipe(), err = Pipe()
        // Without --quiet: the live console writes to the dead pipe all along.
        let run = try Run(["--master", try Lab.shared.image], label: "interrupt-noreader") { process in
            process.standardOutput = out
            process.standardError = err
        }
        defer { run.remove() }
        try out.fileHandleForReading.close()
        try err.fileHandleForReading.close()
        let (domain, _) = try run.interrupt(with: SIGINT)

        #expect(run.process.terminationReason == .exit, "killed by signal \(run.process.terminationStatus)")
        #expect(run.process.terminationStatus == 130)
        #expect(try Lab.shared.domains(prefixed: domain).isEmpty, "the test domain outlived the run")
        #expect(Ledger.files(in: run.state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
    }
}

/// The executable's bound on teardown (SignalTrap.limitSeconds, not importable from a test).
private let SignalTrap_limitSeconds = 90.0
