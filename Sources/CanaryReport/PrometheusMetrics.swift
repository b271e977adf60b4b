import CanaryClassify
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// A Prometheus text-format file (exposition format 0.0.4) for node_exporter's textfile
/// collector: the verdict, when the run ended, the tool's version, and per probe kind the
/// last boot's outcome, seconds to login and stall seconds.
///
/// node_exporter reads every `*.prom` file in its `--collector.textfile.directory` and
/// refuses a file whose samples carry timestamps or whose families repeat, so: no sample
/// timestamps, each family once with its HELP and TYPE, series sorted. Enumerations are
/// state sets (one series per value, 1 for the current one) so an alert can say
/// `bootcanary_verdict{verdict="host_fault"} == 1` without regexes.
public enum PrometheusMetrics {
    public static func render(_ record: RunRecord) -> String { render([record]) }

    /// Several runs in one file (a fleet canary): each family once, with every host's series.
    /// A host's series carry its name and URI, so two URIs of one machine stay apart.
    public static func render(_ records: [RunRecord]) -> String {
        var order: [String] = []
        var families: [String: (help: String, lines: [String])] = [:]
        for record in records {
            for (name, help, lines) in samples(record, labelURI: records.count > 1) {
                if families[name] == nil { order.append(name); families[name] = (help, []) }
                families[name]!.lines += lines
            }
        }
        var o = ""
        for name in order {
            guard let f = families[name], !f.lines.isEmpty else { continue }
            o += "# HELP \(name) \(f.help)\n# TYPE \(name) gauge\n"
            for line in f.lines { o += line + "\n" }
        }
        return o
    }

    /// One run's families, in output order, as exposition lines.
    static func samples(_ record: RunRecord, labelURI: Bool) -> [(String, String, [String])] {
        let d = record.diagnosis
        let hostLabels: [(String, String)] = [("host", record.host.hostname)] + (labelURI ? [("host_uri", record.host.uri)] : [])
        var out: [(String, String, [String])] = []
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            out.append((name, help, samples.map { s in
                let labels = (hostLabels + s.labels).map { "\($0.0)=\"\(labelValue($0.1))\"" }.joined(separator: ",")
                return "\(name){\(labels)} \(number(s.value))"
            }))
        }

        // host_uuid: cloned hypervisor installs share one, and management stacks then refuse
        // every clone after the first (CloudStack keys hosts by it); the fleet's alert
        // counts hostnames per host_uuid (packaging/prometheus/bootcanary.rules.yml). Absent
        // when the host reported none: an empty label is the same as no label in Prometheus.
        family("bootcanary_info", "The bootcanary version that made the run and the host it probed (always 1).",
               [([("hypervisor", "\(record.host.hypervisor) \(record.host.hypervisorVersion)")]
                 + (record.host.hostUUID.map { [("host_uuid", $0)] } ?? [])
                 + [("mode", record.mode), ("uri", record.host.uri), ("version", record.tool.version)], 1)])
        family("bootcanary_last_run_timestamp_seconds", "When the last run ended, in seconds since the Unix epoch.",
               [([], record.ended.timeIntervalSince1970.rounded())])
        family("bootcanary_last_run_duration_seconds", "How long the last run took.",
               [([], max(0, record.ended.timeIntervalSince(record.started)).rounded())])
        family("bootcanary_verdict", "The diagnosis of the last run: 1 for its verdict, 0 for the others.",
               Verdict.allCases.map { ([("verdict", $0.rawValue)], $0 == d.verdict ? 1 : 0) })
        family("bootcanary_verdict_confidence", "How sure the diagnosis is, 0 to 1.", [([], d.confidence)])
        family("bootcanary_action", "The recommended action of the last run: 1 for it, 0 for the others.",
               Action.allCases.map { ([("action", $0.rawValue)], $0 == d.action ? 1 : 0) })
        family("bootcanary_status", "The run's exit status: 0 ok, 1 warning, 2 critical, 3 unknown (Nagios conventions).",
               [([], Double(d.exitStatus.rawValue))])
        family("bootcanary_blast_radius_guests", "Running guests a reboot of the host would interrupt.",
               [([], Double(d.blastRadius.count))])

        // Per kind: the last boot of each kind (highest run) on each host role.
        var latest: [String: BootRecord] = [:]
        for b in record.boots {
            let key = "\(b.host?.rawValue ?? "suspect")/\(b.kind?.rawValue ?? "boot")"
            if let seen = latest[key], (seen.run ?? 0) > (b.run ?? 0) { continue }
            latest[key] = b
        }
        let lasts = latest.keys.sorted().compactMap { k in latest[k].map { (k, $0) } }
        func labels(_ b: BootRecord) -> [(String, String)] {
            [("kind", b.kind?.rawValue ?? "boot"), ("role", b.host?.rawValue ?? "suspect")]
        }
        family("bootcanary_boot_outcome", "How the last boot of each kind ended: 1 for its outcome, 0 for the others.",
               lasts.flatMap { _, b in BootOutcome.allCases.map { (labels(b) + [("outcome", $0.rawValue)], $0 == b.outcome ? 1 : 0) } })
        family("bootcanary_boot_success", "1 when the last boot of the kind reached its login prompt (success marker).",
               lasts.map { _, b in (labels(b), b.outcome.isSuccess ? 1 : 0) })
        family("bootcanary_boot_login_seconds", "Seconds from start to the login prompt of the last boot of each kind (absent when it did not get there).",
               lasts.compactMap { _, b in b.outcome.isSuccess ? b.secondsToOutcome.map { (labels(b), $0) } : nil })
        family("bootcanary_boot_stall_seconds", "Console silence before the last boot of each kind was declared stalled; 0 when it did not stall.",
               lasts.map { _, b in (labels(b), b.stallSeconds ?? 0) })
        family("bootcanary_boot_outcome_seconds", "Seconds from start until the last boot of each kind had its outcome.",
               lasts.compactMap { _, b in b.secondsToOutcome.map { (labels(b), $0) } })
        family("bootcanary_boot_last_milestone", "How far the last boot of each kind got: 1 for its last milestone, 0 for the others.",
               lasts.flatMap { _, b in Milestone.allCases.map { (labels(b) + [("milestone", $0.rawValue)], $0 == b.lastMilestone ? 1 : 0) } })

        // Every boot, counted.
        var counts: [String: (labels: [(String, String)], n: Int)] = [:]
        for b in record.boots {
            let l = labels(b) + [("outcome", b.outcome.rawValue)]
            let key = l.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            counts[key, default: (l, 0)].n += 1
        }
        family("bootcanary_boots", "Boots in the last run, by kind, host role and outcome.",
               counts.keys.sorted().compactMap { counts[$0].map { ($0.labels, Double($0.n)) } })
        return out
    }

    /// Label values: `\`, `"` and newline escaped (exposition format); made visible first so a
    /// hostname cannot carry control characters into the file.
    static func labelValue(_ s: String) -> String {
        var out = ""
        for ch in UntrustedText.visible(s, limit: 400).unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Go's ParseFloat reads these; integers are written without a fraction.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
