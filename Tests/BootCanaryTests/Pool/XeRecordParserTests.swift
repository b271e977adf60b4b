import Foundation
import Testing
@testable import CanaryPool

/// xe's record layout (cli_printer.ml, cli_operations.ml, records.ml in xapi-project/xen-api),
/// read from the published samples in fixtures/xe/ (README.md there names them).
@Suite struct XeRecordParserTests {
    static let xe = Fixtures.root.appendingPathComponent("fixtures/xe")

    static func text(_ folder: String, _ command: XeCommand) throws -> String {
        try String(contentsOf: xe.appendingPathComponent(folder).appendingPathComponent(command.fileName), encoding: .utf8)
    }

    func parse(_ text: String) throws(XeOutputError) -> [XeRecord] {
        try XeRecordParser.parse(text, source: "test.txt", command: "xe host-list params=all")
    }

    /// gwenlei/book's XenServer 6.5 `xe host-list params=all`, verbatim (trailing spaces and all).
    @Test func xenServer65HostRecord() throws {
        let records = try parse(try Self.text("single-host-ha-off", .hostList))
        #expect(records.count == 1)
        let host = try #require(records.first)
        #expect(host.fields.count == 40)
        #expect(host.fields.first?.name == "uuid" && host.fields.first?.kind == " RO")
        #expect(host["uuid"] == "760a1e5e-c439-42f9-bf5a-480e2bb2b959")
        #expect(host["enabled"] == "true")
        #expect(host["address"] == "10.1.6.125")
        #expect(host["current-operations"] == "")
        #expect(host["memory-free-computed"] == "<expensive field>")
        #expect(host.fields.first { $0.name == "other-config" }?.kind == "MRW")
        // A map whose keys hold a colon (xs:main) and values hold commas.
        let version = try #require(host.map("software-version"))
        #expect(version["product_version"] == "6.5.0")
        #expect(version["xs:main"] == "XenServer Pack, version 6.5.0, build 90233c")
        // A set with a trailing "; " (capabilities ends in one in the sample).
        #expect(host.set("capabilities") == ["xen-3.0-x86_64", "xen-3.0-x86_32p", "hvm-3.0-x86_32", "hvm-3.0-x86_32p", "hvm-3.0-x86_64"])
        #expect(host.set("allowed-operations")?.contains("evacuate") == true)
    }

    /// neonSDK's XCP-ng `xe pool-param-list`, verbatim: empty values with no trailing space.
    @Test func xcpngPoolRecord() throws {
        let pool = try #require(try parse(try Self.text("single-host-ha-off", .poolList)).first)
        #expect(pool["ha-enabled"] == "false")
        #expect(pool["ha-configuration"] == "")
        #expect(pool.map("ha-configuration") == [:])
        #expect(pool.map("other-config") == ["auto_poweron": "true", "memory-ratio-hvm": "0.25", "memory-ratio-pv": "0.25"])
        #expect(pool.map("license-state")?["edition"] == "xcp-ng")
        #expect(pool["ha-cluster-stack"] == "xhad")
    }

    @Test func recordsAreSeparatedByBlankLinesAndDeprecatedFieldsRead() throws {
        let records = try parse(try Self.text("legacy-always-run-orchestrator", .vmList))
        #expect(records.count == 5)
        #expect(records.map(\.line) == [1, 8, 15, 22, 30])
        let server01 = try #require(records.first { $0["name-label"] == "server01" })
        let alwaysRun = try #require(server01.fields.first { $0.name == "ha-always-run" })
        #expect(alwaysRun.deprecated && alwaysRun.kind == " RW" && alwaysRun.value == "true")
        #expect(server01["ha-restart-priority"] == "1")
    }

    /// The short `xe vm-list` form of the posts, pasted with CRLF ends and tabs for padding.
    @Test func pastedOutput() throws {
        let text = "uuid ( RO)\t\t\t : c4da921f-5042-2356-ae29-2fe63c372a6d\r\n\t\t name-label ( RW): RHEL51-64-GOLD\r\n\t\tpower-state ( RO): running\r\n\r\n\r\nuuid ( RO)           : b5cb213a-0dca-4057-8385-863956236ef7\r\n     name-label ( RW): Control domain on host: xen4test\r\n    power-state ( RO): running\r\n"
        let records = try parse(text)
        try #require(records.count == 2)
        #expect(records[0]["name-label"] == "RHEL51-64-GOLD")
        #expect(records[1]["name-label"] == "Control domain on host: xen4test")
        #expect(records[1]["power-state"] == "running")
    }

    /// xe escapes no newline in a value: a name-description typed over two lines goes on.
    @Test func valueContinuedOnTheNextLine() throws {
        let records = try parse("uuid ( RO)              : 1\n    name-description ( RW): first line\nsecond line\n          enabled ( RO): true\n")
        try #require(records.count == 1)
        #expect(records[0]["name-description"] == "first line\nsecond line")
        #expect(records[0]["enabled"] == "true")
    }

    @Test(arguments: [
        ("", "is empty"),
        ("\n  \n\t\n", "is empty"),
        ("760a1e5e-c439-42f9-bf5a-480e2bb2b959,9c3a7e12-5b64-4f08-8d2c-1e7f3a9b6c02\n", "holds `--minimal` output"),
        ("760a1e5e-c439-42f9-bf5a-480e2bb2b959\n", "holds `--minimal` output"),
        ("Error: Unknown command\nFor usage run: 'xe help'\n", "line 1 is not an xe field line"),
        ("uuid : 760a1e5e\n", "line 1 is not an xe field line"),
        ("uuid (RO): 760a1e5e\n", "line 1 is not an xe field line"),
        ("uuid ( XY): 760a1e5e\n", "line 1 is not an xe field line"),
        ("<html><body>502 Bad Gateway</body></html>\n", "line 1 is not an xe field line"),
        ("uuid ( RO): 1\n\u{0}\u{1}binary", "is not text"),
    ])
    func refusesWhatIsNotXeOutput(_ input: String, _ expected: String) {
        #expect {
            _ = try parse(input)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("test.txt")
        }
    }

    /// Random bytes never crash the parser: they are refused or read as records, never a trap.
    @Test func randomInputIsRefusedOrRead() {
        var rng = SeededGenerator(seed: 13)
        let alphabet = Array(" \t\n\r:;()RWOSMabc-0123456789[DEPRECATED]")
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...200, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            do { _ = try parse(text) } catch { #expect(!"\(error)".isEmpty) }
        }
    }
}
