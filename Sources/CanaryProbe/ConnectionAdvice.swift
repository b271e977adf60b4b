import Libvirt

/// Turns a libvirt failure into one line an operator can act on: what went wrong, in
/// libvirt's words, and the next step.
public enum ConnectionAdvice {
    public static func explain(_ error: LibvirtError, uri: String?) -> String {
        let target = uri ?? "libvirt's default URI"
        let m = error.message
        switch true {
        case m.contains("no connection driver available"):
            return "cannot connect to \(target): libvirt has no driver for it (\(m)). Use a URI such as xen:///system, xen+ssh://root@HOST/system or qemu:///system."
        case m.contains("Connection refused"), m.contains("Failed to connect socket"), m.contains("No such file or directory") && error.function == "virConnectOpenAuth":
            return "cannot connect to \(target): the libvirt daemon is not answering (\(m)). Start libvirtd on that host (lab/setup does it on the lab), or check the host name and port."
        case m.contains("Name or service not known"), m.contains("Could not resolve"), m.contains("unable to resolve"):
            return "cannot connect to \(target): the host name does not resolve (\(m)). Check the spelling, or use an IP address."
        case error.code == .authFailed, error.code == .authUnavailable, m.contains("Permission denied"):
            return "cannot connect to \(target): authentication failed (\(m)). Check the user, the ssh key (?keyfile=...) or run as root for a system URI."
        case error.function == "virConnectOpenAuth":
            return "cannot connect to \(target): \(m)."
        case error.code == .operationDenied:
            return "\(error.function) was refused: the connection is read-only (\(m)). Connect read-write to create test guests."
        case m.contains("Active console session exists"):
            return "the guest console is held by another client (\(m)). Close the other `virsh console`, or let bootcanary take it (the default)."
        default:
            return "\(error.function) failed: \(m)"
        }
    }
}
