import CanaryModel

/// One way a console line shows that a boot reached a milestone.
///
/// A line matches when its message (prefixes and terminal control sequences removed)
/// contains `text`, contains every string in `alsoContains`, and contains none of `unless`.
/// Matching is on plain bytes and case-sensitive, like the kernel's own strings.
public struct MilestoneMarker: Sendable, Hashable {
    public var milestone: Milestone
    public var text: String
    public var alsoContains: [String]
    public var unless: [String]
    /// Where the message comes from, for the person extending the table.
    public var source: String

    public init(_ milestone: Milestone, _ text: String, alsoContains: [String] = [], unless: [String] = [], source: String) {
        self.milestone = milestone
        self.text = text
        self.alsoContains = alsoContains
        self.unless = unless
        self.source = source
    }
}

/// The milestones of a boot, in the order of docs/contract.md. The boot's `lastMilestone` is the
/// latest milestone any line showed; each milestone's first sighting is kept with its time.
/// A line that matches several markers counts for the first one listed.
///
/// To add a marker: add a row. Nothing else changes.
public enum MilestoneTable {
    public static let standard: [MilestoneMarker] = [
        // firmware ------------------------------------------------------------------------
        .init(.firmware, "SeaBIOS (version", source: "SeaBIOS banner (QEMU, Xen HVM)"),
        .init(.firmware, "HVM Loader", source: "Xen hvmloader, `(dN) HVM Loader` in xl dmesg"),
        .init(.firmware, "Booting from ", source: "SeaBIOS: `Booting from Hard Disk...`, `Booting from ROM...` (direct kernel boot)"),
        .init(.firmware, "BdsDxe: ", source: "OVMF (UEFI) boot device selection"),
        // bootloader ----------------------------------------------------------------------
        .init(.bootloader, "GNU GRUB", source: "GRUB menu header"),
        .init(.bootloader, "Welcome to GRUB", source: "GRUB 2 banner"),
        .init(.bootloader, "Loading Linux ", source: "GRUB `Loading Linux 6.1.0-27-amd64 ...`"),
        .init(.bootloader, "Loading initial ramdisk", source: "GRUB"),
        .init(.bootloader, "Booting `", source: "GRUB 2 with timeout=0 (no menu): `  Booting `Debian GNU/Linux, with Linux 6.1.0-57-cloud-amd64'` (Xen lab, HVM through SeaBIOS and PVH through pvgrub2)"),
        .init(.bootloader, "pyGRUB", source: "Xen pygrub menu (bootloader log)"),
        .init(.bootloader, "Using <class 'grub.", source: "Xen pygrub: `Using <class 'grub.GrubConf.Grub2ConfigFile'> to parse`"),
        .init(.bootloader, "iPXE ", alsoContains: ["--"], source: "iPXE banner `iPXE 1.21.1 -- Open Source Network Boot Firmware`"),
        .init(.bootloader, "SYSLINUX ", source: "SYSLINUX/EXTLINUX banner"),
        .init(.bootloader, "ISOLINUX ", source: "ISOLINUX banner"),
        // decompressor (the kernel image's own boot code) ---------------------------------
        .init(.decompressor, "Probing EDD", source: "arch/x86/boot/edd.c, the kernel's real-mode setup"),
        .init(.decompressor, "early console in extract_kernel", source: "arch/x86/boot/compressed/misc.c"),
        .init(.decompressor, "Decompressing Linux", source: "arch/x86/boot/compressed/misc.c"),
        .init(.decompressor, "Booting the kernel", source: "arch/x86/boot/compressed/misc.c"),
        // kernel --------------------------------------------------------------------------
        .init(.kernel, "Linux version ", source: "init/main.c linux_banner"),
        // hypervisor ----------------------------------------------------------------------
        .init(.hypervisor, "Booting paravirtualized kernel on Xen", source: "arch/x86/xen/enlighten.c xen_banner (before 6.x)"),
        .init(.hypervisor, "Booting paravirtualized kernel on KVM", source: "arch/x86/kernel/paravirt.c"),
        .init(.hypervisor, "Booting kernel on Xen", source: "arch/x86/xen/enlighten.c xen_banner (6.x)"),
        .init(.hypervisor, "Hypervisor detected: ", source: "arch/x86/kernel/cpu/hypervisor.c"),
        .init(.hypervisor, "Xen version: ", source: "arch/x86/xen/enlighten.c xen_banner"),
        // hypervisor core -----------------------------------------------------------------
        .init(.hypervisorCore, "xen:events: ", source: "drivers/xen/events/events_base.c (FIFO/2-level ABI, callback vector)"),
        .init(.hypervisorCore, "Xen HVM callback vector", source: "drivers/xen/events/events_base.c"),
        .init(.hypervisorCore, "xen:grant_table: ", source: "drivers/xen/grant-table.c"),
        .init(.hypervisorCore, "Grant table initialized", source: "drivers/xen/grant-table.c"),
        .init(.hypervisorCore, "Xen: using vcpuop timer interface", source: "arch/x86/xen/time.c"),
        .init(.hypervisorCore, "xen:balloon: ", source: "drivers/xen/balloon.c"),
        .init(.hypervisorCore, "kvm-clock: Using msrs", source: "arch/x86/kernel/kvmclock.c"),
        // devices -------------------------------------------------------------------------
        .init(.devices, "xenbus_probe_frontend", source: "drivers/xen/xenbus/xenbus_probe_frontend.c"),
        .init(.devices, "xen_netfront: ", source: "drivers/net/xen-netfront.c"),
        .init(.devices, "blkfront: ", source: "drivers/block/xen-blkfront.c"),
        .init(.devices, "xen-blkfront", source: "drivers/block/xen-blkfront.c"),
        .init(.devices, "virtio_blk ", source: "drivers/block/virtio_blk.c"),
        .init(.devices, "virtio_net ", source: "drivers/net/virtio_net.c"),
        .init(.devices, "virtio-pci ", source: "drivers/virtio/virtio_pci_common.c"),
        // root mount ----------------------------------------------------------------------
        .init(.rootMount, "VFS: Mounted root", source: "init/do_mounts.c"),
        .init(.rootMount, "EXT4-fs (", alsoContains: ["): mounted filesystem"], source: "fs/ext4/super.c (root mounted by the initramfs)"),
        .init(.rootMount, "XFS (", alsoContains: ["): Ending clean mount"], source: "fs/xfs/xfs_log.c"),
        // init ----------------------------------------------------------------------------
        .init(.`init`, "Run /", alsoContains: [" as init process"], source: "init/main.c run_init_process (5.x+)"),
        .init(.`init`, "Freeing unused kernel memory", source: "init/main.c (older kernels)"),
        // userspace -----------------------------------------------------------------------
        .init(.userspace, "Welcome to ", unless: ["GRUB", "login:"], source: "systemd: `Welcome to Debian GNU/Linux 12 (bookworm)!`"),
        .init(.userspace, "Reached target", source: "systemd: `[  OK  ] Reached target Multi-User System.`"),
        .init(.userspace, "INIT: version", source: "sysvinit"),
        .init(.userspace, "systemd[1]: ", source: "systemd with its messages on the console"),
        // login: the prompt itself is found by `SuccessMarker.loginPrompt` (it is usually
        // an unterminated line and must not be `Last login:` or part of a kernel line).
    ]
}
