import CanaryModel

/// What kind of failure a signature shows, and what that means for the boot.
public enum SignatureKind: String, Sendable, Hashable, Codable, CaseIterable {
    case kernelPanic = "kernel_panic"
    case oops
    case softLockup = "soft_lockup"
    case hardLockup = "hard_lockup"
    case rcuStall = "rcu_stall"
    case hungTask = "hung_task"
    case initramfsRescue = "initramfs_rescue"
    case bootloaderError = "bootloader_error"
    case decompressorError = "decompressor_error"
    case domainCrash = "domain_crash"
    /// Not fatal by itself: the boot goes on (often to a root-mount panic or a stall), but a
    /// remote state of 1 or 2 means the backend in dom0 never came up.
    case xenbusTimeout = "xenbus_timeout"
    /// Not fatal by itself: `VFS: Cannot open root device` comes before the panic that says so.
    case rootDeviceMissing = "root_device_missing"
    /// Not fatal: the guest shut itself down or rebooted (`reboot: Power down`).
    case shutdown

    /// The outcome a boot gets when this is its worst signature; nil for informational kinds.
    public var outcome: BootOutcome? {
        switch self {
        case .kernelPanic: .panic
        case .oops: .oops
        case .softLockup, .hardLockup, .rcuStall, .hungTask: .lockup
        case .initramfsRescue: .initramfsRescue
        case .bootloaderError, .decompressorError: .bootloaderFailure
        case .domainCrash: .crashed
        case .xenbusTimeout, .rootDeviceMissing, .shutdown: nil
        }
    }

    /// A fatal signature ends the boot once the grace period has let the trace arrive.
    public var isFatal: Bool { outcome != nil }

    /// Which outcome wins when a boot shows several: a panic beats an oops beats a lockup
    /// (the kernel's own verdict is the most specific), then the rest.
    var severity: Int {
        switch self {
        case .kernelPanic: 100
        case .oops: 90
        case .softLockup, .hardLockup, .rcuStall, .hungTask: 80
        case .domainCrash: 70
        case .initramfsRescue: 60
        case .bootloaderError, .decompressorError: 50
        case .xenbusTimeout: 20
        case .rootDeviceMissing: 10
        case .shutdown: 5
        }
    }
}

/// How a signature's title is made from its line (then normalized by `TitleNormalizer`).
public enum TitleRule: Sendable, Hashable {
    /// Always this text.
    case fixed(String)
    /// The message from the signature's `text` to the end of the line.
    case message
    /// `prefix` followed by what comes after `marker` in the message (the panic reason).
    case after(marker: String, prefix: String)
    /// This text, followed by ` in FUNCTION` when a `RIP:`/`pc :` line within the grace
    /// period names the faulting function (syzkaller's title with its guilty frame).
    case inFunction(String)
    /// This text, followed by ` in FUNCTION` when the trace after the line names a
    /// representative frame (`StallFrame`, `StackFrameTable`): stalls and hangs loop across
    /// functions, so the title names where the loop was entered, not where the CPU was.
    case inStall(String, StallStyle)
    /// The line before this one (the decompressor prints its error, then `-- System halted`).
    case previousLine(prefix: String)
    /// `XENBUS: timeout connecting to device/vbd (remote state N)`: the remote state says
    /// whether dom0's backend ever came up, so it is kept.
    case xenbusTimeout
}

/// A crash or failure signature: a literal the console shows and what it means.
///
/// A line matches when its message contains `text`, every string in `alsoContains`, and none
/// of `unless` (syzkaller's header + suppressions). The first matching row in the table wins
/// for a line, so specific rows come before general ones.
public struct Signature: Sendable, Hashable {
    public var kind: SignatureKind
    public var text: String
    public var alsoContains: [String]
    public var unless: [String]
    public var title: TitleRule
    public var source: String

    public init(_ kind: SignatureKind, _ text: String, alsoContains: [String] = [], unless: [String] = [],
                title: TitleRule, source: String) {
        self.kind = kind
        self.text = text
        self.alsoContains = alsoContains
        self.unless = unless
        self.title = title
        self.source = source
    }
}

