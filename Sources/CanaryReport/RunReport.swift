import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryModel
import Foundation

/// Everything a report is rendered from: the run record, and for each boot the part of its
/// transcript a report shows (bounded) and the times of the lines the record points at.
///
/// Renderers are pure functions of a `RunReport`: no clock, no file system, no environment,
/// so the same record always renders the same bytes. `RunReport.load` is the only place that
/// reads the transcripts the record names.
public struct RunReport: Sendable {
    public var record: RunRecord
    public var boots: [Boot]
    public var limits: ExcerptLimits

    /// One boot of the record with its transcript excerpt.
    public struct Boot: Sendable {
        /// Position in `record.boots`.
        public var index: Int
        /// The label the diagnosis uses for it (`kernel#2`, `installer#1@control`).
        public var label: BootLabel
        public var record: BootRecord
        public var excerpt: TranscriptExcerpt?
        /// Why the transcript is not shown, when it is not.
        public var transcriptProblem: String?

        /// An HTML id for the boot; built from its position, never from record text.
        public var anchor: String { "boot-\(index + 1)" }
        public func lineAnchor(_ line: Int) -> String { "\(anchor)-L\(line)" }

        /// Where the console went silent before a stall: from the last byte to the moment the
        /// stall was declared.
        public var stallBand: (from: Double, to: Double)? {
            guard let stall = record.stallSeconds, stall > 0 else { return nil }
            let end = record.secondsToOutcome ?? ((record.lastByteSeconds ?? 0) + stall)
            let from = record.lastByteSeconds ?? max(0, end - stall)
            return end > from ? (from, end) : nil
        }

        /// Where this boot's row ends on the shared time axis. A hand-edited record may say
        /// anything; the axis stops at a day.
        public var endSeconds: Double {
            var end = 0.0
            for v in [record.secondsToOutcome, record.lastByteSeconds, record.firstByteSeconds] {
                if let v, v.isFinite { end = max(end, v) }
            }
            for m in record.milestones { if let s = m.seconds, s.isFinite { end = max(end, s) } }
            return min(end, Self.longestAxis)
        }

        static let longestAxis = 86_400.0

        /// Each milestone where it was first seen (the record lists every sighting).
        public var firstMilestones: [MilestoneSighting] {
            var seen = Set<Milestone>()
            var out: [MilestoneSighting] = []
            for m in record.milestones where !seen.contains(m.milestone) {
                seen.insert(m.milestone)
                out.append(m)
            }
            return out
        }

        /// The time of a console line, from the transcript (or the record, for a milestone line).
        public func time(ofLine n: Int) -> TranscriptExcerpt.Line? {
            if let l = excerpt?.line(n) { return l }
            if let m = record.milestones.first(where: { $0.line == n }), let s = m.seconds {
                return .init(number: n, seconds: s, wall: nil, text: m.text)
            }
            return nil
        }

        public var failed: Bool { !record.outcome.isSuccess }

        /// Silence between console lines longer than this splits the "console printing" bar.
        public static let quietGap = 1.0

        /// When the console was printing: spans of lines no more than `quietGap` apart, from the
        /// transcript's line times. Lines a report leaves out (the middle of a long transcript)
        /// count as printing; without a transcript, first byte to last byte.
        public var activity: [(from: Double, to: Double)] {
            guard let first = record.firstByteSeconds else { return [] }
            let last = record.lastByteSeconds ?? first
            guard let ex = excerpt else { return [(first, max(first, last))] }
            let lastHead = ex.head.last?.number ?? 0
            let times = (ex.head + ex.tail.filter { $0.number > lastHead }).compactMap { l in l.seconds.map { (l.number, $0) } }
            guard !times.isEmpty else { return [(first, max(first, last))] }
            var spans: [(from: Double, to: Double)] = []
            var start = min(first, times[0].1)
            var previous = times[0]
            for t in times.dropFirst() {
                let skipped = t.0 > previous.0 + 1
                if t.1 - previous.1 > Self.quietGap && !skipped {
                    spans.append((start, previous.1))
                    start = t.1
                }
                previous = t
            }
            spans.append((start, max(previous.1, last)))
            return spans
        }
    }

    public init(record: RunRecord, boots: [Boot], limits: ExcerptLimits = .init()) {
        self.record = record
        self.boots = boots
        self.limits = limits
    }

