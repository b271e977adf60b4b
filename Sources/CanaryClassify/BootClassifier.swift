import CanaryConsole
import CanaryModel

/// Options of one boot's classification.
public struct ClassifierOptions: Sendable, Hashable {
    /// What counts as a successful boot (default: a login prompt).
    public var success: SuccessMarker
    /// How long to keep reading after the first fatal signature so its trace arrives
    /// (syzkaller waits 10 s). Bounded to 0...60 s.
    public var graceSeconds: Double

    public init(success: SuccessMarker = .loginPrompt, graceSeconds: Double = 10) {
        self.success = success
        self.graceSeconds = min(max(graceSeconds, 0), 60)
    }
}

/// The first line that showed a milestone.
public struct MilestoneSighting: Sendable, Hashable, Codable {
    public var milestone: Milestone
    public var line: Int
    /// Host seconds of the line since the boot started, when known.
    public var seconds: Double?
    /// The guest kernel's printk time on the line, when it had one.
    public var kernelSeconds: Double?
    public var text: String
}

/// A line that matched a signature.
public struct SignatureHit: Sendable, Hashable {
    public var kind: SignatureKind
    public var line: Int
    public var time: ConsoleTime?
    public var kernelSeconds: Double?
    /// The line's message (prefixes and control sequences removed).
    public var text: String
    /// The normalized title this hit gives (before any ` in FUNCTION` from its trace).
    public var title: String
    /// Index of the matching row in the signature table.
    public var signatureIndex: Int
}

/// The tables a classifier matches with, compiled once and shared (immutable).
public final class ClassifierRules: Sendable {
    public let milestones: [MilestoneMarker]
    public let signatures: [Signature]
    let matcher: LiteralMatcher
    let milestoneAlso: [[[UInt8]]], milestoneUnless: [[[UInt8]]]
    let signatureAlso: [[[UInt8]]], signatureUnless: [[[UInt8]]]
    let milestoneRanks: [Int]
    /// The byte lengths of `LoginMarkerTable.prompts`, by matcher id from `loginIDs.lowerBound`.
    let loginLengths: [Int]
    var loginIDs: Range<Int> { (milestones.count + signatures.count)..<(milestones.count + signatures.count + loginLengths.count) }

    public init(milestones: [MilestoneMarker] = MilestoneTable.standard, signatures: [Signature] = SignatureTable.standard) {
        milestoneRanks = milestones.map(\.milestone.rank)
        self.milestones = milestones
        self.signatures = signatures
        var literals: [(String, Int)] = []
        for (k, m) in milestones.enumerated() { literals.append((m.text, k)) }
        for (k, s) in signatures.enumerated() { literals.append((s.text, milestones.count + k)) }
        let prompts = LoginMarkerTable.prompts
        for (k, p) in prompts.enumerated() { literals.append((p.text, milestones.count + signatures.count + k)) }
        loginLengths = prompts.map(\.text.utf8.count)
        matcher = LiteralMatcher(literals: literals.map { (text: $0.0, id: $0.1) })
        milestoneAlso = milestones.map { $0.alsoContains.map { Array($0.utf8) } }
        milestoneUnless = milestones.map { $0.unless.map { Array($0.utf8) } }
        signatureAlso = signatures.map { $0.alsoContains.map { Array($0.utf8) } }
        signatureUnless = signatures.map { $0.unless.map { Array($0.utf8) } }
    }

    public static let standard = ClassifierRules()
}

/// Reads one boot's console line by line and keeps what the verdict needs: milestones with
/// their first-seen times, the first fatal signature and its title, the success marker, the
/// gaps between lines, and the last meaningful lines. The same code runs live (the Probe
/// feeds lines as they arrive, see `BootConsole`) and offline (`analyze`).
///
/// It reads no clock: every time comes with the lines. It decides nothing about time either:
/// the caller ends the boot (success seen, grace period over, stall, timeout, domain
/// stopped) and asks `judge(_:at:)` for the result.
public struct BootClassifier: Sendable {
    public let options: ClassifierOptions
    let rules: ClassifierRules
    private let expect: CompiledPattern?

