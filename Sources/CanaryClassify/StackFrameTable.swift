/// How a stall or lockup title finds the function it is "in" (syzkaller's idea, pkg/report:
/// the same hang must get the same title in every boot, so the title names a representative
/// frame of the trace, not the instruction the CPU happened to be at).
public enum StallStyle: String, Sendable, Hashable {
    /// `BUG: soft lockup`: the interrupted `RIP:` frame, then the first `Call Trace:` after it.
    case softLockup
    /// `INFO: rcu_sched self-detected stall`: the context the timer interrupt hit (the
    /// `RIP:` after the first `apic_timer_interrupt` frame, and the frames after it); frames
    /// of RCU itself and of the timer interrupt are skipped.
    case rcuStall
    /// `INFO: task ... blocked for more than N seconds`: the first `Call Trace:` only (the
    /// blocked task's stack), skipping the scheduler and the lock or wait it sleeps in.
    case hungTask
    /// An oops whose faulting function is a generic helper: the first frame of the `RIP:`
    /// and the first `Call Trace:` after it that is not generic (syzkaller's default).
    case oops
}

/// One pattern on a function name. `contains` is a plain substring; `prefix` and `exact`
/// anchor it.
public struct FramePattern: Sendable, Hashable {
    public enum Match: Sendable, Hashable { case contains, prefix, exact }
    public var text: String
    public var match: Match

    public init(_ text: String, _ match: Match = .contains) {
        self.text = text
        self.match = match
    }

    public func matches(_ name: String) -> Bool {
        switch match {
        case .contains: name.contains(text)
        case .prefix: name.hasPrefix(text)
        case .exact: name == text
        }
    }
}

/// The frame lists behind stall and lockup titles. Rows are function-name patterns; the idea
/// and most names come from syzkaller's pkg/report/linux.go (skip patterns, stall anchors,
/// hung-task buckets), chosen and reduced for boot consoles.
///
/// To teach bootcanary a new generic frame: add a row. Nothing else changes.
public enum StackFrameTable {
    /// Frames that never name a bug: reporting, sanitizers, locking primitives, string and
    /// memory helpers, allocators (syzkaller `skipPatterns`).
    public static let generic: [FramePattern] = [
        .init("__sanitizer"), .init("__asan"), .init("kasan"), .init("kmsan"), .init("kcsan"), .init("check_memory_region"),
        .init("panic"), .init("dump_stack"), .init("show_stack"), .init("show_regs"), .init("dump_backtrace"),
        .init("walk_stack"), .init("printk"), .init("warn_slowpath"), .init("__warn"), .init("report_bug"),
        .init("lockdep"), .init("lock_acquire"), .init("lock_release"), .init("lock_is_held"), .init("mark_lock"),
        .init("spin_lock"), .init("spin_unlock"), .init("spin_trylock"), .init("read_lock"), .init("read_unlock"),
        .init("write_lock"), .init("write_unlock"), .init("mutex_", .prefix), .init("__mutex_", .prefix),
        .init("down_read"), .init("down_write"), .init("up_read"), .init("up_write"),
        .init("_indirect_thunk_"), .init("debug_object"), .init("__might_sleep"), .init("might_fault"),
        .init("memcpy"), .init("memset"), .init("memmove"), .init("memcmp"), .init("strlen"), .init("strcmp"),
        .init("copy_to_user"), .init("copy_from_user"), .init("kmalloc"), .init("kzalloc"), .init("kmem_cache"),
        .init("slab_"), .init("list_add"), .init("list_del"), .init("refcount_", .prefix), .init("kref_", .prefix),
        .init("__wake_up", .prefix),
        // page-cache allocation, workqueue and timer teardown, USB transfer helpers, fault
        // injection: frames a blocked or looping task passes through on its way to the bug
        // (syzkaller reports 1000, 419, 446, 447, 235)
        .init("alloc_pages"), .init("folio_alloc"), .init("filemap_alloc_folio"), .init("__filemap_get_folio"),
        .init("do_read_cache_folio"), .init("read_cache_page"), .init("pagecache_get_page"),
        .init("flush_work"), .init("__cancel_work_timer"), .init("cancel_work_sync"), .init("flush_workqueue"),
        .init("drain_workqueue"), .init("destroy_workqueue"), .init("del_timer"), .init("__timer_delete_sync"),
        .init("kthread_stop"), .init("finish_wait"), .init("wait_for_completion"), .init("complete", .exact),
        .init("usb_kill_urb"), .init("usb_kill_anchored_urbs"), .init("usb_control_msg"), .init("usb_submit_urb"),
        .init("usb_hcd_submit_urb"), .init("kfree", .exact), .init("kfree_skb"), .init("should_fail"),
        // data-structure, bit, string and checksum helpers an oops often faults inside
        // (syzkaller reports 358, 510-519, 376, 627, 650, 656, 662, 741)
        .init("rb_", .prefix), .init("__rb_", .prefix), .init("klist_", .prefix), .init("kobject_", .prefix),
        .init("is_static_object"), .init("set_bit"), .init("clear_bit"), .init("change_bit"), .init("test_bit"),
        .init("atomic"), .init("osq_lock"), .init("hwasan"), .init("string"), .init("hex_dump"), .init("crc", .prefix),
        .init("read_once"), .init("read_word_at_a_time"), .init("check_heap_object"), .init("__phys_addr"),
        .init("assertfail"), .init("folio_unlock"), .init("unlock_page"), .init("queue_work"), .init("rhashtable_lookup"),
        .init("device_del"), .init("strncmp"), .init("strcpy"), .init("strscpy"), .init("strnlen"), .init("memchr"),
    ]

