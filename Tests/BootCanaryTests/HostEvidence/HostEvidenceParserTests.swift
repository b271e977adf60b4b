import Foundation
import Testing
@testable import CanaryHostFacts
@testable import CanaryModel

/// The host tools' outputs, parsed: `xl vcpu-list`, `xl info`, the QEMU monitor, an IDT gate,
/// System.map, and the new lines of a ring-buffer log.
@Suite struct HostEvidenceParserTests {
    static let header = "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)"
    static func list(_ rows: [String]) -> String { ([header] + rows).joined(separator: "\n") + "\n" }

    @Test func vcpuListRowsParse() {
        let rows = XlVcpuList.parse(Self.list([
            "Domain-0                             0     0    1   r--     213.5  all / all",
            "bootcanary-pv-1-a1b2c3               7     0    -   --p       0.0  all / all",
        ]))
        #expect(rows.count == 2)
        #expect(rows[0] == .init(domain: "Domain-0", domid: 0, vcpu: 0, pcpu: 1, state: "r--", cpuSeconds: 213.5))
        #expect(rows[1].pcpu == nil)
        #expect(rows[1].state == "--p")
    }

    static func reading(_ first: String, _ second: String, gained: Double, dom0: String = "-b-", pcpus: Int? = 2, others: Int = 0) -> VCPUScheduling {
        let busy = (0..<others).map { "busy\($0) \(10 + $0) 0 0 --- 1.0 all / all" }
        let a = list(["Domain-0 0 0 0 \(dom0) 100.0 all / all", "guest 5 0 1 \(first) 10.000 all / all"] + busy)
        let b = list(["Domain-0 0 0 0 \(dom0) 100.5 all / all", "guest 5 0 1 \(second) \(String(format: "%.3f", 10 + gained)) all / all"] + busy)
        return XlVcpuList.scheduling(domain: "guest", first: a, second: b, interval: 2, hostPCPUs: pcpus)!
    }

    /// A vCPU that wants to run and gets nothing while it has a pCPU to itself: the scheduler is not running it.
    @Test func runnableAndStarvedIsNotScheduled() {
        let s = Self.reading("---", "---", gained: 0)
        #expect(s.reading == .notScheduled)
        #expect(s.fairShare == 1)
        #expect(s.summary.contains("vCPU0 --- → ---, 0.000 s of CPU in 2.0 s; 1 vCPUs wanted 2 pCPUs (fair share 100 %)"))
    }

    /// An HVM guest's vCPU waiting for qemu-dm looks the same: not claimed as not scheduled
    /// (seen in CI: HVM direct-kernel boots after "Booting from ROM..." read host_fault).
    @Test func anHVMVCPUMayBeWaitingForItsDeviceModel() {
        var s = Self.reading("---", "---", gained: 0)
        s.deviceModel = true
        #expect(s.reading == .mixed)
        #expect(s.summary.contains("HVM"))
    }

    /// Its time still creeping forward (xl prints tenths: 0.1 s in 2 s, 5 %) is the same fault.
    @Test func aVCPUWhoseTimeCreepsIsStillNotScheduled() {
        #expect(Self.reading("---", "---", gained: 0.1).reading == .notScheduled)
        #expect(Self.reading("---", "---", gained: 0.2).reading == .mixed)
    }

