/// Paths bootcanary hands to `debugfs -R` come from the guest (grub.cfg, md5sums). debugfs
/// splits its request at blanks and honours quotes, so a name such as
/// `x" /root/.ssh/authorized_keys "` would turn `dump SRC DEST` into a write of guest bytes
/// to a host path. Only plain absolute paths pass: letters, digits and `._+-~/`, no `..`.
enum DebugfsPath {
    static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-~/")

    static func isSafe(_ path: String) -> Bool {
        path.hasPrefix("/") && path.count < 512 && path.allSatisfy(allowed.contains)
            && !path.split(separator: "/").contains("..")
    }
}
