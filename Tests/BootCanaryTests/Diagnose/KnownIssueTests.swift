import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryHostFacts
@testable import CanaryReport

/// The known-issue table against the real text of each issue, the operator's TOML file, and
/// the run record and reports that name the matches.
@Suite struct KnownIssueTests {
    static func record(_ path: String) throws -> BootRecord { try ConsoleLogAnalysis.analyze(path: path).record }
    static func fixture(_ name: String) throws -> BootRecord { try record(Fixtures.path(name)) }

    /// A boot whose create failed with `message`, as StartFailureKind words it around the host's log.
    static func refused(_ message: String) throws -> BootRecord {
        var boot = try fixture("lab-healthy-rootdisk")
        boot.result.ending = .infrastructureError("the hypervisor did not start the test domain: \(message)")
        boot.result.lastLines = []
        boot.result.evidence = []
        return boot
    }

    /// The lab's host facts with another hypervisor.
    static func host(_ hypervisor: String, _ version: String) throws -> HostFacts {
        var h = try ReportFixtures.record("lab-sick-host").host
        h.hypervisor = hypervisor
        h.hypervisorVersion = version
        return h
    }

    static func names(_ boots: [BootRecord], host: HostFacts? = nil, table: [KnownIssue] = KnownIssueTable.shipped) -> [String] {
        KnownIssueMatcher.matches(table, boots: boots, host: host).map(\.name)
    }

    /// Each shipped row on the text it was written from.
    static func seen() throws -> [(row: String, boot: BootRecord, host: HostFacts?)] {
        [
            // A guest RCU stall (syzkaller's report) on a Xen old enough to lack dae7b62e97.
            ("xen-credit2-vcpu-starvation", try fixture("pub-syzkaller-271-info-rcu-detected-stall-in-fuse-dev-release"), try host("Xen", "4.11.4")),
            // StartFailureKindTests' libxl lines, seen on the Xen lab with an HVM probe.
            ("qemu-xen-read-only-ide", try refused("libxl: error: libxl_dm.c:2012:libxl__build_device_model_args_new: qemu-xen doesn't support read-only IDE disk drivers"), try host("Xen", "4.17.0")),
            // dom0's xl dmesg on the Xen lab, given to analyze.
            ("xen-nested-svm-rdtscp-crash", try record(Fixtures.root.appendingPathComponent("lab/xen/captures/pvh-nested-svm-crash.xl-dmesg.txt").path), nil),
            ("pygrub-no-kernel", try fixture("lab-pygrub-no-kernel"), nil),
            ("pygrub-no-kernel", try fixture("xen-libxl-pygrub-no-grub-cfg"), nil),
            // lab/xen/README.md: two HVM creates sharing one loop device.
            ("libxl-block-hotplug-timeout", try refused("libxl: error: libxl_aoutils.c: killing execution of /etc/xen/scripts/block add because of timeout"), try host("Xen", "4.17.0")),
        ]
    }

    @Test func everyShippedRowMatchesItsRealTextAndNoOther() throws {
        let seen = try Self.seen()
        #expect(Set(seen.map(\.row)) == Set(KnownIssueTable.shipped.map(\.name)), "a shipped row without its real text")
        for s in seen {
            #expect(Self.names([s.boot], host: s.host) == [s.row])
        }
    }

    @Test(arguments: ["lab-healthy-rootdisk", "xen-pv-kernel-login", "xen-hvm-login", "lab-probe-pygrub"])
    func aHealthyBootMatchesNothing(_ name: String) throws {
        for host in [nil, try Self.host("Xen", "4.11.4"), try Self.host("QEMU", "7.2.22")] {
            #expect(Self.names([try Self.fixture(name)], host: host).isEmpty)
        }
    }

