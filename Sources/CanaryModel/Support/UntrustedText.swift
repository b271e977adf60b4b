/// Text that came from a guest (console lines, and every record field derived from them:
/// `lastLine`, `title`, evidence, summaries quoting a title) or from a record that may have
/// been hand-edited. README.md, Safety: console content is untrusted; it is shown, never
/// interpreted.
///
/// Two steps, in this order, for every format:
/// 1. `visible`: make the text one printable line. Control characters, Unicode direction
///    overrides ("Trojan Source", CVE-2021-42574: they reorder what a reader sees) and the XML
///    non-characters become visible `\xHH` / `\u{HHHH}` escapes, so nothing is hidden and the
///    result is valid in HTML, XML 1.0 and a Markdown table row. Bounded in length.
/// 2. The format's own escaping (`HTMLText`, `MarkdownText`, `XMLText`, Prometheus labels).
public enum UntrustedText {
    /// `text` as one visible line of at most `limit` characters (an ellipsis marks a cut).
    public static func visible(_ text: String, limit: Int = Int.max) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let piece = replacement(for: scalar)
            let width = piece.map(\.count) ?? 1
            if count + width > limit {
                out += "…"
                return out
            }
            if let piece { out += piece } else { out.unicodeScalars.append(scalar) }
            count += width
        }
        return out
    }

    /// Lines that keep their tabs as spaces (a console excerpt) but nothing else invisible.
    package static func replacement(for scalar: Unicode.Scalar) -> String? {
        let v = scalar.value
        switch v {
        case 0x09: return " "
        case 0x00..<0x20, 0x7F, 0x80..<0xA0: return "\\x" + hex(v, width: 2)
        // Bidi embeddings, overrides and isolates; line and paragraph separators; the byte
        // order mark; the two XML 1.0 non-characters.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF:
            return "\\u{" + hex(v, width: 4) + "}"
        default: return nil
        }
    }

    package static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
