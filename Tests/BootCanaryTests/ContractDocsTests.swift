import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryPool
@testable import CanaryProbe
@testable import CanaryReport
@testable import CanarySession

/// docs/ is the contract users read; these tests keep it the code's own description:
/// - docs/commands.md is exactly what `docs/commands.sh` makes from the built tool's --help;
/// - every key any JSON document writes is named in docs/json.md;
/// - every vocabulary word is in docs/contract.md;
/// - each JSON shape is pinned by a golden file (fixtures/json/, and every run.json in
///   fixtures/runs/ re-encodes to its own bytes, so what this version wrote stays readable).
@Suite struct ContractDocsTests {
    static let docs = Fixtures.root.appendingPathComponent("docs")
    static let goldens = Fixtures.root.appendingPathComponent("fixtures/json")
    static let runs = ["lab-sick-host", "lab-corrupt-image"]

    static func runRecord(_ name: String) throws -> RunRecord {
        try RunRecord.read(Fixtures.root.appendingPathComponent("fixtures/runs/\(name)/run.json"))
    }

    /// analyze --json of a failed image boot and a booted host-kernel boot, with a diagnosis,
    /// paths relative to the repository so the golden file is the same in every clone.
    static func analysisDocument() throws -> AnalysisDocument {
        let names = ["lab-decompressor-corrupt", "lab-healthy-rootdisk"]
        let analyses = try names.map { try ConsoleLogAnalysis.analyze(path: Fixtures.path($0)) }
        let kinds = [analyses[0].path: ProbeKind.pygrub, analyses[1].path: .kernel]
        var document = AnalysisDocument(
            boots: analyses.map(\.record), unreadable: [.init(file: "missing.log", message: "no such file")],
            comparison: FailurePointComparison(analyses.map { .init(name: $0.path, kind: kinds[$0.path], result: $0.result) }))
        document.diagnosis = LogDiagnosis.diagnose(analyses, kinds: kinds).diagnosis
        return document
    }

    static func fleetReport() throws -> Fleet.Report {
        let record = try runRecord("lab-sick-host")
        let host = Fleet.HostResult(uri: record.host.uri, status: record.diagnosis.exitStatus.rawValue, hostname: record.host.hostname,
                                    hostUUID: record.host.hostUUID, verdict: record.diagnosis.verdict, action: record.diagnosis.action,
                                    summary: record.diagnosis.summary, run: "hosts/\(record.host.hostname)", seconds: 91.5)
        return Fleet.Report(started: record.started, ended: record.ended, hosts: [host],
                            duplicateHostUUIDs: [record.host.hostUUID ?? "uuid": [record.host.uri, "xen+ssh://root@clone/system"]],
                            status: host.status)
    }