    @Test func credit2NeedsAnOldXen() throws {
        let stall = try Self.fixture("pub-syzkaller-271-info-rcu-detected-stall-in-fuse-dev-release")
        #expect(Self.names([stall], host: try Self.host("Xen", "4.17.0")).isEmpty)
        #expect(Self.names([stall], host: try Self.host("QEMU", "4.2.0")).isEmpty)
        #expect(Self.names([stall], host: nil).isEmpty)
        #expect(Self.names([stall], host: try Self.host("Xen", "4.13.0")) == ["xen-credit2-vcpu-starvation"])
    }

    @Test func versionsCompareNumberByNumber() {
        #expect(KnownIssueMatcher.version("4.9.1", isBelow: "4.14") == true)
        #expect(KnownIssueMatcher.version("4.14", isBelow: "4.14") == false)
        #expect(KnownIssueMatcher.version("4.14.0-rc", isBelow: "4.14") == false)
        #expect(KnownIssueMatcher.version("10.0", isBelow: "4.14") == false)
        #expect(KnownIssueMatcher.version("unknown", isBelow: "4.14") == nil)
    }

    @Test func theMatchNamesTheBootAndTheText() throws {
        let boots = [try Self.fixture("lab-healthy-rootdisk"), try Self.fixture("lab-pygrub-no-kernel")]
        let m = try #require(KnownIssueMatcher.matches(KnownIssueTable.shipped, boots: boots, host: nil).first)
        #expect(m.name == "pygrub-no-kernel")
        #expect(m.matches.map(\.boot) == ["boot#2"])
        #expect(m.matches.first?.field == "text")
        #expect(m.matches.first?.text.contains("Unable to find partition containing kernel") == true)
    }

    static let userFile = """
        # the operator's own
        [san-firmware-drops-writes]
        title = 'rcu detected stall'
        hypervisor = "Xen"
        explanation = "The SAN's firmware drops writes under load."
        reference = "https://tickets.example/OPS-1"
        """

    @Test func aUserFileAddsARowAfterTheShippedOnes() throws {
        let rows = try KnownIssueFile.parse(Self.userFile, file: "known-issues.toml")
        #expect(rows.map(\.name) == ["san-firmware-drops-writes"])
        let table = KnownIssueTable.shipped + rows
        let stall = try Self.fixture("pub-syzkaller-271-info-rcu-detected-stall-in-fuse-dev-release")
        #expect(Self.names([stall], host: try Self.host("Xen", "4.11.4"), table: table) == ["xen-credit2-vcpu-starvation", "san-firmware-drops-writes"])
        #expect(Self.names([stall], host: try Self.host("QEMU", "7.2"), table: table).isEmpty)
    }

