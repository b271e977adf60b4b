import CanaryEvidence
import CanaryModel
import Foundation
import Libvirt

/// `bootcanary cleanup`: removes what interrupted runs left behind — exactly what their
/// ledgers recorded, on this connection — and reports, without touching, any other domain
/// that merely looks like ours.
public struct Cleanup: Sendable {
    public var connection: Connection
    public var ledgerFolder: URL
    /// How to reach libxl (`xl`) on a Xen host; without it a Xen domain's line is closed only
    /// when libvirt itself destroyed the domain.
    public var hostAccess: HostAccess?

    public init(connection: Connection, ledgerFolder: URL = Ledger.defaultFolder(), hostAccess: HostAccess? = nil) {
        self.connection = connection
        self.ledgerFolder = ledgerFolder
        self.hostAccess = hostAccess
    }

    var toolstack: XenToolstack? {
        guard connection.uri.hasPrefix("xen"), let hostAccess else { return nil }
        return XenToolstack(access: hostAccess)
    }

    public struct Report: Sendable, Equatable {
        public var destroyed: [String] = []
        public var removedFolders: [String] = []
        public var deletedVolumes: [String] = []
        /// Runs whose process is still alive: left alone.
        public var stillRunning: [String] = []
        /// Domains named like probes that no ledger on this machine knows: left alone.
        public var unrecorded: [String] = []
        public var failures: [String] = []
        public var ledgersClosed = 0
    }

    /// `run()` on the blocking pool: every step is a libvirt RPC, a host tool or a file removal.
    public func run() async -> Report {
        let cleanup = self
        return await BlockingCall.run { cleanup.run() }
    }

    /// Blocks until every recorded thing was dealt with: async code awaits `run()` instead.
    @available(*, noasync)
    public func run() -> Report {
        var report = Report()
        var known = Set<String>()
        for file in Ledger.files(in: ledgerFolder) {
            guard let entries = try? Ledger.outstanding(in: file) else {
                report.failures.append("cannot read the ledger \(file.path)")
                continue
            }
            let runID = file.deletingPathExtension().lastPathComponent.replacingOccurrences(of: "run-", with: "")
            for e in entries where e.op == .domain { if let n = e.name { known.insert(n) } }
            if let alive = entries.first(where: { Self.isBootcanaryProcess($0.pid) }) {
                report.stillRunning.append("run \(runID) (pid \(alive.pid))")
                continue
            }
            let ledger = try? Ledger(runID: runID, folder: ledgerFolder)
            for entry in entries {
                switch entry.op {
                case .domain:
                    // Another connection's domain is for a cleanup against that URI.
                    guard entry.uri == connection.uri, let name = entry.name, ProbeName.isProbe(name) else { continue }
                    switch removeDomain(name) {
                    case .gone(let destroyed):
                        if destroyed { report.destroyed.append(name) }
                        try? ledger?.recordRemoved(entry)
                    case .unconfirmed(let why):
                        report.failures.append("\(name): \(why); its ledger line stays")
                    }
                case .scratch:
                    guard let path = entry.path, path.contains("bootcanary") else { continue }
                    if FileManager.default.fileExists(atPath: path) {
                        do {
                            try FileManager.default.removeItem(atPath: path)
                            report.removedFolders.append(path)
                        } catch {
                            report.failures.append("\(path): \(error.localizedDescription)")
                            continue
                        }
                    }
                    try? ledger?.recordRemoved(entry)
                case .volume:
                    guard entry.uri == connection.uri, let pool = entry.pool, let name = entry.name else { continue }
                    do {
                        if try StorageVolume.delete(pool: pool, name: name, on: connection) { report.deletedVolumes.append("\(pool)/\(name)") }
                        try? ledger?.recordRemoved(entry)
                    } catch {
                        report.failures.append("volume \(pool)/\(name): \(error)")
                    }
                case .removed:
                    continue
                }
            }
            if let remaining = try? Ledger.outstanding(in: file), remaining.isEmpty {
                try? FileManager.default.removeItem(at: file)
                report.ledgersClosed += 1
            }
        }
        if let domains = try? connection.listDomains() {
            report.unrecorded = domains.map(\.name).filter { ProbeName.isProbe($0) && !known.contains($0) }.sorted()
        }
        return report
    }

    enum Removal: Equatable {
        /// Known gone from the hypervisor; true when this cleanup destroyed it.
        case gone(destroyedNow: Bool)
        case unconfirmed(String)
    }

    /// Destroys a recorded domain through libvirt and, on Xen, makes sure libxl no longer has
    /// it either: libvirt's "no such domain" after a daemon restart is not proof.
    func removeDomain(_ name: String) -> Removal {
        var destroyed = false
        var libvirtFailure: String?
        do {
            let domain = try connection.domain(named: name)
            destroyed = try domain.destroy()
            if domain.isPersistent { try domain.undefine() }
            // libvirt knew it and destroyed it (libxl's destroy on Xen): gone from the hypervisor.
            return .gone(destroyedNow: destroyed)
        } catch where error.code == .noDomain {
            // Absent from libvirt's view; on Xen, ask libxl below.
        } catch {
            libvirtFailure = error.message
        }
        guard connection.uri.hasPrefix("xen") else {
            return libvirtFailure.map { .unconfirmed($0) } ?? .gone(destroyedNow: false)
        }
        guard let toolstack else {
            if let libvirtFailure { return .unconfirmed(libvirtFailure + " (give --host-exec CMD or an +ssh URI so cleanup can reach xl)") }
            return .unconfirmed("libvirt does not know it, but libxl may (domains created while dom0's libvirtd crashed survive its restart); give --host-exec CMD or an +ssh URI so cleanup can ask xl")
        }
        do {
            guard let id = try toolstack.domid(name) else { return .gone(destroyedNow: destroyed) }
            let r = toolstack.destroy(domid: id)
            guard r.status == 0, try toolstack.domid(name) == nil else {
                return .unconfirmed("xl destroy \(id) failed: \(r.lastErrorLine ?? "exit \(r.status)")")
            }
            return .gone(destroyedNow: true)
        } catch {
            return .unconfirmed("\(libvirtFailure.map { $0 + "; " } ?? "")\(error)")
        }
    }

    /// Whether `pid` is a live bootcanary process (not a recycled pid of something else).
    static func isBootcanaryProcess(_ pid: Int32) -> Bool {
        guard pid > 0, pid != getpid(), kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        return String(decoding: cmdline, as: UTF8.self).contains("bootcanary")
    }
}
