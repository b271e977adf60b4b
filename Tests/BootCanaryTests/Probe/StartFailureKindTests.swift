import Libvirt
import Testing
@testable import BootCanary

/// A create call that fails tells something about the guest or the host — unless the tool
/// asked wrongly or the daemon went away, which say nothing about either.
@Suite struct StartFailureKindTests {
    /// The words the Xen lab's dom0 libvirtd left when it crashed under two concurrent creates.
    @Test(arguments: ["End of file while reading data: Input/output error", "internal error: client socket is closed"])
    func lostDaemonIsAnInfrastructureError(_ message: String) {
        let error = LibvirtError(code: .systemError, message: message, function: "virDomainCreateXML")
        guard case .infrastructureError(let why) = StartFailureKind.ending(for: error, uri: "xen+tcp://127.0.0.1:16510/system") else {
            Issue.record("judged as guest evidence: \(message)"); return
        }
        #expect(why.contains("connection to libvirt was lost"))
    }

    /// The same refusal on a dead connection is not evidence either.
    @Test func deadConnectionOverridesTheMessage() {
        let error = LibvirtError(code: .internalError, message: "internal error: libxenlight failed to create new domain 'x'", function: "virDomainCreateXML")
        guard case .startFailure = StartFailureKind.ending(for: error, uri: "xen:///system") else { Issue.record("a live refusal lost"); return }
        guard case .infrastructureError = StartFailureKind.ending(for: error, uri: "xen:///system", connectionAlive: false) else {
            Issue.record("a refusal on a dead connection judged as evidence"); return
        }
    }
}
