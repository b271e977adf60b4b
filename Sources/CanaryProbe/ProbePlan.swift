import CanaryHostFacts
import CanaryModel
import Foundation

/// What the user gave to boot (docs/contract.md probe options), before anything is prepared.
public struct ProbeInputs: Sendable, Equatable {
    public var image: String?
    /// The declared format of `image` / `pygrub` (`--image-format`); nil means raw.
    public var imageFormat: DiskFormat?
    /// The declared format of `master` (`--master-format`); nil means raw.
    public var masterFormat: DiskFormat?
    /// `boot --pygrub DISK`; `diagnose` uses `image` for its pygrub kind.
    public var pygrub: String?
    public var kernel: String?
    public var initrd: String?
    public var cmdline: String?
    public var installer: String?
    public var master: String?
    public var domainType: String?
    public var guestType: DomainSpec.GuestType
    public var memoryMiB: Int
    public var vcpus: Int

    public init(image: String? = nil, pygrub: String? = nil, kernel: String? = nil, initrd: String? = nil,
                cmdline: String? = nil, installer: String? = nil, master: String? = nil, domainType: String? = nil,
                guestType: DomainSpec.GuestType = .pv, memoryMiB: Int = 256, vcpus: Int = 1,
                imageFormat: DiskFormat? = nil, masterFormat: DiskFormat? = nil) {
        self.image = image
        self.imageFormat = imageFormat
        self.masterFormat = masterFormat
        self.pygrub = pygrub
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.installer = installer
        self.master = master
        self.domainType = domainType
        self.guestType = guestType
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
    }
}

/// One kind of boot, ready to be repeated: what to boot and how big.
public struct ProbePlan: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The image's own kernel, found by its bootloader config.
        case pygrub(disk: String)
        /// A host-supplied kernel, with the guest's disk attached when there is one.
        case kernel(kernel: String, initrd: String?, cmdline: String, disk: String?)
        /// An install tree's kernel and initrd; no guest disk.
        case installer(url: String)
        /// A fresh instance of a master image, booted the way the guest boots (its own kernel).
        case image(master: String)
    }

    public var kind: ProbeKind
    public var source: Source
    public var domainType: String
    public var guestType: DomainSpec.GuestType
    public var memoryMiB: Int
    public var vcpus: Int
    /// The declared format of the plan's disk, if it has one (nil: raw, never guessed).
    public var diskFormat: DiskFormat? = nil

    /// A short description for progress lines and reports.
    public var summary: String {
        let what: String
        switch source {
        case .pygrub(let disk): what = "\(disk)'s own kernel via \(ownBootloader)"
        case .kernel(let kernel, _, _, let disk): what = "kernel \(kernel)" + (disk.map { " with disk \($0)" } ?? "")
        case .installer(let url): what = "installer kernel from \(url)"
        case .image(let master): what = "fresh instance of \(master)"
        }
        let type = domainType == "xen" ? "xen \(guestType.rawValue)" : domainType
        return "\(what); \(type), \(memoryMiB) MiB, \(vcpus) vCPU"
    }

    /// What boots the image's own kernel (ProbeRunner.prepare): pygrub, or on Xen PVH and HVM
    /// the image's own grub.cfg through firmware.
    public var ownBootloader: String {
        switch (domainType, guestType) {
        case ("xen", .pvh): "its grub.cfg (PVH firmware)"
        case ("xen", .hvm): "its boot sector (HVM firmware)"
        default: "pygrub"
        }
    }

    /// The disk that must never be written, if any.
    public var protectedDisk: String? {
        switch source {
        case .pygrub(let disk): disk
        case .kernel(_, _, _, let disk): disk
        case .installer: nil
        case .image(let master): master
        }
    }
}

/// Turns inputs into plans: one for `boot`, every kind the inputs allow for `diagnose`.
public enum ProbePlanner {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case nothingToBoot
        case severalKinds([String])
        case noDomainType(String)

        public var description: String {
            switch self {
            case .nothingToBoot:
                "nothing to boot: give --kernel PATH (with --initrd and --cmdline), --pygrub DISK, --installer URL or --master DISK"
            case .severalKinds(let given):
                "boot runs one kind of probe, but \(given.joined(separator: " and ")) were given; use diagnose to run several"
            case .noDomainType(let uri):
                "\(uri) offers no domain type bootcanary can use; pass --domain-type"
            }
        }
    }

    /// The one probe `bootcanary boot` runs.
    public static func single(_ inputs: ProbeInputs, facts: HostFacts) throws -> ProbePlan {
        var kinds: [(String, ProbePlan.Source, ProbeKind)] = []
        if let disk = inputs.pygrub { kinds.append(("--pygrub", .pygrub(disk: disk), .pygrub)) }
        if let kernel = inputs.kernel {
            kinds.append(("--kernel", .kernel(kernel: kernel, initrd: inputs.initrd, cmdline: inputs.cmdline ?? "", disk: inputs.image), .kernel))
        }
        if let url = inputs.installer { kinds.append(("--installer", .installer(url: url), .installer)) }
        if let master = inputs.master { kinds.append(("--master", .image(master: master), .image)) }
        if kinds.isEmpty, let image = inputs.image { kinds.append(("--image", .pygrub(disk: image), .pygrub)) }
        guard let first = kinds.first else { throw Failure.nothingToBoot }
        guard kinds.count == 1 else { throw Failure.severalKinds(kinds.map(\.0)) }
        return try plan(first.2, first.1, inputs, facts)
    }

    /// Every kind `diagnose` can run from these inputs, in CONTRACT order.
    public static func matrix(_ inputs: ProbeInputs, facts: HostFacts) throws -> [ProbePlan] {
        var plans: [ProbePlan] = []
        if let image = inputs.image { plans.append(try plan(.pygrub, .pygrub(disk: image), inputs, facts)) }
        if let kernel = inputs.kernel {
            plans.append(try plan(.kernel, .kernel(kernel: kernel, initrd: inputs.initrd, cmdline: inputs.cmdline ?? "", disk: inputs.image), inputs, facts))
        }
        if let url = inputs.installer { plans.append(try plan(.installer, .installer(url: url), inputs, facts)) }
        if let master = inputs.master { plans.append(try plan(.image, .image(master: master), inputs, facts)) }
        return plans
    }

    static func plan(_ kind: ProbeKind, _ source: ProbePlan.Source, _ inputs: ProbeInputs, _ facts: HostFacts) throws -> ProbePlan {
        guard let type = inputs.domainType ?? facts.defaultDomainType else { throw Failure.noDomainType(facts.uri) }
        return ProbePlan(kind: kind, source: source, domainType: type, guestType: type == "xen" ? inputs.guestType : .hvm,
                         memoryMiB: inputs.memoryMiB, vcpus: inputs.vcpus,
                         diskFormat: kind == .image ? inputs.masterFormat : inputs.imageFormat)
    }
}
