import CanaryEvidence
import CanaryModel
import Foundation
import Libvirt
import Synchronization

/// Kernels and initrds uploaded to a remote host for one boot, the way virt-install does it
/// for remote installs (virtinst/install/installer.py `_upload_media`): a directory storage
/// pool named `boot-scratch` (at /var/lib/xen on Xen hosts, /var/lib/libvirt/boot elsewhere),
/// one raw volume per file, deleted after the boot. Each volume is in the ledger before it is
/// created and in the teardown list until it is deleted. Its calls block (RPCs, the upload
/// stream): async code makes them through `BlockingCall.run`.
final class BootFileUpload: Sendable {
    static let poolName = "boot-scratch"
    let connection: Connection
    let ledger: Ledger?
    let pool: StoragePool
    var poolName: String { Self.poolName }
    private let uploaded = Mutex<[(name: String, entry: Ledger.Entry, teardown: Teardown.Handle)]>([])

    init(connection: Connection, ledger: Ledger?, isXen: Bool) throws {
        self.connection = connection
        self.ledger = ledger
        pool = try BootScratchPools.shared.acquire(path: isXen ? "/var/lib/xen" : "/var/lib/libvirt/boot", on: connection)
    }

    /// Uploads `file` as volume `name`; returns its path on the host.
    func put(_ file: URL, as name: String) throws -> String {
        let entry = Ledger.Entry(op: .volume, uri: connection.uri, name: name, pool: Self.poolName)
        let size = Int64((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0)
        let connection = self.connection
        let ledger = self.ledger
        // Undo first, then the ledger line and the volume as one creation teardown waits for.
        let teardown = Teardown.shared.register("deleted volume \(Self.poolName)/\(name) on \(connection.uri)") {
            _ = try? StorageVolume.delete(pool: BootFileUpload.poolName, name: name, on: connection)
            try? ledger?.recordRemoved(entry)
        }
        let volume: StorageVolume
        do {
            volume = try Teardown.shared.creation {
                try ledger?.record(entry)
                // A volume left by an earlier, killed run of the same name is replaced.
                _ = try? StorageVolume.delete(pool: Self.poolName, name: name, on: connection)
                return try pool.createVolume(named: name, capacity: size)
            }
        } catch {
            Teardown.shared.unregister(teardown)
            try? ledger?.recordRemoved(entry)
            throw error
        }
        uploaded.withLock { $0.append((name, entry, teardown)) }
        do {
            _ = try volume.upload(from: file)
            return try volume.path()
        } catch {
            // A volume that did not fill is removed at once, not left half-written on the host.
            _ = try? volume.delete()
            try? ledger?.recordRemoved(entry)
            uploaded.withLock { $0.removeAll { $0.name == name } }
            Teardown.shared.unregister(teardown)
            throw error
        }
    }

    /// Deletes every uploaded volume.
    func removeAll() {
        let items = uploaded.withLock { list -> [(name: String, entry: Ledger.Entry, teardown: Teardown.Handle)] in
            defer { list.removeAll() }
            return list
        }
        for item in items {
            _ = try? StorageVolume.delete(pool: Self.poolName, name: item.name, on: connection)
            try? ledger?.recordRemoved(item.entry)
            Teardown.shared.unregister(item.teardown)
        }
        BootScratchPools.shared.release(on: connection)
    }
}

/// The `boot-scratch` pool per host, and whether bootcanary defined it: a pool this process
/// defined is stopped and undefined when its last upload is gone (its directory and the files
/// in it stay), so a
/// run leaves the host's storage configuration as it found it. A pool that was there before
/// is left alone.
final class BootScratchPools: Sendable {
    static let shared = BootScratchPools()

    private struct Use {
        var users: Int
        var definedByUs: Bool
    }
    private let uses = Mutex<[String: Use]>([:])

    func acquire(path: String, on connection: Connection) throws -> StoragePool {
        try uses.withLock { table in
            let (pool, defined) = try StoragePool.directoryNoting(named: BootFileUpload.poolName, path: path, on: connection)
            var use = table[connection.uri] ?? Use(users: 0, definedByUs: false)
            use.users += 1
            use.definedByUs = use.definedByUs || defined
            table[connection.uri] = use
            return pool
        }
    }

    func release(on connection: Connection) {
        uses.withLock { table in
            guard var use = table[connection.uri] else { return }
            use.users -= 1
            if use.users > 0 { table[connection.uri] = use; return }
            table[connection.uri] = nil
            // A directory pool lists every file in its folder (on Xen, /var/lib/xen holds libxl's
            // own files): what matters is that no bootcanary upload, ours or another run's, is left.
            guard use.definedByUs, let pool = try? StoragePool.lookup(named: BootFileUpload.poolName, on: connection),
                  let names = try? pool.volumeNames(), !names.contains(where: { $0.hasPrefix(ProbeName.prefix) }) else { return }
            try? pool.remove()
        }
    }
}
