import CanaryConsole
import Foundation

/// What counts as a successful boot.
public enum SuccessMarker: Sendable, Hashable, CustomStringConvertible {
    /// A login prompt (`LoginMarkerTable`): `host login:` at the end of a line that is not
    /// `Last login:` and not a kernel line (avocado-vt/aexpect's `(?<![Ll]ast )[Ll]ogin:\s*$`,
    /// and syzkaller's tolerance for a prompt glued in front of a kernel line).
    case loginPrompt
    /// A user regex (`--expect`), searched in every line's message.
    case regex(String)

    public var description: String {
        switch self {
        case .loginPrompt: "a login prompt"
        case .regex(let pattern): "/\(pattern)/"
        }
    }

    /// The table's texts as bytes, by role (`LoginMarkerTable`).
    static let notAfter = LoginMarkerTable.standard.filter { $0.role == .notAfter }.map { Array($0.text.utf8) }
    static let passwordPrompts = LoginMarkerTable.standard.filter { $0.role == .password }.map(\.text)
    static let automaticLogins = LoginMarkerTable.standard.filter { $0.role == .automatic }.map(\.text)

    /// Whether `message` (prefixes stripped) is a login prompt. `isKernelLine` says the line
    /// had a printk time or level.
    static func isLoginPrompt(_ m: UnsafeBufferPointer<UInt8>, at start: Int, length: Int, isKernelLine: Bool) -> Bool {
        guard !isKernelLine else { return false }
        // `start` is where a prompt literal of `length` bytes ("login:") begins.
        if start > 0, m[start - 1] != 0x20 { return false }
        for words in notAfter where start >= words.count {
            // "Last login:"
            if UnsafeBufferPointer(rebasing: m[(start - words.count)..<start]).elementsEqual(words) { return false }
        }
        var j = start + length
        while j < m.count, m[j] == 0x20 { j += 1 }
        if j == m.count { return true }
        // A kernel message printed right after the prompt: `canary login: [   12.3] ...`
        if m[j] == UInt8(ascii: "["), LinePrefix.parseKernelTime(m, at: j) != nil { return true }
        return false
    }

    /// `host login: root`: a prompt the user answered (the name is echoed on the prompt's
    /// line). Counts only when `Password:` follows on the next line, or with agetty's
    /// `(automatic login)`, so prose like `please login: now` is not a prompt.
    static func isAnsweredLoginPrompt(_ m: UnsafeBufferPointer<UInt8>, at start: Int, length: Int, isKernelLine: Bool) -> Bool {
        guard !isKernelLine, start > 0, m[start - 1] == 0x20, m.count > start + length + 1, m[start + length] == 0x20 else { return false }
        // one host name before the prompt
        var k = start - 1
        while k > 0, m[k - 1] != 0x20 { k -= 1 }
        guard k < start - 1, k == 0 || m[..<k].allSatisfy({ $0 == 0x20 }) else { return false }
        var j = start + length + 1
        let nameStart = j
        while j < m.count, isNameByte(m[j]) { j += 1 }
        guard j > nameStart else { return false }
        let rest = String(decoding: UnsafeBufferPointer(rebasing: m[j...]), as: UTF8.self).trimmingSpaces()
        return rest.isEmpty || automaticLogins.contains(rest)
    }

    static func isAutomaticLogin(_ m: UnsafeBufferPointer<UInt8>) -> Bool {
        let line = String(decoding: m, as: UTF8.self).trimmingSpaces()
        return automaticLogins.contains { line.hasSuffix($0) }
    }

    /// `Password:` at the start of a line (login(1), sulogin has its own words).
    static func isPasswordPrompt(_ m: UnsafeBufferPointer<UInt8>) -> Bool {
        let line = String(decoding: m, as: UTF8.self).trimmingSpaces()
        return passwordPrompts.contains { line.hasPrefix($0) }
    }

    private static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D || c == 0x2E
    }
}

/// A compiled `--expect` pattern.
///
/// `@unchecked Sendable`: Swift 6.3 declares no `Regex` Sendable (not even `Regex<Substring>`),
/// yet a built one is immutable; its one cache, the program lowered on first match, is stored
/// with an atomic compare-and-swap (swift-experimental-string-processing, `Regex.Program`),
/// so boots matching in parallel share it safely.
struct CompiledPattern: @unchecked Sendable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try Regex(pattern)
    }

    func matches(_ text: String) -> Bool { text.contains(regex) }
}
