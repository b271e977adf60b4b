import Foundation

/// libxl as `xl` sees it, through the host access: the hypervisor's own list of domains,
/// which outlives libvirtd's view of them.
///
/// Why: after dom0's libvirtd restarts, domains libxl created while it crashed still exist
/// (`xl list` shows them paused) but libvirt answers "no such domain" (measured on the Xen lab,
/// LAB-NOTES.md). A ledger line closed on libvirt's word left such a domain for good. And a
/// create stuck in pygrub holds libvirt's state-change lock ("cannot acquire state change lock
/// (held by monitor=remoteDispatchDomainCreateXML)"), so only libxl can remove that domain.
package struct XenToolstack: Sendable {
    var access: HostAccess

    package init(access: HostAccess) { self.access = access }

    /// The domain's id, nil when libxl has no such domain; throws when `xl` could not be asked.
    package func domid(_ name: String) throws -> Int? {
        let r = access.run(["xl", "domid", name], timeout: 30)
        if r.status == 0, let id = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) { return id }
        // xl 4.17 for a name it does not know: "Can't get domid of domain name 'NAME', maybe
        // this domain does not exist." (measured on the Xen lab); older xl: "'NAME' is an
        // invalid domain identifier".
        let said = r.stderr + r.stdout
        if said.contains("maybe this domain does not exist") || said.contains("invalid domain identifier") { return nil }
        throw Unreachable(detail: r.timedOut ? "xl domid timed out" : (r.stderr.split(whereSeparator: \.isNewline).last.map(String.init) ?? "xl exited \(r.status)"))
    }

    /// Destroys the domain by id. First ends a bootloader (pygrub) that libxl runs for it:
    /// one that hangs keeps the create, and libvirt's lock, forever (killing it ends the
    /// create, measured on the Xen lab). libxl names its output `bootloader.<domid>.out`.
    package func destroy(domid: Int) -> ExternalTool.Result {
        _ = access.run(["pkill", "-f", "/var/run/xen/bootloader.\(domid).out"], timeout: 15)
        return access.run(["xl", "destroy", String(domid)], timeout: 60)
    }

    struct Unreachable: Error, CustomStringConvertible {
        var detail: String
        var description: String { "could not ask libxl through the host access: \(detail)" }
    }
}
