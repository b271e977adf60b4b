/// A dpkg `*.md5sums` file (`/var/lib/dpkg/info/PACKAGE.md5sums`): one `MD5  path` per line,
/// the path relative to / (`c3613d8e…  boot/vmlinuz-6.1.0-57-cloud-amd64`), as dpkg-deb's
/// control archive ships it.
struct PackageChecksums: Equatable {
    struct Entry: Equatable {
        var md5: String
        /// Absolute: `/boot/vmlinuz-…`.
        var path: String
    }

    var entries: [Entry]

    init(_ text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 32, parts[0].allSatisfy(\.isHexDigit) else { return nil }
            let path = parts[1].trimmingPrefix(while: { $0 == " " })
            guard !path.isEmpty else { return nil }
            return Entry(md5: parts[0].lowercased(), path: "/" + path)
        }
    }

    /// The entries for files under /boot: the kernel, its System.map and config.
    var boot: [Entry] { entries.filter { $0.path.hasPrefix("/boot/") } }
}
