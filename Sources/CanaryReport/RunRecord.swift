import CanaryClassify
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// `run.json` (schema `bootcanary.run/1`): everything a run learned, the single source every
/// report is rendered from (`bootcanary report RUN.json` re-renders any old run). A dedicated
/// Codable contract type, encoded with sorted keys.
public struct RunRecord: Codable, Sendable, Equatable {
    public static let schemaName = "bootcanary.run/1"

    public var schema: String
    public var tool: Tool
    public var runID: String
    /// `diagnose` or `canary`.
    public var mode: String
    public var started: Date
    public var ended: Date
    /// The command line as typed.
    public var command: [String]
    public var host: HostFacts
    public var controlHost: HostFacts?
    public var plan: Plan
    public var boots: [BootRecord]
    public var diagnosis: Diagnosis
    /// The known issues the boots showed (docs/known-issues.md); absent when none matched, and
    /// from records written before they were matched.
    public var knownIssues: [KnownIssueMatch]?
    /// The offline checks of `--image` (absent from runs without an image, and from records
    /// written before the checks existed).
    public var integrity: ImageIntegrity?
    /// What the host's own tools said during the run (absent from saved-log runs and from
    /// records written before it was gathered). Each failing boot's own part is in its
    /// `hostEvidence`.
    public var hostEvidence: HostEvidence?

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public init(name: String = "bootcanary", version: String = BootCanaryVersion.current) {
            self.name = name
            self.version = version
        }
    }

    /// What was asked for.
    public struct Plan: Codable, Sendable, Equatable {
        public struct Kind: Codable, Sendable, Equatable {
            public var kind: ProbeKind
            public var summary: String
            public var domainType: String
            public var guestType: String
            public var memoryMiB: Int
            public var vcpus: Int

            package init(kind: ProbeKind, summary: String, domainType: String, guestType: String, memoryMiB: Int, vcpus: Int) {
                self.kind = kind
                self.summary = summary
                self.domainType = domainType
                self.guestType = guestType
                self.memoryMiB = memoryMiB
                self.vcpus = vcpus
            }
        }
        public var kinds: [Kind]
        public var runs: Int
        public var parallel: Int
        public var timeoutSeconds: Double
        public var stallTimeoutSeconds: Double
        public var frozenAfterSeconds: Double
        public var expect: String?
        public var image: String?
        public var control: String?
        /// Healthy boots this host's history held per kind at the start (`SilenceHistory`);
        /// absent with `--no-history`.
        public var historyBoots: [String: Int]?
        /// Why a history could not be used (an unreadable file, no host UUID).
        public var historyNotes: [String]?

        public init(kinds: [Kind], runs: Int, parallel: Int, timeoutSeconds: Double, stallTimeoutSeconds: Double,
                    frozenAfterSeconds: Double, expect: String?, image: String?, control: String?,
                    historyBoots: [String: Int]? = nil, historyNotes: [String]? = nil) {
            self.historyBoots = historyBoots
            self.historyNotes = historyNotes
            self.kinds = kinds
            self.runs = runs
            self.parallel = parallel
            self.timeoutSeconds = timeoutSeconds
            self.stallTimeoutSeconds = stallTimeoutSeconds
            self.frozenAfterSeconds = frozenAfterSeconds
            self.expect = expect
            self.image = image
            self.control = control
        }
    }

    public init(runID: String, mode: String, started: Date, ended: Date, command: [String], host: HostFacts,
                controlHost: HostFacts?, plan: Plan, boots: [BootRecord], diagnosis: Diagnosis,
                knownIssues: [KnownIssueMatch]? = nil, integrity: ImageIntegrity? = nil) {
        schema = Self.schemaName
        tool = Tool()
        self.runID = runID
        self.mode = mode
        self.started = started
        self.ended = ended
        self.command = command
        self.host = host
        self.controlHost = controlHost
        self.plan = plan
        self.boots = boots
        self.diagnosis = diagnosis
        self.knownIssues = knownIssues
        self.integrity = integrity
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unreadable(String, String)
        case newerSchema(String, String)
        case notARunRecord(String, String)

        public var description: String {
            switch self {
            case .unreadable(let path, let why): "\(path) cannot be read: \(why)"
            case .newerSchema(let path, let schema):
                "\(path) is a \(schema) record, newer than this bootcanary (\(BootCanaryVersion.current)) reads (\(RunRecord.schemaName)); use a newer bootcanary"
            case .notARunRecord(let path, let why): "\(path) is not a bootcanary run record: \(why)"
            }
        }
    }

    /// Reads and checks a record: the schema first (a newer one is refused by name), then the
    /// fields, with the decoder's complaint about the first bad one.
    public static func read(_ url: URL) throws -> RunRecord {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw Failure.unreadable(url.path, error.localizedDescription) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            if let syntax = JSONSourceMap.syntaxError(in: data) {
                throw Failure.notARunRecord(url.path, "it is not valid JSON: \(syntax)")
            }
            throw Failure.notARunRecord(url.path, "it is not a JSON object")
        }
        guard let schema = object["schema"] as? String else { throw Failure.notARunRecord(url.path, "it has no \"schema\"") }
        if schema != schemaName {
            if schema.hasPrefix("bootcanary.run/") { throw Failure.newerSchema(url.path, schema) }
            throw Failure.notARunRecord(url.path, "its schema is \(schema)")
        }
        do {
            return try JSONFormat.decoder().decode(RunRecord.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw Failure.notARunRecord(url.path, "\(Self.path(ctx.codingPath + [key])) is missing\(line(ctx.codingPath, in: "object", data: data))")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw Failure.notARunRecord(url.path, "\(Self.path(ctx.codingPath))\(line(ctx.codingPath, data: data)) has the wrong type (\(ctx.debugDescription))")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw Failure.notARunRecord(url.path, "\(Self.path(ctx.codingPath))\(line(ctx.codingPath, data: data)): \(ctx.debugDescription)")
        } catch {
            throw Failure.notARunRecord(url.path, "\(error)")
        }
    }

    /// ` (line N)`: where a field is in the file, for a person fixing it in an editor.
    static func line(_ keys: [any CodingKey], in what: String? = nil, data: Data) -> String {
        guard let n = JSONSourceMap.line(of: keys, in: data) else { return "" }
        return what.map { " (in the \($0) on line \(n))" } ?? " (line \(n))"
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Writes atomically: a temporary file in the same folder, fsynced, then renamed, so a crash
    /// never leaves half a record.
    public func write(to url: URL) throws {
        try AtomicFile.write(try JSONFormat.encoder().encode(self) + Data("\n".utf8), to: url)
    }
}

