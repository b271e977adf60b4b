import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryHostFacts
@testable import CanaryModel

/// The diagnosis rules over boots made from real console logs in fixtures/transcripts/.
/// A boot's console comes from a fixture; what the Probe saw from outside (a frozen-vCPU
/// stall) is set the way the watchdog would have.
@Suite struct CorrelatorTests {
    static func boot(_ fixture: String, _ kind: ProbeKind, run: Int, disk: Bool? = nil, frozenAfter: Double? = nil,
                     host: BootHost = .suspect) throws -> BootObservation {
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path(fixture))
        var b = BootObservation(kind: kind, run: run, host: host, usesGuestDisk: disk ?? (kind != .installer), result: analysis.result)
        if let silence = frozenAfter {
            b.outcome = .stalled
            b.vcpu = .frozen
            b.stallSeconds = silence
        }
        return b
    }

    static let context = DiagnosisContext(
        hostname: "xen07",
        blastRadius: [RunningDomain(name: "web2", uuid: "u2", id: 3, state: "running", vcpus: 2, memoryMiB: 2048),
                      RunningDomain(name: "web3", uuid: "u3", id: 4, state: "running", vcpus: 2, memoryMiB: 2048)],
        availableKinds: [.pygrub, .kernel, .installer], maxRuns: 2)

    @Test func everyKindBootingIsHealthy() throws {
        let boots = try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1), Self.boot("lab-healthy-rootdisk", .pygrub, run: 2),
            Self.boot("lab-healthy-rootdisk", .kernel, run: 1), Self.boot("lab-healthy-rootdisk", .kernel, run: 2),
            Self.boot("lab-healthy-initramfs", .installer, run: 1), Self.boot("lab-healthy-initramfs", .installer, run: 2),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .healthy)
        #expect(d.action == .none)
        #expect(d.exitStatus == .healthy)
        #expect(d.settled)
        #expect(d.confidence > 0.9)
        #expect(d.summary.contains("All 6 test boots"))
    }

    /// The wedged host of the story: independent kernels stall at different lines with vCPUs
    /// that get no time.
    @Test func frozenStallsAtVaryingPointsOnIndependentKernelsAreAHostFault() throws {
        let boots = try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1, frozenAfter: 15),
            Self.boot("lab-vfs-no-root", .kernel, run: 1, frozenAfter: 16),
            Self.boot("lab-healthy-initramfs", .installer, run: 1, frozenAfter: 15),
            Self.boot("lab-healthy-quiet", .installer, run: 2, frozenAfter: 17),
        ].map { b -> BootObservation in
            var b = b
            // Each froze somewhere else: cut the console at a different line.
            b.title = nil
            b.lastLine = "line \(b.kind.rawValue)-\(b.run)"
            return b
        }
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .hostFault)
        #expect(d.action == .rebootHost)
        #expect(d.exitStatus == .critical)
        #expect(d.summary.contains("rebooting interrupts web2 and web3; migrate them first if you can"))
        #expect(d.summary.contains("frozen vCPUs"))
        #expect(d.evidence.count == 4)
        #expect(d.evidence.allSatisfy { $0.reason.contains("vCPUs frozen") })
        #expect(d.rule == "host-wide-fault")
        #expect(d.blastRadius.map(\.name) == ["web2", "web3"])
    }

    @Test func brokenKernelInTheImageWithHostKernelBootingTheDisk() throws {
        let boots = try [
            Self.boot("lab-decompressor-corrupt", .pygrub, run: 1), Self.boot("lab-decompressor-corrupt", .pygrub, run: 2),
            Self.boot("lab-healthy-rootdisk", .kernel, run: 1), Self.boot("lab-healthy-rootdisk", .kernel, run: 2),
            Self.boot("lab-healthy-initramfs", .installer, run: 1),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .guestKernelFault)
        #expect(d.action == .reinstallGuestKernel)
        #expect(d.settled)
        #expect(!d.summary.contains("rebooting"))
    }

    @Test func damagedFilesystemFailsEveryBootOfTheDisk() throws {
        let boots = try [
            Self.boot("lab-initramfs-mount-failed", .pygrub, run: 1), Self.boot("lab-initramfs-mount-failed", .pygrub, run: 2),
            Self.boot("lab-initramfs-mount-failed", .kernel, run: 1), Self.boot("lab-initramfs-mount-failed", .kernel, run: 2),
            Self.boot("lab-healthy-initramfs", .installer, run: 1),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .imageFault)
        #expect(d.action == .restoreImage)
        #expect(d.summary.contains("do not reboot the host"))
        #expect(d.settled)
    }

    /// pygrub cannot read the disk and the host kernel cannot mount it: different failure
    /// points, but all on the disk, and the installer boots. Not a host fault.
    @Test func differentFailuresThatAllTouchTheDiskAreNotAHostFault() throws {
        let boots = try [
            Self.boot("lab-pygrub-no-kernel", .pygrub, run: 1), Self.boot("lab-pygrub-no-kernel", .pygrub, run: 2),
            Self.boot("lab-initramfs-mount-failed", .kernel, run: 1), Self.boot("lab-initramfs-mount-failed", .kernel, run: 2),
            Self.boot("lab-healthy-initramfs", .installer, run: 1),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .imageFault)
    }

    @Test func passesAndFailuresOfTheSameKindAreIntermittent() throws {
        let boots = try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1), Self.boot("lab-healthy-rootdisk", .pygrub, run: 2, frozenAfter: 15),
            Self.boot("lab-healthy-rootdisk", .kernel, run: 1, frozenAfter: 15), Self.boot("lab-healthy-rootdisk", .kernel, run: 2),
            Self.boot("lab-healthy-initramfs", .installer, run: 1), Self.boot("lab-healthy-initramfs", .installer, run: 2, frozenAfter: 16),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .intermittent)
        #expect(d.exitStatus == .warning)
        #expect(d.summary.contains("frozen vCPUs"))
        #expect(!d.next.isEmpty)
    }

    @Test func everyKindFailingIdenticallyIsAPlatformRegression() throws {
        let boots = try [ProbeKind.pygrub, .kernel, .installer].flatMap { kind in
            try [1, 2].map { try Self.boot("lab-vfs-no-root", kind, run: $0) }
        }
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .platformRegression)
        #expect(d.action == .rollbackHypervisor)
    }

    @Test func oneKindFailingIsInconclusiveAndSaysWhatToAdd() throws {
        let boots = try [Self.boot("lab-decompressor-corrupt", .pygrub, run: 1), Self.boot("lab-decompressor-corrupt", .pygrub, run: 2)]
        let d = Correlator.diagnose(boots, context: DiagnosisContext(hostname: "h", availableKinds: [.pygrub]))
        #expect(d.verdict == .inconclusive)
        #expect(d.next.contains { $0.contains("--installer") })
        #expect(d.next.contains { $0.contains("--kernel") })
    }

    /// Infrastructure errors are never guest evidence: only they ran, so nothing is known.
    @Test func infrastructureErrorsAreNotEvidence() throws {
        let console = try BootConsole()
        let result = console.judge(.infrastructureError("the connection to libvirt was lost"), at: nil)
        let boots = [BootObservation(kind: .kernel, run: 1, usesGuestDisk: true, result: result),
                     BootObservation(kind: .installer, run: 1, usesGuestDisk: false, result: result)]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .inconclusive)
        #expect(d.summary.contains("connection to libvirt was lost"))
        #expect(d.exitStatus == .warning)
    }

    /// Infrastructure errors next to real boots do not change the verdict.
    @Test func infrastructureErrorsBesideHealthyBootsStayOutOfIt() throws {
        let console = try BootConsole()
        let infra = console.judge(.infrastructureError("cannot open the console"), at: nil)
        let boots = try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1), Self.boot("lab-healthy-rootdisk", .kernel, run: 1),
            Self.boot("lab-healthy-initramfs", .installer, run: 1),
            BootObservation(kind: .installer, run: 2, usesGuestDisk: false, result: infra),
        ]
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .healthy)
        #expect(d.reasoning.contains { $0.contains("not counted") })
    }

    /// The incident: the image copied to a second host failed there too — and that host's
    /// installer boots failed as well, so both hosts were sick, not the image.
    @Test func controlHostThatAlsoFailsItsInstallerMeansBothHostsAreSick() throws {
        var boots = try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1, frozenAfter: 15),
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 2, frozenAfter: 16),
        ]
        boots += try [
            Self.boot("lab-healthy-rootdisk", .pygrub, run: 1, frozenAfter: 15, host: .control),
            Self.boot("lab-healthy-initramfs", .installer, run: 1, frozenAfter: 15, host: .control),
        ]
        var ctx = Self.context
        ctx.hasControl = true
        // Only the image was booted on the suspect host: one kind cannot tell a wedged host
        // from a corrupt image there, whatever the control host shows, so the verdict waits
        // for an independent kernel on the suspect host and says which to add.
        let d = Correlator.diagnose(boots, context: ctx)
        #expect(d.verdict == .inconclusive, "\(d.verdict) \(d.rule): \(d.summary)")
        #expect(d.rule == "one-kind-only")
        #expect(d.next.contains { $0.contains("--installer") })
        // With the suspect host's installer failing too, both hosts are sick.
        let withInstaller = boots + [try Self.boot("lab-healthy-initramfs", .installer, run: 1, frozenAfter: 15)]
        let d2 = Correlator.diagnose(withInstaller.map { var b = $0; b.lastLine = "at \(b.label)"; return b }, context: ctx)
        #expect(d2.verdict == .hostFault)
    }

    @Test func controlHostBootingTheInstallerButNotTheImageBlamesTheImage() throws {
        let boots = try [
            Self.boot("lab-initramfs-mount-failed", .pygrub, run: 1), Self.boot("lab-initramfs-mount-failed", .pygrub, run: 2),
            Self.boot("lab-initramfs-mount-failed", .kernel, run: 1), Self.boot("lab-initramfs-mount-failed", .kernel, run: 2),
            Self.boot("lab-initramfs-mount-failed", .pygrub, run: 1, host: .control),
            Self.boot("lab-healthy-initramfs", .installer, run: 1, host: .control),
        ]
        var ctx = Self.context
        ctx.hasControl = true
        let d = Correlator.diagnose(boots, context: ctx)
        #expect(d.verdict == .imageFault)
        #expect(d.action == .restoreImage)
    }

    @Test func everyRuleWritesItsAnswerIntoTheAuditTrail() throws {
        let d = Correlator.diagnose(try [Self.boot("lab-healthy-rootdisk", .kernel, run: 1)], context: Self.context)
        #expect(d.reasoning.count >= DiagnosisRules.table.count)
        for rule in DiagnosisRules.table { #expect(d.reasoning.contains { $0.hasPrefix(rule.name + ":") }) }
    }
}

