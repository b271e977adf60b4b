import CanaryConsole
import Foundation

/// A transcript file being written: created with its header, appended to, closed.
struct TranscriptFile {
    let handle: FileHandle
    let writer: TranscriptWriter

    init(url: URL, metadata: TranscriptMetadata) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let h = FileHandle(forWritingAtPath: url.path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = h
        writer = TranscriptWriter(fileHandle: h)
        try writer.writeHeader(metadata)
    }

    func close() { try? handle.close() }
}