/// Every failure bootcanary recognises on a console, crashes first. Titles are normalized
/// afterwards (addresses, numbers, CPU ids, PIDs), so they compare equal across boots.
///
/// To add a signature: add a row. Nothing else changes.
public enum SignatureTable {
    public static let standard: [Signature] = [
        // kernel panic: always fatal; its reason is the title when nothing came before it.
        .init(.kernelPanic, "Kernel panic - not syncing", unless: ["---[ end Kernel panic"],
              title: .after(marker: "not syncing: ", prefix: "kernel panic: "), source: "kernel/panic.c"),
        .init(.kernelPanic, "---[ end Kernel panic - not syncing", title: .after(marker: "not syncing: ", prefix: "kernel panic: "),
              source: "kernel/panic.c (closing line; the panic line itself may have been lost)"),

        // lockups and stalls (hangs the kernel itself detected)
        .init(.softLockup, "BUG: soft lockup", title: .inStall("BUG: soft lockup", .softLockup), source: "kernel/watchdog.c"),
        .init(.hardLockup, "Watchdog detected hard LOCKUP", title: .fixed("watchdog: hard LOCKUP"), source: "kernel/watchdog_hld.c"),
        .init(.rcuStall, "INFO: rcu_", alsoContains: ["stall"], title: .inStall("INFO: rcu detected stall", .rcuStall),
              source: "kernel/rcu/tree_stall.h: `rcu: INFO: rcu_sched self-detected stall on CPU`"),
        .init(.rcuStall, "INFO: rcu_", alsoContains: ["detected stalls"], title: .inStall("INFO: rcu detected stall", .rcuStall),
              source: "kernel/rcu/tree_stall.h (older kernels)"),
        .init(.hungTask, "INFO: task ", alsoContains: [" blocked for more than "], title: .inStall("INFO: task hung", .hungTask),
              source: "kernel/hung_task.c"),
        .init(.hungTask, "INFO: task ", alsoContains: [" blocked in I/O wait for more than "], title: .inStall("INFO: task hung", .hungTask),
              source: "kernel/hung_task.c (6.x, tasks in io_schedule; syzkaller report 1000)"),
        .init(.hungTask, " blocked for more than ", alsoContains: [" seconds."], unless: ["rcu"], title: .inStall("INFO: task hung", .hungTask),
              source: "kernel/hung_task.c, the `INFO: task NAME:PID` header broken across lines by a garbled task name (syzkaller report 1001)"),
        .init(.softLockup, "BUG: workqueue lockup", title: .fixed("BUG: workqueue lockup"), source: "kernel/workqueue.c"),

        // oopses: the kernel hit a bug; usually followed by `Kernel panic - not syncing: Fatal exception`
        .init(.oops, "BUG: kernel NULL pointer dereference", title: .inFunction("BUG: kernel NULL pointer dereference"),
              source: "arch/x86/mm/fault.c"),
        .init(.oops, "BUG: unable to handle kernel NULL pointer dereference", title: .inFunction("BUG: kernel NULL pointer dereference"),
              source: "arch/x86/mm/fault.c (before 5.x)"),
        .init(.oops, "BUG: unable to handle page fault", title: .inFunction("BUG: unable to handle kernel paging request"),
              source: "arch/x86/mm/fault.c"),
        .init(.oops, "BUG: unable to handle kernel paging request", title: .inFunction("BUG: unable to handle kernel paging request"),
              source: "arch/x86/mm/fault.c (before 5.x)"),
        .init(.oops, "general protection fault", unless: ["traps: "], title: .inFunction("general protection fault"),
              source: "arch/x86/kernel/traps.c (`traps:` lines are user-space faults)"),
        .init(.oops, "kernel BUG at ", title: .inFunction("kernel BUG"), source: "include/asm-generic/bug.h"),
        .init(.oops, "Unable to handle kernel NULL pointer dereference", title: .inFunction("Unable to handle kernel NULL pointer dereference"),
              source: "arm/arm64 fault.c (address below PAGE_SIZE; syzkaller reports 567, 676, 677, 693)"),
        .init(.oops, "Unable to handle kernel ", title: .inFunction("Unable to handle kernel paging request"), source: "arm/arm64 fault.c"),
        .init(.oops, "PANIC: double fault", title: .inFunction("PANIC: double fault"), source: "arch/x86/kernel/traps.c"),
        .init(.oops, "stack segment: ", unless: ["traps: "], title: .inFunction("stack segment fault"), source: "arch/x86/kernel/traps.c"),
        .init(.oops, "divide error: ", unless: ["traps: "], title: .inFunction("divide error"), source: "arch/x86/kernel/traps.c"),
        .init(.oops, "divide_error: ", alsoContains: ["[#"], title: .inFunction("divide error"),
              source: "arch/x86/kernel/traps.c (5.9-5.x spelling `divide_error: 0000 [#1]`; syzkaller report 522)"),
        .init(.oops, "invalid opcode: ", unless: ["traps: "], title: .inFunction("invalid opcode"), source: "arch/x86/kernel/traps.c"),
        .init(.oops, "Internal error: ", alsoContains: ["[#"], title: .inFunction("Internal error"), source: "arm/arm64 traps.c"),
        .init(.oops, "Oops: ", alsoContains: ["[#"], title: .inFunction("Oops"), source: "arch/x86/kernel/dumpstack.c"),
        .init(.oops, "BUG: ", unless: ["ODEBUG:", "Boot_DEBUG:"], title: .message, source: "any other `BUG:` (syzkaller's header)"),

        // initramfs / dracut rescue shells
        .init(.initramfsRescue, "Dropping to a shell", title: .fixed("initramfs: dropped to a rescue shell"),
              source: "Debian/Ubuntu initramfs-tools `ALERT!  UUID=... does not exist.  Dropping to a shell!`"),
        .init(.initramfsRescue, "Gave up waiting for root file system device", title: .fixed("initramfs: gave up waiting for root file system device"),
              source: "initramfs-tools scripts/local"),
        .init(.initramfsRescue, "Failed to mount ", alsoContains: [" as root file system"], title: .fixed("initramfs: failed to mount root file system"),
              source: "initramfs-tools scripts/local"),
        .init(.initramfsRescue, "(initramfs)", title: .fixed("initramfs: rescue shell"), source: "initramfs-tools busybox prompt"),
        .init(.initramfsRescue, "Entering emergency mode", title: .fixed("dracut/systemd: emergency shell"), source: "dracut, systemd emergency.target"),
        .init(.initramfsRescue, "Give root password for maintenance", title: .fixed("dracut/systemd: emergency shell"), source: "systemd sulogin"),
        .init(.initramfsRescue, "Starting Emergency Shell", title: .fixed("dracut/systemd: emergency shell"), source: "systemd emergency.service"),
        .init(.initramfsRescue, "You are in emergency mode", title: .fixed("dracut/systemd: emergency shell"), source: "systemd emergency.target"),
        .init(.initramfsRescue, "dracut-initqueue", alsoContains: ["timeout"], title: .fixed("dracut: initqueue timeout"),
              source: "dracut `Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks`"),

        // pygrub / libxl / domain builder (seen in xl create output and bootloader logs)
        .init(.bootloaderError, "Unable to find partition containing kernel", title: .fixed("pygrub: Unable to find partition containing kernel"),
              source: "xen tools/pygrub/src/pygrub"),
        .init(.bootloaderError, "couldn't find bootloader config file", title: .fixed("pygrub: couldn't find bootloader config file"),
              source: "xen tools/pygrub/src/pygrub"),
        .init(.bootloaderError, "Invalid disklabel magic", title: .fixed("pygrub: Invalid disklabel magic"), source: "xen tools/pygrub"),
        .init(.bootloaderError, "bootloader failed - consult logfile", title: .fixed("libxl: bootloader failed"),
              source: "xen tools/libs/light/libxl_bootloader.c"),
        .init(.bootloaderError, "bootloader [", alsoContains: ["exited with error status"], title: .fixed("libxl: bootloader failed"),
              source: "xen libxl_exec.c libxl_report_child_exitstatus"),
        .init(.bootloaderError, "killing bootloader because of timeout", title: .fixed("libxl: bootloader timed out"),
              source: "xen libxl_bootloader.c"),
        .init(.bootloaderError, "cannot run bootloader with no boot disk", title: .fixed("libxl: no boot disk for bootloader"),
              source: "xen libxl_bootloader.c"),
        .init(.bootloaderError, "xc_dom_find_loader: no loader found", title: .fixed("xen domain builder: no loader found"),
              source: "xen tools/libs/guest/xg_dom_core.c"),
        .init(.bootloaderError, "kernel is not a bzImage", title: .fixed("xen domain builder: kernel is not a bzImage"),
              source: "xen tools/libs/guest/xg_dom_bzimageloader.c"),
        // GRUB (LAVA's bootloader error list)
        .init(.bootloaderError, "error: file '", alsoContains: ["' not found"], title: .message, source: "GRUB"),
        .init(.bootloaderError, "error: no such device", title: .message, source: "GRUB"),
        .init(.bootloaderError, "error: disk '", alsoContains: ["' not found"], title: .message, source: "GRUB"),
        .init(.bootloaderError, "error: unknown filesystem", title: .fixed("error: unknown filesystem"), source: "GRUB"),
        .init(.bootloaderError, "error: you need to load the kernel first", title: .fixed("error: you need to load the kernel first"), source: "GRUB"),
        .init(.bootloaderError, "error: invalid magic number", title: .fixed("error: invalid magic number"), source: "GRUB"),
        .init(.bootloaderError, "Entering rescue mode", title: .fixed("GRUB: rescue mode"), source: "GRUB `Entering rescue mode...` then `grub rescue>`"),
        .init(.bootloaderError, "error: out of memory", title: .fixed("error: out of memory"), source: "GRUB"),

        // the kernel image's decompressor (arch/x86/boot/compressed/misc.c error())
        .init(.decompressorError, "-- System halted", title: .previousLine(prefix: "decompressor: "), source: "arch/x86/boot/compressed/misc.c error()"),
        .init(.decompressorError, "invalid magic", unless: ["error: invalid magic number"], title: .fixed("decompressor: invalid magic"), source: "lib/decompress_*.c"),
        .init(.decompressorError, "crc error", title: .fixed("decompressor: crc error"), source: "lib/inflate.c"),
        .init(.decompressorError, "-compressed data is corrupt", title: .message, source: "lib/decompress_unxz.c, decompress_unzstd.c"),

        // the hypervisor says the domain died (xl dmesg / hypervisor.log lines pasted in)
        .init(.domainCrash, "Triple fault", title: .fixed("HVM triple fault"), source: "xen/arch/x86/hvm/hvm.c `Triple fault - invoking HVM shutdown action`"),
        .init(.domainCrash, "domain_crash called from", title: .fixed("xen: domain_crash"), source: "xen/include/xen/sched.h"),
        .init(.domainCrash, "domain_crash_sync called from", title: .fixed("xen: domain_crash"), source: "xen/arch/x86/traps.c"),
        .init(.domainCrash, ") crashed on cpu#", alsoContains: ["Domain "], title: .fixed("xen: domain crashed"), source: "xen/common/domain.c"),
        .init(.domainCrash, "reported crashed by domain", title: .fixed("xen: domain crashed"), source: "xen/common/domain.c"),

        // informational: not fatal alone, kept as evidence and as the title of a boot that
        // then stalls with nothing worse on its console
        .init(.xenbusTimeout, "Timeout connecting to device", title: .xenbusTimeout,
              source: "drivers/xen/xenbus/xenbus_probe_frontend.c `XENBUS: Timeout connecting to device: device/vbd/51712 (local state 3, remote state 1)`"),
        .init(.rootDeviceMissing, "VFS: Cannot open root device", title: .fixed("VFS: Cannot open root device"), source: "init/do_mounts.c"),
        .init(.shutdown, "reboot: Power down", title: .fixed("reboot: Power down"), source: "kernel/reboot.c"),
        .init(.shutdown, "reboot: System halted", title: .fixed("reboot: System halted"), source: "kernel/reboot.c"),
        .init(.shutdown, "reboot: Restarting system", title: .fixed("reboot: Restarting system"), source: "kernel/reboot.c"),
    ]
}
