/// Turns a console byte stream, chunk by chunk, into lines.
///
/// Lines end at `\n`, `\r\n` or a bare `\r`, found on bytes (never on Swift Characters:
/// `"\r\n"` is one Character, and a Character splitter waits forever for a `"\n"`).
/// A `\r` at the very end of a chunk is held until the next byte says whether it was
/// `\r\n`. A line that never ends is cut every `maxLineBytes` bytes, so a guest that prints
/// megabytes without a line end costs bounded memory. Every line carries the host time of
/// its first byte. Nothing is dropped: the lines' bytes and terminators, concatenated,
/// are the input.
public struct LineAssembler: Sendable {
    /// Longest line kept in one piece; longer lines are cut into pieces of this size.
    public let maxLineBytes: Int
    /// Bytes of the line begun but not yet ended.
    private var carry: [UInt8] = []
    /// Time of the first byte in `carry` (or of the held `\r`'s line).
    private var carryTime: ConsoleTime?
    /// `carry` has already ended in a `\r`; the next byte decides `\r` or `\r\n`.
    private var heldCR = false
    private var carryStarted = false
    /// Number the next line gets.
    public private(set) var nextLineNumber = 1
    /// Bytes taken in so far.
    public private(set) var byteCount = 0

    public init(maxLineBytes: Int = 16 * 1024) {
        self.init(maxLineBytes: maxLineBytes, reserve: true)
    }

    init(maxLineBytes: Int, reserve: Bool) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
        if reserve { carry.reserveCapacity(min(maxLineBytes, 4096)) }
    }

    /// Takes a chunk of console bytes that arrived at `time` and returns the lines it
    /// completed, in order.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes, at time: ConsoleTime?) -> [ConsoleLine]
    where Bytes.Element == UInt8 {
        var lines: [ConsoleLine] = []
        let visit: (ConsoleLineView) -> Void = { lines.append($0.materialize()) }
        if let done = bytes.withContiguousStorageIfAvailable({ scan($0, at: time, visit) }) {
            _ = done
        } else {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { scan($0, at: time, visit) }
        }
        return lines
    }

    /// Ends the stream: returns the line still open, if any (with terminator `.none`, or
    /// `.cr` for a held carriage return).
    public mutating func flush() -> [ConsoleLine] {
        var lines: [ConsoleLine] = []
        flush { lines.append($0.materialize()) }
        return lines
    }

    /// How many bytes the line begun but not yet ended holds (0 when none).
    public var pendingByteCount: Int { carryStarted ? carry.count : 0 }

    /// The line begun but not yet ended (a prompt waiting for input is one), without
    /// consuming it; nil when the last byte ended a line.
    public var pendingLine: ConsoleLine? {
        guard carryStarted else { return nil }
        return ConsoleLine(number: nextLineNumber, bytes: carry, terminator: heldCR ? .cr : .none, time: carryTime)
    }

    // MARK: - The scanner (borrowing views; the offline hot path calls these directly)

    mutating func flush(_ visit: (ConsoleLineView) -> Void) {
        guard carryStarted else { return }
        emitCarry(heldCR ? .cr : .none, visit)
    }

    mutating func scan(_ p: UnsafeBufferPointer<UInt8>, at time: ConsoleTime?, _ visit: (ConsoleLineView) -> Void) {
        let n = p.count
        guard n > 0 else { return }
        byteCount += n
        var i = 0
        if heldCR {
            if p[0] == 0x0A {
                emitCarry(.crlf, visit)
                i = 1
            } else {
                emitCarry(.cr, visit)
            }
        }
        while i < n {
            // Room left in the current line before it must be cut (carry is always shorter).
            let room = maxLineBytes - carry.count
            let limit = min(n, i + room)
            var j = i
            while j < limit {
                let b = p[j]
                if b <= 0x0D && (b == 0x0A || b == 0x0D) { break }
                j += 1
            }
            if j == limit {
                if limit - i == room {
                    // The line is full: cut it here; the next line continues it.
                    emit(p, i, limit, .cut, time, visit)
                    i = limit
                    continue
                }
                // The chunk ends inside a line: keep its bytes for the next chunk.
                if !carryStarted { carryTime = time; carryStarted = true }
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<n]))
                return
            }
            if p[j] == 0x0A {
                emit(p, i, j, .lf, time, visit)
                i = j + 1
            } else if j + 1 < n {
                if p[j + 1] == 0x0A {
                    emit(p, i, j, .crlf, time, visit)
                    i = j + 2
                } else {
                    emit(p, i, j, .cr, time, visit)
                    i = j + 1
                }
            } else {
                // `\r` is the chunk's last byte: hold the line until the next byte.
                if !carryStarted { carryTime = time; carryStarted = true }
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<j]))
                heldCR = true
                return
            }
        }
    }

    /// Emits p[start..<end] (preceded by any carried bytes) as one line.
    private mutating func emit(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ terminator: LineTerminator,
        _ time: ConsoleTime?, _ visit: (ConsoleLineView) -> Void
    ) {
        if carryStarted {
            carry.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end]))
            emitCarry(terminator, visit)
            return
        }
        let view = ConsoleLineView(
            number: nextLineNumber, bytes: UnsafeBufferPointer(rebasing: p[start..<end]),
            terminator: terminator, time: time)
        nextLineNumber += 1
        visit(view)
    }

    private mutating func emitCarry(_ terminator: LineTerminator, _ visit: (ConsoleLineView) -> Void) {
        let number = nextLineNumber
        nextLineNumber += 1
        let time = carryTime
        carry.withUnsafeBufferPointer { buffer in
            visit(ConsoleLineView(number: number, bytes: buffer, terminator: terminator, time: time))
        }
        carry.removeAll(keepingCapacity: true)
        carryStarted = false
        carryTime = nil
        heldCR = false
    }
}
