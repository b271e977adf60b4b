import CanaryModel
import Foundation

/// A file named by an install tree's own metadata (`.treeinfo`'s `kernel = ...`), resolved
/// under the tree's URL and nowhere else.
///
/// The tree is someone else's content (a mirror, a shared folder): a `.treeinfo` saying
/// `kernel = ../../etc/shadow`, `/etc/shadow`, `http://elsewhere/x` or a symlink in a file://
/// tree pointing at `/root` must not make bootcanary (running as root) copy that file into its
/// cache and hand it to a guest. So a path is refused when it is not plainly relative, and a
/// file:// path is refused when its real path (symlinks resolved) leaves the tree's real path.
public enum TreePath {
    public struct Escape: Error, Equatable, CustomStringConvertible {
        public var tree: String
        public var path: String
        public var why: String
        public var description: String {
            "the install tree \(tree) names the file '\(UntrustedText.visible(path, limit: 200))', which \(why); bootcanary reads only files inside the tree. Fix the tree's .treeinfo, or point --installer at a tree you trust"
        }
    }

    /// The URL of `path` (relative, from the tree's metadata) under `base` (the tree, a folder URL).
    public static func resolve(_ path: String, under base: URL) throws -> URL {
        func refuse(_ why: String) -> Escape { Escape(tree: base.absoluteString, path: path, why: why) }
        try checkRelative(path, refuse: refuse)
        let url = base.appendingPathComponent(path)
        if base.isFileURL { return try containedFile(url, in: base, refuse: refuse) }
        // Belt and braces for http(s): the joined URL keeps the tree's scheme, host, port and path.
        let basePath = base.path.hasSuffix("/") ? base.path : base.path + "/"
        guard url.scheme == base.scheme, url.host == base.host, url.port == base.port,
              url.path.hasPrefix(basePath) else {
            throw refuse("resolves to \(url.absoluteString), outside the tree")
        }
        return url
    }

    /// The lexical rules, the same for every scheme.
    static func checkRelative(_ path: String, refuse: (String) -> Escape) throws {
        if path.isEmpty { throw refuse("is empty") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw refuse("contains control characters")
        }
        if path.contains("\\") { throw refuse("contains a backslash (some servers read it as a folder separator)") }
        if path.range(of: #"^[A-Za-z][A-Za-z0-9+.-]*:"#, options: .regularExpression) != nil || path.contains("//") {
            throw refuse("names a scheme or host of its own")
        }
        if path.hasPrefix("/") { throw refuse("is an absolute path") }
        // A server decodes %2e%2e to `..` (and %2f to `/`) before it maps the path to a file.
        let decoded = path.removingPercentEncoding ?? path
        if decoded.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw refuse("climbs out of the tree with '..'")
        }
        if decoded.hasPrefix("/") || decoded.contains("\\") { throw refuse("is an absolute path once percent-decoded") }
    }

    /// `url` when its real path is inside the tree's real path. A file that does not exist is
    /// returned as it is: reading it gives a 404 like any missing file, and nothing is read.
    static func containedFile(_ url: URL, in base: URL, refuse: (String) -> Escape) throws -> URL {
        guard let root = realPath(base.path) else { return url }
        guard let real = realPath(url.path) else { return url }
        guard real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw refuse("is really \(real) (through a symbolic link), outside the tree \(root)")
        }
        // Read the resolved path, so a link swapped after this check is not followed again.
        return URL(fileURLWithPath: real)
    }

    /// realpath(3): every symlink and `..` resolved; nil when the path does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
