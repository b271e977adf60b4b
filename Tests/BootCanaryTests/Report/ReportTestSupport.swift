import Foundation
import Testing
@testable import CanaryReport

/// The run folders reports are tested on: two real lab runs and a hand-made hostile one.
enum ReportFixtures {
    static let runs = Fixtures.root.appendingPathComponent("fixtures/runs")
    static let names = ["lab-sick-host", "lab-corrupt-image", "hostile"]

    static func folder(_ name: String) -> URL { runs.appendingPathComponent(name) }

    static func record(_ name: String) throws -> RunRecord {
        try RunRecord.read(folder(name).appendingPathComponent("run.json"))
    }

    static func report(_ name: String, limits: ExcerptLimits = .init()) throws -> RunReport {
        RunReport.load(try record(name), recordFolder: folder(name), limits: limits)
    }

    /// The payloads `fixtures/runs/hostile/make-hostile.py` puts into console text and record
    /// fields; each must reach every report only as inert text.
    static let hostileMarkers = [
        "<script>", "</script>", "</svg>", "<img src=x onerror=", "<iframe", "<svg onload=", "<style>", "<base href",
        "<meta http-equiv", "<a href=\"javascript:", "<math>",
    ]
}

/// Runs helper programs (the built CLI, lab/report-check, gzip) and collects what they print.
/// Output goes through files, so neither pipe can fill up and stall the child.
enum Tool {
    struct Result {
        var status: Int32
        var out: Data
        var err: String
        var outText: String { String(decoding: out, as: UTF8.self) }
    }

    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        #expect(FileManager.default.createFile(atPath: outURL.path, contents: nil))
        #expect(FileManager.default.createFile(atPath: errURL.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let stdin {
            let inURL = dir.appendingPathComponent("in")
            try stdin.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        }
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: try Data(contentsOf: outURL),
                      err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `bootcanary ARGS`.
    static func bootcanary(_ arguments: [String]) throws -> Result {
        let exe = try #require(AnalyzeCommandTests.executable, "the bootcanary executable is not built beside the tests")
        return try run(exe.path, arguments)
    }

    /// `lab/report-check WHAT FILE`, decoded. Needs Debian's python3 (for prometheus_client),
    /// chromium and cmark-gfm: lab/setup installs them.
    static func reportCheck(_ what: String, _ file: URL, _ extra: [String] = []) throws -> [String: Any] {
        let script = Fixtures.root.appendingPathComponent("lab/report-check").path
        let r = try run("/usr/bin/python3", [script, what, file.path] + extra)
        try #require(r.status == 0, "lab/report-check \(what) failed: \(r.err)")
        return try #require(try JSONSerialization.jsonObject(with: r.out) as? [String: Any])
    }

    /// `gzip -dc`: decompression by the real gzip.
    static func gunzip(_ data: Data) throws -> Data {
        let r = try run("/bin/gzip", ["-dc"], stdin: data)
        try #require(r.status == 0, "gzip -dc failed: \(r.err)")
        return r.out
    }
}

extension String {
    /// Non-overlapping occurrences of `s`.
    func occurrences(of s: String) -> Int { components(separatedBy: s).count - 1 }
}
