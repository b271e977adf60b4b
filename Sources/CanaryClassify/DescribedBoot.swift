import CanaryConsole
import CanaryModel
import Foundation

/// The boot result as JSON: docs/contract.md's names, stable. Separate from `BootResult` so the
/// contract does not move when internals do (SwiftPM's `DescribedPackage`). Encode with
/// sorted keys; optional contract fields are written as null, never left out.
public struct DescribedBoot: Codable, Sendable, Equatable {
    public var kind: ProbeKind?
    public var run: Int?
    public var outcome: BootOutcome
    public var lastMilestone: Milestone
    public var lastLine: String?
    public var title: String?
    public var secondsToOutcome: Double?
    public var stallSeconds: Double?
    public var vcpu: VCPUPattern?
    public var firstByteSeconds: Double?
    public var lines: Int
    public var transcript: String?
    // Beyond the minimum of docs/contract.md:
    public var file: String?
    public var format: ConsoleLogFormat?
    public var bytes: Int
    public var lastByteSeconds: Double?
    public var signature: SignatureKind?
    public var panicReason: String?
    public var evidence: [Evidence]
    public var milestones: [DescribedMilestone]
    public var gaps: [DescribedGaps]
    public var gapClock: GapProfile.Clock?
    public var ending: BootEnding
    public var reboots: Int
    public var notes: [String]
    // Set by a live run (the run record), absent from `analyze`:
    /// `suspect` or `control`.
    public var host: BootHost?
    public var domain: String?
    public var usesGuestDisk: Bool?
    /// The console's last lines, for reports.
    public var lastLines: [String]?
    public var startedAt: Date?
    public var endedAt: Date?

    public struct DescribedMilestone: Codable, Sendable, Equatable {
        public var milestone: Milestone
        public var line: Int
        public var seconds: Double?
        public var kernelSeconds: Double?
        public var text: String
    }

    public struct DescribedGaps: Codable, Sendable, Equatable {
        public var milestone: Milestone
        public var count: Int
        public var meanSeconds: Double
        public var maxSeconds: Double
        /// Counts of gaps below 0.01, 0.1, 1, 10, 60 s and longer.
        public var histogram: [Int]
    }

    public init(_ result: BootResult, kind: ProbeKind? = nil, run: Int? = nil, transcript: String? = nil,
                file: String? = nil, format: ConsoleLogFormat? = nil, notes: [String] = []) {
        self.kind = kind
        self.run = run
        outcome = result.outcome
        lastMilestone = result.lastMilestone
        lastLine = result.lastLine
        title = result.title
        secondsToOutcome = result.secondsToOutcome.map(Self.rounded)
        stallSeconds = result.stallSeconds.map(Self.rounded)
        vcpu = result.vcpu
        firstByteSeconds = result.firstByteSeconds.map(Self.rounded)
        lines = result.lines
        self.transcript = transcript
        self.file = file
        self.format = format
        bytes = result.bytes
        lastByteSeconds = result.lastByteSeconds.map(Self.rounded)
        signature = result.signature
        panicReason = result.panicReason
        evidence = result.evidence
        milestones = result.milestones.map {
            DescribedMilestone(milestone: $0.milestone, line: $0.line, seconds: $0.time.map { Self.rounded($0.seconds) },
                               kernelSeconds: $0.kernelSeconds, text: $0.text)
        }
        gaps = result.gaps.measured.map {
            DescribedGaps(milestone: $0.milestone, count: $0.count, meanSeconds: Self.rounded($0.meanSeconds),
                          maxSeconds: Self.rounded($0.maxSeconds), histogram: $0.histogram)
        }
        gapClock = result.gaps.clock
        ending = result.ending
        reboots = result.reboots
        self.notes = notes
    }

    /// Microseconds are what the transcript keeps.
    static func rounded(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }

