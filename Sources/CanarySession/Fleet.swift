import CanaryDiagnose
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import CanaryReport
import Foundation
import Libvirt

/// `bootcanary canary --hosts FILE`: the canary on many hosts at once over libvirt's remote
/// transport, a few at a time, each within its own time limit; an unreachable host is
/// reported as unknown while the others complete.
public struct Fleet: Sendable {
    /// One host of the hosts file.
    public struct Host: Sendable, Equatable {
        public var uri: String
        public var line: Int
    }

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    /// Reads a hosts file: one libvirt URI per line (`xen+ssh://root@xen07/system`); `#`
    /// comments and blank lines ignored. A line that is not a URI is refused by line number.
    public static func readHosts(_ path: String) throws -> [Host] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problem(file: path, line: nil, message: "cannot read the hosts file: \(error.localizedDescription)")
        }
        var hosts: [Host] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard line.range(of: #"^[a-z][a-z0-9+.-]*://[^\s]*$"#, options: .regularExpression) != nil else {
                throw Problem(file: path, line: i + 1, message: "'\(line)' is not a libvirt URI (for example xen+ssh://root@xen07/system)")
            }
            if hosts.contains(where: { $0.uri == line }) {
                throw Problem(file: path, line: i + 1, message: "\(line) is listed twice")
            }
            hosts.append(Host(uri: line, line: i + 1))
        }
        guard !hosts.isEmpty else { throw Problem(file: path, line: nil, message: "the hosts file lists no host") }
        return hosts
    }

    /// What one host's canary came to (`FleetReport.HostResult`, in Report).
    public typealias HostResult = FleetReport.HostResult

    /// The combined result (`FleetReport`, in Report: `fleet.md` renders it).
    public typealias Report = FleetReport

    public var hosts: [Host]
    public var profile: CanaryProfile
    public var out: URL
    public var concurrency: Int
    public var hostTimeout: Double
    public var connectTimeout: Double = 60
    /// Each host learns from and uses its own history of healthy boots (`--no-history`: false).
    public var useHistory = true
    public var command: [String]
    /// Named in each host's record (`--known-issues`).
    public var knownIssues: [KnownIssue] = KnownIssueTable.shipped

    public init(hosts: [Host], profile: CanaryProfile, out: URL, concurrency: Int, hostTimeout: Double, command: [String]) {
        self.hosts = hosts
        self.profile = profile
        self.out = out
        self.concurrency = max(1, concurrency)
        self.hostTimeout = hostTimeout
        self.command = command
    }

    /// Runs every host; returns the combined report and each host's run record by the URI of
    /// the hosts file (hosts that could not be judged have none).
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async -> (report: Report, records: [String: RunRecord]) {
        let started = Date()
        var results: [(Int, HostResult, RunRecord?)] = []
        await withTaskGroup(of: (Int, HostResult, RunRecord?).self) { group in
            var next = 0
            func startNext() {
                guard next < hosts.count else { return }
                let index = next
                let host = hosts[index]
                next += 1
                group.addTask { await runHost(host, index: index, progress: progress) }
            }
            for _ in 0..<concurrency { startNext() }
            for await r in group {
                results.append(r)
                startNext()
            }
        }
        results.sort { $0.0 < $1.0 }
        let hostResults = results.map(\.1)
        var byUUID: [String: [String]] = [:]
        for h in hostResults { if let u = h.hostUUID { byUUID[u, default: []].append(h.uri) } }
        let duplicates = byUUID.filter { $0.value.count > 1 }
        var status = hostResults.map(\.status).max() ?? ExitStatus.unknown.rawValue
        // Exit codes are ordered by severity except unknown (3): any unknown host makes the
        // fleet unknown only when nothing is critical.
        if hostResults.contains(where: { $0.status == ExitStatus.critical.rawValue }) { status = ExitStatus.critical.rawValue }
        if !duplicates.isEmpty && status == ExitStatus.healthy.rawValue { status = ExitStatus.warning.rawValue }
        let report = Report(started: started, ended: Date(), hosts: hostResults, duplicateHostUUIDs: duplicates, status: status)
        var records: [String: RunRecord] = [:]
        for (_, h, r) in results { if let r { records[h.uri] = r } }
        return (report, records)
    }

    /// One host: connect (bounded), run the canary (no boot starts after the host's time
    /// limit), write its run folder. Every failure becomes an `unknown` result for this host.
    func runHost(_ host: Host, index: Int, progress: @Sendable (String) -> Void) async -> (Int, HostResult, RunRecord?) {
        let t0 = Date()
        let folderName = "hosts/\(index + 1)-" + Self.safe(host.uri)
        let folder = out.appendingPathComponent(folderName)
        func unknown(_ why: String) -> (Int, HostResult, RunRecord?) {
            progress("\(host.uri): UNKNOWN - \(why)")
            return (index, HostResult(uri: host.uri, status: ExitStatus.unknown.rawValue, hostname: nil, hostUUID: nil, verdict: nil,
                                      action: nil, summary: why, run: nil, seconds: Date().timeIntervalSince(t0)), nil)
        }
        progress("\(host.uri): connecting")
        let connection: Connection
        switch await Self.connect(host.uri, timeout: connectTimeout) {
        case .success(let c): connection = c
        case .failure(let why): return unknown(why.message)
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var session = DiagnoseSession(suspect: connection, control: nil, inputs: profile.inputs, settings: profile.settings,
                                          maxRuns: profile.runs, parallel: profile.parallel, out: folder, command: command)
            session.mode = "canary"
            session.useHistory = useHistory
            session.knownIssues = knownIssues
            session.deadline = Date().addingTimeInterval(hostTimeout)
            let record = try await session.run()
            _ = try? ReportWriter.write(record, recordFolder: folder, formats: [.md, .html])
            let d = record.diagnosis
            progress("\(host.uri): \(CanaryStatus.word(d.exitStatus)) - \(d.verdict.rawValue)")
            return (index, HostResult(uri: host.uri, status: d.exitStatus.rawValue, hostname: record.host.hostname,
                                      hostUUID: record.host.hostUUID, verdict: d.verdict, action: d.action, summary: d.summary,
                                      run: folderName, seconds: Date().timeIntervalSince(t0)), record)
        } catch let error as LibvirtError {
            return unknown(ConnectionAdvice.explain(error, uri: host.uri))
        } catch {
            return unknown(String(describing: error))
        }
    }

    /// Opens a connection on the blocking pool and gives up waiting after `timeout`: an ssh
    /// connection to a dead host can block far longer than a canary may.
    static func connect(_ uri: String, timeout: Double) async -> Result<Connection, ConnectFailure> {
        do {
            return .success(try await BlockingCall.run("connecting to \(uri)", seconds: timeout) {
                let c = try Connection.withKeepAlive(uri: uri)
                return c
            })
        } catch is BlockingCall.TimedOut {
            return .failure(ConnectFailure(message: "cannot connect to \(uri): no answer within \(Int(timeout)) s"))
        } catch let error as LibvirtError {
            return .failure(ConnectFailure(message: ConnectionAdvice.explain(error, uri: uri)))
        } catch {
            return .failure(ConnectFailure(message: "cannot connect to \(uri): \(error)"))
        }
    }

    public struct ConnectFailure: Error { public var message: String }

    static func safe(_ uri: String) -> String {
        String(uri.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }.prefix(60))
    }
}
