import CanaryModel

/// The checks pool-check runs, by their stable names (JSON `check`, docs/pool-check.md).
public enum PoolCheck: String, Codable, Sendable, CaseIterable {
    case haDisabled = "ha-disabled"
    case haTimeoutDefault = "ha-timeout-default"
    case haTimeoutShort = "ha-timeout-short"
    case haSmallPool = "ha-small-pool"
    case duplicateHostUUID = "duplicate-host-uuid"
    case duplicateHostIdentity = "duplicate-host-identity"
    case vmHAWithOrchestrator = "vm-ha-with-orchestrator"
    case hostDisabled = "host-disabled"
}

/// How bad a finding is; the worst one is the Nagios status (docs/pool-check.md says why each
/// check has the severity it has).
public enum PoolSeverity: String, Codable, Sendable, Comparable {
    case warning, critical

    public static func < (a: PoolSeverity, b: PoolSeverity) -> Bool { a == .warning && b == .critical }

    public var exitStatus: ExitStatus { self == .critical ? .critical : .warning }
}

/// One thing wrong with the pool: which check, about what, why it matters and what to run.
public struct PoolFinding: Codable, Sendable, Equatable {
    public var check: PoolCheck
    public var severity: PoolSeverity
    /// The pool, host(s) or VM(s) it is about, as `name (uuid)`.
    public var subjects: [String]
    public var message: String
    public var fix: String
}

/// Who else restarts VMs in this pool. An orchestrator that restarts VMs itself (CloudStack,
/// OpenStack nova) must not share that job with xapi's HA: CloudStack's upgrade notes say "The
/// XenServer HA feature must be enabled only for the pool master, not for virtual-machines"
/// (apache/cloudstack-documentation, source/upgrading/upgrade/_xenserver_upg.rst).
public enum Orchestrator: Sendable, Equatable {
    /// Look for an orchestrator's marks in the VMs' other-config (`OrchestratorMark`).
    case auto
    /// The operator says nothing else restarts VMs here.
    case none
    /// The operator names it (`--orchestrator NAME`).
    case named(String)
}

/// The marks orchestrators leave on the VMs they create, in the VM's other-config.
public struct OrchestratorMark: Sendable {
    public var orchestrator: String
    public var otherConfigKey: String
    public var source: String

    /// - CloudStack: `vmr.otherConfig.put("vm_uuid", vmSpec.getUuid())` in
    ///   apache/cloudstack plugins/hypervisors/xenserver/src/main/java/com/cloud/hypervisor/xenserver/resource/CitrixResourceBase.java
    ///   (createVmFromTemplate).
    /// - OpenStack nova's XenAPI driver: `'other_config': {'nova_uuid': str(instance['uuid'])}` in
    ///   openstack/nova nova/virt/xenapi/vm_utils.py (create_vm).
    public static let known: [OrchestratorMark] = [
        OrchestratorMark(orchestrator: "CloudStack", otherConfigKey: "vm_uuid", source: "CloudStack CitrixResourceBase.java"),
        OrchestratorMark(orchestrator: "OpenStack nova", otherConfigKey: "nova_uuid", source: "nova virt/xenapi/vm_utils.py"),
    ]
}

/// The operator's choices for one run.
public struct PoolCheckSettings: Sendable, Equatable {
    public var orchestrator: Orchestrator
    /// An HA timeout set below this many seconds is flagged (`ha-timeout-short`). 120 s is the
    /// low end of what CloudStack's upgrade notes advise ("The default is 30 seconds so you may
    /// want to bump that towards 120-180 seconds").
    public var minimumHATimeout: Int

    public static let defaultMinimumHATimeout = 120

    public init(orchestrator: Orchestrator = .auto, minimumHATimeout: Int = PoolCheckSettings.defaultMinimumHATimeout) {
        self.orchestrator = orchestrator
        self.minimumHATimeout = minimumHATimeout
    }
}

/// The HA timeout xapi will use, and where it comes from. xapi's Timeouts.get_base_t
/// (xapi-project/xen-api ocaml/xapi/xapi_ha.ml) takes `ha-configuration`'s `timeout` (what
/// `xe pool-ha-enable ha-config:timeout=S` passed), else the pool's other-config
/// `default_ha_timeout` (`xe pool-param-set other-config:default_ha_timeout=S`, the XCP-ng docs'
/// way), else its built-in default, which xe does not show.
public enum HATimeout: Sendable, Equatable {
    case configured(seconds: Int, from: String)
    /// A key is there but its value is no number of seconds.
    case unreadable(value: String, from: String)
    case builtInDefault

    public init(_ pool: PoolInventory.Pool) {
        for (map, key, name) in [(pool.haConfiguration, "timeout", "ha-configuration timeout"), (pool.otherConfig, "default_ha_timeout", "other-config:default_ha_timeout")] {
            guard let value = map[key] else { continue }
            if let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds > 0 {
                self = .configured(seconds: seconds, from: name)
            } else {
                self = .unreadable(value: value, from: name)
            }
            return
        }
        self = .builtInDefault
    }
}

