import CanaryClassify
import CanaryModel
import Foundation

/// What normal looks like on one host for one kind of boot: for each healthy boot, the longest
/// console silence (host clock) while each milestone was the last one reached.
///
/// With enough healthy boots of the same kernel, a silence far longer than any of them showed
/// at that milestone is a stall now, in seconds, rather than after the fixed 150 s that must
/// leave room for the guest's own detectors on a host nobody has measured. Without that many,
/// nothing changes.
public struct SilenceHistory: Codable, Sendable, Equatable {
    public static let schemaName = "bootcanary.history/1"
    public var schema = SilenceHistory.schemaName
    public var hostUUID: String
    public var kind: ProbeKind
    /// Newest last; at most `maxBoots`, so the file stays a few tens of KiB.
    public var boots: [Boot]

    public struct Boot: Codable, Sendable, Equatable {
        /// The kernel's release from its banner (`6.1.0-57-cloud-amd64`).
        public var kernel: String
        public var at: Date
        /// Milestone name → the longest gap between console lines while it was the last one.
        public var longestGaps: [String: Double]
    }

    /// 200 boots × about a dozen milestones: under 40 KiB per host and kind.
    public static let maxBoots = 200
    /// Fewer healthy boots than this of one kernel say too little about its spread.
    public static let minimumBoots = 20

    public init(hostUUID: String, kind: ProbeKind, boots: [Boot] = []) {
        self.hostUUID = hostUUID
        self.kind = kind
        self.boots = boots
    }

    /// Adds a boot that reached its login prompt, if its gaps were measured on the host's clock
    /// (a plain log's printk times are guest time) and its kernel said its release. Returns
    /// whether it was added.
    @discardableResult
    public mutating func add(_ result: BootResult, at date: Date) -> Bool {
        guard result.outcome == .booted, result.gapClock == .host, let kernel = KernelBanner.release(in: result) else { return false }
        var longest: [String: Double] = [:]
        for g in result.gaps where g.count > 0 { longest[g.milestone.rawValue] = g.maxSeconds }
        guard !longest.isEmpty else { return false }
        boots.append(Boot(kernel: kernel, at: date, longestGaps: longest))
        if boots.count > Self.maxBoots { boots.removeFirst(boots.count - Self.maxBoots) }
        return true
    }

    /// The limits this history allows for `kernel`, nil with too few of its boots.
    public func limits(kernel: String) -> SilenceLimits? {
        let same = boots.filter { $0.kernel == kernel }
        guard same.count >= Self.minimumBoots else { return nil }
        var longest: [Milestone: (seconds: Double, boots: Int)] = [:]
        for boot in same {
            for (name, seconds) in boot.longestGaps {
                guard let m = Milestone(rawValue: name), seconds.isFinite, seconds >= 0 else { continue }
                let seen = longest[m]
                longest[m] = (max(seen?.seconds ?? 0, seconds), (seen?.boots ?? 0) + 1)
            }
        }
        // A milestone only some boots paused at (a slow root device, a rare driver message) says
        // nothing about the others: it needs as many boots as the whole.
        let measured = longest.filter { $0.value.boots >= Self.minimumBoots }.mapValues { $0.seconds }
        return measured.isEmpty ? nil : SilenceLimits(kernel: kernel, boots: same.count, longest: measured)
    }
}

/// How long a console may stay silent at each milestone on this host before the boot counts as
/// stalled, from its healthy boots.
public struct SilenceLimits: Sendable, Equatable {
    public var kernel: String
    public var boots: Int
    /// The longest silence any of those boots showed at each milestone.
    public var longest: [Milestone: Double]

    /// Never sooner than this: the sampler needs a few looks to say what the vCPUs did, and a
    /// TCG guest on a loaded host prints in bursts.
    public static let floorSeconds = 8.0
    /// Four times the longest healthy silence, plus two seconds: the lab's healthy boots under
    /// two parallel TCG guests showed gaps up to 2.5× those of a single guest.
    public static let factor = 4.0
    public static let slackSeconds = 2.0

    public func limit(at milestone: Milestone) -> Double? {
        longest[milestone].map { max(Self.floorSeconds, Self.factor * $0 + Self.slackSeconds) }
    }

    /// The boot note that says why a stall came early.
    public func note(silence: Double, at milestone: Milestone) -> String {
        let most = longest[milestone] ?? 0
        return "silent \(String(format: "%.1f", silence)) s at `\(milestone.rawValue)`; on this host that step never took more than "
            + "\(String(format: "%.1f", most)) s in \(boots) healthy boots of kernel \(kernel), so the boot was judged stalled "
            + "without waiting for the fixed stall timeout (--no-history waits it)"
    }
}

/// The kernel release from the `Linux version` banner (init/main.c linux_banner:
/// "Linux version %s (%s) ..." with UTS_RELEASE first).
public enum KernelBanner {
    public static func release(fromBanner line: String) -> String? {
        guard let r = line.range(of: "Linux version ") else { return nil }
        let release = line[r.upperBound...].prefix { !$0.isWhitespace }
        return release.isEmpty ? nil : String(release)
    }

    public static func release(in result: BootResult) -> String? {
        result.milestones.first { $0.milestone == .kernel }.flatMap { release(fromBanner: $0.text) }
    }
}
