import Foundation

/// The one place bootcanary's JSON is shaped. Every output names a layout here instead of
/// building its own encoder (analyze --json once did, without the date strategy the other
/// commands use, and printed dates as seconds since 2001).
///
/// - `document`: every contract output (`run.json`, `fleet.json`, `boot --json`,
///   `analyze --json`, `host --json`): sorted keys (stable diffs, SwiftPM's rule),
///   pretty-printed, ISO 8601 dates, no escaped slashes in paths.
/// - `line`: one record per line (the run ledger): the same, not pretty-printed.
/// - `transcriptRecord`: the `@` records inside a bootcanary transcript: one line, and dates
///   as Foundation's default (seconds since 2001), which every transcript written so far
///   carries and `BootcanaryTranscript` reads back; changing it would make old transcripts
///   unreadable.
/// JSONEncoder escapes control characters inside strings, so a line record stays one line.
public enum JSONFormat {
    public enum Layout: Sendable {
        case document, line, transcriptRecord
    }

    public static func encoder(_ layout: Layout = .document) -> JSONEncoder {
        let encoder = JSONEncoder()
        switch layout {
        case .document:
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
        case .line:
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
        case .transcriptRecord:
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        }
        return encoder
    }

    public static func decoder(_ layout: Layout = .document) -> JSONDecoder {
        let decoder = JSONDecoder()
        if layout != .transcriptRecord { decoder.dateDecodingStrategy = .iso8601 }
        return decoder
    }

    public static func string<T: Encodable>(_ value: T, _ layout: Layout = .document) throws -> String {
        String(decoding: try encoder(layout).encode(value), as: UTF8.self)
    }
}
