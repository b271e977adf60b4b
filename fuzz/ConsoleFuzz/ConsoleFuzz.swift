// A libFuzzer target for line assembly, classification and the transcript format.
//
// Fuzz (libFuzzer supplies main):
//   swift build -c release --scratch-path .build-fuzz --product ConsoleFuzz \
//     -Xswiftc -sanitize=fuzzer -Xswiftc -DCONSOLE_FUZZ -Xswiftc -parse-as-library
//   .build-fuzz/release/ConsoleFuzz -max_total_time=600 -max_len=65536 CORPUS_DIR  # seed: fixtures/transcripts/*.log
// Without -DCONSOLE_FUZZ it is a plain executable that replays input files (a crash's
// reproducer, or the fixture corpus) through the same checks.
import CanaryClassify
import CanaryConsole
import CanaryModel
import Foundation

/// One input: the first byte chooses the chunking, the rest is the console stream.
/// Crashes (traps) on any broken invariant.
func checkConsole(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let stream = Array(input.dropFirst())
    let maxChunk = Int(first & 0x3F) + 1
    let maxLine = first & 0x40 != 0 ? 17 : 16 * 1024

    // 1. Live path: random chunks through BootConsole; bytes come back exactly.
    var console = try! BootConsole(maxLineBytes: maxLine)
    var lines: [ConsoleLine] = []
    var offset = 0
    var tick = 0.0
    while offset < stream.count {
        let n = min(stream.count - offset, 1 + (Int(stream[offset]) % maxChunk))
        tick += 0.001
        lines += console.append(stream[offset..<(offset + n)], at: ConsoleTime(seconds: tick))
        offset += n
    }
    lines += console.finish()
    let rebuilt = lines.flatMap(\.rawBytes)
    precondition(rebuilt == stream, "line assembly lost or changed bytes")
    precondition(lines.allSatisfy { $0.bytes.count <= maxLine }, "a line longer than the limit")
    precondition(lines.enumerated().allSatisfy { $0.element.number == $0.offset + 1 }, "line numbers not consecutive")

    // 2. The judgement is total: every ending gives a result, and the result is coherent.
    for ending: BootEnding in [.endOfLog, .stall(silenceSeconds: 5, vcpu: .frozen), .timeout, .consoleClosed,
                               .domainStopped(.crashed), .fatalSignature] {
        let r = console.judge(ending, at: ConsoleTime(seconds: tick + 1))
        precondition(r.lines == lines.count && r.bytes == stream.count, "counts disagree")
        precondition(stream.isEmpty == (r.outcome == .noOutput || ending == .domainStopped(.crashed) && stream.isEmpty),
                     "no_output iff no bytes")
        if let title = r.title { precondition(title.count <= TitleNormalizer.maxLength + 200, "unbounded title") }
    }

    // 3. The transcript format round-trips every line byte for byte, with its time.
    let sink = Sink()
    let writer = TranscriptWriter { sink.bytes += $0 }
    try! writer.writeHeader(TranscriptMetadata(["kind": "kernel"]))
    try! writer.write(lines)
    try! writer.writeEnd(BootEnding.endOfLog, at: ConsoleTime(seconds: tick))
    let log = try! ConsoleLogReader(maxLineBytes: maxLine).readAll(bytes: sink.bytes)
    precondition(log.summary.format == .bootcanary && log.summary.notes.isEmpty, "transcript not read back cleanly")
    precondition(log.lines.flatMap(\.rawBytes) == stream, "transcript changed bytes")
    precondition(zip(log.lines, lines).allSatisfy { $0.terminator == $1.terminator }, "terminators changed")

    // 4. Any bytes as a file of any format: read without trapping.
    for format in ConsoleLogFormat.allCases { _ = try? ConsoleLogReader().readAll(bytes: stream, format: format) }
    _ = FormatDetection.detect(stream)
    _ = TitleNormalizer.normalize(String(decoding: stream, as: UTF8.self))
    _ = LinePrefix.parse(String(decoding: stream.prefix(256), as: UTF8.self))
}

final class Sink: @unchecked Sendable { var bytes: [UInt8] = [] }

#if CONSOLE_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    checkConsole(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main` (`--defsym main=...`), so
// libFuzzer's own main is not used: start its driver from here (LLVMFuzzerRunDriver,
// compiler-rt/lib/fuzzer/FuzzerDriver.cpp).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("ConsoleFuzz_main")
func consoleFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
#else
@main
struct ConsoleFuzzReplay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                checkConsole([0x07] + Array(data))
                count += 1
            }
        }
        print("replayed \(count) inputs, all invariants held")
    }
}
#endif
