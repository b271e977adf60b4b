import CanaryEvidence
import Foundation

/// A guest disk image as bootcanary is allowed to use it: read, never written, in the format
/// the operator declared.
///
/// The format is never taken from the image's own bytes: with no declaration the disk is raw,
/// and a raw disk whose first bytes claim a container is refused with a sentence saying what to
/// declare. A qcow2 image's backing chain is followed only as far as each layer's header
/// declares the next layer's format (libvirt's rule since 6.0: "format of backing image … was
/// not specified in the image metadata").
public struct DiskImage: Sendable, Equatable {
    public var path: String
    public var format: DiskFormat
    public var sizeBytes: Int64
    public var isBlockDevice: Bool
    /// The backing files the header declares, nearest first; each is only read.
    public var backingChain: [BackingFile]
    /// How the format was settled, for the report.
    public var notes: [String]

    public struct BackingFile: Sendable, Equatable {
        public var path: String
        public var format: DiskFormat
    }

    /// The smallest file that can hold a bootable filesystem; anything smaller is a mistake.
    public static let minimumBytes: Int64 = 1 << 20
    /// Deeper chains than this are refused (QEMU's own limit is 256; real chains are short).
    static let maximumChain = 16

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case notAFile(String)
        case unreadable(String)
        case tooSmall(String, Int64)
        case overlayFailed(String, String)
        case undeclaredContainer(String, String)
        case notDeclaredFormat(String, DiskFormat, String)
        case backingWithoutFormat(String, String)
        case backingUnsupported(String, String, String)
        case backingUnusable(String, String, String)
        case chainTooDeep(String)
        case rawViewFailed(String, String)

