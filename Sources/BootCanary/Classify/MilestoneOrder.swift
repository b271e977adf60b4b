extension Milestone {
    /// Position in boot order without building `allCases` (the classifier asks per line;
    /// `rank` allocates).
    @inline(__always)
    var position: Int {
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
}
