import ArgumentParser
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import CanaryReport
import CanarySession
import Foundation
import Libvirt

/// `bootcanary diagnose`: the boot matrix, the diagnosis, and the run record.
struct DiagnoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Boot the matrix of probes on a suspect host and say whether the host or the image is at fault.")

    @OptionGroup var connect: ConnectOptions
    @OptionGroup var probe: ProbeOptions
    @Option(help: ArgumentHelp("Repetitions of each kind (failing kinds always get at least 2).", valueName: "N"))
    var runs: Int = 2
    @Option(help: ArgumentHelp("Boots at once (default: from the host's free CPUs and memory).", valueName: "N"))
    var parallel: Int?
    @Option(help: ArgumentHelp("A control host believed healthy, to boot the same probes on.", valueName: "URI"))
    var control: String?
    @Option(help: ArgumentHelp("Folder for run.json, reports and transcripts (default: a new ./bootcanary-HOST-DATE'T'HHMM, named at the start).", valueName: "DIR"))
    var out: String?
    @Option(name: .customLong("known-issues"), help: ArgumentHelp("Known issues to name in the report, after the shipped ones (TOML, docs/known-issues.md; default \(KnownIssueFile.defaultPath) when it exists).", valueName: "FILE"))
    var knownIssues: String?
    @Option(name: .customLong("system-map"), help: ArgumentHelp("The System.map of the guest kernel, on this machine, to name the functions stalled vCPUs were in (default: beside --kernel, /usr/lib/debug/boot/System.map-RELEASE, /boot).", valueName: "FILE"))
    var systemMap: String?
    @Flag(name: .customLong("no-early-stop"), help: "Boot every kind --runs times even once the verdict is settled (for comparisons and benchmarks).")
    var noEarlyStop = false
    @Flag(name: .customLong("no-history"), help: "Neither use nor extend this host's history of healthy boots: silences stall only after the fixed --stall-timeout / --frozen-after.")
    var noHistory = false

    mutating func validate() throws {
        if let problem = ProbeLimits.runs.flagProblem(Double(runs)) { throw ValidationError(problem) }
        if let parallel, let problem = ProbeLimits.parallel.flagProblem(Double(parallel)) { throw ValidationError(problem) }
        if probe.pygrub != nil { throw ValidationError("diagnose boots the image's own kernel from --image; --pygrub is for boot") }
        if let systemMap, !FileManager.default.isReadableFile(atPath: systemMap) {
            throw ValidationError("--system-map \(systemMap): no readable file there; give the guest kernel's System.map on this machine (Debian: /usr/lib/debug/boot/System.map-RELEASE from linux-image-RELEASE-dbg)")
        }
    }

    func run() async throws {
        SignalTrap.install()
        defer { SignalTrap.yieldToTeardown() }
        var status: Int32 = 0
        try await reportingFailures {
            let given = probe.planInputs
            guard given.image != nil || given.kernel != nil || given.installer != nil || given.master != nil || probe.domain != nil else {
                throw Failure.usage("nothing to diagnose: give --image DISK or --domain NAME (the suspect guest), and to compare it with independent kernels, --installer URL and --kernel PATH --initrd PATH")
            }
            // Read before any boot: a bad file is the user's to fix, not an hour's run to lose.
            let issues: [KnownIssue]
            do { issues = try KnownIssueFile.load(knownIssues) } catch let problem as KnownIssueFile.Problem {
                throw Failure.usage(problem.description)
            }
            let outGiven = out.map { URL(fileURLWithPath: $0) }
            if let outGiven { try OutputFolder.prepare(outGiven) }
            let suspect = try await connect.open()
            let (inputs, guestXML) = try probe.resolvedInputs(on: suspect)
            // Disk paths are the host's: they can be checked here only when the host is this machine.
            if ConnectionURI(suspect.uri).isLocal {
                for (path, format) in [(inputs.image, inputs.imageFormat), (inputs.master, inputs.masterFormat)] {
                    guard let path else { continue }
                    do { _ = try DiskImage.inspect(path, declared: format) } catch { throw Failure.usage("\(error)") }
                }
            }
            var controlConnection: Connection?
            if let control {
                do { controlConnection = try Connection.withKeepAlive(uri: control) } catch let error as LibvirtError {
                    throw Failure.unknown("--control: " + ConnectionAdvice.explain(error, uri: control))
                }
            }
            let outURL: URL
            if let outGiven { outURL = outGiven } else {
                // Named after the host, so made once connected; and only once every input checked
                // out, so a mistyped --domain leaves no empty folder behind. Still before any boot.
                outURL = try OutputFolder.createDated(host: ConnectionURI(suspect.uri).host ?? OutputFolder.localHostName())
                Terminal.progress("bootcanary: no --out given; the run's folder is \(outURL.path)")
            }
            if let guestXML {
                // The guest's definition as it was, beside the run: what was booted copies of.
                try Data(guestXML.utf8).write(to: outURL.appendingPathComponent("guest-domain.xml"), options: .atomic)
            }
            var session = DiagnoseSession(suspect: suspect, control: controlConnection, inputs: inputs, settings: probe.settings,
                                          maxRuns: runs, parallel: parallel, out: outURL, command: CommandLine.arguments)
            session.earlyStop = !noEarlyStop
            session.useHistory = !noHistory
            session.knownIssues = issues
            session.systemMap = systemMap
            session.hostAccess = connect.hostAccess(for: suspect)
            let progress = LiveProgress()
            let record: RunRecord
            do {
                defer { progress.end() }
                record = try await session.run { event in
                    switch event {
                    case .planned(let host, let plans, let width):
                        progress.line("bootcanary: diagnosing \(host.hostname) (\(host.uri)), \(host.hypervisor) \(host.hypervisorVersion)")
                        for p in plans { progress.line("  \(p.kind.rawValue): \(p.summary)") }
                        progress.line("  up to \(runs) run(s) of each kind, \(width) at a time; transcripts in \(outURL.appendingPathComponent("transcripts").path)")
                    case .started(let name, let kind, let rep, let host):
                        let label = BootLabel(kind: kind, run: rep, host: host)
                        progress.started(label, "  start   \(label)  (\(name))")
                    case .finished(let boot):
                        progress.finished(boot.label(position: 0), "  done    " + VerdictText.bootLine(boot))
                    case .interim(let d):
                        progress.line("  so far: \(d.verdict.rawValue)\(d.settled ? " (settled)" : "")")
                    }
                }
            }
            let written = try ReportWriter.write(record, recordFolder: outURL, formats: [.md, .html])
            Terminal.print("")
            Terminal.print(VerdictText.render(record.diagnosis))
            Terminal.print("record      \(outURL.appendingPathComponent("run.json").path)")
            for file in written { Terminal.print("report      \(file.url.path)") }
            status = record.diagnosis.exitStatus.rawValue
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// The `--out` folder: made if missing, and proven writable before any guest boots.
enum OutputFolder {
    /// A new folder `./bootcanary-HOST-DATE` in the current folder (`RunFolder.datedName`);
    /// when that exists (two runs in one minute), `-2`, `-3`, ... after it: an earlier run's
    /// folder is never reused. mkdir is the test, so two runs starting together get two folders.
    static func createDated(host: String, at time: Date = Date()) throws -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let base = RunFolder.datedName(host: host, at: time)
        for n in 1...100 {
            let url = cwd.appendingPathComponent(n == 1 ? base : "\(base)-\(n)")
            if mkdir(url.path, 0o755) == 0 {
                try prepare(url)
                return url
            }
            guard errno == EEXIST else {
                throw Failure.usage("cannot create \(url.path) (\(String(cString: strerror(errno)))); give --out DIR")
            }
        }
        throw Failure.usage("\(cwd.path) already holds 100 folders named \(base)*; give --out DIR")
    }

    /// This machine's name, for a local connection (`qemu:///system`, `xen:///system`).
    static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    static func prepare(_ url: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw Failure.usage("--out \(url.path) is a file; give a folder")
        }
        do {
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            let probe = url.appendingPathComponent(".bootcanary-write-test-\(getpid())")
            try Data("ok".utf8).write(to: probe)
            try fm.removeItem(at: probe)
        } catch {
            throw Failure.usage("--out \(url.path) is not writable (\(error.localizedDescription)); choose another folder")
        }
    }
}
