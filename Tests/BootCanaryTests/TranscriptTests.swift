import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryModel

/// A sink that collects what the writer writes.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []
    func append(_ b: [UInt8]) { lock.lock(); storage += b; lock.unlock() }
    var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return storage }
}

@Suite struct TranscriptTests {
    static let awkward: [UInt8] = Array("[  ".utf8) + [0x1B] + Array("[0;32mOK".utf8) + [0x1B] + Array("[0m  ] back\\slash ".utf8)
        + [0x00, 0xFF, 0xC3, 0x28, 0x7F, 0x09] + Array("é ✓ ".utf8)

    @Test func writerAndReaderRoundTripBytesTimesAndRecords() throws {
        let sink = Collected()
        let writer = TranscriptWriter { sink.append($0) }
        let wall = Date(timeIntervalSince1970: 1_795_000_000.123456)
        try writer.writeHeader(TranscriptMetadata(["kind": "pygrub", "run": "2", "domain": "bc-1", "uri": "xen:///system",
                                                   "started": BootcanaryTranscript.formatWall(wall), "cmdline": "console=hvc0",
                                                   "tool": "bootcanary 0.1"]))
        var assembler = LineAssembler()
        var lines = assembler.append(Self.awkward + [0x0D, 0x0A], at: ConsoleTime(seconds: 0.5, wall: wall))
        lines += assembler.append(Array("\r\nspin\rcanary login: ".utf8), at: ConsoleTime(seconds: 2.25))
        lines += assembler.flush()
        try writer.write(lines)
        try writer.write(TranscriptEvent(name: "lifecycle", detail: "stopped crashed", time: ConsoleTime(seconds: 3, wall: wall)))
        try writer.writeEnd(BootEnding.stall(silenceSeconds: 30, vcpu: .frozen), at: ConsoleTime(seconds: 33, wall: wall))
        try writer.writeResult(["outcome": "stalled"])

        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("t.log").path
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
        // Readable: one record per line, printable text only.
        let text = String(decoding: sink.bytes, as: UTF8.self)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
        #expect(text.contains("canary login:\\x20\n"))

        let log = try ConsoleLogReader().readAll(path: path)
        #expect(log.summary.format == .bootcanary)
        #expect(log.lines.flatMap(\.rawBytes) == lines.flatMap(\.rawBytes))
        #expect(log.lines.map(\.terminator) == [.crlf, .crlf, .cr, .none])
        #expect(log.lines[0].time?.seconds == 0.5)
        #expect(abs((log.lines[0].time?.wall?.timeIntervalSince1970 ?? 0) - wall.timeIntervalSince1970) < 0.000002)
        #expect(log.lines[1].time?.wall == nil)
        #expect(log.summary.metadata.kind == .pygrub)
        #expect(log.summary.metadata.run == 2)
        #expect(log.summary.events.first?.detail == "stopped crashed")
        let end = try #require(log.summary.end)
        #expect(end.time?.seconds == 33)
        #expect(try JSONDecoder().decode(BootEnding.self, from: end.json) == .stall(silenceSeconds: 30, vcpu: .frozen))
        #expect(log.summary.notes.isEmpty)

        // analyze reproduces the live result from the lines and the @end record
        let analysis = try ConsoleLogAnalysis.analyze(path: path)
        #expect(analysis.result.outcome == .booted)
        #expect(analysis.record.kind == .pygrub)
    }

    @Test func escapingIsReversible() {
        var out: [UInt8] = []
        BootcanaryTranscript.escape(Self.awkward, into: &out)
        var back: [UInt8] = []
        let ok = out.withUnsafeBufferPointer { BootcanaryTranscript.unescape($0, into: &back) }
        #expect(ok)
        #expect(back == Self.awkward)
        #expect(String(decoding: out, as: UTF8.self) == "[  \\x1B[0;32mOK\\x1B[0m  ] back\\\\slash \\x00\\xFF\\xC3(\\x7F\té ✓\\x20")
    }

    @Test func timeFormats() {
        #expect(BootcanaryTranscript.formatSeconds(12.3456789) == "12.345679")
        #expect(BootcanaryTranscript.formatSeconds(0) == "0.000000")
        let d = Date(timeIntervalSince1970: 1_795_000_000.5)
        #expect(BootcanaryTranscript.formatWall(d) == "2026-11-18T11:06:40.500000Z")
        #expect(BootcanaryTranscript.parseWall("2026-11-18T11:06:40.500000Z") == d)
    }

    @Test func truncatedTranscriptIsReadWithNotes() throws {
        let full = try String(contentsOf: Fixtures.transcripts.appendingPathComponent("lab-sysrq-panic.log"), encoding: .utf8)
        let cut = String(full.prefix(full.utf8.count / 2))
        let dir = try Fixtures.scratch()
        let path = dir.appendingPathComponent("cut.log").path
        try cut.write(toFile: path, atomically: true, encoding: .utf8)
        let analysis = try ConsoleLogAnalysis.analyze(path: path)
        #expect(analysis.format == .bootcanary)
        #expect(analysis.notes.contains { $0.contains("truncated") })
        #expect(analysis.notes.contains { $0.contains("no @end record") })
        #expect(analysis.result.ending == .endOfLog)
        #expect(analysis.result.lines > 100)
    }
}

