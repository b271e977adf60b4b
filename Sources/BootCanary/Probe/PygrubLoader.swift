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

    /// pygrub could not produce a kernel: the image's bootloader is broken or unreadable.
    /// `message` is pygrub's own last line ("RuntimeError: Unable to find partition containing
    /// kernel").
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var transcript: String
        public var description: String { "pygrub: \(message)" }
    }

    /// Where Debian puts pygrub when /usr/bin/pygrub is missing.
    public static let searchDirectories = ["/usr/lib/xen-4.17/bin", "/usr/lib/xen/bin", "/usr/libexec/xen/bin"]

    public init(executable: String? = nil, timeout: Double = 60) throws {
        guard let found = executable ?? ExternalTool.find("pygrub", extraDirectories: Self.searchDirectories) else {
            throw ExternalTool.Failure.notFound("pygrub (Debian package xen-utils-4.17)")
        }
        self.executable = found
        self.timeout = timeout
    }

    /// Extracts the default entry's kernel and ramdisk from `disk` into `outputDirectory`.
    public func extract(disk: String, into outputDirectory: URL) throws -> BootEntry {
        let fm = FileManager.default
        try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        var command = [executable, "-q", "--output-format=simple", "--output-directory=\(outputDirectory.path)", disk]
        if getuid() == 0, let setpriv = ExternalTool.find("setpriv"), Self.worldReadable(disk) {
            // The output folder must be writable by the unprivileged user pygrub runs as.
            chmod(outputDirectory.path, 0o1777)
            command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"] + command
        }
        let result = try ExternalTool.run(command[0], Array(command.dropFirst()), timeout: timeout)
        if result.timedOut {
            throw Failure(message: "timed out after \(Int(timeout)) s reading \(disk)", transcript: result.stderr)
        }
        if let entry = Self.parse(result.stdout), result.status == 0 {
            return entry
        }
        let message = result.lastErrorLine ?? "exited with status \(result.status) and printed nothing"
        throw Failure(message: message, transcript: result.stdout + result.stderr)
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
