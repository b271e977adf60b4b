import Foundation
import Testing
@testable import CanaryPool

/// `bootcanary pool-check` as users and Nagios call it: text, JSON, exit codes, bad input, and
/// the live path through HostAccess (a fake `xe` behind --host-exec, since no XAPI runs here).
@Suite(.serialized) struct PoolCheckCommandTests {
    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
        try AnalyzeCommandTests.runTool(["pool-check"] + arguments, environment: environment)
    }

    static func folder(_ name: String) -> String { XeRecordParserTests.xe.appendingPathComponent(name).path }

    @Test(arguments: PoolFixtureTests.cases)
    func exitCodeAndOneLinePerFlag(_ name: String) throws {
        let expected = try PoolFixtureTests.expected(name)
        let r = try run(["--from", Self.folder(name)] + (expected.arguments ?? []))
        #expect(r.status == ["ok": 0, "warning": 1, "critical": 2][expected.status], "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.first?.hasPrefix("POOL \(expected.status.uppercased()) - ") == true)
        let flagged = lines.filter { $0.hasPrefix("WARNING ") || $0.hasPrefix("CRITICAL ") }
        #expect(flagged.map { String($0.split(separator: " ")[1].dropLast()) } == expected.flags)
        #expect(flagged.allSatisfy { $0.contains(". Fix: ") })
    }

    @Test func jsonReport() throws {
        let r = try run(["--json", "--from", Self.folder("cloudstack-ha-default-timeout")])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "bootcanary.pool-check/1")
        #expect(object["status"] as? String == "warning")
        let pool = try #require(object["pool"] as? [String: Any])
        #expect(pool["hosts"] as? Int == 3 && pool["vms"] as? Int == 3 && pool["haEnabled"] as? Bool == true)
        #expect(pool["haTimeout"] == nil && pool["haTimeoutSource"] as? String == "default")
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.map { $0["check"] as? String } == ["ha-timeout-default", "vm-ha-with-orchestrator"])
        #expect((findings.last?["subjects"] as? [String])?.count == 2)
    }

    @Test func badInputIsUnknownWithAMessage() throws {
        let dir = try Fixtures.scratch()
        // Missing files.
        var r = try run(["--from", dir.path])
        #expect(r.status == 3)
        #expect(r.err.contains("pool-list.txt does not exist: save the output of `xe pool-list params=all` there"))
        // Garbage, empty, --minimal.
        let source = Self.folder("three-hosts-ha-off")
        for command in XeCommand.allCases {
            try FileManager.default.copyItem(atPath: source + "/" + command.fileName, toPath: dir.appendingPathComponent(command.fileName).path)
        }
        let hostList = dir.appendingPathComponent("host-list.txt")
        var rng = SeededGenerator(seed: 5)
        try Data((0..<4000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: hostList)
        r = try run(["--from", dir.path])
        #expect(r.status == 3)
        #expect(r.err.contains("host-list.txt is not text"), "\(r.err)")
        try Data().write(to: hostList)
        r = try run(["--from", dir.path])
        #expect(r.status == 3 && r.err.contains("host-list.txt is empty: expected the output of `xe host-list params=all`"))
        try Data("4b0f5c3e-2a51-4d7e-9a0b-6f2e1c7d8a01,9c3a7e12-5b64-4f08-8d2c-1e7f3a9b6c02\n".utf8).write(to: hostList)
        r = try run(["--from", dir.path])
        #expect(r.status == 3 && r.err.contains("holds `--minimal` output"))
        // The host listing saved in the pool's place: it has no ha-enabled field.
        try FileManager.default.removeItem(at: hostList)
        try FileManager.default.copyItem(atPath: source + "/host-list.txt", toPath: hostList.path)
        let poolList = dir.appendingPathComponent("pool-list.txt")
        try FileManager.default.removeItem(at: poolList)
        try FileManager.default.copyItem(atPath: Self.folder("single-host-ha-off") + "/host-list.txt", toPath: poolList.path)
        r = try run(["--from", dir.path])
        #expect(r.status == 3 && r.err.contains("pool-list.txt: the record at line 1 has no `ha-enabled` field"), "\(r.err)")
        // Two pools in one file.
        try (try String(contentsOfFile: source + "/pool-list.txt", encoding: .utf8) + (try String(contentsOfFile: source + "/pool-list.txt", encoding: .utf8))).write(to: poolList, atomically: true, encoding: .utf8)
        r = try run(["--from", dir.path])
        #expect(r.status == 3 && r.err.contains("holds 2 pool records"))
        // A directory that is not there, a file instead of a directory.
        #expect(try run(["--from", "/nonexistent/pool"]).status == 3)
        #expect(try run(["--from", poolList.path]).err.contains("not a directory"))
    }

    @Test func usageErrors() throws {
        #expect(try run(["--from", "x", "--ssh", "root@master"]).status == 64)
        #expect(try run(["--ssh", "root@master", "--host-exec", "ssh master"]).status == 64)
        #expect(try run(["--ssh", "root@"]).status == 64)
        #expect(try run(["--min-ha-timeout", "0", "--from", "x"]).status == 64)
    }

    /// Live mode without xe on this machine: a clear error and UNKNOWN, as Nagios expects.
    @Test func missingXeIsUnknown() throws {
        let empty = try Fixtures.scratch()
        let r = try run([], environment: ["PATH": empty.path])
        #expect(r.status == 3)
        #expect(r.err.contains("xe is not installed here (not found in PATH)"), "\(r.err)")
        #expect(r.err.contains("--from DIR"))
    }

    /// The live path: HostAccess runs `CMD xe ARGS`; the fake answers each xe command from a
    /// fixture folder and fails on anything else, so the commands pool-check sends are checked.
    @Test func liveThroughHostExec() throws {
        let dir = try Fixtures.scratch()
        let fake = dir.appendingPathComponent("fake-master")
        let script = """
            #!/bin/sh
            # fake-master DIR xe ARGS...: answers pool-check's xe commands from DIR.
            dir=$1; shift
            [ "$1" = xe ] || { echo "not xe: $1" >&2; exit 2; }
            shift
            case "$*" in
            "\(XeCommand.poolList.arguments.joined(separator: " "))") cat "$dir/pool-list.txt" ;;
            "\(XeCommand.hostList.arguments.joined(separator: " "))") cat "$dir/host-list.txt" ;;
            "\(XeCommand.vmList.arguments.joined(separator: " "))") cat "$dir/vm-list.txt" ;;
            pool-list*) echo "The host is not the pool master" >&2; exit 1 ;;
            *) echo "unexpected: $*" >&2; exit 2 ;;
            esac
            """
        try script.write(to: fake, atomically: true, encoding: .utf8)
        chmod(fake.path, 0o755)
        var r = try run(["--host-exec", "\(fake.path) \(Self.folder("cloned-hosts"))"])
        #expect(r.status == 2, "\(r.err)")
        #expect(r.out.contains("CRITICAL duplicate-host-uuid: "))
        #expect(r.out.contains("read: xe pool-list params=all via --host-exec \(fake.path)"))
        // xe failing on the host (a pool member, not the master): its own words, UNKNOWN.
        let member = dir.appendingPathComponent("member")
        try "#!/bin/sh\necho 'You attempted an operation which must be performed on the master' >&2\nexit 1\n".write(to: member, atomically: true, encoding: .utf8)
        chmod(member.path, 0o755)
        r = try run(["--host-exec", member.path])
        #expect(r.status == 3)
        #expect(r.err.contains("failed (exit 1): You attempted an operation which must be performed on the master"), "\(r.err)")
        // The remote shell has no xe (what ssh to a non-XenServer host returns).
        let noXe = dir.appendingPathComponent("no-xe")
        try "#!/bin/sh\necho 'bash: xe: command not found' >&2\nexit 127\n".write(to: noXe, atomically: true, encoding: .utf8)
        chmod(noXe.path, 0o755)
        r = try run(["--host-exec", noXe.path])
        #expect(r.status == 3 && r.err.contains("xe was not found on the host reached by --host-exec"), "\(r.err)")
        // --host-exec naming a command that is not there.
        r = try run(["--host-exec", "/nonexistent/dom0-exec"])
        #expect(r.status == 3 && r.err.contains("/nonexistent/dom0-exec not found"), "\(r.err)")
    }
}