    /// run.json's `integrity` from a real lab run: `diagnose` of the kernel-flipped image
    /// (lab/faults/corrupt-images), its run folder's paths as they were.
    static func integrity() throws -> ImageIntegrity {
        try JSONFormat.decoder().decode(ImageIntegrity.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent("fixtures/integrity/lab-kernel-flipped.json")))
    }

    /// Each JSON shape, as the commands print it.
    static func shapes() throws -> [(name: String, json: String)] {
        let record = try runRecord("lab-sick-host")
        let relative = Fixtures.root.path + "/"
        return [
            ("boot", try JSONFormat.string(record.boots[0])),
            ("host", try JSONFormat.string(record.host)),
            ("analyze", try JSONFormat.string(try analysisDocument()).replacingOccurrences(of: relative, with: "")),
            ("fleet", try JSONFormat.string(try fleetReport())),
            ("known-issues", try JSONFormat.string(try knownIssues())),
            ("integrity", try JSONFormat.string(try integrity())),
            ("pool-check", try JSONFormat.string(try poolCheck())),
        ]
    }

    /// run.json's `knownIssues` for the lab's pygrub refusal (a boot with pygrub's words).
    static func knownIssues() throws -> [KnownIssueMatch] {
        let boot = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-pygrub-no-kernel")).record
        return KnownIssueMatcher.matches(KnownIssueTable.shipped, boots: [boot], host: nil)
    }

    /// pool-check --json of a fixture with findings (fixtures/xe/cloudstack-ha-default-timeout),
    /// its sources relative to the repository.
    static func poolCheck() throws -> PoolCheckReport {
        let folder = "fixtures/xe/cloudstack-ha-default-timeout"
        let outputs = try XeOutputs.read(from: Fixtures.root.appendingPathComponent(folder).path)
        return PoolCheckReport.check(try PoolInventory(outputs), .init(), source: XeCommand.allCases.map { "\(folder)/\($0.fileName)" })
    }

    @Test(arguments: ["boot", "host", "analyze", "fleet", "known-issues", "integrity", "pool-check"])
    func jsonShapeMatchesItsGoldenFile(_ name: String) throws {
        let json = try #require(try Self.shapes().first { $0.name == name }).json + "\n"
        let url = Self.goldens.appendingPathComponent("\(name).json")
        // Re-record after an intended change: BOOTCANARY_RECORD_GOLDENS=1 swift test, then
        // read the diff (and docs/json.md) before committing.
        if ProcessInfo.processInfo.environment["BOOTCANARY_RECORD_GOLDENS"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldens, withIntermediateDirectories: true)
            try json.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(json == (try String(contentsOf: url, encoding: .utf8)))
    }

    /// run.json read and written again gives back its own bytes: nothing is lost or renamed.
    @Test(arguments: runs)
    func runRecordReencodesToItsOwnBytes(_ name: String) throws {
        let url = Fixtures.root.appendingPathComponent("fixtures/runs/\(name)/run.json")
        let written = try JSONFormat.encoder().encode(try RunRecord.read(url)) + Data("\n".utf8)
        #expect(String(decoding: written, as: UTF8.self) == (try String(contentsOf: url, encoding: .utf8)))
    }

    static func keys(of json: Data) throws -> Set<String> {
        var found = Set<String>()
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    found.insert(key)
                    walk(inner)
                }
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(try JSONSerialization.jsonObject(with: json))
        return found
    }

    @Test func everyKeyWrittenIsDocumented() throws {
        let doc = try String(contentsOf: Self.docs.appendingPathComponent("json.md"), encoding: .utf8)
        var keys = Set<String>()
        for shape in try Self.shapes() { keys.formUnion(try Self.keys(of: Data(shape.json.utf8))) }
        for run in Self.runs { keys.formUnion(try Self.keys(of: try JSONFormat.encoder().encode(try Self.runRecord(run)))) }
        // Keys of a dictionary keyed by data (a host UUID) are values, not field names.
        let record = try Self.runRecord("lab-sick-host")
        keys.remove(record.host.hostUUID ?? "uuid")
        #expect(keys.count > 100, "the shapes above should cover the contract's fields")
        let missing = keys.filter { !doc.contains("`\($0)`") }.sorted()
        #expect(missing.isEmpty, "docs/json.md does not name: \(missing.joined(separator: ", "))")
    }

    @Test func everyVocabularyWordIsDocumented() throws {
        let doc = try String(contentsOf: Self.docs.appendingPathComponent("contract.md"), encoding: .utf8)
        let words = ProbeKind.allCases.map(\.rawValue) + BootOutcome.allCases.map(\.rawValue) + Milestone.allCases.map(\.rawValue)
            + VCPUPattern.allCases.map(\.rawValue) + Verdict.allCases.map(\.rawValue) + Action.allCases.map(\.rawValue)
            + DomainSpec.GuestType.allCases.map(\.rawValue) + DiskFormat.allCases.map(\.rawValue)
            + PoolCheck.allCases.map(\.rawValue) + ["warning", "critical", "flagged", "passed", "not_applicable"]
        let missing = words.filter { !doc.contains("`\($0)`") }
        #expect(missing.isEmpty, "docs/contract.md does not name: \(missing.joined(separator: ", "))")
        for status in [ExitStatus.healthy, .warning, .critical, .unknown, .usage] {
            #expect(doc.contains("| \(status.rawValue) | \(status) |"), "exit code \(status.rawValue) is not in the table")
        }
    }

    /// The command reference is generated from --help; a changed option fails here until
    /// `docs/commands.sh` is run again.
    @Test func commandReferenceIsTheToolsOwnHelp() throws {
        let exe = try #require(AnalyzeCommandTests.executable, "the bootcanary executable is not built next to the tests (swift build --build-tests)")
        let out = try Fixtures.scratch().appendingPathComponent("commands.md")
        let r = try ExternalTool.run("/bin/bash", [Self.docs.appendingPathComponent("commands.sh").path, exe.path],
                                     timeout: 60, environment: ProcessInfo.processInfo.environment.merging(["OUT": out.path]) { $1 })
        #expect(r.status == 0, "\(r.stderr)")
        let fresh = try String(contentsOf: out, encoding: .utf8)
        let committed = try String(contentsOf: Self.docs.appendingPathComponent("commands.md"), encoding: .utf8)
        #expect(fresh == committed, "docs/commands.md is stale: run docs/commands.sh")
    }
}
