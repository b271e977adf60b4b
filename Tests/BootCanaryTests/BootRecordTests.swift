import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryModel
@testable import CanaryProbe

/// The boot record is one flat JSON object made of four parts, each coded by the compiler:
/// these pin what that design promises beyond the golden files.
@Suite struct BootRecordTests {
    static func probed() throws -> BootRecord {
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-healthy-rootdisk"))
        var boot = BootRecord.probed(kind: .kernel, run: 2, domain: "bootcanary-abc123-kernel-2", result: analysis.result,
                                     transcript: URL(fileURLWithPath: "/tmp/kernel-2.transcript"),
                                     started: Date(timeIntervalSince1970: 1_800_000_000), createSeconds: 1.25, notes: ["n"])
        boot.host = .control
        boot.usesGuestDisk = true
        // run.json keeps whole seconds (ISO 8601).
        boot.endedAt = Date(timeIntervalSince1970: 1_800_000_090)
        return boot
    }

    static func object(_ record: BootRecord) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONFormat.encoder().encode(record)) as? [String: Any])
    }

    @Test func everyPartsFieldsSitAtTheTopLevel() throws {
        let o = try Self.object(try Self.probed())
        #expect(o["kind"] as? String == "kernel")
        #expect(o["run"] as? Int == 2)
        #expect(o["host"] as? String == "control")
        #expect(o["outcome"] as? String == "booted")
        #expect(o["transcript"] as? String == "/tmp/kernel-2.transcript")
        #expect(o["domain"] as? String == "bootcanary-abc123-kernel-2")
        #expect(o["createSeconds"] as? Double == 1.25)
        #expect(o["usesGuestDisk"] as? Bool == true)
        // No part shows up as a nested object of its own.
        for part in ["identity", "result", "source", "live"] { #expect(o[part] == nil) }
    }

    /// docs/contract.md: its optional fields are null, never left out; the rest are left out.
    @Test func contractFieldsAreNullNotMissing() throws {
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-healthy-rootdisk"))
        let o = try Self.object(BootRecord(result: analysis.result))
        for key in ["kind", "run", "title", "stallSeconds", "vcpu", "transcript"] {
            #expect(o.keys.contains(key), "\(key) is left out")
            #expect(o[key] is NSNull, "\(key) is not null")
        }
        for key in ["host", "domain", "startedAt", "createSeconds", "file", "signature"] { #expect(o[key] == nil, "\(key) is written") }
    }

    @Test func recordRoundTripsAndMissingOptionalKeysReadAsNil() throws {
        let boot = try Self.probed()
        let data = try JSONFormat.encoder().encode(boot)
        #expect(try JSONFormat.decoder().decode(BootRecord.self, from: data) == boot)
        var o = try Self.object(boot)
        for key in ["kind", "run", "title", "createSeconds", "lastLineNumber"] { o.removeValue(forKey: key) }
        let read = try JSONFormat.decoder().decode(BootRecord.self, from: JSONSerialization.data(withJSONObject: o))
        #expect(read.kind == nil && read.run == nil && read.title == nil && read.createSeconds == nil && read.lastLineNumber == nil)
        #expect(read.domain == boot.domain && read.outcome == boot.outcome)
    }

    /// The label has one spelling, used by evidence and reports alike.
    @Test func labelSpelling() {
        #expect(BootLabel(kind: .pygrub, run: 2).description == "pygrub#2")
        #expect(BootLabel(kind: .installer, run: 1, host: .control).description == "installer#1@control")
        #expect(BootIdentity().label(position: 2).description == "boot#3")
    }
}
