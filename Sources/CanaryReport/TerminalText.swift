import CanaryModel
import CanaryConsole

/// Text for a terminal: the one function every line the CLI prints goes through (console
/// lines as they arrive, boot results, verdicts, status lines, errors).
///
/// A guest (or a hand-edited record, or an install tree) must not be able to move the
/// operator's cursor, retitle the terminal, hide or reorder what is shown. So:
/// 1. C1 controls (U+0080–U+009F; 0x9B is the 8-bit CSI) are rewritten to their 7-bit escape
///    form (ECMA-48: C1 `x` is `ESC x-0x40`), so that
/// 2. `ConsoleText`'s escape stripping removes every ANSI sequence, 8-bit or 7-bit, and every
///    remaining C0 control, exactly as the console view of the classifier does; then
/// 3. `UntrustedText.visible` shows bidi overrides, isolates and other invisible format
///    characters as `\u{HHHH}`, as every report does.
/// Idempotent: text made safe once is unchanged by a second pass.
public enum TerminalText {
    /// One line: no control character survives; a line break becomes a space.
    public static func line(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                // A line break inside one field would let it forge a line of its own.
                bytes.append(0x20)
            } else if (0x80...0x9F).contains(scalar.value) {
                bytes.append(0x1B)
                bytes.append(UInt8(scalar.value - 0x40))
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return UntrustedText.visible(ConsoleText.displayString(bytes))
    }

    /// Several lines (a rendered block): each line made safe, the line breaks kept.
    public static func block(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line(String($0)) }.joined(separator: "\n")
    }
}
