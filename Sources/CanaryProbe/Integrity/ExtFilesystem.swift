import CanaryEvidence
import Foundation

/// An ext2/3/4 filesystem inside a raw disk file, read through `debugfs -c` only: catastrophic
/// mode opens the device read-only and skips the bitmaps, so a damaged filesystem still shows
/// its files. Nothing here mounts, and no request can write (debugfs without `-w` opens
/// O_RDONLY). Paths are checked by `DebugfsPath` first.
struct ExtFilesystem {
    /// What e2fsprogs opens: the raw file, or `FILE?offset=N` for a partition. e2fsprogs'
    /// unix io manager reads options after `?` (1.47.0 on Debian 12: `debugfs -c -R 'cat
    /// /boot/grub/grub.cfg' 'guest-bios.img?offset=1048576'` prints the partition's file).
    let device: String
    let tools: IntegrityTools

    static func device(file: String, offset: UInt64) -> String { offset == 0 ? file : "\(file)?offset=\(offset)" }

    enum Failure: Error, CustomStringConvertible {
        case tool(IntegrityTools.Failure)
        case unsafePath(String)
        case notFound(String)
        case unreadable(String)
        var description: String {
            switch self {
            case .tool(let f): f.description
            case .unsafePath(let p): "the path \(p.debugDescription) is not one bootcanary hands to debugfs (only letters, digits and ._+-~/)"
            case .notFound(let p): "\(p) is not in the filesystem"
            case .unreadable(let why): why
            }
        }
    }

    /// Runs one debugfs request. debugfs exits 0 even when it cannot open the filesystem
    /// ("debugfs: Bad magic number in super-block while trying to open IMAGE"), so its
    /// stderr is read instead.
    @available(*, noasync)
    func request(_ command: String, saveAs name: String) throws(Failure) -> IntegrityTools.Run {
        let run: IntegrityTools.Run
        do { run = try tools.run("debugfs", ["-c", "-R", command, device], saveAs: name) } catch { throw .tool(error) }
        if let line = run.result.stderr.split(separator: "\n").first(where: { $0.contains("while trying to open") || $0.contains("while opening filesystem") }) {
            throw .unreadable(String(line).trimmingCharacters(in: .whitespaces))
        }
        return run
    }

    /// Whether debugfs can open the filesystem at all: nil, or its complaint.
    @available(*, noasync)
    func openProblem() -> String? {
        do { _ = try request("stats -h", saveAs: "debugfs-stats"); return nil } catch { return error.description }
    }

    /// A file's content as text.
    @available(*, noasync)
    func cat(_ path: String, saveAs name: String) throws(Failure) -> String {
        guard DebugfsPath.isSafe(path) else { throw .unsafePath(path) }
        let run = try request("cat \(path)", saveAs: name)
        if run.result.stderr.contains("File not found by ext2_lookup") { throw .notFound(path) }
        return run.result.stdout
    }

    /// A regular file's size, or nil when it is not there. `stat` prints "Type: regular" and
    /// "Size: 8123456" (debugfs 1.47), or "PATH: File not found by ext2_lookup".
    @available(*, noasync)
    func size(of path: String, saveAs name: String) throws(Failure) -> (type: String, size: UInt64)? {
        guard DebugfsPath.isSafe(path) else { throw .unsafePath(path) }
        let run = try request("stat \(path)", saveAs: name)
        if run.result.stderr.contains("File not found by ext2_lookup") { return nil }
        func field(_ key: String) -> String? {
            guard let r = run.result.stdout.range(of: key) else { return nil }
            return run.result.stdout[r.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init)
        }
        guard let type = field("Type: ") else { throw .unreadable("debugfs stat \(path) printed no inode") }
        return (type, field("Size: ").flatMap { UInt64($0) } ?? 0)
    }

    /// The names in a directory (`ls -p` prints `/INODE/MODE/UID/GID/NAME/SIZE/` per entry).
    @available(*, noasync)
    func list(_ path: String, saveAs name: String) throws(Failure) -> [String] {
        guard DebugfsPath.isSafe(path) else { throw .unsafePath(path) }
        let run = try request("ls -p \(path)", saveAs: name)
        if run.result.stderr.contains("File not found by ext2_lookup") { throw .notFound(path) }
        return run.result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "/", omittingEmptySubsequences: false)
            return fields.count >= 7 ? String(fields[5]) : nil
        }.filter { $0 != "." && $0 != ".." }
    }

    /// Copies a file out of the filesystem into `destination` (a scratch path reserved
    /// exclusively beforehand, so debugfs writes a file that is ours).
    @available(*, noasync)
    func dump(_ path: String, to destination: String, saveAs name: String) throws(Failure) {
        guard DebugfsPath.isSafe(path) else { throw .unsafePath(path) }
        guard DebugfsPath.isSafe(destination) else { throw .unsafePath(destination) }
        let run = try request("dump \(path) \(destination)", saveAs: name)
        if run.result.stderr.contains("File not found by ext2_lookup") { throw .notFound(path) }
    }
}
