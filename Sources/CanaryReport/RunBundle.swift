import CanaryClassify
import CanaryModel
import Foundation

/// The run folder as one `.tar.gz` to attach to a ticket: `run.json`, `report.md`,
/// `report.html` and every transcript the record names, under one top folder
/// `bootcanary-RUNID/`. The `run.json` inside points at the transcripts inside, so the
/// unpacked folder re-renders with `bootcanary report`.
///
/// With the run's reproducer, `reproduce.sh` (0755) and `domains/KIND-N.xml`, where the folder has them.
///
/// Deterministic: entries in a fixed order, owner root, mode 0644, every mtime the run's end,
/// gzip without a timestamp. Streamed: transcripts are read and compressed in 1 MiB pieces.
public enum RunBundle {
    /// The folder name inside the archive (and the archive's name without `.tar.gz`).
    public static func folderName(_ record: RunRecord) -> String { "bootcanary-" + ReportFormat.safeName(record.runID) }

    /// Where each transcript goes inside the bundle: its own relative path when it is inside
    /// the run folder, else `transcripts/external/N-NAME`.
    static func bundlePath(_ boot: BootRecord, index: Int) -> String? {
        guard let t = boot.transcript, !t.isEmpty else { return nil }
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        let inside = !t.hasPrefix("/") && !parts.contains("..") && !parts.contains("") && !parts.contains(".")
            && t.utf8.count < 90 && parts.allSatisfy { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) } }
        if inside { return t }
        let name = ReportFormat.safeName(String(t.split(separator: "/").last ?? "transcript"))
        return "transcripts/external/\(index + 1)-\(String(name.suffix(40)))"
    }

    /// `name` in `folder` when it is a regular file there, not reached through a link out of it.
    static func inside(_ folder: URL, _ name: String) -> URL? {
        let base = folder.standardizedFileURL.resolvingSymlinksInPath()
        let url = base.appendingPathComponent(name).standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard url.path.hasPrefix(base.path + "/"), FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
              !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: url.path) else { return nil }
        return url
    }

    /// Writes the bundle of `report` to `url`, atomically. `rendered` may hold `md` and `html` as
    /// already rendered for the run folder; they are rendered again here when missing or when
    /// the bundle moves a transcript (their transcript paths must match the bundle's).
    public static func write(_ report: RunReport, recordFolder: URL, to url: URL, rendered: [ReportFormat: Data] = [:]) throws {
        let folder = folderName(report.record)
        var record = report.record
        var bundled = report
        var files: [(path: String, source: URL)] = []
        for (i, b) in record.boots.enumerated() {
            guard let inBundle = bundlePath(b, index: i), let source = RunFolder.transcriptURL(b, recordFolder: recordFolder),
                  FileManager.default.isReadableFile(atPath: source.path) else { continue }
            record.boots[i].transcript = inBundle
            bundled.boots[i].record.transcript = inBundle
            files.append((inBundle, source))
        }
        // The reproducer travels too (docs/contract.md, reproduce.sh): a ticket's reader can boot
        // the run's domains by hand. Only the names the reproducer writes, and only files inside
        // the folder, as for transcripts.
        for (i, b) in record.boots.enumerated() {
            let xml = ReproducibleBoot.xmlFile(b.label(position: i))
            if let source = inside(recordFolder, xml) { files.append((xml, source)) }
        }
        // The host tools' outputs (evidence/) and the offline image checks' (integrity/...).
        for path in EvidenceFolder.files(record) {
            if let source = inside(recordFolder, path) { files.append((path, source)) }
        }
        if let outputs = record.integrity?.outputs, !outputs.hasPrefix("/"), !outputs.contains(".."),
           let names = try? FileManager.default.contentsOfDirectory(atPath: recordFolder.appendingPathComponent(outputs).path) {
            for name in names.sorted() {
                if let source = inside(recordFolder, outputs + "/" + name) { files.append((outputs + "/" + name, source)) }
            }
        }
        let script = inside(recordFolder, ReproduceScript.fileName)
        bundled.record = record
        let moved = record.boots != report.record.boots
        func page(_ format: ReportFormat) throws -> [UInt8] {
            if !moved, let data = rendered[format] { return Array(data) }
            return Array(try ReportWriter.render(format, bundled))
        }
        let stream = try AtomicFileStream(url)
        do {
            var tar = TarWriter(mtime: Int(record.ended.timeIntervalSince1970), gzip: GzipWriter(sink: { try stream.write($0) }))
            try tar.addDirectory(folder)
            try tar.addFile(folder + "/run.json", bytes: Array(try JSONFormat.encoder().encode(record) + Data("\n".utf8)))
            try tar.addFile(folder + "/report.md", bytes: try page(.md))
            try tar.addFile(folder + "/report.html", bytes: try page(.html))
            var dirs = Set<String>()
            for f in files {
                var dir = ""
                for part in f.path.split(separator: "/").dropLast() {
                    dir += (dir.isEmpty ? "" : "/") + part
                    if dirs.insert(dir).inserted { try tar.addDirectory(folder + "/" + dir) }
                }
                try tar.addFile(folder + "/" + f.path, contentsOf: f.source)
            }
            if let script { try tar.addFile(folder + "/" + ReproduceScript.fileName, contentsOf: script, mode: 0o755) }
            try tar.finish()
            try stream.commit()
        } catch {
            stream.abandon()
            throw error
        }
    }
}

