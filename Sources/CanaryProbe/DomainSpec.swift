import CanaryModel

/// Everything that decides how one test guest is defined, independent of XML. Built by a
/// probe kind, turned into libvirt XML by `DomainXML`.
public struct DomainSpec: Sendable, Equatable {
    public var name: String
    /// libvirt's domain type: `xen`, `kvm`, `qemu`.
    public var domainType: String
    /// Xen guest type; QEMU/KVM guests are always full virtualization.
    public var guestType: GuestType
    public var memoryMiB: Int
    public var vcpus: Int
    public var boot: Boot
    public var disks: [Disk]
    /// Written into `<metadata>` so a leftover domain can be traced to its run and process.
    public var probe: ProbeLabel?
    /// QEMU only: virtlogd also writes every serial byte to this host file, independently of
    /// the console stream (a second witness; libxl ignores `<log>`).
    public var serialLog: String?

    public init(name: String, domainType: String, guestType: GuestType = .pv, memoryMiB: Int = 256, vcpus: Int = 1,
                boot: Boot, disks: [Disk] = [], probe: ProbeLabel? = nil) {
        self.name = name
        self.domainType = domainType
        self.guestType = guestType
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.boot = boot
        self.disks = disks
        self.probe = probe
    }

    /// Xen guest types (docs/contract.md `--guest-type`).
    public enum GuestType: String, Sendable, Codable, CaseIterable {
        case pv, pvh, hvm
    }

    public enum Boot: Sendable, Equatable {
        /// Direct kernel boot: the host passes kernel, initrd and command line.
        case direct(kernel: String, initrd: String?, cmdline: String)
        /// The host's bootloader reads the kernel from the first disk (Xen PV: pygrub, run by libxl).
        case bootloader(path: String, args: String?)
        /// Firmware boots the first disk through the image's own bootloader (HVM: hvmloader and
        /// SeaBIOS on Xen, SeaBIOS on QEMU; the MBR's GRUB reads the image's grub.cfg).
        case firmware
        /// A PV-protocol firmware loaded as the guest's kernel (Xen PVH: pvgrub2,
        /// grub-i386-xen_pvh.bin), which reads the image's own grub.cfg from its disks.
        case pvFirmware(path: String)
    }

    public struct Disk: Sendable, Equatable {
        public var path: String
        /// `raw` or `qcow2`.
        public var format: String
        public var readOnly: Bool
        /// A block device (`<disk type='block'>`), not a file.
        public var isBlockDevice: Bool
        /// Files below an overlay that are not bootcanary's (the suspect image and the chain its
        /// header declares), nearest first. They are written into the XML as `<backingStore>`
        /// with their declared formats, so libvirt neither probes them nor, where they are
        /// readable to the hypervisor's user anyway, relabels them.
        public var backing: [Layer]
        /// Whether libvirt may change the owner of `path` (DAC relabelling): yes for files
        /// bootcanary made, no for an input attached directly that the hypervisor can read.
        public var relabel: Bool

        public struct Layer: Sendable, Equatable {
            public var path: String
            public var format: String
            public var isBlockDevice: Bool
            public var relabel: Bool
            public init(path: String, format: String, isBlockDevice: Bool = false, relabel: Bool) {
                self.path = path
                self.format = format
                self.isBlockDevice = isBlockDevice
                self.relabel = relabel
            }
        }

        public init(path: String, format: String = "raw", readOnly: Bool, isBlockDevice: Bool = false,
                    backing: [Layer] = [], relabel: Bool = true) {
            self.path = path
            self.format = format
            self.readOnly = readOnly
            self.isBlockDevice = isBlockDevice
            self.backing = backing
            self.relabel = relabel
        }
    }

    /// Which run a domain belongs to.
    public struct ProbeLabel: Sendable, Equatable {
        public var runID: String
        public var kind: ProbeKind
        public var repetition: Int
        public var pid: Int32

        public init(runID: String, kind: ProbeKind, repetition: Int, pid: Int32) {
            self.runID = runID
            self.kind = kind
            self.repetition = repetition
            self.pid = pid
        }
    }

    public var isXen: Bool { domainType == "xen" }

    /// Xen HVM: a vCPU also waits for its device model (qemu-dm emulating an I/O access), and
    /// virDomainGetVcpus and `xl vcpu-list` show that the same as waiting for a pCPU.
    public var vcpusWaitForDeviceModel: Bool { isXen && guestType == .hvm }

    /// The guest device its console appears on: `hvc0` for Xen PV/PVH, `ttyS0` otherwise.
    public var consoleDevice: String { isXen && guestType != .hvm ? "hvc0" : "ttyS0" }

    /// The disk device name and bus for disk `index`. A read-only disk of a Xen HVM guest is
    /// emulated as SCSI: qemu-xen refuses read-only IDE ("qemu-xen doesn't support read-only
    /// IDE disk drivers", libxl_dm.c; libxl passes readonly= only for SCSI since Xen 4.11) and
    /// the guest's blkfront sees the PV twin either way.
    public func diskTarget(_ index: Int, readOnly: Bool = false) -> (dev: String, bus: String) {
        let letter = String(UnicodeScalar(UInt8(97 + index)))
        if isXen && guestType == .hvm { return readOnly ? ("sd\(letter)", "scsi") : ("hd\(letter)", "ide") }
        if isXen { return ("xvd\(letter)", "xen") }
        return ("vd\(letter)", "virtio")
    }
}

extension DomainSpec.Boot {
    /// Whether the create call itself reads the image's kernel: pygrub (run by libxl inside
    /// the create) and a kernel pygrub extracted do; firmware boots load the host's firmware at
    /// create and read the image only once the guest runs, so a refusal then is not the image's.
    public var loadsTheImagesKernelAtCreate: Bool {
        switch self {
        case .direct, .bootloader: true
        case .firmware, .pvFirmware: false
        }
    }
}

/// Kernel command lines as bootcanary passes them.
public enum KernelCommandLine {
    /// Adds `console=DEV` unless the line already names a console: the tool reads exactly one
    /// console, and a kernel that prints elsewhere would look like a guest with no output.
    public static func ensuringConsole(_ cmdline: String, device: String) -> String {
        let words = cmdline.split(separator: " ")
        if words.contains(where: { $0.hasPrefix("console=") }) { return cmdline }
        return (words.map(String.init) + ["console=\(device)"]).joined(separator: " ")
    }
}
