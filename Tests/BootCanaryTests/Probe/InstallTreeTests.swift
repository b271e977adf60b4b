import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryProbe

@Suite struct InstallTreeTests {
    static let treeinfo = """
    [header]
    type = productmd.treeinfo
    version = 1.2

    [general]
    family = Fedora
    version = 40
    arch = x86_64

    [images-x86_64]
    kernel = images/pxeboot/vmlinuz
    initrd = images/pxeboot/initrd.img

    [images-xen]
    kernel = images/xen/vmlinuz
    initrd = images/xen/initrd.img

    [checksums]
    images/pxeboot/vmlinuz = sha256:\(String(repeating: "ABCDEF0123456789", count: 4))
    images/xen/vmlinuz = md5:ffff
    """

    @Test func treeinfoXenSectionForPVGuests() throws {
        let m = try InstallTree.parseTreeinfo(Self.treeinfo, url: "http://t/", flavour: .xen)
        #expect(m.kernel == "images/xen/vmlinuz")
        #expect(m.initrd == "images/xen/initrd.img")
        #expect(m.layout == .treeinfo)
        #expect(m.family == "Fedora 40")
    }

    @Test func treeinfoArchSectionOtherwiseWithSha256Only() throws {
        let m = try InstallTree.parseTreeinfo(Self.treeinfo, url: "http://t/", flavour: .native(arch: "x86_64"))
        #expect(m.kernel == "images/pxeboot/vmlinuz")
        #expect(m.sha256 == ["images/pxeboot/vmlinuz": String(repeating: "abcdef0123456789", count: 4)])
    }

    @Test func treeWithoutThisArchitectureSaysWhatItHas() {
        let arm = Self.treeinfo.replacingOccurrences(of: "arch = x86_64", with: "arch = aarch64")
            .replacingOccurrences(of: "[images-x86_64]", with: "[images-aarch64]")
        #expect(throws: InstallTree.Failure.noKernel(url: "http://t/", section: "images-aarch64", available: ["images-aarch64", "images-xen"])) {
            // general.arch names the tree's architecture: an aarch64 tree has no x86_64 kernel.
            _ = try InstallTree.parseTreeinfo(arm.replacingOccurrences(of: "[images-aarch64]\nkernel", with: "[images-aarch64]\nkernelx"),
                                              url: "http://t/", flavour: .native(arch: "x86_64"))
        }
        let noXen = Self.treeinfo.replacingOccurrences(of: "[images-xen]", with: "[images-ppc]")
        #expect(throws: InstallTree.Failure.self) {
            _ = try InstallTree.parseTreeinfo(noXen, url: "http://t/", flavour: .xen)
        }
    }

    @Test func debianLayoutFollowsVirtInstall() {
        let url = "http://mirror.example/debian/dists/bookworm/main/installer-amd64/"
        let native = InstallTree.debianMedia(url: url, flavour: .native(arch: "x86_64"))
        #expect(native.kernel == "current/images/netboot/debian-installer/amd64/linux")
        #expect(native.initrd == "current/images/netboot/debian-installer/amd64/initrd.gz")
        let xen = InstallTree.debianMedia(url: url, flavour: .xen)
        #expect(xen.kernel == "current/images/netboot/xen/vmlinuz")
        #expect(xen.initrd == "current/images/netboot/xen/initrd.gz")
        #expect(InstallTree.debianArch(url: "http://x/debian/dists/sid/main/installer-arm64") == "arm64")
    }

    @Test func sha256sumsFileBecomesChecksumsByPath() throws {
        let sums = try InstallTree.parseSHA256SUMS(
            String(repeating: "a", count: 64) + "  ./netboot/xen/vmlinuz\n" + String(repeating: "b", count: 64) + "  netboot/xen/initrd.gz\n",
            under: "current/images")
        #expect(sums["current/images/netboot/xen/vmlinuz"] == String(repeating: "a", count: 64))
        #expect(sums["current/images/netboot/xen/initrd.gz"] == String(repeating: "b", count: 64))
    }

    @Test func somethingThatIsNotATree() async {
        await #expect(throws: InstallTree.Failure.notATree(url: "http://x/", tried: [".treeinfo", "treeinfo", "current/images/MANIFEST"])) {
            _ = try await InstallTree.locate(url: "http://x/", flavour: .xen) { _ in nil }
        }
    }
}

