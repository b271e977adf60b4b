import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read as a console log. The description is a sentence for the user.
public enum ConsoleLogError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound
    case isDirectory
    case unreadable(String)
    case unknownFormat(String)

    public var description: String {
        switch self {
        case .notFound: "no such file"
        case .isDirectory: "is a directory, not a console log"
        case .unreadable(let why): "cannot read it: \(why)"
        case .unknownFormat(let why): why
        }
    }
}

/// What a reader found in a file besides console lines.
public struct ConsoleLogSummary: Sendable {
    public var format: ConsoleLogFormat
    public var metadata = TranscriptMetadata()
    public var events: [TranscriptEvent] = []
    /// The `@end` record: when, and its JSON (a `BootEnding`, decoded by Classify).
    public var end: (time: ConsoleTime?, json: Data)?
    /// The `@result` record's JSON.
    public var recordedResult: Data?
    /// Things the user should know about the file (truncation, malformed records).
    public var notes: [String] = []
    /// Console bytes (for a transcript: the bytes its lines stand for).
    public var consoleBytes = 0
    public var fileBytes = 0

    public init(format: ConsoleLogFormat) { self.format = format }
}

/// A console log read whole into memory (for tools and tests; `analyze` streams instead).
public struct ConsoleLog: Sendable {
    public var summary: ConsoleLogSummary
    public var lines: [ConsoleLine]
}

/// Reads a console log file in bounded chunks, in any `ConsoleLogFormat`, and hands over
/// its lines one by one with their host times. Memory stays bounded whatever the file:
/// lines are cut at `maxLineBytes`, records are parsed one at a time.
public struct ConsoleLogReader: Sendable {
    public var chunkSize: Int
    public var maxLineBytes: Int

    public init(chunkSize: Int = 1 << 20, maxLineBytes: Int = 16 * 1024) {
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
    }

    /// Reads the whole file into lines (small files: tests, tools).
    public func readAll(path: String, format forced: ConsoleLogFormat? = nil) throws(ConsoleLogError) -> ConsoleLog {
        var lines: [ConsoleLine] = []
        let summary = try stream(path: path, format: forced) { lines.append($0.materialize()) }
        return ConsoleLog(summary: summary, lines: lines)
    }

    /// Reads a console log already in memory (a transcript being checked, a fuzzer's input).
    public func readAll(bytes: [UInt8], format forced: ConsoleLogFormat? = nil) throws(ConsoleLogError) -> ConsoleLog {
        let format: ConsoleLogFormat
        if let forced {
            format = forced
        } else {
            switch FormatDetection.detect(Array(bytes.prefix(FormatDetection.sampleSize))) {
            case .format(let f): format = f
            case .unknown(let why): throw .unknownFormat(why)
            }
        }
        var parser = FormatParser(format: format, maxLineBytes: maxLineBytes)
        var lines: [ConsoleLine] = []
        var offset = 0
        bytes.withUnsafeBufferPointer { all in
            while offset < all.count {
                let end = min(all.count, offset + chunkSize)
                parser.take(UnsafeBufferPointer(rebasing: all[offset..<end])) { lines.append($0.materialize()) }
                offset = end
            }
        }
        parser.finish { lines.append($0.materialize()) }
        parser.summary.fileBytes = bytes.count
        return ConsoleLog(summary: parser.summary, lines: lines)
    }

    /// Streams the file's console lines to `visit` (views valid only during the call).
    package func stream(path: String, format forced: ConsoleLogFormat?, _ visit: (ConsoleLineView) -> Void) throws(ConsoleLogError) -> ConsoleLogSummary {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { throw .notFound }
            throw .unreadable(String(cString: strerror(errno)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: max(chunkSize, FormatDetection.sampleSize))
        // The first chunk decides the format.
        var filled = 0
        while filled < FormatDetection.sampleSize {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, FormatDetection.sampleSize - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if got == 0 { break }
            filled += got
        }
        let format: ConsoleLogFormat
        if let forced {
            format = forced
        } else {
            switch FormatDetection.detect(Array(buffer[0..<filled])) {
            case .format(let f): format = f
            case .unknown(let why): throw .unknownFormat(why)
            }
        }
        var parser = FormatParser(format: format, maxLineBytes: maxLineBytes)
        var pending = filled
        var fileBytes = 0
        while true {
            if pending > 0 {
                fileBytes += pending
                buffer.withUnsafeBufferPointer { parser.take(UnsafeBufferPointer(rebasing: $0[0..<pending]), visit) }
            }
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, chunkSize) }
            if got < 0 {
                if errno == EINTR { pending = 0; continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if got == 0 { break }
            pending = got
        }
        parser.finish(visit)
        parser.summary.fileBytes = fileBytes
        return parser.summary
    }
}

/// Turns a file's bytes into console lines, per format.
struct FormatParser {
    var summary: ConsoleLogSummary
    private var assembler: LineAssembler
    private let format: ConsoleLogFormat
    // xenconsoled: the first host stamp is the boot's time zero.
    private var firstStamp: Int?
    // bootcanary transcripts
    private var sawMagic = false
    private var lineNumber = 0
    private var unescaped: [UInt8] = []
    private var malformed = 0

    init(format: ConsoleLogFormat, maxLineBytes: Int) {
        self.format = format
        summary = ConsoleLogSummary(format: format)
        // A transcript record holds an escaped line (up to 4 bytes per byte) plus its fields.
        assembler = LineAssembler(maxLineBytes: format == .bootcanary ? maxLineBytes * 4 + 256 : maxLineBytes)
    }

