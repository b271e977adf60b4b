import Foundation
import Testing
@testable import CanaryConsole
@testable import CanaryModel

/// Where the repository's fixtures are, found from this file's path.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let transcripts = root.appendingPathComponent("fixtures/transcripts")
    static let domains = root.appendingPathComponent("fixtures/domains")
    static let servers = root.appendingPathComponent("fixtures/servers")

    /// Every `NAME.log` with a `NAME.expected.json` beside it.
    static var corpus: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: transcripts.path)) ?? []
        return names.filter { $0.hasSuffix(".log") }
            .map { String($0.dropLast(4)) }
            .filter { names.contains($0 + ".expected.json") }
            .sorted()
    }

    static func path(_ name: String) -> String { transcripts.appendingPathComponent(name + ".log").path }

    struct Expected: Decodable {
        var outcome: BootOutcome
        var lastMilestone: Milestone
        var title: String?
        var format: ConsoleLogFormat
        var source: String
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: transcripts.appendingPathComponent(name + ".expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// A scratch directory for one test.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A deterministic generator, so a failing property test can be rerun.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E3779B97F4A7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    /// Splits into chunks of random sizes (1...maxChunk).
    func randomChunks(maxChunk: Int, using rng: inout SeededGenerator) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i < count {
            let n = Int.random(in: 1...maxChunk, using: &rng)
            out.append(Array(self[i..<Swift.min(count, i + n)]))
            i += n
        }
        return out
    }
}

/// Tests that need what lab/setup installs beyond Swift (chromium, cmark-gfm, Debian's python3
/// with prometheus_client) or root run only when lab/test says this machine has them
/// (`BOOTCANARY_HOST_TOOL_TESTS=1`); a plain `swift test` runs the pure suites only.
enum HostTools {
    static let enabled = ProcessInfo.processInfo.environment["BOOTCANARY_HOST_TOOL_TESTS"] == "1"
    static let reason: Comment = "needs lab/setup's host tools or root: run through lab/test (BOOTCANARY_HOST_TOOL_TESTS=1)"
    static var asRoot: Bool { enabled && geteuid() == 0 }
}
