import Foundation
import Testing
@testable import CanaryReport

/// node_exporter's textfile collector reads every `*.prom` at each scrape; a file written in
/// place can be read half-written ("write to a temporary file and move it into place",
/// https://github.com/prometheus/node_exporter#textfile-collector). AtomicFile is how
/// `canary --metrics` writes.
@Suite struct AtomicFileTests {
    @Test func replacesTheFileWholeSoAReaderOfTheOldOneNeverSeesAMix() throws {
        let dir = try Fixtures.scratch()
        let url = dir.appendingPathComponent("bootcanary-default.prom")
        try AtomicFile.write(Data("old 1\n".utf8), to: url)
        // A scrape that opened the old file keeps reading the old file: rename swaps the
        // name, it does not rewrite the bytes under the reader.
        let reader = try FileHandle(forReadingFrom: url)
        defer { try? reader.close() }
        try AtomicFile.write(Data(String(repeating: "new 2\n", count: 1000).utf8), to: url, mode: 0o644)
        #expect(String(decoding: try reader.readToEnd() ?? Data(), as: UTF8.self) == "old 1\n")
        #expect(try String(contentsOf: url, encoding: .utf8).count == 6000)
        // Nothing else is left in the collector's directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bootcanary-default.prom"])
    }

    @Test func theTemporaryFileIsBesideTheTargetAndNotAPromFile() {
        let url = URL(fileURLWithPath: "/var/lib/prometheus/node-exporter/bootcanary-default.prom")
        let tmp = AtomicFile.temporary(for: url)
        #expect(tmp.deletingLastPathComponent() == url.deletingLastPathComponent())
        #expect(!tmp.lastPathComponent.hasSuffix(".prom") && tmp.lastPathComponent.hasPrefix("."))
    }

    @Test func theModeIsSetWhateverTheCreationModeAndUmask() throws {
        let url = try Fixtures.scratch().appendingPathComponent("m.prom")
        // 0640 is neither open(2)'s 0644 nor anything a umask makes of it: only fchmod gives it.
        try AtomicFile.write(Data("x 1\n".utf8), to: url, mode: 0o640)
        #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) == 0o640)
        try AtomicFile.write(Data("x 2\n".utf8), to: url, mode: 0o644)
        #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) == 0o644)
    }

    @Test func aFailedRenameLeavesNoTemporaryFileBehind() throws {
        let dir = try Fixtures.scratch()
        let target = dir.appendingPathComponent("taken.prom")
        try FileManager.default.createDirectory(at: target.appendingPathComponent("sub"), withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try AtomicFile.write(Data("x 1\n".utf8), to: target, mode: 0o644) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["taken.prom"])
    }
}
