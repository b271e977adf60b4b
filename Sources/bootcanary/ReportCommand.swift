import ArgumentParser
import CanaryModel
import CanaryReport
import Foundation

/// `bootcanary report RUN.json --format md,html,json,junit,prom [--out DIR]` (docs/contract.md):
/// re-render a saved run. Every report is a function of the record and the transcripts it
/// names, so an old run renders the same today.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render a saved run's reports from its run.json.",
        discussion: """
            Formats: md (report.md, for the ticket), html (report.html: timeline and transcripts, \
            self-contained), json (run.json), junit (junit.xml, one test case per boot), prom \
            (metrics.prom, for node_exporter's textfile collector), bundle (bootcanary-RUNID.tar.gz: \
            run.json, reports and transcripts, for a ticket attachment), all.
            Transcripts are read relative to the folder RUN.json is in.

            Exit status: 0 written; 3 an output could not be written (unwritable folder, full disk); \
            64 usage error, or RUN.json is missing, unreadable, not a run record, or from a newer bootcanary.
            """)

    @Argument(help: ArgumentHelp("The run record (run.json) written by diagnose or canary.", valueName: "RUN.json"))
    var record: String

    @Option(help: ArgumentHelp("Comma-separated formats: md, html, json, junit, prom, bundle, all.", valueName: "LIST"))
    var format: String = "md,html"

    @Option(help: ArgumentHelp("Folder to write into (default: the folder of RUN.json); - prints one text format to stdout.", valueName: "DIR"))
    var out: String?

    func validate() throws {
        let formats: [ReportFormat]
        do { formats = try ReportFormat.parseList(format) } catch { throw ValidationError("--format: \(error)") }
        if out == "-" && (formats.count != 1 || formats == [.bundle]) {
            throw ValidationError("--out - prints one text format; give exactly one of md, html, json, junit, prom")
        }
    }

    func run() throws {
        let formats = (try? ReportFormat.parseList(format)) ?? [.md, .html]
        let url = URL(fileURLWithPath: record)
        let run: RunRecord
        do {
            run = try RunRecord.read(url)
        } catch let failure as RunRecord.Failure {
            Terminal.error(failure.description)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let folder = url.deletingLastPathComponent()
        if out == "-" {
            let report = RunReport.load(run, recordFolder: folder)
            do { FileHandle.standardOutput.write(try ReportWriter.render(formats[0], report)) } catch {
                Terminal.error("\(error)")
                throw ExitCode(ExitStatus.unknown.rawValue)
            }
            return
        }
        do {
            let written = try ReportWriter.write(run, recordFolder: folder, formats: formats, to: out.map { URL(fileURLWithPath: $0) })
            for w in written {
                Terminal.print(w.unchanged ? "\(w.url.path) (the record itself, unchanged)" : w.url.path)
            }
        } catch let failure as ReportWriter.Failure {
            Terminal.error(failure.description)
            throw ExitCode(ExitStatus.unknown.rawValue)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
    }
}
