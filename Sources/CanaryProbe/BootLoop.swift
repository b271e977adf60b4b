import CanaryClassify
import CanaryConsole
import CanaryModel

/// The boot loop's decisions, without a guest: fed what happened — console bytes, libvirt's
/// lifecycle events, the sampler's looks, clock ticks — in the order it happened, it says when
/// the boot has ended and why. Pure: `BootProbe` pumps events into it and carries out what each
/// step asks (write the lines, keep a note, wake it again), so the order of endings, the grace
/// after a fatal signature, the settling after the success marker, the deadline and paused
/// domains are unit-tested (BootLoopTests) with no libvirt at all.
struct BootLoop {
    /// One thing that happened, at the boot clock's `now` (seconds since the resume).
    enum Input {
        /// Console bytes with the time the console callback stamped on them.
        case console([UInt8], at: ConsoleTime)
        /// The console stream ended or failed.
        case consoleClosed
        case stopped(DomainStopReason)
        case resumed
        /// A suspension libvirt reported, with its detail's name.
        case suspended(String)
        case sample(BootWatchdog.Sample)
        /// A look failed because the domain is gone (no-domain, operation-invalid): it stopped.
        case domainGone
        /// The connection to libvirt closed under the boot; the message says why.
        case connectionLost(String)
        case tick
    }

    /// What the shell is to do after one input.
    struct Step {
        /// Completed console lines, for the transcript and the live view.
        var lines: [ConsoleLine] = []
        /// A note for the boot's record.
        var note: String?
        /// Feed a `.tick` after this many seconds (the settling after the success marker
        /// must end even when nothing else arrives).
        var wakeAfter: Double?
        /// Set once: the boot is over.
        var ending: BootEnding?
    }

    /// How long to read on after the success marker: the marker can arrive before the rest of
    /// its line (the prompt's trailing space in a later chunk), and the transcript should hold
    /// the console as the guest printed it.
    static let settleSeconds = 0.3
    /// How long a closed console waits for libvirt's stop event before it counts as lost: an
    /// HVM guest that reset itself (a corrupt kernel, on_reboot=destroy) closed its device
    /// model's console 2+ s before libxl's shutdown thread had destroyed it and libvirt sent
    /// "Stopped Shutdown"; with a 2 s wait that boot read as a lost console (infra_error).
    static let consoleEndWaitSeconds = 10.0
    /// How long to read on after the stop event: the console's last bytes (a panic trace) may
    /// arrive just after it.
    static let stopDrainSeconds = 0.5

    private(set) var console: BootConsole
    private(set) var watchdog: BootWatchdog
    let timeout: Double
    /// Events arrive after the fact: the "suspended" of our own paused start is delivered after
    /// we resumed. Only a suspension after our resume's event is someone else's.
    private var ownResumeSeen: Bool
    private var drainUntil: Double?
    private var stopReason: DomainStopReason?
    private var settleUntil: Double?
    private(set) var ending: BootEnding?
    /// This host's healthy boots of this kind (`--no-history`: nil).
    let history: SilenceHistory?
    /// The limits for the kernel the console named, once it did.
    private var limits: SilenceLimits?
    private var limitsLooked = false

    /// `startedPaused`: the domain was created paused and resumed by us (its own "resumed"
    /// event is still to come).
    init(console: BootConsole, watchdog: BootWatchdog, timeout: Double, startedPaused: Bool, history: SilenceHistory? = nil) {
        self.console = console
        self.watchdog = watchdog
        self.timeout = timeout
        self.history = history
        ownResumeSeen = !startedPaused
    }

    /// Takes one input at `now`; once `ending` is set, further inputs change nothing.
    mutating func handle(_ input: Input, now: Double) -> Step {
        var step = Step()
        guard ending == nil else { return step }
        switch input {
        case .console(let bytes, let time):
            step.lines = console.append(bytes, at: time)
        case .consoleClosed:
            // The console ends when the domain stops, and libvirt's event says why; when the
            // event came first, that is the ending now.
            if let reason = stopReason { return end(.domainStopped(reason), &step) }
            drainUntil = min(drainUntil ?? .infinity, now + Self.consoleEndWaitSeconds)
        case .stopped(let reason):
            stopReason = reason
            drainUntil = min(drainUntil ?? .infinity, now + Self.stopDrainSeconds)
        case .resumed:
            ownResumeSeen = true
        case .suspended(let detail):
            if ownResumeSeen {
                step.note = "the domain was paused through libvirt (\(detail)) at +\(String(format: "%.1f", now)) s; paused time is not counted as silence"
            }
        case .sample(let sample):
            watchdog.record(sample)
        case .domainGone:
            // A transient domain that stopped: its event says why; give it a moment.
            if drainUntil == nil { drainUntil = now + 1 }
        case .connectionLost(let message):
            // The console and the samples stopped with the connection: judging the silence that
            // followed would call a healthy guest stalled.
            return end(.infrastructureError(message), &step)
        case .tick:
            break
        }
        return decide(now: now, &step)
    }

    /// Decides, in order of authority: what the console proves, then libvirt, then the clock.
    private mutating func decide(now: Double, _ step: inout Step) -> Step {
        if let e = console.ending(at: now) {
            if case .successMarker = e, now < settleUntil ?? .infinity {
                if settleUntil == nil {
                    settleUntil = now + Self.settleSeconds
                    step.wakeAfter = Self.settleSeconds
                }
                return step
            }
            return end(e, &step)
        }
        if let until = drainUntil, now >= until {
            return end(stopReason.map { .domainStopped($0) } ?? .consoleClosed, &step)
        }
        if watchdog.pausedNow {
            if now >= timeout {
                return end(.infrastructureError("the domain stayed paused through libvirt (someone paused it); not a hang, and nothing to judge"), &step)
            }
            return step
        }
        let silentSince = console.classifier.silentSince?.seconds ?? 0
        let milestone = console.classifier.lastMilestone
        let limits = historyLimits()
        if let stall = watchdog.stall(now: now, silentSince: max(silentSince, 0), anyOutput: console.classifier.bytes > 0,
                                      soonerLimit: limits?.limit(at: milestone)) {
            if stall.bySoonerLimit, let limits { step.note = limits.note(silence: stall.silence, at: milestone) }
            return end(.stall(silenceSeconds: stall.silence, vcpu: stall.vcpu), &step)
        }
        if now >= timeout { return end(.timeout, &step) }
        return step
    }

    /// This host's limits for the kernel the console named, looked up once its banner came.
    private mutating func historyLimits() -> SilenceLimits? {
        guard let history else { return nil }
        if !limitsLooked, let banner = console.classifier.sighting(of: .kernel) {
            limitsLooked = true
            limits = KernelBanner.release(fromBanner: banner.text).flatMap { history.limits(kernel: $0) }
        }
        return limits
    }

    private mutating func end(_ e: BootEnding, _ step: inout Step) -> Step {
        ending = e
        step.ending = e
        return step
    }

    /// Ends the console (its last unterminated line) once the boot is over.
    mutating func finish() -> [ConsoleLine] { console.finish() }
}