    /// The Xen lab's capped guest (fixtures/host-evidence/xl-vcpu-list-capped-*.txt): dom0's
    /// two vCPUs always running (xl runs there), an uncapped guest beside it getting 2.7 s.
    @Test func theLabsCappedGuestIsNotScheduledBesideABusyDom0() throws {
        let s = try #require(XlVcpuList.scheduling(domain: "bootcanary-bad282-pygrub-1",
                                                    first: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-capped-1.txt"),
                                                    second: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-capped-2.txt"),
                                                    interval: 2.9, hostPCPUs: 2))
        #expect(s.competingVCPUs == 4)
        #expect(s.reading == .notScheduled)
        // The uncapped one is running its share.
        let other = try #require(XlVcpuList.scheduling(domain: "bootcanary-bad282-kernel-1",
                                                        first: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-capped-1.txt"),
                                                        second: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-capped-2.txt"),
                                                        interval: 2.9, hostPCPUs: 2))
        #expect(other.reading == .mixed)
    }

    /// Blocked is an idle guest waiting for an event; on a host overcommitted 21:1 a runnable
    /// vCPU getting 3 % is waiting its turn (fair share 5 %).
    @Test func blockedOrOvercommittedIsNotCalledNotScheduled() throws {
        #expect(Self.reading("-b-", "-b-", gained: 0).reading == .blocked)
        #expect(Self.reading("---", "---", gained: 0.06, pcpus: 1, others: 19).reading == .mixed)
        #expect(Self.reading("---", "---", gained: 0, pcpus: 1, others: 19).reading == .notScheduled)
        #expect(Self.reading("r--", "r--", gained: 1.9).reading == .running)
        #expect(Self.reading("--p", "--p", gained: 0).reading == .paused)
        let idle = try #require(XlVcpuList.scheduling(domain: "bootcanary-f03b09-kernel-1",
                                                       first: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-idle-1.txt"),
                                                       second: try HostEvidenceCaptureTests.fixture("xl-vcpu-list-idle-2.txt"),
                                                       interval: 3, hostPCPUs: 2))
        #expect(idle.reading == .blocked)
    }

    @Test func xlInfoGivesThePCPUCount() {
        #expect(XlVcpuList.hostPCPUs(xlInfo: "host                   : dom0\nrelease                : 6.1.0\nnr_cpus                : 2\nmax_cpu_id             : 1\n") == 2)
        #expect(XlVcpuList.hostPCPUs(xlInfo: "garbage") == nil)
    }

    /// An interrupt gate for handler 0xffffffffaf600990, selector 0x10, type 0x8e, as
    /// `x /2gx` prints the two quadwords.
    @Test func theGateHandlerIsReassembledFromItsThreePieces() {
        let dump = "fffffe0000000000: 0xaf608e0000100990 0x00000000ffffffff\n"
        #expect(InstructionPointers.gateHandler(fromMonitorDump: dump) == 0xffff_ffff_af60_0990)
        #expect(InstructionPointers.gateHandler(fromMonitorDump: "Cannot access memory") == nil)
    }

    static let map = """
    ffffffff81000000 T _text
    ffffffff81000000 T _stext
    ffffffff81a17a00 t native_safe_halt
    ffffffff81a17a20 t native_halt
    ffffffff81c00990 T asm_exc_divide_error
    ffffffff81e01ef2 T _etext
    ffffffff82000000 D some_data
    """

    @Test func systemMapNamesTheFunctionAndItsOffset() throws {
        let m = try SystemMap(text: Self.map)
        #expect(m.symbolize(0xffff_ffff_81a1_7a0e) == "native_safe_halt+0xe")
        #expect(m.symbolize(0xffff_ffff_81a1_7a20) == "native_halt+0x0")
        #expect(m.symbolize(0xffff_ffff_8200_0010) == nil)
        #expect(m.symbolize(0x7f00_0000_1000) == nil)
    }

    /// The slide is what the IDT's vector-0 handler is above asm_exc_divide_error, in whole 2 MiB steps.
    @Test func theKASLRSlideComesFromTheIDT() throws {
        let m = try SystemMap(text: Self.map)
        #expect(m.slide(divideErrorHandlerAt: 0xffff_ffff_af60_0990) == 0x2da0_0000)
        #expect(m.slide(divideErrorHandlerAt: 0xffff_ffff_af60_0991) == nil)
        let l = VCPULocation(vcpu: 0, instructionPointer: "ffffffffaf417a0e", source: "qemu monitor", divideErrorHandler: 0xffff_ffff_af60_0990)
        let named = m.symbolize(l, assumeNoSlide: false)
        #expect(named.symbol == "native_safe_halt+0xe")
        #expect(named.note?.contains("KASLR offset 0x2da00000") == true)
        // Without an IDT, an HVM guest's address is not guessed at.
        let unknown = m.symbolize(VCPULocation(vcpu: 0, instructionPointer: "ffffffff81a17a0e", source: "xenctx"), assumeNoSlide: false)
        #expect(unknown.symbol == nil)
        #expect(unknown.note?.contains("KASLR") == true)
        #expect(m.symbolize(VCPULocation(vcpu: 0, instructionPointer: "ffffffff81a17a0e", source: "xenctx"), assumeNoSlide: true).symbol == "native_safe_halt+0xe")
    }

    @Test func debiansStubMapIsRefusedByName() {
        #expect(throws: SystemMap.Problem.stub) {
            try SystemMap(text: "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n")
        }
        #expect(throws: SystemMap.Problem.noText) { try SystemMap(text: "not a map\n") }
    }

    @Test func newLogLinesFollowTheLastLineReadBefore() {
        let before = "(XEN) a\n(XEN) b\n"
        #expect(HostLogLines.added(before: before, after: "(XEN) a\n(XEN) b\n(XEN) c\n").lines == ["(XEN) c"])
        #expect(HostLogLines.added(before: before, after: before).lines.isEmpty)
        // A repeated line after the old end is news, not the old end.
        #expect(HostLogLines.added(before: "(XEN) a\n(XEN) Runqueue 0:\n", after: "(XEN) a\n(XEN) Runqueue 0:\n(XEN) q\n(XEN) Runqueue 0:\n(XEN) r\n").lines
                == ["(XEN) q", "(XEN) Runqueue 0:", "(XEN) r"])
        // Wrapped: the first read's tail is found inside the second.
        #expect(HostLogLines.added(before: "(XEN) 0\n(XEN) a\n(XEN) b\n", after: "(XEN) a\n(XEN) b\n(XEN) c\n").lines == ["(XEN) c"])
        let wrapped = HostLogLines.added(before: before, after: "(XEN) x\n(XEN) y\n")
        #expect(wrapped.wrapped)
        #expect(wrapped.lines == ["(XEN) x", "(XEN) y"])
    }

    /// A guest crashing is what a broken guest kernel makes Xen log; an assertion is Xen's own.
    @Test func findingsSayWhetherTheyPointAtTheHost() {
        let f = HostFindingTable.findings(in: [
            "(XEN) Domain 3 (vcpu#0) crashed on cpu#1:",
            "(XEN) Assertion 'v->is_running' failed at arch/x86/domain.c:2012",
            "(XEN) d3v0 Triple fault - invoking HVM shutdown action 1",
            "(XEN) printk: 2 messages suppressed.",
        ])
        #expect(f.map(\.detail) == ["the hypervisor crashed a domain", "a hypervisor assertion failed", "a guest vCPU triple-faulted"])
        #expect(f.map(\.pointsAtHost) == [false, true, false])
        #expect(HostFindingTable.findings(in: ["kvm: emulation failure", "[ 1.0] kvm_intel: VMX not supported"]).map(\.kind) == [.kvmError])
    }
}

