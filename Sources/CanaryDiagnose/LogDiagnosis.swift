import CanaryClassify
import CanaryConsole
import CanaryModel

/// The diagnosis of saved consoles (`analyze` with several logs): the same correlator as a
/// live run, fed from transcripts whose kind comes from `--kind KIND:FILE` or from the
/// bootcanary transcript's own metadata.
public enum LogDiagnosis {
    public struct Result: Sendable {
        public var diagnosis: Diagnosis
        /// Logs left out because their kind is unknown.
        public var skipped: [String]
    }

    public static func diagnose(_ analyses: [ConsoleLogAnalysis], kinds: [String: ProbeKind]) -> Result {
        var boots: [BootObservation] = []
        var skipped: [String] = []
        var runsByKind: [ProbeKind: Int] = [:]
        var hosts = Set<String>()
        for a in analyses {
            guard let kind = kinds[a.path] ?? a.metadata.kind else {
                skipped.append(a.path)
                continue
            }
            runsByKind[kind, default: 0] += 1
            let run = a.metadata.run ?? runsByKind[kind]!
            let disk = a.metadata["guestDisk"].map { $0 == "yes" } ?? (kind != .installer)
            let host: BootHost = a.metadata["host"] == "control" ? .control : .suspect
            boots.append(BootObservation(kind: kind, run: run, host: host, usesGuestDisk: disk, result: a.result))
            if let uri = a.metadata["uri"] { hosts.insert(uri) }
        }
        var context = DiagnosisContext(
            hostname: hosts.count == 1 ? hosts.first! : "the host",
            availableKinds: Set(boots.filter { $0.host == .suspect }.map(\.kind)),
            hasControl: boots.contains { $0.host == .control },
            maxRuns: max(1, runsByKind.values.max() ?? 1))
        context.blastRadiusKnown = false
        return Result(diagnosis: Correlator.diagnose(boots, context: context), skipped: skipped)
    }
}
