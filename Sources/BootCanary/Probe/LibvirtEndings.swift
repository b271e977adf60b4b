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

/// Tells a guest the hypervisor refused (evidence about the guest or host) from a request the
/// tool got wrong (nothing to judge).
enum StartFailureKind {
    /// libvirt's RPC layer's words for a peer that is gone.
    static let lostConnectionWords = ["End of file while reading data", "client socket is closed", "Cannot recv data",
                                      "Cannot write data"]

    static func ending(for error: LibvirtError, uri: String, connectionAlive: Bool = true) -> BootEnding {
        // The daemon went away under the create call (dom0's libvirtd crashed in the Xen lab
        // this way): nothing about the guest was learnt.
        if !connectionAlive || Self.lostConnectionWords.contains(where: error.message.contains) {
            return .infrastructureError("the connection to libvirt was lost while creating the test domain: \(error.message)")
        }
        switch error.code {
        case .xmlError, .xmlDetail, .configUnsupported, .invalidArg, .operationDenied, .noConnect, .rpc,
             .authFailed, .authUnavailable, .noSupport, .argumentUnsupported:
            return .infrastructureError("libvirt refused the test domain: \(error.message) (\(error.function))")
        default:
            if error.message.contains("Permission denied") {
                return .infrastructureError("the hypervisor cannot read a file the test domain needs: \(error.message). libvirt's QEMU runs as an unprivileged user: put the file where it can be read (e.g. /var/lib/libvirt/boot) or make it readable")
            }
            if error.message.contains("Cannot access storage file") || error.message.contains("No such file or directory") {
                return .infrastructureError("the host cannot find a file the test domain needs: \(error.message)")
            }
            return .startFailure(error.message)
        }
    }
}
