import Foundation
import Testing
@testable import CanaryProbe

/// Scratch space nobody else can plant things in, and pygrub output that cannot point
/// outside pygrub's own folder.
@Suite struct SandboxTests {
    static func temp(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return url
    }

    /// The attack: a symlink planted where the scratch root should be, pointing at the
    /// suspect image's folder. bootcanary refuses the root and creates nothing through it.
    @Test func plantedSymlinkAsScratchRootIsRefused() throws {
        let dir = try Self.temp("plant")
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        let root = dir.appendingPathComponent("scratch")
        try FileManager.default.createSymbolicLink(at: root, withDestinationURL: victim)
        #expect {
            try ScratchFolder.makeBootFolder(in: root, name: "bootcanary-abc-pygrub-1")
        } throws: { error in
            (error as? ScratchFolder.Failure)?.description.contains("symbolic link") == true
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path).isEmpty)
    }

    @Test func worldWritableScratchRootIsRefused() throws {
        let dir = try Self.temp("ww")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: false)
        chmod(root.path, 0o777)
        #expect(throws: ScratchFolder.Failure.self) { try ScratchFolder.prepareRoot(root) }
    }

    /// A fresh root is made 0711 (traversable for libvirt-qemu, not listable), a boot folder
    /// exclusively: the same name twice is refused rather than reused.
    @Test func bootFoldersAreFreshAndPrivate() throws {
        let dir = try Self.temp("fresh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("scratch")
        let folder = try ScratchFolder.makeBootFolder(in: root, name: "bootcanary-abc-kernel-1")
        var st = stat()
        #expect(lstat(root.path, &st) == 0 && st.st_mode & 0o777 == 0o711)
        #expect(lstat(folder.path, &st) == 0 && st.st_mode & 0o777 == 0o711)
        #expect(throws: ScratchFolder.Failure.self) { try ScratchFolder.makeBootFolder(in: root, name: "bootcanary-abc-kernel-1") }
    }

    /// `reserve` never writes through a link: qemu-img then writes a file that is ours.
    @Test func reserveDoesNotFollowASymlink() throws {
        let dir = try Self.temp("reserve")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("image.img")
        try Data("precious".utf8).write(to: target)
        let link = dir.appendingPathComponent("overlay.qcow2")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(throws: ScratchFolder.Failure.self) { try ScratchFolder.reserve(link.path) }
        #expect(try String(contentsOf: target, encoding: .utf8) == "precious")
    }

    /// A stand-in pygrub that prints what a hostile image's grub.cfg could make pygrub print.
    static func fakePygrub(_ script: String) throws -> (URL, String) {
        let dir = try Self.temp("fakepygrub")
        let path = dir.appendingPathComponent("pygrub").path
        try Data(("#!/bin/sh\n" + script + "\n").utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return (dir, path)
    }

    @Test(arguments: [
        // a path outside the output folder
        "echo 'kernel /etc/passwd'; echo 'args ro'",
        // a path that climbs out of it
        "out=${3#--output-directory=}; echo \"kernel $out/../../../../etc/passwd\"",
        // a symlink inside it pointing outside
        "out=${3#--output-directory=}; ln -s /etc/passwd \"$out/boot_kernel.x\"; echo \"kernel $out/boot_kernel.x\"",
    ])
    func pygrubOutputOutsideItsFolderIsRefused(_ script: String) throws {
        let (dir, pygrub) = try Self.fakePygrub(script)
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = dir.appendingPathComponent("disk.img")
        try Data(count: 1 << 20).write(to: disk)
        chmod(disk.path, 0o644)
        let loader = try PygrubLoader(executable: pygrub, timeout: 20)
        #expect {
            try loader.extract(disk: disk.path, into: dir.appendingPathComponent("boot"))
        } throws: { error in
            guard let f = error as? PygrubLoader.Failure else { return false }
            return !f.readImage && (f.message.contains("outside its output folder") || f.message.contains("does not exist"))
        }
    }

    /// As root, pygrub runs as nobody with no capabilities: what it runs as is what it reports.
    @Test(.enabled(if: HostTools.asRoot, "only root deprivileges pygrub; \(HostTools.reason)"))
    func pygrubRunsUnprivileged() throws {
        let (dir, pygrub) = try Self.fakePygrub("out=${3#--output-directory=}; id -u > \"$out/k\"; echo \"kernel $out/k\"")
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = dir.appendingPathComponent("disk.img")
        try Data(count: 1 << 20).write(to: disk)
        chmod(disk.path, 0o644)
        let entry = try PygrubLoader(executable: pygrub, timeout: 20).extract(disk: disk.path, into: dir.appendingPathComponent("boot"))
        let uid = try String(contentsOfFile: entry.kernel, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(uid == String(getpwnam("nobody").pointee.pw_uid))
    }
}
