import Foundation

/// What counts as a successful boot.
public enum SuccessMarker: Sendable, Hashable, CustomStringConvertible {
    /// A login prompt: `host login:` at the end of a line that is not `Last login:` and not a
    /// kernel line (avocado-vt/aexpect's `(?<![Ll]ast )[Ll]ogin:\s*$`, and syzkaller's
    /// tolerance for a prompt glued in front of a kernel line).
    case loginPrompt
    /// A user regex (`--expect`), searched in every line's message.
    case regex(String)

    public var description: String {
        switch self {
        case .loginPrompt: "a login prompt"
        case .regex(let pattern): "/\(pattern)/"
        }
    }

    /// Whether `message` (prefixes stripped) is a login prompt. `isKernelLine` says the line
    /// had a printk time or level.
    static func isLoginPrompt(_ m: UnsafeBufferPointer<UInt8>, at start: Int, isKernelLine: Bool) -> Bool {
        guard !isKernelLine else { return false }
        // `start` is where "login:" or "Login:" begins.
        if start > 0, m[start - 1] != 0x20 { return false }
        if start >= 5 {
            // "Last login:" / "last login:"
            let before = Array(UnsafeBufferPointer(rebasing: m[(start - 5)..<start]))
            if before == Array("Last ".utf8) || before == Array("last ".utf8) { return false }
        }
        var j = start + 6
        while j < m.count, m[j] == 0x20 { j += 1 }
        if j == m.count { return true }
        // A kernel message printed right after the prompt: `canary login: [   12.3] ...`
        if m[j] == UInt8(ascii: "["), LinePrefix.parseKernelTime(m, at: j) != nil { return true }
        return false
    }
}

/// A compiled `--expect` pattern. Regex values hold no shared mutable state once built.
struct CompiledPattern: @unchecked Sendable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try Regex(pattern)
    }

    func matches(_ text: String) -> Bool { text.contains(regex) }
}
