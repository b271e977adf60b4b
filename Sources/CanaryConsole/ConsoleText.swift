/// Console bytes as text: what matching sees and what a person is shown.
///
/// Console content is untrusted (README.md, Safety): a broken or hostile guest can send any
/// byte. For matching, ANSI/VT100 CSI sequences (`ESC [ ... final`), OSC sequences
/// (`ESC ] ... BEL` or `ESC ] ... ESC \`), other two-byte escapes, NUL and the remaining C0
/// controls are removed and a tab becomes a space; bytes >= 0x80 pass through (invalid UTF-8
/// is replaced only when a String is finally made). The raw bytes are never changed: the
/// transcript keeps them.
public enum ConsoleText {
    /// The matchable text of a line's bytes, as a String (for display, titles, tests).
    public static func displayString<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let raw = Array(bytes)
        var scratch: [UInt8] = []
        return raw.withUnsafeBufferPointer { p in
            withMatchable(p, scratch: &scratch) { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// True when `p` needs no stripping (the common case: no byte below 0x20 but tab, no DEL).
    @inline(__always)
    static func isClean(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in p where b < 0x20 || b == 0x7F {
            if b != 0x09 { return false }
        }
        return true
    }

    /// Calls `body` with `p` itself when it is clean, else with its stripped copy built in
    /// `scratch` (a buffer the caller reuses so the hot path allocates nothing).
    package static func withMatchable<R>(
        _ p: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        if isClean(p) { return body(p) }
        scratch.removeAll(keepingCapacity: true)
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            if b == 0x1B {
                i = skipEscape(p, from: i)
                continue
            }
            if b == 0x09 {
                scratch.append(0x20)
            } else if b >= 0x20 && b != 0x7F {
                scratch.append(b)
            }
            i += 1
        }
        return scratch.withUnsafeBufferPointer(body)
    }

    /// Index just past the escape sequence that starts at `p[i] == ESC`.
    static func skipEscape(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        let n = p.count
        var j = i + 1
        guard j < n else { return n }
        switch p[j] {
        case UInt8(ascii: "["):
            // CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E.
            j += 1
            while j < n, p[j] >= 0x20, p[j] <= 0x3F { j += 1 }
            if j < n, p[j] >= 0x40, p[j] <= 0x7E { j += 1 }
            return j
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "_"), UInt8(ascii: "^"):
            // OSC / DCS / APC / PM: up to BEL or ST (ESC \).
            j += 1
            while j < n {
                if p[j] == 0x07 { return j + 1 }
                if p[j] == 0x1B, j + 1 < n, p[j + 1] == UInt8(ascii: "\\") { return j + 2 }
                j += 1
            }
            return n
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "%"):
            // Character set designation: ESC ( B and friends take one more byte.
            return min(n, j + 2)
        default:
            // Two-byte escapes: ESC 7, ESC 8, ESC c, ESC M ...
            return j + 1
        }
    }
}
