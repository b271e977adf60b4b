import CanaryConsole
import CanaryModel
import Foundation

/// One boot, as it flows from the probe through the classifier and the diagnosis into
/// `run.json`, `analyze --json` and every report (docs/json.md's boot object).
///
/// Each layer owns one part and fills only that part: the plan says what was booted
/// (`identity`), the classifier how it ended (`result`), whoever read the console where it
/// came from (`source`), and a live probe what happened on the host (`live`). The parts'
/// fields sit side by side in one flat JSON object, as the contract has always written them;
/// each part's coding is synthesized, so adding a field is one edit in the part that knows it.
@dynamicMemberLookup
public struct BootRecord: Codable, Sendable, Equatable {
    public var identity: BootIdentity
    public var result: BootResult
    public var source: Source
    public var live: Live

    /// Where the console came from.
    public struct Source: Codable, Sendable, Equatable {
        /// The bootcanary transcript (docs/contract.md: always present, null without one).
        @AlwaysEncoded public var transcript: String?
        /// The file `analyze` read, and how it read it.
        public var file: String?
        public var format: ConsoleLogFormat?
        /// Things worth telling a person about this boot (a fallback taken, a file restored).
        public var notes: [String]

        public init(transcript: String? = nil, file: String? = nil, format: ConsoleLogFormat? = nil, notes: [String] = []) {
            self.transcript = transcript
            self.file = file
            self.format = format
            self.notes = notes
        }
    }

    /// What a live probe adds; all absent from `analyze`.
    public struct Live: Codable, Sendable, Equatable {
        public var domain: String?
        /// Whether the guest's disk was attached (pygrub, image, and kernel with `--image`).
        public var usesGuestDisk: Bool?
        /// Wall clock at create and at the end.
        public var startedAt: Date?
        public var endedAt: Date?
        /// Seconds the create call took (pygrub runs inside it on Xen).
        public var createSeconds: Double?
        /// What the host's tools said about the domain while it still existed (a boot that
        /// stalled or timed out, asked before the destroy); nil when nothing was asked.
        public var hostEvidence: DomainEvidence?

        public init(domain: String? = nil, usesGuestDisk: Bool? = nil, startedAt: Date? = nil, endedAt: Date? = nil,
                    createSeconds: Double? = nil, hostEvidence: DomainEvidence? = nil) {
            self.hostEvidence = hostEvidence
            self.domain = domain
            self.usesGuestDisk = usesGuestDisk
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.createSeconds = createSeconds
        }
    }

    public init(identity: BootIdentity = .init(), result: BootResult, source: Source = .init(), live: Live = .init()) {
        self.identity = identity
        self.result = result
        self.source = source
        self.live = live
    }

    // The parts share one keyed container: JSONEncoder and JSONDecoder hand each part the same
    // object, so the record stays flat.
    public init(from decoder: any Decoder) throws {
        identity = try BootIdentity(from: decoder)
        result = try BootResult(from: decoder)
        source = try Source(from: decoder)
        live = try Live(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try identity.encode(to: encoder)
        try result.encode(to: encoder)
        try source.encode(to: encoder)
        try live.encode(to: encoder)
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<BootIdentity, T>) -> T {
        get { identity[keyPath: path] }
        set { identity[keyPath: path] = newValue }
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<BootResult, T>) -> T {
        get { result[keyPath: path] }
        set { result[keyPath: path] = newValue }
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<Source, T>) -> T {
        get { source[keyPath: path] }
        set { source[keyPath: path] = newValue }
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<Live, T>) -> T {
        get { live[keyPath: path] }
        set { live[keyPath: path] = newValue }
    }

    /// The label of this boot at `position` (0-based) of its record.
    public func label(position: Int) -> BootLabel { identity.label(position: position) }
}

extension ConsoleLogAnalysis {
    /// This analysis as a boot record.
    public var record: BootRecord {
        BootRecord(identity: .init(kind: metadata.kind, run: metadata.run), result: result,
                   source: .init(transcript: format == .bootcanary ? path : nil, file: path, format: format, notes: notes))
    }
}
