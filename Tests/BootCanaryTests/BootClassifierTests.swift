import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryModel

@Suite struct BootClassifierTests {
    /// Feeds `text` line by line, the n-th line at n seconds.
    func console(_ text: String, options: ClassifierOptions = ClassifierOptions()) throws -> BootConsole {
        var console = try BootConsole(options: options)
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let isLast = k == text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            _ = console.append(Array((isLast ? String(line) : line + "\r\n").utf8), at: ConsoleTime(seconds: Double(k)))
        }
        return console
    }

    func judge(_ text: String, _ ending: BootEnding, at end: Double? = 100) throws -> BootResult {
        var c = try console(text)
        _ = c.finish()
        return c.judge(ending, at: end.map { ConsoleTime(seconds: $0) })
    }

    static let kernelStart = """
        [    0.000000] Linux version 6.1.0-27-cloud-amd64
        [    0.000000] Booting kernel on Xen
        [    0.000000] xen:events: Using FIFO-based ABI
        [    0.400000] blkfront: xvda: barrier or flush: disabled;
        """

    @Test func milestonesInOrderWithFirstSeenTimes() throws {
        let r = try judge(Self.kernelStart + "\n[    1.2] Run /init as init process\nWelcome to Debian!\ncanary login: ", .successMarker)
        #expect(r.outcome == .booted)
        #expect(r.milestones.map(\.milestone) == [.kernel, .hypervisor, .hypervisorCore, .devices, .`init`, .userspace, .login])
        #expect(r.milestones.first { $0.milestone == .hypervisorCore }?.seconds == 2)
        #expect(r.secondsToOutcome == 6)
        #expect(r.title == nil)
    }

    @Test func loginPromptSeenWhileUnterminated() throws {
        let c = try console("Debian GNU/Linux 12 canary hvc0\n\ncanary login: ")
        #expect(c.classifier.successSeen)
        #expect(c.classifier.lastMilestone == .login)
    }

    @Test(arguments: ["Last login: Mon Nov 23 on ttyS0", "[   12.0] systemd-logind: login: x", "please login: now", "loginctl: login:x"])
    func notALoginPrompt(line: String) throws {
        let c = try console(line + "\n")
        #expect(!c.classifier.successSeen)
    }

    @Test func loginPromptGluedBeforeAKernelLine() throws {
        let c = try console("nas3 login: [86185.341902] ------------[ cut here ]------------\n")
        #expect(c.classifier.successSeen)
    }

    @Test func expectRegexReplacesTheLoginPrompt() throws {
        let c = try console("canary login: \nStarting dropbear sshd: OK\n", options: ClassifierOptions(success: .regex("dropbear sshd: OK$")))
        #expect(c.classifier.success?.line == 2)
    }

    @Test func panicBeatsAStall() throws {
        let r = try judge(Self.kernelStart + "\n[    5.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(202,1)",
                          .stall(silenceSeconds: 30, vcpu: .frozen))
        #expect(r.outcome == .panic)
        #expect(r.title == "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)")
        #expect(r.secondsToOutcome == 4)
        #expect(r.lastMilestone == .devices)
    }

    @Test func stallKeepsSilenceAndVCPU() throws {
        let r = try judge(Self.kernelStart, .stall(silenceSeconds: 42, vcpu: .frozen), at: 45)
        #expect(r.outcome == .stalled)
        #expect(r.stallSeconds == 42)
        #expect(r.vcpu == .frozen)
        #expect(r.lastMilestone == .devices)
        #expect(r.lastLine == "blkfront: xvda: barrier or flush: disabled;")
        #expect(r.secondsToOutcome == 45)
    }

    @Test func noOutputWhenNothingArrived() throws {
        #expect(try judge("", .stall(silenceSeconds: 60, vcpu: .idle)).outcome == .noOutput)
        #expect(try judge("", .timeout).outcome == .noOutput)
        #expect(try judge("", .domainStopped(.crashed)).outcome == .crashed)
        #expect(try judge("", .infrastructureError("console lost")).outcome == .infraError)
        #expect(try judge("", .startFailure("libxenlight failed to create new domain")).outcome == .startFailure)
    }

    @Test func domainEndings() throws {
        #expect(try judge(Self.kernelStart, .domainStopped(.crashed)).outcome == .crashed)
        #expect(try judge(Self.kernelStart, .domainStopped(.shutdown)).outcome == .poweredOff)
        #expect(try judge(Self.kernelStart + "\n[ 3.0] reboot: Power down", .consoleClosed).outcome == .poweredOff)
        #expect(try judge(Self.kernelStart, .consoleClosed).outcome == .infraError)
        #expect(try judge(Self.kernelStart, .timeout, at: 90).stallSeconds == 87)
        // a panic seen before the console died is still the guest's evidence
        #expect(try judge(Self.kernelStart + "\n[ 3.0] Kernel panic - not syncing: x", .infrastructureError("lost")).outcome == .panic)
    }

    @Test func tripleFaultWithoutPanicIsCrashed() throws {
        let r = try judge("(XEN) d3v0 Triple fault - invoking HVM shutdown action 1", .endOfLog)
        #expect(r.outcome == .crashed)
        #expect(r.title == "HVM triple fault")
    }

    @Test func oopsThenPanicIsAPanicTitledByTheOops() throws {
        let r = try judge("""
            [    2.0] BUG: unable to handle page fault for address: ffffc9004054e881
            [    2.0] Oops: 0003 [#1] SMP NOPTI
            [    2.0] RIP: e030:iwl_trans_pcie_write8+0xe/0x20 [iwlwifi]
            [    2.1] Kernel panic - not syncing: Fatal exception
            """, .fatalSignature)
        #expect(r.outcome == .panic)
        #expect(r.title == "BUG: unable to handle kernel paging request in iwl_trans_pcie_write8")
        #expect(r.panicReason == "kernel panic: Fatal exception")
        #expect(r.evidence.contains { $0.line == 1 && $0.reason.contains("first fatal") })
    }

    @Test func xenbusTimeoutKeepsRemoteState() throws {
        let r = try judge(Self.kernelStart + """

            [   35.7] xenbus_probe_frontend: Timeout connecting to device: device/vbd/51712 (local state 3, remote state 1)
            [   35.8] Waiting for root device /dev/xvda1...
            """, .stall(silenceSeconds: 120, vcpu: .idle))
        #expect(r.outcome == .stalled)
        #expect(r.title == "XENBUS: timeout connecting to device/vbd (remote state 1: Initialising)")
    }

    @Test func initramfsPromptCountsWhileUnterminated() throws {
        let c = try console("ALERT!  LABEL=x does not exist.\n\nBusyBox v1.35.0 built-in shell (ash)\n(initramfs) ")
        #expect(c.classifier.firstFatal?.kind == .initramfsRescue)
        #expect(c.judge(.fatalSignature, at: nil).outcome == .initramfsRescue)
    }

    /// A signature whose title depends on the rest of the line is not judged on a piece of it.
    @Test func growingLineIsNotJudgedEarly() throws {
        var c = try BootConsole()
        _ = c.append(Array("[ 5.0] Kernel panic - not syncing: VFS: Un".utf8), at: ConsoleTime(seconds: 5))
        #expect(c.classifier.firstFatal == nil)
        _ = c.append(Array("able to mount root fs on unknown-block(0,0)\r\n".utf8), at: ConsoleTime(seconds: 5.1))
        #expect(c.classifier.title == "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)")
    }

    @Test func graceDeadlineFollowsTheFirstFatalSignature() throws {
        let c = try console(Self.kernelStart + "\n[ 3.0] watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [swapper/0:1]\n",
                            options: ClassifierOptions(graceSeconds: 10))
        #expect(c.classifier.firstFatal?.kind == .softLockup)
        #expect(c.classifier.graceDeadline == 14)
        #expect(ClassifierOptions(graceSeconds: 1000).graceSeconds == 60)
    }

    @Test func silentSinceIsTheLastByte() throws {
        var c = try BootConsole()
        _ = c.append(Array("a\r\nb".utf8), at: ConsoleTime(seconds: 1))
        _ = c.append(Array("c".utf8), at: ConsoleTime(seconds: 7))
        #expect(c.classifier.silentSince?.seconds == 7)
        #expect(c.classifier.lines == 1)
    }

    @Test func gapsPerMilestone() throws {
        let r = try judge(Self.kernelStart + "\n[ 1.0] Run /init as init process\nx\ny", .endOfLog)
        #expect(r.gapClock == .host)
        #expect(r.gaps(at: .devices)?.count == 1)
        #expect(r.gaps(at: .`init`)?.count == 2)
        #expect(r.gaps(at: .`init`)?.maxSeconds == 1)
    }

    @Test func secondBannerIsAnUnexpectedReboot() throws {
        let r = try judge(Self.kernelStart + "\n" + Self.kernelStart, .endOfLog)
        #expect(r.reboots == 1)
    }

    @Test func tablesAreWellFormed() {
        for signature in SignatureTable.standard { #expect(signature.text.utf8.count >= 2) }
        for marker in MilestoneTable.standard { #expect(marker.milestone != .none && marker.milestone != .login) }
        // every signature kind that decides an outcome is in the table
        let kinds = Set(SignatureTable.standard.map(\.kind))
        #expect(kinds == Set(SignatureKind.allCases))
    }

    @Test func endingRoundTripsThroughJSON() throws {
        for ending: BootEnding in [.successMarker, .fatalSignature, .stall(silenceSeconds: 3.5, vcpu: .spinning),
                                   .domainStopped(.crashed), .timeout, .consoleClosed, .startFailure("x"),
                                   .infrastructureError("y"), .endOfLog] {
            let data = try JSONEncoder().encode(ending)
            #expect(try JSONDecoder().decode(BootEnding.self, from: data) == ending)
        }
    }
}

/// Issue 11: titles of stalls and hangs name a function; answered login prompts count.
@Suite struct BootClassifierTestsIssue11 {
    func judge(_ text: String) throws -> BootResult {
        var c = try BootConsole()
        _ = c.append(Array(text.utf8), at: ConsoleTime(seconds: 1))
        _ = c.finish()
        return c.judge(.endOfLog, at: nil)
    }

    @Test func hungTaskSkipsSchedulerAndLockFrames() throws {
        let r = try judge("""
            [ 11.1] INFO: task bcfix:95 blocked for more than 5 seconds.
            [ 11.2] Call Trace:
            [ 11.2]  <TASK>
            [ 11.2]  __schedule+0x34d/0xa00
            [ 11.2]  schedule+0x5a/0xd0
            [ 11.2]  percpu_rwsem_wait+0x116/0x140
            [ 11.2]  ? __percpu_rwsem_trylock.part.0+0x60/0x60
            [ 11.2]  __percpu_down_read+0x64/0x120
            [ 11.2]  mnt_want_write+0x8b/0xc0
            [ 11.2]  do_syscall_64+0x5d/0x90

            """)
        #expect(r.title == "INFO: task hung in mnt_want_write")
    }

    @Test func softLockupNamesTheFrameAboveTheSyscallEntry() throws {
        let r = try judge("""
            [ 30.0] watchdog: BUG: soft lockup - CPU#1 stuck for 134s! [syz:4588]
            [ 30.0] RIP: 0010:__d_lookup+0x1a/0x40
            [ 30.0] Call Trace:
            [ 30.0]  d_alloc_parallel+0x10/0x20
            [ 30.0]  do_rmdir+0x10/0x20
            [ 30.0]  __x64_sys_rmdir+0x10/0x20
            [ 30.0]  do_syscall_64+0x10/0x20

            """)
        #expect(r.title == "BUG: soft lockup in sys_rmdir")
    }

    @Test func answeredLoginPromptIsTheLoginMilestone() throws {
        let r = try judge("host login: root\nPassword: \nroot@host:~# uname -a\n")
        #expect(r.outcome == .booted)
        #expect(r.lastMilestone == .login)
        let prose = try judge("please login: now\nthen more\n")
        #expect(prose.lastMilestone != .login)
    }
}
