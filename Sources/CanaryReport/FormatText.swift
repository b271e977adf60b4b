import CanaryModel

/// HTML and inline SVG escaping. Applied to text that is already `UntrustedText.visible`.
public enum HTMLText {
    /// Safe in element content and in a double- or single-quoted attribute value.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Untrusted text, made visible, bounded and escaped.
    public static func guest(_ s: String, limit: Int = Int.max) -> String {
        escape(UntrustedText.visible(s, limit: limit))
    }
}

/// XML 1.0 escaping (JUnit). `UntrustedText.visible` already removed every character XML
/// forbids, so escaping the five markup characters is enough.
public enum XMLText {
    public static func escape(_ s: String) -> String { HTMLText.escape(s) }
    public static func guest(_ s: String, limit: Int = Int.max) -> String { escape(UntrustedText.visible(s, limit: limit)) }
}

/// Markdown for ticket systems (GitHub, GitLab, Jira's Markdown paste, Redmine): plain
/// CommonMark/GFM, where guest text must neither format, link, embed HTML nor end a table
/// cell.
public enum MarkdownText {
    /// Characters that start inline constructs anywhere in a line, backslash-escaped (CommonMark
    /// allows a backslash before any ASCII punctuation). `|` ends a GFM table cell; GFM's cell
    /// scanner treats `\\` as one escaped character, so the backslash itself is escaped too or
    /// `\|` from the guest would become `\\|` and split the cell. `$` starts math on GitHub and
    /// GitLab. `@` starts a GFM email autolink.
    static let special: Set<Unicode.Scalar> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "~", "&", "$", "@"]

    /// Characters that start a block when they open a line (`#` heading, `>` quote, `-`/`+`
    /// list or rule, `=` setext underline). Inline text is also placed where a block may
    /// begin (`- ` + a record's reasoning line, a list item's first words), so a leading one is
    /// escaped too.
    static let blockStart: Set<Unicode.Scalar> = ["#", ">", "-", "+", "=", "!"]

    /// Untrusted text for a table cell or a sentence: one line, bounded, inert.
    public static func inline(_ s: String, limit: Int = Int.max) -> String {
        // Leading blanks would make an indented code block at the start of a list item.
        let visible = Substring(UntrustedText.visible(s, limit: limit)).drop { $0 == " " }
        let scalars = Array(visible.unicodeScalars)
        var out = ""
        for (i, ch) in scalars.enumerated() {
            if special.contains(ch) || (i == 0 && blockStart.contains(ch)) { out += "\\" }
            // `1.` / `1)` at the start is an ordered list.
            if (ch == "." || ch == ")"), i > 0, scalars[..<i].allSatisfy({ $0.properties.numericType != nil && $0.isASCII }) {
                out += "\\"
            }
            // GFM's extended autolinks: `scheme://` and `www.` become links without any markup.
            if ch == ":", i + 2 < scalars.count, scalars[i + 1] == "/", scalars[i + 2] == "/" { out += "\\" }
            if ch == ".", i >= 3, String(String.UnicodeScalarView(scalars[(i - 3)..<i])).lowercased() == "www",
               i == 3 || !(scalars[i - 4].properties.isAlphabetic || scalars[i - 4].properties.numericType != nil) {
                out += "\\"
            }
            out.unicodeScalars.append(ch)
        }
        return out
    }

    /// A fenced code block around `lines` (already visible). Its fence is longer than any run
    /// of backticks inside, so no guest line can close it (CommonMark: a closing fence must be
    /// at least as long as the opening one).
    public static func fenced(_ lines: [String], info: String = "text") -> String {
        var longest = 0
        for line in lines {
            var run = 0
            for ch in line.unicodeScalars {
                if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 }
            }
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return ([fence + info] + lines + [fence]).joined(separator: "\n")
    }

    /// A code span for words from the tool's vocabulary (`host_fault`, `reboot_host`). Text
    /// that could end a table cell or hide something falls back to `inline`, so a hand-edited
    /// record cannot break out either.
    public static func code(_ s: String) -> String {
        if s.isEmpty || s.contains(where: { $0 == "|" || $0 == "\\" || $0 == "`" }) || UntrustedText.visible(s) != s {
            return inline(s)
        }
        return "`" + s + "`"
    }
}