/// Real HTTP against a local server that serves a tree and misbehaves on request.
/// Against a real HTTP server: fixtures/servers/install_tree_server.py, on Debian's python3.
@Suite(.serialized, .enabled(if: HostTools.enabled, HostTools.reason)) struct InstallerFetchTests {
    @Test func fetchesVerifiesAndCachesATreeinfoTree() async throws {
        try await TreeServer.with { server, folder in
            let cache = folder.appendingPathComponent("cache")
            let fetcher = InstallerFetcher(cacheFolder: cache, http: HTTPFetch(maxBytes: 1 << 20, stallSeconds: 5))
            let first = try await fetcher.fetch(treeURL: server.url("tree"), flavour: .native(arch: "x86_64"))
            #expect(try String(contentsOf: first.kernel, encoding: .utf8) == "KERNEL-x86_64")
            #expect(try String(contentsOf: first.initrd, encoding: .utf8) == "INITRD-x86_64")
            #expect(first.fromCache == false)
            let again = try await fetcher.fetch(treeURL: server.url("tree"), flavour: .native(arch: "x86_64"))
            #expect(again.fromCache == true)
            let xen = try await fetcher.fetch(treeURL: server.url("tree"), flavour: .xen)
            #expect(try String(contentsOf: xen.kernel, encoding: .utf8) == "KERNEL-xen")
        }
    }

    @Test func checksumMismatchIsRefused() async throws {
        try await TreeServer.with { server, folder in
            // Publish a wrong checksum for the x86_64 kernel.
            let info = folder.appendingPathComponent("tree/.treeinfo")
            let text = try String(contentsOf: info, encoding: .utf8)
            try text.replacingOccurrences(of: SHA256.hex(Data("KERNEL-x86_64".utf8)), with: String(repeating: "0", count: 64))
                .write(to: info, atomically: true, encoding: .utf8)
            let fetcher = InstallerFetcher(cacheFolder: folder.appendingPathComponent("cache"), http: HTTPFetch(stallSeconds: 5))
            do {
                _ = try await fetcher.fetch(treeURL: server.url("tree"), flavour: .native(arch: "x86_64"))
                Issue.record("a kernel with the wrong checksum was accepted")
            } catch let failure as InstallerFetcher.Failure {
                guard case .checksumMismatch(_, let expected, _) = failure else { Issue.record("\(failure)"); return }
                #expect(expected == String(repeating: "0", count: 64))
            }
            // Nothing half-written is left in the cache.
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("cache").path)
            #expect(left.allSatisfy { !$0.hasPrefix(".partial") })
        }
    }

    @Test func debianLayoutWithoutTreeinfo() async throws {
        try await TreeServer.with { server, folder in
            let fetcher = InstallerFetcher(cacheFolder: folder.appendingPathComponent("cache"), http: HTTPFetch(stallSeconds: 5))
            let got = try await fetcher.fetch(treeURL: server.url("debian/dists/bookworm/main/installer-amd64/"), flavour: .native(arch: "x86_64"))
            #expect(got.media.layout == .debian)
            #expect(try String(contentsOf: got.kernel, encoding: .utf8) == "DEBIAN-LINUX")
            let xen = try await fetcher.fetch(treeURL: server.url("debian/dists/bookworm/main/installer-amd64/"), flavour: .xen)
            #expect(try String(contentsOf: xen.kernel, encoding: .utf8) == "DEBIAN-XEN")
        }
    }

    @Test func httpErrorsStallsAndOversizeAreClearErrors() async throws {
        try await TreeServer.with { server, folder in
            let http = HTTPFetch(maxBytes: 1 << 20, stallSeconds: 2)
            let dest = folder.appendingPathComponent("out")
            await #expect(throws: HTTPFetch.Failure.status(url: server.url("status/500"), code: 500)) {
                _ = try await http.download(URL(string: server.url("status/500"))!, to: dest)
            }
            let start = Date()
            await #expect(throws: HTTPFetch.Failure.stalled(url: server.url("stall/x"), seconds: 2, received: 1000)) {
                _ = try await http.download(URL(string: server.url("stall/x"))!, to: dest)
            }
            #expect(Date().timeIntervalSince(start) < 15)
            await #expect(throws: HTTPFetch.Failure.tooLarge(url: server.url("huge"), limit: 1 << 20)) {
                _ = try await http.download(URL(string: server.url("huge"))!, to: dest)
            }
            #expect(!FileManager.default.fileExists(atPath: dest.path))
            let notFound = try await http.download(URL(string: server.url("nothing-here"))!, to: dest)
            #expect(notFound.status == 404)
        }
    }

    @Test func fileURLsWork() async throws {
        try await TreeServer.with { _, folder in
            let fetcher = InstallerFetcher(cacheFolder: folder.appendingPathComponent("cache"))
            let got = try await fetcher.fetch(treeURL: "file://" + folder.appendingPathComponent("tree").path, flavour: .xen)
            #expect(try String(contentsOf: got.initrd, encoding: .utf8) == "INITRD-xen")
        }
    }
}

/// Builds a small tree in a temp folder and serves it with fixtures/servers/install_tree_server.py.
struct TreeServer {
    let port: Int
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    static func with(_ body: (TreeServer, URL) async throws -> Void) async throws {
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("tree-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: folder) }
        func put(_ path: String, _ text: String) throws {
            let url = folder.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        for (sub, label) in [("pxeboot", "x86_64"), ("xen", "xen")] {
            try put("tree/images/\(sub)/vmlinuz", "KERNEL-\(label)")
            try put("tree/images/\(sub)/initrd.img", "INITRD-\(label)")
        }
        try put("tree/.treeinfo", """
            [general]
            family = Test
            arch = x86_64
            [images-x86_64]
            kernel = images/pxeboot/vmlinuz
            initrd = images/pxeboot/initrd.img
            [images-xen]
            kernel = images/xen/vmlinuz
            initrd = images/xen/initrd.img
            [checksums]
            images/pxeboot/vmlinuz = sha256:\(SHA256.hex(Data("KERNEL-x86_64".utf8)))
            images/pxeboot/initrd.img = sha256:\(SHA256.hex(Data("INITRD-x86_64".utf8)))
            """)
        let d = "debian/dists/bookworm/main/installer-amd64/current/images"
        try put("\(d)/MANIFEST", "netboot/debian-installer/amd64/linux Debian kernel\n")
        try put("\(d)/netboot/debian-installer/amd64/linux", "DEBIAN-LINUX")
        try put("\(d)/netboot/debian-installer/amd64/initrd.gz", "DEBIAN-INITRD")
        try put("\(d)/netboot/xen/vmlinuz", "DEBIAN-XEN")
        try put("\(d)/netboot/xen/initrd.gz", "DEBIAN-XEN-INITRD")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Fixtures.servers.appendingPathComponent("install_tree_server.py").path, folder.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var line = ""
        while !line.contains("\n"), let chunk = try out.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty {
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            throw CocoaError(.fileReadUnknown)
        }
        try await body(TreeServer(port: port), folder)
    }
}
