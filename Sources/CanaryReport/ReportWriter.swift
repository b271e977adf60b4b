import CanaryModel
import Foundation

/// The outputs of a run (docs/contract.md `--format md,html,json,junit,prom`, plus the bundle).
public enum ReportFormat: String, CaseIterable, Sendable, Comparable {
    /// `report.md`: for the ticket.
    case md
    /// `report.html`: self-contained page with the timeline and transcripts.
    case html
    /// `run.json`: the record itself.
    case json
    /// `junit.xml`: one test case per boot, for CI.
    case junit
    /// `metrics.prom`: for node_exporter's textfile collector.
    case prom
    /// `bootcanary-RUNID.tar.gz`: run.json, reports and transcripts, for a ticket attachment.
    case bundle

    public static func < (a: ReportFormat, b: ReportFormat) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The file this format is written to inside the output folder.
    public func fileName(for record: RunRecord) -> String {
        switch self {
        case .md: "report.md"
        case .html: "report.html"
        case .json: "run.json"
        case .junit: "junit.xml"
        case .prom: "metrics.prom"
        case .bundle: RunBundle.folderName(record) + ".tar.gz"
        }
    }

    /// `md,html`; `all` for every format. Unknown names are refused by name.
    public static func parseList(_ text: String) throws -> [ReportFormat] {
        var out: [ReportFormat] = []
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !word.isEmpty {
            if word == "all" { out += allCases; continue }
            let aliases: [String: ReportFormat] = ["markdown": .md, "xml": .junit, "prometheus": .prom, "tar.gz": .bundle, "tgz": .bundle]
            guard let f = ReportFormat(rawValue: word) ?? aliases[word] else {
                throw UnknownFormat(word: word)
            }
            out.append(f)
        }
        if out.isEmpty { throw UnknownFormat(word: text) }
        return Array(Set(out)).sorted()
    }

    public struct UnknownFormat: Error, CustomStringConvertible {
        public var word: String
        public var description: String {
            "unknown report format \"\(word)\"; use a comma-separated list of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")), or all"
        }
    }

    /// A name from the record made safe as one path component.
    static func safeName(_ s: String) -> String {
        let cleaned = String(s.unicodeScalars.prefix(64).map { c -> Character in
            (c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "-" || c == "_" || c == ".")) ? Character(c) : "_"
        })
        return cleaned.isEmpty || cleaned.allSatisfy({ $0 == "." }) ? "run" : cleaned
    }
}

/// Renders a run's reports and writes them, each atomically (a crash leaves the old file or
/// the new one, never half of either).
///
/// `diagnose` calls `write(record, recordFolder: out, formats: [.md, .html])` right after it
/// wrote `run.json`; `bootcanary report` calls it for any saved run.
public enum ReportWriter {
    /// A file that could not be written, and why (the system's words).
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        init(path: String, errno code: Int32) {
            self.init(path: path, reason: String(cString: strerror(code)))
        }

        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// What was written, in format order.
    public struct Written: Sendable, Equatable {
        public var format: ReportFormat
        public var url: URL
        /// Set when nothing had to be written (the record is already the file).
        public var unchanged: Bool
    }

    /// Renders `formats` of `record` into `out` (default: `recordFolder`). Transcripts named
    /// by the record are read relative to `recordFolder`, the folder its run.json is in.
    @discardableResult
    public static func write(_ record: RunRecord, recordFolder: URL, formats: [ReportFormat], to out: URL? = nil,
                             limits: ExcerptLimits = .init()) throws -> [Written] {
        let folder = out ?? recordFolder
        try prepare(folder)
        let needsTranscripts = formats.contains { $0 != .json && $0 != .prom }
        let report = needsTranscripts ? RunReport.load(record, recordFolder: recordFolder, limits: limits)
            : RunReport(record: record, boots: [], limits: limits)
        var written: [Written] = []
        // Text formats rendered so far, for the bundle to reuse (the bundle comes last).
        var rendered: [ReportFormat: Data] = [:]
        for format in Array(Set(formats)).sorted() {
            let url = folder.appendingPathComponent(format.fileName(for: record))
            switch format {
            case .bundle:
                try RunBundle.write(report, recordFolder: recordFolder, to: url, rendered: rendered)
            case .json where sameFile(url, recordFolder.appendingPathComponent("run.json")):
                // The record is this file already; rewriting it could only lose what a newer
                // minor version added to it.
                written.append(Written(format: format, url: url, unchanged: true))
                continue
            default:
                let data = try render(format, report)
                try atomically(data, to: url)
                if format == .md || format == .html { rendered[format] = data }
            }
            written.append(Written(format: format, url: url, unchanged: false))
        }
        return written
    }

    /// One text format as bytes (not the bundle, which streams).
    public static func render(_ format: ReportFormat, _ report: RunReport) throws -> Data {
        switch format {
        case .md: Data(MarkdownReport.render(report).utf8)
        case .html: Data(HTMLReport.render(report).utf8)
        case .json: try JSONFormat.encoder().encode(report.record) + Data("\n".utf8)
        case .junit: Data(JUnitReport.render(report).utf8)
        case .prom: Data(PrometheusMetrics.render(report.record).utf8)
        case .bundle: throw Failure(path: format.fileName(for: report.record), reason: "the bundle is written to a file, not rendered in memory")
        }
    }

    /// The output folder: created when missing; a file in its place is refused.
    static func prepare(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { throw Failure(path: folder.path, reason: "it is a file, not a folder") }
            return
        }
        if mkdirs(folder.path) != 0 { throw Failure(path: folder.path, errno: errno) }
    }

    /// `mkdir -p`, keeping errno for the message (Foundation's error names no cause on Linux).
    static func mkdirs(_ path: String) -> Int32 {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return 0 }
        guard errno == ENOENT else { return -1 }
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path, mkdirs(parent) == 0 else { return -1 }
        return mkdir(path, 0o755) == 0 || errno == EEXIST ? 0 : -1
    }

    static func atomically(_ data: Data, to url: URL) throws {
        do {
            try AtomicFile.write(data, to: url)
        } catch let error as CocoaError {
            // AtomicFile names the cause as the underlying POSIX error.
            if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError {
                throw Failure(path: url.path, errno: posix.code.rawValue)
            }
            throw Failure(path: url.path, reason: error.localizedDescription)
        }
    }

    static func sameFile(_ a: URL, _ b: URL) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