/// Real outputs from the labs (fixtures/host-evidence/README.md says where each came from).
@Suite struct HostEvidenceCaptureTests {
    static func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: Fixtures.root.appendingPathComponent("fixtures/host-evidence/\(name)").path, encoding: .utf8)
    }

    /// The lab kernel's own map (lab/setup extracts it from linux-image-KVER-dbg), when present.
    static let labMap = "/var/cache/bootcanary-lab/kernel/System.map-6.1.0-57-cloud-amd64"

    /// xenctx of the Xen lab's PV guest idle in `rdinit=/bin/sleep`: vCPU0 in the hypercall
    /// that blocks it (xen_hypercall_pv+0x5 in the lab kernel's map).
    @Test func xenctxGivesTheInstructionPointer() throws {
        let l = try #require(InstructionPointers.fromXenctx(try Self.fixture("xenctx-pv-idle.txt"), vcpu: 0))
        #expect(l.instructionPointer == "ffffffff81a043a5")
        #expect(l.source == "xenctx")
        let map = try SystemMap(text: "ffffffff81000000 T _stext\nffffffff81a043a0 T xen_hypercall_pv\nffffffff81a043c0 T xen_hypercall_other\nffffffff81e01ef2 T _etext\n")
        #expect(map.symbolize(l, assumeNoSlide: true).symbol == "xen_hypercall_pv+0x5")
    }

    @Test func qemuMonitorRegistersAndTheIDTGateGiveTheSlide() throws {
        let regs = InstructionPointers.fromQEMUMonitor(try Self.fixture("qemu-info-registers-a.txt"))
        #expect(regs.count == 1)
        #expect(regs.first?.location.instructionPointer == "ffffffffa5c17a0b")
        #expect(regs.first?.idtBase == 0xffff_fe00_0000_0000)
        let handler = InstructionPointers.gateHandler(fromMonitorDump: try Self.fixture("qemu-idt-gate0.txt"))
        #expect(handler == 0xffff_ffff_a5e0_0990)
        // asm_exc_divide_error and native_safe_halt where the lab kernel's System.map has them.
        let map = try SystemMap(text: "ffffffff81000000 T _stext\nffffffff81a17a00 t native_safe_halt\nffffffff81a17a20 t native_halt\nffffffff81c00990 T asm_exc_divide_error\nffffffff81e01ef2 T _etext\n")
        var l = try #require(regs.first?.location)
        l.divideErrorHandler = handler
        #expect(map.symbolize(l, assumeNoSlide: false).symbol == "native_safe_halt+0xb")
    }

    @Test(.enabled(if: FileManager.default.isReadableFile(atPath: labMap)))
    func theLabKernelsRealMapNamesTheSameFunction() throws {
        let map = try SystemMap(text: String(contentsOfFile: Self.labMap, encoding: .utf8))
        #expect(map.slide(divideErrorHandlerAt: 0xffff_ffff_a5e0_0990) == 0x2420_0000)
        #expect(map.symbolize(0xffff_ffff_a5c1_7a0b, slide: 0x2420_0000) == "native_safe_halt+0xb")
    }
}
