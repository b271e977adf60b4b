import CanaryClassify
import CanaryEvidence
import Libvirt

/// libvirt's STOPPED/CRASHED details as the classifier's stop reasons.
enum StopReasonMapping {
    static func reason(_ event: LifecycleEvent) -> DomainStopReason {
        if event.kind == .crashed { return .crashed }
        switch event.detail {
        case 0: return .shutdown   // VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN
        case 1: return .destroyed  // VIR_DOMAIN_EVENT_STOPPED_DESTROYED
        case 2: return .crashed    // VIR_DOMAIN_EVENT_STOPPED_CRASHED
        default: return .other
        }
    }
}

/// Tells a refusal that is evidence about the guest image (the failing step read its kernel or
/// bootloader config) from everything else: a definition the hypervisor does not support, a
/// file it cannot open, a lost daemon. Only the first is a `start_failure`; the rest are
/// infrastructure errors in the hypervisor's own words (`RefusalTable`).
enum StartFailureKind {
    /// libvirt's RPC layer's words for a peer that is gone.
    static let lostConnectionWords = ["End of file while reading data", "client socket is closed", "Cannot recv data",
                                      "Cannot write data"]

    /// What the refusal means. `kernelFromImage`: the domain's kernel came from the guest image
    /// (pygrub, image kinds), so a kernel the hypervisor rejects is the image's.
    /// `hostLog`: new lines of the hypervisor's own log since the create began (libxl writes
    /// the reason there and tells libvirt only "libxenlight failed to create new domain").
    static func ending(for error: LibvirtError, uri: String, connectionAlive: Bool = true,
                       kernelFromImage: Bool, hostLog: HostLogExcerpt? = nil) -> BootEnding {
        // The daemon went away under the create call (dom0's libvirtd crashed in the Xen lab
        // this way): nothing about the guest was learnt.
        if !connectionAlive || Self.lostConnectionWords.contains(where: error.message.contains) {
            return .infrastructureError("the connection to libvirt was lost while creating the test domain: \(error.message)")
        }
        let logText = hostLog?.text ?? ""
        let quoted = hostLog.map { $0.quote(for: RefusalTable.pygrub + RefusalTable.hypervisor) } ?? ""
        switch error.code {
        case .xmlError, .xmlDetail, .configUnsupported, .invalidArg, .operationDenied, .noConnect, .rpc,
             .authFailed, .authUnavailable, .noSupport, .argumentUnsupported:
            return .infrastructureError("libvirt refused the test domain bootcanary defined: \(error.message) (\(error.function))\(quoted); not evidence about the image or the host")
        default:
            break
        }
        let row = RefusalTable.explain(error.message + "\n" + logText)
        switch row?.blame {
        case .imageContent? where kernelFromImage:
            return .startFailure(error.message + quoted)
        case .imageContent?:
            return .infrastructureError("the hypervisor rejected the kernel bootcanary supplied, which did not come from the guest image (\(row!.because)): \(error.message)\(quoted)")
        case .unsupportedConfiguration?:
            return .infrastructureError("the hypervisor refused the test domain bootcanary defined (\(row!.because)): \(error.message)\(quoted); not evidence about the image or the host")
        case .tooling?:
            return .infrastructureError("the host could not start the test domain (\(row!.because)): \(error.message)\(quoted)")
        case nil:
            let unread = hostLog == nil && uri.hasPrefix("xen")
                ? "; libxl writes the reason to /var/log/libvirt/libxl/libxl-driver.log on the host, which bootcanary could not read: give --host-exec CMD or use a xen+ssh:// URI"
                : ""
            return .infrastructureError("the hypervisor did not start the test domain: \(error.message)\(quoted); nothing shows that the image was read, so this is not counted as evidence\(unread)")
        }
    }
}
