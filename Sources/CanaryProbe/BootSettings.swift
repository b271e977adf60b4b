import CanaryClassify
import CanaryModel

/// Settings of one boot that do not come from its domain spec.
public struct BootSettings: Sendable {
    /// Give up on the boot after this many seconds from resume.
    public var timeout: Double
    public var stall: StallPolicy
    public var classifier: ClassifierOptions
    /// Give up on a create call after this many seconds, queueing included. Measured: a
    /// pygrub create on the Xen lab takes 14-19 s, a QEMU create 0.4 s (44 s when libvirt
    /// re-probes QEMU, LAB-NOTES.md); a hung pygrub inside libxl's create blocked for 7 min.
    public var createTimeout: Double = 180
    /// The firmware a Xen PVH guest boots the image's own grub.cfg with, a path on the host:
    /// pvgrub2 from Debian's grub-xen-host (its built-in config searches every disk for
    /// /boot/grub/grub.cfg). libxl has no firmware of its own for PVH, and pygrub would be the
    /// host's bootloader, not the image's.
    public var pvhFirmware: String = BootSettings.defaultPVHFirmware
    public static let defaultPVHFirmware = "/usr/lib/grub-xen/grub-i386-xen_pvh.bin"

    public static let defaultTimeout = 600.0
    /// This host's healthy boots per kind (`SilenceHistory`); empty with `--no-history` or
    /// before a host has any.
    public var history: [ProbeKind: SilenceHistory] = [:]

    public init(timeout: Double = BootSettings.defaultTimeout, stall: StallPolicy = StallPolicy(),
                classifier: ClassifierOptions = ClassifierOptions()) {
        self.timeout = timeout
        self.stall = stall
        self.classifier = classifier
    }
}
