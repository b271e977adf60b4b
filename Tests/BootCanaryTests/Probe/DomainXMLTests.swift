import Foundation
import Testing
@testable import CanaryModel
@testable import CanaryProbe

/// Golden domain XML: each spec renders to exactly its file in fixtures/domains/, and every
/// file validates against libvirt's own schema (virt-xml-validate, from libvirt-clients,
/// which needs xmllint from libxml2-utils).
@Suite struct DomainXMLTests {
    static let label = DomainSpec.ProbeLabel(runID: "0a1b2c", kind: .kernel, repetition: 1, pid: 4242)

    static let goldens: [(file: String, spec: DomainSpec)] = [
        ("qemu-direct-kernel.xml", DomainSpec(
            name: "bootcanary-0a1b2c-kernel-1", domainType: "qemu", memoryMiB: 256, vcpus: 1,
            boot: .direct(kernel: "/var/cache/bootcanary-lab/kernel/vmlinuz", initrd: "/var/cache/bootcanary-lab/initrd.img",
                          cmdline: "root=LABEL=canaryroot ro console=ttyS0"),
            disks: [.init(path: "/var/cache/bootcanary-lab/guest.img", format: "raw", readOnly: true)],
            probe: label)),
        ("qemu-installer-overlay.xml", DomainSpec(
            name: "bootcanary-0a1b2c-installer-2", domainType: "kvm", memoryMiB: 512, vcpus: 2,
            boot: .direct(kernel: "/var/tmp/bootcanary/vmlinuz", initrd: "/var/tmp/bootcanary/initrd.img", cmdline: "console=ttyS0"),
            disks: [.init(path: "/var/tmp/bootcanary/overlay.qcow2", format: "qcow2", readOnly: false)],
            probe: .init(runID: "0a1b2c", kind: .installer, repetition: 2, pid: 4242))),
        ("xen-pv-pygrub.xml", DomainSpec(
            name: "bootcanary-0a1b2c-pygrub-1", domainType: "xen", guestType: .pv, memoryMiB: 512, vcpus: 1,
            boot: .bootloader(path: "pygrub", args: nil),
            disks: [.init(path: "/var/lib/xen/images/web1.img", format: "raw", readOnly: true)],
            probe: .init(runID: "0a1b2c", kind: .pygrub, repetition: 1, pid: 4242))),
        ("xen-pv-direct-kernel.xml", DomainSpec(
            name: "bootcanary-0a1b2c-kernel-1", domainType: "xen", guestType: .pv, memoryMiB: 256, vcpus: 1,
            boot: .direct(kernel: "/var/lib/xen/boot/vmlinuz", initrd: "/var/lib/xen/boot/initrd.img",
                          cmdline: "root=/dev/xvda ro console=hvc0 earlyprintk=xen"),
            disks: [.init(path: "/var/lib/xen/images/web1.img", format: "raw", readOnly: true)],
            probe: label)),
        ("xen-pvh-direct-kernel.xml", DomainSpec(
            name: "bootcanary-0a1b2c-kernel-1", domainType: "xen", guestType: .pvh, memoryMiB: 256, vcpus: 1,
            boot: .direct(kernel: "/var/lib/xen/boot/vmlinuz", initrd: "/var/lib/xen/boot/initrd.img", cmdline: "console=hvc0"),
            disks: [], probe: label)),
        ("xen-hvm-serial.xml", DomainSpec(
            name: "bootcanary-0a1b2c-image-1", domainType: "xen", guestType: .hvm, memoryMiB: 512, vcpus: 1,
            boot: .direct(kernel: "/var/lib/xen/boot/vmlinuz", initrd: "/var/lib/xen/boot/initrd.img", cmdline: "console=ttyS0"),
            disks: [.init(path: "/var/lib/xen/images/master.img", format: "raw", readOnly: true)],
            probe: .init(runID: "0a1b2c", kind: .image, repetition: 1, pid: 4242))),
        // The image's own bootloader through firmware, from an LVM volume (blkback, no loop).
        ("xen-hvm-firmware-block.xml", DomainSpec(
            name: "bootcanary-0a1b2c-pygrub-1", domainType: "xen", guestType: .hvm, memoryMiB: 512, vcpus: 1,
            boot: .firmware,
            disks: [.init(path: "/dev/vg0/web1", format: "raw", readOnly: true, isBlockDevice: true)],
            probe: .init(runID: "0a1b2c", kind: .pygrub, repetition: 1, pid: 4242))),
        ("xen-pvh-firmware.xml", DomainSpec(
            name: "bootcanary-0a1b2c-pygrub-1", domainType: "xen", guestType: .pvh, memoryMiB: 256, vcpus: 1,
            boot: .pvFirmware(path: BootSettings.defaultPVHFirmware),
            disks: [.init(path: "/var/lib/xen/images/web1.img", format: "raw", readOnly: true)],
            probe: .init(runID: "0a1b2c", kind: .pygrub, repetition: 1, pid: 4242))),
    ]

