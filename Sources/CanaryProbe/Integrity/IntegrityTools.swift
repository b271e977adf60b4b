import CanaryEvidence
import Foundation

/// Runs the offline checks' host tools with a deadline each, and keeps what each printed in
/// the run folder (`integrity/NAME.txt`), so the proof quoted in the report can be read in full.
struct IntegrityTools {
    /// RUN/integrity; outputs are named relative to the run folder (`integrity/NAME.txt`).
    let folder: URL
    let timeout: Double

    struct Run {
        var result: ExternalTool.Result
        /// The output file, relative to the run folder.
        var output: String
        var seconds: Double
        var lines: [String] {
            (result.stdout + "\n" + result.stderr).split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case couldNotRun(String, String)
        case timedOut(String, Double)
        var description: String {
            switch self {
            case .missing(let tool): "\(tool) is not installed"
            case .couldNotRun(let tool, let why): "\(tool) could not run: \(why)"
            case .timedOut(let tool, let seconds): "\(tool) did not finish within \(Int(seconds)) s"
            }
        }
    }

    /// Runs `tool` and saves `$ command`, stdout, stderr and the exit status to `name`.txt.
    /// A missing tool, a failure to start and a timeout are thrown: the check says "could not
    /// check" with them; an exit status is the caller's to read.
    @available(*, noasync)
    func run(_ tool: String, _ arguments: [String], saveAs name: String, timeout: Double? = nil) throws(Failure) -> Run {
        guard let path = ExternalTool.find(tool) else { throw .missing(tool) }
        let start = Date()
        let limit = timeout ?? self.timeout
        let result: ExternalTool.Result
        do { result = try ExternalTool.run(path, arguments, timeout: limit) } catch { throw .couldNotRun(tool, "\(error)") }
        let file = folder.appendingPathComponent(name + ".txt")
        let text = "$ \(([tool] + arguments).joined(separator: " "))\n--- stdout\n\(result.stdout)\n--- stderr\n\(result.stderr)\n--- exit status \(result.status)\(result.timedOut ? " (timed out)" : "")\n"
        try? Data(text.utf8).write(to: file, options: .atomic)
        if result.timedOut { throw .timedOut(tool, limit) }
        // Milliseconds: the figure is for a reader, not a benchmark.
        return Run(result: result, output: "integrity/\(name).txt", seconds: (Date().timeIntervalSince(start) * 1000).rounded() / 1000)
    }

    /// Keeps a file read from the image (grub.cfg, an md5sums file) as `name`.
    func keep(_ text: String, as name: String) -> String {
        try? Data(text.utf8).write(to: folder.appendingPathComponent(name), options: .atomic)
        return "integrity/\(name)"
    }
}
