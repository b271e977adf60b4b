import Foundation

/// The built `bootcanary` executable, run as a user runs it.
enum CLI {
    static let repository: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL? {
        let fm = FileManager.default
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("bootcanary")
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let candidate = repository.appendingPathComponent(".build/debug/bootcanary")
        return fm.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        guard let exe = executable else { throw LabMissing(key: "the bootcanary executable (swift build)") }
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // Each run starts without a history of healthy boots, so its stalls come from the
        // fixed thresholds the test was written against, whatever earlier runs on this
        // machine taught (a test that wants a history passes its own folder).
        env["BOOTCANARY_HISTORY_DIR"] = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
        env.merge(environment) { _, new in new }
        process.environment = env
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("cli-out-\(UUID().uuidString)")
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("cli-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      out: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
                      err: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }
}

/// lab/faults/sick-host, started for one test and stopped (its frozen guests released) after.
final class SickHostInjector {
    let process = Process()
    let log: URL

    init(every: Int = 1, delay: String = "0.2:1.8") throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("sick-host-\(UUID().uuidString).log")
        process.executableURL = CLI.repository.appendingPathComponent("lab/faults/sick-host")
        process.arguments = ["--every", String(every), "--delay", delay, "--log", log.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Wait for READY: the injector listens before the first probe starts.
        var text = ""
        while !text.contains("READY"), let chunk = try out.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty {
            text += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// SIGINT: the injector releases every process it froze, then exits.
    func stop() -> String {
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        return (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }
}
