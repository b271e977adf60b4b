import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryReport

/// The `.tar.gz` bundle: our DEFLATE against the real gzip, and the archive against the real tar.
@Suite struct BundleTests {
    static func inputs() -> [(String, [UInt8])] {
        var rng = SeededGenerator(seed: 42)
        let random = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let text = Array(String(repeating: "[    0.123456] smpboot: Total of 1 processors activated (4890.78 BogoMIPS)\r\n", count: 3000).utf8)
        let runs = [UInt8](repeating: 0x41, count: 100_000) + [UInt8](repeating: 0, count: 70_000)
        let mixed = (0..<200_000).map { i in i % 977 < 500 ? UInt8(truncatingIfNeeded: i * 31) : UInt8.random(in: 0...3, using: &rng) }
        return [("empty", []), ("one byte", [7]), ("random", random), ("console text", text), ("long runs", runs), ("mixed", mixed)]
    }

    @Test(arguments: inputs().map(\.0)) func gzipRoundTripsThroughRealGzip(_ name: String) throws {
        let input = try #require(Self.inputs().first { $0.0 == name }?.1)
        var rng = SeededGenerator(seed: UInt64(input.count))
        // Fed in pieces of random sizes, as the bundle feeds files.
        var out: [UInt8] = []
        var w = GzipWriter { out += $0 }
        for piece in input.randomChunks(maxChunk: 40_000, using: &rng) { try w.write(piece) }
        try w.finish()
        #expect(Array(try Tool.gunzip(Data(out))) == input)
        // In one piece: the same bytes (output depends on the input, not on how it came).
        #expect(GzipWriter.compress(input) == out)
        if name == "console text" { #expect(out.count * 20 < input.count, "console text compressed only to \(out.count) bytes") }
        // No larger than the real `gzip -6 -n` (the same 10-byte header and 8-byte trailer),
        // give or take block framing: incompressible input is stored, and zlib cuts stored
        // blocks smaller than gzip does, 5 bytes each (random: 70,043 bytes against 70,033).
        let reference = try Tool.run("/bin/gzip", ["-6", "-n", "-c"], stdin: Data(input))
        #expect(reference.status == 0)
        #expect(out.count <= reference.out.count + 16, "\(out.count) bytes where gzip -6 makes \(reference.out.count)")
    }

    /// A real run's bundle: `gzip -dc` gives back the tar byte for byte (tar's own checks are
    /// in bundleHoldsTheRunFolderAndReRenders), and the bundle is no larger than `gzip -6` of
    /// that tar. (The hand-written fixed-Huffman DEFLATE this replaced made this one 117,101
    /// bytes where `gzip -6` makes 96,662.)
    @Test func bundleIsAsSmallAsGzip6() throws {
        let record = try ReportFixtures.record("lab-corrupt-image")
        let out = try Fixtures.scratch()
        try ReportWriter.write(record, recordFolder: ReportFixtures.folder("lab-corrupt-image"), formats: [.bundle], to: out)
        let bundle = try Data(contentsOf: out.appendingPathComponent(ReportFormat.bundle.fileName(for: record)))
        let tar = try Tool.gunzip(bundle)
        #expect(tar.count > 400_000)
        // Our gzip of the tar, in one piece, is the bundle itself.
        #expect(GzipWriter.compress(Array(tar)) == Array(bundle))
        let reference = try Tool.run("/bin/gzip", ["-6", "-n", "-c"], stdin: tar)
        #expect(reference.status == 0)
        #expect(bundle.count <= reference.out.count + 8, "bundle \(bundle.count) bytes, gzip -6 \(reference.out.count)")
        #expect(try Tool.gunzip(reference.out) == tar)
    }

    @Test func bundleHoldsTheRunFolderAndReRenders() throws {
        let record = try ReportFixtures.record("lab-sick-host")
        let out = try Fixtures.scratch()
        let written = try ReportWriter.write(record, recordFolder: ReportFixtures.folder("lab-sick-host"), formats: [.bundle], to: out)
        let bundle = try #require(written.first?.url)
        #expect(bundle.lastPathComponent == "bootcanary-2d51d1.tar.gz")
        // The real tar lists and unpacks it.
        let list = try Tool.run("/bin/tar", ["-tzvf", bundle.path])
        #expect(list.status == 0, "\(list.err)")
        let names = list.outText.split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        #expect(names == ["bootcanary-2d51d1/", "bootcanary-2d51d1/run.json", "bootcanary-2d51d1/report.md", "bootcanary-2d51d1/report.html",
                          "bootcanary-2d51d1/transcripts/", "bootcanary-2d51d1/transcripts/pygrub-1.transcript",
                          "bootcanary-2d51d1/transcripts/kernel-1.transcript", "bootcanary-2d51d1/transcripts/installer-1.transcript"])
        #expect(list.outText.contains("root/root"))
        let unpacked = try Fixtures.scratch()
        #expect(try Tool.run("/bin/tar", ["-xzf", bundle.path, "-C", unpacked.path]).status == 0)
        let folder = unpacked.appendingPathComponent("bootcanary-2d51d1")
        // The transcripts are byte for byte the run's; the record inside re-renders the same report.
        for b in record.boots {
            let t = try #require(b.transcript)
            #expect(try Data(contentsOf: folder.appendingPathComponent(t)) == Data(contentsOf: ReportFixtures.folder("lab-sick-host").appendingPathComponent(t)))
        }
        let inside = try RunRecord.read(folder.appendingPathComponent("run.json"))
        #expect(inside == record)
        let again = MarkdownReport.render(RunReport.load(inside, recordFolder: folder))
        #expect(try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8) == again)
        #expect(again == MarkdownReport.render(try ReportFixtures.report("lab-sick-host")))
    }

    @Test func bundleIsDeterministic() throws {
        let record = try ReportFixtures.record("lab-corrupt-image")
        let a = try Fixtures.scratch(), b = try Fixtures.scratch()
        try ReportWriter.write(record, recordFolder: ReportFixtures.folder("lab-corrupt-image"), formats: [.bundle], to: a)
        try ReportWriter.write(record, recordFolder: ReportFixtures.folder("lab-corrupt-image"), formats: [.bundle], to: b)
        let name = ReportFormat.bundle.fileName(for: record)
        #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)))
    }

    /// A record may come from someone else: transcript paths that leave the record's folder
    /// (absolute, `..`) are not followed, so no file outside the run can reach a bundle.
    @Test func transcriptsOutsideTheFolderAreNotFollowed() throws {
        var record = try ReportFixtures.record("lab-sick-host")
        record.boots[0].transcript = ReportFixtures.folder("lab-sick-host").appendingPathComponent("transcripts/pygrub-1.transcript").path
        record.boots[1].transcript = "../lab-corrupt-image/transcripts/kernel-1.transcript"
        let out = try Fixtures.scratch()
        try ReportWriter.write(record, recordFolder: ReportFixtures.folder("lab-sick-host"), formats: [.bundle], to: out)
        let list = try Tool.run("/bin/tar", ["-tzf", out.appendingPathComponent("bootcanary-2d51d1.tar.gz").path])
        #expect(!list.outText.contains("pygrub-1.transcript"))
        #expect(!list.outText.contains("kernel-1.transcript"))
        #expect(RunFolder.transcriptURL(record.boots[1], recordFolder: ReportFixtures.folder("lab-sick-host")) == nil)
        #expect(list.outText.contains("bootcanary-2d51d1/transcripts/installer-1.transcript"))
        #expect(!list.outText.contains(".."))
    }

    @Test func longNamesUseTheUstarPrefix() throws {
        let name = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90)
        let header = try TarWriter.header(name, size: 5, mode: 0o644, type: "0", mtime: 0)
        #expect(String(decoding: header[345..<465], as: UTF8.self) == String(repeating: "d", count: 120))
        #expect(String(decoding: header[0..<90], as: UTF8.self) == String(repeating: "f", count: 90))
        #expect(throws: TarWriter.Failure.self) { try TarWriter.header(String(repeating: "x", count: 300), size: 0, mode: 0, type: "0", mtime: 0) }
    }
}
