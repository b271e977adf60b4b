import CanaryClassify

/// What `bootcanary analyze --json` prints: `{"schema": "bootcanary.analysis/1", "boots": [...]}`.
/// The diagnosis issue adds `diagnosis` (docs/contract.md: present with two or more logs): a
/// property and one `encodeIfPresent` line below, built from `comparison`, which is here
/// already. Files that could not be read are listed in `unreadable`, never as boots.
public struct AnalysisDocument: Encodable, Sendable {
    public static let schemaName = "bootcanary.analysis/1"

    /// A file that could not be analyzed, and why.
    public struct Unreadable: Encodable, Sendable, Hashable {
        public var file: String
        public var message: String

        public init(file: String, message: String) {
            self.file = file
            self.message = message
        }
    }

    public var schema = AnalysisDocument.schemaName
    public var boots: [BootRecord]
    public var unreadable: [Unreadable]
    public var comparison: FailurePointComparison?
    /// Present when two or more logs were given (docs/contract.md).
    public var diagnosis: Diagnosis?
    /// Known issues the logs show (docs/known-issues.md); absent when none matched.
    public var knownIssues: [KnownIssueMatch]?

    public init(boots: [BootRecord], unreadable: [Unreadable], comparison: FailurePointComparison?) {
        self.boots = boots
        self.unreadable = unreadable
        self.comparison = comparison
    }

    private enum CodingKeys: String, CodingKey { case schema, boots, unreadable, comparison, diagnosis, knownIssues }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(boots, forKey: .boots)
        try c.encode(unreadable, forKey: .unreadable)
        try c.encodeIfPresent(comparison, forKey: .comparison)
        try c.encodeIfPresent(diagnosis, forKey: .diagnosis)
        try c.encodeIfPresent(knownIssues, forKey: .knownIssues)
    }
}