/// Whole-file writes that never leave half a file behind: a temporary file in the same
/// folder, written and fsynced, renamed over the target, then the folder fsynced so the
/// rename itself survives a crash.
public enum AtomicFile {
    /// Beside the target (rename(2) is atomic only within one filesystem), hidden, and not
    /// ending in the target's extension: node_exporter's textfile collector reads `*.prom`
    /// and must never see a half-written file.
    static func temporary(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// `mode`, when given, is set on the file whatever the umask: node_exporter's textfile
    /// collector runs as its own user (`prometheus` on Debian) and must read a file a root
    /// timer wrote, where a service's umask of 077 would otherwise make it 0600.
    public static func write(_ data: Data, to url: URL, mode: mode_t? = nil) throws {
        let tmp = temporary(for: url)
        func failure(_ code: Int32) -> Error {
            CocoaError(code == ENOSPC || code == EDQUOT ? .fileWriteOutOfSpace : .fileWriteUnknown,
                       userInfo: [NSFilePathErrorKey: url.path,
                                  NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
        }
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        var failedWith: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failedWith = n < 0 ? errno : EIO; return }
                offset += n
            }
        }
        if failedWith == 0, let mode, fchmod(fd, mode) != 0 { failedWith = errno }
        if failedWith == 0 && fsync(fd) != 0 { failedWith = errno }
        close(fd)
        if failedWith == 0 && rename(tmp.path, url.path) != 0 { failedWith = errno }
        if failedWith != 0 {
            unlink(tmp.path)
            throw failure(failedWith)
        }
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
