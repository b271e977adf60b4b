import CanaryClassify
import CanaryDiagnose
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import CanaryReport
import Foundation
import Libvirt
import Synchronization

/// One `bootcanary diagnose`: runs the probe matrix in rounds on the suspect host (and the
/// control host, if any), correlates after every boot, stops once the verdict is settled, and
/// writes the run record and the transcripts.
public struct DiagnoseSession: Sendable {
    public var suspect: Connection
    public var control: Connection?
    public var inputs: ProbeInputs
    public var settings: BootSettings
    public var maxRuns: Int
    public var parallel: Int?
    public var out: URL
    public var command: [String]
    /// `diagnose` or `canary`, recorded in run.json.
    public var mode = "diagnose"
    /// No boot starts after this (a fleet's per-host time limit); boots under way finish.
    public var deadline: Date?
    /// Stop booting once the verdict cannot change. Off: every kind boots `maxRuns` times in
    /// one round, whatever the boots say (the usual fixed-matrix practice, for comparisons).
    public var earlyStop = true
    /// Learn from and use this host's healthy boots (`--no-history`: false).
    public var useHistory = true
    public var historyStore = HistoryStore()
    /// How to run the suspect host's own tools (`--host-exec`, ssh, local); nil: none.
    public var hostAccess: HostAccess?
    /// The known issues to name in the record (`--known-issues`); they never change the verdict.
    public var knownIssues: [KnownIssue] = KnownIssueTable.shipped
    /// `--system-map FILE`: the System.map to name stalled vCPUs' functions with, when it is
    /// not found beside the kernel or in /usr/lib/debug/boot (SystemMapFinder).
    public var systemMap: String?

    public init(suspect: Connection, control: Connection?, inputs: ProbeInputs, settings: BootSettings, maxRuns: Int,
                parallel: Int?, out: URL, command: [String]) {
        self.suspect = suspect
        self.control = control
        self.inputs = inputs
        self.settings = settings
        self.maxRuns = maxRuns
        self.parallel = parallel
        self.out = out
        self.command = command
    }

    /// Progress the CLI shows.
    public enum Progress: Sendable {
        case planned(host: HostFacts, plans: [ProbePlan], parallel: Int)
        case started(name: String, kind: ProbeKind, repetition: Int, host: BootHost)
        case finished(BootRecord)
        case interim(Diagnosis)
    }

