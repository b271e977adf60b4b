import CanaryClassify
import CanaryHostFacts
import CanaryModel

/// Correlates boots into a diagnosis: computes the facts, asks each rule in order, takes the
/// first answer, and writes down what every rule said.
public enum Correlator {
    public static func diagnose(_ boots: [BootObservation], context: DiagnosisContext,
                                rules: [DiagnosisRule] = DiagnosisRules.table) -> Diagnosis {
        let facts = MatrixFacts(boots)
        var reasoning: [String] = []
        var decided: (rule: String, finding: Finding)?
        for rule in rules {
            if let finding = rule.test(facts, context) {
                if decided == nil {
                    decided = (rule.name, finding)
                    reasoning.append("\(rule.name): applies — \(rule.because)")
                } else {
                    reasoning.append("\(rule.name): would also say \(finding.verdict.rawValue), but an earlier rule decided")
                }
            } else {
                reasoning.append("\(rule.name): does not apply")
            }
        }
        let (rule, finding) = decided ?? ("fallback", DiagnosisRules.fallback(facts, context))
        if decided == nil { reasoning.append("fallback: no rule applies to these boots") }
        if !facts.infrastructure.isEmpty {
            reasoning.append("\(facts.infrastructure.count) boot(s) failed in bootcanary's own tooling and were not counted: \(facts.infrastructure.compactMap(\.infraMessage).first ?? "")")
        }

        var summary = finding.summary
        if finding.action == .rebootHost && context.blastRadiusKnown {
            summary += rebootImpact(context.blastRadius)
        }
        summary += "."
        return Diagnosis(
            verdict: finding.verdict,
            confidence: (finding.confidence * 100).rounded() / 100,
            action: finding.action,
            summary: summary,
            evidence: evidence(finding.shownBy),
            blastRadius: context.blastRadius,
            next: finding.next,
            rule: rule,
            reasoning: reasoning,
            settled: finding.settled)
    }

    /// "; rebooting interrupts web2 and web3; migrate them first if you can"
    static func rebootImpact(_ radius: [RunningDomain]) -> String {
        guard !radius.isEmpty else { return "; no other guests are running there" }
        let names = radius.map(\.name)
        let list = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
        return "; rebooting interrupts \(list); migrate \(names.count == 1 ? "it" : "them") first if you can"
    }

    /// The decisive line of each boot that shows the verdict.
    static func evidence(_ boots: [BootObservation]) -> [Diagnosis.Item] {
        var seen = Set<BootLabel>()
        var items: [Diagnosis.Item] = []
        for b in boots where seen.insert(b.label).inserted {
            if b.booted {
                let success = b.evidence.last { $0.reason.hasPrefix("success marker") }
                items.append(.init(boot: b.label, line: success?.line ?? b.lastLineNumber, reason: "booted to its login prompt", text: success?.text))
                continue
            }
            var reason = b.outcome.rawValue
            if let title = b.title { reason += ": \(title)" }
            if b.frozen && b.notScheduled && b.vcpu != .frozen {
                reason += " (vCPUs runnable but not scheduled, \(Int(b.stallSeconds ?? 0)) s silent)"
            } else if b.frozen { reason += " (vCPUs frozen, \(Int(b.stallSeconds ?? 0)) s silent)" }
            else if b.outcome == .stalled || b.outcome == .noOutput, let v = b.vcpu { reason += " (vCPUs \(v.rawValue), \(Int(b.stallSeconds ?? 0)) s silent)" }
            if let at = b.vcpuLocations { reason += "; \(at)" }
            let decisive = b.evidence.first { $0.reason.hasPrefix("first fatal") } ?? b.evidence.last
            let line = b.outcome == .stalled ? b.lastLineNumber : (decisive?.line ?? b.lastLineNumber)
            let text = b.outcome == .stalled ? b.lastLine : (decisive?.text ?? b.lastLine)
            // A silent boot has no line to show; say so rather than leave a blank.
            if b.outcome == .noOutput {
                items.append(.init(boot: b.label, line: nil, reason: reason, text: "(no console output at all)"))
                continue
            }
            items.append(.init(boot: b.label, line: line, reason: reason, text: text))
        }
        return items
    }
}
