import ArgumentParser
import CanaryDiagnose
import CanaryModel
import CanaryProbe
import CanaryReport
import CanarySession
import Foundation
import Libvirt

/// `bootcanary canary`: the probes a host should pass after maintenance, with monitoring exit
/// codes and a one-line status; `--hosts FILE` runs it across a fleet.
struct CanaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary",
        abstract: "Post-maintenance canary boots with monitoring-friendly exit codes (0 OK, 1 warning, 2 critical, 3 unknown).",
        discussion: """
            Give the probes in a TOML profile (--profile FILE; see docs/canary.md) or as probe \
            options. Prints one status line for monitoring plugins; --junit and --metrics write \
            files for CI and node_exporter's textfile collector. --hosts FILE runs the canary on \
            every libvirt URI listed (one per line) and writes a combined report.
            """)

    @OptionGroup var connect: ConnectOptions
    @OptionGroup var probe: ProbeOptions
    @Option(help: ArgumentHelp("A canary profile (TOML).", valueName: "FILE")) var profile: String?
    @Option(help: ArgumentHelp("Repetitions of each kind (failing kinds always get at least 2).", valueName: "N")) var runs: Int?
    @Option(help: ArgumentHelp("Boots at once per host.", valueName: "N")) var parallel: Int?
    @Option(help: ArgumentHelp("Write JUnit XML here.", valueName: "FILE")) var junit: String?
    @Option(help: ArgumentHelp("Write Prometheus text-format metrics here (node_exporter textfile collector).", valueName: "FILE")) var metrics: String?
    @Option(help: ArgumentHelp("Folder for run.json, reports and transcripts (default: a new folder under /var/lib/bootcanary/canary).", valueName: "DIR")) var out: String?
    @Option(help: ArgumentHelp("Run on every libvirt URI in FILE (one per line).", valueName: "FILE")) var hosts: String?
    @Option(name: .customLong("fleet-parallel"), help: ArgumentHelp("Hosts at once with --hosts.", valueName: "N")) var fleetParallel = 4
    @Flag(name: .customLong("no-history"), help: "Neither use nor extend each host's history of healthy boots.") var noHistory = false
    @Option(name: .customLong("known-issues"), help: ArgumentHelp("Known issues to name in the report, after the shipped ones (TOML, docs/known-issues.md; default \(KnownIssueFile.defaultPath) when it exists).", valueName: "FILE"))
    var knownIssues: String?
    @Option(name: .customLong("host-timeout"), help: ArgumentHelp("No new boot starts on a host after S seconds (--hosts).", valueName: "S")) var hostTimeout = 3600.0

    func validate() throws {
        if let runs, let problem = ProbeLimits.runs.flagProblem(Double(runs)) { throw ValidationError(problem) }
        if let parallel, let problem = ProbeLimits.parallel.flagProblem(Double(parallel)) { throw ValidationError(problem) }
    }

    func run() async throws {
        SignalTrap.install()
        defer { SignalTrap.yieldToTeardown() }
        var status: Int32 = ExitStatus.unknown.rawValue
        try await reportingFailures {
            var profile = try loadProfile()
            // Read before any boot, like the profile: a bad file is a usage error.
            let issues: [KnownIssue]
            do { issues = try KnownIssueFile.load(knownIssues) } catch let problem as KnownIssueFile.Problem {
                throw Failure.usage(problem.description)
            }
            if let runs { profile.runs = runs }
            if let parallel { profile.parallel = parallel }
            let outURL = URL(fileURLWithPath: out ?? Self.defaultOut())
            try OutputFolder.prepare(outURL)
            if let hostsFile = hosts {
                status = try await runFleet(hostsFile: hostsFile, profile: profile, knownIssues: issues, out: outURL)
            } else {
                status = try await runOne(profile: profile, knownIssues: issues, out: outURL)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    func loadProfile() throws -> CanaryProfile {
        let probeGiven = probe.kernel != nil || probe.image != nil || probe.installer != nil || probe.master != nil
        if let path = profile {
            if probeGiven { throw Failure.usage("give either --profile or probe options, not both") }
            do { return try CanaryProfile.load(path) } catch let problem as CanaryProfile.Problem {
                throw Failure.usage(problem.description)
            }
        }
        guard probeGiven else {
            throw Failure.usage("nothing to check: give --profile FILE, or probe options such as --kernel/--initrd, --installer URL, --image DISK")
        }
        if probe.pygrub != nil { throw Failure.usage("the canary boots an image's own kernel from --image; --pygrub is for boot") }
        var p = CanaryProfile(inputs: probe.planInputs)
        p.timeout = probe.timeout
        p.stallTimeout = probe.stallTimeout
        p.frozenAfter = probe.frozenAfter
        p.grace = probe.grace
        p.expect = probe.expect
        return p
    }

    static func defaultOut() -> String {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return (getuid() == 0 ? "/var/lib/bootcanary/canary/" : NSTemporaryDirectory() + "bootcanary-canary-") + stamp
    }

    func runOne(profile: CanaryProfile, knownIssues: [KnownIssue], out: URL) async throws -> Int32 {
        let connection: Connection
        if connect.uri == nil, let uri = profile.connect {
            do { connection = try Connection.withKeepAlive(uri: uri) } catch { throw Failure.unknown(ConnectionAdvice.explain(error, uri: uri)) }
        } else {
            connection = try await connect.open()
        }
        var session = DiagnoseSession(suspect: connection, control: nil, inputs: profile.inputs, settings: profile.settings,
                                      maxRuns: profile.runs, parallel: profile.parallel, out: out, command: CommandLine.arguments)
        session.mode = "canary"
        session.useHistory = !noHistory
        session.knownIssues = knownIssues
        let record = try await session.run { event in
            if case .finished(let boot) = event { Terminal.progress("  " + VerdictText.bootLine(boot)) }
        }
        _ = try ReportWriter.write(record, recordFolder: out, formats: [.md, .html])
        try writeMachineOutputs(record, recordFolder: out)
        Terminal.print(CanaryStatus.line(record))
        Terminal.progress("report: \(out.appendingPathComponent("report.html").path)")
        return record.diagnosis.exitStatus.rawValue
    }

    func writeMachineOutputs(_ record: RunRecord, recordFolder: URL) throws {
        let report = RunReport.load(record, recordFolder: recordFolder)
        if let junit { try write(try ReportWriter.render(.junit, report), to: junit) }
        if let metrics { try writeMetrics(try ReportWriter.render(.prom, report), to: metrics) }
    }

    func write(_ data: Data, to path: String, mode: mode_t? = nil) throws {
        do { try AtomicFile.write(data, to: URL(fileURLWithPath: path), mode: mode) } catch {
            throw Failure.unknown("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// node_exporter's textfile collector reads `*.prom` in its directory at every scrape and
    /// wants each file replaced whole ("write to a temporary file, then move it into place",
    /// https://github.com/prometheus/node_exporter#textfile-collector): AtomicFile's temporary
    /// file is `.NAME.tmp-PID` in the same directory, which the collector's `*.prom` glob
    /// skips, and rename(2) swaps it in. 0644 whatever the unit's umask: the collector runs as
    /// its own user.
    func writeMetrics(_ data: Data, to path: String) throws { try write(data, to: path, mode: 0o644) }

    func runFleet(hostsFile: String, profile: CanaryProfile, knownIssues: [KnownIssue], out: URL) async throws -> Int32 {
        let list: [Fleet.Host]
        do { list = try Fleet.readHosts(hostsFile) } catch let problem as Fleet.Problem { throw Failure.usage(problem.description) }
        if connect.uri != nil { throw Failure.usage("--hosts lists the hosts; -c/--connect does not apply") }
        Terminal.progress("bootcanary: fleet canary on \(list.count) hosts, \(fleetParallel) at a time; report in \(out.path)")
        var fleet = Fleet(hosts: list, profile: profile, out: out, concurrency: fleetParallel, hostTimeout: hostTimeout,
                          command: CommandLine.arguments)
        fleet.useHistory = !noHistory
        fleet.knownIssues = knownIssues
        let (report, records) = await fleet.run { Terminal.progress("  " + $0) }
        try write(try JSONFormat.encoder().encode(report) + Data("\n".utf8), to: out.appendingPathComponent("fleet.json").path)
        try write(Data(FleetReportText.markdown(report).utf8), to: out.appendingPathComponent("fleet.md").path)
        if let metrics {
            try writeMetrics(Data(PrometheusMetrics.render(report.hosts.compactMap { records[$0.uri] }).utf8), to: metrics)
        }
        if let junit {
            let reports = report.hosts.compactMap { h -> RunReport? in
                guard let folder = h.run, let record = records[h.uri] else { return nil }
                return RunReport.load(record, recordFolder: out.appendingPathComponent(folder))
            }
            try write(Data(JUnitReport.render(reports).utf8), to: junit)
        }
        Terminal.print(FleetReportText.line(report))
        return report.status
    }
}
