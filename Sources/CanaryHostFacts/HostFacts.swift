import CanaryModel
import Foundation

/// What bootcanary knows about the host it probes: the hypervisor, the daemon, the machine,
/// and the running domains a host reboot would interrupt. Part of the run record's JSON.
public struct HostFacts: Codable, Sendable, Equatable {
    /// The URI libvirt connected to.
    public var uri: String
    /// libvirt's driver name: `Xen`, `QEMU`.
    public var hypervisor: String
    public var hypervisorVersion: String
    /// libvirt on the daemon's side.
    public var libvirtVersion: String
    /// libvirt in this process.
    public var clientLibvirtVersion: String
    public var hostname: String
    /// The host's UUID from its capabilities; cloned hypervisor installs share one.
    public var hostUUID: String?
    public var cpuModel: String
    public var cpus: Int
    public var cpuMHz: Int
    public var memoryMiB: Int
    /// Free memory when the facts were read (nil where the driver does not say).
    public var freeMemoryMiB: Int?
    /// Domain types the host offers for its architecture (`xen`, `kvm`, `qemu`).
    public var domainTypes: [String]
    /// The domain type bootcanary uses by default here (see `DomainTypeChoice`).
    public var defaultDomainType: String?
    public var runningDomains: [RunningDomain]

    public init(uri: String, hypervisor: String, hypervisorVersion: String, libvirtVersion: String,
                clientLibvirtVersion: String, hostname: String, hostUUID: String?, cpuModel: String,
                cpus: Int, cpuMHz: Int, memoryMiB: Int, domainTypes: [String], defaultDomainType: String?,
                runningDomains: [RunningDomain]) {
        self.uri = uri
        self.hypervisor = hypervisor
        self.hypervisorVersion = hypervisorVersion
        self.libvirtVersion = libvirtVersion
        self.clientLibvirtVersion = clientLibvirtVersion
        self.hostname = hostname
        self.hostUUID = hostUUID
        self.cpuModel = cpuModel
        self.cpus = cpus
        self.cpuMHz = cpuMHz
        self.memoryMiB = memoryMiB
        self.freeMemoryMiB = nil
        self.domainTypes = domainTypes
        self.defaultDomainType = defaultDomainType
        self.runningDomains = runningDomains
    }

    /// The guests a host reboot would interrupt: running domains that are neither
    /// bootcanary's own test guests nor Xen's Domain-0 (which is the host itself).
    public var blastRadius: [RunningDomain] {
        runningDomains.filter { !$0.isBootcanaryProbe && !$0.isControlDomain }
    }
}

/// One domain found running on the host.
public struct RunningDomain: Codable, Sendable, Equatable {
    public var name: String
    public var uuid: String
    /// The hypervisor's id (Xen domid), when running.
    public var id: Int?
    public var state: String
    public var vcpus: Int
    public var memoryMiB: Int

    public init(name: String, uuid: String, id: Int?, state: String, vcpus: Int, memoryMiB: Int) {
        self.name = name
        self.uuid = uuid
        self.id = id
        self.state = state
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
    }

    public var isBootcanaryProbe: Bool { ProbeName.isProbe(name) }
    /// Xen's dom0 is listed by the libxl driver as `Domain-0` with id 0.
    public var isControlDomain: Bool { id == 0 || name == "Domain-0" }
}

extension HostFacts {
    /// The SMBIOS system UUID, where capabilities carry no host UUID (libxl's do not). QEMU
    /// machines without `-uuid` report "Not Settable": not a UUID, so nil.
    package static func systemUUID(sysinfoXML xml: String?) -> String? {
        guard let xml, let range = xml.range(of: #"<entry name='uuid'>([0-9a-fA-F-]{36})</entry>"#, options: .regularExpression) else { return nil }
        let entry = xml[range]
        return String(entry.dropFirst("<entry name='uuid'>".count).dropLast("</entry>".count)).lowercased()
    }
}
