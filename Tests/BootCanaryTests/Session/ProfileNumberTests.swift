import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryProbe
@testable import CanarySession

/// Numbers in a canary profile are held to the ranges of their CLI flags: hostile or mistyped
/// values (overflowing integers, `inf`, `nan`, zero, negatives) are refused by file, line and
/// key with the allowed range, never trap and never mean "no limit".
@Suite struct ProfileNumberTests {
    static func profile(_ table: String, _ line: String) -> String {
        "[\(table)]\n\(line)\n[installer]\nurl = \"http://x/\"\n"
    }

    @Test(arguments: [
        ("limits", "timeout = 99999999999999999999", "timeout = 99999999999999999999: timeout must be a number above 0 and at most 86400 seconds"),
        ("limits", "timeout = inf", "timeout = inf: timeout must be a number above 0 and at most 86400 seconds"),
        ("limits", "timeout = -inf", "timeout must be a number above 0"),
        ("limits", "timeout = nan", "timeout = nan: timeout must be a number above 0"),
        ("limits", "timeout = 1e400", "timeout = inf: timeout must be a number above 0"),
        ("limits", "timeout = 0", "timeout = 0: timeout must be a number above 0"),
        ("limits", "stall_timeout = 1e300", "stall_timeout must be a number above 0 and at most 86400 seconds (the range of --stall-timeout)"),
        ("limits", "frozen_after = -5", "frozen_after must be a number above 0"),
        ("limits", "grace = 61", "grace = 61: grace must be a number from 0 to 60 seconds (the range of --grace)"),
        ("limits", "runs = -1", "runs = -1: runs must be an integer from 1 to 20 (the range of --runs)"),
        ("limits", "runs = 9223372036854775807", "runs = 9223372036854775807: runs must be an integer from 1 to 20"),
        ("limits", "runs = -9223372036854775809", "runs = -9223372036854775809: runs must be an integer from 1 to 20"),
        ("limits", "parallel = 0", "parallel = 0: parallel must be an integer from 1 to 32 (the range of --parallel)"),
        ("guest", "memory = 1e400", "memory must be an integer, not a number (an integer from 32 to 1048576 MiB, the range of --memory)"),
        ("guest", "memory = 18446744073709551616", "memory = 18446744073709551616: memory must be an integer from 32 to 1048576 MiB (the range of --memory)"),
        ("guest", "memory = 16", "memory = 16: memory must be an integer from 32 to 1048576 MiB"),
        ("guest", "vcpus = 0", "vcpus = 0: vcpus must be an integer from 1 to 64 (the range of --vcpus)"),
        ("guest", "vcpus = 1_000_000", "vcpus = 1000000: vcpus must be an integer from 1 to 64"),
    ])
    func badNumbersNameFileLineKeyAndRange(table: String, line: String, message: String) {
        do {
            let p = try CanaryProfile.parse(Self.profile(table, line), file: "/etc/bootcanary/canary.toml")
            Issue.record("accepted \(line): timeout \(p.timeout), runs \(p.runs), memory \(p.inputs.memoryMiB)")
        } catch let problem as CanaryProfile.Problem {
            #expect(problem.description.hasPrefix("/etc/bootcanary/canary.toml:2: "), "\(problem)")
            #expect(problem.message.contains(message), "\(problem)")
        } catch {
            Issue.record("not a profile problem: \(error)")
        }
    }

    @Test func valuesAtTheEdgesOfTheirRangesAreAccepted() throws {
        let p = try CanaryProfile.parse("""
            [limits]
            timeout = 86400
            stall_timeout = 0.5
            frozen_after = 0.5
            grace = 0
            runs = 20
            parallel = 32
            [guest]
            memory = 32
            vcpus = 64
            [installer]
            url = "http://x/"
            """, file: "p.toml")
        #expect(p.timeout == 86400)
        #expect(p.grace == 0)
        #expect(p.runs == 20)
        #expect(p.parallel == 32)
        #expect(p.inputs.memoryMiB == 32)
        #expect(p.inputs.vcpus == 64)
    }

    /// A numeric key added to the schema without a range would be read unchecked (and
    /// `Int(Double)` traps above Int.max): every one must have its limit.
    @Test func everyNumericKeyHasARange() {
        for (_, keys) in CanaryProfile.schema {
            for (key, want) in keys where want != .string {
                #expect(CanaryProfile.limits[key] != nil, "\(key) has no ProbeLimit")
            }
        }
    }

    /// The CLI's message for the same value names the flag and the same range.
    @Test func cliAndProfileShareTheRange() {
        #expect(ProbeLimits.runs.flagProblem(0) == "--runs must be an integer from 1 to 20 (got 0)")
        #expect(ProbeLimits.timeout.flagProblem(.infinity) == "--timeout must be a number above 0 and at most 86400 seconds (got inf)")
        #expect(ProbeLimits.timeout.flagProblem(.nan) != nil)
        #expect(ProbeLimits.vcpus.flagProblem(1.5) != nil)
        #expect(ProbeLimits.memory.flagProblem(256) == nil)
    }

    @Test func tomlReadsOverflowAndSpecialFloatsWithoutTrapping() throws {
        let doc = try TOMLDocument(parsing: "a = 99999999999999999999\nb = -inf\nc = nan\nd = 1e400\ne = 9223372036854775807\n")
        let values = doc.tables[0].entries.map(\.value)
        #expect(values[0] == .outOfRangeInteger("99999999999999999999"))
        #expect(values[1] == .float(-.infinity))
        if case .float(let v) = values[2] { #expect(v.isNaN) } else { Issue.record("nan read as \(values[2])") }
        #expect(values[3] == .float(.infinity))
        #expect(values[4] == .integer(Int.max))
    }
}

/// The same ranges as users meet them: the built CLI refuses before connecting anywhere.
@Suite struct CLINumberTests {
    @Test(arguments: [
        (["boot", "--kernel", "/nonexistent", "--timeout", "inf"], "--timeout must be a number above 0 and at most 86400 seconds (got inf)"),
        (["boot", "--kernel", "/nonexistent", "--stall-timeout", "nan"], "--stall-timeout must be a number above 0"),
        (["boot", "--kernel", "/nonexistent", "--vcpus", "0"], "--vcpus must be an integer from 1 to 64 (got 0)"),
        (["canary", "--kernel", "/nonexistent", "--runs=-1"], "--runs must be an integer from 1 to 20 (got -1)"),
        (["diagnose", "--image", "/nonexistent", "--out", "/nonexistent", "--parallel", "99999"], "--parallel must be an integer from 1 to 32 (got 99999)"),
        (["analyze", "--grace", "1e400", "/dev/null"], "--grace must be a number from 0 to 60 seconds (got inf)"),
    ])
    func flagsOutOfRangeAreUsageErrors(arguments: [String], message: String) throws {
        let r = try Tool.bootcanary(arguments)
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains(message), "\(r.err)")
    }

    @Test func aProfileWithAnOverflowingNumberIsAUsageError() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("canary.toml")
        try "[limits]\ntimeout = 300\nruns = 99999999999999999999\n[installer]\nurl = \"http://x/\"\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try Tool.bootcanary(["canary", "--profile", file.path, "--out", dir.appendingPathComponent("out").path])
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains("\(file.path):3: runs = 99999999999999999999: runs must be an integer from 1 to 20 (the range of --runs)"), "\(r.err)")
    }
}
