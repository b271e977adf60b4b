import Foundation
import Testing
@testable import CanaryProbe

/// The pure parts of the offline image checks: what grub.cfg, dpkg's md5sums and sfdisk's
/// JSON say, and which guest-named paths reach debugfs.
@Suite struct IntegrityParsingTests {
    /// The lab's grub.cfg (lab/setup, build_bios_disk), with a device prefix on the initrd.
    static let grub = """
        set default=0
        if [ "$grub_platform" = "pc" ]; then
        \tset con=ttyS0
        fi
        menuentry 'Debian GNU/Linux, with Linux 6.1.0-57-cloud-amd64' {
        \tlinux /boot/vmlinuz-6.1.0-57-cloud-amd64 root=LABEL=canaryroot ro console=$con
        \tinitrd (hd0,msdos1)/boot/initrd.img-6.1.0-57-cloud-amd64
        }
        # linux /boot/commented-out
        """

    @Test func grubConfigNamesItsKernelAndInitrd() {
        let config = GrubConfigFiles(Self.grub)
        #expect(config.references.map(\.path) == ["/boot/vmlinuz-6.1.0-57-cloud-amd64", "/boot/initrd.img-6.1.0-57-cloud-amd64"])
    }

    @Test func grubConfigWithAnUnclosedMenuentryDoesNotBalance() {
        #expect(GrubConfigFiles("menuentry 'x' {\n linux /boot/vmlinuz\n").braceBalance == 1)
    }

    @Test func grubConfigBracesInsideQuotesDoNotCount() {
        #expect(GrubConfigFiles("menuentry 'a { b' {\n}\n").braceBalance == 0)
    }

    @Test func grubPathWithAVariableIsUnresolved() {
        #expect(GrubConfigFiles("linux $prefix/vmlinuz\n").unresolved.map(\.path) == ["$prefix/vmlinuz"])
    }

    /// The first lines of linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb's md5sums.
    @Test func packageChecksumsKeepBootEntriesAbsolute() {
        let text = """
            e0a6c09212a19ed48183a052eab847e7  boot/System.map-6.1.0-57-cloud-amd64
            c3613d8ebfda99ded361b692572d19d8  boot/vmlinuz-6.1.0-57-cloud-amd64
            0123456789abcdef0123456789abcdef  lib/modules/6.1.0-57-cloud-amd64/modules.order
            not a line
            """
        #expect(PackageChecksums(text).boot == [
            .init(md5: "e0a6c09212a19ed48183a052eab847e7", path: "/boot/System.map-6.1.0-57-cloud-amd64"),
            .init(md5: "c3613d8ebfda99ded361b692572d19d8", path: "/boot/vmlinuz-6.1.0-57-cloud-amd64"),
        ])
    }

    @Test(arguments: ["/boot/x\" /root/.ssh/authorized_keys \"", "/boot/a b", "boot/relative", "/boot/../etc/shadow", "/boot/x\n"])
    func guestPathsThatCouldSteerDebugfsAreRefused(_ path: String) {
        #expect(!DebugfsPath.isSafe(path))
    }

    @Test func plainKernelPathIsSafe() {
        #expect(DebugfsPath.isSafe("/boot/vmlinuz-6.1.0-57-cloud-amd64"))
    }

    /// `sfdisk --json` of the lab's guest-bios.img.
    @Test func partitionLayoutGivesTheBootableLinuxPartitionsByteOffset() throws {
        let json = """
            {"partitiontable": {"label": "dos", "id": "0x32243aaf", "device": "guest-bios.img", "unit": "sectors", "sectorsize": 512,
             "partitions": [{"node": "guest-bios.img1", "start": 2048, "size": 129024, "type": "83", "bootable": true}]}}
            """
        let root = try #require(PartitionLayout(json: json)?.rootCandidate)
        #expect(root.offset == 1_048_576)
    }
}
