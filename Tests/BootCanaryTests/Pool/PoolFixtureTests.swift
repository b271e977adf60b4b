import Foundation
import Testing
@testable import CanaryPool

/// Every case in fixtures/xe/: its saved xe output, read as `--from DIR` reads it, flags exactly
/// what its expected.json says, in that order, with that status.
@Suite struct PoolFixtureTests {
    struct Expected: Decodable {
        var flags: [String]
        var status: String
        var arguments: [String]?
        var adapted: String
    }

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: XeRecordParserTests.xe.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: XeRecordParserTests.xe.appendingPathComponent($0).appendingPathComponent("expected.json").path) }.sorted()
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: XeRecordParserTests.xe.appendingPathComponent(name).appendingPathComponent("expected.json")))
    }

    static func settings(_ arguments: [String]?) -> PoolCheckSettings {
        var settings = PoolCheckSettings()
        if let arguments, let i = arguments.firstIndex(of: "--orchestrator"), i + 1 < arguments.count {
            settings.orchestrator = .named(arguments[i + 1])
        }
        return settings
    }

    static func report(_ name: String) throws -> PoolCheckReport {
        let outputs = try XeOutputs.read(from: XeRecordParserTests.xe.appendingPathComponent(name).path)
        return PoolCheckReport.check(try PoolInventory(outputs), settings(try expected(name).arguments), source: [])
    }

    @Test func theCorpusHasEveryCase() {
        #expect(Self.cases.count >= 8)
    }

    @Test(arguments: cases)
    func flagsWhatItsExpectedFileSays(_ name: String) throws {
        let expected = try Self.expected(name)
        let report = try Self.report(name)
        #expect(report.findings.map(\.check.rawValue) == expected.flags)
        #expect(report.status == expected.status)
        #expect(report.exitStatus.rawValue == ["ok": 0, "warning": 1, "critical": 2][expected.status])
        // Every check is accounted for: flagged ones are those with findings.
        #expect(report.checks.map(\.check) == PoolCheck.allCases)
        #expect(Set(report.checks.filter { $0.result == "flagged" }.map(\.check.rawValue)) == Set(expected.flags))
    }

    /// Each check is flagged by some case and passes (or does not apply) in another: the corpus
    /// has a true and a false case for every rule.
    @Test func everyCheckHasATrueAndAFalseCase() throws {
        var flagged = Set<PoolCheck>(), clear = Set<PoolCheck>()
        for name in Self.cases {
            for check in try Self.report(name).checks {
                if check.result == "flagged" { flagged.insert(check.check) } else { clear.insert(check.check) }
            }
        }
        #expect(flagged == Set(PoolCheck.allCases), "never flagged: \(Set(PoolCheck.allCases).subtracting(flagged))")
        #expect(clear == Set(PoolCheck.allCases), "always flagged: \(Set(PoolCheck.allCases).subtracting(clear))")
    }
}
