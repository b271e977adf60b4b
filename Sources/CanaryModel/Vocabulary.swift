// The words of docs/contract.md ("Vocabularies"). Their raw values are JSON that users, scripts and
// monitoring rely on: add cases, never rename them.

/// What a probe boots; the diagnosis compares kinds that differ in exactly one thing.
public enum ProbeKind: String, Codable, Sendable, CaseIterable, Comparable {
    /// The guest image's own kernel, found by its bootloader config (pygrub).
    case pygrub
    /// A host-supplied kernel and initrd, direct boot, with the guest's disk attached.
    case kernel
    /// virt-install style: kernel and initrd fetched from an install tree; no guest disk.
    case installer
    /// A fresh instance from a master image.
    case image

    public static func < (a: ProbeKind, b: ProbeKind) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// How one boot ended.
public enum BootOutcome: String, Codable, Sendable, CaseIterable {
    case booted
    case stalled
    case panic
    case oops
    case lockup
    case bootloaderFailure = "bootloader_failure"
    case initramfsRescue = "initramfs_rescue"
    case crashed
    case poweredOff = "powered_off"
    case noOutput = "no_output"
    /// The overall `--timeout` ran out while the guest was still printing: a slow boot, not a
    /// stopped one, so it shows no failure point (LAVA and Avocado-VT likewise call a job that
    /// ran out of time incomplete, not failed).
    case timedOut = "timed_out"
    case startFailure = "start_failure"
    case infraError = "infra_error"

    /// A boot that says something about the guest or the host (not about our own tooling, and
    /// not a boot cut off by the clock while it was still going).
    public var isGuestEvidence: Bool { self != .infraError && self != .timedOut }
    public var isSuccess: Bool { self == .booted }
}

/// How far a boot got, in boot order. Comparable: a later milestone is greater.
public enum Milestone: String, Codable, Sendable, CaseIterable, Comparable {
    case none
    case firmware
    case bootloader
    case decompressor
    case kernel
    case hypervisor
    case hypervisorCore = "hypervisor_core"
    case devices
    case rootMount = "root_mount"
    case `init`
    case userspace
    case login

    /// Position in boot order (`none` is 0). A switch, not `allCases.firstIndex`: the
    /// classifier compares milestones on every console line.
    public var rank: Int {
        switch self {
        case .none: 0
        case .firmware: 1
        case .bootloader: 2
        case .decompressor: 3
        case .kernel: 4
        case .hypervisor: 5
        case .hypervisorCore: 6
        case .devices: 7
        case .rootMount: 8
        case .`init`: 9
        case .userspace: 10
        case .login: 11
        }
    }
    public static func < (a: Milestone, b: Milestone) -> Bool { a.rank < b.rank }
}

/// What the guest's vCPUs did while its console was silent.
public enum VCPUPattern: String, Codable, Sendable, CaseIterable {
    /// vCPU time not advancing at all: the hypervisor is not running the guest.
    case frozen
    /// Advancing at about the full rate: the guest is busy (livelock, spin).
    case spinning
    /// Advancing slowly: the guest is idle, waiting for something.
    case idle
    case unknown
}

/// The diagnosis over many boots.
public enum Verdict: String, Codable, Sendable, CaseIterable {
    case healthy
    case hostFault = "host_fault"
    case imageFault = "image_fault"
    case guestKernelFault = "guest_kernel_fault"
    case platformRegression = "platform_regression"
    case intermittent
    case inconclusive
}

/// What the diagnosis tells the operator to do next.
public enum Action: String, Codable, Sendable, CaseIterable {
    case none
    case rebootHost = "reboot_host"
    case restoreImage = "restore_image"
    case reinstallGuestKernel = "reinstall_guest_kernel"
    case rollbackHypervisor = "rollback_hypervisor"
    case investigate
}

/// Exit codes of diagnose, canary and analyze (Nagios/Icinga plugin conventions, docs/contract.md).
public enum ExitStatus: Int32, Sendable {
    case healthy = 0
    case warning = 1
    case critical = 2
    case unknown = 3
    case usage = 64
}
