import CanaryClassify
import CanaryModel
import Foundation

extension BootRecord {
    /// The record of a boot this process ran: the probe's part (`live`) filled in, on the
    /// suspect host until the runner says otherwise.
    package static func probed(kind: ProbeKind, run: Int, domain: String, result: BootResult, transcript: URL?,
                               started: Date, createSeconds: Double?, notes: [String]) -> BootRecord {
        BootRecord(identity: .init(kind: kind, run: run, host: .suspect), result: result,
                   source: .init(transcript: transcript?.path, notes: notes),
                   live: .init(domain: domain, usesGuestDisk: false, startedAt: started, endedAt: Date(), createSeconds: createSeconds))
    }
}