@Suite struct FormatDetectionTests {
    @Test func detectsEachFormat() {
        #expect(FormatDetection.detect(Array("# bootcanary transcript v1\n@meta {}\n".utf8)) == .format(.bootcanary))
        #expect(FormatDetection.detect(Array("SeaBIOS (version 1.16)\r\n[    0.000000] Linux version\r\n".utf8)) == .format(.plain))
        #expect(FormatDetection.detect(Array("[2024-01-21 01:09:52] Logfile Opened\n[2024-01-21 01:09:53] Linux version\n".utf8)) == .format(.xenconsoled))
        #expect(FormatDetection.detect(Array("# a note someone added\n[2024-01-21 01:09:52] a\n[2024-01-21 01:09:53] b\n[2024-01-21 01:09:53] c\n".utf8)) == .format(.xenconsoled))
        #expect(FormatDetection.detect([]) == .format(.plain))
    }

    @Test func rejectsBinaries() {
        var rng = SeededGenerator(seed: 7)
        let garbage = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &rng) }
        guard case .unknown(let why) = FormatDetection.detect(garbage) else { Issue.record("garbage accepted"); return }
        #expect(why.contains("not a console log"))
        #expect(FormatDetection.detect([0x1F, 0x8B, 8, 0]) == .unknown("this is gzip-compressed data (decompress it first), not a console log"))
        #expect(FormatDetection.detect([0x7F, 0x45, 0x4C, 0x46, 2, 1]) == .unknown("this is an ELF executable, not a console log"))
    }

    @Test func aConsoleWithSomeGarbageIsStillAConsole() {
        var bytes = Array(String(repeating: "[    1.000000] some kernel line\r\n", count: 100).utf8)
        bytes += [0x00, 0xFF, 0xFE, 0x01, 0x02]
        #expect(FormatDetection.detect(bytes) == .format(.plain))
    }

    @Test func formatCanBeForced() throws {
        let log = try ConsoleLogReader().readAll(path: Fixtures.path("pub-qubes-7560-pv-oops"), format: .plain)
        #expect(log.summary.format == .plain)
        #expect(log.lines.allSatisfy { $0.time == nil })
        let stamped = try ConsoleLogReader().readAll(path: Fixtures.path("pub-qubes-7560-pv-oops"))
        #expect(stamped.lines.allSatisfy { $0.time != nil })
    }
}

/// The contract with the Probe: a boot judged live and written as a transcript is judged
/// the same by `analyze` on that transcript.
@Suite struct LiveTranscriptReplayTests {
    @Test(arguments: ["lab-sysrq-panic-rootdisk", "lab-healthy-rootdisk", "lab-initramfs-no-root-device", "lab-userspace-silent"])
    func analyzeReproducesTheLiveResult(name: String) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
        let sink = Collected()
        let writer = TranscriptWriter { sink.append($0) }
        try writer.writeHeader(TranscriptMetadata(["kind": "kernel", "run": "3", "domain": "bc-test", "uri": "qemu:///system",
                                                   "started": "2026-11-23T07:00:00.000000Z", "cmdline": "console=ttyS0",
                                                   "tool": "bootcanary test"]))
        var console = try BootConsole()
        var rng = SeededGenerator(seed: 42)
        var now = 0.0
        var ending: BootEnding?
        let wall0 = Date(timeIntervalSince1970: 1_795_000_000)
        for chunk in bytes.randomChunks(maxChunk: 300, using: &rng) {
            now += 0.01
            try writer.write(console.append(chunk, at: ConsoleTime(seconds: now, wall: wall0 + now)))
            if let end = console.ending(at: now) { ending = end; break }
        }
        // Nothing decided from the console: the watchdog declares a stall 30 s after the last byte.
        let endTime = ConsoleTime(seconds: now + 30, wall: wall0 + now + 30)
        let finalEnding = ending ?? .stall(silenceSeconds: 30, vcpu: .idle)
        try writer.write(console.finish())
        let live = console.judge(finalEnding, at: endTime)
        try writer.write(TranscriptEvent(name: "lifecycle", detail: "stopped destroyed", time: endTime))
        try writer.writeEnd(finalEnding, at: endTime)
        try writer.writeResult(BootRecord(identity: .init(kind: .kernel, run: 3), result: live))

        let path = try Fixtures.scratch().appendingPathComponent("\(name).transcript").path
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
        let replay = try ConsoleLogAnalysis.analyze(path: path)
        #expect(replay.notes.isEmpty, "\(replay.notes)")
        #expect(replay.result == live)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(BootRecord(identity: .init(kind: .kernel, run: 3), result: replay.result))
                == encoder.encode(BootRecord(identity: .init(kind: .kernel, run: 3), result: live)))
    }
}