    public private(set) var lines = 0
    public private(set) var bytes = 0
    /// Time of the first line (= the first byte).
    public private(set) var firstByteTime: ConsoleTime?
    /// Time of the latest byte the caller reported (`noteBytes`), else of the latest line.
    public private(set) var silentSince: ConsoleTime?
    public private(set) var lastLineTime: ConsoleTime?
    private var lastKernelSeconds: Double?
    private var sightings = [MilestoneSighting?](repeating: nil, count: Milestone.allCases.count)
    public private(set) var lastMilestone: Milestone = .none
    public private(set) var success: MilestoneSighting?
    public private(set) var firstFatal: SignatureHit?
    /// Signature hits in console order (the first per kind always; at most `maxHits`).
    public private(set) var hits: [SignatureHit] = []
    private var hitCount = 0
    public private(set) var gaps = GapProfile()
    /// ` in FUNCTION` found in the first fatal signature's trace.
    private var faultingFunction: String?
    private var linesSinceFatal = 0
    /// The trace after a stall or hang header (`StallFrame`), while `collectingTrace`.
    private var traceEvents: [TraceEvent] = []
    private var collectingTrace = false
    /// Lines read into `traceEvents`: its own count, since an oops both seeks its RIP line
    /// (`linesSinceFatal`) and collects its trace, and one shared counter halved both windows.
    private var traceLinesRead = 0
    /// `host login: root` on the previous line, waiting for `Password:` on this one.
    private var pendingAnsweredLogin: MilestoneSighting?
    /// Cheap flags for the per-line path (optionals of structs cost a value-witness call).
    private var seekingFunction = false
    private let hasExpect: Bool
    /// Unexpected reboots: a second `Linux version` banner.
    public private(set) var reboots = 0
    private var bannerSeen = false

    // The last meaningful lines, in a ring of reused buffers (no allocation per line).
    private var recent: [[UInt8]] = Array(repeating: [], count: BootClassifier.recentCount)
    private var recentNumbers = [Int](repeating: 0, count: BootClassifier.recentCount)
    private var recentNext = 0
    private var recentFilled = 0
    private var scratch: [UInt8] = []
    // Entries already matched on the unterminated line (checked while it grows).
    private var partialLine = 0
    private var partialIDs: [Int] = []

    static let recentCount = 8
    static let maxHits = 64
    /// How many lines after the first fatal signature are searched for the faulting function.
    static let traceLines = 120
    /// How many lines after a stall or hang header are read for its trace (an RCU stall
    /// prints the other CPUs' state before the interrupted context).
    static let stallTraceLines = 240
    static let maxTraceEvents = 400

    public init(options: ClassifierOptions = ClassifierOptions(), rules: ClassifierRules = .standard) throws {
        self.options = options
        self.rules = rules
        if case .regex(let pattern) = options.success {
            expect = try CompiledPattern(pattern)
        } else {
            expect = nil
        }
        hasExpect = expect != nil
    }

    // MARK: Feeding

    /// Takes one complete console line.
    public mutating func consume(_ line: ConsoleLine) {
        line.bytes.withUnsafeBufferPointer {
            consume(ConsoleLineView(number: line.number, bytes: $0, terminator: line.terminator, time: line.time))
        }
    }

    /// Looks at the line still being received (a prompt waits without a line end): records
    /// a success marker or a rescue-shell prompt on it now. The complete line, when it comes,
    /// is not counted twice.
    public mutating func consumePartial(_ line: ConsoleLine) {
        line.bytes.withUnsafeBufferPointer {
            process(ConsoleLineView(number: line.number, bytes: $0, terminator: line.terminator, time: line.time), partial: true)
        }
    }

    /// Notes that console bytes arrived at `time` (the live side calls this per chunk, so
    /// `silentSince` is the last byte, not the last complete line).
    public mutating func noteBytes(at time: ConsoleTime) {
        silentSince = time
    }

