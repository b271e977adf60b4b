import Foundation
import Libvirt
import Testing
@testable import CanaryProbe

/// `--domain NAME`: the disk, its declared format, the guest type and size come from the
/// guest's own definition, never from the image's bytes.
@Suite struct GuestDefinitionTests {
    static let kvmQcow2 = """
        <domain type='kvm'>
          <name>web1</name>
          <memory unit='KiB'>2097152</memory>
          <vcpu placement='static'>2</vcpu>
          <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os>
          <devices>
            <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/isos/debian.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
            <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>
          </devices>
        </domain>
        """

    @Test func kvmGuestWithQcow2Disk() throws {
        let d = try GuestDefinition.parse(Self.kvmQcow2)
        #expect(d.name == "web1")
        #expect(d.memoryMiB == 2048 && d.vcpus == 2)
        #expect(d.guestType == .hvm)
        let inputs = try d.inputs(over: ProbeInputs())
        #expect(inputs.image == "/var/lib/libvirt/images/web1.qcow2", "the disk, not the cdrom")
        #expect(inputs.imageFormat == .qcow2)
        #expect(inputs.memoryMiB == 2048 && inputs.vcpus == 2)
    }

    @Test func xenPVGuestWithPygrubAndABlockDevice() throws {
        let d = try GuestDefinition.parse("""
            <domain type='xen'>
              <name>db7</name>
              <memory unit='MiB'>1024</memory><vcpu>1</vcpu>
              <bootloader>/usr/lib/xen-4.17/bin/pygrub</bootloader>
              <os><type arch='x86_64' machine='xenpv'>linux</type></os>
              <devices><disk type='block' device='disk'><driver name='phy'/><source dev='/dev/vg0/db7-disk'/><target dev='xvda' bus='xen'/></disk></devices>
            </domain>
            """)
        #expect(d.guestType == .pv && d.bootloader == "/usr/lib/xen-4.17/bin/pygrub")
        let inputs = try d.inputs(over: ProbeInputs())
        #expect(inputs.image == "/dev/vg0/db7-disk" && inputs.imageFormat == .raw, "no <driver type> is libvirt's raw, not a guess")
        #expect(inputs.domainType == "xen" && inputs.guestType == .pv)
    }

    @Test func xenPVHAndHVMAreTold() throws {
        let pvh = try GuestDefinition.parse("<domain type='xen'><name>a</name><os><type arch='x86_64' machine='xenpvh'>xenpvh</type></os><devices><disk type='file'><source file='/a.img'/></disk></devices></domain>")
        #expect(pvh.guestType == .pvh)
        let hvm = try GuestDefinition.parse("<domain type='xen'><name>b</name><os><type arch='x86_64' machine='xenfv'>hvm</type><loader>/usr/lib/xen/boot/hvmloader</loader></os><devices><disk type='file'><source file='/b.img'/></disk></devices></domain>")
        #expect(hvm.guestType == .hvm && hvm.firmware == "/usr/lib/xen/boot/hvmloader")
    }

    @Test func explicitOptionsWin() throws {
        var given = ProbeInputs()
        given.image = "/tmp/copy.img"
        given.imageFormat = .raw
        let inputs = try GuestDefinition.parse(Self.kvmQcow2).inputs(over: given)
        #expect(inputs.image == "/tmp/copy.img" && inputs.imageFormat == .raw)
    }

    @Test func disksBootcanaryCannotBootAreRefusedClearly() throws {
        let vmdk = try GuestDefinition.parse("<domain type='kvm'><name>v</name><devices><disk type='file' device='disk'><driver name='qemu' type='vmdk'/><source file='/v.vmdk'/></disk></devices></domain>")
        #expect(throws: GuestDefinition.Failure.unsupportedFormat("v", "/v.vmdk", "vmdk")) { try vmdk.inputs(over: ProbeInputs()) }
        #expect(throws: GuestDefinition.Failure.unsupportedSource("n", "network")) {
            try GuestDefinition.parse("<domain type='kvm'><name>n</name><devices><disk type='network' device='disk'><source protocol='rbd' name='pool/n'/></disk></devices></domain>")
        }
        let none = try GuestDefinition.parse("<domain type='kvm'><name>e</name><devices/></domain>")
        #expect(throws: GuestDefinition.Failure.noDisk("e")) { try none.inputs(over: ProbeInputs()) }
    }
}

/// GuestLookup against libvirt's test driver, whose one domain `test` is running.
@Suite struct GuestLookupTests {
    @Test func aRunningGuestIsRefusedAndAMissingOneNamed() throws {
        let conn = try Connection(uri: "test:///default")
        #expect {
            try GuestLookup.load("test", on: conn)
        } throws: { error in
            guard case .notShutOff(let name, _) = error as? GuestLookup.Failure else { return false }
            return name == "test" && (error as! GuestLookup.Failure).description.contains("shut it down first")
        }
        #expect {
            try GuestLookup.load("no-such-guest", on: conn)
        } throws: { error in
            guard case .notFound = error as? GuestLookup.Failure else { return false }
            return true
        }
    }
}
