import ArgumentParser
import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryModel
import CanaryReport
import CanarySession
import Foundation

/// `bootcanary analyze FILE... [--json]`: classify saved console logs (docs/contract.md).
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Classify saved console logs: bootcanary transcripts, virsh console captures, xenconsoled logs.",
        discussion: """
            Exit status: 0 every boot succeeded; 2 a boot failed; 3 a file could not be judged \
            (unreadable, or an infrastructure error); 64 usage error.
            """)

    @Argument(help: "Console logs to analyze.")
    var files: [String] = []

    @Option(name: .customLong("known-issues"), help: ArgumentHelp("Known issues to name, after the shipped ones (TOML, docs/known-issues.md; default \(KnownIssueFile.defaultPath) when it exists).", valueName: "FILE"))
    var knownIssues: String?
    @Option(name: .customLong("kind"), help: ArgumentHelp("The probe kind of a log, for the diagnosis (repeatable; the file is analyzed too). bootcanary transcripts name their kind themselves.", valueName: "KIND:FILE"))
    var kinds: [String] = []

    @Flag(help: "Print one JSON document (schema bootcanary.analysis/1).")
    var json = false

    @Option(help: "Read every file as this format instead of detecting it: bootcanary, plain, xenconsoled.")
    var format: ConsoleLogFormat?

    @Option(help: "Success marker regex (default: a login prompt; a transcript's own `expect` otherwise).")
    var expect: String?

    @Option(help: "Seconds to keep reading after a fatal signature (0-60).")
    var grace: Double?

    func validate() throws {
        if files.isEmpty && kinds.isEmpty { throw ValidationError("give at least one console log") }
        do { _ = try KnownIssueFile.load(knownIssues) } catch let problem as KnownIssueFile.Problem {
            throw ValidationError(problem.description)
        }
        for k in kinds {
            let parts = k.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, ProbeKind(rawValue: parts[0]) != nil, !parts[1].isEmpty else {
                throw ValidationError("--kind takes KIND:FILE with KIND one of \(ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")) (got \(k))")
            }
        }
        if let grace, let problem = ProbeLimits.grace.flagProblem(grace) { throw ValidationError(problem) }
        if let expect {
            do { _ = try Regex(expect) } catch { throw ValidationError("--expect is not a valid regex: \(error)") }
        }
    }

    func run() throws {
        var options: ClassifierOptions?
        if expect != nil || grace != nil {
            options = ClassifierOptions(success: expect.map { .regex($0) } ?? .loginPrompt, graceSeconds: grace ?? 10)
        }
        var analyses: [ConsoleLogAnalysis] = []
        var unreadable: [AnalysisDocument.Unreadable] = []
        var kindOf: [String: ProbeKind] = [:]
        var all = files
        for k in kinds {
            let parts = k.split(separator: ":", maxSplits: 1).map(String.init)
            kindOf[parts[1]] = ProbeKind(rawValue: parts[0])
            if !all.contains(parts[1]) { all.append(parts[1]) }
        }
        for file in all {
            do {
                analyses.append(try ConsoleLogAnalysis.analyze(path: file, format: format, options: options))
            } catch let error as ConsoleLogError {
                unreadable.append(.init(file: file, message: error.description))
            } catch {
                unreadable.append(.init(file: file, message: "\(error)"))
            }
        }
        let comparison = analyses.count >= 2
            ? FailurePointComparison(analyses.map { .init(name: $0.path, kind: $0.metadata.kind, result: $0.result) })
            : nil
        let diagnosis = analyses.count >= 2 ? LogDiagnosis.diagnose(analyses, kinds: kindOf) : nil
        // No host facts in a saved log: rows that need them (a Xen version) cannot match here.
        // The file was read once in validate(): a problem there is a usage error.
        let issues = (try? KnownIssueFile.load(knownIssues)) ?? KnownIssueTable.shipped
        let known = KnownIssueMatcher.matches(issues, boots: analyses.map(\.record), host: nil)
        if json {
            var document = AnalysisDocument(boots: analyses.map(\.record), unreadable: unreadable, comparison: comparison)
            document.diagnosis = diagnosis?.diagnosis
            document.knownIssues = known.isEmpty ? nil : known
            Terminal.printJSON(try JSONFormat.string(document))
        } else {
            for analysis in analyses { Terminal.print(AnalysisText.describe(analysis) + "\n") }
            for bad in unreadable { Terminal.print("\(bad.file): \(bad.message)\n\n") }
            if let comparison { Terminal.print(AnalysisText.describe(comparison) + "\n") }
            if let diagnosis {
                Terminal.print("Diagnosis")
                Terminal.print(VerdictText.render(diagnosis.diagnosis))
                for skipped in diagnosis.skipped { Terminal.print("  (not in the diagnosis: \(skipped): its kind is unknown; pass --kind KIND:\(skipped))") }
            }
            for k in known {
                Terminal.print("Known issue \(k.name): \(k.explanation) (\(k.reference); seen in \(Set(k.matches.map(\.boot)).sorted().joined(separator: ", ")))")
            }
        }
        for bad in unreadable where json {
            Terminal.progress("bootcanary analyze: \(bad.file): \(bad.message)")
        }
        var status = Self.exitStatus(analyses.map(\.result.outcome), unreadable: unreadable.count)
        // With several logs of known kinds the diagnosis speaks for them (docs/contract.md: verdict
        // exit codes); when some logs stayed out of it, each boot's own outcome does.
        if let diagnosis, diagnosis.skipped.isEmpty, diagnosis.diagnosis.rule != "no-evidence", unreadable.isEmpty {
            status = diagnosis.diagnosis.exitStatus
        }
        if status != .healthy { throw ExitCode(status.rawValue) }
    }

    /// docs/contract.md: any failed boot is critical; a file that could not be judged is unknown.
    static func exitStatus(_ outcomes: [BootOutcome], unreadable: Int) -> ExitStatus {
        if outcomes.contains(where: { !$0.isSuccess && $0.isGuestEvidence }) { return .critical }
        if unreadable > 0 || outcomes.contains(.infraError) { return .unknown }
        return .healthy
    }
}