    /// Where a stall's loop is entered: the frame called just before one of these is the
    /// title (syzkaller `linuxStallAnchorFrames`); for `smp_call_function*` the anchor itself.
    public static let stallAnchors: [FramePattern] = [
        // generic dispatchers: syscalls, workqueues, softirqs, timers, kernel threads, idle
        .init("process_one_work"), .init("do_syscall_"), .init("do_fast_syscall_"), .init("el0_svc_handler"),
        .init("invoke_syscall"), .init("ret_fast_syscall"), .init("netif_receive_skb"), .init("do_softirq"),
        .init("call_timer_fn"), .init("_run_timers"), .init("run_timer_softirq"), .init("hrtimer_run"),
        .init("run_ksoftirqd"), .init("smpboot_thread_fn"), .init("kthread", .exact), .init("start_secondary"),
        .init("cpu_startup_entry"), .init("ret_from_fork"), .init("tasklet_action"), .init("tasklet_hi_action"),
        // boot: an initcall that loops (bootcanary's addition; the initcall is the title)
        .init("do_one_initcall"),
        // file and socket operations that dispatch to a driver or protocol
        .init("vfs_write"), .init("vfs_read"), .init("vfs_ioctl"), .init("ksys_ioctl"), .init("compat_ioctl"),
        .init("do_iter_readv_writev"), .init("new_sync_read"), .init("new_sync_write"), .init("do_dentry_open"),
        .init("vfs_open"), .init("mmap_region"), .init("do_mmap"), .init("sock_sendmsg", .prefix),
        .init("sock_recvmsg", .prefix), .init("sock_ioctl", .prefix), .init("sock_do_ioctl", .prefix),
        .init("nfnetlink_rcv_msg", .prefix), .init("rtnetlink_rcv_msg", .prefix), .init("netlink_dump", .prefix),
        .init("vfs_iter_read"), .init("vfs_iter_write"), .init("do_iter_read"), .init("do_iter_write"),
        .init("call_read_iter"), .init("call_write_iter"), .init("call_mmap", .prefix), .init("blkdev_ioctl"),
        .init("blkdev_driver_ioctl"), .init("compat_sys_ioctl"), .init("sock_common_setsockopt"),
        .init("kernel_setsockopt"), .init("setsockopt", .exact), .init("listen", .exact), .init("kernel_listen"),
        .init("accept", .exact), .init("kernel_accept"), .init("sk_common_release"), .init("sock_release", .prefix),
        .init("__sock_release", .prefix), .init("sock_mmap", .prefix), .init("compat_sock_ioctl", .prefix),
        // syscalls whose entry names the operation only (the frame before is the driver's)
        .init("ioctl", .prefix), .init("sys_ioctl", .prefix), .init("connect", .prefix), .init("sys_connect", .prefix),
        .init("socketpair", .prefix), .init("sys_socketpair", .prefix),
        .init("sysenter_dispatch"), .init("tracesys_phase2"), .init("page_fault", .exact),
        // page faults and the return to user space
        .init("__do_fault"), .init("do_page_fault"), .init("__fput"), .init("task_work_run"), .init("exit_to_usermode"),
        .init("smp_call_function"),
    ]

    /// Extra frames skipped for RCU stalls: the stall report itself runs in RCU code from the
    /// timer interrupt (syzkaller's `skip` for the rcu stall format).
    public static let rcuSkip: [FramePattern] = [.init("apic_timer_interrupt"), .init("rcu")]

