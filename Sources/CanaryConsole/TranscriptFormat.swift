import Foundation

/// The console log formats `bootcanary analyze` reads.
public enum ConsoleLogFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// bootcanary's own transcript (see `BootcanaryTranscript`).
    case bootcanary
    /// Raw console bytes with no timestamps: `virsh console` output saved to a file, QEMU's
    /// `-serial file:`, a console log pasted into a bug report.
    case plain
    /// A xenconsoled guest log written with `--timestamp=guest`: every line starts with the
    /// host's `[YYYY-MM-DD HH:MM:SS] ` (/var/log/xen/console/guest-NAME.log).
    case xenconsoled

    public var description: String {
        switch self {
        case .bootcanary: "bootcanary transcript"
        case .plain: "plain console capture"
        case .xenconsoled: "xenconsoled guest log"
        }
    }
}

/// What the first bytes of a file say it is.
public enum FormatDetection: Sendable, Hashable {
    case format(ConsoleLogFormat)
    /// Not a console log; the reason is a sentence for the user.
    case unknown(String)

    /// How many leading bytes detection looks at.
    public static let sampleSize = 64 * 1024

    /// Decides the format from a file's first bytes (up to `sampleSize`).
    public static func detect(_ sample: [UInt8]) -> FormatDetection {
        if sample.starts(with: BootcanaryTranscript.magic) { return .format(.bootcanary) }
        if sample.isEmpty { return .format(.plain) }
        for (magic, what) in knownBinaries where sample.starts(with: magic) {
            return .unknown("this is \(what), not a console log")
        }
        let binary = binaryFraction(sample)
        if binary > 0.10 {
            let percent = Int((binary * 100).rounded())
            return .unknown("not a console log: \(percent)% of its first \(sample.count) bytes are neither text nor terminal control")
        }
        if looksLikeXenconsoled(sample) { return .format(.xenconsoled) }
        return .format(.plain)
    }

    private static let knownBinaries: [([UInt8], String)] = [
        ([0x1F, 0x8B], "gzip-compressed data (decompress it first)"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd-compressed data (decompress it first)"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz-compressed data (decompress it first)"),
        ([0x42, 0x5A, 0x68], "bzip2-compressed data (decompress it first)"),
        ([0x7F, 0x45, 0x4C, 0x46], "an ELF executable"),
        ([0x89, 0x50, 0x4E, 0x47], "a PNG image"),
        ([0x50, 0x4B, 0x03, 0x04], "a zip archive"),
        (Array("QFI".utf8) + [0xFB], "a qcow2 disk image"),
    ]

    /// Fraction of bytes that a console would not print: C0 controls other than tab, CR, LF,
    /// ESC, BS and BEL, and bytes that are not part of valid UTF-8. A serial console log is
    /// nearly all text even when a guest prints some garbage.
    static func binaryFraction(_ sample: [UInt8]) -> Double {
        var bad = 0
        var i = 0
        let n = sample.count
        while i < n {
            let b = sample[i]
            if b < 0x80 {
                if b < 0x20, b != 0x09, b != 0x0A, b != 0x0D, b != 0x1B, b != 0x08, b != 0x07 { bad += 1 }
                i += 1
                continue
            }
            let len = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0
            if len == 0 { bad += 1; i += 1; continue }
            if i + len > n { break }  // cut at the sample's end
            var ok = true
            for k in 1..<len where sample[i + k] & 0xC0 != 0x80 { ok = false }
            if ok { i += len } else { bad += 1; i += 1 }
        }
        return Double(bad) / Double(max(n, 1))
    }

    /// Most of the first non-empty lines (up to 20) start with xenconsoled's host stamp. A
    /// comment or a banner line someone added on top does not hide the format.
    static func looksLikeXenconsoled(_ sample: [UInt8]) -> Bool {
        var total = 0
        var stamped = 0
        var start = 0
        let n = sample.count
        while start < n, total < 20 {
            var end = start
            while end < n, sample[end] != 0x0A { end += 1 }
            if end == n, total > 0 { break }  // a cut last line proves nothing
            var line = Array(sample[start..<end])
            if line.last == 0x0D { line.removeLast() }
            if !line.isEmpty {
                total += 1
                if line.withUnsafeBufferPointer({ HostStamp.parse($0, at: 0) != nil }) { stamped += 1 }
            }
            start = end + 1
        }
        return stamped > 0 && stamped * 4 >= total * 3
    }
}
