import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryDiagnose
@testable import CanaryModel

/// Feeds `text` as one boot's console, the n-th line at n seconds, the last line left
/// unterminated (as a prompt waits), and judges it.
private func boot(_ text: String, _ ending: BootEnding = .endOfLog, at end: Double? = nil,
                  options: ClassifierOptions = ClassifierOptions()) throws -> BootResult {
    var console = try BootConsole(options: options)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for (k, line) in lines.enumerated() {
        let bytes = k == lines.count - 1 ? String(line) : line + "\r\n"
        _ = console.append(Array(bytes.utf8), at: ConsoleTime(seconds: Double(k)))
    }
    _ = console.finish()
    return console.judge(ending, at: end.map { ConsoleTime(seconds: $0) })
}

@Suite struct XenbusStateTableTests {
    /// xen/include/public/io/xenbus.h `enum xenbus_state`.
    static let header: [Int: String] = [
        1: "Initialising", 2: "InitWait", 3: "Initialised", 4: "Connected", 5: "Closing", 6: "Closed",
        7: "Reconfiguring", 8: "Reconfigured",
    ]

    @Test func everyStateNumberHasItsHeaderName() {
        for number in 1...8 {
            #expect(XenbusStateTable.state(number)?.name == Self.header[number], "state \(number)")
        }
        #expect(XenbusStateTable.standard.count == Self.header.count)
    }

    @Test func numbersAreUniqueAndInOrder() {
        let numbers = XenbusStateTable.standard.map(\.number)
        #expect(numbers == numbers.sorted())
        #expect(Set(numbers).count == numbers.count)
    }

    /// Only a backend that never got past InitWait is the host's fault.
    @Test func onlyInitialisingAndInitWaitMeanTheBackendNeverConnected() {
        let never = XenbusStateTable.standard.filter(\.backendNeverConnected).map(\.number)
        #expect(never == [1, 2])
    }

    @Test func theTitleNamesTheRemoteStateFromTheTable() {
        for row in XenbusStateTable.standard {
            let line = "xenbus_probe_frontend: Timeout connecting to device: device/vbd/51712 (local state 3, remote state \(row.number))"
            #expect(BootClassifier.xenbusTitle(line) == "XENBUS: timeout connecting to device/vbd (remote state \(row.number): \(row.name))")
        }
        // a number the table does not name is kept bare (0 is XenbusStateUnknown; 9 is none)
        for bare in [0, 9] {
            let line = "XENBUS: Timeout connecting to device: device/vif/0 (local state 3, remote state \(bare))"
            #expect(BootClassifier.xenbusTitle(line) == "XENBUS: timeout connecting to device/vif (remote state \(bare))")
        }
    }

    /// The diagnosis reads the same rows: state 2 on the console is a host-side sign, state 4
    /// (the backend connected) is not.
    @Test func hostSideSignFollowsTheTable() throws {
        func sign(_ remote: Int) throws -> String? {
            let r = try boot("""
                [    0.000000] Linux version 6.1.0-27-cloud-amd64
                [   35.7] xenbus_probe_frontend: Timeout connecting to device: device/vbd/51712 (local state 3, remote state \(remote))
                [   35.8] Waiting for root device /dev/xvda1...
                """, .stall(silenceSeconds: 120, vcpu: .idle))
            return BootObservation(kind: .kernel, run: 1, usesGuestDisk: true, result: r).hostSideSign
        }
        for row in XenbusStateTable.standard {
            let s = try sign(row.number)
            #expect((s?.hasPrefix("xenbus backend never connected") ?? false) == row.backendNeverConnected, "state \(row.number)")
        }
    }
}

@Suite struct LoginMarkerTableTests {
    static func rows(_ role: LoginMarker.Role) -> [String] {
        LoginMarkerTable.standard.filter { $0.role == role }.map(\.text)
    }

