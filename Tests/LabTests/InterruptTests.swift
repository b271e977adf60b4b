import Foundation
import Libvirt
import Testing
@testable import BootCanary

/// Ctrl-C in the middle of a real boot: bootcanary exits with the shell's code, and its test
/// domain, its overlay and its ledger lines are gone; the image is untouched.
@Suite(.serialized) struct InterruptTests {
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptedBootLeavesNothing(_ signal: Int32, _ expectedStatus: Int32) throws {
        let lab = Lab.shared
        let image = try lab.image
        let before = try ProbeKindTests.FileState(image)
        let scratch = try Lab.tempFolder("interrupt-scratch")
        let state = try Lab.tempFolder("interrupt-state")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: state)
        }
        let process = Process()
        process.executableURL = try #require(CLI.executable)
        process.arguments = ["boot", "-c", lab.uri, "--json", "--quiet", "--master", image]
        var env = ProcessInfo.processInfo.environment
        env["BOOTCANARY_SCRATCH_DIR"] = scratch.path
        env["BOOTCANARY_STATE_DIR"] = state.path
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        // Interrupt as soon as the test domain exists: the boot is then under way.
        let connection = try lab.connect()
        var probe: String?
        let appear = Date().addingTimeInterval(60)
        while probe == nil && process.isRunning && Date() < appear {
            probe = try connection.listDomains().map(\.name).first(where: ProbeName.isProbe)
            if probe == nil { usleep(20_000) }
        }
        let domain = try #require(probe, "no test domain appeared")
        let sent = Date()
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(SignalTrap_limitSeconds + 10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let exitSeconds = Date().timeIntervalSince(sent)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        #expect(process.terminationStatus == expectedStatus, "\(stderr)")
        #expect(exitSeconds < 30, "teardown took \(exitSeconds) s")
        #expect(stderr.contains("interrupted; cleaning up"), "\(stderr)")
        #expect(stderr.contains("destroyed domain \(domain)"), "\(stderr)")
        #expect(try lab.domains(prefixed: domain).isEmpty, "the test domain outlived the run")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "scratch left behind")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
        #expect(try ProbeKindTests.FileState(image) == before, "the image changed")
    }
}

/// The executable's bound on teardown (SignalTrap.limitSeconds, not importable from a test).
private let SignalTrap_limitSeconds = 90.0

extension InterruptTests {
    /// The same Ctrl-C with nobody left to read bootcanary's output (a pipeline whose reader
    /// died first, a test runner that was killed): the teardown must still run. Seen on the Xen
    /// lab before SIGPIPE was ignored: the orphaned run died on its first "cleaning up" line
    /// and left its test domains running.
    @Test func interruptWithNoReaderLeavesNothing() throws {
        let lab = Lab.shared
        let image = try lab.image
        let scratch = try Lab.tempFolder("interrupt-noreader-scratch")
        let state = try Lab.tempFolder("interrupt-noreader-state")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: state)
        }
        let process = Process()
        process.executableURL = try #require(CLI.executable)
        // Without --quiet: the live console writes to the dead pipe all along.
        process.arguments = ["boot", "-c", lab.uri, "--master", image]
        var env = ProcessInfo.processInfo.environment
        env["BOOTCANARY_SCRATCH_DIR"] = scratch.path
        env["BOOTCANARY_STATE_DIR"] = state.path
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try out.fileHandleForReading.close()
        try err.fileHandleForReading.close()

        let connection = try lab.connect()
        var probe: String?
        let appear = Date().addingTimeInterval(60)
        while probe == nil && process.isRunning && Date() < appear {
            probe = try connection.listDomains().map(\.name).first(where: ProbeName.isProbe)
            if probe == nil { usleep(20_000) }
        }
        let domain = try #require(probe, "no test domain appeared")
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(SignalTrap_limitSeconds + 10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }

        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 130)
        #expect(try lab.domains(prefixed: domain).isEmpty, "the test domain outlived the run")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
    }
}
