import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryProbe

/// Runs `body`, recording an issue and cancelling it when it takes longer than `seconds`: a
/// test of a deadline must fail, not hang, when the deadline is gone.
func withTimeLimit(_ seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { try await body(); return true }
        group.addTask { try await Task.sleep(for: .seconds(seconds)); return false }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { Issue.record("still running after \(seconds) s") }
    }
}

/// A server that sends one byte a second never trips the stall timeout; the overall deadline
/// abandons it.
@Suite(.serialized) struct TrickleDeadlineTests {
    @Test func aTricklingKernelIsAbandonedAtTheTreeDeadline() async throws {
        try await TreeServer.with { server, folder in
            // The server trickles any path with /trickle/ in it.
            let tree = folder.appendingPathComponent("slow")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try "[general]\narch = x86_64\n[images-x86_64]\nkernel = trickle/vmlinuz\ninitrd = trickle/initrd.img\n"
                .write(to: tree.appendingPathComponent(".treeinfo"), atomically: true, encoding: .utf8)
            let fetcher = InstallerFetcher(cacheFolder: folder.appendingPathComponent("cache"), http: HTTPFetch(stallSeconds: 5))
            let url = server.url("slow")
            // On time is asserted by the bytes received when the deadline fired (one a second),
            // not by when this task resumes: in a loaded run the deadline fired 0.5 ms after its
            // instant and the task resumed 5.8 s later, on the busy cooperative pool (failed an
            // 8 s bound in 1 of 5 runs on main, 12.8 s). No lower bound: with the deadline on
            // time, a loaded run had received no byte yet (it is `.deadline`, not `.stalled`,
            // that shows which limit ended it).
            try await withTimeLimit(30) {
                do {
                    _ = try await fetcher.fetch(treeURL: url, flavour: .native(arch: "x86_64"), within: 3)
                    Issue.record("a trickled kernel was accepted")
                } catch let failure as HTTPFetch.Failure {
                    guard case .deadline(let at, let seconds, let received) = failure else { Issue.record("\(failure)"); return }
                    #expect(at == server.url("slow/trickle/vmlinuz"))
                    #expect(seconds == 3)
                    #expect(received < 10, "\(received) bytes")
                    #expect(failure.description.contains("not fetched within the 3 s allowed"))
                }
            }
        }
    }

    @Test func oneDeadlineCoversEveryFileOfTheTree() async throws {
        try await TreeServer.with { server, folder in
            // A deadline already spent refuses the next file at once, before any request.
            let spent = HTTPFetch(stallSeconds: 5, deadline: HTTPFetch.Deadline(seconds: 1, from: .now - .seconds(2)))
            await #expect(throws: HTTPFetch.Failure.deadline(url: server.url("tree/.treeinfo"), seconds: 1, received: 0)) {
                _ = try await spent.text(URL(string: server.url("tree/.treeinfo"))!)
            }
            // A healthy tree inside its deadline still fetches.
            let fetcher = InstallerFetcher(cacheFolder: folder.appendingPathComponent("cache"), http: HTTPFetch(stallSeconds: 5))
            let got = try await fetcher.fetch(treeURL: server.url("tree"), flavour: .xen, within: 20)
            #expect(try String(contentsOf: got.kernel, encoding: .utf8) == "KERNEL-xen")
        }
    }

    @Test func theDeadlineFitsInsideTheBootTimeout() {
        #expect(InstallerFetcher.fetchSeconds(bootTimeout: 45) == 45)
        #expect(InstallerFetcher.fetchSeconds(bootTimeout: 86_400) == InstallerFetcher.maximumFetchSeconds)
    }
}

/// A tree's metadata cannot name files outside the tree.
@Suite struct TreeEscapeTests {
    static let http = URL(string: "http://mirror.example/tree/")!

