import Foundation

/// Which failures before a guest runs are evidence about the guest image, and which are not.
///
/// The rule (README.md, Safety: "Blame only what was seen"): a failure counts against the image
/// only when the failing step read the image's content — its bootloader config, its kernel, its
/// initrd, its filesystems. A hypervisor refusing the definition bootcanary built, a failure of
/// bootcanary's own tools or sandbox, a missing file, a lost daemon: none of those read the
/// image, so they are infrastructure errors, reported in the hypervisor's own words.
///
/// Matching is by substring, first row wins; rows that clear the image come before rows that
/// blame it, so a log showing both blames nothing. A
/// message that matches no row proves nothing about the image either (see `classify`).
public enum RefusalTable {
    public enum Blame: String, Sendable, Equatable {
        /// The failing step read the image and rejected what it found.
        case imageContent
        /// The hypervisor refused a definition it does not support (bootcanary's choice).
        case unsupportedConfiguration
        /// A tool or sandbox of bootcanary's, or the host's plumbing, failed.
        case tooling
    }

    public struct Row: Sendable {
        public var words: String
        public var blame: Blame
        /// Why, in an operator's terms, and where the message comes from.
        public var because: String
    }

    /// pygrub's messages (Xen 4.17's tools/pygrub/src/pygrub and its grub/*.py parsers), as
    /// run by bootcanary or by libxl.
    public static let pygrub: [Row] = [
        // Signs of a failure on this side come first: where both appear, nothing is blamed.
        Row(words: "PermissionError", blame: .tooling, because: "pygrub's user could not open the disk: a permission problem on this host"),
        Row(words: "Error writing temporary copy", blame: .tooling, because: "pygrub could not write its output folder"),
        Row(words: "bad_mount", blame: .tooling, because: "pygrub's own sandbox could not be set up"),
        Row(words: "mount_tmpfs", blame: .tooling, because: "pygrub's own sandbox could not be set up"),
        Row(words: "bad_xenfsimage", blame: .tooling, because: "pygrub's filesystem library did not load"),
        Row(words: "ModuleNotFoundError", blame: .tooling, because: "pygrub's Python modules are missing on this host"),
        Row(words: "ImportError", blame: .tooling, because: "pygrub's Python modules are missing on this host"),
        Row(words: "is not an existing directory", blame: .tooling, because: "pygrub's output folder is missing"),
        Row(words: "Unable to find partition containing kernel", blame: .imageContent,
            because: "pygrub read every partition of the disk and found no bootloader config naming a kernel"),
        Row(words: "couldn't find bootloader config file", blame: .imageContent,
            because: "pygrub opened the image's filesystem and found no grub.cfg, menu.lst or extlinux.conf"),
        Row(words: "The requested kernel file does not exist", blame: .imageContent,
            because: "the image's bootloader config names a kernel its filesystem does not have"),
        Row(words: "The requested ramdisk file does not exist", blame: .imageContent,
            because: "the image's bootloader config names an initrd its filesystem does not have"),
        Row(words: "Error opening", blame: .imageContent, because: "pygrub could not read a file inside the image"),
        Row(words: "syntax error", blame: .imageContent, because: "the image's grub.cfg does not parse"),
        Row(words: "No kernel image selected", blame: .imageContent, because: "the image's bootloader config selects no entry"),
        Row(words: "Invalid disklabel magic", blame: .imageContent, because: "the image's Solaris disklabel is damaged"),
        Row(words: "No root slice found", blame: .imageContent, because: "the image's disklabel has no root slice"),
    ]

