import Foundation

/// The xe commands pool-check reads, and the file each is saved in for `--from DIR`.
///
/// `xe vm-list` lists no templates and no snapshots on its own (xapi's cli_operations.ml gives
/// vm-list the filter `is-a-template=false`, and a snapshot is a template); the control domains
/// are listed and skipped here by `is-control-domain`. The VM listing asks for the fields the
/// rules read instead of `params=all`: a pool of 500 VMs prints about 90 lines per VM with
/// params=all; a saved `params=all` listing is read the same way.
public enum XeCommand: String, CaseIterable, Sendable {
    case poolList = "pool-list.txt"
    case hostList = "host-list.txt"
    case vmList = "vm-list.txt"

    /// The arguments after `xe`.
    public var arguments: [String] {
        switch self {
        case .poolList: ["pool-list", "params=all"]
        case .hostList: ["host-list", "params=all"]
        case .vmList: ["vm-list", "params=uuid,name-label,power-state,is-control-domain,ha-restart-priority,ha-always-run,other-config"]
        }
    }

    /// The command as an operator types it on the pool master.
    public var commandLine: String { (["xe"] + arguments).joined(separator: " ") }

    /// What `--from DIR` reads: the file name.
    public var fileName: String { rawValue }
}

/// The three outputs, as text, with where each came from (a file path, or `xe ... via ACCESS`).
public struct XeOutputs: Sendable {
    public var texts: [XeCommand: (text: String, source: String)]

    public init(texts: [XeCommand: (text: String, source: String)]) {
        self.texts = texts
    }

    /// The saved outputs in `directory` (`pool-list.txt`, `host-list.txt`, `vm-list.txt`).
    public static func read(from directory: String) throws(XeOutputError) -> XeOutputs {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw .unreadable(source: directory, why: "no such directory (--from takes the directory holding \(XeCommand.allCases.map(\.fileName).joined(separator: ", ")))")
        }
        guard isDirectory.boolValue else {
            throw .unreadable(source: directory, why: "not a directory (--from takes the directory holding \(XeCommand.allCases.map(\.fileName).joined(separator: ", ")))")
        }
        var texts: [XeCommand: (text: String, source: String)] = [:]
        for command in XeCommand.allCases {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(command.fileName).path
            guard FileManager.default.fileExists(atPath: path) else { throw .missing(source: path, command: command.commandLine) }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw .unreadable(source: path, why: (error as NSError).localizedDescription)
            }
            // Bounded: a pool's listings are kilobytes to a few megabytes; anything far larger is
            // not one of them and would only be held in memory.
            if data.count > 64 << 20 { throw .unreadable(source: path, why: "\(data.count) bytes is larger than any xe listing (limit 64 MiB)") }
            guard let text = String(data: data, encoding: .utf8) else { throw .notText(source: path, command: command.commandLine) }
            texts[command] = (text, path)
        }
        return XeOutputs(texts: texts)
    }
}

/// A pool as xe describes it: the pool record, its hosts and its VMs, with the fields the rules
/// read. Field names are xe's (records.ml: pool_record, host_record, vm_record).
public struct PoolInventory: Sendable, Equatable {
    public struct Pool: Sendable, Equatable {
        public var uuid: String
        public var nameLabel: String
        public var master: String?
        public var haEnabled: Bool
        /// `ha-configuration`: what `xe pool-ha-enable ha-config:KEY=VALUE` passed; xapi keeps it.
        public var haConfiguration: [String: String]
        public var otherConfig: [String: String]
    }

    public struct Host: Sendable, Equatable {
        public var uuid: String
        public var nameLabel: String
        public var hostname: String?
        public var address: String?
        public var enabled: Bool
        public var line: Int
    }

    public struct VM: Sendable, Equatable {
        public var uuid: String
        public var nameLabel: String
        public var powerState: String?
        public var isControlDomain: Bool
        /// `restart`, `best-effort` or empty (XenServer 6.0 and later); `0`...`3` on 5.x.
        public var haRestartPriority: String
        /// The deprecated `ha-always-run`, on the versions that still print it.
        public var haAlwaysRun: Bool?
        public var otherConfig: [String: String]?
    }

