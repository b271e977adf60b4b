import Foundation
import Testing
@testable import CanaryEvidence

/// ExternalTool: output, status, and a timeout that ends the tool's whole process group.
@Suite struct ExternalToolTests {
    @Test func collectsOutputAndStatus() throws {
        let r = try ExternalTool.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: 30)
        #expect(r.status == 3)
        #expect(r.stdout == "out\n")
        #expect(r.stderr == "err\n")
        #expect(!r.timedOut)
        #expect(try ExternalTool.run("/bin/sh", ["-c", "kill -9 $$"], timeout: 30).status == 128 + 9)
        let env = try ExternalTool.run("/bin/sh", ["-c", "echo \"$ONLY\"; env | wc -l"], timeout: 30, environment: ["ONLY": "this"])
        #expect(env.stdout.hasPrefix("this\n"))
    }

    @Test func missingExecutableCannotStart() {
        #expect(throws: ExternalTool.Failure.self) { try ExternalTool.run("/nonexistent/tool", [], timeout: 5) }
    }

    /// The tool leads a process group of its own, and starts with SIGTERM not ignored even
    /// where bootcanary ignores it (SignalTrap).
    @Test func toolLeadsItsOwnGroup() throws {
        let r = try ExternalTool.run("/bin/sh", ["-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"], timeout: 30)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == lines[1], "pid and pgid: \(r.stdout)")
        #expect(Int32(lines.first ?? "") != getpgrp())
    }

    /// A shell that started a background job and waits: the 1 s timeout comes back within a
    /// few seconds, and no process of the tool's group (neither `sleep 300`) is left alive.
    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let started = Date()
        let r = try ExternalTool.run("/bin/sh", ["-c", "echo $$; sleep 300 & sleep 300; wait"], timeout: 1)
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.timedOut)
        #expect(elapsed < 5, "took \(elapsed) s")
        let pgid = try #require(Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "sh printed \(r.stdout)")
        // Killed processes may sit as zombies until their new parent reaps them: those are dead.
        var alive = Self.liveMembers(ofGroup: pgid)
        for _ in 0..<20 where !alive.isEmpty {
            usleep(100_000)
            alive = Self.liveMembers(ofGroup: pgid)
        }
        #expect(alive.isEmpty, "still alive in process group \(pgid): \(alive)")
    }

    /// `pgrep -g PGID`, without zombies: the command lines of the group's live processes.
    static func liveMembers(ofGroup pgid: Int32) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, ppid, pgrp, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int32(fields[2]) == pgid else { return nil }
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return "\(pid): " + String(decoding: cmdline.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
    }
}