    /// Whether the success marker has been seen.
    public var successSeen: Bool { success != nil }

    /// When the caller should end the boot after the first fatal signature, in monotonic
    /// seconds (nil before one, or when lines carry no host time).
    public var graceDeadline: Double? {
        firstFatal?.time.map { $0.seconds + options.graceSeconds }
    }

    /// The first sighting of each milestone reached, in boot order.
    public var milestones: [MilestoneSighting] { sightings.compactMap { $0 } }

    public func sighting(of milestone: Milestone) -> MilestoneSighting? { sightings[milestone.rank] }

    /// The last meaningful lines (prefixes stripped), oldest first, with their line numbers.
    public var lastLines: [(line: Int, text: String)] {
        (0..<recentFilled).map { k in
            let slot = (recentNext - recentFilled + k + Self.recentCount) % Self.recentCount
            return (recentNumbers[slot], String(decoding: recent[slot], as: UTF8.self))
        }
    }

    mutating func consume(_ view: ConsoleLineView) {
        process(view, partial: false)
    }

    private mutating func process(_ view: ConsoleLineView, partial: Bool) {
        if !partial {
            lines += 1
            bytes += view.bytes.count + view.terminator.byteCount
            if let t = view.time {
                if firstByteTime == nil { firstByteTime = t }
                if let last = lastLineTime {
                    gaps.add(t.seconds - last.seconds, at: lastMilestone, clock: .host)
                }
                lastLineTime = t
                if silentSince.map({ $0.seconds < t.seconds }) ?? true { silentSince = t }
            }
        } else if view.number != partialLine {
            partialLine = view.number
            partialIDs.removeAll(keepingCapacity: true)
        }
        var scratch = self.scratch
        self.scratch = []
        ConsoleText.withMatchable(view.bytes, scratch: &scratch) { clean in
            let prefix = LinePrefix.parse(clean)
            let message = UnsafeBufferPointer(rebasing: clean[prefix.messageStart...])
            if !partial {
                if view.time == nil, let k = prefix.kernelSeconds {
                    if let last = lastKernelSeconds { gaps.add(k - last, at: lastMilestone, clock: .kernel) }
                    lastKernelSeconds = k
                }
                remember(message, line: view.number)
                if seekingFunction { lookForFaultingFunction(message) }
                if collectingTrace { collectTrace(message) }
                // A printk-stamped line means the kernel runs even when its banner was lost
                // or cut from the log (logspec's `linux.boot.kernel_started`).
                if prefix.kernelSeconds != nil, sightings[Milestone.kernel.rank] == nil {
                    recordMilestone(.kernel, view: view, prefix: prefix, message: message, inferred: true)
                }
            }
            match(message, prefix: prefix, view: view, partial: partial)
        }
        self.scratch = scratch
    }

    // MARK: Matching

