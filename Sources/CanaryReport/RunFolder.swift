import CanaryClassify
import Foundation

/// A run's folder travels (bundles, tickets): paths inside it are stored relative to it.
public enum RunFolder {
    /// The folder name `diagnose` picks without `--out`: `bootcanary-HOST-2026-12-01T2330`,
    /// the host named as the connection names it and the time on the operator's clock, so
    /// `ls` lists one host's runs together and in order. A host name comes from a URI or the
    /// host (`xen+ssh://root@[fe80::1]:22/system`): anything but letters, digits, `.`, `_`
    /// and `-` becomes `-`, and a leading `.` or `-` is dropped, so it stays one visible path
    /// component and never an option.
    public static func datedName(host: String, at time: Date, timeZone: TimeZone = .current) -> String {
        var name = String(host.unicodeScalars.map { scalar -> Character in
            let ok = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
            return ok ? Character(scalar) : "-"
        })
        while let first = name.first, first == "." || first == "-" { name.removeFirst() }
        if name.isEmpty { name = "host" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd'T'HHmm"
        return "bootcanary-\(String(name.prefix(64)))-\(formatter.string(from: time))"
    }

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
