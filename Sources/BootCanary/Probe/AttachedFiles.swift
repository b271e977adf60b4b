import Foundation

/// The host files a test domain uses (kernel, initrd, disks), checked before the boot and
/// put back after it.
///
/// On a local connection bootcanary can say exactly which file is missing or unreadable
/// before libvirt does. And libvirt's QEMU driver changes the owner of every file it hands to
/// QEMU (DAC relabelling); it restores the owner only where it can remember it in extended
/// attributes, which some filesystems (overlayfs in the lab) refuse — seen: the lab's disk
/// image left owned by libvirt-qemu. The suspect image must come back exactly as it was, so
/// owner and mode are recorded here and restored after the domain is gone.
struct AttachedFiles {
    struct Original {
        var path: String
        var uid: uid_t
        var gid: gid_t
        var mode: mode_t
    }

    let paths: [String]
    let local: Bool
    private var originals: [Original] = []

    init(spec: DomainSpec, also extra: [String] = [], local: Bool) {
        var paths: [String] = []
        if case .direct(let kernel, let initrd, _) = spec.boot {
            paths.append(kernel)
            if let initrd { paths.append(initrd) }
        }
        paths += spec.disks.map(\.path)
        self.paths = paths
        let watched = paths + extra.filter { !paths.contains($0) }
        self.local = local
        guard local else { return }
        for path in watched {
            var st = stat()
            if stat(path, &st) == 0 { originals.append(Original(path: path, uid: st.st_uid, gid: st.st_gid, mode: st.st_mode & 0o7777)) }
        }
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

    /// Puts back owner and mode of every file that libvirt changed.
    func restore(into notes: inout [String]) {
        for o in originals {
            var st = stat()
            guard stat(o.path, &st) == 0 else { continue }
            if st.st_uid != o.uid || st.st_gid != o.gid {
                if chown(o.path, o.uid, o.gid) == 0 {
                    notes.append("restored the owner of \(o.path), which libvirt had changed")
                }
            }
            if st.st_mode & 0o7777 != o.mode { _ = chmod(o.path, o.mode) }
        }
    }
}
