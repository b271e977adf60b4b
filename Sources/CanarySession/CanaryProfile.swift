import CanaryClassify
import CanaryModel
import CanaryProbe
import Foundation

/// A canary profile: the probes a host should pass after maintenance, and the limits they
/// run with. TOML, e.g. /etc/bootcanary/canary.toml:
///
/// ```toml
/// connect = "xen:///system"            # optional; -c overrides
///
/// [limits]
/// timeout = 300                        # seconds per boot
/// stall_timeout = 150
/// frozen_after = 15
/// grace = 10
/// expect = "login:"                    # success marker regex (default: a login prompt)
/// runs = 1
/// parallel = 2
///
/// [guest]
/// memory = 256                         # MiB
/// vcpus = 1
/// domain_type = "xen"                  # default: what the host offers
/// guest_type = "pv"
///
/// [kernel]                             # a known-good kernel (optionally booting a disk)
/// kernel = "/var/lib/xen/boot/vmlinuz"
/// initrd = "/var/lib/xen/boot/initrd.img"
/// cmdline = "root=LABEL=canaryroot ro"
/// image = "/var/lib/xen/images/canary.img"   # also booted through its own bootloader
///
/// [installer]
/// url = "http://MIRROR/debian/dists/bookworm/main/installer-amd64/"
///
/// [image]
/// master = "/var/lib/xen/images/master.img"
/// ```
public struct CanaryProfile: Sendable, Equatable {
    public var connect: String?
    public var inputs: ProbeInputs
    public var timeout: Double = BootSettings.defaultTimeout
    public var stallTimeout: Double = StallPolicy.defaultStallTimeout
    public var frozenAfter: Double = StallPolicy.defaultFrozenAfter
    public var grace: Double = 10
    public var expect: String?
    public var runs = 1
    public var parallel: Int?

    public init(inputs: ProbeInputs, connect: String? = nil) {
        self.inputs = inputs
        self.connect = connect
    }

    public var settings: BootSettings {
        BootSettings(timeout: timeout, stall: StallPolicy(stallTimeout: stallTimeout, frozenAfter: frozenAfter),
                     classifier: ClassifierOptions(success: expect.map { .regex($0) } ?? .loginPrompt, graceSeconds: grace))
    }

    /// A profile problem, as `FILE:LINE: what is wrong`.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    /// Keys each table takes, with the type each wants.
    enum Want { case string, number, integer }
    static let schema: [String: [String: Want]] = [
        "": ["connect": .string],
        "limits": ["timeout": .number, "stall_timeout": .number, "frozen_after": .number, "grace": .number,
                   "expect": .string, "runs": .integer, "parallel": .integer],
        "guest": ["memory": .integer, "vcpus": .integer, "domain_type": .string, "guest_type": .string],
        "kernel": ["kernel": .string, "initrd": .string, "cmdline": .string, "image": .string],
        "installer": ["url": .string],
        "image": ["master": .string],
    ]

    /// The range of each numeric key: the one its CLI flag has.
    static let limits: [String: ProbeLimit] = Dictionary(uniqueKeysWithValues: [
        ProbeLimits.timeout, ProbeLimits.stallTimeout, ProbeLimits.frozenAfter, ProbeLimits.grace,
        ProbeLimits.runs, ProbeLimits.parallel, ProbeLimits.memory, ProbeLimits.vcpus,
    ].map { ($0.key, $0) })

