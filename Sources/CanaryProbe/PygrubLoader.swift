import CanaryEvidence
import Foundation

/// Runs the real `pygrub` on a guest disk to find the kernel its bootloader config names —
/// what libxl does on a Xen host before it builds a PV guest. On other drivers bootcanary does
/// this itself and boots the extracted kernel directly.
///
/// pygrub parses an untrusted image (a guest that may be broken or hostile wrote it), so it runs
/// as `nobody` through `setpriv` when the image is readable by everyone, non-interactively
/// (`-q`; without it and without a terminal it fails inside curses, LAB-NOTES.md), with a
/// deadline.
public struct PygrubLoader: Sendable {
    public var executable: String
    public var timeout: Double

    /// What pygrub found in the image.
    public struct BootEntry: Sendable, Equatable {
        public var kernel: String
        public var ramdisk: String?
        public var args: String
    }

    /// pygrub could not produce a kernel. `message` is pygrub's own last line ("RuntimeError:
    /// Unable to find partition containing kernel"); `readImage` says whether the failing step
    /// got as far as reading the image's content, the only case that is evidence about the image.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var transcript: String
        public var readImage: Bool
        public var description: String { "pygrub: \(message)" }
    }

    /// Where Debian puts pygrub when /usr/bin/pygrub is missing.
    public static let searchDirectories = ["/usr/lib/xen-4.17/bin", "/usr/lib/xen/bin", "/usr/libexec/xen/bin"]

    /// The unprivileged user pygrub runs as when bootcanary is root.
    static let user = (name: "nobody", group: "nogroup")

    public init(executable: String? = nil, timeout: Double = 60) throws {
        guard let found = executable ?? ExternalTool.find("pygrub", extraDirectories: Self.searchDirectories) else {
            throw ExternalTool.Failure.notFound("pygrub (Debian package xen-utils-4.17)")
        }
        self.executable = found
        self.timeout = timeout
    }

    /// Extracts the default entry's kernel and ramdisk from `disk` (a raw disk, readable by the
    /// user pygrub runs as) into `outputDirectory`, which must not exist yet.
    ///
    /// As root, pygrub runs as `nobody` with no capabilities and no new privileges: it parses a
    /// filesystem a hostile guest may have crafted (XSA-443). Its own `--runas` cannot help an
    /// image only root can read (measured: its chroot's bind-mounted `/device` still fails
    /// with "Permission denied"), so callers hand it a raw view it can read instead.
    public func extract(disk: String, into outputDirectory: URL) throws -> BootEntry {
        var command = [executable, "-q", "--output-format=simple", "--output-directory=\(outputDirectory.path)", disk]
        if geteuid() == 0 {
            guard let setpriv = ExternalTool.find("setpriv") else {
                throw Failure(message: "setpriv (util-linux) is missing, and pygrub must not read a guest's filesystem as root",
                              transcript: "", readImage: false)
            }
            guard let pw = getpwnam(Self.user.name), let gr = getgrnam(Self.user.group) else {
                throw Failure(message: "there is no user \(Self.user.name):\(Self.user.group) to run pygrub as", transcript: "", readImage: false)
            }
            try ScratchFolder.makeFolder(outputDirectory, mode: 0o700)
            // Only pygrub's user writes here; the folder sits in bootcanary's own scratch.
            chown(outputDirectory.path, pw.pointee.pw_uid, gr.pointee.gr_gid)
            command = [setpriv, "--reuid=\(Self.user.name)", "--regid=\(Self.user.group)", "--clear-groups",
                       "--inh-caps=-all", "--no-new-privs"] + command
        } else {
            try ScratchFolder.makeFolder(outputDirectory, mode: 0o700)
        }
        let result = try ExternalTool.run(command[0], Array(command.dropFirst()), timeout: timeout,
                                          environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"])
        if result.timedOut {
            // A slow parse proves nothing about the image: the host may be loaded.
            throw Failure(message: "timed out after \(Int(timeout)) s reading \(disk)", transcript: result.stderr, readImage: false)
        }
        if let entry = Self.parse(result.stdout), result.status == 0 {
            let checked = try Self.confined(entry, to: outputDirectory)
            if geteuid() == 0 {
                // Ours again, so pygrub's user cannot change the kernel after the check, and
                // traversable for the hypervisor's user (libvirt relabels the files themselves).
                for path in [checked.kernel, checked.ramdisk].compactMap({ $0 }) { chown(path, 0, 0) }
                chown(outputDirectory.path, 0, 0)
                chmod(outputDirectory.path, 0o711)
            }
            return checked
        }
        let message = result.lastErrorLine ?? "exited with status \(result.status) and printed nothing"
        throw Failure(message: message, transcript: result.stdout + result.stderr,
                      readImage: RefusalTable.pygrubReadTheImage(result.stderr))
    }

    /// The kernel and ramdisk pygrub names must be regular files it wrote inside its output
    /// folder: its output is as untrusted as the image it read, and a path like /etc/shadow
    /// would otherwise be handed to the hypervisor.
    static func confined(_ entry: BootEntry, to folder: URL) throws -> BootEntry {
        guard let base = realpath(folder.path, nil) else {
            throw Failure(message: "its output folder \(folder.path) vanished", transcript: "", readImage: false)
        }
        let root = String(cString: base) + "/"
        free(base)
        func check(_ path: String, _ what: String) throws -> String {
            var st = stat()
            guard let real = realpath(path, nil) else {
                throw Failure(message: "named a \(what) \(path) that does not exist", transcript: "", readImage: false)
            }
            let resolved = String(cString: real)
            free(real)
            guard resolved.hasPrefix(root), lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                throw Failure(message: "named a \(what) outside its output folder (\(path)); refused", transcript: "", readImage: false)
            }
            return resolved
        }
        var checked = entry
        checked.kernel = try check(entry.kernel, "kernel")
        if let ramdisk = entry.ramdisk { checked.ramdisk = try check(ramdisk, "ramdisk") }
        return checked
    }

    /// Parses `--output-format=simple`: `kernel PATH`, `ramdisk PATH`, `args ...`.
    public static func parse(_ output: String) -> BootEntry? {
        var kernel: String?
        var ramdisk: String?
        var args = ""
        for line in output.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let key = parts.first else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            switch key {
            case "kernel": kernel = value
            case "ramdisk": ramdisk = value.isEmpty ? nil : value
            case "args": args = value
            default: continue
            }
        }
        guard let kernel, !kernel.isEmpty else { return nil }
        return BootEntry(kernel: kernel, ramdisk: ramdisk, args: args)
    }

    /// True when `nobody` could read the file: world-readable, in world-traversable folders.
    static func worldReadable(_ path: String) -> Bool {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: url.path),
              let mode = attrs[.posixPermissions] as? Int, mode & 0o004 != 0 else { return false }
        while url.path != "/" {
            url.deleteLastPathComponent()
            guard let a = try? FileManager.default.attributesOfItem(atPath: url.path),
                  let m = a[.posixPermissions] as? Int, m & 0o001 != 0 else { return false }
        }
        return true
    }
}
