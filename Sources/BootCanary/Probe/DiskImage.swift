import Foundation

/// A guest disk image as bootcanary is allowed to use it: read, never written.
public struct DiskImage: Sendable, Equatable {
    public var path: String
    /// `raw`, `qcow2`, ... as `qemu-img info` reports it.
    public var format: String
    public var sizeBytes: Int64

    /// The smallest file that can hold a bootable filesystem; anything smaller is a mistake.
    public static let minimumBytes: Int64 = 1 << 20

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case notAFile(String)
        case unreadable(String)
        case tooSmall(String, Int64)
        case overlayFailed(String, String)

        public var description: String {
            switch self {
            case .missing(let p): "\(p) does not exist; give the path of the guest's disk image"
            case .notAFile(let p): "\(p) is not a disk image file (it is a directory or a special file)"
            case .unreadable(let p): "\(p) cannot be read; check its permissions"
            case .tooSmall(let p, let n): "\(p) is \(n) bytes, too small to be a bootable disk image"
            case .overlayFailed(let p, let why): "cannot create a copy-on-write overlay over \(p): \(why)"
            }
        }
    }

    /// Checks the file is something a guest could boot from, and reads its format.
    public static func inspect(_ path: String) throws -> DiskImage {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Failure.missing(path) }
        guard !isDirectory.boolValue else { throw Failure.notAFile(path) }
        var st = stat()
        guard stat(path, &st) == 0 else { throw Failure.unreadable(path) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFBLK else { throw Failure.notAFile(path) }
        guard fm.isReadableFile(atPath: path) else { throw Failure.unreadable(path) }
        var size = Int64(st.st_size)
        if type == S_IFBLK, let h = FileHandle(forReadingAtPath: path) {
            size = Int64((try? h.seekToEnd()) ?? 0)
            try? h.close()
        }
        guard size >= minimumBytes else { throw Failure.tooSmall(path, size) }
        return DiskImage(path: path, format: Self.format(of: path) ?? "raw", sizeBytes: size)
    }

    /// The format qemu-img sees, or nil without qemu-img. `-U` (force share) reads an image
    /// that a running guest holds open, without taking its lock.
    static func format(of path: String) -> String? {
        guard let qemuImg = ExternalTool.find("qemu-img"),
              let r = try? ExternalTool.run(qemuImg, ["info", "-U", "--output=json", path], timeout: 30), r.status == 0,
              let object = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else { return nil }
        return object["format"] as? String
    }

    /// A qcow2 overlay in `folder` whose backing file is this image: the guest writes to the
    /// overlay, the image is only read. (`qemu-img create -f qcow2 -b IMAGE -F FORMAT`.)
    public func overlay(in folder: URL) throws -> String {
        guard let qemuImg = ExternalTool.find("qemu-img") else {
            throw Failure.overlayFailed(path, "qemu-img is not installed (Debian package qemu-utils)")
        }
        let overlay = folder.appendingPathComponent("overlay.qcow2").path
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let r = try ExternalTool.run(qemuImg, ["create", "-q", "-f", "qcow2", "-b", absolute, "-F", format, overlay], timeout: 60)
        guard r.status == 0 else { throw Failure.overlayFailed(path, r.lastErrorLine ?? "qemu-img exited \(r.status)") }
        return overlay
    }
}