    private mutating func match(_ message: UnsafeBufferPointer<UInt8>, prefix: LinePrefix, view: ConsoleLineView, partial: Bool) {
        // Which table rows the line hit, as bit sets (rows are few; checked in table order).
        var milestoneHits = RowSet()
        var signatureHits = RowSet()
        var loginAt = -1
        var answeredAt = -1
        let rules = self.rules
        let milestoneCount = rules.milestones.count
        let signatureEnd = milestoneCount + rules.signatures.count
        rules.matcher.forEachMatch(in: message) { id, start in
            if id < milestoneCount {
                milestoneHits.insert(id)
            } else if id < signatureEnd {
                signatureHits.insert(id - milestoneCount)
            } else if loginAt < 0, SuccessMarker.isLoginPrompt(message, at: start, length: rules.loginLengths[id - signatureEnd],
                                                                 isKernelLine: prefix.isKernelLine) {
                loginAt = start
            } else if answeredAt < 0, !partial,
                      SuccessMarker.isAnsweredLoginPrompt(message, at: start, length: rules.loginLengths[id - signatureEnd],
                                                          isKernelLine: prefix.isKernelLine) {
                answeredAt = start
            }
        }
        // An unterminated line is still growing: only prompts are judged on it (a login or
        // rescue-shell prompt waits there for ever), never a milestone or a signature whose
        // row or title could change when the rest of the line arrives.
        if !milestoneHits.isEmpty, !partial {
            for k in milestoneHits {
                // A milestone already seen needs no second look (except the banner: reboots).
                let rank = rules.milestoneRanks[k]
                if sightings[rank] != nil, rank != Milestone.kernel.rank { continue }
                guard Self.verify(message, also: rules.milestoneAlso[k], unless: rules.milestoneUnless[k]) else { continue }
                recordMilestone(rules.milestones[k].milestone, view: view, prefix: prefix, message: message)
                break
            }
        }
        if loginAt >= 0, firstTime(signatureEnd, line: view.number, partial: partial) {
            recordMilestone(.login, view: view, prefix: prefix, message: message)
            if case .loginPrompt = options.success, success == nil { success = sighting(of: .login) }
        }
        // A prompt a user already answered (`host login: root`) counts once the next line
        // asks for the password; `(automatic login)` counts at once.
        if !partial {
            if let answered = pendingAnsweredLogin, view.number == answered.line + 1, SuccessMarker.isPasswordPrompt(message) {
                recordLogin(answered)
            }
            pendingAnsweredLogin = nil
            if answeredAt >= 0 {
                let sighting = MilestoneSighting(milestone: .login, line: view.number, seconds: view.time?.seconds,
                                                 kernelSeconds: prefix.kernelSeconds, text: Self.text(message))
                if SuccessMarker.isAutomaticLogin(message) { recordLogin(sighting) } else { pendingAnsweredLogin = sighting }
            }
        }
        if hasExpect, success == nil, let expect, firstTime(rules.loginIDs.upperBound, line: view.number, partial: partial),
           expect.matches(String(decoding: message, as: UTF8.self)) {
            success = MilestoneSighting(milestone: lastMilestone, line: view.number, seconds: view.time?.seconds,
                                        kernelSeconds: prefix.kernelSeconds, text: Self.text(message))
        }
        for k in signatureHits where !signatureHits.isEmpty {
            let signature = rules.signatures[k]
            guard Self.verify(message, also: rules.signatureAlso[k], unless: rules.signatureUnless[k]) else { continue }
            if partial, !Self.isPrompt(signature) { break }
            if firstTime(milestoneCount + k, line: view.number, partial: partial) { recordSignature(k, view: view, prefix: prefix, message: message) }
            break
        }
    }

    /// A signature that can be judged on an unterminated line: a waiting prompt's kind
    /// (`LoginMarkerTable.waitingPromptKinds`) with a fixed title.
    private static func isPrompt(_ signature: Signature) -> Bool {
        guard case .fixed = signature.title else { return false }
        return LoginMarkerTable.waitingPromptKinds.contains(signature.kind)
    }

    /// False when this entry already matched the same line while it was unterminated.
    private mutating func firstTime(_ id: Int, line: Int, partial: Bool) -> Bool {
        if partial {
            if partialIDs.contains(id) { return false }
            partialIDs.append(id)
            return true
        }
        return !(partialLine == line && partialIDs.contains(id))
    }

    private mutating func recordLogin(_ sighting: MilestoneSighting) {
        guard sightings[Milestone.login.rank] == nil else { return }
        sightings[Milestone.login.rank] = sighting
        if Milestone.login.rank > lastMilestone.rank { lastMilestone = .login }
        if case .loginPrompt = options.success, success == nil { success = sighting }
    }

    private mutating func recordMilestone(_ milestone: Milestone, view: ConsoleLineView, prefix: LinePrefix,
                                          message: UnsafeBufferPointer<UInt8>, inferred: Bool = false) {
        if milestone == .kernel, !inferred {
            if bannerSeen { reboots += 1; return }
            bannerSeen = true
        }
        guard sightings[milestone.rank] == nil else { return }
        sightings[milestone.rank] = MilestoneSighting(
            milestone: milestone, line: view.number, seconds: view.time?.seconds, kernelSeconds: prefix.kernelSeconds, text: Self.text(message))
        if milestone.rank > lastMilestone.rank { lastMilestone = milestone }
    }

