import CanaryClassify
import Libvirt
import Testing
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryProbe

/// A create call that fails counts against the image only when the failing step read the
/// image's content; a refusal of bootcanary's definition, a host-side failure, a lost daemon or
/// an unexplained refusal is an infrastructure error.
@Suite struct StartFailureKindTests {
    static let genericLibxl = "internal error: libxenlight failed to create new domain 'bootcanary-3f0db6-pygrub-1'"

    static func libvirtError(_ message: String, code: LibvirtError.Code = .internalError) -> LibvirtError {
        LibvirtError(code: code, message: message, function: "virDomainCreateXML")
    }

    /// The words the Xen lab's dom0 libvirtd left when it crashed under two concurrent creates.
    @Test(arguments: ["End of file while reading data: Input/output error", "internal error: client socket is closed"])
    func lostDaemonIsAnInfrastructureError(_ message: String) {
        let ending = StartFailureKind.ending(for: Self.libvirtError(message, code: .systemError),
                                            uri: "xen+tcp://127.0.0.1:16510/system", kernelFromImage: true)
        guard case .infrastructureError(let why) = ending else { Issue.record("judged as guest evidence: \(message)"); return }
        #expect(why.contains("connection to libvirt was lost"))
    }

    /// libvirt's own words alone ("libxenlight failed to create new domain") say nothing about
    /// what was read: without libxl's log it is not evidence, and the message says where the
    /// reason is and how to let bootcanary read it.
    @Test func genericLibxlRefusalWithoutTheLogIsNotEvidence() {
        guard case .infrastructureError(let why) = StartFailureKind.ending(for: Self.libvirtError(Self.genericLibxl), uri: "xen:///system",
                                                                          kernelFromImage: true) else {
            Issue.record("an unexplained refusal judged as image evidence"); return
        }
        #expect(why.contains("libxl-driver.log"))
        #expect(why.contains("--host-exec"))
    }

    /// The same refusal with libxl's log showing it rejected the kernel pygrub took from the
    /// image: a start failure, quoting the log.
    @Test func libxlLogNamingTheImagesKernelIsEvidence() {
        let log = HostLogExcerpt(path: HypervisorLog.libxlDriverLog, text: """
            2026-12-01 11:02:03.123+0000: libxl: libxl_dom.c:123: something routine
            xc: error: panic: xg_dom_bzimageloader.c:769: xc_dom_probe_bzimage_kernel unable to LZ4 decompress kernel: Invalid kernel
            """)
        let ending = StartFailureKind.ending(for: Self.libvirtError(Self.genericLibxl), uri: "xen+tcp://h/system",
                                            kernelFromImage: true, hostLog: log)
        guard case .startFailure(let message) = ending else { Issue.record("libxl's kernel rejection lost: \(ending)"); return }
        #expect(message.contains("unable to LZ4 decompress kernel"))
        #expect(!message.contains("something routine"), "only the lines that explain the refusal are quoted")
        // A kernel bootcanary supplied (host kernel, installer) is not the image's.
        guard case .infrastructureError(let why) = StartFailureKind.ending(for: Self.libvirtError(Self.genericLibxl), uri: "xen:///system",
                                                                          kernelFromImage: false, hostLog: log) else {
            Issue.record("a supplied kernel's rejection blamed on the image"); return
        }
        #expect(why.contains("did not come from the guest image"))
    }

    /// A firmware boot of the image's own bootloader: what libxl loads at create is the host's
    /// firmware (pvgrub2 for PVH, hvmloader for HVM), so a loader's rejection there says
    /// nothing about the image, although the kind is the image's own.
    @Test(arguments: [DomainSpec.Boot.pvFirmware(path: BootSettings.defaultPVHFirmware), .firmware])
    func firmwareRejectedAtCreateIsNotTheImages(_ boot: DomainSpec.Boot) {
        let log = HostLogExcerpt(path: HypervisorLog.libxlDriverLog, text: """
            xc: error: panic: xg_dom_core.c:689: xc_dom_find_loader: no loader found: Invalid kernel
            """)
        #expect(ProbeKind.pygrub.dependsOnImage)
        let ending = StartFailureKind.ending(for: Self.libvirtError(Self.genericLibxl), uri: "xen:///system",
                                            kernelFromImage: ProbeKind.pygrub.dependsOnImage && boot.loadsTheImagesKernelAtCreate,
                                            hostLog: log)
        guard case .infrastructureError(let why) = ending else { Issue.record("the host's firmware blamed on the image: \(ending)"); return }
        #expect(why.contains("no loader found"))
        // pygrub inside the create does read the image's kernel.
        #expect(DomainSpec.Boot.bootloader(path: "pygrub", args: nil).loadsTheImagesKernelAtCreate)
    }