    @Test(arguments: goldens.map(\.file))
    func rendersTheGoldenFile(_ file: String) throws {
        let spec = Self.goldens.first { $0.file == file }!.spec
        let url = Fixtures.domains.appendingPathComponent(file)
        // Re-record after an intended change: BOOTCANARY_RECORD_GOLDENS=1 swift test, then
        // read the diff and validate before committing.
        if ProcessInfo.processInfo.environment["BOOTCANARY_RECORD_GOLDENS"] == "1" {
            try DomainXML.render(spec).write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(DomainXML.render(spec) == expected)
    }

    @Test(arguments: goldens.map(\.file))
    func goldenFileValidatesAgainstLibvirtsSchema(_ file: String) throws {
        let result = try XMLValidation.validate(Fixtures.domains.appendingPathComponent(file).path)
        #expect(result.status == 0, "virt-xml-validate: \(result.output)")
    }

    /// Proves the validator is really checking: an element libvirt does not know is refused.
    @Test func validatorRejectsAnUnknownElement() throws {
        let broken = DomainXML.render(Self.goldens[0].spec).replacingOccurrences(of: "<vcpu>", with: "<frobnicate/><vcpu>")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID()).xml").path
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try XMLValidation.validate(path)
        #expect(result.status != 0)
    }

    /// Paths and command lines come from users and guest images: XML metacharacters in them
    /// must stay data.
    @Test func hostileStringsCannotChangeTheDocument() throws {
        var spec = Self.goldens[0].spec
        spec.boot = .direct(kernel: "/tmp/a'b<c>&d", initrd: nil, cmdline: "x</cmdline><on_crash>preserve</on_crash>")
        let xml = DomainXML.render(spec)
        #expect(xml.contains("<kernel>/tmp/a&apos;b&lt;c&gt;&amp;d</kernel>"))
        #expect(xml.contains("<cmdline>x&lt;/cmdline&gt;&lt;on_crash&gt;preserve&lt;/on_crash&gt;</cmdline>"))
        #expect(xml.components(separatedBy: "<on_crash>").count == 2)
    }

    @Test func consoleDeviceFollowsTheGuestType() {
        let base = Self.goldens[0].spec
        var xen = base
        xen.domainType = "xen"
        #expect(base.consoleDevice == "ttyS0")
        #expect(xen.consoleDevice == "hvc0")
        xen.guestType = .pvh
        #expect(xen.consoleDevice == "hvc0")
        xen.guestType = .hvm
        #expect(xen.consoleDevice == "ttyS0")
        #expect(KernelCommandLine.ensuringConsole("root=/dev/vda ro", device: "hvc0") == "root=/dev/vda ro console=hvc0")
        #expect(KernelCommandLine.ensuringConsole("console=tty0 root=/dev/vda", device: "hvc0") == "console=tty0 root=/dev/vda")
        #expect(KernelCommandLine.ensuringConsole("", device: "ttyS0") == "console=ttyS0")
    }

    /// Only a Xen HVM guest's vCPUs wait for a device model: its vCPU states are not read as
    /// waiting for a pCPU (a KVM HVM guest's QEMU runs its vCPUs itself).
    @Test func onlyXenHVMWaitsForItsDeviceModel() {
        var spec = Self.goldens[0].spec
        spec.guestType = .hvm
        #expect(!spec.vcpusWaitForDeviceModel)
        spec.domainType = "xen"
        #expect(spec.vcpusWaitForDeviceModel)
        spec.guestType = .pv
        #expect(!spec.vcpusWaitForDeviceModel)
        spec.guestType = .pvh
        #expect(!spec.vcpusWaitForDeviceModel)
    }
}

enum XMLValidation {
    static func validate(_ path: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/virt-xml-validate")
        p.arguments = [path, "domain"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