/// Frozen vCPUs are the hypervisor's doing: an image's boots that froze cannot earn an image
/// verdict when they froze at different points.
@Suite struct FrozenImageBootTests {
    /// Two pygrub boots frozen after the given last lines, two host-kernel boots at login.
    static func diagnose(frozenAt lines: [String]) throws -> Diagnosis {
        var boots = try [CorrelatorTests.boot("lab-healthy-rootdisk", .kernel, run: 1),
                         CorrelatorTests.boot("lab-healthy-rootdisk", .kernel, run: 2)]
        for (i, line) in lines.enumerated() {
            var b = try CorrelatorTests.boot("lab-healthy-rootdisk", .pygrub, run: i + 1, frozenAfter: 21)
            b.title = nil
            b.lastLine = line
            boots.append(b)
        }
        return Correlator.diagnose(boots, context: CorrelatorTests.context)
    }

    /// Measured on the QEMU lab (bench/history.sh sick, freezes 3-12 s after start): both
    /// pygrub boots froze at different lines, both host-kernel boots of the same disk reached
    /// login before their freeze came; the diagnosis said guest_kernel_fault.
    @Test func imageBootsFrozenAtDifferentPointsAreNotTheImage() throws {
        let d = try Self.diagnose(frozenAt: ["[    3.1] ACPI: button: Power Button [PWRF]", "[    5.7] EXT4-fs (vda): mounted filesystem"])
        #expect(d.verdict == .intermittent)
        #expect(d.action == .investigate)
        #expect(d.rule == "image-boots-frozen-at-varying-points")
        #expect(d.summary.contains("do not restore the image"))
    }

    /// The same boots freezing at one and the same line every time is what a guest kernel that
    /// halts there does (cli; hlt gets no CPU time either): the image verdict stands.
    @Test func imageBootsFrozenAtOnePointStillBlameTheGuestKernel() throws {
        let d = try Self.diagnose(frozenAt: Array(repeating: "[    3.1] ACPI: button: Power Button [PWRF]", count: 2))
        #expect(d.verdict == .guestKernelFault)
        #expect(d.rule == "broken-guest-kernel")
    }
}
