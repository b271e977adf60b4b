import Foundation

/// Names of the domains bootcanary creates: a fixed prefix so they are recognisable on any
/// host (and never confused with real guests), then the run, the probe kind and repetition.
/// `bootcanary-<run id>-<kind>-<n>`, e.g. `bootcanary-7f3a2c-pygrub-2`.
public enum ProbeName {
    public static let prefix = "bootcanary-"

    public static func make(runID: String, kind: ProbeKind, repetition: Int) -> String {
        "\(prefix)\(runID)-\(kind.rawValue)-\(repetition)"
    }

    public static func isProbe(_ domainName: String) -> Bool { domainName.hasPrefix(prefix) }

    /// A short random run id; six hex digits keep names readable in `virsh list`.
    public static func newRunID() -> String {
        String(UInt32.random(in: 0..<0x100_0000), radix: 16).leftPadded(to: 6)
    }
}
