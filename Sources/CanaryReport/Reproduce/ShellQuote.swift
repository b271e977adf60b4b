/// Quoting for POSIX shells: the whole word in single quotes, each `'` written as `'\''`
/// (close, an escaped quote, reopen). Inside single quotes no character is special, so this
/// holds for any string, newlines and `$` included (POSIX.1-2017 XCU 2.2.2); the tests feed
/// hostile strings through `sh -c` and get them back unchanged.
public enum ShellQuote {
    public static func quote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
