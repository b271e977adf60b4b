import CanaryModel
import Foundation
import Synchronization

/// The record of everything a run creates on a host, written *before* each thing is created,
/// so that `bootcanary cleanup` can remove what a killed run left behind — and nothing else.
///
/// One append-only JSON-lines file per run in the state folder
/// (`$BOOTCANARY_STATE_DIR`, else `/var/lib/bootcanary/ledger` for root, else
/// `~/.local/state/bootcanary/ledger`). Each line is one `Entry`; appends of one short line
/// with O_APPEND are atomic, so a crash leaves at worst a torn last line, which the reader
/// skips.
public final class Ledger: Sendable {
    public let runID: String
    public let url: URL
    /// One append at a time within this process, so each entry's line is whole.
    private let appending = Mutex<Void>(())

    public struct Entry: Codable, Sendable, Equatable {
        public enum Op: String, Codable, Sendable {
            /// A domain is about to be created (name, uri).
            case domain
            /// A scratch folder (overlays, downloaded kernels) is about to be made (path).
            case scratch
            /// A storage volume is about to be uploaded on the host (uri, pool, volume).
            case volume
            /// The named thing was removed; cleanup may skip it.
            case removed
        }
        public var op: Op
        public var uri: String?
        public var name: String?
        public var path: String?
        public var pool: String?
        public var pid: Int32
        public var at: Date

        public init(op: Op, uri: String? = nil, name: String? = nil, path: String? = nil, pool: String? = nil,
                    pid: Int32 = getpid(), at: Date = Date()) {
            self.op = op
            self.uri = uri
            self.name = name
            self.path = path
            self.pool = pool
            self.pid = pid
            self.at = at
        }

        /// What names the thing: a `removed` entry with the same identity cancels this one.
        var identity: String { [uri ?? "", name ?? "", path ?? "", pool ?? ""].joined(separator: "|") }
    }

    public static func defaultFolder() -> URL {
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_STATE_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir).appendingPathComponent("ledger")
        }
        if getuid() == 0 { return URL(fileURLWithPath: "/var/lib/bootcanary/ledger") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/bootcanary/ledger")
    }

    public init(runID: String, folder: URL = Ledger.defaultFolder()) throws {
        self.runID = runID
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        url = folder.appendingPathComponent("run-\(runID).jsonl")
    }

    /// Appends one entry and forces it to disk before returning: the thing it names is
    /// created right after.
    public func record(_ entry: Entry) throws {
        var data = try JSONFormat.encoder(.line).encode(entry)
        data.append(0x0A)
        try appending.withLock { _ in try append(data, removal: entry.op == .removed) }
    }

    /// Must run under `appending`.
    private func append(_ data: Data, removal: Bool) throws {
        // A removal never creates the file: once the run's ledger was closed, a late "removed"
        // from a worker that finished after teardown must not bring back an empty ledger.
        let create = removal ? 0 : O_CREAT
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC | create, 0o600)
        if fd < 0 && removal && errno == ENOENT { return }
        guard fd >= 0 else { throw LedgerError.unwritable(url.path, String(cString: strerror(errno))) }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw LedgerError.unwritable(url.path, String(cString: strerror(errno))) }
        fsync(fd)
    }

    public func recordDomain(name: String, uri: String) throws { try record(.init(op: .domain, uri: uri, name: name)) }
    public func recordScratch(path: String) throws { try record(.init(op: .scratch, path: path)) }
    public func recordVolume(uri: String, pool: String, name: String) throws {
        try record(.init(op: .volume, uri: uri, name: name, pool: pool))
    }

    /// Marks an earlier entry as dealt with.
    public func recordRemoved(_ entry: Entry) throws {
        var removed = entry
        removed.op = .removed
        removed.at = Date()
        removed.pid = getpid()
        try record(removed)
    }

    /// Removes the file once the run ended cleanly and nothing in it is outstanding.
    /// Called once the run is over (normally or after a signal's teardown): removes any
    /// scratch folder still on record — one a worker made or refilled after teardown had run
    /// — then deletes the ledger if nothing is outstanding. Domains and volumes need their
    /// connection; teardown waits for their creation, and `bootcanary cleanup` is the backstop.
    public func closeIfSettled() {
        guard let outstanding = try? Ledger.outstanding(in: url) else { return }
        for entry in outstanding where entry.op == .scratch {
            guard let path = entry.path, path.contains("bootcanary") else { continue }
            try? FileManager.default.removeItem(atPath: path)
            if !FileManager.default.fileExists(atPath: path) { try? recordRemoved(entry) }
        }
        if let remaining = try? Ledger.outstanding(in: url), remaining.isEmpty {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// Entries of a ledger file that no `removed` entry cancels, in order.
    public static func outstanding(in url: URL) throws -> [Entry] {
        let data = try Data(contentsOf: url)
        var open: [Entry] = []
        for line in data.split(separator: 0x0A) {
            // A torn last line from a crash mid-append is skipped.
            guard let entry = try? JSONFormat.decoder(.line).decode(Entry.self, from: line) else { continue }
            if entry.op == .removed {
                open.removeAll { $0.identity == entry.identity }
            } else {
                open.append(entry)
            }
        }
        return open
    }

    /// Every ledger file in the folder.
    public static func files(in folder: URL = Ledger.defaultFolder()) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("run-") && $0.hasSuffix(".jsonl") }.sorted().map { folder.appendingPathComponent($0) }
    }
}

public enum LedgerError: Error, CustomStringConvertible {
    case unwritable(String, String)
    public var description: String {
        switch self {
        case .unwritable(let path, let why):
            "cannot write the run ledger \(path) (\(why)); set BOOTCANARY_STATE_DIR to a writable folder"
        }
    }
}

