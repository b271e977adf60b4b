import Foundation
import Synchronization

/// getxattr(2): <sys/xattr.h> is not in Glibc's Swift module map.
@_silgen_name("getxattr")
private func c_getxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int

/// The host files a test domain uses (kernel, initrd, disks and the images below overlays),
/// checked before the boot and put back after it.
///
/// On a local connection bootcanary can say exactly which file is missing or unreadable
/// before libvirt does. And libvirt's QEMU driver changes the owner of every file it hands to
/// QEMU (DAC relabelling) unless told not to; bootcanary tells it not to wherever QEMU can read
/// the file anyway (`relabel='no'`), and otherwise puts owner and mode back. libvirt restores
/// owners only where it can remember them in extended attributes, which some filesystems
/// (overlayfs in the lab) refuse — seen: the lab's disk image left owned by libvirt-qemu.
final class AttachedFiles: Sendable {
    let paths: [String]
    private let released = Atomic<Bool>(false)
    let watched: [String]
    let local: Bool

    /// Takes hold of the files' current owner and mode (`OwnershipKeeper`). `release` lets go
    /// once, however many exit paths call it.
    init(spec: DomainSpec, also extra: [String] = [], local: Bool) {
        var paths: [String] = []
        if case .direct(let kernel, let initrd, _) = spec.boot {
            paths.append(kernel)
            if let initrd { paths.append(initrd) }
        }
        paths += spec.disks.map(\.path)
        self.paths = paths
        let backing = spec.disks.flatMap { $0.backing.map(\.path) }
        var watched: [String] = []
        for p in paths + backing + extra where !watched.contains(p) { watched.append(p) }
        self.watched = watched
        self.local = local
        if local { OwnershipKeeper.shared.hold(watched) }
    }

    /// A sentence naming the first file that cannot be used, or nil.
    func problem() -> String? {
        guard local else { return nil }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return "\(path) does not exist; check the path (it must be a file on the host libvirt runs on)"
            }
            if isDirectory.boolValue { return "\(path) is a directory, not a file" }
            guard FileManager.default.isReadableFile(atPath: path) else {
                return "\(path) is not readable; check its permissions"
            }
        }
        return nil
    }

    /// Lets go of the files; the last boot to let go of a file puts back the owner and mode it
    /// had before the first boot took hold of it.
    func release(into notes: inout [String]) {
        guard local, !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        notes += OwnershipKeeper.shared.release(watched)
    }
}

/// Owner and mode of input files as they were before any boot of this process used them.
///
/// Why process-wide: boots run in parallel over the same image. When each boot recorded the
/// owner at its own start, a boot that started after a parallel boot's relabel recorded
/// `libvirt-qemu` as the original and "restored" that (seen: three suspect images left owned
/// by libvirt-qemu after ordinary diagnose runs). Now the first holder records, every holder
/// counts, and only the last one out restores.
final class OwnershipKeeper: Sendable {
    static let shared = OwnershipKeeper()

    struct Original {
        var uid: uid_t
        var gid: gid_t
        var mode: mode_t
        var holders: Int
    }

    private let originals = Mutex<[String: Original]>([:])

    func hold(_ paths: [String]) {
        originals.withLock { table in
            for path in paths {
                if table[path] != nil { table[path]!.holders += 1; continue }
                var st = stat()
                guard stat(path, &st) == 0 else { continue }
                var original = Original(uid: st.st_uid, gid: st.st_gid, mode: st.st_mode & 0o7777, holders: 1)
                // A domain bootcanary did not start may hold the file already (the demo's
                // tenants boot the lab's kernel): its owner is then libvirt's relabel, and
                // "restoring" that left the kernel owned by libvirt-qemu. libvirt remembers the
                // owner from before its first relabel in an extended attribute; that is the
                // original.
                if let remembered = Self.libvirtRememberedOwner(path) { (original.uid, original.gid) = remembered }
                table[path] = original
            }
        }
    }

    /// The owner libvirt's DAC driver recorded before it first relabelled `path`
    /// (`trusted.libvirt.security.dac`, written as `+UID:+GID`), if any.
    static func libvirtRememberedOwner(_ path: String) -> (uid_t, gid_t)? {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = c_getxattr(path, "trusted.libvirt.security.dac", &buffer, buffer.count)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        let parts = text.split(separator: ":").map { $0.hasPrefix("+") ? $0.dropFirst() : $0[...] }
        guard parts.count == 2, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]) else { return nil }
        return (uid, gid)
    }

    /// Returns notes for files whose owner or mode had to be put back.
    func release(_ paths: [String]) -> [String] {
        originals.withLock { table in
            var notes: [String] = []
            for path in paths {
                guard var o = table[path] else { continue }
                o.holders -= 1
                if o.holders > 0 { table[path] = o; continue }
                table[path] = nil
                var st = stat()
                guard stat(path, &st) == 0 else { continue }
                if st.st_uid != o.uid || st.st_gid != o.gid, chown(path, o.uid, o.gid) == 0 {
                    notes.append("restored the owner of \(path), which libvirt had changed")
                }
                if st.st_mode & 0o7777 != o.mode { _ = chmod(path, o.mode) }
            }
            return notes
        }
    }

    /// Files currently held, for tests.
    var heldPaths: [String] { originals.withLock { Array($0.keys) } }
}
