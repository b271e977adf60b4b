import CanaryModel
import Foundation

/// The fleet canary's combined report (`fleet.md`) and its one-line status.
public enum FleetReportText {
    public static func markdown(_ r: FleetReport) -> String {
        var o = "# bootcanary fleet canary: \(CanaryStatus.word(r.exitStatus))\n\n"
        let counts = Dictionary(grouping: r.hosts, by: { CanaryStatus.word(ExitStatus(rawValue: $0.status) ?? .unknown) })
        o += "- **Hosts:** \(r.hosts.count) — " + ["OK", "WARNING", "CRITICAL", "UNKNOWN"].compactMap { w in counts[w].map { "\($0.count) \(w)" } }.joined(separator: ", ") + "\n"
        o += "- **Run:** \(ISO8601DateFormatter().string(from: r.started)) to \(ISO8601DateFormatter().string(from: r.ended))\n\n"
        if !r.duplicateHostUUIDs.isEmpty {
            o += "## Hosts sharing a host UUID\n\n"
            o += "Cloned hypervisor installs share one host UUID; management stacks such as CloudStack then refuse every clone after the first. Give each host its own (libvirtd.conf `host_uuid`, or regenerate the SMBIOS/machine id).\n\n"
            for (uuid, uris) in r.duplicateHostUUIDs.sorted(by: { $0.key < $1.key }) {
                o += "- \(MarkdownText.code(uuid)): " + uris.map { "\(MarkdownText.code($0))" }.joined(separator: ", ") + "\n"
            }
            o += "\n"
        }
        o += "## Hosts\n\n| host | URI | status | verdict | action | seconds | summary | report |\n|---|---|---|---|---|---:|---|---|\n"
        for h in r.hosts {
            let status = CanaryStatus.word(ExitStatus(rawValue: h.status) ?? .unknown)
            o += "| \(MarkdownText.inline(h.hostname ?? "?")) | \(MarkdownText.code(h.uri)) | \(status) | \(h.verdict?.rawValue ?? "-") | \(h.action?.rawValue ?? "-") | \(Int(h.seconds)) | \(MarkdownText.inline(h.summary)) | \(h.run.map { MarkdownText.inline("\($0)/report.md") } ?? "-") |\n"
        }
        return o
    }

    /// `BOOTCANARY CRITICAL - 3 hosts: 2 OK, 1 CRITICAL (xen07: host_fault) | ...`
    public static func line(_ r: FleetReport) -> String {
        var parts: [String] = []
        for w in ["OK", "WARNING", "CRITICAL", "UNKNOWN"] {
            let hosts = r.hosts.filter { CanaryStatus.word(ExitStatus(rawValue: $0.status) ?? .unknown) == w }
            guard !hosts.isEmpty else { continue }
            var p = "\(hosts.count) \(w)"
            if w != "OK" {
                p += " (" + hosts.map { "\($0.hostname ?? $0.uri): \($0.verdict?.rawValue ?? String($0.summary.prefix(60)))" }.joined(separator: "; ") + ")"
            }
            parts.append(p)
        }
        if !r.duplicateHostUUIDs.isEmpty { parts.append("\(r.duplicateHostUUIDs.count) host UUID shared by several hosts") }
        let text = TerminalText.line("\(r.hosts.count) hosts: " + parts.joined(separator: ", ")).replacingOccurrences(of: "|", with: "/")
        let perf = ["OK", "WARNING", "CRITICAL", "UNKNOWN"].map { w in
            "'\(w.lowercased())_hosts'=\(r.hosts.filter { CanaryStatus.word(ExitStatus(rawValue: $0.status) ?? .unknown) == w }.count);;;0;\(r.hosts.count)"
        }
        return "BOOTCANARY \(CanaryStatus.word(r.exitStatus)) - \(text) | \(perf.joined(separator: " "))"
    }
}