extension ConsoleLogFormat: ExpressibleByArgument {}

/// The human summary of analyses. Console text is untrusted: it is made terminal-safe here.
enum AnalysisText {
    static func describe(_ a: ConsoleLogAnalysis) -> String {
        let r = a.result
        var out = "\(a.path)  (\(a.format.description), \(r.lines) lines, \(bytes(a.fileBytes)))\n"
        func row(_ label: String, _ value: String) { out += "  " + label.padding(toLength: 16, withPad: " ", startingAt: 0) + value + "\n" }
        if let kind = a.metadata.kind { row("kind", kind.rawValue + (a.metadata.run.map { " run \($0)" } ?? "")) }
        row("outcome", r.outcome.rawValue + (r.stallSeconds.map { " (silent \(seconds($0)))" } ?? "") + (r.vcpu.map { ", vCPU \($0.rawValue)" } ?? ""))
        var milestone = r.lastMilestone.rawValue
        if let seen = r.milestones.last(where: { $0.milestone == r.lastMilestone }) {
            milestone += "  (line \(seen.line)" + (seen.seconds.map { ", \(seconds($0))" } ?? seen.kernelSeconds.map { ", kernel time \(seconds($0))" } ?? "") + ")"
        }
        row("last milestone", milestone)
        if let title = r.title { row("title", safe(title)) }
        if let panic = r.panicReason, panic != r.title { row("panic", safe(panic)) }
        if let t = r.secondsToOutcome { row("decided at", seconds(t)) }
        row("ended by", safe(r.ending.reason))
        for e in r.evidence.prefix(4) {
            row("evidence", "line \(e.line) (\(safe(e.reason))): " + safe(String(e.text.prefix(120))))
        }
        if !r.lastLines.isEmpty {
            out += "  last lines\n"
            for line in r.lastLines.suffix(6) { out += "    " + safe(String(line.prefix(160))) + "\n" }
        }
        for note in a.notes { out += "  note: \(safe(note))\n" }
        return out
    }

    static func describe(_ c: FailurePointComparison) -> String {
        var out = "Failure points across \(c.points.count) logs\n  \(c.summary)\n"
        for p in c.points {
            out += "  - \(p.name): \(p.outcome.rawValue) after \(p.lastMilestone.rawValue)" + (p.title.map { ": \(safe($0))" } ?? "") + "\n"
        }
        return out
    }

    /// Per field, so a line break inside one cannot forge a row of its own.
    static func safe(_ s: String) -> String { TerminalText.line(s) }

    static func seconds(_ s: Double) -> String {
        s < 10 ? String(format: "%.2f s", s) : String(format: "%.1f s", s)
    }

    static func bytes(_ n: Int) -> String {
        n < 1024 ? "\(n) B" : n < 1 << 20 ? String(format: "%.1f KiB", Double(n) / 1024) : String(format: "%.1f MiB", Double(n) / 1048576)
    }
}