    @Test(arguments: [
        ("../../etc/shadow", "climbs out of the tree with '..'"),
        ("images/../../../etc/shadow", "climbs out of the tree with '..'"),
        ("%2e%2e/%2e%2e/etc/shadow", "climbs out of the tree with '..'"),
        ("images/%2E%2E%2f..%2fetc/shadow", "climbs out of the tree with '..'"),
        ("/etc/shadow", "is an absolute path"),
        ("%2fetc/shadow", "is an absolute path once percent-decoded"),
        ("http://evil.example/vmlinuz", "names a scheme or host of its own"),
        ("file:/etc/shadow", "names a scheme or host of its own"),
        ("//evil.example/vmlinuz", "names a scheme or host of its own"),
        ("images\\..\\..\\etc\\shadow", "contains a backslash"),
        ("images/vmlinuz\n", "contains control characters"),
        ("", "is empty"),
    ])
    func escapingPathsAreRefused(path: String, why: String) {
        do {
            let url = try TreePath.resolve(path, under: Self.http)
            Issue.record("\(path) resolved to \(url)")
        } catch let escape as TreePath.Escape {
            #expect(escape.why.hasPrefix(why), "\(escape)")
            #expect(escape.description.contains("the install tree http://mirror.example/tree/ names the file"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func plainRelativePathsStayUnderTheTree() throws {
        #expect(try TreePath.resolve("images/pxeboot/vmlinuz", under: Self.http).absoluteString == "http://mirror.example/tree/images/pxeboot/vmlinuz")
        #expect(try TreePath.resolve("current/images/netboot/xen/vmlinuz", under: Self.http).host == "mirror.example")
    }

    /// A file:// tree in a temp folder next to a secret, with every way out of it.
    @Test(arguments: ["relative", "absolute", "link", "linked-folder", "treeinfo-link"])
    func fileTreesCannotReachOutside(attack: String) async throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("escape-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let tree = root.appendingPathComponent("tree")
        let secret = root.appendingPathComponent("outside/secret")
        try fm.createDirectory(at: tree.appendingPathComponent("images"), withIntermediateDirectories: true)
        try fm.createDirectory(at: secret.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "SECRET".write(to: secret, atomically: true, encoding: .utf8)
        try "INITRD".write(to: tree.appendingPathComponent("images/initrd.img"), atomically: true, encoding: .utf8)
        let kernel: String
        switch attack {
        case "relative": kernel = "../outside/secret"
        case "absolute": kernel = secret.path
        case "link":
            try fm.createSymbolicLink(atPath: tree.appendingPathComponent("images/vmlinuz").path, withDestinationPath: "../../outside/secret")
            kernel = "images/vmlinuz"
        case "linked-folder":
            try fm.createSymbolicLink(atPath: tree.appendingPathComponent("images/boot").path, withDestinationPath: secret.deletingLastPathComponent().path)
            kernel = "images/boot/secret"
        default:
            kernel = "images/vmlinuz"
        }
        let info = "[general]\narch = x86_64\n[images-x86_64]\nkernel = \(kernel)\ninitrd = images/initrd.img\n"
        if attack == "treeinfo-link" {
            // The tree's own .treeinfo is a link to a file elsewhere (here a valid-looking one).
            try info.write(to: secret, atomically: true, encoding: .utf8)
            try fm.createSymbolicLink(atPath: tree.appendingPathComponent(".treeinfo").path, withDestinationPath: secret.path)
        } else {
            try info.write(to: tree.appendingPathComponent(".treeinfo"), atomically: true, encoding: .utf8)
        }
        let cache = root.appendingPathComponent("cache")
        let fetcher = InstallerFetcher(cacheFolder: cache)
        do {
            let got = try await fetcher.fetch(treeURL: "file://" + tree.path, flavour: .native(arch: "x86_64"))
            Issue.record("\(attack): fetched \(got.kernel.path)")
        } catch let escape as TreePath.Escape {
            #expect(escape.tree == "file://" + tree.path + "/", "\(escape)")
            #expect(escape.description.contains("bootcanary reads only files inside the tree"), "\(escape)")
            if attack.hasSuffix("link") || attack == "linked-folder" {
                #expect(escape.why.contains("through a symbolic link"), "\(escape)")
            }
        }
        // Nothing of the secret reached the cache.
        let cached = (try? fm.subpathsOfDirectory(atPath: cache.path)) ?? []
        for name in cached {
            let text = try? String(contentsOf: cache.appendingPathComponent(name), encoding: .utf8)
            #expect(text?.contains("SECRET") != true, "\(name)")
        }
    }
}

/// Published checksums are checked and fail closed.
@Suite struct PublishedChecksumTests {
    /// A file:// tree with `files`, in a fresh temp folder.
    static func withTree(_ files: [String: String], _ body: (URL) async throws -> Void) async throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("sums-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        for (path, text) in files {
            let url = root.appendingPathComponent("tree/" + path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try await body(root)
    }

    static func treeinfo(kernelSum: String) -> String {
        "[general]\narch = x86_64\n[images-x86_64]\nkernel = images/vmlinuz\ninitrd = images/initrd.img\n[checksums]\nimages/vmlinuz = \(kernelSum)\n"
    }

    @Test func aMismatchNamesTheFileAndBothSums() async throws {
        let wrong = String(repeating: "0", count: 64)
        try await Self.withTree([".treeinfo": Self.treeinfo(kernelSum: "sha256:" + wrong), "images/vmlinuz": "KERNEL", "images/initrd.img": "INITRD"]) { root in
            let fetcher = InstallerFetcher(cacheFolder: root.appendingPathComponent("cache"))
            do {
                _ = try await fetcher.fetch(treeURL: "file://" + root.appendingPathComponent("tree").path, flavour: .native(arch: "x86_64"))
                Issue.record("a kernel with the wrong checksum was accepted")
            } catch let failure as InstallerFetcher.Failure {
                let actual = SHA256.hex(Data("KERNEL".utf8))
                #expect(failure == .checksumMismatch(url: "file://" + root.appendingPathComponent("tree/images/vmlinuz").path, expected: wrong, got: actual))
                #expect(failure.description.contains("images/vmlinuz"))
                #expect(failure.description.contains("expected sha256 \(wrong), got \(actual)"))
            }
        }
    }

    @Test(arguments: [
        ("sha256:1234", "the sha256 of images/vmlinuz is not 64 hex digits: '1234'"),
        ("sha256:" + String(repeating: "g", count: 64), "is not 64 hex digits"),
        ("sha256:../../../../tmp/" + String(repeating: "a", count: 49), "is not 64 hex digits"),
        (String(repeating: "a", count: 64), "is '\(String(repeating: "a", count: 64))', not ALGORITHM:HEX"),
    ])
    func anUnreadableTreeinfoChecksumFailsClosed(value: String, why: String) throws {
        #expect {
            _ = try InstallTree.parseTreeinfo(Self.treeinfo(kernelSum: value), url: "http://t/", flavour: .native(arch: "x86_64"))
        } throws: { error in
            guard let failure = error as? InstallTree.Failure, case .malformed(_, let file, let message) = failure else { return false }
            return file == ".treeinfo" && message.contains(why)
        }
    }

    @Test func checksumsOfFilesNotFetchedDoNotMatter() throws {
        let text = Self.treeinfo(kernelSum: "sha256:" + String(repeating: "a", count: 64)) + "images/other.iso = sha256:nonsense\nimages/initrd.img = md5:0123\n"
        let media = try InstallTree.parseTreeinfo(text, url: "http://t/", flavour: .native(arch: "x86_64"))
        #expect(media.sha256 == ["images/vmlinuz": String(repeating: "a", count: 64)])
    }

    @Test func conflictingSumsForOneFileFailClosed() {
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)
        #expect(throws: InstallTree.Failure.self) {
            _ = try InstallTree.parseTreeinfo(Self.treeinfo(kernelSum: "sha256:" + a) + "./images/vmlinuz = sha256:\(b)\n",
                                              url: "http://t/", flavour: .native(arch: "x86_64"))
        }
        #expect(throws: InstallTree.Failure.self) {
            _ = try InstallTree.parseSHA256SUMS("\(a)  ./netboot/xen/vmlinuz\n\(b) *netboot/xen/vmlinuz\n", under: "current/images",
                                                wanted: ["current/images/netboot/xen/vmlinuz"])
        }
    }

    static let debian = "debian/dists/bookworm/main/installer-amd64/"
    static func debianTree(sums: String) -> [String: String] {
        let d = debian + "current/images/"
        return [d + "MANIFEST": "netboot/xen/vmlinuz Debian Xen kernel\n", d + "netboot/xen/vmlinuz": "DEBIAN-XEN",
                d + "netboot/xen/initrd.gz": "DEBIAN-XEN-INITRD", d + "SHA256SUMS": sums]
    }

    @Test func debianSHA256SUMSIsEnforced() async throws {
        let initrd = SHA256.hex(Data("DEBIAN-XEN-INITRD".utf8))
        let wrong = String(repeating: "e", count: 64)
        try await Self.withTree(Self.debianTree(sums: "\(wrong)  ./netboot/xen/vmlinuz\n\(initrd)  ./netboot/xen/initrd.gz\n")) { root in
            let fetcher = InstallerFetcher(cacheFolder: root.appendingPathComponent("cache"))
            await #expect(throws: InstallerFetcher.Failure.self) {
                _ = try await fetcher.fetch(treeURL: "file://" + root.appendingPathComponent("tree/" + Self.debian).path, flavour: .xen)
            }
        }
        // A line for the kernel that cannot be read is refused, naming SHA256SUMS.
        try await Self.withTree(Self.debianTree(sums: "not-a-sum  ./netboot/xen/vmlinuz\n\(initrd)  ./netboot/xen/initrd.gz\n")) { root in
            let fetcher = InstallerFetcher(cacheFolder: root.appendingPathComponent("cache"))
            do {
                _ = try await fetcher.fetch(treeURL: "file://" + root.appendingPathComponent("tree/" + Self.debian).path, flavour: .xen)
                Issue.record("an unreadable SHA256SUMS line was ignored")
            } catch let failure as InstallTree.Failure {
                guard case .malformed(_, let file, let why) = failure else { Issue.record("\(failure)"); return }
                #expect(file == "current/images/SHA256SUMS")
                #expect(why.contains("the line for netboot/xen/vmlinuz is not 'SHA256  PATH'"))
            }
        }
        // The right sums pass.
        let kernel = SHA256.hex(Data("DEBIAN-XEN".utf8))
        try await Self.withTree(Self.debianTree(sums: "\(kernel)  ./netboot/xen/vmlinuz\n\(initrd) *./netboot/xen/initrd.gz\n")) { root in
            let fetcher = InstallerFetcher(cacheFolder: root.appendingPathComponent("cache"))
            let got = try await fetcher.fetch(treeURL: "file://" + root.appendingPathComponent("tree/" + Self.debian).path, flavour: .xen)
            #expect(got.kernel.lastPathComponent == "sha256-\(kernel)")
        }
    }
}
