import CanaryModel
import Foundation

/// Fetches an install tree's kernel and initrd into a local cache, verifying checksums.
///
/// Cache layout (`$BOOTCANARY_CACHE_DIR`, else /var/cache/bootcanary for root, else
/// ~/.cache/bootcanary):
/// - `installer/sha256-HEX`: a file whose checksum the tree published (content-addressed,
///   re-verified on every hit);
/// - `installer/url-HASH/{data,meta.json}`: a file without a published checksum, keyed by its
///   URL and revalidated with a conditional request (ETag / Last-Modified).
public struct InstallerFetcher: Sendable {
    public var cacheFolder: URL
    public var http: HTTPFetch

    public init(cacheFolder: URL = InstallerFetcher.defaultCacheFolder(), http: HTTPFetch = HTTPFetch()) {
        self.cacheFolder = cacheFolder
        self.http = http
    }

    public static func defaultCacheFolder() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["BOOTCANARY_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir).appendingPathComponent("installer") }
        if getuid() == 0 { return URL(fileURLWithPath: "/var/cache/bootcanary/installer") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/bootcanary/installer")
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case checksumMismatch(url: String, expected: String, got: String)
        case missing(url: String)
        public var description: String {
            switch self {
            case .checksumMismatch(let url, let expected, let got):
                "\(url) does not match the install tree's checksum (expected sha256 \(expected), got \(got)); the tree is corrupt or was changed while published"
            case .missing(let url): "\(url) is listed by the install tree but the server has no such file (404)"
            }
        }
    }

    /// The fetched installer: local paths of kernel and initrd, and where they came from.
    public struct Fetched: Sendable, Equatable {
        public var kernel: URL
        public var initrd: URL
        public var media: InstallTree.Media
        public var treeURL: String
        public var fromCache: Bool
    }

    /// The longest any tree's files may take, whatever the boot's timeout: a netboot kernel and
    /// initrd are about 60 MB, 10 minutes is under 100 KB/s, slower than any usable mirror.
    public static let maximumFetchSeconds = 600.0

    /// The time allowed for fetching the tree's files for a boot whose `--timeout` is
    /// `bootTimeout`: never longer than the boot itself may take, and never over the cap.
    public static func fetchSeconds(bootTimeout: Double) -> Double {
        min(bootTimeout, maximumFetchSeconds)
    }

    /// Locates the media in the tree at `treeURL` and fetches both files, all of it within
    /// `seconds` (`.treeinfo`, checksums, kernel and initrd share one deadline).
    public func fetch(treeURL: String, flavour: InstallTree.Flavour,
                      within seconds: Double = InstallerFetcher.maximumFetchSeconds) async throws -> Fetched {
        var bounded = self
        bounded.http.deadline = HTTPFetch.Deadline(seconds: seconds)
        return try await bounded.fetchBounded(treeURL: treeURL, flavour: flavour)
    }

    func fetchBounded(treeURL: String, flavour: InstallTree.Flavour) async throws -> Fetched {
        let base = Self.directoryURL(treeURL)
        // Every path the tree names goes through TreePath: none may leave the tree.
        let media = try await InstallTree.locate(url: treeURL, flavour: flavour) { path in
            try await http.text(try TreePath.resolve(path, under: base))
        }
        var sums = media.sha256
        if media.layout == .debian {
            // A missing SHA256SUMS (404) means the tree publishes none; any other failure to
            // read it fails closed rather than skipping verification.
            let images = "current/images"
            if let text = try await http.text(try TreePath.resolve("\(images)/SHA256SUMS", under: base)) {
                let published = try InstallTree.parseSHA256SUMS(text, under: images, url: treeURL, wanted: [media.kernel, media.initrd])
                sums.merge(published) { a, _ in a }
            }
        }
        let kernelURL = try TreePath.resolve(media.kernel, under: base)
        let initrdURL = try TreePath.resolve(media.initrd, under: base)
        let (kernel, k) = try await file(kernelURL, sha256: sums[media.kernel])
        let (initrd, i) = try await file(initrdURL, sha256: sums[media.initrd])
        return Fetched(kernel: kernel, initrd: initrd, media: media, treeURL: treeURL, fromCache: k && i)
    }

    /// A tree URL is a folder: make sure relative paths resolve under it.
    static func directoryURL(_ text: String) -> URL {
        let withSlash = text.hasSuffix("/") ? text : text + "/"
        if let url = URL(string: withSlash), url.scheme != nil { return url }
        return URL(fileURLWithPath: withSlash, isDirectory: true)
    }

    /// One file, from the cache when possible. Returns its path and whether it was cached.
    func file(_ url: URL, sha256 expected: String?) async throws -> (URL, Bool) {
        let fm = FileManager.default
        try fm.createDirectory(at: cacheFolder, withIntermediateDirectories: true)
        if let expected {
            let cached = cacheFolder.appendingPathComponent("sha256-\(expected)")
            if fm.fileExists(atPath: cached.path), (try? SHA256.hex(ofFile: cached.path)) == expected {
                return (cached, true)
            }
            let partial = cacheFolder.appendingPathComponent(".partial-\(UUID().uuidString)")
            defer { try? fm.removeItem(at: partial) }
            let response = try await http.download(url, to: partial)
            guard response.status == 200 else { throw Failure.missing(url: url.absoluteString) }
            let got = try SHA256.hex(ofFile: partial.path)
            guard got == expected else { throw Failure.checksumMismatch(url: url.absoluteString, expected: expected, got: got) }
            try? fm.removeItem(at: cached)
            try fm.moveItem(at: partial, to: cached)
            chmod(cached.path, 0o644)
            return (cached, false)
        }
        let folder = cacheFolder.appendingPathComponent("url-\(SHA256.hex(Data(url.absoluteString.utf8)).prefix(24))")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = folder.appendingPathComponent("data")
        let metaURL = folder.appendingPathComponent("meta.json")
        let meta = (try? Data(contentsOf: metaURL)).flatMap { try? JSONFormat.decoder(.line).decode(CacheMeta.self, from: $0) }
        let haveData = fm.fileExists(atPath: data.path)
        let partial = folder.appendingPathComponent(".partial-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: partial) }
        let response = try await http.download(url, to: partial,
                                               ifNoneMatch: haveData ? meta?.etag : nil,
                                               ifModifiedSince: haveData ? meta?.lastModified : nil)
        if response.status == 304 && haveData { return (data, true) }
        guard response.status == 200 else { throw Failure.missing(url: url.absoluteString) }
        try? fm.removeItem(at: data)
        try fm.moveItem(at: partial, to: data)
        chmod(data.path, 0o644)
        try JSONFormat.encoder(.line).encode(CacheMeta(url: url.absoluteString, etag: response.etag, lastModified: response.lastModified)).write(to: metaURL)
        return (data, false)
    }

    struct CacheMeta: Codable {
        var url: String
        var etag: String?
        var lastModified: String?
    }
}
