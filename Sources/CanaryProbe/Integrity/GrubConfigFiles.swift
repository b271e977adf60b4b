/// The files a grub.cfg's `linux` and `initrd` lines name, and whether its braces balance
/// (an unbalanced `menuentry {` makes GRUB drop to its prompt: "error: syntax error").
struct GrubConfigFiles: Equatable {
    struct Reference: Equatable {
        var line: Int
        var keyword: String
        var path: String
    }

    var references: [Reference] = []
    /// Paths that use a GRUB variable (`$root/vmlinuz`): they cannot be resolved offline.
    var unresolved: [Reference] = []
    /// Open minus closed braces at the end: 0 for a config GRUB can parse.
    var braceBalance = 0

    static let kernelWords: Set<String> = ["linux", "linux16", "linuxefi"]
    static let initrdWords: Set<String> = ["initrd", "initrd16", "initrdefi"]

    init(_ text: String) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("#") { continue }
            braceBalance += Self.braces(in: line)
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            let paths: ArraySlice<String>
            if Self.kernelWords.contains(keyword) { paths = words.dropFirst().prefix(1) }
            else if Self.initrdWords.contains(keyword) { paths = words.dropFirst() }
            else { continue }
            for path in paths {
                let reference = Reference(line: i + 1, keyword: keyword, path: Self.withoutDevice(path))
                if reference.path.contains("$") { unresolved.append(reference) } else { references.append(reference) }
            }
        }
    }

    /// `(hd0,msdos1)/boot/vmlinuz` is `/boot/vmlinuz` on the filesystem GRUB's device holds.
    static func withoutDevice(_ path: String) -> String {
        guard path.hasPrefix("("), let close = path.firstIndex(of: ")") else { return path }
        return String(path[path.index(after: close)...])
    }

    /// Braces outside quotes.
    static func braces(in line: Substring) -> Int {
        var balance = 0, quote: Character?
        for c in line {
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "'", "\"": quote = c
            case "{": balance += 1
            case "}": balance -= 1
            default: break
            }
        }
        return balance
    }
}
