import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryModel
@testable import CanaryReport

/// The progress lines `diagnose` prints: columns that hold every word of the vocabulary, the
/// running boots' status line, and the folder name picked without `--out`.
@Suite struct ProgressTextTests {
    static func boot(_ label: BootLabel, _ outcome: BootOutcome, _ milestone: Milestone, seconds: Double? = 16.4) throws -> BootRecord {
        var result = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel")).result
        result.outcome = outcome
        result.lastMilestone = milestone
        result.secondsToOutcome = seconds
        result.title = nil
        return BootRecord(identity: .init(kind: label.kind, run: label.run, host: label.host), result: result)
    }

    /// Seen: "bootloader_failurenone". Every outcome, beside the longest milestone and after
    /// the longest first-run label, is followed by two spaces at least, and every line has its
    /// milestone at one column.
    @Test func noOutcomeRunsIntoTheNextColumn() throws {
        let longestLabel = BootLabel(kind: .installer, run: 1, host: .control)
        let longestMilestone = try #require(Milestone.allCases.max { $0.rawValue.count < $1.rawValue.count })
        var milestoneColumns = Set<Int>()
        for outcome in BootOutcome.allCases {
            let line = VerdictText.bootLine(try Self.boot(longestLabel, outcome, longestMilestone))
            #expect(line.hasPrefix("installer#1@control  "), "\(line)")
            #expect(line.contains("\(outcome.rawValue)  "), "\(line)")
            #expect(line.contains("\(longestMilestone.rawValue)  "), "\(line)")
            let at = try #require(line.range(of: " " + longestMilestone.rawValue)).upperBound
            milestoneColumns.insert(line.distance(from: line.startIndex, to: at))
        }
        #expect(milestoneColumns.count == 1)
        let seen = VerdictText.bootLine(try Self.boot(BootLabel(kind: .pygrub, run: 1), .bootloaderFailure, .none))
        #expect(!seen.contains("bootloader_failurenone"))
        #expect(seen.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == ["pygrub#1", "bootloader_failure", "none"])
    }

    /// A label past the column (a tenth run on the control host) is never cut and keeps its gap.
    @Test func aLongLabelIsKeptWhole() throws {
        let line = VerdictText.bootLine(try Self.boot(BootLabel(kind: .installer, run: 10, host: .control), .booted, .login))
        #expect(line.hasPrefix("installer#10@control  booted  "), "\(line)")
    }

    @Test func theStatusLineShowsEachRunningBootsElapsedTime() {
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        var running = RunningBoots()
        #expect(running.line(now: t0, width: 80) == nil)
        running.start(BootLabel(kind: .pygrub, run: 1), at: t0)
        running.start(BootLabel(kind: .kernel, run: 1), at: t0.addingTimeInterval(1))
        running.start(BootLabel(kind: .installer, run: 1, host: .control), at: t0.addingTimeInterval(3.5))
        #expect(running.line(now: t0.addingTimeInterval(12.9), width: 80) == "  running  pygrub#1 12 s  kernel#1 11 s  installer#1@control 9 s")
        running.finish(BootLabel(kind: .kernel, run: 1))
        #expect(running.line(now: t0.addingTimeInterval(20), width: 80) == "  running  pygrub#1 20 s  installer#1@control 16 s")
        // Cut to the terminal's width: a wrapped line would not be redrawn in place.
        let cut = running.line(now: t0.addingTimeInterval(20), width: 30)
        #expect(cut == "  running  pygrub#1 20 s  ins…")
        #expect(cut?.count == 30)
        running.finish(BootLabel(kind: .pygrub, run: 1))
        running.finish(BootLabel(kind: .installer, run: 1, host: .control))
        #expect(running.line(now: t0, width: 80) == nil)
    }