    private enum CodingKeys: String, CodingKey {
        case kind, run, outcome, lastMilestone, lastLine, title, secondsToOutcome, stallSeconds, vcpu,
             firstByteSeconds, lines, transcript, file, format, bytes, lastByteSeconds, signature, panicReason,
             evidence, milestones, gaps, gapClock, ending, reboots, notes, host, domain, usesGuestDisk, lastLines,
             startedAt, endedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // docs/contract.md fields: always present, null when unknown.
        try c.encode(kind, forKey: .kind)
        try c.encode(run, forKey: .run)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(lastMilestone, forKey: .lastMilestone)
        try c.encode(lastLine, forKey: .lastLine)
        try c.encode(title, forKey: .title)
        try c.encode(secondsToOutcome, forKey: .secondsToOutcome)
        try c.encode(stallSeconds, forKey: .stallSeconds)
        try c.encode(vcpu, forKey: .vcpu)
        try c.encode(firstByteSeconds, forKey: .firstByteSeconds)
        try c.encode(lines, forKey: .lines)
        try c.encode(transcript, forKey: .transcript)
        // Extras.
        try c.encodeIfPresent(file, forKey: .file)
        try c.encodeIfPresent(format, forKey: .format)
        try c.encode(bytes, forKey: .bytes)
        try c.encodeIfPresent(lastByteSeconds, forKey: .lastByteSeconds)
        try c.encodeIfPresent(signature, forKey: .signature)
        try c.encodeIfPresent(panicReason, forKey: .panicReason)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(milestones, forKey: .milestones)
        try c.encode(gaps, forKey: .gaps)
        try c.encodeIfPresent(gapClock, forKey: .gapClock)
        try c.encode(ending, forKey: .ending)
        try c.encode(reboots, forKey: .reboots)
        try c.encode(notes, forKey: .notes)
        try c.encodeIfPresent(host, forKey: .host)
        try c.encodeIfPresent(domain, forKey: .domain)
        try c.encodeIfPresent(usesGuestDisk, forKey: .usesGuestDisk)
        try c.encodeIfPresent(lastLines, forKey: .lastLines)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(endedAt, forKey: .endedAt)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(ProbeKind.self, forKey: .kind)
        run = try c.decodeIfPresent(Int.self, forKey: .run)
        outcome = try c.decode(BootOutcome.self, forKey: .outcome)
        lastMilestone = try c.decode(Milestone.self, forKey: .lastMilestone)
        lastLine = try c.decodeIfPresent(String.self, forKey: .lastLine)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        secondsToOutcome = try c.decodeIfPresent(Double.self, forKey: .secondsToOutcome)
        stallSeconds = try c.decodeIfPresent(Double.self, forKey: .stallSeconds)
        vcpu = try c.decodeIfPresent(VCPUPattern.self, forKey: .vcpu)
        firstByteSeconds = try c.decodeIfPresent(Double.self, forKey: .firstByteSeconds)
        lines = try c.decode(Int.self, forKey: .lines)
        transcript = try c.decodeIfPresent(String.self, forKey: .transcript)
        file = try c.decodeIfPresent(String.self, forKey: .file)
        format = try c.decodeIfPresent(ConsoleLogFormat.self, forKey: .format)
        bytes = try c.decodeIfPresent(Int.self, forKey: .bytes) ?? 0
        lastByteSeconds = try c.decodeIfPresent(Double.self, forKey: .lastByteSeconds)
        signature = try c.decodeIfPresent(SignatureKind.self, forKey: .signature)
        panicReason = try c.decodeIfPresent(String.self, forKey: .panicReason)
        evidence = try c.decodeIfPresent([Evidence].self, forKey: .evidence) ?? []
        milestones = try c.decodeIfPresent([DescribedMilestone].self, forKey: .milestones) ?? []
        gaps = try c.decodeIfPresent([DescribedGaps].self, forKey: .gaps) ?? []
        gapClock = try c.decodeIfPresent(GapProfile.Clock.self, forKey: .gapClock)
        ending = try c.decodeIfPresent(BootEnding.self, forKey: .ending) ?? .endOfLog
        reboots = try c.decodeIfPresent(Int.self, forKey: .reboots) ?? 0
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
        host = try c.decodeIfPresent(BootHost.self, forKey: .host)
        domain = try c.decodeIfPresent(String.self, forKey: .domain)
        usesGuestDisk = try c.decodeIfPresent(Bool.self, forKey: .usesGuestDisk)
        lastLines = try c.decodeIfPresent([String].self, forKey: .lastLines)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
    }
}

extension ConsoleLogAnalysis {
    /// This analysis as a contract boot record.
    public var described: DescribedBoot {
        DescribedBoot(result, kind: metadata.kind, run: metadata.run, transcript: format == .bootcanary ? path : nil,
                      file: path, format: format, notes: notes)
    }
}
