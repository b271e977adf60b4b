import CanaryModel

/// How long the console went quiet between lines, per milestone: what a normal gap looks
/// like at each stage of a boot, so a stall detector can tell "slow here is normal" from
/// "stuck". A gap is counted for the milestone the boot had reached when the silence began.
/// Fixed memory: a count, sum, maximum and a coarse histogram per milestone.
public struct GapProfile: Sendable, Hashable {
    public struct Stats: Sendable, Hashable, Codable {
        public var milestone: Milestone
        public var count = 0
        public var totalSeconds = 0.0
        public var maxSeconds = 0.0
        /// Gaps below 0.01 s, 0.1 s, 1 s, 10 s, 60 s, and longer.
        public var histogram = [Int](repeating: 0, count: 6)

        public var meanSeconds: Double { count == 0 ? 0 : totalSeconds / Double(count) }

        /// Upper bounds of the histogram's buckets, in seconds (the last is unbounded).
        public static let bucketLimits: [Double] = [0.01, 0.1, 1, 10, 60]

        mutating func add(_ gap: Double) {
            count += 1
            totalSeconds += gap
            if gap > maxSeconds { maxSeconds = gap }
            var bucket = Self.bucketLimits.count
            for (k, limit) in Self.bucketLimits.enumerated() where gap < limit { bucket = k; break }
            histogram[bucket] += 1
        }
    }

    /// Which clock the gaps were measured on.
    public enum Clock: String, Sendable, Hashable, Codable {
        /// Host arrival times (live console, bootcanary transcripts, xenconsoled stamps).
        case host
        /// The guest's printk times (a plain log with timestamps): guest time, not host time.
        case kernel
    }

    public private(set) var clock: Clock?
    private var stats: [Stats] = Milestone.allCases.map { Stats(milestone: $0) }

    public init() {}

    mutating func add(_ gap: Double, at milestone: Milestone, clock: Clock) {
        guard gap >= 0, gap.isFinite else { return }
        if self.clock == nil { self.clock = clock }
        guard self.clock == clock else { return }
        stats[milestone.rank].add(gap)
    }

    /// The statistics for one milestone.
    public subscript(milestone: Milestone) -> Stats { stats[milestone.rank] }

    /// Milestones that have at least one gap, in boot order.
    public var measured: [Stats] { stats.filter { $0.count > 0 } }

    /// One milestone's gaps as the boot record keeps them.
    public struct Summary: Sendable, Hashable, Codable {
        public var milestone: Milestone
        public var count: Int
        public var meanSeconds: Double
        public var maxSeconds: Double
        /// Counts of gaps below 0.01, 0.1, 1, 10, 60 s and longer.
        public var histogram: [Int]
    }

    public var summaries: [Summary] {
        measured.map { Summary(milestone: $0.milestone, count: $0.count, meanSeconds: $0.meanSeconds, maxSeconds: $0.maxSeconds, histogram: $0.histogram) }
    }
}