    /// The boot a diagnosis evidence item names.
    public func boot(labelled label: String) -> Boot? { boots.first { $0.label.description == label } }

    /// Reads each boot's transcript (bounded by `limits`), resolving relative paths against
    /// the folder of the run record. A transcript that cannot be read is a note in the report,
    /// not a failure: the record alone still makes a report.
    public static func load(_ record: RunRecord, recordFolder: URL, limits: ExcerptLimits = .init()) -> RunReport {
        let evidenceLines = Dictionary(grouping: record.diagnosis.evidence, by: \.boot)
        let boots = record.boots.enumerated().map { index, record -> Boot in
            let label = record.label(position: index)
            var boot = Boot(index: index, label: label, record: record, excerpt: nil, transcriptProblem: nil)
            guard let url = RunFolder.transcriptURL(record, recordFolder: recordFolder) else {
                boot.transcriptProblem = "no transcript was recorded"
                return boot
            }
            var wanted = Set(record.evidence.map(\.line) + record.milestones.map(\.line))
            for item in evidenceLines[label.description] ?? [] { if let n = item.line { wanted.insert(n) } }
            do {
                boot.excerpt = try TranscriptExcerpt.read(path: url.path, marking: wanted, limits: limits)
            } catch {
                boot.transcriptProblem = "transcript \(record.transcript ?? url.path) cannot be read: \(error)"
            }
            return boot
        }
        return RunReport(record: record, boots: boots, limits: limits)
    }
}

/// How much of each transcript a report embeds. A wedged guest can print for hours; the report
/// keeps the start (firmware, kernel version) and the end (where it stopped).
public struct ExcerptLimits: Sendable, Equatable {
    public var headLines: Int
    public var tailLines: Int
    /// Longer lines are cut (the transcript keeps them whole).
    public var lineCharacters: Int

    public init(headLines: Int = 100, tailLines: Int = 2000, lineCharacters: Int = 1000) {
        self.headLines = headLines
        self.tailLines = tailLines
        self.lineCharacters = lineCharacters
    }
}

/// The first and last lines of a transcript, plus the lines a report points at, with their
/// host times. Read in one streaming pass: memory is bounded by the limits, not the file.
public struct TranscriptExcerpt: Sendable {
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var seconds: Double?
        public var wall: Date?
        /// Control sequences removed (`ConsoleText`), invalid UTF-8 replaced, cut to the limit.
        /// Still untrusted: renderers escape it.
        public var text: String

        public init(number: Int, seconds: Double?, wall: Date?, text: String) {
            self.number = number
            self.seconds = seconds
            self.wall = wall
            self.text = text
        }
    }

    public var head: [Line]
    public var tail: [Line]
    public var totalLines: Int
    /// Lines named by evidence and milestones, wherever they are.
    public var marked: [Int: Line]
    public var notes: [String]

    public init(head: [Line], tail: [Line], totalLines: Int, marked: [Int: Line] = [:], notes: [String] = []) {
        self.head = head
        self.tail = tail
        self.totalLines = totalLines
        self.marked = marked
        self.notes = notes
    }

    /// Lines between head and tail that the report leaves out.
    public var omitted: Int { max(0, totalLines - head.count - tail.count) }

    public func line(_ n: Int) -> Line? {
        if let l = marked[n] { return l }
        if let first = head.first, n >= first.number, n - first.number < head.count { return head[n - first.number] }
        if let first = tail.first, n >= first.number, n - first.number < tail.count { return tail[n - first.number] }
        return nil
    }

    static func read(path: String, marking wanted: Set<Int>, limits: ExcerptLimits) throws(ConsoleLogError) -> TranscriptExcerpt {
        var head: [Line] = []
        var ring: [Line] = []
        ring.reserveCapacity(min(limits.tailLines, 4096))
        var ringStart = 0
        var marked: [Int: Line] = [:]
        var total = 0
        let summary = try ConsoleLogReader().stream(path: path, format: nil) { view in
            total = view.number
            let inHead = head.count < limits.headLines
            let isWanted = wanted.contains(view.number)
            guard inHead || limits.tailLines > 0 || isWanted else { return }
            let line = Line(number: view.number, seconds: view.time?.seconds, wall: view.time?.wall,
                            text: Self.bounded(ConsoleText.displayString(view.bytes), limits.lineCharacters))
            if isWanted { marked[view.number] = line }
            if inHead {
                head.append(line)
            } else if limits.tailLines > 0 {
                if ring.count < limits.tailLines { ring.append(line) } else {
                    ring[ringStart] = line
                    ringStart = (ringStart + 1) % ring.count
                }
            }
        }
        let tail = Array(ring[ringStart...] + ring[..<ringStart])
        return TranscriptExcerpt(head: head, tail: tail, totalLines: total, marked: marked, notes: summary.notes)
    }

    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + " … (\(text.count - limit) more characters)"
    }
}