    @Test func everyRoleHasARow() {
        for role in [LoginMarker.Role.prompt, .notAfter, .password, .automatic] {
            #expect(!Self.rows(role).isEmpty, "\(role)")
        }
    }

    /// Each prompt row is a success marker at the end of a line, waiting or terminated.
    @Test func everyPromptRowIsALoginPrompt() throws {
        for prompt in Self.rows(.prompt) {
            let waiting = try boot("Debian GNU/Linux 12 canary hvc0\n\ncanary \(prompt) ")
            #expect(waiting.outcome == .booted, "\(prompt)")
            #expect(waiting.lastMilestone == .login)
            #expect(try boot("canary \(prompt)\n").outcome == .booted, "\(prompt)")
        }
    }

    /// `Last login:` (login(1)'s greeting) is no prompt, for every prompt and every greeting row.
    @Test func notAfterRowsUndoEveryPrompt() throws {
        for prompt in Self.rows(.prompt) {
            for words in Self.rows(.notAfter) {
                let r = try boot("\(words)\(prompt) ")
                #expect(r.outcome != .booted, "\(words)\(prompt)")
                #expect(r.milestones.allSatisfy { $0.milestone != .login })
            }
        }
    }

    /// An answered prompt (`canary login: root`) counts only when a password row follows on the
    /// next line, and then at the prompt's line.
    @Test func answeredPromptCountsWithAPasswordRow() throws {
        let unanswered = try boot("canary login: root\n[    9.0] random: crng init done\n")
        #expect(unanswered.outcome != .booted)
        for password in Self.rows(.password) {
            let r = try boot("Welcome to Debian!\ncanary login: root\n\(password) \n")
            #expect(r.outcome == .booted, "\(password)")
            #expect(r.milestones.first { $0.milestone == .login }?.line == 2)
        }
    }

    @Test func automaticRowsCountAtOnce() throws {
        for automatic in Self.rows(.automatic) {
            let r = try boot("canary login: root \(automatic)\n[   12.0] systemd[1]: Started foo.\n")
            #expect(r.outcome == .booted, "\(automatic)")
            #expect(r.milestones.first { $0.milestone == .login }?.line == 1)
        }
    }

    /// A waiting kind without a fixed-title row could never be judged early: the list would lie.
    @Test func everyWaitingKindHasAFixedTitleRow() {
        for kind in LoginMarkerTable.waitingPromptKinds {
            #expect(SignatureTable.standard.contains { row in
                guard row.kind == kind, case .fixed = row.title else { return false }
                return true
            }, "\(kind)")
        }
    }

    /// Only the waiting kinds are judged on an unterminated line: `reboot: Power down` has a
    /// fixed title too, but its kind waits for the line end.
    @Test func onlyWaitingKindsAreJudgedUnterminated() throws {
        var grub = try BootConsole()
        _ = grub.append(Array("Entering rescue mode...".utf8), at: ConsoleTime(seconds: 1))
        #expect(grub.classifier.hits.map(\.kind) == [.bootloaderError])
        var initramfs = try BootConsole()
        _ = initramfs.append(Array("ALERT!  /dev/xvda1 does not exist.\r\n(initramfs) ".utf8), at: ConsoleTime(seconds: 2))
        #expect(initramfs.classifier.hits.map(\.kind) == [.initramfsRescue])

        var shutdown = try BootConsole()
        _ = shutdown.append(Array("[   40.0] reboot: Power down".utf8), at: ConsoleTime(seconds: 1))
        #expect(shutdown.classifier.hits.isEmpty)
        _ = shutdown.finish()
        #expect(shutdown.classifier.hits.map(\.kind) == [.shutdown])
    }
}