    public var pool: Pool
    public var hosts: [Host]
    public var vms: [VM]

    public init(pool: Pool, hosts: [Host], vms: [VM]) {
        self.pool = pool
        self.hosts = hosts
        self.vms = vms
    }

    /// Reads the three outputs; every problem is an `XeOutputError` naming the file, line and field.
    public init(_ outputs: XeOutputs) throws(XeOutputError) {
        func records(_ command: XeCommand) throws(XeOutputError) -> (records: [XeRecord], source: String) {
            guard let (text, source) = outputs.texts[command] else { throw .missing(source: command.fileName, command: command.commandLine) }
            let records = try XeRecordParser.parse(text, source: source, command: command.commandLine)
            if records.isEmpty { throw .noRecords(source: source, command: command.commandLine) }
            return (records, source)
        }
        let (poolRecords, poolSource) = try records(.poolList)
        guard poolRecords.count == 1 else { throw .recordCount(source: poolSource, found: poolRecords.count, command: XeCommand.poolList.commandLine) }
        pool = try Self.pool(poolRecords[0], source: poolSource)
        let (hostRecords, hostSource) = try records(.hostList)
        var hosts: [Host] = []
        for record in hostRecords { hosts.append(try Self.host(record, source: hostSource)) }
        self.hosts = hosts
        let (vmRecords, vmSource) = try records(.vmList)
        var vms: [VM] = []
        for record in vmRecords { vms.append(try Self.vm(record, source: vmSource)) }
        self.vms = vms
    }

    private static func required(_ record: XeRecord, _ field: String, _ source: String, _ command: XeCommand) throws(XeOutputError) -> String {
        guard let value = record[field] else { throw .missingField(source: source, line: record.line, field: field, command: command.commandLine) }
        return value
    }

    private static func bool(_ record: XeRecord, _ field: String, _ source: String, _ command: XeCommand) throws(XeOutputError) -> Bool {
        let value = try required(record, field, source, command)
        return try boolValue(value, record, field, source)
    }

    private static func boolValue(_ value: String, _ record: XeRecord, _ field: String, _ source: String) throws(XeOutputError) -> Bool {
        switch value {
        case "true": return true
        case "false": return false
        default: throw .badValue(source: source, line: record.line, field: field, value: value, expected: "true or false")
        }
    }

    private static func pool(_ record: XeRecord, source: String) throws(XeOutputError) -> Pool {
        let command = XeCommand.poolList
        let uuid = try required(record, "uuid", source, command)
        let haEnabled = try bool(record, "ha-enabled", source, command)
        _ = try required(record, "ha-configuration", source, command)
        _ = try required(record, "other-config", source, command)
        return Pool(uuid: uuid, nameLabel: record["name-label"] ?? "", master: record["master"], haEnabled: haEnabled,
                    haConfiguration: record.map("ha-configuration") ?? [:], otherConfig: record.map("other-config") ?? [:])
    }

    private static func host(_ record: XeRecord, source: String) throws(XeOutputError) -> Host {
        let command = XeCommand.hostList
        return Host(uuid: try required(record, "uuid", source, command), nameLabel: try required(record, "name-label", source, command),
                    hostname: record["hostname"].flatMap { $0.isEmpty ? nil : $0 }, address: record["address"].flatMap { $0.isEmpty ? nil : $0 },
                    enabled: try bool(record, "enabled", source, command), line: record.line)
    }

    private static func vm(_ record: XeRecord, source: String) throws(XeOutputError) -> VM {
        let command = XeCommand.vmList
        var alwaysRun: Bool?
        if let value = record["ha-always-run"] { alwaysRun = try boolValue(value, record, "ha-always-run", source) }
        var controlDomain = false
        if let value = record["is-control-domain"] { controlDomain = try boolValue(value, record, "is-control-domain", source) }
        return VM(uuid: try required(record, "uuid", source, command), nameLabel: record["name-label"] ?? "", powerState: record["power-state"],
                  isControlDomain: controlDomain, haRestartPriority: try required(record, "ha-restart-priority", source, command),
                  haAlwaysRun: alwaysRun, otherConfig: record.map("other-config"))
    }
}
