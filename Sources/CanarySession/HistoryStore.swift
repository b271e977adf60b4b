import CanaryClassify
import CanaryModel
import CanaryProbe
import Foundation

/// Where each host's healthy boots are kept between runs (`SilenceHistory`, one file per host
/// UUID and kind): `$BOOTCANARY_HISTORY_DIR`, else `$BOOTCANARY_STATE_DIR/history`, else `/var/lib/bootcanary/history` for
/// root, else `~/.local/state/bootcanary/history`, beside the ledger.
///
/// A history file that cannot be read is left alone and the fixed thresholds apply: a bad
/// file must never make a boot stall early. Writes replace the file atomically, so two runs on
/// one host at once can lose each other's additions but never leave a torn file.
public struct HistoryStore: Sendable {
    public var folder: URL

    public init(folder: URL = HistoryStore.defaultFolder()) { self.folder = folder }

    public static func defaultFolder() -> URL {
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_HISTORY_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_STATE_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir).appendingPathComponent("history")
        }
        if getuid() == 0 { return URL(fileURLWithPath: "/var/lib/bootcanary/history") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/bootcanary/history")
    }

    /// A host UUID names a folder: only hex digits and dashes (libvirt's form) are taken, so a
    /// daemon's answer cannot climb out of the history folder.
    static func safe(_ hostUUID: String) -> Bool {
        !hostUUID.isEmpty && hostUUID.count <= 64 && hostUUID.allSatisfy { $0.isHexDigit || $0 == "-" }
    }

    func url(hostUUID: String, kind: ProbeKind) -> URL {
        folder.appendingPathComponent(hostUUID.lowercased()).appendingPathComponent("\(kind.rawValue).json")
    }

    /// The histories of `kinds` on this host, and notes on files that could not be used.
    public func load(hostUUID: String?, kinds: [ProbeKind]) -> (histories: [ProbeKind: SilenceHistory], notes: [String]) {
        guard let hostUUID, Self.safe(hostUUID) else {
            return ([:], ["no boot history: the host reports no usable UUID; the fixed stall thresholds apply"])
        }
        var out: [ProbeKind: SilenceHistory] = [:]
        var notes: [String] = []
        for kind in kinds {
            let url = url(hostUUID: hostUUID, kind: kind)
            guard let data = try? Data(contentsOf: url) else { continue }
            do {
                let history = try JSONFormat.decoder().decode(SilenceHistory.self, from: data)
                guard history.schema == SilenceHistory.schemaName, history.kind == kind, history.hostUUID.lowercased() == hostUUID.lowercased() else {
                    notes.append("boot history \(url.path) is not this host's \(kind.rawValue) history; not used")
                    continue
                }
                out[kind] = history
            } catch {
                notes.append("boot history \(url.path) cannot be read (\(error)); the fixed stall thresholds apply for \(kind.rawValue)")
            }
        }
        return (out, notes)
    }

    /// Adds the suspect host's booted boots to its histories. Returns how many were added.
    @discardableResult
    public func record(_ boots: [BootRecord], hostUUID: String?, existing: [ProbeKind: SilenceHistory]) throws -> Int {
        guard let hostUUID, Self.safe(hostUUID) else { return 0 }
        var histories = existing
        var added = 0
        for boot in boots where (boot.host ?? .suspect) == .suspect {
            guard let kind = boot.kind else { continue }
            var h = histories[kind] ?? SilenceHistory(hostUUID: hostUUID.lowercased(), kind: kind)
            if h.add(boot.result, at: boot.endedAt ?? Date()) {
                added += 1
                histories[kind] = h
            }
        }
        guard added > 0 else { return 0 }
        let hostFolder = folder.appendingPathComponent(hostUUID.lowercased())
        try FileManager.default.createDirectory(at: hostFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (kind, h) in histories where h != existing[kind] {
            try JSONFormat.encoder(.line).encode(h).write(to: url(hostUUID: hostUUID, kind: kind), options: .atomic)
        }
        return added
    }
}
