import CanaryClassify
import CanaryModel
import Foundation

/// What one probe boot produced.
public struct ProbeBoot: Sendable {
    public var kind: ProbeKind
    public var run: Int
    public var domainName: String
    public var result: BootResult
    public var transcript: URL?
    /// Wall clock at create and at the end.
    public var started: Date
    public var ended: Date
    /// Seconds the create call took (pygrub runs inside it on Xen).
    public var createSeconds: Double?
    /// Things worth telling a person about this boot (a fallback taken, a file restored).
    public var notes: [String]
    public var host: BootObservation.Host = .suspect
    /// Whether the guest's disk was attached.
    public var usesGuestDisk = false

    package init(kind: ProbeKind, run: Int, domainName: String, result: BootResult, transcript: URL?, started: Date,
                 ended: Date, createSeconds: Double?, notes: [String], host: BootObservation.Host = .suspect,
                 usesGuestDisk: Bool = false) {
        self.kind = kind
        self.run = run
        self.domainName = domainName
        self.result = result
        self.transcript = transcript
        self.started = started
        self.ended = ended
        self.createSeconds = createSeconds
        self.notes = notes
        self.host = host
        self.usesGuestDisk = usesGuestDisk
    }

    public var described: DescribedBoot {
        var d = DescribedBoot(result, kind: kind, run: run, transcript: transcript?.path, notes: notes)
        d.host = host
        d.domain = domainName
        d.usesGuestDisk = usesGuestDisk
        d.lastLines = result.lastLines
        d.startedAt = started
        d.endedAt = ended
        return d
    }

    public var observation: BootObservation {
        BootObservation(kind: kind, run: run, host: host, usesGuestDisk: usesGuestDisk, result: result)
    }
}
