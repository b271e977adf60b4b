/// The version reported in transcripts and run records.
public enum BootCanaryVersion {
    public static let current = "0.1.0"

    /// What `bootcanary --version` prints: the version and the commit the binary was built from,
    /// e.g. `0.1.0 (git b1aae38dbf83)`, `0.1.0 (git b1aae38dbf83-modified)` for a build with
    /// uncommitted changes, or `0.1.0 (unknown revision)` for a build from a tarball. The
    /// revision comes from packaging/git-revision at build time (docs/install.md); records keep
    /// `current` alone, so their bytes do not change with every commit.
    public static func versionLine(revision: String?) -> String {
        guard let revision, !revision.isEmpty else { return "\(current) (unknown revision)" }
        return "\(current) (git \(revision))"
    }
}