    public static func load(_ path: String) throws -> CanaryProfile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problem(file: path, line: nil, message: "cannot read the profile: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> CanaryProfile {
        let doc: TOMLDocument
        do { doc = try TOMLDocument(parsing: text) } catch let e as TOMLDocument.SyntaxError {
            throw Problem(file: file, line: e.line, message: e.message)
        }
        var p = CanaryProfile(inputs: ProbeInputs())
        for table in doc.tables {
            guard let keys = schema[table.name] else {
                throw Problem(file: file, line: table.line, message: "unknown table [\(table.name)] (known: \(schema.keys.filter { !$0.isEmpty }.sorted().map { "[\($0)]" }.joined(separator: ", ")))")
            }
            for e in table.entries {
                guard let want = keys[e.key] else {
                    let place = table.name.isEmpty ? "at the top" : "in [\(table.name)]"
                    throw Problem(file: file, line: e.line, message: "unknown key \(e.key) \(place) (known: \(keys.keys.sorted().joined(separator: ", ")))")
                }
                func bad() -> Problem {
                    let wanted = want == .string ? "a string" : want == .integer ? "an integer" : "a number"
                    let range = Self.limits[e.key].map { " (\($0.rangeText), the range of \($0.flag))" } ?? ""
                    return Problem(file: file, line: e.line, message: "\(e.key) must be \(wanted), not \(e.value.typeName)\(range)")
                }
                var string: String?
                var number: Double?
                switch (want, e.value) {
                case (.string, .string(let s)): string = s
                case (.number, .integer(let v)): number = Double(v)
                case (.number, .float(let v)): number = v
                case (.integer, .integer(let v)): number = Double(v)
                // Too big for 64 bits: out of every range; said with the range, not as a type error.
                case (.number, .outOfRangeInteger), (.integer, .outOfRangeInteger): number = .infinity
                default: throw bad()
                }
                if let number, let limit = Self.limits[e.key], let problem = limit.problem(number) {
                    let written = switch e.value {
                    case .outOfRangeInteger(let t): t
                    case .integer(let v): String(v)
                    default: ProbeLimit.text(number)
                    }
                    throw Problem(file: file, line: e.line,
                                  message: "\(e.key) = \(written): \(e.key) \(problem) (the range of \(limit.flag))")
                }
                switch (table.name, e.key) {
                case ("", "connect"): p.connect = string
                case ("limits", "timeout"): p.timeout = number!
                case ("limits", "stall_timeout"): p.stallTimeout = number!
                case ("limits", "frozen_after"): p.frozenAfter = number!
                case ("limits", "grace"): p.grace = number!
                case ("limits", "expect"):
                    if (try? NSRegularExpression(pattern: string!)) == nil {
                        throw Problem(file: file, line: e.line, message: "expect is not a valid regular expression")
                    }
                    p.expect = string
                case ("limits", "runs"): p.runs = Int(number!)
                case ("limits", "parallel"): p.parallel = Int(number!)
                case ("guest", "memory"): p.inputs.memoryMiB = Int(number!)
                case ("guest", "vcpus"): p.inputs.vcpus = Int(number!)
                case ("guest", "domain_type"):
                    guard ["xen", "kvm", "qemu"].contains(string!) else {
                        throw Problem(file: file, line: e.line, message: "domain_type must be xen, kvm or qemu")
                    }
                    p.inputs.domainType = string
                case ("guest", "guest_type"):
                    guard let t = DomainSpec.GuestType(rawValue: string!) else {
                        throw Problem(file: file, line: e.line, message: "guest_type must be pv, pvh or hvm")
                    }
                    p.inputs.guestType = t
                case ("kernel", "kernel"): p.inputs.kernel = string
                case ("kernel", "initrd"): p.inputs.initrd = string
                case ("kernel", "cmdline"): p.inputs.cmdline = string
                case ("kernel", "image"): p.inputs.image = string
                case ("installer", "url"): p.inputs.installer = string
                case ("image", "master"): p.inputs.master = string
                default: break
                }
            }
        }
        if let kernelTable = doc.table("kernel"), p.inputs.kernel == nil, p.inputs.image == nil {
            throw Problem(file: file, line: kernelTable.line, message: "[kernel] needs kernel = \"PATH\" (and initrd, cmdline), or image = \"DISK\"")
        }
        if p.frozenAfter > p.stallTimeout {
            throw Problem(file: file, line: doc.table("limits")?.line, message: "frozen_after must not exceed stall_timeout")
        }
        let i = p.inputs
        if i.kernel == nil && i.image == nil && i.installer == nil && i.master == nil {
            throw Problem(file: file, line: nil, message: "the profile names no probe: add [kernel], [installer] or [image]")
        }
        return p
    }
}
