import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import Foundation
import Libvirt
import Synchronization


/// Boots one domain spec and watches it to its end: create paused → attach console → resume
/// → stream bytes into the classifier and the transcript → watchdog samples each second →
/// end on success, fatal signature (after grace), domain stop, stall or timeout → destroy,
/// always.
public struct BootProbe: Sendable {
    public var connection: Connection
    public var ledger: Ledger?
    public var settings: BootSettings
    /// How to read the host's own logs when the hypervisor refuses a domain (nil: not at all).
    public var hostAccess: HostAccess?

    public init(connection: Connection, ledger: Ledger?, settings: BootSettings, hostAccess: HostAccess? = nil) {
        self.connection = connection
        self.ledger = ledger
        self.settings = settings
        self.hostAccess = hostAccess
    }

    /// Signals the boot loop waits on, from the console callback, libvirt's events and the
    /// sampling task.
    enum Signal: Sendable {
        case console(ConsoleEvent)
        case lifecycle(LifecycleEvent)
        case sample(BootWatchdog.Sample)
        case sampleFailed(LibvirtError)
        /// Wakes the loop when the settling after the success marker is over.
        case tick
    }


    /// Runs the boot. `onLine` sees every completed console line as it arrives (the CLI prints
    /// them live); it runs on the boot's task and must not block.
    /// `protectedPaths` are files the domain reaches indirectly (an overlay's backing image)
    /// whose owner and mode are restored like the attached files'.
    public func run(spec: DomainSpec, kind: ProbeKind, run: Int, transcript: URL?, extraMetadata: [String: String] = [:],
                    protectedPaths: [String] = [],
                    onLine: @Sendable (ConsoleLine, ConsoleTime?) -> Void = { _, _ in },
                    onCreateXML: @Sendable (String) -> Void = { _ in }) async -> BootRecord {
        let started = Date()
        // Console times count from the resume: the moment the guest starts running.
        let clock = BootClock()
        let seconds = { @Sendable (mono: UInt64) in clock.seconds(mono) }
        func now() -> ConsoleTime { ConsoleTime(seconds: seconds(HostClock.monotonicNanoseconds()), wall: Date()) }

        var notes: [String] = []
        // The success marker was validated when the settings were made (an invalid --expect
        // is a usage error); the default marker cannot fail.
        var console = (try? BootConsole(options: settings.classifier)) ?? (try! BootConsole())
        func failed(_ ending: BootEnding, transcript: URL? = nil) -> BootRecord {
            .probed(kind: kind, run: run, domain: spec.name, result: console.judge(ending, at: nil),
                    transcript: transcript, started: started, createSeconds: nil, notes: notes)
        }

        // The transcript: header first, so even a killed run leaves a readable file.
        var meta = TranscriptMetadata(extraMetadata)
        meta["domain"] = spec.name
        if case .direct(_, _, let cmdline) = spec.boot { meta["cmdline"] = cmdline }
        let transcriptFile: TranscriptFile?
        do {
            transcriptFile = try transcript.map { try TranscriptFile(url: $0, metadata: self.metadata(meta, kind: kind, run: run, started: started)) }
        } catch {
            return failed(.infrastructureError("cannot write the transcript \(transcript?.path ?? ""): \(error.localizedDescription)"))
        }
        let writer = transcriptFile?.writer
        defer { transcriptFile?.close() }

        // Files the domain uses must exist where the daemon runs; on a local connection we can
        // check first and say which one is missing, rather than relay libvirt's wording.
        let files = AttachedFiles(spec: spec, also: protectedPaths, local: ConnectionURI(connection.uri).isLocal)
        // Every exit lets go of the files (once); the paths below let go earlier, after the destroy.
        defer { var late: [String] = []; files.release(into: &late) }
        if let problem = files.problem() {
            let result = failed(.infrastructureError(problem), transcript: transcript)
            try? writer?.writeEnd(result.result.ending, at: nil)
            return result
        }

        let (signals, feed) = AsyncStream<Signal>.makeStream(bufferingPolicy: .unbounded)
        let lifecycle: AsyncStream<LifecycleEvent>
        do {
            // Subscribe before creating, so an immediate stop or crash is not missed. The first
            // subscription on a connection registers with the daemon (an RPC): on the blocking pool.
            lifecycle = try await BlockingCall.run { () throws(LibvirtError) in try self.connection.lifecycleEvents() }
        } catch {
            return failed(.infrastructureError(ConnectionAdvice.explain(error, uri: connection.uri)), transcript: transcript)
        }
        let name = spec.name
        let lifecycleTask = Task {
            for await event in lifecycle where event.domainName == name { feed.yield(.lifecycle(event)) }
        }
        defer { lifecycleTask.cancel() }

        // Create, recorded in the ledger first and undone on every exit path.
        let xml = DomainXML.render(spec)
        // The reproducer keeps these very bytes (reproduce.sh, domains/KIND-N.xml).
        onCreateXML(xml)
        let connection = self.connection
        let ledgerEntry = Ledger.Entry(op: .domain, uri: connection.uri, name: name)
        let ledger = self.ledger
        // After the domain is gone, put back what libvirt relabelled (registered first: on a
        // signal, teardown runs newest first, so the destroy comes before it).
        let restore = Teardown.shared.register("restored owner and mode of the files of \(name)") {
            var ignored: [String] = []
            files.release(into: &ignored)
        }
        let teardown = Teardown.shared.register("destroyed domain \(name) on \(connection.uri)",
                                                unconfirmed: "could not confirm domain \(name) is gone from \(connection.uri)"
                                                    + " (libvirtd not answering?): run `bootcanary cleanup -c \(connection.uri)` once it answers") {
            // Unconfirmed: the ledger line stays for `bootcanary cleanup`.
            guard DomainRemoval.destroyConfirmingGone(name: name, on: connection) else { return false }
            try? ledger?.recordRemoved(ledgerEntry)
            return true
        }
        defer {
            Teardown.shared.unregister(teardown)
            Teardown.shared.unregister(restore)
        }
        // Where the hypervisor's toolstack says why it refused (libxl's log on Xen).
        let hypervisorLog = HypervisorLog.forConnection(uri: connection.uri, access: hostAccess, domain: name)
        let marks = CreateMarks()
        let domain: Domain
        let mode: Connection.StartMode
        do {
            // The ledger line and the create as one creation: after a signal's teardown neither
            // happens, and teardown waits for both when they are under way.
            // The gate is outside the creation: a create queued behind another must not count as
            // under way, so a signal's teardown does not wait for it and it never starts after.
            // The whole create runs on a thread of its own with a deadline: on a wedged host it
            // may never return.
            (domain, mode) = try await BlockingCall.run("creating \(name) on \(connection.uri)", seconds: settings.createTimeout) {
                try CreateGate.shared.serialized(uri: connection.uri) {
                    let mark = hypervisorLog?.mark()
                    return try Teardown.shared.creation {
                        marks.started(logMark: mark)
                        try ledger?.record(ledgerEntry)
                        let created = try connection.createTransient(xml: xml, startPaused: true, autoDestroy: true)
                        // Returned after the boot gave up on it: nobody will watch this domain.
                        if marks.abandoned, DomainRemoval.destroyConfirmingGone(created.0) { try? ledger?.recordRemoved(ledgerEntry) }
                        return created
                    }
                }
            }
        } catch let timedOut as BlockingCall.TimedOut {
            // The create may still finish on the host: the ledger line stays, and if it returns
            // in this process the domain is destroyed then. Later creates on this host fail at
            // once rather than queue behind it.
            marks.abandon()
            CreateGate.shared.markWedged(uri: connection.uri, why: timedOut.description)
            let ending = BootEnding.infrastructureError("\(timedOut.description): the host's libvirtd or toolstack is stuck (on Xen, look for a hung pygrub in dom0); nothing about the guest was learnt"
                + DomainRemoval.mayRemainAdvice(name: name, uri: connection.uri))
            let result = failed(ending, transcript: transcript)
            try? writer?.writeEnd(ending, at: nil)
            try? writer?.writeResult(result)
            return result
        } catch let error as LibvirtError {
            // A create that failed on a live connection made nothing; one cut off by a lost
            // daemon may have finished on the host, so its ledger line stays. Reading the host's
            // log (a host tool) and the destroy (RPCs) run on the blocking pool.
            let logMark = marks.logMark
            let excerpt = await BlockingCall.run { logMark.flatMap { hypervisorLog?.excerpt(since: $0) } }
            var ending = StartFailureKind.ending(for: error, uri: connection.uri, connectionAlive: connection.isAlive,
                                                 kernelFromImage: kind.dependsOnImage && spec.boot.loadsTheImagesKernelAtCreate,
                                                 hostLog: excerpt)
            if await BlockingCall.run({ DomainRemoval.destroyConfirmingGone(name: name, on: connection) }) {
                try? ledger?.recordRemoved(ledgerEntry)
            } else if case .infrastructureError(let message) = ending {
                ending = .infrastructureError(message + DomainRemoval.mayRemainAdvice(name: name, uri: connection.uri))
            }
            files.release(into: &notes)
            let result = failed(ending, transcript: transcript)
            try? writer?.writeEnd(ending, at: nil)
            try? writer?.writeResult(result)
            return result
        } catch {
            try? ledger?.recordRemoved(ledgerEntry)
            return failed(.infrastructureError("\(error)"), transcript: transcript)
        }
        let createStart = marks.startNanoseconds ?? HostClock.monotonicNanoseconds()
        let createSeconds = Double(HostClock.monotonicNanoseconds() - createStart) / 1e9
        if !mode.paused {
            notes.append("the driver cannot start domains paused; the first console bytes may be lost")
        }

        var ending: BootEnding?
        var endTime: ConsoleTime?
        var consoleHandle: ConsoleStream?
        var sampler: DomainSampler?

        // The one teardown of the domain, at the end of the boot (`endDomain`); there is no
        // early return between here and there.

        // Console on the paused domain, then resume: no early byte lost. Both are RPCs: on the
        // blocking pool.
        do {
            consoleHandle = try await BlockingCall.run { () throws(LibvirtError) in
                try ConsoleStream(domain: domain, device: nil, force: true) { event in
                    feed.yield(.console(event))
                }
            }
        } catch {
            ending = .infrastructureError("cannot open the console of \(name): \(ConnectionAdvice.explain(error, uri: connection.uri))")
        }
        if ending == nil {
            do {
                try await BlockingCall.run { () throws(LibvirtError) in
                    clock.markStart()
                    if mode.paused { try domain.resume() }
                }
            } catch {
                // Nothing of the guest ran yet: the hypervisor's side failed.
                ending = .infrastructureError("the domain was created but could not be resumed: \(error.message)")
            }
        }

        // Sample state and vCPU time once a second, off the boot loop (the calls block).
        let xenInfo = DomainSampler.infoTimeIsExact(uri: connection.uri)
        sampler = DomainSampler(domain: domain, clock: clock, infoTimeIsExact: xenInfo, vcpus: spec.vcpus,
                                asksVCPUStates: xenInfo && !spec.vcpusWaitForDeviceModel) { look in
            switch look {
            case .success(let sample): feed.yield(.sample(sample))
            case .failure(let error): feed.yield(.sampleFailed(error))
            }
        }
        // The boot's own clock: the deadline and the stall tests are checked every second even
        // when no console byte, lifecycle event or sample arrives (a sampler blocked in a
        // libvirt call on a wedged host delivers nothing).
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                feed.yield(.tick)
            }
        }
        var machine = BootLoop(console: console, watchdog: BootWatchdog(policy: settings.stall, vcpus: spec.vcpus),
                               timeout: settings.timeout, startedPaused: mode.paused, history: settings.history[kind])

        func write(_ lines: [ConsoleLine]) {
            guard !lines.isEmpty else { return }
            try? writer?.write(lines)
            for line in lines { onLine(line, line.time) }
        }

        // The shell: turn each signal into the machine's input, carry out its step.
        if ending == nil {
            for await signal in signals {
                let t = now()
                let input: BootLoop.Input
                switch signal {
                case .console(.data(let chunk)):
                    input = .console(chunk.bytes, at: ConsoleTime(seconds: seconds(chunk.monotonicNanoseconds), wall: chunk.wall))
                case .console(.endOfStream), .console(.failed):
                    input = .consoleClosed
                case .lifecycle(let event):
                    try? writer?.write(TranscriptEvent(name: "lifecycle", detail: "\(event.kindName) \(event.detailName)", time: t))
                    switch event.kind {
                    case .stopped, .crashed: input = .stopped(StopReasonMapping.reason(event))
                    case .resumed: input = .resumed
                    case .suspended: input = .suspended(event.detailName)
                    default: input = .tick
                    }
                case .sample(let s):
                    input = .sample(s)
                case .tick:
                    input = .tick
                case .sampleFailed(let error):
                    if error.code == .noDomain || error.code == .operationInvalid {
                        input = .domainGone
                    } else if !connection.isAlive {
                        input = .connectionLost(Self.connectionLost(connection, detail: error.message))
                    } else {
                        input = .tick
                    }
                }
                var step = machine.handle(input, now: t.seconds)
                // A lost connection ends the boot as bootcanary's own failure, whatever else is
                // pending: the console and the samples stopped with it, and a watchdog judging
                // the silence that followed calls a healthy guest stalled. Seen on the Xen lab:
                // keepalive closed the connection 45 s into an HVM boot, the sampler's call never
                // returned, and 200 s later the boot read "stalled at firmware, vcpu idle".
                // virConnectIsAlive is a local check (remote driver: is the socket open), no RPC.
                if step.ending == nil, !connection.isAlive {
                    let lines = step.lines
                    step = machine.handle(.connectionLost(Self.connectionLost(connection, detail: nil)), now: t.seconds)
                    step.lines = lines + step.lines
                }
                write(step.lines)
                if let note = step.note { notes.append(note) }
                if let after = step.wakeAfter {
                    Task { try? await Task.sleep(nanoseconds: UInt64(after * 1e9)); feed.yield(.tick) }
                }
                if let e = step.ending { ending = e; break }
            }
        }
        console = machine.console
        endTime = now()
        write(console.finish())
        let finalEnding = ending ?? .timeout
        let result = console.judge(finalEnding, at: endTime)
        ticker.cancel()
        // A boot that stalled or ran out of time left its domain running: ask the host what it
        // sees of it before the destroy (xl vcpu-list, debug keys, xenctx; the QEMU monitor).
        var hostEvidence: DomainEvidence?
        if finalEnding.leavesDomainRunning {
            hostEvidence = await Self.askHost(about: domain, name: name, vcpus: spec.vcpus, uri: connection.uri, access: hostAccess,
                                              deviceModel: spec.vcpusWaitForDeviceModel)
        }
        if await Self.endDomain(domain, sampler: sampler, console: consoleHandle, seconds: settings.createTimeout) {
            try? ledger?.recordRemoved(ledgerEntry)
        } else {
            notes.append("could not confirm that \(name) is gone (destroy did not succeed in time); its ledger line stays: run `bootcanary cleanup -c \(connection.uri)`")
        }
        files.release(into: &notes)
        var boot = BootRecord.probed(kind: kind, run: run, domain: name, result: result, transcript: transcript,
                                     started: started, createSeconds: createSeconds, notes: notes)
        boot.live.hostEvidence = hostEvidence
        try? writer?.writeEnd(finalEnding, at: endTime)
        try? writer?.writeResult(boot)
        return boot
    }
}

