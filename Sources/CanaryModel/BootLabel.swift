/// How evidence, progress lines and reports name one boot: `pygrub#2`, `installer#1@control`.
/// The one place the label is spelled, so a diagnosis's evidence always finds its boot in a
/// report.
public struct BootLabel: Hashable, Sendable, CustomStringConvertible {
    /// nil for a saved console whose metadata does not say (`boot#N`).
    public var kind: ProbeKind?
    public var run: Int
    public var host: BootHost

    public init(kind: ProbeKind?, run: Int, host: BootHost = .suspect) {
        self.kind = kind
        self.run = run
        self.host = host
    }

    public var description: String { "\(kind?.rawValue ?? "boot")#\(run)" + (host == .control ? "@control" : "") }
}

/// What a boot was: the first part of its record, set by whoever planned it.
public struct BootIdentity: Codable, Hashable, Sendable {
    /// docs/contract.md: always present, null for a saved console that does not say.
    @AlwaysEncoded public var kind: ProbeKind?
    @AlwaysEncoded public var run: Int?
    /// Absent from `analyze`, which does not know where a console came from.
    public var host: BootHost?

    public init(kind: ProbeKind? = nil, run: Int? = nil, host: BootHost? = nil) {
        self.kind = kind
        self.run = run
        self.host = host
    }

    /// The label of the boot at `position` (0-based) of its record, when its run is unknown.
    public func label(position: Int) -> BootLabel {
        BootLabel(kind: kind, run: run ?? position + 1, host: host ?? .suspect)
    }
}
