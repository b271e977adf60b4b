import CanaryModel
import CanaryReport
import Foundation

/// Progress for a run of boots. On a terminal, below the event lines, one status line with each
/// running boot's elapsed time, redrawn in place every second; in a pipe or a file (a CI log,
/// a systemd journal) exactly the plain event lines, one per event, with no `\r` or escape.
final class LiveProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var running = RunningBoots()
    private var drawn = false
    private var ticker: Task<Void, Never>?
    private let live: Bool

    init(live: Bool = Terminal.stderrIsTerminal) {
        self.live = live
        guard live else { return }
        ticker = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                self?.redraw()
            }
        }
    }

    deinit { ticker?.cancel() }

    /// One event line, above the status line.
    func line(_ message: String) {
        lock.withLock {
            clearStatus()
            Terminal.progress(message)
            drawStatus()
        }
    }

    func started(_ label: BootLabel, _ message: String) {
        lock.withLock {
            running.start(label, at: Date())
            clearStatus()
            Terminal.progress(message)
            drawStatus()
        }
    }

    func finished(_ label: BootLabel, _ message: String) {
        lock.withLock {
            running.finish(label)
            clearStatus()
            Terminal.progress(message)
            drawStatus()
        }
    }

    /// Removes the status line for good (before the verdict is printed).
    func end() {
        ticker?.cancel()
        lock.withLock { clearStatus() }
    }

    private func redraw() {
        lock.withLock {
            clearStatus()
            drawStatus()
        }
    }

    // Callers hold the lock.
    private func clearStatus() {
        guard live, drawn else { return }
        // CR, then ECMA-48 EL (erase in line, CSI K): the cursor is back at the start of an empty row.
        Terminal.raw(FileHandle.standardError, "\r\u{1B}[K")
        drawn = false
    }

    private func drawStatus() {
        guard live, let text = running.line(now: Date(), width: Self.columns()) else { return }
        // TerminalText first: the line holds only labels and numbers, but it is still text on a terminal.
        Terminal.raw(FileHandle.standardError, TerminalText.line(text))
        drawn = true
    }

    /// The terminal's width (TIOCGWINSZ), 80 when it does not say.
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