    mutating func take(_ p: UnsafeBufferPointer<UInt8>, _ visit: (ConsoleLineView) -> Void) {
        // The assembler calls back into self: move it out for the call (no copy of its buffer).
        var assembler = takeAssembler()
        defer { self.assembler = assembler }
        switch format {
        case .plain:
            summary.consoleBytes += p.count
            assembler.scan(p, at: nil, visit)
        case .xenconsoled:
            summary.consoleBytes += p.count
            assembler.scan(p, at: nil) { view in visit(self.stamped(view)) }
        case .bootcanary:
            assembler.scan(p, at: nil) { record in self.record(record, visit) }
        }
    }

    mutating func finish(_ visit: (ConsoleLineView) -> Void) {
        var assembler = takeAssembler()
        defer { self.assembler = assembler }
        switch format {
        case .plain:
            assembler.flush(visit)
        case .xenconsoled:
            assembler.flush { view in visit(self.stamped(view)) }
        case .bootcanary:
            assembler.flush { record in
                if record.bytes.isEmpty { return }
                self.summary.notes.append("transcript is truncated: its last record (file line \(record.number)) is incomplete and was ignored")
            }
            if !sawMagic { summary.notes.append("not a bootcanary transcript: the first line is not `\(BootcanaryTranscript.magicLine)`") }
            if summary.end == nil {
                summary.notes.append("transcript has no @end record (the boot was still running or the capture was cut short); read as end of saved log")
            }
            if malformed > 0 { summary.notes.append("\(malformed) malformed record(s) ignored") }
        }
    }

    private mutating func takeAssembler() -> LineAssembler {
        let taken = assembler
        assembler = LineAssembler(maxLineBytes: 1, reserve: false)
        return taken
    }

    /// A xenconsoled line's time comes from its `[YYYY-MM-DD HH:MM:SS] ` stamp.
    private mutating func stamped(_ view: ConsoleLineView) -> ConsoleLineView {
        guard let (stamp, _) = HostStamp.parse(view.bytes, at: 0) else { return view }
        let epoch = stamp.secondsSinceEpoch
        if firstStamp == nil { firstStamp = epoch }
        var v = view
        v.time = ConsoleTime(seconds: Double(epoch - firstStamp!), wall: Date(timeIntervalSince1970: Double(epoch)))
        return v
    }

    private mutating func record(_ record: ConsoleLineView, _ visit: (ConsoleLineView) -> Void) {
        if record.terminator == .cut {
            malformed += 1
            return
        }
        if record.terminator == .none { return }  // handled by finish (truncation)
        let p = record.bytes
        guard let first = p.first else { return }
        switch first {
        case UInt8(ascii: "L"):
            guard let line = parseLineRecord(p) else { malformed += 1; return }
            lineNumber += 1
            summary.consoleBytes += line.count + line.terminator.bytes.count
            unescaped.withUnsafeBufferPointer { bytes in
                visit(ConsoleLineView(number: lineNumber, bytes: bytes, terminator: line.terminator, time: line.time))
            }
        case UInt8(ascii: "#"):
            if record.number == 1, p.elementsEqual(BootcanaryTranscript.magic) { sawMagic = true }
        case UInt8(ascii: "@"):
            parseAtRecord(String(decoding: p, as: UTF8.self))
        default:
            malformed += 1
        }
    }

    /// `L SECONDS WALL TERMINATOR BYTES`; the bytes are left unescaped in `unescaped`.
    private mutating func parseLineRecord(_ p: UnsafeBufferPointer<UInt8>) -> (time: ConsoleTime?, terminator: LineTerminator, count: Int)? {
        // Split off the first four space-separated fields; the rest is the line.
        var fields: [Substring] = []
        var i = 0
        var start = 0
        let n = p.count
        while i < n, fields.count < 4 {
            if p[i] == 0x20 {
                fields.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)))
                start = i + 1
            }
            i += 1
        }
        if fields.count < 4 {
            // An empty line has no space after its terminator field.
            guard fields.count == 3 else { return nil }
            fields.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: p[start..<n]), as: UTF8.self)))
            start = n
        }
        guard fields[0] == "L", let terminator = LineTerminator(rawValue: String(fields[3])) else { return nil }
        var time: ConsoleTime?
        if fields[1] != "-" {
            guard let seconds = Double(fields[1]) else { return nil }
            time = ConsoleTime(seconds: seconds, wall: fields[2] == "-" ? nil : BootcanaryTranscript.parseWall(fields[2]))
        }
        guard BootcanaryTranscript.unescape(UnsafeBufferPointer(rebasing: p[start..<n]), into: &unescaped) else { return nil }
        return (time, terminator, unescaped.count)
    }

    private mutating func parseAtRecord(_ text: String) {
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        let tag = parts[0]
        let rest = parts.count > 1 ? parts[1] : ""
        switch tag {
        case "@meta":
            if let meta = TranscriptMetadata.parse(json: rest) { summary.metadata = meta } else { malformed += 1 }
        case "@result":
            summary.recordedResult = Data(rest.utf8)
        case "@event", "@end":
            let f = rest.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { malformed += 1; return }
            let time = f[0] == "-" ? nil : Double(f[0]).map { ConsoleTime(seconds: $0, wall: f[1] == "-" ? nil : BootcanaryTranscript.parseWall(f[1])) }
            let json = Data(f[2].utf8)
            if tag == "@end" {
                summary.end = (time, json)
            } else if let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
                summary.events.append(TranscriptEvent(
                    name: object["name"] as? String ?? "event", detail: object["detail"] as? String ?? "", time: time))
            } else {
                malformed += 1
            }
        default:
            malformed += 1
        }
    }
}
