import CanaryModel
import Foundation

/// Appends a bootcanary transcript record by record while a boot runs, so a transcript is
/// useful even when the tool is killed mid-boot. Format: `BootcanaryTranscript`.
///
/// The writer only formats; where the bytes go is the caller's: a `FileHandle`, a file
/// descriptor, or any closure (a test's buffer, a pipe).
public struct TranscriptWriter: Sendable {
    private let sink: @Sendable ([UInt8]) throws -> Void

    /// Writes through `sink`; a throw from `sink` is passed on to the caller.
    public init(sink: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.sink = sink
    }

    /// Writes to an open file handle (positioned where records should go).
    public init(fileHandle: FileHandle) {
        self.init { bytes in try fileHandle.write(contentsOf: Data(bytes)) }
    }

    /// Starts a transcript: the magic line and the metadata.
    public func writeHeader(_ metadata: TranscriptMetadata) throws {
        try sink(Array((BootcanaryTranscript.magicLine + "\n@meta " + metadata.json() + "\n").utf8))
    }

    /// Appends one console line.
    public func write(_ line: ConsoleLine) throws {
        try sink(BootcanaryTranscript.record(for: line))
    }

    /// Appends console lines in order, in one write.
    public func write(_ lines: [ConsoleLine]) throws {
        guard !lines.isEmpty else { return }
        var out: [UInt8] = []
        for line in lines { out.append(contentsOf: BootcanaryTranscript.record(for: line)) }
        try sink(out)
    }

    /// Appends an event the Probe saw (a lifecycle event, a watchdog sample worth keeping).
    public func write(_ event: TranscriptEvent) throws {
        let json = Self.json(["name": event.name, "detail": event.detail])
        try sink(Array(("@event " + Self.stamp(event.time) + " " + json + "\n").utf8))
    }

    /// Appends how the boot ended (`BootEnding`), stamped with when the Probe decided it.
    public func writeEnd<Ending: Encodable>(_ ending: Ending, at time: ConsoleTime?) throws {
        try sink(Array(("@end " + Self.stamp(time) + " " + Self.json(ending) + "\n").utf8))
    }

    /// Appends the boot result the Probe reported.
    public func writeResult<Result: Encodable>(_ result: Result) throws {
        try sink(Array(("@result " + Self.json(result) + "\n").utf8))
    }

    static func stamp(_ time: ConsoleTime?) -> String {
        var out: [UInt8] = []
        BootcanaryTranscript.appendTime(time, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        guard let data = try? JSONFormat.encoder(.transcriptRecord).encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
