import Foundation

/// Where bootcanary keeps what it makes for a boot (overlays, raw views, extracted kernels).
///
/// The root belongs to the user bootcanary runs as and nobody else can write to it, so nothing
/// another local user planted can be there: a fixed name under world-writable /var/tmp let a
/// symlink redirect root's `qemu-img create` onto the suspect image. The root is 0711, not
/// 0700: libvirt's QEMU runs as `libvirt-qemu` and must traverse to its overlay, but may not
/// list the folder. Files in it are created exclusively and never through a symlink.
public enum ScratchFolder {
    public enum Failure: Error, CustomStringConvertible {
        case unsafe(String, String)
        case cannotCreate(String, String)

        public var description: String {
            switch self {
            case .unsafe(let path, let why):
                "the scratch folder \(path) is not safe to use: \(why); remove it or set BOOTCANARY_SCRATCH_DIR to a folder only you can write"
            case .cannotCreate(let path, let why): "cannot create \(path) in the scratch folder: \(why)"
            }
        }
    }

    /// `$BOOTCANARY_SCRATCH_DIR`, else /var/lib/bootcanary/scratch for root (kept across a
    /// reboot for `cleanup` to find), else the user's state folder.
    public static func defaultRoot() -> URL {
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_SCRATCH_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        if geteuid() == 0 { return URL(fileURLWithPath: "/var/lib/bootcanary/scratch") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/bootcanary/scratch")
    }

    /// Makes the root if it is missing and proves it safe: a real directory (not a symlink),
    /// owned by us, writable by nobody else, and under parents nobody else can rename.
    public static func prepareRoot(_ root: URL) throws {
        let path = root.standardizedFileURL.path
        var st = stat()
        if lstat(path, &st) != 0 {
            guard errno == ENOENT else { throw Failure.unsafe(path, String(cString: strerror(errno))) }
            try checkParents(of: path)
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            guard mkdir(path, 0o711) == 0 || errno == EEXIST else {
                throw Failure.cannotCreate(path, String(cString: strerror(errno)))
            }
            _ = chmod(path, 0o711)
            guard lstat(path, &st) == 0 else { throw Failure.cannotCreate(path, String(cString: strerror(errno))) }
        }
        try checkOwned(path, st)
        try checkParents(of: path)
    }

    static func checkOwned(_ path: String, _ st: stat) throws {
        if st.st_mode & S_IFMT == S_IFLNK { throw Failure.unsafe(path, "it is a symbolic link") }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw Failure.unsafe(path, "it is not a directory") }
        guard st.st_uid == geteuid() else { throw Failure.unsafe(path, "it is owned by uid \(st.st_uid), not by uid \(geteuid())") }
        guard st.st_mode & 0o022 == 0 else {
            throw Failure.unsafe(path, "others can write to it (mode \(String(st.st_mode & 0o7777, radix: 8)))")
        }
    }

    /// A parent that someone else can write to (without the sticky bit) lets them swap the
    /// folder for a link; with the sticky bit (/tmp, /var/tmp) only its owner can, which is
    /// why the root itself must be ours.
    static func checkParents(of path: String) throws {
        var parent = (path as NSString).deletingLastPathComponent
        while !parent.isEmpty {
            var st = stat()
            if lstat(parent, &st) == 0 {
                let sticky = st.st_mode & S_ISVTX != 0
                if st.st_mode & 0o002 != 0 && !sticky {
                    throw Failure.unsafe(path, "its parent \(parent) is writable by everyone without the sticky bit")
                }
                if st.st_uid != 0 && st.st_uid != geteuid() {
                    throw Failure.unsafe(path, "its parent \(parent) belongs to uid \(st.st_uid)")
                }
            }
            if parent == "/" { break }
            parent = (parent as NSString).deletingLastPathComponent
        }
    }

    /// A fresh folder for one boot, created exclusively: if the name exists, something is
    /// wrong (a planted entry, or a run that reused an ID), and nothing is taken over.
    public static func makeBootFolder(in root: URL, name: String) throws -> URL {
        try prepareRoot(root)
        let url = root.appendingPathComponent(name)
        guard mkdir(url.path, 0o700) == 0 else {
            throw Failure.cannotCreate(url.path, String(cString: strerror(errno)))
        }
        // Traversable (not listable) for libvirt-qemu, like the root.
        _ = chmod(url.path, 0o711)
        return url
    }

    /// Creates `path` empty, exclusively and without following a symlink, so a tool that then
    /// writes it (qemu-img) writes a file that is ours.
    public static func reserve(_ path: String, mode: mode_t = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure.cannotCreate(path, String(cString: strerror(errno))) }
        close(fd)
    }

    /// A subfolder created exclusively with `mode`.
    public static func makeFolder(_ url: URL, mode: mode_t) throws {
        guard mkdir(url.path, mode) == 0 else { throw Failure.cannotCreate(url.path, String(cString: strerror(errno))) }
        _ = chmod(url.path, mode)
    }
}
