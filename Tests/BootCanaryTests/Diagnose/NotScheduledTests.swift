import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryHostFacts
@testable import CanaryModel

/// What the hypervisor says of a stalled boot's vCPUs changes what the stall means: runnable
/// and not scheduled while pCPUs idle is the host, whatever the vCPU time did; blocked is not.
@Suite struct NotScheduledTests {
    static func scheduling(_ state: String, gained: Double) -> VCPUScheduling {
        VCPUScheduling(vcpus: [.init(id: 0, states: [state, state], cpuSecondsGained: gained)], intervalSeconds: 2, hostPCPUs: 2, competingVCPUs: 3)
    }

    /// The image's kernel and a host kernel on the image's disk both stall after the same line
    /// (150 s of silence, vCPU time creeping: the watchdog calls it idle), the installer boots.
    static func boots(_ scheduling: VCPUScheduling?) throws -> [BootObservation] {
        var boots: [BootObservation] = []
        for kind in [ProbeKind.pygrub, .kernel] {
            for run in 1...2 {
                var b = try CorrelatorTests.boot("lab-healthy-rootdisk", kind, run: run)
                b.outcome = .stalled
                b.vcpu = .idle
                b.stallSeconds = 150
                b.title = nil
                b.lastLine = "[    2.9] virtio_blk virtio1: [vda] 262144 512-byte logical blocks"
                b.record.live.hostEvidence = DomainEvidence(domain: "d-\(kind)-\(run)", scheduling: scheduling)
                boots.append(b)
            }
        }
        boots += try [CorrelatorTests.boot("lab-healthy-initramfs", .installer, run: 1),
                      CorrelatorTests.boot("lab-healthy-initramfs", .installer, run: 2)]
        return boots
    }

    @Test func withoutTheHypervisorsWordTheSameStallBlamesTheImage() throws {
        let d = Correlator.diagnose(try Self.boots(nil), context: CorrelatorTests.context)
        #expect(d.verdict == .imageFault)
    }

    @Test func vcpusRunnableButNotScheduledMakeItTheHost() throws {
        let d = Correlator.diagnose(try Self.boots(Self.scheduling("---", gained: 0.1)), context: CorrelatorTests.context)
        #expect(d.verdict == .hostFault)
        #expect(d.rule == "host-wide-fault")
        #expect(d.evidence.contains { $0.reason.contains("vCPUs runnable but not scheduled") })
    }

    /// The hypervisor named where each stalled vCPU was: different functions go into the summary.
    @Test func theFunctionsTheVCPUsStoppedInAreNamed() throws {
        var boots = try Self.boots(Self.scheduling("---", gained: 0))
        for (i, function) in ["get_page_from_freelist+0x6e9", "mfn_to_pfn+0x5c", "__run_timers+0x22a", "mfn_to_pfn+0x60"].enumerated() {
            boots[i].record.live.hostEvidence?.locations = [VCPULocation(vcpu: 0, instructionPointer: "ffffffff81000000", symbol: function, source: "xenctx")]
        }
        let d = Correlator.diagnose(boots, context: CorrelatorTests.context)
        #expect(d.verdict == .hostFault)
        #expect(d.summary.contains("their vCPUs stopped in 3 different functions (__run_timers, get_page_from_freelist, mfn_to_pfn)"))
        #expect(d.evidence.first?.reason.contains("vCPU0 in get_page_from_freelist+0x6e9") == true)
    }

    @Test func blockedVCPUsLeaveTheImageVerdict() throws {
        let d = Correlator.diagnose(try Self.boots(Self.scheduling("-b-", gained: 0)), context: CorrelatorTests.context)
        #expect(d.verdict == .imageFault)
    }

    /// A hypervisor assertion during the run is a host sign for failing independent kernels;
    /// a crashed guest domain is not.
    @Test func hypervisorErrorsDuringTheRunCountAsHostSigns() throws {
        var boots = try Self.boots(nil)
        // The installer fails too, at the same line: without host signs nothing says "host".
        for i in boots.indices where boots[i].kind == .installer {
            boots[i].outcome = .stalled
            boots[i].vcpu = .idle
            boots[i].stallSeconds = 150
            boots[i].title = nil
            boots[i].lastLine = boots[0].lastLine
        }
        var context = CorrelatorTests.context
        context.hostFindings = HostFindingTable.findings(in: ["(XEN) Domain 3 (vcpu#0) crashed on cpu#1:"])
        #expect(Correlator.diagnose(boots, context: context).verdict != .hostFault)
        context.hostFindings = HostFindingTable.findings(in: ["(XEN) Assertion 'v->is_running' failed at arch/x86/domain.c:2012"])
        let d = Correlator.diagnose(boots, context: context)
        #expect(d.verdict == .hostFault)
        #expect(d.summary.contains("the host logged a hypervisor assertion failed"))
    }
}

/// "Silent right after the hypervisor was detected" is a host-side sign only when the silence
/// does follow the detection.
@Suite struct HypervisorSilenceSignTests {
    static func stalled(linesAfter: Int) throws -> BootObservation {
        var b = try CorrelatorTests.boot("lab-healthy-rootdisk", .kernel, run: 1)
        b.outcome = .stalled
        let seen = MilestoneSighting(milestone: .hypervisorCore, line: 3, seconds: 1, kernelSeconds: nil, text: "Booting paravirtualized kernel on Xen")
        b.record.result.milestones = [seen]
        b.record.result.lastMilestone = .hypervisorCore
        b.record.result.lastLineNumber = 3 + linesAfter
        return b
    }

    @Test func aStallLinesLaterIsNotRightAfterTheHypervisor() throws {
        #expect(try Self.stalled(linesAfter: 2).hostSideSign?.hasPrefix("silent right after the hypervisor") == true)
        // The Xen lab's capped guest: 170 lines later, at "Asymmetric key parser 'x509' registered".
        #expect(try Self.stalled(linesAfter: 170).hostSideSign == nil)
    }
}
