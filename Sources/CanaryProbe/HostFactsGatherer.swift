import CanaryHostFacts
import Foundation
import Libvirt

/// Gathers `HostFacts` (plain data, in Host) from a libvirt connection and this machine.
extension HostFacts {
    /// Reads every fact from the daemon. A domain that vanishes while being listed is skipped.
    public static func gather(from connection: Connection) throws(LibvirtError) -> HostFacts {
        let node = try connection.nodeInfo()
        let capsXML = try connection.capabilitiesXML()
        let caps = try? HostCapabilities(xml: capsXML)
        let offered = caps?.domainTypes() ?? []
        let uri = ConnectionURI(connection.uri)
        var running: [RunningDomain] = []
        for domain in try connection.listDomains(.active) {
            guard let info = try? domain.info() else { continue }
            let state = (try? domain.state())?.description ?? "\(info.state)"
            running.append(RunningDomain(
                name: domain.name, uuid: domain.uuid, id: domain.id.map(Int.init), state: state,
                vcpus: info.vcpus, memoryMiB: Int(info.memoryKiB / 1024)))
        }
        running.sort { ($0.id ?? Int.max, $0.name) < ($1.id ?? Int.max, $1.name) }
        var facts = HostFacts(
            uri: connection.uri,
            hypervisor: try connection.hypervisorType(),
            hypervisorVersion: (try? connection.hypervisorVersion().description) ?? "unknown",
            libvirtVersion: try connection.libvirtVersion().description,
            clientLibvirtVersion: Connection.clientLibraryVersion().description,
            hostname: (try? connection.hostname()) ?? "unknown",
            hostUUID: caps?.hostUUID ?? HostFacts.systemUUID(sysinfoXML: try? connection.sysinfoXML()),
            cpuModel: node.model,
            cpus: Int(node.cpus),
            cpuMHz: Int(node.mhz),
            memoryMiB: Int(node.memoryKiB / 1024),
            domainTypes: offered,
            defaultDomainType: DomainTypeChoice.choose(
                offered: offered, isLocal: uri.isLocal,
                localCPUFlags: uri.isLocal ? DomainTypeChoice.readLocalCPUFlags() : nil),
            runningDomains: running)
        let free = connection.freeMemoryBytes()
        if free > 0 { facts.freeMemoryMiB = Int(free / (1 << 20)) }
        return facts
    }
}

extension DomainTypeChoice {
    /// The `flags` line of /proc/cpuinfo, padded with a leading space for word matching.
    public static func readLocalCPUFlags() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return " " + (line.split(separator: ":", maxSplits: 1).last.map(String.init) ?? "") + " "
    }
}