    private mutating func recordSignature(_ index: Int, view: ConsoleLineView, prefix: LinePrefix, message: UnsafeBufferPointer<UInt8>) {
        let signature = rules.signatures[index]
        hitCount += 1
        let firstOfKind = !hits.contains { $0.kind == signature.kind }
        let isFirstFatal = signature.kind.isFatal && firstFatal == nil
        guard firstOfKind || isFirstFatal || hits.count < Self.maxHits else { return }
        let text = Self.text(message)
        let hit = SignatureHit(
            kind: signature.kind, line: view.number, time: view.time, kernelSeconds: prefix.kernelSeconds,
            text: text, title: title(for: signature, message: text), signatureIndex: index)
        hits.append(hit)
        if isFirstFatal {
            firstFatal = hit
            linesSinceFatal = 0
            traceLinesRead = 0
            if case .inFunction = signature.title { seekingFunction = true; collectingTrace = true }
            if case .inStall = signature.title { collectingTrace = true }
        }
    }

    private func title(for signature: Signature, message: String) -> String {
        switch signature.title {
        case .fixed(let title):
            return title
        case .message:
            let from = message.range(of: signature.text).map { String(message[$0.lowerBound...]) } ?? message
            return TitleNormalizer.normalize(from)
        case .after(let marker, let prefix):
            guard let r = message.range(of: marker) else { return TitleNormalizer.normalize(message) }
            var reason = String(message[r.upperBound...]).trimmingSpaces()
            if reason.hasSuffix("]---") { reason = String(reason.dropLast(4)).trimmingSpaces() }
            return prefix + TitleNormalizer.normalize(reason)
        case .inFunction(let base), .inStall(let base, _):
            return base
        case .previousLine(let prefix):
            // The line before this one among the meaningful lines (this one is already last).
            let previous = lastLines.dropLast().last?.text ?? message
            return prefix + TitleNormalizer.normalize(previous)
        case .xenbusTimeout:
            return Self.xenbusTitle(message)
        }
    }

    /// `XENBUS: Timeout connecting to device: device/vbd/51712 (local state 3, remote state 1)`
    /// -> `XENBUS: timeout connecting to device/vbd (remote state 1: Initialising)`.
    static func xenbusTitle(_ message: String) -> String {
        var device = "device"
        if let r = message.range(of: "device/") {
            let rest = message[r.lowerBound...]
            let parts = rest.split(separator: "/", maxSplits: 2)
            if parts.count >= 2 { device = "device/" + parts[1].prefix { $0.isLetter || $0 == "_" } }
        }
        var title = "XENBUS: timeout connecting to \(device)"
        let label = XenbusStateTable.remoteStateLabel
        if let r = message.range(of: label) {
            let digits = message[r.upperBound...].prefix { $0.isNumber }
            if let state = Int(digits) {
                title += " (\(label)\(state)" + (XenbusStateTable.state(state).map { ": \($0.name)" } ?? "") + ")"
            }
        }
        return title
    }

    /// In the lines after the first fatal signature: a `TraceLineTable` row that names the
    /// faulting function (`RIP: 0010:func+0x1a/0x40`, `pc : func+0x..`).
    private mutating func lookForFaultingFunction(_ message: UnsafeBufferPointer<UInt8>) {
        linesSinceFatal += 1
        if linesSinceFatal > Self.traceLines { seekingFunction = false; return }
        for (marker, codeSegment) in TraceLineTable.faultingFunctionMarkers {
            guard let at = message.firstIndex(of: marker, from: 0) else { continue }
            var i = at + marker.count
            if codeSegment {
                // skip the code segment `0010:` / `e030:`
                var j = i
                while j < message.count, message[j] != UInt8(ascii: ":"), j - i < 6 { j += 1 }
                if j < message.count, message[j] == UInt8(ascii: ":") { i = j + 1 }
            }
            var j = i
            while j < message.count {
                let c = message[j]
                let word = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2E
                if !word { break }
                j += 1
            }
            guard j > i, j < message.count, message[j] == UInt8(ascii: "+") else { continue }
            let name = String(decoding: UnsafeBufferPointer(rebasing: message[i..<j]), as: UTF8.self)
            if name.hasPrefix("0x") { continue }
            faultingFunction = name
            seekingFunction = false
            return
        }
    }

