import CanaryHostFacts
import CanaryModel
import Foundation

/// Asks the host's own tools, read-only, what they saw: once around the whole run
/// (`before` / `after`) and for each failing test domain while it still exists (`domain`).
///
/// Why these tools: they are what Xen's osstest gathers when a guest fails (ts-logs-capture:
/// `xl info -n`, `xl vcpu-list`, `xenstore-ls -fp`, debug keys, `xenctx` per vCPU, the logs
/// under /var/log/xen). Nothing here changes the host: `xl dmesg` is read without `-c`, and the
/// debug keys `q` and `r` only print (xen/common/keyhandler.c: "dump domain (and guest debug)
/// info", "dump run queues"). Each call has a deadline; a failure is a recorded fact.
package struct HostEvidenceCollector: Sendable {
    package enum Hypervisor: Sendable { case xen, qemu, other }
    package var access: HostAccess?
    package var hypervisor: Hypervisor

    /// What a tool may take; a dom0 under nested emulation answers `xl` in 1-3 s.
    static let toolTimeout = 20.0
    /// The gap between the two looks at the vCPUs.
    static let schedulingInterval = 2.0
    static let tailBytes = 16384

    package init(uri: String, access: HostAccess?) {
        self.access = access
        hypervisor = uri.hasPrefix("xen") ? .xen : (uri.hasPrefix("qemu") || uri.hasPrefix("kvm") ? .qemu : .other)
    }

    /// The state of the host before the run: its summary and where its log stood.
    package struct Before: Sendable {
        var tools: [HostToolRun]
        var log: String?
    }

    var logCommand: (name: String, argv: [String])? {
        switch hypervisor {
        case .xen: ("xl dmesg", ["xl", "dmesg"])
        case .qemu: ("host kernel log", ["dmesg"])
        case .other: nil
        }
    }

    @available(*, noasync)
    package func before() -> Before {
        guard let access else { return Before(tools: [], log: nil) }
        var tools: [HostToolRun] = []
        if hypervisor == .xen { tools.append(Self.run(access, "xl info", ["xl", "info"])) }
        var log: String?
        if let c = logCommand {
            let r = Self.run(access, c.name + " (before)", c.argv)
            if r.answered { log = r.output }
            tools.append(r)
        }
        return Before(tools: tools, log: log)
    }

    /// The run's host evidence: the log's new lines and what they mean, with every tool's
    /// outcome. Without access it says what could not be asked.
    @available(*, noasync)
    package func after(_ before: Before) -> HostEvidence {
        guard let access else {
            return HostEvidence(access: nil, unavailable: "bootcanary has no shell on this host (a +tcp or +tls URI without --host-exec): "
                + "it could not ask the hypervisor (xl dmesg, xl vcpu-list, xenctx) or read the host's logs")
        }
        var evidence = HostEvidence(access: access.summary, tools: before.tools, logName: logCommand?.name)
        if let c = logCommand {
            let r = Self.run(access, c.name + " (after)", c.argv)
            evidence.tools.append(r)
            if r.answered, let old = before.log {
                let (lines, wrapped) = HostLogLines.added(before: old, after: r.output)
                evidence.newLogLines = Array(lines.suffix(HostEvidence.maxNewLines)).map { UntrustedText.visible($0, limit: 400) }
                if wrapped { evidence.newLogLines.insert("[the log's ring buffer moved past what was read before the run; some lines were lost]", at: 0) }
            }
        }
        evidence.findings = HostFindingTable.findings(in: evidence.newLogLines) + Self.unanswered(evidence.tools)
        return evidence
    }

    /// What the host says about a failing test domain, asked before it is destroyed.
    /// `deviceModel`: a Xen HVM guest, whose vCPUs also wait for qemu-dm (VCPUScheduling.deviceModel).
    @available(*, noasync)
    package func domain(_ name: String, vcpus: Int, deviceModel: Bool = false) -> DomainEvidence? {
        guard let access else { return nil }
        switch hypervisor {
        case .xen: return xenDomain(name, vcpus: vcpus, deviceModel: deviceModel, access: access)
        case .qemu:
            var e = DomainEvidence(domain: name)
            e.tools.append(Self.tail(access, "/var/log/libvirt/qemu/\(name).log"))
            // The QEMU process's own state (libvirt keeps its pid in /run/libvirt/qemu/NAME.pid):
            // a stopped process (State: T) runs no vCPU, and its monitor cannot answer.
            e.tools.append(Self.run(access, "QEMU process state", ["sh", "-c", "p=$(cat \"$1\") && grep -E '^(Name|State|Threads):' /proc/$p/status", "state",
                                                                   "/run/libvirt/qemu/\(name).pid"]))
            return e
        case .other: return nil
        }
    }

    @available(*, noasync)
    func xenDomain(_ name: String, vcpus: Int, deviceModel: Bool, access: HostAccess) -> DomainEvidence {
        var e = DomainEvidence(domain: name)
        let domid = Self.run(access, "xl domid", ["xl", "domid", name])
        e.tools.append(domid)
        let id = Int(domid.output.trimmingCharacters(in: .whitespacesAndNewlines))
        let info = Self.run(access, "xl info", ["xl", "info"])
        e.tools.append(info)
        // Whole-host lists: the second also says how many pCPUs were busy.
        let first = Self.run(access, "xl vcpu-list #1", ["xl", "vcpu-list"])
        let started = Date()
        Thread.sleep(forTimeInterval: Self.schedulingInterval)
        let second = Self.run(access, "xl vcpu-list #2", ["xl", "vcpu-list"])
        let interval = max(Self.schedulingInterval, Date().timeIntervalSince(started) - second.seconds / 2)
        e.tools += [first, second]
        if first.answered, second.answered {
            e.scheduling = XlVcpuList.scheduling(domain: name, first: first.output, second: second.output,
                                                 interval: interval, hostPCPUs: XlVcpuList.hostPCPUs(xlInfo: info.output))
            e.scheduling?.deviceModel = deviceModel
        }
        // Debug keys print into the hypervisor's ring; read back as its new lines.
        let mark = Self.run(access, "xl dmesg (before debug keys)", ["xl", "dmesg"])
        e.tools.append(mark)
        for key in ["q", "r"] { e.tools.append(Self.run(access, "xl debug-keys \(key)", ["xl", "debug-keys", key])) }
        let read = Self.run(access, "xl dmesg (debug keys)", ["xl", "dmesg"])
        e.tools.append(read)
        if mark.answered, read.answered {
            e.debugKeyLines = Array(HostLogLines.added(before: mark.output, after: read.output).lines.suffix(300))
                .map { UntrustedText.visible($0, limit: 300) }
        }
        if let id {
            let find = Self.run(access, "find xenctx", ["sh", "-c", Self.findXenctx])
            if let path = find.output.split(whereSeparator: \.isNewline).first.map(String.init), find.answered {
                for vcpu in 0..<max(1, vcpus) {
                    let r = Self.run(access, "xenctx vCPU\(vcpu)", [path, String(id), String(vcpu)])
                    e.tools.append(r)
                    if r.answered, let l = InstructionPointers.fromXenctx(r.output, vcpu: vcpu) { e.locations.append(l) }
                }
            } else {
                var missing = find
                missing.problem = "xenctx is not installed on the host (Debian: xen-utils-4.17, /usr/lib/xen-4.17/bin/xenctx)"
                e.tools.append(missing)
            }
            e.tools.append(Self.run(access, "xenstore-ls", ["xenstore-ls", "-fp", "/local/domain/\(id)"]))
            e.tools.append(Self.tail(access, "/var/log/xen/bootloader.\(id).log"))
        }
        for path in ["/var/log/xen/qemu-dm-\(name).log", "/var/log/xen/console/guest-\(name).log",
                     "/var/log/libvirt/libxl/\(name).log"] {
            e.tools.append(Self.tail(access, path))
        }
        return e
    }

    /// Whether the domain's QEMU process was seen stopped (`State: T (stopped)`).
    package static func qemuStopped(_ evidence: DomainEvidence?) -> Bool {
        evidence?.tools.first { $0.name == "QEMU process state" }?.output.contains("State:\tT") == true
    }

    static let findXenctx = "for f in /usr/lib/xen-*/bin/xenctx /usr/lib/xen/bin/xenctx /usr/sbin/xenctx; do [ -x \"$f\" ] && { echo \"$f\"; exit 0; }; done; exit 127"

    @available(*, noasync)
    static func tail(_ access: HostAccess, _ path: String) -> HostToolRun {
        var r = run(access, "tail \(path)", ["sh", "-c", "[ -e \"$1\" ] || exit 3; tail -c \(tailBytes) \"$1\"", "tail", path])
        if r.exitStatus == 3 { r.problem = "not present on the host" }
        return r
    }

    @available(*, noasync)
    static func run(_ access: HostAccess, _ name: String, _ argv: [String], timeout: Double = toolTimeout) -> HostToolRun {
        let started = Date()
        let r = access.run(argv, timeout: timeout)
        let seconds = Date().timeIntervalSince(started)
        var problem: String?
        if r.timedOut {
            problem = "did not answer in \(Int(timeout)) s"
        } else if r.status == 127 {
            problem = "not installed on the host (\(r.lastErrorLine ?? "command not found"))"
        } else if r.status != 0 {
            problem = "exit \(r.status)" + (r.lastErrorLine.map { ": \(UntrustedText.visible($0, limit: 200))" } ?? "")
        }
        let output = r.status == 0 ? r.stdout : r.stdout + r.stderr
        return HostToolRun(name: name, command: argv, exitStatus: r.status == 127 && r.stdout.isEmpty ? nil : r.status,
                           seconds: seconds, problem: problem, output: output)
    }

    /// A dom0 daemon that did not answer is a finding of its own: `xenstore-ls` waits on
    /// xenstored, `xl` on xenstored and the hypervisor.
    package static func unanswered(_ tools: [HostToolRun]) -> [HostFinding] {
        tools.filter { $0.problem?.hasPrefix("did not answer") == true }.map { t in
            let daemon = t.command.first == "xenstore-ls" ? "xenstored" : (t.command.first == "xl" ? "the toolstack (xl: xenstored or the hypervisor)" : t.command.first ?? "a tool")
            return HostFinding(kind: .daemonUnresponsive, detail: "\(daemon) did not answer `\(t.command.joined(separator: " "))` in \(Int(toolTimeout)) s", line: nil)
        }
    }
}
