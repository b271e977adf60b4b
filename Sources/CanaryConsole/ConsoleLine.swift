/// How a console line ended. The bytes of every line plus its terminator, in order,
/// reproduce the console stream exactly.
public enum LineTerminator: String, Sendable, Hashable, Codable, CaseIterable {
    /// `\n`
    case lf
    /// `\r\n` (what a serial console sends: the tty's ONLCR turns `\n` into `\r\n`)
    case crlf
    /// A bare `\r`: progress spinners and `A start job is running` redraw a line this way.
    case cr
    /// No terminator: the line grew past the assembler's limit and was cut; the next line
    /// continues it.
    case cut
    /// No terminator: the stream ended (or has not yet gone on) in the middle of the line,
    /// as it does after a `login: ` or `(initramfs) ` prompt.
    case none

    /// How many bytes this terminator stands for (no allocation, for counting).
    public var byteCount: Int {
        switch self {
        case .lf, .cr: 1
        case .crlf: 2
        case .cut, .none: 0
        }
    }

    /// The bytes this terminator stands for in the original stream.
    public var bytes: [UInt8] {
        switch self {
        case .lf: [0x0A]
        case .crlf: [0x0D, 0x0A]
        case .cr: [0x0D]
        case .cut, .none: []
        }
    }
}

/// One console line: its raw bytes exactly as the guest sent them (ESC sequences, NUL and
/// invalid UTF-8 included), how it ended, and when its first byte arrived.
public struct ConsoleLine: Sendable, Hashable {
    /// 1-based position in the console stream.
    public var number: Int
    /// The line's bytes without its terminator.
    public var bytes: [UInt8]
    public var terminator: LineTerminator
    /// Host time of the line's first byte; nil when the source has no host clock.
    public var time: ConsoleTime?

    public init(number: Int, bytes: [UInt8], terminator: LineTerminator, time: ConsoleTime?) {
        self.number = number
        self.bytes = bytes
        self.terminator = terminator
        self.time = time
    }

    /// The line's bytes followed by its terminator's bytes: what the guest sent.
    public var rawBytes: [UInt8] { bytes + terminator.bytes }

    /// The line as text for matching and display: control sequences removed, invalid UTF-8
    /// replaced. Console prefixes (printk time, level) are kept; see `LinePrefix`.
    public var text: String { ConsoleText.displayString(bytes) }
}

/// A console line whose bytes are borrowed from the assembler's buffer: valid only inside
/// the callback that receives it. The offline hot path classifies these without copying.
package struct ConsoleLineView {
    package var number: Int
    package var bytes: UnsafeBufferPointer<UInt8>
    package var terminator: LineTerminator
    package var time: ConsoleTime?

    package init(number: Int, bytes: UnsafeBufferPointer<UInt8>, terminator: LineTerminator, time: ConsoleTime?) {
        self.number = number
        self.bytes = bytes
        self.terminator = terminator
        self.time = time
    }

    package func materialize() -> ConsoleLine {
        ConsoleLine(number: number, bytes: Array(bytes), terminator: terminator, time: time)
    }
}
