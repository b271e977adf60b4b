import CanaryModel
import Foundation

/// A kernel's System.map (`nm -n vmlinux`: `ffffffff81000000 T _text`), to name the function
/// an instruction pointer is in.
///
/// Debian's linux-image packages ship a stub (`ffffffffffffffff B The real System.map is in the
/// linux-image-<version>-dbg package`, 83 bytes); the real one is in the -dbg package at
/// /usr/lib/debug/boot/System.map-VERSION. `SystemMap(text:)` refuses the stub by name.
public struct SystemMap: Sendable {
    struct Symbol: Sendable { var address: UInt64; var name: String }
    let text: [Symbol]
    public let textStart: UInt64
    public let textEnd: UInt64
    /// Symbols the KASLR offset is found by (the handler of vector 0).
    let divideErrorHandler: UInt64?

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case stub
        case noText
        public var description: String {
            switch self {
            case .stub: "it is Debian's stub (the real System.map is in the linux-image-VERSION-dbg package, /usr/lib/debug/boot/)"
            case .noText: "it names no kernel text (no _stext/_etext)"
            }
        }
    }

    public init(text map: String) throws(Problem) {
        if map.contains("The real System.map is in") { throw .stub }
        var symbols: [Symbol] = []
        var start: UInt64?, end: UInt64?, divide: UInt64?
        for line in map.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ", maxSplits: 2)
            guard f.count == 3, let address = UInt64(f[0], radix: 16), let type = f[1].first else { continue }
            let name = String(f[2])
            if name == "_stext" { start = address }
            if name == "_etext" { end = address }
            if name == "asm_exc_divide_error" || name == "divide_error" { divide = address }
            if "tTwW".contains(type) { symbols.append(Symbol(address: address, name: name)) }
        }
        guard let start, let end, start < end, !symbols.isEmpty else { throw .noText }
        text = symbols.sorted { $0.address < $1.address }
        textStart = start
        textEnd = end
        divideErrorHandler = divide
    }

    /// `name+0xOFFSET` for an address of kernel text, nil outside it. `slide` is what KASLR
    /// added to every address (0 without KASLR).
    public func symbolize(_ address: UInt64, slide: UInt64 = 0) -> String? {
        let unslid = address &- slide
        guard unslid >= textStart, unslid < textEnd else { return nil }
        var lo = 0, hi = text.count - 1
        guard text[0].address <= unslid else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if text[mid].address <= unslid { lo = mid } else { hi = mid - 1 }
        }
        let s = text[lo]
        return "\(s.name)+0x\(String(unslid - s.address, radix: 16))"
    }

    /// The KASLR slide given where the vCPU's IDT says vector 0's handler is; nil when the map
    /// has no such symbol or the difference is not a whole number of 2 MiB steps (the
    /// kernel's CONFIG_PHYSICAL_ALIGN on x86-64), which means the IDT was not the kernel's.
    public func slide(divideErrorHandlerAt handler: UInt64) -> UInt64? {
        guard let divideErrorHandler, handler >= divideErrorHandler else { return nil }
        let slide = handler - divideErrorHandler
        return slide % 0x20_0000 == 0 ? slide : nil
    }

    /// Fills in `location.symbol` (or says why not). `assumeNoSlide`: the guest type boots the
    /// kernel without its decompressor (Xen PV, PVH), so KASLR never moved it.
    public func symbolize(_ location: VCPULocation, assumeNoSlide: Bool) -> VCPULocation {
        var l = location
        guard let ip = UInt64(location.instructionPointer, radix: 16) else {
            l.note = "not an address"
            return l
        }
        var slide: UInt64 = 0
        if let handler = location.divideErrorHandler {
            guard let s = self.slide(divideErrorHandlerAt: handler) else {
                l.note = "the vCPU's IDT does not match this System.map (another kernel, or not yet the kernel's IDT)"
                return l
            }
            slide = s
        } else if !assumeNoSlide {
            l.note = "where KASLR put the kernel is unknown (no IDT to read), so the address is not symbolized"
            return l
        }
        if let name = symbolize(ip, slide: slide) {
            l.symbol = name
            l.note = slide == 0 ? nil : "KASLR offset 0x\(String(slide, radix: 16)), from the vCPU's IDT"
        } else {
            l.note = "outside the kernel's text (firmware, bootloader, decompressor or user space)"
        }
        return l
    }
}
