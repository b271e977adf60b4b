import Foundation
import Testing
@testable import CanaryProbe

/// setxattr(2): <sys/xattr.h> is not in Glibc's Swift module map.
@_silgen_name("setxattr")
private func c_setxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeRawPointer?, _ size: Int, _ flags: Int32) -> Int32

/// The keeper puts back the owner a file had before libvirt's first relabel, also when a
/// domain bootcanary did not start had relabelled it already (the demo's tenants boot the
/// lab kernel; the kernel was left owned by libvirt-qemu before libvirt's own remembered
/// owner was read).
@Suite(.serialized) struct OwnershipKeeperTests {
    static func file(owner uid: uid_t, remembered: String?) throws -> String {
        let path = try Fixtures.scratch().appendingPathComponent("kernel-\(UUID().uuidString)").path
        try Data("kernel".utf8).write(to: URL(fileURLWithPath: path))
        #expect(chown(path, uid, uid) == 0)
        if let remembered {
            #expect(c_setxattr(path, "trusted.libvirt.security.dac", remembered, remembered.utf8.count, 0) == 0,
                    "trusted.* needs root and a file system with xattrs: \(String(cString: strerror(errno)))")
        }
        return path
    }

    static func owner(_ path: String) -> uid_t {
        var st = stat()
        _ = stat(path, &st)
        return st.st_uid
    }

    @Test(.enabled(if: HostTools.asRoot, "trusted.* extended attributes need root; \(HostTools.reason)"))
    func takesLibvirtsRememberedOwnerAsTheOriginal() throws {
        // As libvirt leaves a file another domain holds: owned by its QEMU user (65534 here
        // stands in for libvirt-qemu), the owner before the relabel in the attribute.
        let path = try Self.file(owner: 65534, remembered: "+0:+0")
        #expect(OwnershipKeeper.libvirtRememberedOwner(path).map { [$0.0, $0.1] } == [0, 0])
        let keeper = OwnershipKeeper()
        keeper.hold([path])
        let notes = keeper.release([path])
        #expect(Self.owner(path) == 0)
        #expect(notes.count == 1)
    }

    @Test(.enabled(if: HostTools.asRoot, "chown needs root; \(HostTools.reason)"))
    func withoutTheAttributeTheOwnerAtFirstHoldStays() throws {
        let path = try Self.file(owner: 65534, remembered: nil)
        #expect(OwnershipKeeper.libvirtRememberedOwner(path) == nil)
        let keeper = OwnershipKeeper()
        keeper.hold([path])
        #expect(chown(path, 0, 0) == 0)  // a relabel during the boot
        _ = keeper.release([path])
        #expect(Self.owner(path) == 65534)
    }

    @Test(.enabled(if: HostTools.asRoot, "trusted.* extended attributes need root; \(HostTools.reason)"))
    func malformedAttributeIsIgnored() throws {
        let path = try Self.file(owner: 0, remembered: "root:root")
        #expect(OwnershipKeeper.libvirtRememberedOwner(path) == nil)
    }
}