/// The words reports share: verdicts and actions as a person says them, numbers and times.
public enum ReportWords {
    /// What the host's history of healthy boots allowed (docs/contract.md, stalls), from the
    /// plan; nil for records written before there was one. Plain text: the caller escapes it.
    public static func history(_ plan: RunRecord.Plan) -> String? {
        guard let known = plan.historyBoots else { return nil }
        let counts = plan.kinds.map { "\($0.kind.rawValue) \(known[$0.kind.rawValue] ?? 0)" }.joined(separator: ", ")
        var s = "Healthy boots in this host's history at the start: \(counts); a kind with 20 of one kernel may stall sooner where its boots never stayed silent as long (the boot's notes say so)"
        for note in plan.historyNotes ?? [] { s += "; " + note }
        return s + "."
    }

    /// An offline image check's result, as the "Image integrity" sections list it.
    public static func checkStatus(_ s: ImageCheck.Status) -> String {
        switch s {
        case .passed: "passed"
        case .failed: "FAILED"
        case .couldNotCheck: "could not check"
        }
    }

    public static func verdict(_ v: Verdict) -> String {
        switch v {
        case .healthy: "Healthy"
        case .hostFault: "Host-wide hypervisor fault"
        case .imageFault: "Corrupt guest image"
        case .guestKernelFault: "Broken guest kernel"
        case .platformRegression: "Platform regression"
        case .intermittent: "Intermittent boot failures"
        case .inconclusive: "Inconclusive"
        }
    }

    public static func action(_ a: Action) -> String {
        switch a {
        case .none: "Nothing to do"
        case .rebootHost: "Reboot the host"
        case .restoreImage: "Restore the guest image; do not reboot the host"
        case .reinstallGuestKernel: "Reinstall the guest's kernel"
        case .rollbackHypervisor: "Roll back the hypervisor update"
        case .investigate: "Investigate (see what would make it surer)"
        }
    }

    /// `ok`, `warning`, `critical`, `unknown`: docs/contract.md's exit status as a word.
    public static func severity(_ d: Diagnosis) -> String {
        switch d.exitStatus {
        case .healthy: "ok"
        case .warning: "warning"
        case .critical: "critical"
        case .unknown, .usage: "unknown"
        }
    }

    /// `17.02 s`; `-` when unknown.
    public static func seconds(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return v < 100 ? String(format: "%.2f s", v) : String(format: "%.0f s", v)
    }

    /// `+1.580` (offset from the boot's start, as the transcript's clock).
    public static func offset(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "+%.3f", v)
    }

    /// `2026-11-23T08:19:04.037946Z`.
    public static func wall(_ d: Date?) -> String { d.map(BootcanaryTranscript.formatWall) ?? "-" }

    /// `2026-11-23 08:19:01Z`: whole seconds.
    public static func date(_ d: Date) -> String {
        let w = BootcanaryTranscript.formatWall(d)
        return String(w.prefix(10)) + " " + String(w.dropFirst(11).prefix(8)) + "Z"
    }

    /// A boot's outcome with what explains it: `stalled (15.4 s silent, vCPUs frozen)`.
    public static func outcome(_ b: BootRecord) -> String {
        var s = b.outcome.rawValue
        if b.outcome == .stalled, let stall = b.stallSeconds {
            s += String(format: " (%.1f s silent", stall) + (b.vcpu.map { ", vCPUs \($0.rawValue))" } ?? ")")
        }
        return s
    }

    /// A command line as one shell-pasteable string.
    public static func shellQuoted(_ words: [String]) -> String {
        words.map { w in
            let plain = !w.isEmpty && w.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_./:=,@+%".unicodeScalars.contains($0)
            }
            return plain ? w : "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