extension BootProbe {
    /// The infrastructure error of a boot whose connection closed under it: why libvirt closed
    /// it when known, and that nothing about the guest was learnt after.
    static func connectionLost(_ connection: Connection, detail: String?) -> String {
        var message = "the connection to libvirt was lost"
        if let reason = connection.lossReason { message += " (\(reason.explanation))" }
        if let detail { message += ": \(detail)" }
        return message + "; the boot was cut off, nothing about the guest is judged from it"
    }

    /// The host's view of a domain that stopped making progress, gathered on the blocking pool
    /// with a deadline of its own (each tool has one too): the domain is destroyed after it.
    static func askHost(about domain: Domain, name: String, vcpus: Int, uri: String, access: HostAccess?, deviceModel: Bool) async -> DomainEvidence? {
        let collector = HostEvidenceCollector(uri: uri, access: access)
        var evidence = try? await BlockingCall.run("asking the host about \(name)", seconds: 120) { collector.domain(name, vcpus: vcpus, deviceModel: deviceModel) }
        guard collector.hypervisor == .qemu else { return evidence }
        if evidence == nil { evidence = DomainEvidence(domain: name) }
        if HostEvidenceCollector.qemuStopped(evidence) {
            evidence?.tools.append(HostToolRun(name: "qemu monitor: info registers -a", command: [], exitStatus: nil, seconds: 0,
                                               problem: "not asked: the QEMU process is stopped (State: T), so no vCPU of it runs and its monitor cannot answer",
                                               output: ""))
            return evidence
        }
        // A QEMU that is wedged rather than stopped may not answer its monitor either: the
        // call is left behind after 15 s (it returns once the domain is destroyed).
        if let registers = try? await BlockingCall.run("asking QEMU's monitor about \(name)", seconds: 15, { QEMURegisters.read(domain) }) {
            evidence?.tools += registers.tools
            evidence?.locations += registers.locations
        } else {
            evidence?.tools.append(HostToolRun(name: "qemu monitor: info registers -a", command: [], exitStatus: nil, seconds: 15,
                                               problem: "the QEMU monitor did not answer in 15 s", output: ""))
        }
        return evidence
    }

