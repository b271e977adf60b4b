import CanaryModel
import Foundation

/// Finds the installer kernel and initrd in an install tree the way virt-install does
/// (virtinst/install/urldetect.py): `.treeinfo` (or `treeinfo`) with an `[images-xen]` section
/// for Xen PV guests and `[images-<general.arch>]` otherwise, checksums from `[checksums]`;
/// or the Debian netboot layout, recognised by a `current/images/MANIFEST` that mentions
/// Debian, with `netboot/xen/{vmlinuz,initrd.gz}` for Xen PV and
/// `netboot/debian-installer/<arch>/{linux,initrd.gz}` otherwise.
public enum InstallTree {
    /// Which kernel the guest needs from the tree.
    public enum Flavour: Sendable, Equatable {
        /// A Xen PV (or PVH) guest: the tree's Xen kernel.
        case xen
        /// A full-virtualization guest of this architecture (`x86_64`).
        case native(arch: String)
    }

    /// The files to fetch, relative to the tree's URL, and their checksums when the tree has them.
    public struct Media: Sendable, Equatable {
        public enum Layout: String, Sendable { case treeinfo, debian }
        public var layout: Layout
        public var kernel: String
        public var initrd: String
        /// `sha256` hex by relative path, from `.treeinfo [checksums]`.
        public var sha256: [String: String]
        /// Human description of the tree (`Debian GNU/Linux 12`).
        public var family: String?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notATree(url: String, tried: [String])
        case noKernel(url: String, section: String, available: [String])
        case malformed(url: String, file: String, why: String)

        public var description: String {
            switch self {
            case .notATree(let url, let tried):
                "\(url) is not an install tree virt-install would recognise (looked for \(tried.joined(separator: ", "))); point --installer at the folder that holds .treeinfo, or at a Debian .../installer-amd64/ folder"
            case .noKernel(let url, let section, let available):
                "the install tree \(url) has no kernel for this guest: no [\(section)] in .treeinfo (it has \(available.isEmpty ? "no image sections" : available.joined(separator: ", ")))"
            case .malformed(let url, let file, let why):
                "\(file) of the install tree \(url) cannot be read: \(why)"
            }
        }
    }

    /// Reads what the tree offers through `fetchText`, which returns a small file's text or nil
    /// when it does not exist.
    public static func locate(url: String, flavour: Flavour,
                              fetchText: (String) async throws -> String?) async throws -> Media {
        for name in [".treeinfo", "treeinfo"] {
            if let text = try await fetchText(name) { return try parseTreeinfo(text, url: url, flavour: flavour) }
        }
        if let manifest = try await fetchText("current/images/MANIFEST"), manifest.range(of: "[Dd]ebian", options: .regularExpression) != nil {
            return debianMedia(url: url, flavour: flavour)
        }
        throw Failure.notATree(url: url, tried: [".treeinfo", "treeinfo", "current/images/MANIFEST"])
    }

    public static func parseTreeinfo(_ text: String, url: String, flavour: Flavour) throws -> Media {
        let ini = INIFile(text)
        guard !ini.sections.isEmpty else { throw Failure.malformed(url: url, file: ".treeinfo", why: "no [sections]") }
        let section: String
        switch flavour {
        case .xen: section = "images-xen"
        case .native(let arch): section = "images-\(ini.value("general", "arch") ?? ini.value("tree", "arch") ?? arch)"
        }
        guard let kernel = ini.value(section, "kernel"), let initrd = ini.value(section, "initrd") else {
            throw Failure.noKernel(url: url, section: section, available: ini.sections.filter { $0.hasPrefix("images-") })
        }
        // productmd writes `path = sha256:HEX`. A checksum of a file we fetch that cannot be
        // read fails closed: ignoring it would boot an unverified kernel the tree meant to pin.
        // Other algorithms (md5, sha1, sha512) are valid productmd that we cannot check.
        var sums: [String: String] = [:]
        for (rawPath, value) in ini.entries("checksums") {
            let path = rawPath.hasPrefix("./") ? String(rawPath.dropFirst(2)) : rawPath
            let wanted = path == kernel || path == initrd
            let parts = value.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else {
                if wanted { throw Failure.malformed(url: url, file: ".treeinfo", why: "the checksum of \(path) is '\(UntrustedText.visible(value, limit: 100))', not ALGORITHM:HEX") }
                continue
            }
            guard parts[0].lowercased() == "sha256" else { continue }
            guard let hex = sha256Hex(parts[1]) else {
                if wanted { throw Failure.malformed(url: url, file: ".treeinfo", why: "the sha256 of \(path) is not 64 hex digits: '\(UntrustedText.visible(String(parts[1]), limit: 100))'") }
                continue
            }
            if let other = sums[path], other != hex, wanted {
                throw Failure.malformed(url: url, file: ".treeinfo", why: "\(path) is listed twice with different sha256 (\(other) and \(hex))")
            }
            sums[path] = hex
        }
        return Media(layout: .treeinfo, kernel: kernel, initrd: initrd, sha256: sums,
                     family: [ini.value("general", "family"), ini.value("general", "version")].compactMap { $0 }.joined(separator: " "))
    }

