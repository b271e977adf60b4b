import CLibvirt

/// A libvirt version number, `major * 1_000_000 + minor * 1_000 + micro`.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var packed: UInt
    public init(packed: UInt) { self.packed = packed }
    public var major: UInt { packed / 1_000_000 }
    public var minor: UInt { packed / 1_000 % 1_000 }
    public var micro: UInt { packed % 1_000 }
    public var description: String { "\(major).\(minor).\(micro)" }
    public static func < (a: Version, b: Version) -> Bool { a.packed < b.packed }
}

/// What `virNodeGetInfo` says about the host.
public struct NodeInfo: Sendable, Hashable {
    public var model: String
    /// Memory in KiB.
    public var memoryKiB: UInt64
    public var cpus: UInt32
    public var mhz: UInt32
    public var nodes: UInt32
    public var sockets: UInt32
    public var cores: UInt32
    public var threads: UInt32
}

extension Connection {
    /// The driver's name: "Xen" for libxl, "QEMU", "TEST".
    /// The corresponding C function is `virConnectGetType`.
    public func hypervisorType() throws(LibvirtError) -> String {
        let raw: UnsafePointer<CChar> = try check("virConnectGetType") { virConnectGetType(pointer) }
        return String(cString: raw) // static string owned by libvirt: not freed
    }

    /// The hypervisor's version (Xen 4.17.x, QEMU 7.2.x).
    /// The corresponding C function is `virConnectGetVersion`.
    public func hypervisorVersion() throws(LibvirtError) -> Version {
        var v: UInt = 0
        try check("virConnectGetVersion") { virConnectGetVersion(pointer, &v) }
        return Version(packed: v)
    }

    /// The version of libvirt on the daemon's side (which may differ from the client's).
    /// The corresponding C function is `virConnectGetLibVersion`.
    public func libvirtVersion() throws(LibvirtError) -> Version {
        var v: UInt = 0
        try check("virConnectGetLibVersion") { virConnectGetLibVersion(pointer, &v) }
        return Version(packed: v)
    }

    /// The version of the libvirt library this process is linked against.
    /// The corresponding C function is `virGetVersion`.
    public static func clientLibraryVersion() -> Version {
        var v: UInt = 0
        _ = virGetVersion(&v, nil, nil)
        return Version(packed: v)
    }

    /// The corresponding C function is `virConnectGetHostname`.
    public func hostname() throws(LibvirtError) -> String {
        try takeString("virConnectGetHostname") { virConnectGetHostname(pointer) }
    }

    /// The corresponding C function is `virNodeGetInfo`.
    public func nodeInfo() throws(LibvirtError) -> NodeInfo {
        var info = virNodeInfo()
        try check("virNodeGetInfo") { virNodeGetInfo(pointer, &info) }
        let model = withUnsafeBytes(of: info.model) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return NodeInfo(model: model, memoryKiB: UInt64(info.memory), cpus: info.cpus, mhz: info.mhz,
                        nodes: info.nodes, sockets: info.sockets, cores: info.cores, threads: info.threads)
    }

    /// Free memory on the host, in bytes (0 where the driver does not know).
    /// The corresponding C function is `virNodeGetFreeMemory`.
    public func freeMemoryBytes() -> UInt64 {
        virNodeGetFreeMemory(pointer)
    }

    /// The host's capabilities XML (host UUID, CPU, guest types and domain types offered).
    /// The corresponding C function is `virConnectGetCapabilities`.
    public func capabilitiesXML() throws(LibvirtError) -> String {
        try takeString("virConnectGetCapabilities") { virConnectGetCapabilities(pointer) }
    }

    /// SMBIOS data of the host, where the driver has it.
    /// The corresponding C function is `virConnectGetSysinfo`.
    public func sysinfoXML() throws(LibvirtError) -> String {
        try takeString("virConnectGetSysinfo") { virConnectGetSysinfo(pointer, 0) }
    }
}