    /// Stops sampling (waiting for a look in flight), destroys the domain and then closes the
    /// console, once, in that order, on a thread of its own and for at most `seconds`: on a
    /// wedged host each of these RPCs can block, and no query of the domain may overlap its
    /// destroy (the libxl driver drops the domain lock inside destroy). The console is closed
    /// only after the destroy has returned, when libvirtd has disposed of the domain: closing it
    /// while the daemon disposes of the domain crashed dom0's libvirtd (see ConsoleStream's
    /// StreamBox). True when the domain is known to be gone.
    static func endDomain(_ domain: Domain, sampler: DomainSampler?, console: ConsoleStream?, seconds: Double) async -> Bool {
        (try? await BlockingCall.run("destroying \(domain.name)", seconds: seconds) {
            sampler?.stop()
            let gone = DomainRemoval.destroyConfirmingGone(domain)
            console?.close()
            return gone
        }) ?? false
    }

    /// The metadata every transcript carries (`BootcanaryTranscript`'s `@meta` keys).
    func metadata(_ base: TranscriptMetadata, kind: ProbeKind, run: Int, started: Date) -> TranscriptMetadata {
        var meta = base
        meta["kind"] = kind.rawValue
        meta["run"] = String(run)
        meta["uri"] = connection.uri
        meta["started"] = BootcanaryTranscript.formatWall(started)
        meta["tool"] = "bootcanary \(BootCanaryVersion.current)"
        meta["grace"] = String(settings.classifier.graceSeconds)
        if case .regex(let pattern) = settings.classifier.success { meta["expect"] = pattern }
        return meta
    }

