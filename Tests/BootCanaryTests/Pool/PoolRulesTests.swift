import Foundation
import Testing
@testable import CanaryPool

/// The rules on hand-made inventories, for what the fixture corpus does not vary.
@Suite struct PoolRulesTests {
    static func inventory(haEnabled: Bool = true, haConfiguration: [String: String] = ["timeout": "180"], otherConfig: [String: String] = [:],
                          hosts: Int = 3, vms: [PoolInventory.VM] = []) -> PoolInventory {
        PoolInventory(
            pool: .init(uuid: "p-1", nameLabel: "pool", master: "h-0", haEnabled: haEnabled, haConfiguration: haConfiguration, otherConfig: otherConfig),
            hosts: (0..<hosts).map { .init(uuid: "h-\($0)", nameLabel: "xen\($0)", hostname: "xen\($0)", address: "10.0.0.\($0)", enabled: true, line: 1 + $0 * 42) },
            vms: vms)
    }

    static func vm(_ name: String, priority: String = "", alwaysRun: Bool? = nil, otherConfig: [String: String]? = [:]) -> PoolInventory.VM {
        .init(uuid: "vm-\(name)", nameLabel: name, powerState: "running", isControlDomain: false, haRestartPriority: priority, haAlwaysRun: alwaysRun, otherConfig: otherConfig)
    }

    func flags(_ inventory: PoolInventory, _ settings: PoolCheckSettings = .init()) -> [String] {
        PoolCheckReport.check(inventory, settings, source: []).findings.map(\.check.rawValue)
    }

    /// xapi_ha.ml (Timeouts.get_base_t): ha-configuration's timeout wins over other-config's.
    @Test func haConfigurationTimeoutWinsOverOtherConfig() {
        let pool = Self.inventory(haConfiguration: ["timeout": "30"], otherConfig: ["default_ha_timeout": "180"]).pool
        #expect(HATimeout(pool) == .configured(seconds: 30, from: "ha-configuration timeout"))
        #expect(flags(Self.inventory(haConfiguration: ["timeout": "30"], otherConfig: ["default_ha_timeout": "180"])) == ["ha-timeout-short"])
        #expect(HATimeout(Self.inventory(haConfiguration: [:], otherConfig: ["default_ha_timeout": "180"]).pool) == .configured(seconds: 180, from: "other-config:default_ha_timeout"))
        #expect(HATimeout(Self.inventory(haConfiguration: [:]).pool) == .builtInDefault)
    }

    @Test func aTimeoutThatIsNoNumberIsFlagged() {
        let report = PoolCheckReport.check(Self.inventory(haConfiguration: ["timeout": "3min"]), .init(), source: [])
        #expect(report.findings.map(\.check) == [.haTimeoutShort])
        #expect(report.findings.first?.message.contains("'3min', not a number of seconds") == true)
    }

    @Test func theMinimumTimeoutIsTheOperators() {
        let pool = Self.inventory(haConfiguration: ["timeout": "150"])
        #expect(flags(pool) == [])
        #expect(flags(pool, .init(minimumHATimeout: 180)) == ["ha-timeout-short"])
        #expect(flags(Self.inventory(haConfiguration: ["timeout": "120"])) == [], "120 s is the minimum itself, not below it")
    }

    @Test func haDisabledIsCriticalFromTwoHosts() {
        #expect(flags(Self.inventory(haEnabled: false, hosts: 1)) == [])
        let two = PoolCheckReport.check(Self.inventory(haEnabled: false, hosts: 2), .init(), source: [])
        #expect(two.findings.map(\.check) == [.haDisabled])
        #expect(two.exitStatus == .critical)
        // A disabled HA does not also count as a small HA pool or a default timeout.
        #expect(two.checks.first { $0.check == .haSmallPool }?.result == "not_applicable")
    }

    @Test func orchestratorMarksAndChoices() {
        let cloudstack = Self.inventory(vms: [Self.vm("i-2-10-VM", priority: "restart", otherConfig: ["vm_uuid": "x"])])
        #expect(flags(cloudstack) == ["vm-ha-with-orchestrator"])
        #expect(flags(cloudstack, .init(orchestrator: .none)) == [])
        let nova = Self.inventory(vms: [Self.vm("instance-1", priority: "best-effort", otherConfig: ["nova_uuid": "y"])])
        let finding = PoolCheckReport.check(nova, .init(), source: []).findings.first
        #expect(finding?.message.contains("OpenStack nova (1 VM carry other-config:nova_uuid)") == true)
        let unmarked = Self.inventory(vms: [Self.vm("web", priority: "restart")])
        #expect(flags(unmarked) == [])
        #expect(flags(unmarked, .init(orchestrator: .named("in-house"))) == ["vm-ha-with-orchestrator"])
        // A listing without other-config cannot show marks: nothing is claimed.
        #expect(flags(Self.inventory(vms: [Self.vm("web", priority: "restart", otherConfig: nil)])) == [])
    }

    /// XenServer 5.x: a numeric priority protects a VM only with ha-always-run true.
    @Test func legacyPriorities() {
        let settings = PoolCheckSettings(orchestrator: .named("CloudStack"))
        #expect(flags(Self.inventory(vms: [Self.vm("a", priority: "1", alwaysRun: false)]), settings) == [])
        #expect(flags(Self.inventory(vms: [Self.vm("a", priority: "1", alwaysRun: true)]), settings) == ["vm-ha-with-orchestrator"])
        #expect(flags(Self.inventory(vms: [Self.vm("a", priority: "", alwaysRun: true)]), settings) == ["vm-ha-with-orchestrator"])
        #expect(flags(Self.inventory(vms: [Self.vm("a", priority: "restart", alwaysRun: false)]), settings) == ["vm-ha-with-orchestrator"])
    }

    @Test func criticalFindingsComeFirst() {
        var inventory = Self.inventory(haEnabled: true, haConfiguration: [:], hosts: 2)
        inventory.hosts[1].uuid = inventory.hosts[0].uuid
        let report = PoolCheckReport.check(inventory, .init(), source: [])
        #expect(report.findings.map(\.check) == [.duplicateHostUUID, .haTimeoutDefault, .haSmallPool])
        #expect(report.status == "critical")
    }

    /// A VM's name is whatever its owner typed: it reaches the terminal as one visible line.
    @Test func textIsOneVisibleLinePerFinding() {
        let inventory = Self.inventory(vms: [Self.vm("evil\u{1B}[2J\nWARNING forged", priority: "restart", otherConfig: ["vm_uuid": "z"])])
        let text = PoolCheckText.render(PoolCheckReport.check(inventory, .init(), source: []))
        #expect(!text.contains("\u{1B}"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("WARNING") }.count == 1)
        #expect(text.hasPrefix("POOL WARNING - 1 warning: pool pool, 3 hosts, 1 VM, HA enabled, timeout 180 s (ha-configuration timeout)\n"))
    }
}
