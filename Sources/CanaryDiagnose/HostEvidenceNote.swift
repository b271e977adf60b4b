import CanaryModel

/// The sentence the host's own evidence adds to a verdict's summary: what the hypervisor's
/// log (or the host kernel's) said during the run, and when the host could not be asked. Rules
/// read the findings through `DiagnosisContext.hostFindings`; this only quotes them.
public enum HostEvidenceNote {
    static let lineLimit = 200

    public static func annotate(_ diagnosis: Diagnosis, with evidence: HostEvidence?) -> Diagnosis {
        guard let evidence, let sentence = sentence(evidence) else { return diagnosis }
        var d = diagnosis
        d.summary += (d.summary.hasSuffix(".") || d.summary.isEmpty ? " " : ". ") + sentence
        d.reasoning.append("host evidence: \(sentence)")
        return d
    }

    static func sentence(_ evidence: HostEvidence) -> String? {
        guard !evidence.findings.isEmpty else { return nil }
        let shown = evidence.findings.prefix(2).map { f in
            f.detail + (f.line.map { " (\"\(String($0.prefix(lineLimit)))\")" } ?? "")
        }
        let more = evidence.findings.count > 2 ? " and \(evidence.findings.count - 2) more" : ""
        return "During the run the host showed: \(shown.joined(separator: "; "))\(more)."
    }
}
