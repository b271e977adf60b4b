import CanaryClassify
import CanaryHostFacts
import CanaryModel
import Foundation

/// Which known issues a run's boots show. Pure: boots and host facts in, matches out, in the
/// table's order; the verdict is not consulted and not changed.
public enum KnownIssueMatcher {
    public static func matches(_ issues: [KnownIssue], boots: [BootRecord], host: HostFacts?, controlHost: HostFacts? = nil) -> [KnownIssueMatch] {
        issues.compactMap { issue in
            let seen = boots.enumerated().flatMap { i, boot -> [KnownIssueMatch.Seen] in
                let label = boot.label(position: i)
                return self.seen(issue.match, boot, label: label.description, host: label.host == .control ? controlHost : host) ?? []
            }
            return seen.isEmpty ? nil : KnownIssueMatch(name: issue.name, explanation: issue.explanation, reference: issue.reference, matches: seen)
        }
    }

    /// What `match` saw on `boot`, one entry per field it names; nil unless every field matched.
    static func seen(_ match: KnownIssue.Match, _ boot: BootRecord, label: String, host: HostFacts?) -> [KnownIssueMatch.Seen]? {
        guard match.seesABoot else { return nil }
        if let hypervisor = match.hypervisor {
            guard let host, host.hypervisor.caseInsensitiveCompare(hypervisor) == .orderedSame else { return nil }
        }
        if let below = match.versionBelow {
            guard let host, let older = Self.version(host.hypervisorVersion, isBelow: below), older else { return nil }
        }
        let console = boot.result.lastLines + boot.result.evidence.map(\.text)
        var failure = boot.source.notes
        switch boot.result.ending {
        case .startFailure(let m), .infrastructureError(let m): failure.insert(m, at: 0)
        default: break
        }
        var seen: [KnownIssueMatch.Seen] = []
        for (field, pattern, texts) in [("title", match.title, boot.result.title.map { [$0] } ?? []),
                                        ("console", match.console, console), ("failure", match.failure, failure),
                                        ("text", match.text, console + failure)] {
            guard let pattern else { continue }
            guard let text = texts.first(where: { Self.search(pattern, in: $0) }) else { return nil }
            seen.append(.init(boot: label, field: field, text: text))
        }
        return seen
    }

    /// Whether `pattern` occurs in `text`; a pattern that does not compile matches nothing
    /// (user rows are compiled when their file is read, so only a shipped row could, and the
    /// table's tests compile every one).
    static func search(_ pattern: String, in text: String) -> Bool {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return false }
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// `4.11.4` below `4.14`: compared number by number, missing numbers 0; nil when `version`
    /// has no leading number (a host that does not say). libvirt reports Xen as `4.17.0`
    /// (lab/xen/captures/host-facts.txt).
    static func version(_ version: String, isBelow bound: String) -> Bool? {
        func numbers(_ s: String) -> [Int] {
            var out: [Int] = []
            for part in s.split(separator: ".") {
                guard let n = Int(part.prefix { $0.isNumber }) else { break }
                out.append(n)
                if part.contains(where: { !$0.isNumber }) { break }
            }
            return out
        }
        let a = numbers(version), b = numbers(bound)
        guard !a.isEmpty else { return nil }
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y }
        }
        return false
    }
}