/// POSIX ustar archives, written as a stream into gzip.
struct TarWriter {
    enum Failure: Error, CustomStringConvertible {
        case nameTooLong(String)
        case tooLarge(String)
        case unreadable(String, String)
        var description: String {
            switch self {
            case .nameTooLong(let n): "\(n): name too long for a tar entry"
            case .tooLarge(let n): "\(n): larger than a tar entry can hold (8 GiB)"
            case .unreadable(let n, let why): "\(n) cannot be read: \(why)"
            }
        }
    }

    let mtime: Int
    var gzip: GzipWriter

    mutating func addDirectory(_ name: String) throws {
        try gzip.write(try Self.header(name + "/", size: 0, mode: 0o755, type: "5", mtime: mtime))
    }

    mutating func addFile(_ name: String, bytes: [UInt8]) throws {
        try gzip.write(try Self.header(name, size: bytes.count, mode: 0o644, type: "0", mtime: mtime))
        try gzip.write(bytes)
        try gzip.write(Self.padding(bytes.count))
    }

    /// A file read in 1 MiB pieces. Its size is taken first; a file that grows meanwhile is
    /// cut at that size, one that shrinks is padded with NULs, so the archive stays valid.
    mutating func addFile(_ name: String, contentsOf url: URL, mode: Int = 0o644) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw Failure.unreadable(url.path, "cannot be opened")
        }
        defer { try? handle.close() }
        let size = Int((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)??.int64Value ?? 0)
        if size >= 8 << 30 { throw Failure.tooLarge(url.path) }
        try gzip.write(try Self.header(name, size: size, mode: mode, type: "0", mtime: mtime))
        var written = 0
        while written < size {
            let chunk: Data
            do { chunk = try handle.read(upToCount: min(1 << 20, size - written)) ?? Data() } catch {
                throw Failure.unreadable(url.path, error.localizedDescription)
            }
            if chunk.isEmpty { break }
            try gzip.write(Array(chunk))
            written += chunk.count
        }
        if written < size { try gzip.write([UInt8](repeating: 0, count: size - written)) }
        try gzip.write(Self.padding(size))
    }

    /// Two zero blocks end the archive.
    mutating func finish() throws {
        try gzip.write([UInt8](repeating: 0, count: 1024))
        try gzip.finish()
    }

    static func padding(_ size: Int) -> [UInt8] { [UInt8](repeating: 0, count: (512 - size % 512) % 512) }

    static func header(_ name: String, size: Int, mode: Int, type: Character, mtime: Int) throws -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int, _ offset: Int, _ width: Int) {
            let s = String(v, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - s.count)) + s, offset, width - 1)
        }
        let bytes = Array(name.utf8)
        if bytes.count <= 100 {
            put(name, 0, 100)
        } else {
            // ustar: a path up to 255 bytes, split at a slash into prefix (155) and name (100).
            guard let cut = bytes.indices.last(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 }) else {
                throw Failure.nameTooLong(name)
            }
            put(String(decoding: bytes[..<cut], as: UTF8.self), 345, 155)
            put(String(decoding: bytes[(cut + 1)...], as: UTF8.self), 0, 100)
        }
        octal(mode, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(max(0, mtime), 136, 12)
        put(String(type), 156, 1)
        put("ustar", 257, 6)
        put("00", 263, 2)
        put("root", 265, 32)
        put("root", 297, 32)
        // The checksum is computed with its own field as eight spaces.
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, 148, 7)
        h[155] = 0x20
        return h
    }
}

/// A file written in pieces that appears whole or not at all: a temporary file in the same
/// folder, fsynced, then renamed over the target (like `AtomicFile.write`, for data too big
/// to hold at once).
final class AtomicFileStream {
    let url: URL
    private let tmp: URL
    private var fd: Int32

    init(_ url: URL) throws {
        self.url = url
        tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReportWriter.Failure(path: url.path, errno: errno) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ReportWriter.Failure(path: url.path, errno: errno) }
                offset += n
            }
        }
    }

    func commit() throws {
        if fsync(fd) != 0 { throw ReportWriter.Failure(path: url.path, errno: errno) }
        close(fd)
        fd = -1
        guard rename(tmp.path, url.path) == 0 else {
            let e = errno
            unlink(tmp.path)
            throw ReportWriter.Failure(path: url.path, errno: e)
        }
    }

    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(tmp.path)
    }

    deinit { if fd >= 0 { abandon() } }
}
