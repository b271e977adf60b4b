import CanaryModel
import Foundation

/// The fleet canary's combined result (`fleet.json`, schema `bootcanary.fleet/1`), which
/// `Fleet` (Session) produces and `FleetReportText` renders. Session names it `Fleet.Report`.
public struct FleetReport: Codable, Sendable, Equatable {
    /// What one host's canary came to (`Fleet.HostResult`).
    public struct HostResult: Codable, Sendable, Equatable {
        public var uri: String
        public var status: Int32
        public var hostname: String?
        public var hostUUID: String?
        public var verdict: Verdict?
        public var action: Action?
        public var summary: String
        /// The host's run folder, relative to the fleet folder.
        public var run: String?
        public var seconds: Double

        public init(uri: String, status: Int32, hostname: String?, hostUUID: String?, verdict: Verdict?,
                    action: Action?, summary: String, run: String?, seconds: Double) {
            self.uri = uri
            self.status = status
            self.hostname = hostname
            self.hostUUID = hostUUID
            self.verdict = verdict
            self.action = action
            self.summary = summary
            self.run = run
            self.seconds = seconds
        }
    }

    public var schema = "bootcanary.fleet/1"
    public var started: Date
    public var ended: Date
    public var hosts: [HostResult]
    /// Host UUIDs reported by more than one host: cloned hypervisor installs, which
    /// management stacks such as CloudStack refuse after the first.
    public var duplicateHostUUIDs: [String: [String]]
    public var status: Int32

    public init(started: Date, ended: Date, hosts: [HostResult], duplicateHostUUIDs: [String: [String]], status: Int32) {
        self.started = started
        self.ended = ended
        self.hosts = hosts
        self.duplicateHostUUIDs = duplicateHostUUIDs
        self.status = status
    }

    public var exitStatus: ExitStatus { ExitStatus(rawValue: status) ?? .unknown }
}
