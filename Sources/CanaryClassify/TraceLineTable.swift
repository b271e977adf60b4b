/// One shape of line in a kernel trace (an oops's registers and stack, a stall's backtrace):
/// text that says what the line holds. Matching is on the line's message (prefixes removed),
/// plain and case-sensitive.
public struct TraceLineMarker: Sendable, Hashable {
    public enum Meaning: Sendable, Hashable {
        /// A stack starts (`Call Trace:`); the line names no frame itself.
        case callTrace
        /// The line is the timer interrupt's entry: an RCU stall's report runs from it, and the
        /// frames after it are what the interrupted CPU was doing.
        case irqEntry
        /// The interrupted instruction: its function follows the marker, as
        /// `func+0x1a/0x40`, after an optional code segment and up to two `[<addr>]` words.
        case instructionPointer
        /// At the end of a frame line: the unwinder guessed the frame, so it names nothing.
        case unreliableFrame
        /// Between two frames on one line starting with `[<`: callee, then caller.
        case framePair
    }

    public var meaning: Meaning
    public var text: String
    /// Counts only at the message's start or after a space (`IP: ` inside `RIP: ` is not it).
    public var afterSpaceOnly: Bool
    /// A code segment (`0010:`, Xen PV's `e030:`) stands between the marker and the function.
    /// The oops's search for its faulting function skips it on these rows only; the stall trace
    /// reader (`StallFrame`) skips a colon in the first six characters after any
    /// instruction-pointer marker, since no function name holds one.
    public var codeSegment: Bool
    /// An oops's title takes ` in FUNCTION` from the first such line within
    /// `BootClassifier.traceLines` lines after it (syzkaller's guilty frame).
    public var namesFaultingFunction: Bool
    /// Where the line comes from, for the person extending the table.
    public var source: String

    public init(_ meaning: Meaning, _ text: String, afterSpaceOnly: Bool = false, codeSegment: Bool = false,
                namesFaultingFunction: Bool = false, source: String) {
        self.meaning = meaning
        self.text = text
        self.afterSpaceOnly = afterSpaceOnly
        self.codeSegment = codeSegment
        self.namesFaultingFunction = namesFaultingFunction
        self.source = source
    }
}

/// How bootcanary reads a trace: which lines start a stack, enter the timer interrupt, give the
/// interrupted instruction, or carry a frame that is no frame. Frame lines themselves
/// (`func+0x1a/0x40`, `? func+0x..` is not one) are read by `StallFrame`.
///
/// Rows of one meaning are tried in table order and the first that matches decides, so a row
/// whose text holds another's comes first (`RIP: ` before `IP: `).
///
/// To teach bootcanary another architecture's trace: add rows. Nothing else changes.
public enum TraceLineTable {
    public static let standard: [TraceLineMarker] = [
        // a stack starts
        .init(.callTrace, "Call Trace", source: "x86 arch/x86/kernel/dumpstack.c `Call Trace:` (114 fixtures)"),
        .init(.callTrace, "Call trace:", source: "arm64 arch/arm64/kernel/stacktrace.c (pub-syzkaller-1000-info-task-hung-in-read-cache-folio)"),
        .init(.callTrace, "Backtrace:", source: "arm arch/arm/kernel/traps.c (pub-syzkaller-237-info-rcu-detected-stall-in-mount)"),
        // the timer interrupt's entry
        .init(.irqEntry, "apic_timer_interrupt",
              source: "x86 `apic_timer_interrupt`, inside `asm_sysvec_apic_timer_interrupt` on newer kernels (pub-syzkaller-145-info-rcu-detected-stall-in-ipv6-rcv)"),
        .init(.irqEntry, "Exception stack", source: "arm `Exception stack(0x.. to 0x..)` after an entry frame such as `__irq_svc` (pub-syzkaller-237-info-rcu-detected-stall-in-mount)"),
        .init(.irqEntry, "el1h_64_irq", source: "arm64 arch/arm64/kernel/entry.S `el1h_64_irq`: an IRQ taken in the kernel"),
        // the interrupted instruction
        .init(.instructionPointer, "RIP: ", codeSegment: true, namesFaultingFunction: true,
              source: "x86_64 `RIP: 0010:func+0x1a/0x40`; a Xen PV kernel runs in segment e030 (pub-qubes-7560-pv-oops)"),
        .init(.instructionPointer, "pc : ", namesFaultingFunction: true,
              source: "arm64 __show_regs `pc : func+0x74/0x110` (pub-syzkaller-535-bug-soft-lockup-in-ip-list-rcv)"),
        .init(.instructionPointer, "PC is at ", namesFaultingFunction: true, source: "arm (32-bit) __show_regs `PC is at func+0x..`"),
        .init(.instructionPointer, "NIP ", source: "powerpc show_regs `NIP [c000000000123456] func+0x../0x..`"),
        .init(.instructionPointer, "IP: ", afterSpaceOnly: true,
              source: "older x86 `IP: __lock_acquire+0xd8/0x1430` (pub-syzkaller-146-bug-unable-to-handle-kernel-paging-request-in-re), `IP: [<ffffffff81234567>] func+0x..`"),
        // frames that name nothing, or two
        .init(.unreliableFrame, "(unreliable)",
              source: "powerpc show_stack's guessed first frame `[c..] [c..] 0xc000000049a875a0 (unreliable)` (pub-syzkaller-379-info-task-hung-in-exit-aio)"),
        .init(.framePair, ") from [<",
              source: "arm dump_backtrace_entry `[<80c1e5e8>] (__schedule) from [<80c1eb20>] (schedule+0x60/0xdc)` (pub-syzkaller-237-info-rcu-detected-stall-in-mount)"),
    ]

    /// The rows of one meaning, in table order.
    public static func rows(_ meaning: TraceLineMarker.Meaning) -> [TraceLineMarker] {
        standard.filter { $0.meaning == meaning }
    }

    // Read on every trace line, so filtered once.
    static let callTraces = rows(.callTrace)
    static let irqEntries = rows(.irqEntry)
    static let instructionPointers = rows(.instructionPointer)
    static let unreliableFrames = rows(.unreliableFrame)
    static let framePairs = rows(.framePair)
    /// The instruction-pointer rows the oops's faulting-function search reads, as bytes.
    static let faultingFunctionMarkers: [(bytes: [UInt8], codeSegment: Bool)] =
        standard.filter(\.namesFaultingFunction).map { (Array($0.text.utf8), $0.codeSegment) }
}
