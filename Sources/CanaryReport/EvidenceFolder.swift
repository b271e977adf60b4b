import CanaryClassify
import CanaryModel
import Foundation

/// The host tools' outputs, one file each, in the run folder's `evidence/`:
/// `evidence/host/NN-NAME.txt` for the run, `evidence/KIND-N/NN-NAME.txt` for a failing boot
/// (the control host's under `evidence/control/`, as the transcripts' and domains' layout).
/// run.json names each file (`file`), the reports link them, the bundle carries them.
public enum EvidenceFolder {
    public static let folder = "evidence"

    public static func write(_ record: inout RunRecord, to out: URL) throws {
        if var host = record.hostEvidence {
            host.tools = try write(host.tools, under: "\(folder)/host", in: out)
            record.hostEvidence = host
        }
        for i in record.boots.indices {
            guard var e = record.boots[i].live.hostEvidence else { continue }
            let label = record.boots[i].label(position: i)
            let name = (label.host == .control ? "control/" : "") + ReportFormat.safeName(ReproducibleBoot.baseName(label))
            e.tools = try write(e.tools, under: "\(folder)/\(name)", in: out)
            record.boots[i].live.hostEvidence = e
        }
    }

    static func write(_ tools: [HostToolRun], under relative: String, in out: URL) throws -> [HostToolRun] {
        let dir = out.appendingPathComponent(relative)
        var written = tools
        for (n, tool) in tools.enumerated() where !tool.output.isEmpty {
            if n == 0 || !FileManager.default.fileExists(atPath: dir.path) {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            }
            let name = String(format: "%02d-", n + 1) + ReportFormat.safeName(tool.name.replacingOccurrences(of: " ", with: "-")) + ".txt"
            let header = "# \(tool.command.joined(separator: " "))\n# exit \(tool.exitStatus.map(String.init) ?? "-"), \(tool.seconds) s"
                + (tool.problem.map { ", \($0)" } ?? "") + "\n"
            try Data((header + tool.output).utf8).write(to: dir.appendingPathComponent(name), options: .atomic)
            written[n].file = relative + "/" + name
        }
        return written
    }

    /// Every evidence file a record names, for the bundle: paths inside `folder` only.
    static func files(_ record: RunRecord) -> [String] {
        let all = (record.hostEvidence?.tools ?? []) + record.boots.flatMap { $0.live.hostEvidence?.tools ?? [] }
        return all.compactMap(\.file).filter { $0.hasPrefix(folder + "/") && !$0.contains("..") }
    }
}