    /// A boot that never got a domain: the preparation failed (pygrub could not read the image,
    /// the install tree was unusable). `console` is what the failing step printed; it is
    /// classified like console output, so pygrub's error becomes a bootloader failure.
    public func refused(kind: ProbeKind, run: Int, name: String, transcript: URL?, console text: String,
                        ending: BootEnding, metadata extra: [String: String]) -> BootRecord {
        let started = Date()
        var console = (try? BootConsole(options: settings.classifier)) ?? (try! BootConsole())
        var meta = TranscriptMetadata(extra)
        meta["domain"] = name
        let file = transcript.flatMap { try? TranscriptFile(url: $0, metadata: metadata(meta, kind: kind, run: run, started: started)) }
        defer { file?.close() }
        var lines = console.append(Array(text.utf8), at: ConsoleTime(seconds: 0, wall: started))
        lines += console.finish()
        try? file?.writer.write(lines)
        let result = console.judge(ending, at: ConsoleTime(seconds: 0, wall: started))
        let boot = BootRecord.probed(kind: kind, run: run, domain: name, result: result, transcript: file == nil ? nil : transcript,
                                     started: started, createSeconds: nil, notes: [])
        try? file?.writer.writeEnd(ending, at: ConsoleTime(seconds: 0, wall: started))
        try? file?.writer.writeResult(boot)
        return boot
    }
}

/// What a create running on its own thread tells the boot: when the gate let it through (the
/// time queued behind another create is not the create's), where the host log stood then, and
/// whether the boot has given up on it.
final class CreateMarks: Sendable {
    private struct State {
        var startNanoseconds: UInt64?
        var logMark: Int?
        var abandoned = false
    }
    private let state = Mutex(State())

    func started(logMark: Int?) {
        state.withLock {
            $0.startNanoseconds = HostClock.monotonicNanoseconds()
            $0.logMark = logMark
        }
    }
    func abandon() { state.withLock { $0.abandoned = true } }
    var abandoned: Bool { state.withLock { $0.abandoned } }
    var logMark: Int? { state.withLock { $0.logMark } }
    var startNanoseconds: UInt64? { state.withLock { $0.startNanoseconds } }
}