@Suite struct TraceLineTableTests {
    /// Rows of one meaning are tried in order and the first match decides: a row whose text
    /// holds another row's must come first, or the shorter would take its lines.
    @Test func aRowHoldingAnotherComesFirst() {
        let rows = TraceLineTable.standard
        for (i, a) in rows.enumerated() {
            for (j, b) in rows.enumerated() where i != j && a.meaning == b.meaning && a.text.contains(b.text) {
                #expect(i < j, "\(a.text) must come before \(b.text)")
            }
        }
        // the case that made the rule
        let rip = rows.firstIndex { $0.text == "RIP: " }, ip = rows.firstIndex { $0.text == "IP: " }
        #expect(rip != nil && ip != nil && rip! < ip!)
    }

    @Test func everyMeaningHasARow() {
        for meaning in [TraceLineMarker.Meaning.callTrace, .irqEntry, .instructionPointer, .unreliableFrame, .framePair] {
            #expect(!TraceLineTable.rows(meaning).isEmpty, "\(meaning)")
        }
    }

    /// A stack header is only that, even when it names an interrupt too.
    @Test func everyCallTraceRowStartsAStack() {
        for row in TraceLineTable.rows(.callTrace) {
            #expect(StallFrame.events(in: row.text) == [.callTrace], "\(row.text)")
            #expect(StallFrame.events(in: "\(row.text) apic_timer_interrupt+0x1/0x2") == [.callTrace])
        }
    }

    @Test func everyIRQEntryRowIsTheTimerInterrupt() {
        for row in TraceLineTable.rows(.irqEntry) {
            #expect(StallFrame.events(in: " \(row.text)(0x1 to 0x2)").contains(.irqEntry), "\(row.text)")
        }
        #expect(!StallFrame.events(in: " do_idle+0x1/0x2").contains(.irqEntry))
    }

    @Test func everyInstructionPointerRowNamesTheFunction() {
        for row in TraceLineTable.rows(.instructionPointer) {
            let line = row.text + (row.codeSegment ? "e030:" : "") + "xen_fault_fn+0x1a/0x40"
            #expect(StallFrame.events(in: line) == [.rip("xen_fault_fn")], "\(line)")
        }
        // an after-space row glued to a word is not that row
        for row in TraceLineTable.rows(.instructionPointer) where row.afterSpaceOnly {
            #expect(StallFrame.events(in: "X\(row.text)xen_fault_fn+0x1a/0x40") == [], "X\(row.text)")
        }
    }

    /// powerpc's guessed frame is dropped; without the row's text the same line is a frame.
    @Test func unreliableFramesNameNothing() {
        let frame = "[c000000049a87530] [c000000049a875a0] guessed_fn+0x1/0x2"
        #expect(StallFrame.events(in: frame) == [.frame("guessed_fn")])
        for row in TraceLineTable.rows(.unreliableFrame) {
            #expect(StallFrame.events(in: frame + " " + row.text) == [], "\(row.text)")
        }
    }

    @Test func framePairsGiveCalleeThenCaller() {
        for row in TraceLineTable.rows(.framePair) {
            let line = "[<80c1e5e8>] (callee_fn" + row.text + "80c1eb20>] (caller_fn+0x60/0xdc)"
            #expect(StallFrame.events(in: line) == [.frame("callee_fn"), .frame("caller_fn")], "\(line)")
        }
    }

    /// Every row flagged for it gives an oops its ` in FUNCTION`, through the segment when the
    /// row has one (Xen PV's `RIP: e030:`); the search reads exactly the flagged rows, in order.
    @Test func faultingFunctionRowsNameTheOops() throws {
        let flagged = TraceLineTable.standard.filter(\.namesFaultingFunction)
        #expect(TraceLineTable.faultingFunctionMarkers.map { String(decoding: $0.bytes, as: UTF8.self) } == flagged.map(\.text))
        #expect(!flagged.isEmpty)
        for row in flagged {
            let r = try boot("""
                [    2.0] BUG: unable to handle page fault for address: ffffc9004054e881
                [    2.0] Oops: 0003 [#1] SMP NOPTI
                [    2.0] \(row.text)\(row.codeSegment ? "e030:" : "")blkif_fault.constprop.0+0xe/0x20
                [    2.1] Kernel panic - not syncing: Fatal exception
                """)
            #expect(r.title == "BUG: unable to handle kernel paging request in blkif_fault", "\(row.text)")
        }
    }
}

