import Foundation
import Testing
@testable import CanaryReport
#if canImport(Glibc)
import Glibc
#endif

/// `bootcanary report` as users call it, and `ReportWriter` as `diagnose` calls it: every
/// format written, every bad input a clear message naming the file, docs/contract.md's exit codes
/// (64 a bad record argument, 3 an output that cannot be written).
@Suite(.serialized) struct ReportCommandTests {
    let sick = ReportFixtures.folder("lab-sick-host").appendingPathComponent("run.json").path

    @Test func writesEveryFormat() throws {
        let out = try Fixtures.scratch()
        let r = try Tool.bootcanary(["report", sick, "--format", "all", "--out", out.path])
        #expect(r.status == 0, "\(r.err)")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        #expect(names == ["report.md", "report.html", "run.json", "junit.xml", "metrics.prom", "bootcanary-2d51d1.tar.gz"])
        #expect(r.outText.split(separator: "\n").count == 6)
        // Re-rendering is a pure function of the record: the same bytes as the library makes.
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md == MarkdownReport.render(try ReportFixtures.report("lab-sick-host")))
        #expect(try RunRecord.read(out.appendingPathComponent("run.json")) == ReportFixtures.record("lab-sick-host"))
    }

    @Test func defaultsToMarkdownAndHTMLBesideTheRecord() throws {
        // A copy of the run folder, so the fixture is not written to.
        let copy = try Fixtures.scratch().appendingPathComponent("run")
        try FileManager.default.copyItem(at: ReportFixtures.folder("lab-corrupt-image"), to: copy)
        let r = try Tool.bootcanary(["report", copy.appendingPathComponent("run.json").path])
        #expect(r.status == 0, "\(r.err)")
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("report.md").path))
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("report.html").path))
        // json into the record's own folder leaves the record alone.
        let before = try Data(contentsOf: copy.appendingPathComponent("run.json"))
        let j = try Tool.bootcanary(["report", copy.appendingPathComponent("run.json").path, "--format", "json"])
        #expect(j.status == 0 && j.outText.contains("unchanged"))
        #expect(try Data(contentsOf: copy.appendingPathComponent("run.json")) == before)
    }

    @Test func printsOneFormatToStdout() throws {
        let r = try Tool.bootcanary(["report", sick, "--format", "prom", "--out", "-"])
        #expect(r.status == 0)
        #expect(r.outText == PrometheusMetrics.render(try ReportFixtures.record("lab-sick-host")))
        #expect(try Tool.bootcanary(["report", sick, "--format", "md,html", "--out", "-"]).status == 64)
    }

    @Test func unknownFormatIsAUsageError() throws {
        let r = try Tool.bootcanary(["report", sick, "--format", "md,pdf"])
        #expect(r.status == 64)
        #expect(r.err.contains("unknown report format \"pdf\""))
    }

    /// A bad record: the message names the file and what is wrong, where in it.
    @Test(arguments: [
        ("missing", nil, "cannot be read"),
        ("syntax", "{\n  \"schema\": \"bootcanary.run/1\",\n  \"boots\": [1,, 2]\n}\n", "it is not valid JSON: line 3, column 15"),
        ("newer", "{\"schema\": \"bootcanary.run/9\"}", "is a bootcanary.run/9 record, newer than this bootcanary"),
        ("other schema", "{\"schema\": \"something/1\"}", "its schema is something/1"),
        ("array", "[1, 2]", "it is not a JSON object"),
    ] as [(String, String?, String)]) func badRecordsNameFileAndProblem(_ name: String, _ content: String?, _ message: String) throws {
        let file = try Fixtures.scratch().appendingPathComponent("run.json")
        if let content { try Data(content.utf8).write(to: file) }
        let r = try Tool.bootcanary(["report", file.path, "--out", try Fixtures.scratch().path])
        #expect(r.status == 64)
        #expect(r.err.contains(file.path), "\(r.err)")
        #expect(r.err.contains(message), "\(r.err)")
    }

    @Test func handEditedNonsenseNamesTheFieldAndItsLine() throws {
        let text = try String(contentsOfFile: sick, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"outcome\" : \"stalled\"", with: "\"outcome\" : \"wedged\"")
        let file = try Fixtures.scratch().appendingPathComponent("run.json")
        try Data(edited.utf8).write(to: file)
        let line = edited.components(separatedBy: "\n").firstIndex { $0.contains("\"wedged\"") }! + 1
        let r = try Tool.bootcanary(["report", file.path])
        #expect(r.status == 64)
        #expect(r.err.contains("boots[0].outcome (line \(line))"), "\(r.err)")
        #expect(r.err.contains("wedged"))

        let missing = text.replacingOccurrences(of: "\"verdict\" : \"host_fault\"", with: "\"verdikt\" : \"host_fault\"")
        try Data(missing.utf8).write(to: file)
        let m = try Tool.bootcanary(["report", file.path])
        #expect(m.status == 64 && m.err.contains("diagnosis.verdict is missing (in the object on line"), "\(m.err)")
    }

    @Test func unwritableOutIsAnIOErrorNamingThePath() throws {
        let file = try Fixtures.scratch().appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let under = try Tool.bootcanary(["report", sick, "--out", file.path + "/reports"])
        #expect(under.status == 3)
        #expect(under.err.contains("cannot write \(file.path)/reports: Not a directory"), "\(under.err)")
        let onFile = try Tool.bootcanary(["report", sick, "--out", file.path])
        #expect(onFile.status == 3 && onFile.err.contains("it is a file, not a folder"))
    }

    /// A full disk: a 64 KiB tmpfs (needs root, as the lab runs). The reports do not fit; the
    /// error names the file, and nothing half-written is left.
    @Test(.enabled(if: HostTools.asRoot, HostTools.reason)) func fullDiskIsAnIOErrorAndLeavesNoHalfFile() throws {
        let mountPoint = try Fixtures.scratch()
        guard mount("tmpfs", mountPoint.path, "tmpfs", 0, "size=64k") == 0 else {
            Issue.record("cannot mount a tmpfs here (errno \(errno)); this test needs root with CAP_SYS_ADMIN")
            return
        }
        defer { umount(mountPoint.path) }
        // The page grows past 64 KiB: the sick host's HTML is about 88 KiB.
        let r = try Tool.bootcanary(["report", sick, "--format", "md,html", "--out", mountPoint.path])
        #expect(r.status == 3)
        #expect(r.err.contains("cannot write \(mountPoint.path)/report.html: No space left on device"), "\(r.err)")
        let left = try FileManager.default.contentsOfDirectory(atPath: mountPoint.path)
        #expect(left == ["report.md"], "left behind: \(left)")
        #expect(try String(contentsOf: mountPoint.appendingPathComponent("report.md"), encoding: .utf8) == MarkdownReport.render(try ReportFixtures.report("lab-sick-host")))
    }

    @Test func aMissingTranscriptIsANoteNotAFailure() throws {
        let copy = try Fixtures.scratch().appendingPathComponent("run")
        try FileManager.default.copyItem(at: ReportFixtures.folder("lab-sick-host"), to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("transcripts/kernel-1.transcript"))
        let record = try RunRecord.read(copy.appendingPathComponent("run.json"))
        let written = try ReportWriter.write(record, recordFolder: copy, formats: [.md, .html, .junit, .bundle])
        #expect(written.count == 4)
        let html = try String(contentsOf: copy.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("transcript transcripts/kernel-1.transcript cannot be read: no such file"))
        // The record's own last lines stand in.
        #expect(html.contains("Last lines as recorded in run.json"))
        let md = try String(contentsOf: copy.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("Last lines as recorded in run.json"))
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: copy.path)) ?? []).contains { $0.contains(".tmp-") })
    }
}