    /// Seen on the Xen lab with an HVM probe: libxl refuses bootcanary's read-only IDE disk.
    @Test func readOnlyIDERefusalIsBootcanarysDefinition() {
        let log = HostLogExcerpt(path: HypervisorLog.libxlDriverLog, text: """
            libxl: error: libxl_dm.c:2012:libxl__build_device_model_args_new: qemu-xen doesn't support read-only IDE disk drivers
            libxl: error: libxl_dm.c:2736:device_model_spawn_outcome: (null): device model did not start: -6
            """)
        guard case .infrastructureError(let why) = StartFailureKind.ending(for: Self.libvirtError(Self.genericLibxl), uri: "xen:///system",
                                                                          kernelFromImage: true, hostLog: log) else {
            Issue.record("a refusal of bootcanary's own definition judged as image evidence"); return
        }
        #expect(why.contains("read-only IDE"))
        #expect(why.contains("not evidence"))
    }

    /// Every row of the table that does not read the image keeps the image out of it, even
    /// when the kernel came from the image; every row that does read it blames the image.
    @Test(arguments: RefusalTable.hypervisor.map(\.words))
    func everyTableRowHasItsBlame(_ words: String) throws {
        let row = try #require(RefusalTable.hypervisor.first { $0.words == words })
        let ending = StartFailureKind.ending(for: Self.libvirtError("internal error: \(words) here"), uri: "qemu:///system",
                                            kernelFromImage: true)
        switch (row.blame, ending) {
        case (.imageContent, .startFailure): break
        case (.unsupportedConfiguration, .infrastructureError), (.tooling, .infrastructureError): break
        default: Issue.record("\(words): blame \(row.blame) became \(ending)")
        }
    }

    /// Config-refusal error codes are bootcanary's definition whatever their text.
    @Test func schemaRefusalIsAnInfrastructureError() {
        guard case .infrastructureError(let why) = StartFailureKind.ending(
            for: Self.libvirtError("XML error: Invalid kernel path", code: .xmlError), uri: "qemu:///system", kernelFromImage: true) else {
            Issue.record("an XML refusal judged as evidence"); return
        }
        #expect(why.contains("refused the test domain bootcanary defined"))
    }

    /// pygrub's words: the ones that come from reading the image, and the ones from our side.
    @Test func pygrubFailuresAreBlamedOnlyWhenItReadTheImage() {
        #expect(RefusalTable.pygrubReadTheImage("Traceback ...\nRuntimeError: Unable to find partition containing kernel"))
        #expect(RefusalTable.pygrubReadTheImage("RuntimeError: couldn't find bootloader config file in the image provided."))
        #expect(!RefusalTable.pygrubReadTheImage("PermissionError: [Errno 13] Permission denied: '/device'"))
        #expect(!RefusalTable.pygrubReadTheImage("ModuleNotFoundError: No module named 'xenfsimage'"))
        // Both: a permission problem first makes the partition search's failure meaningless.
        #expect(!RefusalTable.pygrubReadTheImage("PermissionError: denied\nRuntimeError: Unable to find partition containing kernel"))
        #expect(!RefusalTable.pygrubReadTheImage("something nobody has seen before"))
    }
}

extension StartFailureKindTests {
    /// QEMU's "Permission denied" is explained as the hypervisor's user, with the advice, not
    /// as pygrub's (pygrub's own rows are read first).
    @Test func qemuPermissionDeniedGetsTheHypervisorsExplanation() {
        let ending = StartFailureKind.ending(for: Self.libvirtError("internal error: qemu unexpectedly closed the monitor: could not open kernel file '/root/k': Permission denied"),
                                            uri: "qemu:///system", kernelFromImage: false)
        guard case .infrastructureError(let why) = ending else { Issue.record("\(ending)"); return }
        #expect(why.contains("put the file where it can be read"))
        #expect(!why.contains("pygrub"))
    }
}
