import CLibvirt
import Foundation

/// A libvirt storage pool (`virStoragePoolPtr`). bootcanary uses one, the way virt-install
/// does for remote hosts: a directory pool named `boot-scratch` into which installer kernels
/// are uploaded, because a remote hypervisor can only boot files on its own disk.
/// `@unchecked Sendable` for the same reason as `Connection`: the only state is the
/// `virStoragePoolPtr`, and libvirt's storage calls are thread-safe.
public final class StoragePool: @unchecked Sendable {
    let pointer: OpaquePointer
    public let connection: Connection

    init(pointer: OpaquePointer, connection: Connection) {
        self.pointer = pointer
        self.connection = connection
    }

    deinit { _ = virStoragePoolFree(pointer) }

    /// The corresponding C function is `virStoragePoolLookupByName`.
    public static func lookup(named name: String, on connection: Connection) throws(LibvirtError) -> StoragePool {
        let ptr: OpaquePointer = try check("virStoragePoolLookupByName") { virStoragePoolLookupByName(connection.pointer, name) }
        return StoragePool(pointer: ptr, connection: connection)
    }

    /// Finds the directory pool `name`, or defines, builds and starts it at `path` (virt-install's
    /// `boot-scratch`: /var/lib/xen on Xen hosts, /var/lib/libvirt/boot elsewhere).
    /// The corresponding C functions are `virStoragePoolDefineXML`, `virStoragePoolBuild`,
    /// `virStoragePoolCreate` (no autostart: a pool bootcanary defines is removed at the end).
    public static func directory(named name: String, path: String, on connection: Connection) throws(LibvirtError) -> StoragePool {
        try directoryNoting(named: name, path: path, on: connection).pool
    }

    /// `directory`, saying whether this call defined the pool (so its definer can remove it).
    public static func directoryNoting(named name: String, path: String, on connection: Connection) throws(LibvirtError)
        -> (pool: StoragePool, defined: Bool)
    {
        let pool: StoragePool
        var defined = false
        do {
            pool = try lookup(named: name, on: connection)
        } catch where error.code == .noStoragePool {
            defined = true
            let xml = "<pool type='dir'><name>\(name)</name><target><path>\(path)</path></target></pool>"
            let ptr: OpaquePointer = try check("virStoragePoolDefineXML") { virStoragePoolDefineXML(connection.pointer, xml, 0) }
            pool = StoragePool(pointer: ptr, connection: connection)
            try check("virStoragePoolBuild") { virStoragePoolBuild(ptr, 0) }
        }
        if virStoragePoolIsActive(pool.pointer) != 1 {
            try check("virStoragePoolCreate") { virStoragePoolCreate(pool.pointer, 0) }
        }
        return (pool, defined)
    }

    /// Stops and undefines the pool; its directory and any files in it stay.
    /// The corresponding C functions are `virStoragePoolDestroy` and `virStoragePoolUndefine`.
    public func remove() throws(LibvirtError) {
        if virStoragePoolIsActive(pointer) == 1 {
            try check("virStoragePoolDestroy") { virStoragePoolDestroy(pointer) }
        }
        try check("virStoragePoolUndefine") { virStoragePoolUndefine(pointer) }
    }

    /// Names of the volumes in the pool.
    /// The corresponding C function is `virStoragePoolListAllVolumes`.
    public func volumeNames() throws(LibvirtError) -> [String] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let n = try check("virStoragePoolListAllVolumes") { virStoragePoolListAllVolumes(pointer, &list, 0) }
        defer { free(list) }
        var names: [String] = []
        for i in 0..<Int(n) {
            guard let v = list?[i] else { continue }
            if let c = virStorageVolGetName(v) { names.append(String(cString: c)) }
            virStorageVolFree(v)
        }
        return names
    }

    public var name: String { virStoragePoolGetName(pointer).map { String(cString: $0) } ?? "" }

    /// Creates a raw volume of `capacity` bytes.
    /// The corresponding C function is `virStorageVolCreateXML`.
    public func createVolume(named name: String, capacity: Int64) throws(LibvirtError) -> StorageVolume {
        let xml = "<volume><name>\(name)</name><capacity unit='bytes'>\(capacity)</capacity><target><format type='raw'/><permissions><mode>0644</mode></permissions></target></volume>"
        let ptr: OpaquePointer = try check("virStorageVolCreateXML") { virStorageVolCreateXML(pointer, xml, 0) }
        return StorageVolume(pointer: ptr, pool: self)
    }

    /// The corresponding C function is `virStorageVolLookupByName`.
    public func volume(named name: String) throws(LibvirtError) -> StorageVolume {
        let ptr: OpaquePointer = try check("virStorageVolLookupByName") { virStorageVolLookupByName(pointer, name) }
        return StorageVolume(pointer: ptr, pool: self)
    }
}

/// A storage volume (`virStorageVolPtr`). `@unchecked Sendable` like `StoragePool`: the only
/// state is the pointer, and libvirt's volume calls are thread-safe.
public final class StorageVolume: @unchecked Sendable {
    let pointer: OpaquePointer
    public let pool: StoragePool

    init(pointer: OpaquePointer, pool: StoragePool) {
        self.pointer = pointer
        self.pool = pool
    }

    deinit { _ = virStorageVolFree(pointer) }

    /// The volume's path on the host, as a domain's `<kernel>` names it.
    /// The corresponding C function is `virStorageVolGetPath`.
    public func path() throws(LibvirtError) -> String {
        try takeString("virStorageVolGetPath") { virStorageVolGetPath(pointer) }
    }

    /// Streams a local file into the volume (1 MiB sends on a blocking stream, as virt-install's
    /// volumeupload.py does).
    /// The corresponding C functions are `virStorageVolUpload`, `virStreamSend` and `virStreamFinish`.
    public func upload(from file: URL) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw LibvirtError(code: .systemError, message: "cannot read \(file.path)", function: "upload")
        }
        defer { try? handle.close() }
        let size = Int64(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        let st: OpaquePointer = try check("virStreamNew") { virStreamNew(pool.connection.pointer, 0) }
        defer { _ = virStreamFree(st) }
        try check("virStorageVolUpload") { virStorageVolUpload(pointer, st, 0, UInt64(size), 0) }
        var sent: Int64 = 0
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                var offset = 0
                while offset < chunk.count {
                    let n = try chunk.withUnsafeBytes { raw -> Int32 in
                        let base = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                        return try check("virStreamSend") { virStreamSend(st, base, raw.count - offset) }
                    }
                    offset += Int(n)
                }
                sent += Int64(chunk.count)
            }
            try check("virStreamFinish") { virStreamFinish(st) }
        } catch {
            _ = virStreamAbort(st)
            throw error
        }
        return sent
    }

    /// The corresponding C function is `virStorageVolDelete`.
    public func delete() throws(LibvirtError) {
        try check("virStorageVolDelete") { virStorageVolDelete(pointer, 0) }
    }

    /// Deletes `pool/name` if it exists; returns whether it did.
    public static func delete(pool: String, name: String, on connection: Connection) throws(LibvirtError) -> Bool {
        do {
            let p = try StoragePool.lookup(named: pool, on: connection)
            try p.volume(named: name).delete()
            return true
        } catch where error.code == .noStorageVolume || error.code == .noStoragePool {
            return false
        }
    }
}
