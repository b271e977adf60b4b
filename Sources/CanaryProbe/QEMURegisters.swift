import CanaryHostFacts
import CanaryModel
import Foundation
import Libvirt

/// Each vCPU's registers through the QEMU monitor, and the handler of vector 0 from its IDT,
/// which is what tells where KASLR put the kernel (`SystemMap.slide`).
///
/// Measured on the QEMU lab (Debian 6.1 cloud kernel, direct kernel boot): `info registers -a`
/// gives `IDT= fffffe0000000000 00000fff`; `x /2gx 0xfffffe0000000000` gives the gate whose
/// handler was 0xffffffffaf600990, asm_exc_divide_error plus the boot's KASLR slide.
enum QEMURegisters {
    @available(*, noasync)
    static func read(_ domain: Domain) -> (tools: [HostToolRun], locations: [VCPULocation]) {
        var tools: [HostToolRun] = []
        func ask(_ name: String, _ command: String) -> String? {
            let started = Date()
            do {
                let answer = try domain.qemuMonitorCommand(command)
                tools.append(HostToolRun(name: name, command: ["virsh", "qemu-monitor-command", "--hmp", domain.name, command],
                                         exitStatus: 0, seconds: Date().timeIntervalSince(started), problem: nil, output: answer))
                return answer
            } catch {
                tools.append(HostToolRun(name: name, command: ["virsh", "qemu-monitor-command", "--hmp", domain.name, command],
                                         exitStatus: nil, seconds: Date().timeIntervalSince(started),
                                         problem: "the QEMU monitor did not answer: \(error.message)", output: ""))
                return nil
            }
        }
        guard let registers = ask("qemu monitor: info registers -a", "info registers -a") else { return (tools, []) }
        var locations: [VCPULocation] = []
        for (location, idt) in InstructionPointers.fromQEMUMonitor(registers) {
            var l = location
            if let idt, idt != 0,
               let gate = ask("qemu monitor: IDT gate 0 of vCPU\(l.vcpu)", "x /2gx 0x\(String(idt, radix: 16))") {
                l.divideErrorHandler = InstructionPointers.gateHandler(fromMonitorDump: gate)
            }
            locations.append(l)
        }
        return (tools, locations)
    }
}
