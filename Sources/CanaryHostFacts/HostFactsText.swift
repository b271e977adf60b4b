/// Host facts as a person reads them in a terminal or a ticket.
public enum HostFactsText {
    public static func render(_ f: HostFacts) -> String {
        var out: [String] = []
        out.append("host        \(f.hostname) (\(f.uri))")
        out.append("hypervisor  \(f.hypervisor) \(f.hypervisorVersion), libvirt \(f.libvirtVersion) (client \(f.clientLibvirtVersion))")
        out.append("host UUID   \(f.hostUUID ?? "unknown")")
        out.append("machine     \(f.cpus) CPUs (\(f.cpuModel), \(f.cpuMHz) MHz), \(f.memoryMiB) MiB")
        let types = f.domainTypes.isEmpty ? "none" : f.domainTypes.joined(separator: ", ")
        out.append("offers      \(types); default domain type \(f.defaultDomainType ?? "none")")
        out.append("running     \(f.runningDomains.count) domain(s)")
        if !f.runningDomains.isEmpty {
            let width = max(4, f.runningDomains.map(\.name.count).max() ?? 4)
            out.append("  " + "ID".padding(toLength: 5, withPad: " ", startingAt: 0) + "NAME".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "STATE                 VCPUS  MEMORY")
            for d in f.runningDomains {
                let id = d.id.map(String.init) ?? "-"
                var line = "  " + id.padding(toLength: 5, withPad: " ", startingAt: 0)
                line += d.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                line += d.state.padding(toLength: 22, withPad: " ", startingAt: 0)
                line += String(d.vcpus).padding(toLength: 7, withPad: " ", startingAt: 0)
                line += "\(d.memoryMiB) MiB"
                if d.isBootcanaryProbe { line += "  (bootcanary probe)" }
                out.append(line)
            }
        }
        let radius = f.blastRadius.map(\.name)
        out.append("a host reboot would interrupt: \(radius.isEmpty ? "no guests" : radius.joined(separator: ", "))")
        return out.joined(separator: "\n")
    }
}