    /// Hung tasks that wait for a grace period or the rtnl lock are bucketed under one name
    /// (the blocked task is a victim; syzkaller's hung-task anchors).
    public static let hungTaskBuckets: [(pattern: FramePattern, title: String?)] = [
        (.init("rtnl_lock"), nil),
        (.init("synchronize_rcu"), "synchronize_rcu"), (.init("synchronize_srcu"), "synchronize_rcu"),
        (.init("synchronize_net"), "synchronize_rcu"), (.init("synchronize_sched"), "synchronize_rcu"),
    ]

    /// Frames a blocked task sleeps in, skipped for hung tasks (syzkaller's hung-task skip).
    public static let hungTaskSkip: [FramePattern] = [
        .init("sched"), .init("_lock"), .init("_slowlock"), .init("down"), .init("rwsem"), .init("completion"),
        .init("kthread"), .init("wait"), .init("synchronize"), .init("context_switch"), .init("__switch_to"),
        .init("cancel_delayed_work"), .init("rcu_barrier"), .init("io_schedule"),
    ]

    /// Syscall wrappers stripped from a title's frame: the shortest result wins
    /// (`__x64_sys_rmdir` -> `sys_rmdir`, `SyS_rmdir` -> `rmdir`), as syzkaller's titles do.
    public static let strippedPrefixes = [
        "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_", "__se_",
        "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
    ]
}

/// What a console line after a stall header holds, for finding the title's frame (which
/// lines are which: `TraceLineTable`).
enum TraceEvent: Sendable, Hashable {
    /// A `.callTrace` row's line (`Call Trace:`): a stack starts.
    case callTrace
    /// An `.irqEntry` row's line, naming the timer interrupt (`apic_timer_interrupt`).
    case irqEntry
    /// An `.instructionPointer` row's line (`RIP: 0010:func+0x..`): the interrupted
    /// instruction's function.
    case rip(String)
    /// A reliable stack frame (`func+0x1a/0x40`, optionally after `[<addr>]`); `? func` is not one.
    case frame(String)
}

