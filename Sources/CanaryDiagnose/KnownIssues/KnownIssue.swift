import CanaryClassify
import CanaryHostFacts
import Foundation

/// A problem someone has already explained: what it looks like in a run, why it happens and
/// where it is written up. Shipped rows are `KnownIssueTable.shipped`; operators add their own
/// (`KnownIssueFile`, docs/known-issues.md). Naming one never changes the verdict.
public struct KnownIssue: Sendable, Equatable {
    public var name: String
    public var match: Match
    public var explanation: String
    /// A URL or a commit.
    public var reference: String

    /// What must all hold on one boot. At least one of `title`, `console`, `failure` and `text` is
    /// set: a known issue is named only from something a boot showed, never from host facts alone.
    public struct Match: Sendable, Equatable {
        /// A regular expression (ICU, as `--expect`) on the boot's failure title.
        public var title: String?
        /// On a line of the boot's console kept in its record (`lastLines`, `evidence`).
        public var console: String?
        /// On a start failure's or infrastructure error's message (the hypervisor's words,
        /// libxl-driver.log's lines quoted) and the boot's notes.
        public var failure: String?
        /// On any of the above but the title: pygrub's words are the console of a boot pygrub
        /// refused on QEMU, and a line of libxl's log in the failure message on Xen.
        public var text: String?
        /// Host facts: the host's hypervisor (`Xen`, `QEMU`), and a version it is older than.
        public var hypervisor: String?
        public var versionBelow: String?

        public init(title: String? = nil, console: String? = nil, failure: String? = nil, text: String? = nil,
                    hypervisor: String? = nil, versionBelow: String? = nil) {
            self.title = title
            self.console = console
            self.failure = failure
            self.text = text
            self.hypervisor = hypervisor
            self.versionBelow = versionBelow
        }

        var seesABoot: Bool { title != nil || console != nil || failure != nil || text != nil }
    }

    public init(name: String, match: Match, explanation: String, reference: String) {
        self.name = name
        self.match = match
        self.explanation = explanation
        self.reference = reference
    }
}

/// A known issue a run showed: which boots, and the text each matched on.
public struct KnownIssueMatch: Codable, Sendable, Equatable {
    public var name: String
    public var explanation: String
    public var reference: String
    public var matches: [Seen]

    public struct Seen: Codable, Sendable, Equatable {
        /// `kind#run`, `@control` for the control host (as a diagnosis's evidence).
        public var boot: String
        /// `title`, `console`, `failure` or `text`.
        public var field: String
        public var text: String
    }
}
