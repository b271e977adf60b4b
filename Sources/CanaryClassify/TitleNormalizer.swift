/// Makes a failure title stable across boots (syzkaller's `sanitizeTitle` and
/// `dynamicTitleReplacement`, pkg/report): the same failure in two boots must give equal
/// titles, whatever addresses, PIDs, CPU numbers, timings or line numbers it printed.
///
/// In order: control characters dropped and whitespace squeezed; `func+0x1a/0x40` becomes
/// `func`; `0x...` and bare hex words of 8+ digits become `ADDR`; `file.c:123` becomes
/// `file.c:LINE`; `CPU#3` becomes `CPU`; every other decimal number that does not continue a
/// word (so `ext4`, `x86_64`, `vda1` stay) becomes `NUM`; at most 120 characters.
public enum TitleNormalizer {
    public static let maxLength = 120

    public static func normalize(_ title: String) -> String {
        let b = Array(title.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        let n = b.count
        var i = 0
        func isWordByte(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c >= 0x80
        }
        func isLetterOrUnderscore(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c >= 0x80
        }
        func isHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func append(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
        while i < n {
            let c = b[i]
            // Control characters and runs of whitespace become one space.
            if c < 0x20 || c == 0x7F || c == 0x20 {
                if let last = out.last, last != 0x20 { out.append(0x20) }
                i += 1
                continue
            }
            let atWordStart = i == 0 || !isWordByte(b[i - 1])
            // func+0x1a/0x40 -> func
            if c == UInt8(ascii: "+"), i + 2 < n, b[i + 1] == UInt8(ascii: "0"), b[i + 2] == UInt8(ascii: "x"),
               let last = out.last, isWordByte(last) {
                var j = i + 3
                while j < n, isHex(b[j]) { j += 1 }
                if j < n, b[j] == UInt8(ascii: "/"), j + 2 < n, b[j + 1] == UInt8(ascii: "0"), b[j + 2] == UInt8(ascii: "x") {
                    j += 3
                    while j < n, isHex(b[j]) { j += 1 }
                }
                i = j
                continue
            }
            // 0x... -> ADDR
            if atWordStart, c == UInt8(ascii: "0"), i + 2 < n, b[i + 1] == UInt8(ascii: "x") || b[i + 1] == UInt8(ascii: "X"), isHex(b[i + 2]) {
                var j = i + 2
                while j < n, isHex(b[j]) { j += 1 }
                append("ADDR")
                i = j
                continue
            }
            // bare hex words of 8+ digits with at least one decimal digit -> ADDR
            if atWordStart, isHex(c) {
                var j = i
                var hasDigit = false
                while j < n, isHex(b[j]) { if isDigit(b[j]) { hasDigit = true }; j += 1 }
                if j - i >= 8, hasDigit, j == n || !isWordByte(b[j]) {
                    append("ADDR")
                    i = j
                    continue
                }
            }
            // CPU#3 -> CPU
            if c == UInt8(ascii: "#"), out.count >= 3, out.suffix(3) == Array("CPU".utf8), i + 1 < n, isDigit(b[i + 1]) {
                var j = i + 1
                while j < n, isDigit(b[j]) { j += 1 }
                i = j
                continue
            }
            // file.c:123 -> file.c:LINE
            if c == UInt8(ascii: ":"), i + 1 < n, isDigit(b[i + 1]), Self.endsWithSourceFile(out) {
                var j = i + 1
                while j < n, isDigit(b[j]) { j += 1 }
                append(":LINE")
                i = j
                continue
            }
            // other decimal numbers not continuing a word -> NUM
            if isDigit(c), i == 0 || !isLetterOrUnderscore(b[i - 1]) && !isDigit(b[i - 1]) {
                var j = i
                while j < n, isDigit(b[j]) { j += 1 }
                // 12.345 is one number
                if j + 1 < n, b[j] == UInt8(ascii: "."), isDigit(b[j + 1]) {
                    j += 1
                    while j < n, isDigit(b[j]) { j += 1 }
                }
                append("NUM")
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        while out.last == 0x20 { out.removeLast() }
        var s = String(decoding: out, as: UTF8.self)
        if s.count > maxLength { s = String(s.prefix(maxLength)) }
        return s
    }

    /// `...name.c` / `.h` / `.S` / `.rs` just before a `:`.
    private static func endsWithSourceFile(_ out: [UInt8]) -> Bool {
        for ext in [".c", ".h", ".S", ".rs", ".cc", ".go", ".py"] {
            let e = Array(ext.utf8)
            if out.count > e.count, out.suffix(e.count).elementsEqual(e) { return true }
        }
        return false
    }
}