    /// In the lines after a stall or hang header: the events its title's frame is found in.
    private mutating func collectTrace(_ message: UnsafeBufferPointer<UInt8>) {
        traceLinesRead += 1
        if traceLinesRead > Self.stallTraceLines || traceEvents.count >= Self.maxTraceEvents {
            collectingTrace = false
            return
        }
        traceEvents += StallFrame.events(in: String(decoding: message, as: UTF8.self))
    }

    private mutating func remember(_ message: UnsafeBufferPointer<UInt8>, line: Int) {
        var start = 0
        var end = message.count
        while start < end, message[start] == 0x20 { start += 1 }
        while end > start, message[end - 1] == 0x20 { end -= 1 }
        guard end > start else { return }
        let slot = recentNext
        recent[slot].removeAll(keepingCapacity: true)
        recent[slot].append(contentsOf: UnsafeBufferPointer(rebasing: message[start..<min(end, start + 512)]))
        recentNumbers[slot] = line
        recentNext = (recentNext + 1) % Self.recentCount
        recentFilled = min(recentFilled + 1, Self.recentCount)
    }

    private static func text(_ message: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: message, as: UTF8.self).trimmingSpaces()
    }

    private static func verify(_ message: UnsafeBufferPointer<UInt8>, also: [[UInt8]], unless: [[UInt8]]) -> Bool {
        for needle in also where !message.contains(bytes: needle) { return false }
        for needle in unless where message.contains(bytes: needle) { return false }
        return true
    }

    // MARK: Judgement

    /// The title of the boot: the first fatal signature's (with its faulting function), else
    /// the first informational signature worth naming (a xenbus timeout, a missing root
    /// device), else nil.
    public var title: String? {
        if let fatal = firstFatal {
            if case .inFunction = rules.signatures[fatal.signatureIndex].title,
               let function = faultingFunction ?? StallFrame.firstRIP(traceEvents) {
                // A fault inside a generic helper (memcpy, a list or lock primitive, a
                // retpoline thunk) is named after the first caller that is not one.
                if StallFrame.isGeneric(function), let caller = StallFrame.function(traceEvents, style: .oops) {
                    return fatal.title + " in " + TitleNormalizer.normalize(caller)
                }
                // `.constprop.9`, `.part.0`, `.cold`: compiler clones of one function
                let base = function.split(separator: ".", maxSplits: 1).first.map(String.init) ?? function
                return fatal.title + " in " + StallFrame.strip(base)
            }
            if case .inStall(_, let style) = rules.signatures[fatal.signatureIndex].title,
               let function = StallFrame.function(traceEvents, style: style) {
                return fatal.title + " in " + TitleNormalizer.normalize(function)
            }
            return fatal.title
        }
        return hits.first { $0.kind == .xenbusTimeout || $0.kind == .rootDeviceMissing }?.title
    }

    /// The worst fatal signature seen (a panic beats an oops beats a lockup ...).
    public var worstFatal: SignatureHit? {
        hits.filter { $0.kind.isFatal }.max { $0.kind.severity < $1.kind.severity }
    }

    /// What the console showed, as `OutcomeTable`'s rows ask it, for a boot ended at `endTime`.
    func outcomeFacts(at endTime: ConsoleTime?) -> OutcomeTable.Facts {
        OutcomeTable.Facts(
            lines: lines,
            successFirst: success.map { s in firstFatal.map { s.line <= $0.line } ?? true } ?? false,
            worst: worstFatal?.kind.outcome,
            shutdownSeen: hits.contains { $0.kind == .shutdown },
            firstByte: firstByteTime?.seconds,
            lastByte: silentSince?.seconds ?? lastLineTime?.seconds,
            end: endTime?.seconds,
            successTime: success?.seconds,
            firstFatalTime: firstFatal?.time?.seconds)
    }

    /// The result of the boot, given how it ended. One place decides every outcome, for the
    /// live console and saved logs alike: the first `OutcomeTable` row that applies.
    public func judge(_ ending: BootEnding, at endTime: ConsoleTime? = nil) -> BootResult {
        let facts = outcomeFacts(at: endTime)
        let lastByte = facts.lastByte
        let decision = OutcomeTable.decide(ending, facts)
        let outcome = decision.outcome
        let decidedAt = decision.decidedAt
        let stallSeconds = decision.stallSeconds
        let vcpu = decision.vcpu

        var evidence: [Evidence] = []
        if let fatal = firstFatal {
            evidence.append(Evidence(line: fatal.line, reason: "first fatal signature: \(fatal.kind.rawValue)", text: fatal.text))
        }
        if let worst = worstFatal, worst.line != firstFatal?.line {
            evidence.append(Evidence(line: worst.line, reason: "worst signature: \(worst.kind.rawValue)", text: worst.text))
        }
        for hit in hits where !hit.kind.isFatal {
            evidence.append(Evidence(line: hit.line, reason: hit.kind.rawValue, text: hit.text))
            if evidence.count >= 8 { break }
        }
        if let s = success, outcome == .booted {
            evidence.append(Evidence(line: s.line, reason: "success marker (\(options.success))", text: s.text))
        } else if let m = sighting(of: lastMilestone) {
            evidence.append(Evidence(line: m.line, reason: "last milestone: \(lastMilestone.rawValue)", text: m.text))
        }
        let last = lastLines.last
        return BootResult(
            outcome: outcome,
            lastMilestone: lastMilestone,
            lastLine: last?.text,
            lastLineNumber: last?.line,
            // A boot that succeeded has no failure title (later signatures stay in evidence).
            title: outcome == .booted ? nil : title,
            signature: worstFatal?.kind ?? firstFatal?.kind,
            panicReason: hits.first { $0.kind == .kernelPanic }?.title,
            evidence: evidence.sorted { $0.line < $1.line },
            secondsToOutcome: decidedAt,
            stallSeconds: stallSeconds,
            vcpu: vcpu,
            firstByteSeconds: firstByteTime?.seconds,
            lastByteSeconds: lastByte,
            lines: lines,
            bytes: bytes,
            milestones: milestones,
            gaps: gaps.summaries,
            gapClock: gaps.clock,
            ending: ending,
            lastLines: lastLines.map { $0.text },
            reboots: reboots).roundedToMicroseconds()
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// A small set of table row numbers (up to 256), iterated in increasing order.
struct RowSet: Sequence {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    mutating func insert(_ row: Int) {
        precondition(row >= 0 && row < 256, "a table has at most 256 rows")
        let bit = UInt64(1) << UInt64(row & 63)
        switch row >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func makeIterator() -> Iterator { Iterator(words: words) }

    struct Iterator: IteratorProtocol {
        var words: (UInt64, UInt64, UInt64, UInt64)
        var index = 0

        mutating func next() -> Int? {
            while index < 4 {
                var w: UInt64
                switch index {
                case 0: w = words.0
                case 1: w = words.1
                case 2: w = words.2
                default: w = words.3
                }
                if w != 0 {
                    let bit = w.trailingZeroBitCount
                    w &= w - 1
                    switch index {
                    case 0: words.0 = w
                    case 1: words.1 = w
                    case 2: words.2 = w
                    default: words.3 = w
                    }
                    return index * 64 + bit
                }
                index += 1
            }
            return nil
        }
    }
}