@Suite struct OutcomeTableTests {
    static let kernel = """
        [    0.000000] Linux version 6.1.0-27-cloud-amd64
        [    0.000000] Booting kernel on Xen
        [    0.400000] blkfront: xvda: barrier or flush: disabled;
        """
    /// 30 lines, one a second, the last at +29 s.
    static let steady = (0..<30).map { "[    \($0).000000] early setup step \($0)" }.joined(separator: "\n") + "\n"

    /// One console per row, in table order: the row it must reach, and what the result holds.
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String { "row \(row), \(ending)" }
        var row: Int
        var text: String
        var ending: BootEnding
        var end: Double?
        var outcome: BootOutcome
        var decidedAt: Double?
        var stall: Double? = nil
        var vcpu: VCPUPattern? = nil
    }

    static let cases: [Case] = [
        Case(row: 0, text: "pyGRUB  version 0.6\nUnable to find partition containing kernel\n", ending: .startFailure("bootloader failed - consult logfile"),
             end: 3, outcome: .bootloaderFailure, decidedAt: 3),
        Case(row: 1, text: "", ending: .startFailure("libxenlight failed to create new domain"), end: 1, outcome: .startFailure, decidedAt: 1),
        Case(row: 2, text: "", ending: .infrastructureError("console lost"), end: 5, outcome: .infraError, decidedAt: 5),
        Case(row: 3, text: "", ending: .domainStopped(.crashed), end: 5, outcome: .crashed, decidedAt: 5),
        Case(row: 4, text: "", ending: .domainStopped(.shutdown), end: 5, outcome: .poweredOff, decidedAt: 5),
        Case(row: 5, text: "", ending: .stall(silenceSeconds: 60, vcpu: .frozen), end: 60, outcome: .noOutput, decidedAt: 60,
             stall: 60, vcpu: .frozen),
        Case(row: 6, text: "", ending: .timeout, end: 900, outcome: .noOutput, decidedAt: 900),
        Case(row: 7, text: kernel + "\nWelcome to Debian!\ncanary login: ", ending: .successMarker, end: 9, outcome: .booted, decidedAt: 4),
        Case(row: 8, text: kernel + "\n[    5.0] Kernel panic - not syncing: VFS: Unable to mount root fs\n", ending: .stall(silenceSeconds: 30, vcpu: .idle),
             end: 40, outcome: .panic, decidedAt: 3),
        Case(row: 9, text: kernel + "\nStarting dropbear sshd: OK\n", ending: .successMarker, end: 6, outcome: .booted, decidedAt: 6),
        Case(row: 10, text: kernel + "\n", ending: .stall(silenceSeconds: 30, vcpu: .spinning), end: 33, outcome: .stalled, decidedAt: 33,
             stall: 30, vcpu: .spinning),
        Case(row: 11, text: kernel + "\n", ending: .domainStopped(.crashed), end: 8, outcome: .crashed, decidedAt: 8),
        Case(row: 12, text: kernel + "\n", ending: .domainStopped(.shutdown), end: 8, outcome: .poweredOff, decidedAt: 8),
        Case(row: 13, text: kernel + "\n", ending: .domainStopped(.destroyed), end: 8, outcome: .infraError, decidedAt: 8),
        Case(row: 13, text: kernel + "\n", ending: .domainStopped(.other), end: 8, outcome: .infraError, decidedAt: 8),
        // last byte at +29 s, deadline at +30 s: 1 s of silence, under 15 s and a tenth of 30 s
        Case(row: 14, text: steady, ending: .timeout, end: 30, outcome: .timedOut, decidedAt: 30, stall: 1),
        Case(row: 15, text: steady, ending: .timeout, end: 129, outcome: .stalled, decidedAt: 129, stall: 100),
        Case(row: 15, text: steady, ending: .fatalSignature, end: 39, outcome: .stalled, decidedAt: 39, stall: 10),
        Case(row: 16, text: kernel + "\n[    3.0] reboot: Power down\n", ending: .consoleClosed, end: 5, outcome: .poweredOff, decidedAt: 5),
        Case(row: 17, text: kernel + "\n", ending: .consoleClosed, end: 5, outcome: .infraError, decidedAt: 5),
        Case(row: 18, text: kernel + "\n", ending: .infrastructureError("libvirt connection lost"), end: 5, outcome: .infraError, decidedAt: 5),
        Case(row: 19, text: kernel + "\n[    3.0] reboot: Power down\n", ending: .endOfLog, end: nil, outcome: .poweredOff, decidedAt: 3),
        Case(row: 20, text: kernel + "\n", ending: .endOfLog, end: nil, outcome: .stalled, decidedAt: 2),
    ]

    static func console(_ text: String) throws -> BootConsole {
        var console = try BootConsole()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (k, line) in lines.enumerated() {
            let bytes = k == lines.count - 1 ? String(line) : line + "\r\n"
            _ = console.append(Array(bytes.utf8), at: ConsoleTime(seconds: Double(k)))
        }
        _ = console.finish()
        return console
    }

    @Test("each row is reached by a console and gives its result", arguments: cases)
    func eachRowIsReached(c: Case) throws {
        let console = try Self.console(c.text)
        let end = c.end.map { ConsoleTime(seconds: $0) }
        let row = OutcomeTable.row(for: OutcomeRule.Ending(c.ending), console.classifier.outcomeFacts(at: end))
        #expect(row == c.row, "\(OutcomeTable.standard[c.row].why)")
        let r = console.judge(c.ending, at: end)
        #expect(r.outcome == c.outcome)
        #expect(r.secondsToOutcome == c.decidedAt)
        #expect(r.stallSeconds == c.stall)
        #expect(r.vcpu == c.vcpu)
        if case .fixed(let outcome) = OutcomeTable.standard[c.row].outcome { #expect(outcome == c.outcome) }
    }

    @Test func everyRowHasACase() {
        #expect(Set(Self.cases.map(\.row)) == Set(OutcomeTable.standard.indices))
    }

    /// Every ending, with every console the facts can describe, reaches a row: the fallback in
    /// `OutcomeTable.decide` is never taken.
    @Test func everyEndingAndConsoleReachesARow() {
        let worsts: [BootOutcome?] = [nil] + Set(SignatureKind.allCases.compactMap(\.outcome)).sorted { $0.rawValue < $1.rawValue }
        for ending in OutcomeRule.Ending.allCases {
            for lines in [0, 3] {
                for successFirst in [false, true] {
                    for worst in worsts {
                        for shutdown in [false, true] {
                            // end 1 s after the last byte of a 30 s console (still printing), or 100 s after
                            for end in [30.0, 129, nil] as [Double?] {
                                let facts = OutcomeTable.Facts(
                                    lines: lines, successFirst: successFirst, worst: worst, shutdownSeen: shutdown,
                                    firstByte: 0, lastByte: 29, end: end, successTime: 1, firstFatalTime: 2)
                                #expect(OutcomeTable.row(for: ending, facts) != nil, "\(ending) \(facts)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// What each row takes from the facts exists where it applies.
    @Test func rowsAreConsistent() {
        for (k, rule) in OutcomeTable.standard.enumerated() {
            if rule.outcome == .worstSignature { #expect(rule.console == .fatalSignature, "row \(k)") }
            if rule.decidedAt == .successLine { #expect(rule.console == .successFirst, "row \(k)") }
            if rule.decidedAt == .firstFatal { #expect(rule.console == .fatalSignature, "row \(k)") }
            if rule.stall == .fromEnding { #expect(rule.endings == [.stall], "row \(k)") }
            #expect(!rule.endings.isEmpty && !rule.why.isEmpty, "row \(k)")
        }
    }

    @Test func everyBootEndingHasItsOwnKind() {
        let endings: [BootEnding] = [
            .successMarker, .fatalSignature, .stall(silenceSeconds: 1, vcpu: .idle), .timeout, .consoleClosed, .startFailure("x"),
            .infrastructureError("y"), .endOfLog,
        ] + DomainStopReason.allCases.map { .domainStopped($0) }
        #expect(Set(endings.map(OutcomeRule.Ending.init)) == Set(OutcomeRule.Ending.allCases))
        #expect(endings.count == OutcomeRule.Ending.allCases.count)
    }

    // The order is the policy.

    static func firstRow(_ ending: OutcomeRule.Ending, _ console: OutcomeRule.Console) -> Int? {
        OutcomeTable.standard.firstIndex { $0.endings.contains(ending) && $0.console == console }
    }

    /// A refused start has no console: its rows come before the silent console's.
    @Test func aRefusedStartIsNotASilentConsole() throws {
        let silent = try #require(OutcomeTable.standard.firstIndex { $0.console == .silent })
        #expect(try #require(Self.firstRow(.startFailure, .anything)) < silent)
        #expect(try Self.console("").judge(.startFailure("refused"), at: nil).outcome == .startFailure)
    }

    /// The success marker before a fatal signature wins; after one, the signature does.
    @Test func successFirstComesBeforeTheSignature() throws {
        let success = try #require(OutcomeTable.standard.firstIndex { $0.console == .successFirst })
        let fatal = try #require(OutcomeTable.standard.firstIndex { $0.console == .fatalSignature })
        #expect(success < fatal)
        let loginThenOops = try Self.console("canary login: root\nPassword: \n[   20.0] BUG: kernel NULL pointer dereference, address: 0\n")
        #expect(loginThenOops.judge(.fatalSignature, at: nil).outcome == .booted)
        let oopsThenLogin = try Self.console("[    2.0] BUG: kernel NULL pointer dereference, address: 0\ncanary login: ")
        #expect(oopsThenLogin.judge(.successMarker, at: nil).outcome == .oops)
    }

    /// The kernel's verdict beats every way of stopping the boot but a refused start.
    @Test func theSignatureBeatsEveryEnding() throws {
        let fatal = try #require(OutcomeTable.standard.firstIndex { $0.console == .fatalSignature })
        let panic = try Self.console(Self.kernel + "\n[    5.0] Kernel panic - not syncing: Fatal exception\n")
        let endings: [BootEnding] = [.successMarker, .fatalSignature, .stall(silenceSeconds: 1, vcpu: .idle), .timeout, .consoleClosed,
                                     .infrastructureError("y"), .endOfLog] + DomainStopReason.allCases.map { .domainStopped($0) }
        for ending in endings {
            #expect(panic.judge(ending, at: ConsoleTime(seconds: 10)).outcome == .panic, "\(ending)")
            let own = OutcomeTable.standard.firstIndex { $0.endings.contains(OutcomeRule.Ending(ending)) && $0.console == .anything }
            #expect(own.map { fatal < $0 } ?? false, "\(ending)")
        }
    }

    /// A condition on an ending comes before that ending's plain row, or it would never apply.
    @Test func conditionsComeBeforeTheirEndingsPlainRow() throws {
        for (ending, condition) in [(OutcomeRule.Ending.timeout, OutcomeRule.Console.stillPrinting), (.consoleClosed, .shutdownSeen),
                                    (.endOfLog, .shutdownSeen), (.startFailure, .worstSignature(.bootloaderFailure))] {
            let conditional = try #require(Self.firstRow(ending, condition))
            let plain = try #require(Self.firstRow(ending, .anything))
            #expect(conditional < plain, "\(ending) \(condition)")
        }
    }
}
