import CanaryConsole
import CanaryModel
import Foundation

/// A saved console log, classified: what `bootcanary analyze` shows for one file.
public struct ConsoleLogAnalysis: Sendable {
    public var path: String
    public var format: ConsoleLogFormat
    public var metadata: TranscriptMetadata
    public var events: [TranscriptEvent]
    public var result: BootResult
    /// Things worth telling about the file (truncation, an empty capture, a recorded result
    /// that differs from the recomputed one).
    public var notes: [String]
    public var fileBytes: Int

    /// Reads and classifies one file. The ending is the transcript's `@end` record when it has
    /// one, else "end of saved log". Options in the transcript's metadata (`expect`, `grace`)
    /// apply unless `options` is given.
    public static func analyze(
        path: String, format: ConsoleLogFormat? = nil, options: ClassifierOptions? = nil,
        reader: ConsoleLogReader = ConsoleLogReader()
    ) throws -> ConsoleLogAnalysis {
        // A transcript's metadata can change the options, so it is peeked first.
        var effective = options ?? ClassifierOptions()
        if options == nil, let meta = try? peekMetadata(path: path), meta.values.isEmpty == false {
            if let expect = meta["expect"], !expect.isEmpty { effective.success = .regex(expect) }
            if let grace = meta["grace"].flatMap(Double.init) { effective = ClassifierOptions(success: effective.success, graceSeconds: grace) }
        }
        var classifier = try BootClassifier(options: effective)
        let summary = try reader.stream(path: path, format: format) { classifier.consume($0) }
        var notes = summary.notes
        var ending = BootEnding.endOfLog
        var endTime: ConsoleTime?
        if let end = summary.end {
            if let decoded = try? JSONFormat.decoder(.transcriptRecord).decode(BootEnding.self, from: end.json) {
                ending = decoded
                endTime = end.time
            } else {
                notes.append("the @end record could not be read; read as end of saved log")
            }
        }
        if summary.fileBytes == 0 { notes.append("empty file: no console output was captured") }
        let result = classifier.judge(ending, at: endTime)
        if let recorded = summary.recordedResult,
           let object = try? JSONSerialization.jsonObject(with: recorded) as? [String: Any],
           let recordedOutcome = object["outcome"] as? String, recordedOutcome != result.outcome.rawValue {
            notes.append("the transcript's recorded outcome was \(recordedOutcome); recomputed: \(result.outcome.rawValue)")
        }
        return ConsoleLogAnalysis(
            path: path, format: summary.format, metadata: summary.metadata, events: summary.events,
            result: result, notes: notes, fileBytes: summary.fileBytes)
    }

    /// The `@meta` record of a bootcanary transcript (nil for other files).
    static func peekMetadata(path: String) throws -> TranscriptMetadata? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try handle.read(upToCount: 256 * 1024), head.starts(with: BootcanaryTranscript.magic) else { return nil }
        for line in head.split(separator: 0x0A).prefix(8) where line.starts(with: Array("@meta ".utf8)) {
            return TranscriptMetadata.parse(json: String(decoding: line.dropFirst(6), as: UTF8.self))
        }
        return nil
    }
}
