import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
#if canImport(Glibc)
import Glibc
@testable import CanaryModel
#endif

/// Console content is untrusted and files are whatever the user passes: every bad input
/// gets a clear answer, nothing crashes, memory stays bounded.
@Suite(.serialized) struct BadInputTests {
    @Test func binaryGarbageIsRejectedClearly() throws {
        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("garbage.bin").path
        var rng = SeededGenerator(seed: 11)
        try Data((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConsoleLogError.self) { try ConsoleLogAnalysis.analyze(path: path) }
        // Forced to plain, it is read like any console: no crash, a verdict.
        let forced = try ConsoleLogAnalysis.analyze(path: path, format: .plain)
        #expect(forced.result.lines > 0)
    }

    @Test func emptyFileIsNoOutput() throws {
        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("empty.log").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let analysis = try ConsoleLogAnalysis.analyze(path: path)
        #expect(analysis.result.outcome == .noOutput)
        #expect(analysis.notes.contains { $0.contains("empty file") })
    }

    @Test func directoryAndMissingFile() throws {
        let dir = try Fixtures.scratch()
        do {
            _ = try ConsoleLogAnalysis.analyze(path: dir.path)
            Issue.record("a directory was analyzed")
        } catch let error as ConsoleLogError {
            #expect(error == .isDirectory)
            #expect(error.description.contains("directory"))
        }
        #expect(throws: ConsoleLogError.notFound) { try ConsoleLogAnalysis.analyze(path: dir.path + "/nope.log") }
    }

    /// 100 MB without a line end: cut into bounded pieces, never held whole.
    @Test func hundredMegabytesWithoutALineEnd() throws {
        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("endless.log").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let block = Data(repeating: UInt8(ascii: "A"), count: 1 << 20)
        for _ in 0..<100 { try handle.write(contentsOf: block) }
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }

        var longest = 0
        var pieces = 0
        var classifier = try BootClassifier()
        let summary = try ConsoleLogReader().stream(path: path, format: nil) { view in
            longest = max(longest, view.bytes.count)
            pieces += 1
            classifier.consume(view)
        }
        #expect(summary.format == .plain)
        #expect(summary.fileBytes == 100 << 20)
        #expect(longest <= 16 * 1024)
        #expect(pieces == (100 << 20) / (16 * 1024))
        #expect(classifier.judge(.endOfLog).outcome == .stalled)
        // The file is 100 MiB; `bootcanary analyze` of it must peak at a small fraction more
        // than of a one-line file. Measured in child processes, each its own peak RSS (wait4),
        // not this test process's, whose peak other suites running beside it raise.
        let exe = try #require(AnalyzeCommandTests.executable, "the bootcanary executable is not built beside the tests")
        let small = dir.appendingPathComponent("one-line.log").path
        try Data("Linux version 6.1.0\n".utf8).write(to: URL(fileURLWithPath: small))
        let baseline = try Self.peakRSSOfChild(exe.path, ["analyze", small])
        let big = try Self.peakRSSOfChild(exe.path, ["analyze", path])
        print("analyze peak RSS: one-line file \(baseline >> 20) MiB, 100 MiB without a line end \(big >> 20) MiB")
        #expect(big - baseline < 32 << 20, "analyze of 100 MiB without a line end peaked \((big - baseline) >> 20) MiB above a one-line file's \(baseline >> 20) MiB")
    }

    @Test func unknownFormatHasAClearMessage() throws {
        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("archive.gz").path
        try Data([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0, count: 100)).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ConsoleLogAnalysis.analyze(path: path)
            Issue.record("gzip analyzed")
        } catch let error as ConsoleLogError {
            #expect(error.description == "this is gzip-compressed data (decompress it first), not a console log")
        }
    }

    /// Runs `path arguments` to its end (output discarded) and returns its own peak RSS in bytes.
    static func peakRSSOfChild(_ path: String, _ arguments: [String]) throws -> Int {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        try #require(rc == 0, "posix_spawn \(path): \(String(cString: strerror(rc)))")
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return usage.ru_maxrss * 1024
    }
}

/// `bootcanary analyze` as users call it: several files, some bad; a message per bad file,
/// the others analyzed, exit codes per docs/contract.md.
@Suite(.serialized) struct AnalyzeCommandTests {
    /// The built executable next to the test bundle (`swift build`/`swift test` build both).
    static var executable: URL? {
        let fm = FileManager.default
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("bootcanary")
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        // Run by a helper process: the newest debug build under the package's scratch paths.
        let builds = ((try? fm.contentsOfDirectory(atPath: Fixtures.root.path)) ?? []).filter { $0.hasPrefix(".build") }
        return builds.map { Fixtures.root.appendingPathComponent($0).appendingPathComponent("debug/bootcanary") }
            .filter { fm.isExecutableFile(atPath: $0.path) }
            .max { a, b in
                let da = (try? fm.attributesOfItem(atPath: a.path)[.modificationDate] as? Date) ?? .distantPast
                let db = (try? fm.attributesOfItem(atPath: b.path)[.modificationDate] as? Date) ?? .distantPast
                return da < db
            }
    }

    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try Self.runTool(["analyze"] + arguments)
    }

    /// Runs the built bootcanary with `arguments`, collecting its exit status and output.
    static func runTool(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
        let exe = try #require(Self.executable, "the bootcanary executable is not built beside the tests")
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func badFilesGetAMessageAndTheOthersAreAnalyzed() throws {
        let dir = try Fixtures.scratch()
        let garbage = dir.appendingPathComponent("garbage.bin").path
        var rng = SeededGenerator(seed: 3)
        try Data((0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: garbage))
        let r = try run([Fixtures.path("lab-healthy-rootdisk"), garbage, dir.path, Fixtures.path("lab-vfs-no-root")])
        #expect(r.status == 2)
        #expect(r.out.contains("outcome         booted"))
        #expect(r.out.contains("kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"))
        #expect(r.out.contains("garbage.bin: not a console log"))
        #expect(r.out.contains("is a directory, not a console log"))
        #expect(r.out.contains("Failure points across 2 logs"))
    }

    @Test func jsonDocument() throws {
        let r = try run(["--json", Fixtures.path("lab-sysrq-panic"), Fixtures.path("lab-sysrq-panic-rootdisk")])
        #expect(r.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "bootcanary.analysis/1")
        let boots = try #require(object["boots"] as? [[String: Any]])
        #expect(boots.count == 2)
        #expect(boots.allSatisfy { $0["title"] as? String == "kernel panic: sysrq triggered crash" })
        let comparison = try #require(object["comparison"] as? [String: Any])
        #expect((comparison["title"] as? [String: Any])?["agreement"] as? String == "same")
    }

    @Test func exitCodes() throws {
        #expect(try run([Fixtures.path("lab-healthy-quiet")]).status == 0)
        #expect(try run([Fixtures.path("lab-userspace-silent")]).status == 2)
        #expect(try run(["/nonexistent/console.log"]).status == 3)
        #expect(try run([]).status == 64)
    }
}
