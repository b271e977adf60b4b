/// The known issues bootcanary ships, in order (the report lists matches in this order, then
/// the operator's). Each row's text was checked against the real message: the fixture or
/// source named beside it, which `KnownIssueTableTests` matches it against.
public enum KnownIssueTable {
    public static let shipped: [KnownIssue] = [
        // Xen master dae7b62e976b "credit2: fix credit reset happening too few times" (2020-04-03,
        // with 36f3662f27de "credit2: avoid vCPUs to ever reach lower credits than idle"):
        // guest vCPUs not scheduled for long stretches "even under light load", "enough for the
        // guest kernel to think the vCPU is not responding". First released in Xen 4.14.0.
        KnownIssue(name: "xen-credit2-vcpu-starvation",
                   match: .init(title: #"rcu detected stall|soft lockup|hard LOCKUP"#, hypervisor: "Xen", versionBelow: "4.14"),
                   explanation: "Xen's credit2 scheduler could leave a vCPU unscheduled for long stretches (credits below the idle vCPU's), and the guest kernel reports an RCU stall or lockup. Fixed in Xen 4.14.0 and backported to the stable branches in April 2020: check whether this host's Xen build carries it.",
                   reference: "xen.git dae7b62e976b28af9c8efa150618c25501bf1650 (and 36f3662f27dec32d76c0edb4c6b62b9628d6869d)"),
        // libxl_dm.c: "qemu-xen doesn't support read-only IDE disk drivers" (StartFailureKindTests,
        // seen on the Xen lab with an HVM probe; RefusalTable.hypervisor's first row).
        KnownIssue(name: "qemu-xen-read-only-ide",
                   match: .init(failure: #"qemu-xen doesn't support read-only IDE disk"#),
                   explanation: "qemu-xen cannot attach an IDE disk read-only; libxl refuses the domain before it runs. bootcanary attaches read-only HVM disks as SCSI for this reason; a definition that asks for read-only IDE is refused by the host, not by the guest.",
                   reference: "xen.git tools/libs/light/libxl_dm.c (libxl__build_device_model_args_new)"),
        // lab/xen/README.md, lab/xen/captures/pvh-nested-svm-crash.xl-dmesg.txt:
        // "(XEN) SVM Insn len emulation failed (1): d6v0 64bit @ ... -> 0f 01 f9" (RDTSCP).
        // Only xl dmesg says it: a log given to `analyze` with those lines, or a hypervisor
        // message quoting them.
        KnownIssue(name: "xen-nested-svm-rdtscp-crash",
                   match: .init(text: #"SVM Insn len emulation failed.*-> 0f 01 f9"#),
                   explanation: "Xen running nested on an emulated AMD SVM (QEMU TCG) that reports RDTSCP as an RDTSC intercept without the instruction length crashes the guest when it executes RDTSCP. A limit of the outer emulator, not of the guest or the host's hardware: hide rdtscp from the outer CPU model (-cpu ...,-rdtscp).",
                   reference: "lab/xen/README.md (How it is put together, -rdtscp); lab/xen/captures/pvh-nested-svm-crash.xl-dmesg.txt"),
        // pygrub (Xen 4.17 tools/pygrub/src/pygrub): raise RuntimeError("Unable to find
        // partition containing kernel") — fixtures lab-pygrub-no-kernel, xen-libxl-pygrub-no-grub-cfg.
        KnownIssue(name: "pygrub-no-kernel",
                   match: .init(text: #"Unable to find partition containing kernel"#),
                   explanation: "pygrub read every partition of the disk and found no bootloader configuration naming a kernel: the image's /boot is missing, damaged, or on a filesystem or volume layout pygrub cannot open. Evidence about the image, not the host.",
                   reference: "xen.git tools/pygrub/src/pygrub"),
        // libxl_aoutils.c libxl__async_exec_timeout: LOG(ERROR, "killing execution of %s because
        // of timeout", aes->what); lab/xen/README.md: two HVM creates sharing one loop device.
        KnownIssue(name: "libxl-block-hotplug-timeout",
                   match: .init(failure: #"killing execution of \S*/block add because of timeout"#),
                   explanation: "dom0's block hotplug script (/etc/xen/scripts/block) did not finish within libxl's timeout, so the disk was never attached: a slow or stuck dom0 (loop devices, udev, a locked image), not evidence about the guest.",
                   reference: "xen.git tools/libs/light/libxl_aoutils.c (libxl__async_exec_timeout); lab/xen/README.md"),
    ]
}
