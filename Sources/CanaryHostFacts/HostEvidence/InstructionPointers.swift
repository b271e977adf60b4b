import CanaryModel
import Foundation

/// Instruction pointers as the host's tools print them.
public enum InstructionPointers {
    /// xenctx (tools/misc/xenctx.c, print_ctx_64) prints one register per line for a 64-bit
    /// vCPU, `rip: ffffffff81001234` (then ` symbol+0x..` when given `-s`); a 32-bit one prints
    /// `eip: c1001234`.
    public static func fromXenctx(_ text: String, vcpu: Int) -> VCPULocation? {
        for line in text.split(whereSeparator: \.isNewline) {
            let t = line.trimmingCharacters(in: .whitespaces)
            for register in ["rip:", "eip:", "pc:"] where t.hasPrefix(register) {
                let value = t.dropFirst(register.count).split(separator: " ").first.map(String.init) ?? ""
                if UInt64(value, radix: 16) != nil {
                    return VCPULocation(vcpu: vcpu, instructionPointer: value, source: "xenctx")
                }
            }
        }
        return nil
    }

    /// QEMU's HMP `info registers -a`: a `CPU#N` header before each vCPU's dump, `RIP=…` (or
    /// `EIP=…`) in it, and `IDT=     fffffe0000000000 00000fff` (base, limit).
    public static func fromQEMUMonitor(_ text: String) -> [(location: VCPULocation, idtBase: UInt64?)] {
        var out: [(VCPULocation, UInt64?)] = []
        var vcpu = 0
        var rip: String?
        var idt: UInt64?
        func flush() {
            if let rip { out.append((VCPULocation(vcpu: vcpu, instructionPointer: rip, source: "qemu monitor"), idt)) }
            rip = nil; idt = nil
        }
        for line in text.split(whereSeparator: \.isNewline) {
            let t = String(line)
            if t.hasPrefix("CPU#"), let n = Int(t.dropFirst(4).prefix { $0.isNumber }) {
                flush()
                vcpu = n
            }
            for word in t.split(separator: " ") {
                if word.hasPrefix("RIP=") || word.hasPrefix("EIP=") { rip = String(word.dropFirst(4)) }
            }
            if t.hasPrefix("IDT=") {
                idt = t.dropFirst(4).split(separator: " ").first.flatMap { UInt64($0, radix: 16) }
            }
        }
        flush()
        return out
    }

    /// The handler address of an x86-64 interrupt gate, from the two quadwords QEMU's
    /// `x /2gx IDT_BASE` prints (`fffffe0000000000: 0x8e0000100010 0x00000000ffffffff`):
    /// offset bits 0-15 in the low word's bits 0-15, 16-31 in its bits 48-63, 32-63 in the
    /// high word (Intel SDM vol. 3, 6.14.1).
    public static func gateHandler(fromMonitorDump text: String) -> UInt64? {
        let words = text.split(whereSeparator: { $0 == " " || $0.isNewline }).compactMap { w -> UInt64? in
            guard w.hasPrefix("0x") else { return nil }
            return UInt64(w.dropFirst(2), radix: 16)
        }
        guard words.count >= 2 else { return nil }
        let low = words[0], high = words[1]
        return (low & 0xFFFF) | ((low >> 48) & 0xFFFF) << 16 | (high & 0xFFFF_FFFF) << 32
    }
}
