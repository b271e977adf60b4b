import Foundation
import Testing
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryReport

/// packaging/prometheus/bootcanary.rules.yml and its promtool tests name bootcanary's series
/// and labels by hand; this suite holds them to what PrometheusMetrics (the code behind
/// `canary --metrics` and `report --format prom`) really writes for the recorded runs, one
/// host and a fleet, so a renamed metric or label fails here rather than silently never
/// alerting. promtool itself runs in packaging/prometheus/check (lab/test).
@Suite struct AlertRulesTests {
    static let folder = Fixtures.root.appendingPathComponent("packaging/prometheus")

    /// One exposition line's series: name and labels (values unescaped enough to compare).
    struct Series: Hashable {
        var name: String
        var labels: [String: String]
    }

    /// `name{a="x",b="y"}` (exposition lines, and promtool's `series:` strings).
    static func parse(_ text: Substring) -> Series? {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else { return nil }
        var labels: [String: String] = [:]
        let body = String(text[text.index(after: open)..<close])
        for m in body.matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/) { labels[String(m.1)] = String(m.2) }
        return Series(name: String(text[..<open]), labels: labels)
    }

    static func exposition(_ text: String) -> [Series] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { parse($0) }
    }

    static func fixtures() throws -> (one: RunRecord, fleet: [RunRecord]) {
        let sick = try ReportFixtures.record("lab-sick-host")
        var other = try ReportFixtures.record("lab-corrupt-image")
        other.host.uri = "qemu+ssh://root@kvm2/system"
        other.host.hostname = "kvm2"
        return (sick, [sick, other])
    }

    /// Every series of the renderings: what the rules may rely on. One more is a host that
    /// reported no host UUID (libxl's capabilities carry none, and a QEMU machine without an
    /// SMBIOS UUID has none either).
    static func realSeries() throws -> [Series] {
        let (one, fleet) = try fixtures()
        var noUUID = one
        noUUID.host.hostUUID = nil
        return [PrometheusMetrics.render(one), PrometheusMetrics.render(fleet), PrometheusMetrics.render(noUUID)].flatMap(exposition)
    }

    /// Labels the scrape adds (node_exporter's target) or that belong to node_exporter's own
    /// series (`file` on node_textfile_mtime_seconds), not to bootcanary's output.
    static let scrapeLabels: Set<String> = ["instance", "job"]
    static let nodeExporterLabels: Set<String> = ["file"]

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func everyInputSeriesOfTheRuleTestsIsOneTheBinaryWrites() throws {
        let real = try Self.realSeries()
        let shapes = Dictionary(grouping: real, by: \.name).mapValues { Set($0.map { Set($0.labels.keys) }) }
        let inputs = try Self.text("bootcanary.test.yml").matches(of: /series: '([^']+)'/).compactMap { Self.parse($0.1) }
        let ours = inputs.filter { $0.name.hasPrefix("bootcanary_") }
        #expect(ours.count >= 20, "the test file's bootcanary series were not found (\(ours.count))")
        for s in ours {
            let names = Set(s.labels.keys).subtracting(Self.scrapeLabels)
            let known = try #require(shapes[s.name], "\(s.name) is not a metric bootcanary writes")
            #expect(known.contains(names), "\(s.name) with labels \(names.sorted()): bootcanary writes it with \(known.map { $0.sorted() })")
            // State-set values are closed vocabularies: a test on a verdict that does not
            // exist would pass while proving nothing.
            for label in ["verdict", "action"] {
                if let v = s.labels[label] {
                    let values = Set(real.filter { $0.name == s.name }.compactMap { $0.labels[label] })
                    #expect(values.contains(v), "\(s.name){\(label)=\"\(v)\"}: bootcanary writes \(values.sorted())")
                }
            }
        }
        #expect(inputs.filter { !$0.name.hasPrefix("bootcanary_") }.allSatisfy { $0.name == "node_textfile_mtime_seconds" })
    }

    @Test func everyMetricAndLabelTheRulesUseIsOneTheBinaryWrites() throws {
        let real = try Self.realSeries()
        let families = Set(real.map(\.name))
        let labels = Set(real.flatMap(\.labels.keys)).union(Self.scrapeLabels).union(Self.nodeExporterLabels)
        let rules = try Self.text("bootcanary.rules.yml")
        let metrics = Set(rules.matches(of: /bootcanary_[a-z_]+/).map { String($0.0) })
        #expect(metrics.count >= 5)
        for m in metrics { #expect(families.contains(m), "the rules use \(m); bootcanary writes \(families.sorted())") }
        // Labels in groupings and joins, in selectors, and in annotation templates.
        var used = Set<String>()
        for m in rules.matches(of: /(?:by|on|ignoring|group_left|group_right) \(([^)]*)\)/) {
            used.formUnion(m.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        for m in rules.matches(of: /[a-z_]+\{([^}]*)\}/) {
            used.formUnion(m.1.matches(of: /([a-z_]+)\s*(?:=~|!=|!~|=)/).map { String($0.1) })
        }
        used.formUnion(rules.matches(of: /\$labels\.([a-z_]+)/).map { String($0.1) })
        #expect(used.isSuperset(of: ["host", "host_uri", "host_uuid", "verdict", "action"]), "\(used.sorted())")
        for l in used { #expect(labels.contains(l), "the rules use label \(l); the series carry \(labels.sorted())") }
    }

    /// The critical alert joins status, verdict and action on (instance, job, host,
    /// host_uri): that only matches when the three carry the same host labels.
    @Test func statusVerdictAndActionCarryTheSameHostLabels() throws {
        let (one, fleet) = try Self.fixtures()
        for (text, withURI) in [(PrometheusMetrics.render(one), false), (PrometheusMetrics.render(fleet), true)] {
            let series = Self.exposition(text)
            for name in ["bootcanary_status", "bootcanary_verdict", "bootcanary_action", "bootcanary_last_run_timestamp_seconds"] {
                let of = series.filter { $0.name == name }
                #expect(!of.isEmpty)
                #expect(of.allSatisfy { $0.labels["host"] != nil && ($0.labels["host_uri"] != nil) == withURI }, "\(name)")
            }
        }
    }

    /// The shared-UUID alert reads host_uuid from bootcanary_info; hosts that reported none
    /// carry no such label (an empty one would group them all as one "UUID").
    @Test func infoCarriesTheHostUUIDWhenTheHostReportedOne() throws {
        var (record, _) = try Self.fixtures()
        let uuid = try #require(record.host.hostUUID)
        let info = Self.exposition(PrometheusMetrics.render(record)).filter { $0.name == "bootcanary_info" }
        #expect(info.map { $0.labels["host_uuid"] } == [uuid])
        record.host.hostUUID = nil
        let without = Self.exposition(PrometheusMetrics.render(record)).filter { $0.name == "bootcanary_info" }
        #expect(without.count == 1 && without[0].labels["host_uuid"] == nil)
    }
}
