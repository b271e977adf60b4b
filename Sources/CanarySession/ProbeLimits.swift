/// The allowed range of every number a person gives a probe, once: the CLI flags
/// (`--timeout`, `--runs`, ...) and the canary profile's keys (`timeout`, `runs`, ...) are
/// checked against the same `ProbeLimit`, so a value the command line refuses is refused in
/// a profile too, with the same range in the message.
///
/// Every range is finite: `inf` would mean "never give up" (a hung boot that never ends the
/// canary), `nan` compares false with everything and would slip past a `<= 0` check.
public struct ProbeLimit: Sendable, Equatable {
    /// The CLI flag (`--timeout`) and the profile key (`timeout`).
    public var flag: String
    public var key: String
    public var lower: Double
    public var upper: Double
    /// Whether `lower` itself is allowed (a timeout of 0 s is not; a grace of 0 s is).
    public var lowerIncluded: Bool
    public var integer: Bool
    public var unit: String

    /// Why `value` is not allowed, or nil when it is.
    public func problem(_ value: Double) -> String? {
        let inRange = value.isFinite && (lowerIncluded ? value >= lower : value > lower) && value <= upper
            && (!integer || value.rounded() == value)
        return inRange ? nil : "must be \(rangeText)"
    }

    /// `an integer from 1 to 20`, `a number of seconds above 0 and at most 86400`.
    public var rangeText: String {
        let what = integer ? "an integer" : "a number"
        let u = unit.isEmpty ? "" : " \(unit)"
        if lowerIncluded { return "\(what) from \(Self.text(lower)) to \(Self.text(upper))\(u)" }
        return "\(what) above \(Self.text(lower)) and at most \(Self.text(upper))\(u)"
    }

    /// For the CLI: `--runs must be an integer from 1 to 20 (got 0)`.
    public func flagProblem(_ value: Double) -> String? {
        problem(value).map { "\(flag) \($0) (got \(Self.text(value)))" }
    }

    static func text(_ v: Double) -> String {
        if v.isFinite, v.rounded() == v, abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

public enum ProbeLimits {
    /// A day: no boot of an installer or a guest on emulated hardware takes longer (the lab's
    /// software-emulated Xen boots in about 4 minutes), and a bigger number is a typo.
    static let day = 86_400.0

    public static let timeout = ProbeLimit(flag: "--timeout", key: "timeout", lower: 0, upper: day, lowerIncluded: false, integer: false, unit: "seconds")
    public static let stallTimeout = ProbeLimit(flag: "--stall-timeout", key: "stall_timeout", lower: 0, upper: day, lowerIncluded: false, integer: false, unit: "seconds")
    public static let frozenAfter = ProbeLimit(flag: "--frozen-after", key: "frozen_after", lower: 0, upper: day, lowerIncluded: false, integer: false, unit: "seconds")
    public static let noOutputTimeout = ProbeLimit(flag: "--no-output-timeout", key: "no_output_timeout", lower: 0, upper: day, lowerIncluded: false, integer: false, unit: "seconds")
    /// `analyze --grace` always said 0-60: a trace longer than a minute is not coming.
    public static let grace = ProbeLimit(flag: "--grace", key: "grace", lower: 0, upper: 60, lowerIncluded: true, integer: false, unit: "seconds")
    /// Below 32 MiB no Linux kernel of the last decade gets to its initramfs; 1 TiB is larger
    /// than any canary needs and keeps `memory * 1024` (KiB in the domain XML) far from overflow.
    public static let memory = ProbeLimit(flag: "--memory", key: "memory", lower: 32, upper: 1_048_576, lowerIncluded: true, integer: true, unit: "MiB")
    /// Xen PV guests have supported 64 vCPUs for long; a canary needs one or two.
    public static let vcpus = ProbeLimit(flag: "--vcpus", key: "vcpus", lower: 1, upper: 64, lowerIncluded: true, integer: true, unit: "")
    public static let runs = ProbeLimit(flag: "--runs", key: "runs", lower: 1, upper: 20, lowerIncluded: true, integer: true, unit: "")
    public static let parallel = ProbeLimit(flag: "--parallel", key: "parallel", lower: 1, upper: 32, lowerIncluded: true, integer: true, unit: "")
}
