/// One piece of text that tells a login prompt on a console (`SuccessMarker.loginPrompt`).
///
/// Matching is on plain bytes and case-sensitive. A prompt literal is found anywhere in a
/// line's message; `SuccessMarker` then checks where it stands (at the end of a line that is
/// not a kernel line, or answered by a user name).
public struct LoginMarker: Sendable, Hashable {
    public enum Role: Sendable, Hashable {
        /// The prompt itself (`canary login: `).
        case prompt
        /// Words right before a prompt literal that make it no prompt (`Last login: ...`).
        case notAfter
        /// The start of the line after an answered prompt (`canary login: root`) that makes
        /// that prompt count: the system asked for the password, so a login was offered.
        case password
        /// The end of an answered prompt's own line that makes it count at once.
        case automatic
    }

    public var role: Role
    public var text: String
    /// Where the text comes from, for the person extending the table.
    public var source: String

    public init(_ role: Role, _ text: String, source: String) {
        self.role = role
        self.text = text
        self.source = source
    }
}

/// How bootcanary tells that a guest offers a login, the default success marker. The prompt
/// is usually the last thing on the console and waits without a line end, so it is looked for
/// on the unterminated line too (`BootConsole`).
///
/// To accept another prompt: add a row. Nothing else changes.
public enum LoginMarkerTable {
    public static let standard: [LoginMarker] = [
        // prompts: avocado-vt/aexpect's `(?<![Ll]ast )[Ll]ogin:\s*$`
        .init(.prompt, "login:", source: "util-linux agetty and BusyBox getty `canary login: `"),
        .init(.prompt, "Login:", source: "aexpect's `[Ll]ogin:` accepts the capitalised prompt too"),
        // not prompts: login(1) greets a user with the previous login (`Last login: Mon Jan  4
        // 02:24:24 UTC 2021 on ttyS0`, fixtures/transcripts/pub-firecracker-2396-login-session-reboot),
        // and the greeting cut or wrapped after `login:` must not read as a prompt
        .init(.notAfter, "Last ", source: "login(1), pam_lastlog `Last login:`"),
        .init(.notAfter, "last ", source: "aexpect's `(?<![Ll]ast )`: the lower-case greeting"),
        // an answered prompt: the user name is echoed on the prompt's line, so the prompt is
        // not at its end; it counts once login(1) asks for the password on the next line
        .init(.password, "Password:", source: "login(1) after `canary login: root` (sulogin has its own words)"),
        .init(.automatic, "(automatic login)", source: "agetty --autologin: `canary login: root (automatic login)`"),
    ]

    public static var prompts: [LoginMarker] { standard.filter { $0.role == .prompt } }

    /// Signature kinds whose rows with a fixed title are judged on an unterminated line:
    /// shells and prompts that wait there without a line end. Any other row waits for the
    /// whole line, since the rest of the line could change its row or title.
    public static let waitingPromptKinds: [SignatureKind] = [
        // `(initramfs) ` (initramfs-tools' BusyBox shell), `Give root password for maintenance`
        // (systemd's sulogin): BootClassifierTests.initramfsPromptCountsWhileUnterminated
        .initramfsRescue,
        // GRUB's `grub rescue> ` after `Entering rescue mode...`
        .bootloaderError,
    ]
}