enum StallFrame {
    /// Parses one line's message (prefix removed) into events; the line shapes are
    /// `TraceLineTable`'s.
    static func events(in message: String) -> [TraceEvent] {
        var out: [TraceEvent] = []
        if TraceLineTable.callTraces.contains(where: { message.contains($0.text) }) {
            out.append(.callTrace)
            return out
        }
        if TraceLineTable.irqEntries.contains(where: { message.contains($0.text) }) {
            out.append(.irqEntry)
        }
        for marker in TraceLineTable.instructionPointers {
            guard let r = message.range(of: marker.text) else { continue }
            if marker.afterSpaceOnly, r.lowerBound != message.startIndex, message[message.index(before: r.lowerBound)] != " " { continue }
            var rest = Substring(message[r.upperBound...])
            // code segment `0010:` / `e030:` (after any marker: see `TraceLineMarker.codeSegment`)
            if let colon = rest.prefix(6).firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
            rest = skipAddresses(rest)
            if let name = functionName(rest) { out.append(.rip(name)) }
            return out
        }
        var rest = Substring(message)
        while rest.first == " " { rest = rest.dropFirst() }
        // powerpc marks a guessed first frame `(unreliable)`
        if TraceLineTable.unreliableFrames.contains(where: { message.hasSuffix($0.text) }) { return out }
        // arm: `[<80c1e5e8>] (__schedule) from [<80c1eb20>] (schedule+0x60/0xdc)`: both frames
        if rest.hasPrefix("[<"), let from = TraceLineTable.framePairs.lazy.compactMap({ rest.range(of: $0.text) }).first {
            if let open = rest[..<from.lowerBound].lastIndex(of: "(") {
                let callee = rest[rest.index(after: open)..<from.lowerBound]
                if !callee.isEmpty, callee.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) {
                    out.append(.frame(String(callee.prefix { $0 != "." })))
                }
            }
            if let open = rest[from.upperBound...].firstIndex(of: "("), let name = functionName(rest[rest.index(after: open)...]) {
                out.append(.frame(name))
            }
            return out
        }
        rest = skipAddresses(rest)
        if let name = functionName(rest) { out.append(.frame(name)) }
        return out
    }

    /// Skips up to two `[<ffffffff81000000>]` / `[ffffffff81000000]` words.
    private static func skipAddresses(_ s: Substring) -> Substring {
        var rest = s
        for _ in 0..<2 {
            while rest.first == " " { rest = rest.dropFirst() }
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { break }
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            guard inside.allSatisfy({ $0 == "<" || $0 == ">" || $0 == "x" || $0.isHexDigit }) else { break }
            rest = rest[rest.index(after: close)...]
        }
        while rest.first == " " { rest = rest.dropFirst() }
        return rest
    }

    /// `func+0x1a/0x40` or `func.cold+0xc/0xbb` at the start: `func`; nil for anything else.
    private static func functionName(_ s: Substring) -> String? {
        let name = s.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        guard !name.isEmpty, !name.hasPrefix("0x") else { return nil }
        var after = s[name.endIndex...]
        // `.cold`, `.isra.0`, `.part.0` suffixes
        while after.first == "." {
            after = after.dropFirst().drop { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        guard after.hasPrefix("+0x") else { return nil }
        return String(name)
    }

    /// The function of the first `RIP:`/`IP:`/`pc :` line (older kernels' `IP: [<..>] func+0x..`).
    static func firstRIP(_ events: [TraceEvent]) -> String? {
        for event in events { if case .rip(let name) = event { return name } }
        return nil
    }

    /// Whether a function is one of the generic frames that never name a bug.
    static func isGeneric(_ name: String) -> Bool {
        StackFrameTable.generic.contains { $0.matches(name) }
    }

    /// The function a stall or hang is "in", from the events after its header; nil when the
    /// trace names none.
    static func function(_ events: [TraceEvent], style: StallStyle) -> String? {
        let table = StackFrameTable.self
        func skipped(_ name: String, _ extra: [FramePattern]) -> Bool {
            table.generic.contains { $0.matches(name) } || extra.contains { $0.matches(name) }
        }
        var frames: [String] = []
        switch style {
        case .softLockup:
            var i = 0
            if let rip = events.firstIndex(where: { if case .rip = $0 { return true }; return false }) {
                if case .rip(let name) = events[rip], !skipped(name, []) { frames.append(name) }
                i = rip + 1
            }
            frames += stack(events, from: i, skip: { skipped($0, []) })
            if frames.isEmpty { frames = stack(events, from: 0, skip: { skipped($0, []) }) }
            return anchored(frames)
        case .rcuStall:
            let skip = { (name: String) in skipped(name, table.rcuSkip) }
            if let irq = events.firstIndex(of: .irqEntry),
               let rip = events[irq...].firstIndex(where: { if case .rip = $0 { return true }; return false }) {
                if case .rip(let name) = events[rip], !skip(name) { frames.append(name) }
                frames += frameRun(events, from: rip + 1, skip: skip)
            }
            if frames.isEmpty, let irq = events.firstIndex(of: .irqEntry) {
                frames = frameRun(events, from: irq + 1, skip: skip)
            }
            return anchored(frames)
        case .oops:
            var i = 0
            if let rip = events.firstIndex(where: { if case .rip = $0 { return true }; return false }) {
                if case .rip(let name) = events[rip], !skipped(name, []) { return strip(name) }
                i = rip + 1
            }
            return stack(events, from: i, skip: { skipped($0, []) }).first.map(strip)
        case .hungTask:
            frames = stack(events, from: 0, skip: { skipped($0, []) })
            for frame in frames {
                if let bucket = table.hungTaskBuckets.first(where: { $0.pattern.matches(frame) }) {
                    return bucket.title ?? strip(frame)
                }
            }
            return frames.first { !skipped($0, table.hungTaskSkip) }.map(strip)
        }
    }

    /// The frames of the first `Call Trace:` at or after `from`, up to the next one.
    private static func stack(_ events: [TraceEvent], from: Int, skip: (String) -> Bool) -> [String] {
        guard from < events.count, let start = events[from...].firstIndex(of: .callTrace) else { return [] }
        return frameRun(events, from: start + 1, skip: skip)
    }

    /// Frames from `from` up to the next `Call Trace:`.
    private static func frameRun(_ events: [TraceEvent], from: Int, skip: (String) -> Bool) -> [String] {
        var out: [String] = []
        var i = from
        while i < events.count {
            switch events[i] {
            case .callTrace: return out
            case .frame(let name) where !skip(name): out.append(name)
            default: break
            }
            i += 1
        }
        return out
    }

    /// The frame just above the first anchor (the function the dispatcher called); the first
    /// frame when no anchor is in the trace. Anchors match the names without syscall wrappers.
    private static func anchored(_ rawFrames: [String]) -> String? {
        let frames = rawFrames.map(strip)
        guard let first = frames.first else { return nil }
        var previous = first
        for frame in frames {
            if StackFrameTable.stallAnchors.contains(where: { $0.matches(frame) }) {
                if frame.contains("smp_call_function") { return "smp_call_function" }
                return previous
            }
            previous = frame
        }
        return first
    }

    static func strip(_ frame: String) -> String {
        var best = frame
        for prefix in StackFrameTable.strippedPrefixes where frame.hasPrefix(prefix) {
            let stripped = String(frame.dropFirst(prefix.count))
            if !stripped.isEmpty, stripped.count < best.count { best = stripped }
        }
        return best
    }
}