    public func run(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> RunRecord {
        let started = Date()
        let runID = ProbeName.newRunID()
        // A handful of RPCs per host: on the blocking pool (a fleet canary gathers on several
        // hosts at once, and a slow one would hold a cooperative thread for each call).
        let facts = try await BlockingCall.run { () throws(LibvirtError) in try HostFacts.gather(from: suspect) }
        let controlFacts = try await BlockingCall.run { () throws(LibvirtError) in try control.map { c throws(LibvirtError) in try HostFacts.gather(from: c) } }
        let plans = try ProbePlanner.matrix(inputs, facts: facts)
        let transcripts = out.appendingPathComponent("transcripts")
        try FileManager.default.createDirectory(at: transcripts, withIntermediateDirectories: true)
        let ledger = try Ledger(runID: runID)
        defer { ledger.closeIfSettled() }
        Teardown.shared.atEnd { ledger.closeIfSettled() }

        let first = plans.first
        let width = parallel ?? ProbeMatrix.defaultParallel(
            hostCPUs: facts.cpus, freeMemoryMiB: facts.freeMemoryMiB ?? facts.memoryMiB,
            guestMemoryMiB: first?.memoryMiB ?? 256, guestVCPUs: first?.vcpus ?? 1)
        progress(.planned(host: facts, plans: plans, parallel: width))

        // The host's own view, read-only: its summary and where its log stood before any boot.
        let hostTools = HostEvidenceCollector(uri: suspect.uri, access: hostAccess)
        let hostBefore = await BlockingCall.run { hostTools.before() }

        var settings = self.settings
        let history = useHistory ? historyStore.load(hostUUID: facts.hostUUID, kinds: plans.map(\.kind)) : nil
        settings.history = history?.histories ?? [:]
        let collected = BootCollector()
        var runner = ProbeRunner(connection: suspect, ledger: ledger, settings: settings, hostAccess: hostAccess)
        runner.host = .suspect
        runner.onCreate = { collected.add($0) }
        let matrix = ProbeMatrix(runner: runner, runID: runID, transcripts: transcripts, parallel: width)
        let context = DiagnosisContext(hostname: facts.hostname, blastRadius: facts.blastRadius,
                                       availableKinds: Set(plans.map(\.kind)), hasControl: control != nil, maxRuns: maxRuns)
        let schedule = DiagnosisSchedule(kinds: plans.map(\.kind), maxRuns: maxRuns)
        // The offline image checks read only the image's bytes; they run once, beside the boots.
        let integrityTask = inputs.image.map { image in
            let checks = imageChecks(image: image, runID: runID)
            return Task { await BlockingCall.run { checks() } }
        }

        // The control host boots each kind once, alongside the first round.
        var controlTask: Task<[BootRecord], Never>?
        if let control, let controlFacts {
            let controlPlans = try ProbePlanner.matrix(inputs, facts: controlFacts)
            // The control host is another host: the suspect's history says nothing of it.
            var controlRunner = ProbeRunner(connection: control, ledger: ledger, settings: self.settings,
                                            hostAccess: HostAccess.forConnection(uri: control.uri, hostExec: nil))
            controlRunner.host = .control
            controlRunner.onCreate = { collected.add($0) }
            let controlMatrix = ProbeMatrix(runner: controlRunner, runID: runID + "c", transcripts: transcripts.appendingPathComponent("control"),
                                            parallel: width)
            controlTask = Task {
                await controlMatrix.run(controlPlans.map { .init(plan: $0, repetition: 1) },
                                        onStart: { item, name in progress(.started(name: name, kind: item.plan.kind, repetition: item.repetition, host: .control)) },
                                        onBoot: { boot in collected.add(boot); progress(.finished(boot)) })
            }
        }

        var diagnosis: Diagnosis?
        let deadline = self.deadline
        let earlyStop = self.earlyStop
        @Sendable func pastDeadline() -> Bool { deadline.map { Date() >= $0 } ?? false }
        while !Teardown.shared.isShuttingDown && !pastDeadline() {
            let round = earlyStop
                ? schedule.nextRound(after: collected.observations.filter { $0.host == .suspect }, diagnosis: diagnosis)
                : (diagnosis == nil ? schedule.fullMatrix : [])
            if round.isEmpty { break }
            let items = round.compactMap { pair in plans.first { $0.kind == pair.kind }.map { ProbeMatrix.Item(plan: $0, repetition: pair.repetition) } }
            _ = await matrix.run(items,
                                 stopWhen: { _ in
                                     pastDeadline()
                                         || earlyStop && Correlator.diagnose(collected.observations, context: context).settled && collected.hasEveryKind(plans.map(\.kind))
                                 },
                                 onStart: { item, name in progress(.started(name: name, kind: item.plan.kind, repetition: item.repetition, host: .suspect)) },
                                 onBoot: { boot in
                                     collected.add(boot)
                                     progress(.finished(boot))
                                 })
            // The control host's boots count once they are in.
            if let task = controlTask { _ = await task.value; controlTask = nil }
            let d = Correlator.diagnose(collected.observations, context: context)
            diagnosis = d
            progress(.interim(d))
        }
        if let task = controlTask { _ = await task.value }
        let integrity = await integrityTask?.value
        var hostEvidence = await BlockingCall.run { hostTools.after(hostBefore) }
        // What the debug keys printed for a failing boot is that boot's, not news from the run.
        hostEvidence.removeLines(collected.boots.flatMap { $0.live.hostEvidence?.debugKeyLines ?? [] })
        // Name the functions the stalled boots' vCPUs were in, against their kernels' maps.
        let maps = SystemMapFinder(explicit: systemMap, kernelPath: inputs.kernel, kernelIsLocal: ConnectionURI(suspect.uri).isLocal)
        collected.update { boot in
            let plan = plans.first { $0.kind == boot.identity.kind }
            return maps.symbolize(boot, guestType: plan?.guestType, domainType: plan?.domainType)
        }
        var finalContext = context
        finalContext.hostFindings = hostEvidence.findings + collected.boots.flatMap { HostEvidenceCollector.unanswered($0.live.hostEvidence?.tools ?? []) }
        let final = HostEvidenceNote.annotate(
            IntegrityNote.annotate(Correlator.diagnose(collected.observations, context: finalContext), with: integrity), with: hostEvidence)
        var record = RunRecord(
            runID: runID, mode: mode, started: started, ended: Date(), command: command, host: facts,
            controlHost: controlFacts,
            plan: .init(kinds: plans.map { .init(kind: $0.kind, summary: $0.summary, domainType: $0.domainType, guestType: $0.guestType.rawValue,
                                                 memoryMiB: $0.memoryMiB, vcpus: $0.vcpus) },
                        runs: maxRuns, parallel: width, timeoutSeconds: settings.timeout,
                        stallTimeoutSeconds: settings.stall.stallTimeout, frozenAfterSeconds: settings.stall.frozenAfter,
                        expect: { if case .regex(let p) = settings.classifier.success { return p } else { return nil } }(),
                        image: inputs.image, control: control?.uri,
                        historyBoots: history.map { h in Dictionary(uniqueKeysWithValues: plans.map { ($0.kind.rawValue, h.histories[$0.kind]?.boots.count ?? 0) }) },
                        historyNotes: history.flatMap { $0.notes.isEmpty ? nil : $0.notes }),
            boots: collected.observations.sorted { ($0.host == .control ? 1 : 0, $0.kind, $0.run) < ($1.host == .control ? 1 : 0, $1.kind, $1.run) }
                .map { RunFolder.relativize($0.record, in: out) },
            diagnosis: final, integrity: integrity)
        record.hostEvidence = hostEvidence
        try EvidenceFolder.write(&record, to: out)
        let known = KnownIssueMatcher.matches(knownIssues, boots: record.boots, host: facts, controlHost: controlFacts)
        record.knownIssues = known.isEmpty ? nil : known
        try record.write(to: out.appendingPathComponent("run.json"))
        // Only a run that found host and image healthy teaches what normal looks like: the
        // boots of a sick host would widen the limits that are meant to catch it.
        if let history, final.verdict == .healthy {
            try? historyStore.record(collected.boots, hostUUID: facts.hostUUID, existing: history.histories)
        }
        try ReproduceFolder.write(record, boots: collected.reproducible, to: out)
        return record
    }
}

extension DiagnoseSession {
    /// The offline checks of `image`, or a record of why they are skipped: the tools run where
    /// bootcanary runs, so an image on a host reached over ssh or `--host-exec` is not read.
    func imageChecks(image: String, runID: String) -> @Sendable () -> ImageIntegrity {
        let format = inputs.imageFormat?.rawValue ?? DiskFormat.raw.rawValue
        guard hostAccess == .local else {
            let why = "the image is on \(hostAccess.map { "the host reached by \($0.summary)" } ?? "a host bootcanary has no shell on"); the offline checks read only local files"
            return { ImageIntegrity(image: image, format: format, master: inputs.master, skipped: why) }
        }
        let checker = ImageIntegrityChecker(image: image, format: inputs.imageFormat, master: inputs.master, masterFormat: inputs.masterFormat,
                                            runFolder: out, scratchName: "integrity-\(runID)")
        return { checker.run() }
    }
}

/// Boots as they finish, from the matrix's tasks.
final class BootCollector: Sendable {
    private let list = Mutex<[BootRecord]>([])
    private let created = Mutex<[ReproducibleBoot]>([])

    func add(_ boot: BootRecord) { list.withLock { $0.append(boot) } }
    /// Replaces every boot with what `change` makes of it (the symbolized vCPU locations).
    func update(_ change: (BootRecord) -> BootRecord) { list.withLock { $0 = $0.map(change) } }
    /// A boot's domain XML as it went to the create, for reproduce.sh.
    func add(_ boot: ReproducibleBoot) { created.withLock { $0.append(boot) } }
    var reproducible: [ReproducibleBoot] { created.withLock { $0 } }
    var boots: [BootRecord] { list.withLock { $0 } }
    /// Every boot this process ran has its kind, so none is left out here.
    var observations: [BootObservation] { boots.compactMap { BootObservation($0) } }

    /// Every planned kind has at least one boot on the suspect host.
    func hasEveryKind(_ kinds: [ProbeKind]) -> Bool {
        let seen = Set(observations.filter { $0.host == .suspect }.map(\.kind))
        return kinds.allSatisfy(seen.contains)
    }
}
