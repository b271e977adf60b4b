import Foundation
import Testing
@testable import CanaryDiagnose
import CanaryModel
@testable import CanaryEvidence
@testable import CanaryProbe

/// The offline checks on small images made here with the real tools (mkfs.ext4 -d, sfdisk,
/// qemu-img), then on the lab's images (lab/setup, lab/faults/corrupt-images) when present.
/// Each test asserts one result; the image is never changed.
@Suite(.serialized, .enabled(if: HostTools.enabled, HostTools.reason)) struct ImageIntegrityCheckerTests {
    static let kernel = "/boot/vmlinuz-9.9.9-test"

    /// A folder for one test: the images, the run folder, the scratch root.
    struct Bench {
        let dir: URL
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-integrity-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func remove() { try? FileManager.default.removeItem(at: dir) }

        @discardableResult
        func sh(_ script: String) throws -> String {
            let r = try ExternalTool.run("/bin/sh", ["-ec", script], timeout: 60)
            guard r.status == 0 else { throw Failed(text: "\(script): \(r.stderr)") }
            return r.stdout
        }
        struct Failed: Error { var text: String }

        /// A root tree like the lab's: /boot with a kernel (random bytes), an initrd, a
        /// grub.cfg naming both, and the md5sums dpkg would have installed for the kernel.
        func tree(grub: String? = nil) throws -> String {
            let root = path("root")
            try sh("""
                mkdir -p \(root)/boot/grub \(root)/var/lib/dpkg/info
                head -c 300000 /dev/urandom >\(root)\(kernel)
                head -c 100000 /dev/urandom | gzip -1 >\(root)/boot/initrd.img-9.9.9-test
                (cd \(root) && md5sum boot/vmlinuz-9.9.9-test) >\(root)/var/lib/dpkg/info/linux-image-9.9.9-test.md5sums
                """)
            let cfg = grub ?? "menuentry 'test' {\n\tlinux \(kernel) root=LABEL=t ro\n\tinitrd /boot/initrd.img-9.9.9-test\n}\n"
            try cfg.write(toFile: root + "/boot/grub/grub.cfg", atomically: true, encoding: .utf8)
            return root
        }

        /// A whole-disk ext4 image of `tree()`.
        func wholeDisk(_ name: String = "disk.img", grub: String? = nil) throws -> String {
            let root = try tree(grub: grub)
            let img = path(name)
            try sh("rm -f \(img); truncate -s 16M \(img); mkfs.ext4 -q -F -L t -d \(root) \(img)")
            return img
        }

        /// The same filesystem in partition 1 of an MBR disk, 1 MiB in.
        func partitionedDisk() throws -> String {
            let root = try tree()
            let img = path("parted.img")
            try sh("truncate -s 17M \(img); printf 'label: dos\\nstart=2048, type=83, bootable\\n' | sfdisk -q \(img); mkfs.ext4 -q -F -L t -E offset=1048576 -d \(root) \(img) 16M")
            return img
        }

        /// A copy of `img` whose kernel has 4 KiB flipped at byte 100000, as corrupt-images does.
        func kernelFlipped(_ img: String) throws -> String {
            let copy = path("flipped.img")
            try sh("""
                cp \(img) \(copy)
                debugfs -R 'dump \(kernel) \(path("k"))' \(img) 2>/dev/null
                python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(100000); b=bytearray(f.read(4096)); f.seek(100000); f.write(bytes(x^0xA5 for x in b))" \(path("k"))
                debugfs -w -R 'rm \(kernel)' \(copy) >/dev/null 2>&1
                debugfs -w -R 'write \(path("k")) \(kernel)' \(copy) >/dev/null 2>&1
                """)
            return copy
        }

        func check(_ image: String, format: DiskFormat = .raw, master: String? = nil) throws -> ImageIntegrity {
            let run = dir.appendingPathComponent("run-\(UUID().uuidString.prefix(6))")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            return ImageIntegrityChecker(image: image, format: format, master: master, masterFormat: .raw, runFolder: run,
                                         scratchRoot: dir.appendingPathComponent("scratch"), scratchName: "integrity-test").run()
        }
    }

    static func status(_ i: ImageIntegrity, _ name: ImageCheck.Name) -> ImageCheck.Status? { i.checks.first { $0.check == name }?.status }

    @Test func intactWholeDiskPassesEveryCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try bench.wholeDisk())
        #expect(result.checks.map(\.status) == [.passed, .passed, .passed, .passed, .passed], "\(result.checks)")
    }

    @Test func theImagesBytesOwnerAndModeAreUnchanged() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let img = try bench.kernelFlipped(try bench.wholeDisk())
        chmod(img, 0o640)
        let before = try bench.sh("sha256sum \(img); stat -c '%u %g %a %s %Y' \(img)")
        _ = try bench.check(img)
        #expect(try bench.sh("sha256sum \(img); stat -c '%u %g %a %s %Y' \(img)") == before)
    }

    @Test func flippedKernelIsAnMD5MismatchNamingTheKernel() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try bench.kernelFlipped(try bench.wholeDisk()))
        let check = try #require(result.checks.first { $0.check == .packageChecksums })
        #expect(check.status == .failed && check.proof.first?.hasPrefix("\(Self.kernel) (300000 bytes): md5 ") == true, "\(check)")
    }

    @Test func flippedKernelAgainstTheMasterGivesTheDifferingByteRange() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let master = try bench.wholeDisk()
        let result = try bench.check(try bench.kernelFlipped(master), master: master)
        let check = try #require(result.checks.first { $0.check == .packageChecksums })
        #expect(check.proof.first?.hasSuffix("differs from the master's copy at bytes 100000–104095 (4096 bytes differ)") == true, "\(check.proof)")
    }

    @Test func zeroedSuperblockFailsTheFilesystemCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let img = try bench.wholeDisk()
        try bench.sh("dd if=/dev/zero of=\(img) bs=1024 seek=1 count=1 conv=notrunc status=none")
        #expect(Self.status(try bench.check(img), .filesystem) == .failed)
    }

    @Test func partitionedDiskIsCheckedAtItsPartitionsOffset() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try bench.partitionedDisk())
        #expect(result.checks.map(\.status) == [.passed, .passed, .passed, .passed, .passed], "\(result.checks)")
    }

    @Test func grubConfigNamingAMissingInitrdFails() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let img = try bench.wholeDisk(grub: "menuentry 't' {\n linux \(Self.kernel)\n initrd /boot/initrd.img-gone\n}\n")
        let check = try #require(try bench.check(img).checks.first { $0.check == .bootloaderConfig })
        #expect(check.proof == ["/boot/grub/grub.cfg line 3 (initrd) names /boot/initrd.img-gone, which is not in the filesystem"])
    }

    @Test func truncatedInitrdFailsItsArchiveCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let img = try bench.wholeDisk()
        let half = bench.path("half")
        try bench.sh("""
            debugfs -R 'dump /boot/initrd.img-9.9.9-test \(half)' \(img) 2>/dev/null
            truncate -s 50000 \(half)
            debugfs -w -R 'rm /boot/initrd.img-9.9.9-test' \(img) >/dev/null 2>&1
            debugfs -w -R 'write \(half) /boot/initrd.img-9.9.9-test' \(img) >/dev/null 2>&1
            """)
        let check = try #require(try bench.check(img).checks.first { $0.check == .initrdArchive })
        #expect(check.proof == ["/boot/initrd.img-9.9.9-test (50000 bytes): gzip -t: gzip: /boot/initrd.img-9.9.9-test: unexpected end of file"], "\(check)")
    }

    @Test func qcow2MetadataIsCheckedAndItsFilesystemThroughARawCopy() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let raw = try bench.wholeDisk()
        let qcow = bench.path("disk.qcow2")
        try bench.sh("qemu-img convert -f raw -O qcow2 \(raw) \(qcow)")
        let result = try bench.check(qcow, format: .qcow2)
        #expect(result.checks.map(\.status) == [.passed, .passed, .passed, .passed, .passed, .passed], "\(result.checks)")
    }

    @Test func scratchIsRemovedAfterTheChecks() throws {
        let bench = try Bench()
        defer { bench.remove() }
        _ = try bench.check(try bench.wholeDisk())
        #expect(!FileManager.default.fileExists(atPath: bench.path("scratch/integrity-test")))
    }

    @Test func aBlockDeviceIsSkippedWithItsReason() throws {
        let bench = try Bench()
        defer { bench.remove() }
        #expect(try bench.check("/dev/null").skipped == "/dev/null is not a regular file")
    }

    // The lab's images, as lab/setup and lab/faults/corrupt-images build them.
    static let lab = "/var/cache/bootcanary-lab"
    static let labKernel = "/boot/vmlinuz-6.1.0-57-cloud-amd64"
    static func labImage(_ name: String) -> String? {
        let path = "\(lab)/\(name)"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    @Test(.enabled(if: labImage("guest.img") != nil, "lab/setup has not built guest.img"))
    func labGuestImagePassesEveryCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try #require(Self.labImage("guest.img")))
        #expect(result.checks.map(\.status) == [.passed, .passed, .passed, .passed, .passed], "\(result.checks)")
    }

    @Test(.enabled(if: labImage("guest-bios.img") != nil, "lab/setup has not built guest-bios.img"))
    func labPartitionedImagePassesEveryCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try #require(Self.labImage("guest-bios.img")))
        #expect(result.checks.map(\.status) == [.passed, .passed, .passed, .passed, .passed], "\(result.checks)")
    }

    @Test(.enabled(if: labImage("faults/kernel-flipped.img") != nil, "lab/faults/corrupt-images has not run"))
    func labKernelFlippedIsAnMD5MismatchNamingItsKernel() throws {
        let bench = try Bench()
        defer { bench.remove() }
        let result = try bench.check(try #require(Self.labImage("faults/kernel-flipped.img")), master: Self.labImage("guest.img"))
        let check = try #require(result.checks.first { $0.check == .packageChecksums })
        #expect(check.status == .failed && check.proof.first?.hasPrefix(Self.labKernel + " (") == true, "\(check)")
    }

    @Test(.enabled(if: labImage("faults/initrd-truncated.img") != nil, "lab/faults/corrupt-images has not run"))
    func labInitrdTruncatedFailsItsArchiveCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        #expect(Self.status(try bench.check(try #require(Self.labImage("faults/initrd-truncated.img"))), .initrdArchive) == .failed)
    }

    @Test(.enabled(if: labImage("faults/rootfs-damaged.img") != nil, "lab/faults/corrupt-images has not run"))
    func labRootfsDamagedFailsTheFilesystemCheck() throws {
        let bench = try Bench()
        defer { bench.remove() }
        #expect(Self.status(try bench.check(try #require(Self.labImage("faults/rootfs-damaged.img"))), .filesystem) == .failed)
    }
}