    public static func debianMedia(url: String, flavour: Flavour) -> Media {
        let prefix = "current/images"
        switch flavour {
        case .xen:
            return Media(layout: .debian, kernel: "\(prefix)/netboot/xen/vmlinuz", initrd: "\(prefix)/netboot/xen/initrd.gz", sha256: [:], family: "Debian")
        case .native(let arch):
            let treeArch = debianArch(url: url) ?? (arch == "x86_64" ? "amd64" : arch)
            let root = "\(prefix)/netboot/debian-installer/\(treeArch)"
            return Media(layout: .debian, kernel: "\(root)/linux", initrd: "\(root)/initrd.gz", sha256: [:], family: "Debian")
        }
    }

    /// `.../installer-amd64/` → `amd64` (virt-install's `_find_treearch`).
    static func debianArch(url: String) -> String? {
        guard let r = url.range(of: #"installer-(\w+)/?$"#, options: .regularExpression) else { return nil }
        return String(url[r].dropFirst("installer-".count).trimmingCharacters(in: CharacterSet(charactersIn: "/")))
    }

    /// Reads Debian's `SHA256SUMS` (`HEX  path`, or `HEX *path` in binary mode) into checksums by
    /// path relative to `base`. A line that names one of `wanted` but cannot be read, or two
    /// lines giving one of them different sums, fail closed (`Failure.malformed`).
    public static func parseSHA256SUMS(_ text: String, under base: String, url: String = "",
                                       wanted: Set<String> = []) throws -> [String: String] {
        var sums: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2 else { continue }
            var name = String(parts[parts.count - 1])
            if name.hasPrefix("*") { name.removeFirst() }
            if name.hasPrefix("./") { name.removeFirst(2) }
            let path = "\(base)/\(name)"
            guard parts.count == 2, let hex = sha256Hex(parts[0]) else {
                if wanted.contains(path) {
                    throw Failure.malformed(url: url, file: "\(base)/SHA256SUMS",
                                            why: "the line for \(name) is not 'SHA256  PATH': '\(UntrustedText.visible(String(line), limit: 160))'")
                }
                continue
            }
            if let other = sums[path], other != hex, wanted.contains(path) {
                throw Failure.malformed(url: url, file: "\(base)/SHA256SUMS", why: "\(name) is listed twice with different sums (\(other) and \(hex))")
            }
            sums[path] = hex
        }
        return sums
    }

    /// Lower-case hex when `text` is exactly 64 hex digits. The result also names a cache file
    /// (`sha256-HEX`), so nothing else may pass: a `/` or `..` here would leave the cache.
    static func sha256Hex<S: StringProtocol>(_ text: S) -> String? {
        let hex = text.lowercased()
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return hex
    }
}

/// The INI dialect of `.treeinfo` (Python's configparser): `[section]`, `key = value`, `#`/`;`
/// comments.
struct INIFile {
    private(set) var sections: [String] = []
    private var values: [String: [(String, String)]] = [:]

    init(_ text: String) {
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast())
                current = name
                if values[name] == nil { sections.append(name); values[name] = [] }
                continue
            }
            guard let section = current, let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = line[..<sep].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: sep)...].trimmingCharacters(in: .whitespaces)
            values[section, default: []].append((key, value))
        }
    }

    func value(_ section: String, _ key: String) -> String? {
        values[section]?.last { $0.0 == key }.map(\.1).flatMap { $0.isEmpty ? nil : $0 }
    }

    func entries(_ section: String) -> [(String, String)] { values[section] ?? [] }
}
