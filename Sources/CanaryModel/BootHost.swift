/// Which host a boot ran on; the boot record carries it as `suspect` or `control`.
public enum BootHost: String, Sendable, Hashable, Codable {
    /// The host under suspicion.
    case suspect
    /// A control host (`--control URI`), believed healthy.
    case control
}
