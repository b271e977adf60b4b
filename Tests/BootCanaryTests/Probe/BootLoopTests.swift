import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryModel
@testable import CanaryProbe

/// The boot loop's decisions, fed events by hand: no libvirt, no guest.
@Suite struct BootLoopTests {
    static let wall = Date(timeIntervalSince1970: 1_800_000_000)

    static func machine(timeout: Double = 300, paused: Bool = true) throws -> BootLoop {
        BootLoop(console: try BootConsole(), watchdog: BootWatchdog(policy: StallPolicy(stallTimeout: 60, frozenAfter: 15), vcpus: 1),
                 timeout: timeout, startedPaused: paused)
    }

    /// Console text at `t`, the way the console callback hands it over.
    static func text(_ s: String, at t: Double) -> BootLoop.Input {
        .console(Array(s.utf8), at: ConsoleTime(seconds: t, wall: wall.addingTimeInterval(t)))
    }

    static func running(_ t: Double, cpu: Double) -> BootLoop.Input {
        .sample(.init(seconds: t, running: true, paused: false, cpuSeconds: cpu))
    }

    @Test func successMarkerSettlesBeforeItEnds() throws {
        var m = try Self.machine()
        var step = m.handle(Self.text("[    1.0] Linux version 6.1\r\ncanary login: ", at: 2), now: 2)
        #expect(step.lines.count == 1)
        #expect(step.ending == nil)
        #expect(step.wakeAfter == BootLoop.settleSeconds)
        // The prompt's trailing bytes in a later chunk still reach the transcript.
        step = m.handle(Self.text(" ", at: 2.1), now: 2.1)
        #expect(step.ending == nil && step.wakeAfter == nil)
        step = m.handle(.tick, now: 2.0 + BootLoop.settleSeconds)
        #expect(step.ending == .successMarker)
    }

    @Test func aFatalSignatureEndsAfterItsGrace() throws {
        var m = try Self.machine()
        _ = m.handle(Self.text("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n", at: 5), now: 5)
        #expect(m.handle(.tick, now: 14.9).ending == nil)
        // The trace printed during the grace is read.
        #expect(m.handle(Self.text("CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\r\n", at: 7), now: 7).ending == nil)
        #expect(m.handle(.tick, now: 15).ending == .fatalSignature)
        #expect(m.console.classifier.lines == 2)
    }

    /// libvirt's stop event, then the console's end: the boot stopped, at once. (Before the
    /// machine, the shell left its loop with no ending here, which then read as a timeout.)
    @Test func stopEventThenConsoleEndIsTheStop() throws {
        var m = try Self.machine()
        _ = m.handle(Self.text("reboot: Power down\r\n", at: 3), now: 3)
        #expect(m.handle(.stopped(.shutdown), now: 3.1).ending == nil)
        #expect(m.handle(.consoleClosed, now: 3.2).ending == .domainStopped(.shutdown))
    }

    /// The console's end first (an HVM device model closed it 2+ s before libvirt's event):
    /// the event, when it comes, names the ending after a short drain.
    @Test func consoleEndThenStopEventWaitsForTheEvent() throws {
        var m = try Self.machine()
        #expect(m.handle(.consoleClosed, now: 3).ending == nil)
        #expect(m.handle(.tick, now: 5.5).ending == nil)
        #expect(m.handle(.stopped(.crashed), now: 5.6).ending == nil)
        #expect(m.handle(.tick, now: 5.6 + BootLoop.stopDrainSeconds).ending == .domainStopped(.crashed))
    }

    @Test func consoleEndWithoutAnEventIsALostConsole() throws {
        var m = try Self.machine()
        _ = m.handle(.consoleClosed, now: 3)
        #expect(m.handle(.tick, now: 3 + BootLoop.consoleEndWaitSeconds - 0.1).ending == nil)
        #expect(m.handle(.tick, now: 3 + BootLoop.consoleEndWaitSeconds).ending == .consoleClosed)
    }

    @Test func aGoneDomainWaitsOneSecondForItsEvent() throws {
        var m = try Self.machine()
        _ = m.handle(.domainGone, now: 10)
        #expect(m.handle(.tick, now: 10.9).ending == nil)
        #expect(m.handle(.tick, now: 11).ending == .consoleClosed)
    }

    /// The console outranks libvirt: a success marker seen before the stop event still wins.
    @Test func theConsoleOutranksLibvirt() throws {
        var m = try Self.machine()
        _ = m.handle(Self.text("canary login: ", at: 4), now: 4)
        _ = m.handle(.stopped(.shutdown), now: 4.1)
        #expect(m.handle(.tick, now: 4.6).ending == .successMarker)
    }

    @Test func frozenVCPUsEndTheBootAsAStall() throws {
        var m = try Self.machine()
        _ = m.handle(Self.text("smpboot: Total of 1 processors activated\r\n", at: 2), now: 2)
        // Looks once a second from +3 s, the vCPU time standing still: frozen once the looks
        // span the policy's 15 s less 1.5 s of slack, and the silence is 15 s.
        for t in 3...16 { #expect(m.handle(Self.running(Double(t), cpu: 1.5), now: Double(t)).ending == nil) }
        let step = m.handle(Self.running(17, cpu: 1.5), now: 17)
        #expect(step.ending == .stall(silenceSeconds: 15, vcpu: .frozen))
    }

    @Test func theDeadlineIsATimeout() throws {
        var m = try Self.machine(timeout: 30)
        _ = m.handle(Self.text("[    0.0] Linux version 6.1\r\n", at: 1), now: 1)
        for t in stride(from: 2.0, through: 29, by: 3) { _ = m.handle(Self.text("[    \(t)] step\r\n", at: t), now: t) }
        #expect(m.handle(.tick, now: 29.9).ending == nil)
        #expect(m.handle(.tick, now: 30).ending == .timeout)
    }

    /// A domain someone paused through libvirt is never a hang, however long it is silent; at
    /// the deadline it says so instead of judging the guest.
    @Test func aPausedDomainIsNeverAStall() throws {
        var m = try Self.machine(timeout: 200)
        _ = m.handle(Self.text("[    0.0] Linux version 6.1\r\n", at: 1), now: 1)
        _ = m.handle(.resumed, now: 1.1)
        let note = m.handle(.suspended("paused"), now: 10).note
        #expect(note?.contains("paused through libvirt") == true)
        for t in 10...199 {
            let step = m.handle(.sample(.init(seconds: Double(t), running: false, paused: true, cpuSeconds: 2)), now: Double(t))
            #expect(step.ending == nil)
        }
        guard case .infrastructureError(let why) = m.handle(.tick, now: 200).ending else {
            Issue.record("a paused domain at the deadline is an infrastructure error")
            return
        }
        #expect(why.contains("stayed paused"))
    }

    /// The "suspended" of our own paused start arrives after we resumed: not someone else's.
    @Test func ourOwnPausedStartIsNoNote() throws {
        var m = try Self.machine()
        #expect(m.handle(.suspended("paused"), now: 0.1).note == nil)
    }

    @Test func aLostConnectionEndsAtOnceAndNothingAfterCounts() throws {
        var m = try Self.machine()
        _ = m.handle(Self.text("[    0.0] Linux version 6.1\r\n", at: 1), now: 1)
        #expect(m.handle(.connectionLost("the connection to libvirt was lost"), now: 45).ending
            == .infrastructureError("the connection to libvirt was lost"))
        // Later inputs do not move the ending.
        #expect(m.handle(Self.text("canary login: ", at: 46), now: 46).ending == nil)
        #expect(m.ending == .infrastructureError("the connection to libvirt was lost"))
    }
}