        public var description: String {
            switch self {
            case .missing(let p): "\(p) does not exist; give the path of the guest's disk image"
            case .notAFile(let p): "\(p) is not a disk image file (it is a directory or a special file)"
            case .unreadable(let p): "\(p) cannot be read; check its permissions"
            case .tooSmall(let p, let n): "\(p) is \(n) bytes, too small to be a bootable disk image"
            case .overlayFailed(let p, let why): "cannot create a copy-on-write overlay over \(p): \(why)"
            case .undeclaredContainer(let p, let container):
                "\(p) starts with a \(container) header, but no format was declared. bootcanary never takes a disk's format from its own bytes (a guest can write any header onto a raw disk, CVE-2008-2004): "
                    + "if the guest's definition says \(container), pass --image-format \(container) (or --domain NAME); if it is a raw disk the guest overwrote, pass --image-format raw to boot it as raw"
            case .notDeclaredFormat(let p, let format, let why):
                "\(p) was declared \(format.rawValue), but \(why); check the guest's <driver type=…> and pass the format it really has"
            case .backingWithoutFormat(let p, let backing):
                "\(p) names the backing file \(backing) without declaring its format in the image metadata; bootcanary will not guess it. Record it with `qemu-img rebase -u -F FORMAT -b \(backing) \(p)` on a copy, or boot a flattened copy"
            case .backingUnsupported(let p, let backing, let format):
                "\(p) declares its backing file \(backing) as \(format); bootcanary boots only raw and qcow2 layers"
            case .backingUnusable(let p, let backing, let why):
                "\(p)'s backing file \(backing) \(why)"
            case .chainTooDeep(let p): "\(p) has a backing chain deeper than \(DiskImage.maximumChain) layers; refusing to follow it"
            case .rawViewFailed(let p, let why): "cannot make a raw view of \(p) for pygrub: \(why)"
            }
        }
    }

    /// Checks the file is something a guest could boot from, in the declared format (raw when
    /// nothing was declared), and reads the backing chain a qcow2 header declares.
    public static func inspect(_ path: String, declared: DiskFormat? = nil) throws -> DiskImage {
        let (fileSize, isBlock) = try checkedFile(path)
        let head = try firstBytes(path, count: 65536)
        // A qcow2 file is as small as its allocated data; what a guest boots is its virtual size.
        let size = declared == .qcow2 ? ((try? DiskHeader.qcow2(head)).map { Int64(clamping: $0.virtualSize) } ?? fileSize) : fileSize
        guard size >= minimumBytes else { throw Failure.tooSmall(path, size) }
        var image = DiskImage(path: path, format: declared ?? .raw, sizeBytes: size, isBlockDevice: isBlock,
                              backingChain: [], notes: [])
        let claimed = DiskHeader.claimedContainer(head)
        switch declared {
        case nil:
            if let claimed { throw Failure.undeclaredContainer(path, claimed) }
            image.notes.append("\(path): no format declared, attached as raw")
        case .raw?:
            if let claimed {
                image.notes.append("\(path) was declared raw and is attached as raw, although its first bytes claim a \(claimed) header (the guest may have written it); its header is not followed")
            }
        case .qcow2?:
            image.backingChain = try backingChain(of: path, head: head)
            let chain = image.backingChain.map { "\($0.path) (\($0.format.rawValue))" }
            image.notes.append("\(path): qcow2 as declared" + (chain.isEmpty ? ", no backing file" : "; backing chain declared by its headers: " + chain.joined(separator: " <- ")))
        }
        return image
    }

    /// Every file QEMU reads for this disk: the image and its backing chain.
    public var allPaths: [String] { [path] + backingChain.map(\.path) }

    static func checkedFile(_ path: String) throws -> (Int64, Bool) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw errno == ENOENT ? Failure.missing(path) : Failure.unreadable(path)
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFBLK else { throw Failure.notAFile(path) }
        guard access(path, R_OK) == 0 else { throw Failure.unreadable(path) }
        var size = Int64(st.st_size)
        if type == S_IFBLK {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure.unreadable(path) }
            size = Int64(lseek(fd, 0, SEEK_END))
            close(fd)
        }
        return (size, type == S_IFBLK)
    }

    static func firstBytes(_ path: String, count: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw Failure.unreadable(path) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard n >= 0 else { throw Failure.unreadable(path) }
        return Array(buffer.prefix(n))
    }

    /// Walks the chain the headers declare. Each layer must name its backing format; a backing
    /// file must be a plain file or block device (no `json:`/protocol names), and is resolved
    /// against the directory of the layer that names it, as QEMU does.
    static func backingChain(of path: String, head: [UInt8]) throws -> [BackingFile] {
        var chain: [BackingFile] = []
        var current = path
        var header: DiskHeader.Qcow2
        do { header = try DiskHeader.qcow2(head) } catch let e as DiskHeader.Qcow2Error {
            throw Failure.notDeclaredFormat(path, .qcow2, e.description)
        }
        while let name = header.backingFile {
            guard chain.count < maximumChain else { throw Failure.chainTooDeep(path) }
            guard let formatName = header.backingFormat, !formatName.isEmpty else { throw Failure.backingWithoutFormat(current, name) }
            guard let format = DiskFormat(rawValue: formatName) else { throw Failure.backingUnsupported(current, name, formatName) }
            if name.hasPrefix("json:") || name.range(of: #"^[a-z0-9+]+:"#, options: .regularExpression) != nil {
                throw Failure.backingUnusable(current, name, "is a protocol name, not a file")
            }
            let resolved = name.hasPrefix("/") ? name
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(name).standardizedFileURL.path
            if chain.contains(where: { $0.path == resolved }) || resolved == path {
                throw Failure.backingUnusable(current, name, "closes a loop in the chain")
            }
            do { _ = try checkedFile(resolved) } catch let e as Failure {
                throw Failure.backingUnusable(current, name, "cannot be used: \(e)")
            }
            chain.append(BackingFile(path: resolved, format: format))
            current = resolved
            let bytes = try firstBytes(resolved, count: 65536)
            switch format {
            case .raw:
                return chain
            case .qcow2:
                do { header = try DiskHeader.qcow2(bytes) } catch let e as DiskHeader.Qcow2Error {
                    throw Failure.backingUnusable(path, resolved, "is declared qcow2, but \(e.description)")
                }
            }
        }
        return chain
    }

    /// A qcow2 overlay in `folder` whose backing file is this image, opened in its declared
    /// format: the guest writes to the overlay, the image is only read.
    /// (`qemu-img create -f qcow2 -b IMAGE -F FORMAT`; `-F` is what keeps QEMU from probing.)
    public func overlay(in folder: URL, name: String = "overlay.qcow2") throws -> String {
        guard let qemuImg = ExternalTool.find("qemu-img") else {
            throw Failure.overlayFailed(path, "qemu-img is not installed (Debian package qemu-utils)")
        }
        let overlay = folder.appendingPathComponent(name).path
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        do { try ScratchFolder.reserve(overlay) } catch { throw Failure.overlayFailed(path, "\(error)") }
        let r = try ExternalTool.run(qemuImg, ["create", "-q", "-f", "qcow2", "-b", absolute, "-F", format.rawValue, overlay], timeout: 60)
        guard r.status == 0 else { throw Failure.overlayFailed(path, r.lastErrorLine ?? "qemu-img exited \(r.status)") }
        return overlay
    }

    /// A raw copy of the image's content in `folder`, for a reader that understands only raw
    /// disks or cannot open the image itself (pygrub, unprivileged). Sparse: only allocated
    /// data is written. The image is opened read-only in its declared format.
    public func rawView(in folder: URL, timeout: Double) throws -> String {
        guard let qemuImg = ExternalTool.find("qemu-img") else {
            throw Failure.rawViewFailed(path, "qemu-img is not installed (Debian package qemu-utils)")
        }
        let view = folder.appendingPathComponent("raw-view.img").path
        do { try ScratchFolder.reserve(view) } catch { throw Failure.rawViewFailed(path, "\(error)") }
        let r = try ExternalTool.run(qemuImg, ["convert", "-q", "-f", format.rawValue, "-O", "raw", path, view], timeout: timeout)
        if r.timedOut { throw Failure.rawViewFailed(path, "qemu-img convert took longer than \(Int(timeout)) s") }
        guard r.status == 0 else { throw Failure.rawViewFailed(path, r.lastErrorLine ?? "qemu-img exited \(r.status)") }
        return view
    }
}
