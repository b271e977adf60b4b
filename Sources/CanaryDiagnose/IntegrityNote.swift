import CanaryModel

/// The sentence the offline image checks add to a verdict's summary. It quotes or notes; it
/// never changes the verdict, the action or the confidence (no rule row in DiagnosisRules
/// reads the checks yet): the boots decide, the checks say whether the image's bytes agree.
public enum IntegrityNote {
    /// The longest proof quoted in the summary; the reports list all of it.
    static let proofLimit = 240

    /// `diagnosis` with one sentence about `integrity` appended to its summary, for the
    /// verdicts where it matters: for a fault blamed on the image or its kernel, the proof of a
    /// failed check; for a healthy image or a host fault, whether the image checked out.
    public static func annotate(_ diagnosis: Diagnosis, with integrity: ImageIntegrity?) -> Diagnosis {
        guard let integrity, let sentence = sentence(for: diagnosis.verdict, integrity) else { return diagnosis }
        var d = diagnosis
        d.summary += (d.summary.hasSuffix(".") || d.summary.isEmpty ? " " : ". ") + sentence
        d.reasoning.append("image integrity: \(sentence)")
        return d
    }

    static func sentence(for verdict: Verdict, _ integrity: ImageIntegrity) -> String? {
        if let why = integrity.skipped {
            return [.healthy, .hostFault, .imageFault, .guestKernelFault].contains(verdict) ? "The image was not checked offline: \(why)." : nil
        }
        let failed = integrity.failed
        let unchecked = integrity.couldNotCheck.map { $0.check.rawValue }
        switch verdict {
        case .imageFault, .guestKernelFault:
            guard let first = failed.first else {
                return "Offline image checks found nothing wrong (\(integrity.passed.count) passed"
                    + (unchecked.isEmpty ? "" : "; could not check \(unchecked.joined(separator: ", "))") + ")."
            }
            let proof = (first.proof.first ?? first.summary)
            return "Offline image check \(first.check.rawValue) proves it: \(String(proof.prefix(proofLimit)))"
                + (failed.count > 1 ? " (\(failed.count - 1) more failed: \(failed.dropFirst().map(\.check.rawValue).joined(separator: ", ")))." : ".")
        case .healthy, .hostFault:
            if !failed.isEmpty {
                return "But offline image checks failed: \(failed.map { "\($0.check.rawValue) (\($0.summary))" }.joined(separator: "; "))."
            }
            let passed = integrity.passed.count
            if unchecked.isEmpty { return "The image checked out offline (\(passed) check\(passed == 1 ? "" : "s") passed)." }
            return "The image checked out offline as far as checked (\(passed) passed; could not check \(unchecked.joined(separator: ", ")))."
        case .platformRegression, .intermittent, .inconclusive:
            guard let first = failed.first else { return nil }
            return "Offline image check \(first.check.rawValue) failed: \(String((first.proof.first ?? first.summary).prefix(proofLimit)))."
        }
    }
}