    /// Hypervisor refusals at create time. Sources: libxl (tools/libs/light in Xen 4.17:
    /// libxl_dm.c, libxl_dom.c, libxl_bootloader.c, libxl_create.c), libxenguest's
    /// xc_dom_*.c kernel loaders, libvirt 9.0's libxl and QEMU drivers, QEMU 7.2.
    public static let hypervisor: [Row] = [
        // Refusals of the definition and the host's plumbing come first: where a log shows one
        // of them beside a kernel complaint, the image is not blamed.
        // Definitions the hypervisor does not support: bootcanary's choice, not the guest's.
        Row(words: "doesn't support read-only IDE disk", blame: .unsupportedConfiguration,
            because: "qemu-xen cannot attach an IDE disk read-only (libxl_dm.c)"),
        Row(words: "device model did not start", blame: .unsupportedConfiguration,
            because: "dom0's QEMU (the device model) refused the domain's devices"),
        Row(words: "unsupported configuration", blame: .unsupportedConfiguration, because: "libvirt refused part of the definition"),
        Row(words: "not supported by this QEMU", blame: .unsupportedConfiguration, because: "QEMU lacks a feature the definition uses"),
        Row(words: "does not support", blame: .unsupportedConfiguration, because: "the driver refused part of the definition"),
        Row(words: "unsupported flags", blame: .unsupportedConfiguration, because: "the driver refused a flag bootcanary passed"),
        Row(words: "Domain requires explicit", blame: .unsupportedConfiguration, because: "the definition lacks a setting the driver needs"),
        // The host's plumbing.
        Row(words: "Permission denied", blame: .tooling,
            because: "the hypervisor's user cannot read a file the domain needs; libvirt's QEMU runs unprivileged: put the file where it can be read (e.g. /var/lib/libvirt/boot) or make it readable"),
        Row(words: "Cannot access storage file", blame: .tooling, because: "the host cannot open a file the domain needs"),
        Row(words: "No such file or directory", blame: .tooling, because: "a file the domain needs is missing on the host"),
        Row(words: "Failed to get \"write\" lock", blame: .tooling, because: "another process holds the disk open"),
        Row(words: "Failed to get shared \"write\" lock", blame: .tooling, because: "another process holds the disk open"),
        Row(words: "hotplug", blame: .tooling, because: "dom0's hotplug script for a device failed"),
        Row(words: "failed to allocate", blame: .tooling, because: "the host had no memory for the test domain"),
        Row(words: "Cannot allocate memory", blame: .tooling, because: "the host had no memory for the test domain"),
        // The kernel loaders read the kernel and initrd bytes the domain was given.
        Row(words: "xc_dom_probe_bzimage_kernel", blame: .imageContent, because: "libxenguest rejected the kernel's bytes"),
        Row(words: "unable to LZ4 decompress kernel", blame: .imageContent, because: "the kernel's compressed payload is damaged"),
        Row(words: "unable to XZ decompress kernel", blame: .imageContent, because: "the kernel's compressed payload is damaged"),
        Row(words: "unable to gzip decompress kernel", blame: .imageContent, because: "the kernel's compressed payload is damaged"),
        Row(words: "xc_dom_find_loader: no loader found", blame: .imageContent, because: "the kernel is not a format Xen can load"),
        Row(words: "xc_dom_parse_elf_kernel", blame: .imageContent, because: "the kernel's ELF notes are invalid"),
        Row(words: "Invalid kernel", blame: .imageContent, because: "libxenguest rejected the kernel's bytes"),
        Row(words: "xc_dom_ramdisk", blame: .imageContent, because: "the initrd could not be loaded"),
        Row(words: "qemu: could not load kernel", blame: .imageContent, because: "QEMU could not load the kernel it was given"),
        Row(words: "linux kernel too old to load a ram disk", blame: .imageContent, because: "QEMU's loader rejected the kernel"),
    ]

    /// The first row whose words occur in `text`.
    public static func match(_ text: String, in table: [Row]) -> Row? {
        table.first { text.contains($0.words) }
    }

    /// The row that explains a refusal: pygrub's own words first (libxl runs pygrub inside the
    /// create and logs only "bootloader failed - consult logfile"; what pygrub said decides),
    /// then the hypervisor's.
    public static func explain(_ text: String) -> Row? {
        match(text, in: pygrub) ?? match(text, in: hypervisor)
    }

    /// Whether a pygrub failure (its stderr) came from reading the image.
    package static func pygrubReadTheImage(_ stderr: String) -> Bool {
        match(stderr, in: pygrub)?.blame == .imageContent
    }
}