    @Test(arguments: [
        ("[a]\nconsole = 'x'\nreference = 'r'\n", "f.toml:1: [a]: explanation is missing"),
        ("[a]\nexplanation = 'e'\nreference = 'r'\nconsole = '(unclosed'\n", "f.toml:4: console: not a valid regular expression"),
        ("[a]\nexplanation = 'e'\nreference = 'r'\nseverity = 'high'\n", "f.toml:4: severity: unknown key"),
        ("[a]\nexplanation = 'e'\nreference = 'r'\ntitle = 3\n", "f.toml:4: title: must be a string, not an integer"),
        ("[a]\nexplanation = 'e'\nreference = 'r'\nhypervisor = 'Xen'\n", "f.toml:1: [a]: needs one of title, console, failure or text"),
        ("[pygrub-no-kernel]\nexplanation = 'e'\nreference = 'r'\ntext = 'x'\n", "f.toml:1: [pygrub-no-kernel]: a known issue of that name exists already"),
        ("console = 'x'\n", "f.toml:1: console: every key belongs to an issue's table"),
        ("[a]\nexplanation = 'e'\nreference = 'r'\ntext = 'x'\nversion_below = 'soon'\n", "f.toml:5: version_below: not a version"),
        ("[a]\nexplanation = \"unterminated\n", "f.toml:2: "),
    ])
    func aMalformedFileNamesFileLineAndKey(_ text: String, _ expected: String) throws {
        #expect {
            _ = try KnownIssueFile.parse(text, file: "f.toml")
        } throws: { error in
            (error as? KnownIssueFile.Problem)?.description.hasPrefix(expected) == true
        }
    }

    /// docs/contract.md: a bad input is a usage error, 64, before anything boots.
    @Test(arguments: ["diagnose", "canary"])
    func aMalformedFileIsAUsageErrorBeforeAnyBoot(_ command: String) throws {
        let exe = try #require(AnalyzeCommandTests.executable, "swift build --build-tests")
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("known-issues.toml")
        try Data("[mine]\nexplanation = 'e'\nreference = 'r'\nconsole = '(oops'\n".utf8).write(to: file)
        let r = try ExternalTool.run(exe.path, [command, "-c", "test:///default", "--kernel", "/bin/true",
                                                "--known-issues", file.path, "--out", dir.appendingPathComponent("out").path], timeout: 60)
        #expect(r.status == 64)
        #expect(r.stderr.contains("\(file.path):4: console: not a valid regular expression"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/run.json").path))
    }

    /// analyze names them too: the lab's xl dmesg of the nested-SVM crash, with no host facts.
    @Test func analyzeNamesTheKnownIssuesOfSavedLogs() throws {
        let exe = try #require(AnalyzeCommandTests.executable, "swift build --build-tests")
        let log = Fixtures.root.appendingPathComponent("lab/xen/captures/pvh-nested-svm-crash.xl-dmesg.txt").path
        let r = try ExternalTool.run(exe.path, ["analyze", "--json", log], timeout: 60)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        let known = try #require(doc["knownIssues"] as? [[String: Any]])
        #expect(known.compactMap { $0["name"] as? String } == ["xen-nested-svm-rdtscp-crash"])
        let healthy = try ExternalTool.run(exe.path, ["analyze", "--json", Fixtures.path("lab-healthy-rootdisk")], timeout: 60)
        #expect(!healthy.stdout.contains("knownIssues"))
        let bad = try ExternalTool.run(exe.path, ["analyze", "--known-issues", "/nonexistent/k.toml", log], timeout: 60)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("/nonexistent/k.toml: cannot read the known issues"))
    }

    @Test func aNamedFileThatIsMissingIsAProblemTheDefaultIsNot() throws {
        #expect(throws: KnownIssueFile.Problem.self) { _ = try KnownIssueFile.load("/nonexistent/known-issues.toml") }
        if !FileManager.default.fileExists(atPath: KnownIssueFile.defaultPath) {
            #expect(try KnownIssueFile.load(nil).map(\.name) == KnownIssueTable.shipped.map(\.name))
        }
    }

    /// The reports name each match; the verdict is the record's, unchanged.
    @Test func reportsHaveAKnownIssuesSection() throws {
        var record = try ReportFixtures.record("lab-corrupt-image")
        let verdict = record.diagnosis
        record.knownIssues = KnownIssueMatcher.matches(KnownIssueTable.shipped, boots: [try Self.fixture("lab-pygrub-no-kernel")], host: nil)
        let report = RunReport.load(record, recordFolder: ReportFixtures.folder("lab-corrupt-image"))
        let md = MarkdownReport.render(report)
        #expect(md.contains("## Known issues"))
        #expect(md.contains("**pygrub-no-kernel**"))
        #expect(md.contains("Unable to find partition containing kernel"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<section id=\"known-issues\"><h2>Known issues</h2>"))
        #expect(html.contains("xen.git tools/pygrub/src/pygrub"))
        #expect(record.diagnosis == verdict)
        let plain = RunReport.load(try ReportFixtures.record("lab-corrupt-image"), recordFolder: ReportFixtures.folder("lab-corrupt-image"))
        #expect(!MarkdownReport.render(plain).contains("## Known issues"))
    }
}