    @Test(arguments: [
        ("xen07", "bootcanary-xen07-2026-12-01T2330"),
        ("xen07.example.net:16509", "bootcanary-xen07.example.net-16509-2026-12-01T2330"),
        ("[fe80::1]", "bootcanary-fe80--1--2026-12-01T2330"),
        ("../../etc", "bootcanary-etc-2026-12-01T2330"),
        ("-rf", "bootcanary-rf-2026-12-01T2330"),
        ("wéb/2", "bootcanary-w-b-2-2026-12-01T2330"),
        ("", "bootcanary-host-2026-12-01T2330"),
    ])
    func theDefaultFolderIsNamedAfterTheHostAndTheMinute(_ host: String, _ expected: String) throws {
        // 2026-12-01 23:30:59 UTC
        let time = Date(timeIntervalSince1970: 1_796_167_859)
        let name = RunFolder.datedName(host: host, at: time, timeZone: try #require(TimeZone(identifier: "UTC")))
        #expect(name == expected)
        #expect(!name.contains("/"))
    }
}

/// `diagnose` as users call it, on libvirt's test driver (its boots end at once as infra_error:
/// the driver has no console): into a file, the progress is plain lines; without `--out` it
/// makes a dated folder in the current folder, says where, and never reuses one.
@Suite struct DiagnoseProgressTests {
    static func diagnose(in folder: URL) throws -> (status: Int32, err: String) {
        let exe = try #require(AnalyzeCommandTests.executable, "swift build --build-tests")
        let process = Process()
        process.executableURL = exe
        process.arguments = ["diagnose", "-c", "test:///default", "--kernel", "/bin/true", "--initrd", "/bin/true"]
        process.currentDirectoryURL = folder
        let errURL = folder.appendingPathComponent("stderr.txt")
        #expect(FileManager.default.createFile(atPath: errURL.path, contents: nil))
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let err = try String(contentsOf: errURL, encoding: .utf8)
        try FileManager.default.removeItem(at: errURL)
        return (process.terminationStatus, err)
    }

    @Test func withoutOutItMakesADatedFolderAndThePipedLogStaysPlain() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.diagnose(in: dir)
        #expect(first.status == 1, "\(first.err)")
        // Not a terminal: no carriage return, no escape sequence, one line per event.
        #expect(!first.err.contains("\r") && !first.err.contains("\u{1B}"), "\(first.err.debugDescription)")
        #expect(!first.err.contains("running  "))
        #expect(first.err.split(separator: "\n").contains { $0.hasPrefix("  start   kernel#1  (bootcanary-") })
        #expect(first.err.split(separator: "\n").contains { $0.hasPrefix("  done    kernel#1") && $0.contains("  infra_error  ") })

        let made = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("bootcanary-") }
        let folder = try #require(made.first, "no folder in \(dir.path): \(first.err)")
        #expect(made.count == 1)
        #expect(folder.wholeMatch(of: /bootcanary-[A-Za-z0-9._-]+-\d{4}-\d\d-\d\dT\d{4}/) != nil, "\(folder)")
        #expect(first.err.contains("the run's folder is \(dir.appendingPathComponent(folder).path)"), "\(first.err)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(folder).appendingPathComponent("run.json").path))

        // A second run (in the same minute, or with the first's name taken) gets its own folder.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(folder + "-2"), withIntermediateDirectories: false)
        let second = try Self.diagnose(in: dir)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let third = try #require(names.subtracting([folder, folder + "-2"]).first, "\(second.err)")
        #expect(third.hasPrefix("bootcanary-"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(folder).appendingPathComponent("run.json").path))
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(folder + "-2").path)).isEmpty,
                "a folder that existed is never written into")
    }
}

extension DiagnoseProgressTests {
    /// A guest that is not there is a usage error before any folder is made.
    @Test func aBadDomainLeavesNoFolder() throws {
        let exe = try #require(AnalyzeCommandTests.executable, "swift build --build-tests")
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = exe
        process.arguments = ["diagnose", "-c", "test:///default", "--domain", "no-such-guest"]
        process.currentDirectoryURL = dir
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
