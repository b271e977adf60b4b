/// Which host a boot ran on. Diagnosis names it `BootObservation.Host`; the boot record
/// (`DescribedBoot.host`) carries it as `suspect` or `control`.
public enum BootHost: String, Sendable, Codable {
    /// The host under suspicion.
    case suspect
    /// A control host (`--control URI`), believed healthy.
    case control
}
