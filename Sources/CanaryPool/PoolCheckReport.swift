import CanaryModel

/// `bootcanary pool-check --json`: the contract (docs/json.md, "Pool check"). Text output is
/// rendered from it and may change; these fields may not.
public struct PoolCheckReport: Codable, Sendable, Equatable {
    public var schema = "bootcanary.pool-check/1"
    /// `ok`, `warning` or `critical`; the exit code is the Nagios one for it (0, 1, 2).
    public var status: String
    public var pool: PoolSummary
    public var findings: [PoolFinding]
    /// Every check, flagged or not, so a reader sees what was looked at.
    public var checks: [CheckResult]
    /// Where the xe output came from: the `--from` directory's files, or the commands run and how.
    public var source: [String]

    public struct PoolSummary: Codable, Sendable, Equatable {
        public var uuid: String
        public var name: String
        public var master: String?
        public var hosts: Int
        public var vms: Int
        public var haEnabled: Bool
        /// Seconds, when a timeout is set; absent when the built-in default applies.
        public var haTimeout: Int?
        /// `ha-configuration timeout`, `other-config:default_ha_timeout` or `default`.
        public var haTimeoutSource: String
    }

    public struct CheckResult: Codable, Sendable, Equatable {
        public var check: PoolCheck
        /// `flagged`, `passed` or `not_applicable`.
        public var result: String
        /// Why a check did not apply.
        public var reason: String?
    }

    public var exitStatus: ExitStatus {
        findings.map(\.severity).max()?.exitStatus ?? .healthy
    }

    public init(inventory: PoolInventory, results: [PoolRules.Result], source: [String]) {
        var findings: [PoolFinding] = []
        var checks: [CheckResult] = []
        for result in results {
            switch result.outcome {
            case .findings(let found):
                findings += found
                checks.append(CheckResult(check: result.check, result: found.isEmpty ? "passed" : "flagged"))
            case .notApplicable(let why):
                checks.append(CheckResult(check: result.check, result: "not_applicable", reason: why))
            }
        }
        // Critical first, then the rules' own order.
        let ordered = findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
        self.findings = ordered
        self.checks = checks
        self.source = source
        let timeout = HATimeout(inventory.pool)
        var seconds: Int?
        var from = "default"
        switch timeout {
        case .configured(let s, let f): seconds = s; from = f
        case .unreadable(_, let f): from = f
        case .builtInDefault: break
        }
        let guests = inventory.vms.filter { !$0.isControlDomain }.count
        pool = PoolSummary(uuid: inventory.pool.uuid, name: inventory.pool.nameLabel, master: inventory.pool.master,
                           hosts: inventory.hosts.count, vms: guests, haEnabled: inventory.pool.haEnabled,
                           haTimeout: seconds, haTimeoutSource: from)
        status = ordered.map(\.severity).max()?.rawValue ?? "ok"
    }

    /// A check of `inventory` with `settings`.
    public static func check(_ inventory: PoolInventory, _ settings: PoolCheckSettings, source: [String]) -> PoolCheckReport {
        PoolCheckReport(inventory: inventory, results: PoolRules.evaluate(inventory, settings), source: source)
    }
}

/// The text a person or Nagios reads: a status line first (Nagios shows the first line), then one
/// line per finding with its fix, then what passed. Every value from xe (names, UUIDs) is made
/// one visible line: a VM's name-label is whatever its owner typed.
public enum PoolCheckText {
    public static func render(_ report: PoolCheckReport) -> String {
        let p = report.pool
        let counts = [PoolSeverity.critical, .warning].compactMap { severity -> String? in
            let n = report.findings.filter { $0.severity == severity }.count
            return n == 0 ? nil : "\(n) \(severity.rawValue)\(n == 1 || severity == .critical ? "" : "s")"
        }
        let timeout = p.haTimeout.map { "\($0) s (\(p.haTimeoutSource))" } ?? "built-in default"
        var out = "POOL \(report.status.uppercased()) - "
            + (counts.isEmpty ? "no findings" : counts.joined(separator: ", "))
            + ": pool \(safe(p.name.isEmpty ? p.uuid : p.name)), \(p.hosts) host\(p.hosts == 1 ? "" : "s"), \(p.vms) VM\(p.vms == 1 ? "" : "s"), HA "
            + (p.haEnabled ? "enabled, timeout \(timeout)" : "disabled") + "\n"
        for f in report.findings {
            out += "\(f.severity.rawValue.uppercased()) \(f.check.rawValue): \(safe(f.message)) [\(f.subjects.prefix(5).map(safe).joined(separator: ", "))\(f.subjects.count > 5 ? ", and \(f.subjects.count - 5) more" : "")]. Fix: \(safe(f.fix))\n"
        }
        let passed = report.checks.filter { $0.result == "passed" }.map(\.check.rawValue)
        if !passed.isEmpty { out += "passed: \(passed.joined(separator: ", "))\n" }
        for c in report.checks where c.result == "not_applicable" {
            out += "not applicable: \(c.check.rawValue) (\(safe(c.reason ?? "")))\n"
        }
        for s in report.source { out += "read: \(safe(s))\n" }
        return out
    }

    static func safe(_ text: String) -> String { UntrustedText.visible(text, limit: 400) }
}
