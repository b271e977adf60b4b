import Libvirt

/// Destroys a test domain and says whether it is known to be gone, so its ledger line is
/// marked removed only then.
///
/// Why: a daemon that stops answering mid-create (measured on the Xen lab: dom0's libvirtd
/// frozen, the client's keepalive closed the connection after ~16 s) may still finish the
/// create, and libxl has no auto-destroy. Marking the line removed because our call failed
/// left a paused `bootcanary-…-pygrub-1` on the host with no ledger line for `cleanup` to find.
enum DomainRemoval {
    /// Destroyed now, or already absent (`noDomain`, or not running: a transient domain that
    /// stopped is gone). Any other failure, a lost connection above all, proves nothing.
    static func destroyConfirmingGone(name: String, on connection: Connection) -> Bool {
        let domain: Domain
        do {
            domain = try connection.domain(named: name)
        } catch {
            return error.code == .noDomain && connection.isAlive
        }
        return destroyConfirmingGone(domain)
    }

    static func destroyConfirmingGone(_ domain: Domain) -> Bool {
        do {
            _ = try domain.destroy()
            return true
        } catch {
            return error.code == .noDomain || error.code == .operationInvalid
        }
    }

    /// Appended to an ending when the domain may remain: the ledger keeps it for `cleanup`.
    static func mayRemainAdvice(name: String, uri: String) -> String {
        "; the test domain \(name) may still exist on the host: run `bootcanary cleanup -c \(uri)` once libvirtd answers"
    }
}