/// The rules, in the order a runbook would read them: is there HA at all, will it fence
/// needlessly, can it even work, and does something else fight it. Each rule returns its
/// findings, or a reason it did not apply.
public enum PoolRules {
    public enum Outcome: Sendable, Equatable {
        case findings([PoolFinding])
        case notApplicable(String)
    }

    public struct Result: Sendable, Equatable {
        public var check: PoolCheck
        public var outcome: Outcome
    }

    public static func evaluate(_ inventory: PoolInventory, _ settings: PoolCheckSettings) -> [Result] {
        PoolCheck.allCases.map { check in Result(check: check, outcome: rule(check, inventory, settings)) }
    }

    static func name(_ label: String, _ uuid: String) -> String {
        label.isEmpty ? uuid : "\(label) (\(uuid))"
    }

    static func rule(_ check: PoolCheck, _ inv: PoolInventory, _ settings: PoolCheckSettings) -> Outcome {
        let pool = inv.pool
        let poolName = name(pool.nameLabel, pool.uuid)
        let hostCount = inv.hosts.count
        let enableHA = "xe pool-ha-enable heartbeat-sr-uuids=SHARED-SR-UUID ha-config:timeout=180"
        switch check {
        case .haDisabled:
            // XenServer's docs: "When the pool master fails, master re-election takes place only if
            // high availability is enabled" (docs.citrix.com, xenserver hosts-pools); since
            // CloudStack 4.4 nothing else elects one (_xenserver_upg.rst: "CloudStack is not
            // responsible to promote a new pool master").
            if pool.haEnabled { return .notApplicable("HA is enabled") }
            if hostCount < 2 { return .notApplicable("a pool of \(hostCount) host has no other host to fail over to") }
            return .findings([PoolFinding(
                check: check, severity: .critical, subjects: [poolName],
                message: "HA is disabled on a pool of \(hostCount) hosts: if the master fails, no host takes over and the pool cannot be managed until someone runs xe pool-emergency-transition-to-master",
                fix: "enable HA with a shared heartbeat SR: \(enableHA)")])
        case .haTimeoutDefault, .haTimeoutShort:
            guard pool.haEnabled else { return .notApplicable("HA is disabled") }
            let timeout = HATimeout(pool)
            switch (check, timeout) {
            case (.haTimeoutDefault, .builtInDefault):
                // xapi_ha.ml: "xHA built-in default is 30s. We've bumped ours to 40s ... then
                // again to 60s" (ha_default_timeout_base, xapi_globs.ml, settable in xapi.conf
                // where xe cannot see it); CloudStack's notes: "The default is 30 seconds".
                return .findings([PoolFinding(
                    check: .haTimeoutDefault, severity: .warning, subjects: [poolName],
                    message: "HA is enabled with no timeout set (neither ha-configuration timeout nor other-config:default_ha_timeout): the built-in default applies, 30 s in older XenServer and in CloudStack's notes, 60 s in current xapi; a storage or network failover slower than that makes every host that lost its heartbeat fence itself, which can reboot the whole pool",
                    fix: "set a timeout longer than your slowest storage or network failover (CloudStack advises 120-180 s) and re-enable HA so the hosts take it: xe pool-ha-disable; \(enableHA)")])
            case (.haTimeoutDefault, _):
                return .notApplicable("a timeout is set")
            case (.haTimeoutShort, .configured(let seconds, let from)) where seconds < settings.minimumHATimeout:
                return .findings([PoolFinding(
                    check: .haTimeoutShort, severity: .warning, subjects: [poolName],
                    message: "HA timeout is \(seconds) s (\(from))\(seconds == 30 ? ", the xHA default value" : ""), below \(settings.minimumHATimeout) s: a storage or network failover slower than that makes hosts fence themselves",
                    fix: "raise it (CloudStack advises 120-180 s): xe pool-ha-disable; \(enableHA)")])
            case (.haTimeoutShort, .unreadable(let value, let from)):
                return .findings([PoolFinding(
                    check: .haTimeoutShort, severity: .warning, subjects: [poolName],
                    message: "HA timeout \(from) is '\(value)', not a number of seconds: xapi cannot use it (xapi_ha.ml reads it with int_of_string)",
                    fix: "set it to whole seconds: xe pool-ha-disable; \(enableHA)")])
            case (.haTimeoutShort, .builtInDefault):
                return .notApplicable("no timeout is set; see ha-timeout-default")
            default:
                return .findings([])
            }
        case .haSmallPool:
            // XenServer's docs: "Citrix recommends that you enable HA only in pools that contain
            // at least 3 XenServer hosts" (CTX129721); XCP-ng's: "With only 2 hosts, they risk
            // getting fenced if the connection between them is lost" (xcp-ng-org docs/management/ha.md).
            guard pool.haEnabled else { return .notApplicable("HA is disabled") }
            if hostCount >= 3 { return .findings([]) }
            return .findings([PoolFinding(
                check: check, severity: .warning, subjects: [poolName],
                message: "HA is enabled on a pool of \(hostCount) host\(hostCount == 1 ? "" : "s"): when the hosts lose sight of each other, no side holds a majority and a host fences itself, again after each reboot while the link stays down",
                fix: "add a third host to the pool, or disable HA (xe pool-ha-disable) and plan master failover by hand")])
        case .duplicateHostUUID:
            let groups = Dictionary(grouping: inv.hosts, by: { $0.uuid.lowercased() }).values.filter { $0.count > 1 }
            return .findings(groups.sorted { $0[0].line < $1[0].line }.map { hosts in
                PoolFinding(
                    check: check, severity: .critical, subjects: hosts.map { name($0.nameLabel, $0.uuid) },
                    message: "\(hosts.count) host records share the UUID \(hosts[0].uuid) (\(hosts.map { $0.hostname ?? $0.nameLabel }.joined(separator: ", "))): hosts cloned from one installation; xapi and HA tell hosts apart by this UUID (the liveset, fencing, the pool database), so one of them is invisible or mistaken for the other",
                    fix: "reinstall the cloned hosts (or give each a new INSTALLATION_UUID in /etc/xensource-inventory with xapi stopped, as the vendor documents) before pooling them")
            })
        case .duplicateHostIdentity:
            var findings: [PoolFinding] = []
            for (field, key) in [("hostname", \PoolInventory.Host.hostname), ("address", \PoolInventory.Host.address)] {
                let groups = Dictionary(grouping: inv.hosts.filter { $0[keyPath: key] != nil }, by: { $0[keyPath: key]!.lowercased() })
                    .values.filter { Set($0.map { $0.uuid.lowercased() }).count > 1 }
                for hosts in groups.sorted(by: { $0[0].line < $1[0].line }) {
                    findings.append(PoolFinding(
                        check: check, severity: .warning, subjects: hosts.map { name($0.nameLabel, $0.uuid) },
                        message: "\(hosts.count) host records with \(Set(hosts.map { $0.uuid.lowercased() }).count) different UUIDs share the \(field) \(hosts[0][keyPath: key]!): a cloned host that kept its identity, or two records of one host",
                        fix: "give each host its own \(field) (xe host-set-hostname-live, xe pif-reconfigure-ip) or remove the stale record (xe host-forget)"))
                }
            }
            return .findings(findings)
        case .vmHAWithOrchestrator:
            let guests = inv.vms.filter { !$0.isControlDomain }
            // Protected: `restart` or `best-effort` (XenServer 6.0 and later). On 5.x the
            // priority was a number and `ha-always-run` said whether HA restarted the VM at all
            // (XenCenter's VM.SetHaRestartPriority, xenserver/xenadmin, keeps the two in step).
            let protected = guests.filter { vm in
                let priority = vm.haRestartPriority.trimmingCharacters(in: .whitespaces)
                if vm.haAlwaysRun == true { return true }
                if priority.isEmpty { return false }
                return !(vm.haAlwaysRun == false && Int(priority) != nil)
            }
            let who: String
            switch settings.orchestrator {
            case .none:
                return .notApplicable("--orchestrator none: nothing else restarts VMs")
            case .named(let orchestrator):
                who = "\(orchestrator) (--orchestrator)"
            case .auto:
                var seen: [String] = []
                for mark in OrchestratorMark.known {
                    let marked = guests.filter { $0.otherConfig?[mark.otherConfigKey] != nil }
                    if !marked.isEmpty { seen.append("\(mark.orchestrator) (\(marked.count) VM\(marked.count == 1 ? "" : "s") carry other-config:\(mark.otherConfigKey))") }
                }
                if seen.isEmpty {
                    return .notApplicable("no orchestrator's marks on the VMs; pass --orchestrator NAME if one restarts them")
                }
                who = seen.joined(separator: ", ")
            }
            if protected.isEmpty { return .findings([]) }
            return .findings([PoolFinding(
                check: check, severity: .warning, subjects: protected.map { name($0.nameLabel, $0.uuid) },
                message: "\(protected.count) VM\(protected.count == 1 ? " has" : "s have") an HA restart priority (\(Set(protected.map { $0.haRestartPriority.isEmpty ? "ha-always-run" : $0.haRestartPriority }).sorted().joined(separator: ", "))) while \(who) restarts VMs too: after a host failure both restart them, and each acts on a state the other just changed",
                fix: "leave VM restarts to the orchestrator: xe vm-param-set uuid=VM-UUID ha-restart-priority= (for each VM listed); keep pool HA for master failover")])
        case .hostDisabled:
            let disabled = inv.hosts.filter { !$0.enabled }
            if disabled.isEmpty { return .findings([]) }
            return .findings([PoolFinding(
                check: check, severity: .warning, subjects: disabled.map { name($0.nameLabel, $0.uuid) },
                message: "\(disabled.count) of \(hostCount) hosts \(disabled.count == 1 ? "is" : "are") disabled (enabled: false): no VM starts there, HA cannot restart VMs there, and the pool has that much less failover capacity; a host left in maintenance mode stays so",
                fix: "when its maintenance is over: xe host-enable uuid=HOST-UUID (for each host listed)")])
        }
    }
}
