import CanaryModel
import Foundation

/// The log where the hypervisor's toolstack writes why it refused a domain.
///
/// libvirt's libxl driver tells its client only "libxenlight failed to create new domain
/// 'NAME'"; libxl's own words ("xc_dom_probe_bzimage_kernel unable to LZ4 decompress kernel:
/// Invalid kernel", "qemu-xen doesn't support read-only IDE disk drivers") go to
/// /var/log/libvirt/libxl/libxl-driver.log on the host (measured on the Xen lab, LAB-NOTES.md).
/// Creates on one host are serialized (CreateGate), so what the log gained while one create
/// ran is that create's.
///
/// libvirt's QEMU driver does the same with "qemu unexpectedly closed the monitor": QEMU's own
/// words ("could not load kernel") are in the domain's log, /var/log/libvirt/qemu/NAME.log,
/// which is new for each test domain (names are unique), so all of it is that create's.
package struct HypervisorLog: Sendable {
    var access: HostAccess
    var path: String
    /// The log is the domain's own: read it whole, no mark needed.
    var perDomain = false

    static let libxlDriverLog = "/var/log/libvirt/libxl/libxl-driver.log"
    /// At most this much of the new part is read: a refusal is a few lines.
    static let maxExcerptBytes = 64 * 1024

    package static func forConnection(uri: String, access: HostAccess?, domain: String) -> HypervisorLog? {
        guard let access else { return nil }
        if uri.hasPrefix("xen") { return HypervisorLog(access: access, path: libxlDriverLog) }
        if uri.hasPrefix("qemu") || uri.hasPrefix("kvm") {
            // The per-domain log name is libvirt's; the domain name is ours (ProbeName), no path in it.
            return HypervisorLog(access: access, path: "/var/log/libvirt/qemu/\(domain).log", perDomain: true)
        }
        return nil
    }

    /// The log's size now, or nil when it cannot be read (missing, no access).
    package func mark() -> Int? {
        if perDomain { return 0 }
        let r = access.run(["stat", "-c", "%s", path], timeout: 10)
        guard r.status == 0 else { return nil }
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// What the log gained since `mark` (its last 64 KiB of it), or nil when unreadable.
    package func excerpt(since mark: Int) -> HostLogExcerpt? {
        let r = access.run(["tail", "-c", "+\(mark + 1)", path], timeout: 15)
        guard r.status == 0 else { return nil }
        var text = r.stdout.utf8.count > Self.maxExcerptBytes ? String(r.stdout.suffix(Self.maxExcerptBytes)) : r.stdout
        // libxl: "bootloader failed - consult logfile /var/log/xen/bootloader.7.log": pygrub's
        // own words are there, and they decide whether it got to read the image.
        if let range = text.range(of: #"consult logfile (/var/log/xen/bootloader\.[0-9]+\.log)"#, options: .regularExpression) {
            let logPath = String(text[range].split(separator: " ").last ?? "")
            let b = access.run(["tail", "-c", "16384", logPath], timeout: 10)
            if b.status == 0 { text += "\n" + b.stdout }
        }
        return HostLogExcerpt(path: path, text: text)
    }
}

/// The lines a host log gained while one create ran, for the report and the refusal table.
package struct HostLogExcerpt: Sendable, Equatable {
    package var path: String
    package var text: String

    /// The log's lines that match a table row (at most 4), as " — host log PATH: …".
    package func quote(for table: [RefusalTable.Row]) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            .filter { line in table.contains { line.contains($0.words) } }
        let picked = (lines.isEmpty ? Array(text.split(whereSeparator: \.isNewline).suffix(2).map(String.init)) : Array(lines.prefix(4)))
            .map { UntrustedText.visible(String($0), limit: 300) }
        guard !picked.isEmpty else { return "" }
        return " — \(path): " + picked.joined(separator: " | ")
    }
}
