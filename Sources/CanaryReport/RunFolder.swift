import CanaryClassify
import Foundation

/// A run's folder travels (bundles, tickets): paths inside it are stored relative to it.
public enum RunFolder {
    package static func relativize(_ boot: BootRecord, in folder: URL) -> BootRecord {
        var b = boot
        let prefix = folder.standardizedFileURL.path + "/"
        if let t = b.transcript, t.hasPrefix(prefix) { b.transcript = String(t.dropFirst(prefix.count)) }
        return b
    }

    /// A boot's transcript on disk, inside the run record's folder. A record may come from
    /// someone else (a ticket attachment): a path that leaves the folder (absolute, `..`)
    /// would let it pull any readable file into a report, so it is refused.
    public static func transcriptURL(_ boot: BootRecord, recordFolder: URL) -> URL? {
        guard let t = boot.transcript, !t.hasPrefix("/") else { return nil }
        let folder = recordFolder.standardizedFileURL.resolvingSymlinksInPath()
        let url = folder.appendingPathComponent(t).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(folder.path + "/") else { return nil }
        return url
    }
}
