import CanaryConsole

/// One boot's console, live: assembles the byte stream into lines and classifies them as
/// they complete, including the unterminated line a prompt leaves waiting. This is what the
/// Probe drives while a guest boots.
///
/// ```swift
/// var console = try BootConsole(options: ClassifierOptions(graceSeconds: 10))
/// try writer.writeHeader(metadata)
/// for await chunk in stream {                       // bytes from virStreamRecv
///     let now = ConsoleTime(seconds: clock.elapsed, wall: Date())
///     try writer.write(console.append(chunk, at: now))
///     if let end = console.ending(at: now.seconds) { ending = end; break }   // success, or grace over
/// }
/// // a watchdog elsewhere compares `console.classifier.silentSince` with its clock
/// try writer.write(console.finish())
/// let result = console.judge(ending, at: endTime)
/// try writer.writeEnd(ending, at: endTime)
/// try writer.writeResult(BootRecord(identity: .init(kind: .kernel, run: 1), result: result, source: .init(transcript: path)))
/// ```
public struct BootConsole: Sendable {
    public private(set) var assembler: LineAssembler
    public private(set) var classifier: BootClassifier
    /// Longest unterminated line still checked for a prompt.
    static let promptLimit = 512

    public init(options: ClassifierOptions = ClassifierOptions(), rules: ClassifierRules = .standard,
                maxLineBytes: Int = 16 * 1024) throws {
        assembler = LineAssembler(maxLineBytes: maxLineBytes)
        classifier = try BootClassifier(options: options, rules: rules)
    }

    /// Takes a chunk of console bytes that arrived at `time`; returns the lines it completed
    /// (already classified) for the transcript.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes, at time: ConsoleTime) -> [ConsoleLine]
    where Bytes.Element == UInt8 {
        guard !bytes.isEmpty else { return [] }
        let time = time.quantized
        let lines = assembler.append(bytes, at: time)
        for line in lines { classifier.consume(line) }
        classifier.noteBytes(at: time)
        // A prompt is short; a long unterminated line is not re-read on every chunk.
        let waiting = assembler.pendingByteCount
        if waiting > 0, waiting <= Self.promptLimit, let pending = assembler.pendingLine {
            classifier.consumePartial(pending)
        }
        return lines
    }

    /// What the console alone says about ending the boot at monotonic time `now`: the
    /// success marker was seen (before any fatal signature), or the grace period after the
    /// first fatal signature is over. Stalls, timeouts and domain events are the caller's to
    /// decide (they need a clock, libvirt and the vCPU samples).
    public func ending(at now: Double) -> BootEnding? {
        let c = classifier
        if let success = c.success, c.firstFatal.map({ success.line <= $0.line }) ?? true { return .successMarker }
        if let deadline = c.graceDeadline, now >= deadline { return .fatalSignature }
        return nil
    }

    /// Ends the stream: classifies and returns the line still open, if any.
    public mutating func finish() -> [ConsoleLine] {
        let lines = assembler.flush()
        for line in lines { classifier.consume(line) }
        return lines
    }

    /// The boot's result. Call `finish()` first so the last unterminated line counts.
    public func judge(_ ending: BootEnding, at time: ConsoleTime?) -> BootResult {
        classifier.judge(ending, at: time?.quantized)
    }
}
