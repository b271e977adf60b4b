import CanaryModel

/// Turns a `DomainSpec` into libvirt domain XML. The golden files in fixtures/domains/ pin the
/// output, and the tests validate every one with `virt-xml-validate` against libvirt's schema.
///
/// Lifecycle actions are chosen so that a boot's end is observable and final:
/// - `on_reboot=destroy`: a panic-reboot or triple fault ends the probe instead of silently
///   booting again (libvirt-api-anchors §2.2; LAB-NOTES: `reboot -f` ends lab guests);
/// - `on_poweroff=destroy`;
/// - `on_crash`: `preserve` on Xen, so the domain stays visible as crashed (libxl emits
///   STOPPED/CRASHED and keeps the console ring) until bootcanary destroys it; `destroy` on
///   QEMU, which reports a guest crash only through a pvpanic device.
public enum DomainXML {
    public static func render(_ spec: DomainSpec) -> String {
        var x: [String] = []
        x.append("<domain type='\(esc(spec.domainType))'>")
        x.append("  <name>\(esc(spec.name))</name>")
        if let p = spec.probe {
            x.append("  <description>bootcanary probe: kind \(p.kind.rawValue), run \(esc(p.runID)), repetition \(p.repetition); destroyed when the probe ends</description>")
            x.append("  <metadata>")
            x.append("    <bootcanary:probe xmlns:bootcanary='\(metadataNamespace)' run='\(esc(p.runID))' kind='\(p.kind.rawValue)' repetition='\(p.repetition)' pid='\(p.pid)'/>")
            x.append("  </metadata>")
        }
        x.append("  <memory unit='MiB'>\(spec.memoryMiB)</memory>")
        x.append("  <vcpu>\(spec.vcpus)</vcpu>")
        if case .bootloader(let path, let args) = spec.boot {
            x.append("  <bootloader>\(esc(path))</bootloader>")
            if let args { x.append("  <bootloader_args>\(esc(args))</bootloader_args>") }
        }
        x.append("  <os>")
        x.append("    " + osType(spec))
        if spec.isXen && spec.guestType == .hvm {
            x.append("    <loader>/usr/lib/xen/boot/hvmloader</loader>")
        }
        switch spec.boot {
        case .direct(let kernel, let initrd, let cmdline):
            x.append("    <kernel>\(esc(kernel))</kernel>")
            if let initrd { x.append("    <initrd>\(esc(initrd))</initrd>") }
            x.append("    <cmdline>\(esc(cmdline))</cmdline>")
        case .pvFirmware(let path):
            // No command line: pvgrub2 takes the kernel's from the image's grub.cfg.
            x.append("    <kernel>\(esc(path))</kernel>")
        case .firmware:
            x.append("    <boot dev='hd'/>")
        case .bootloader:
            if !spec.isXen || spec.guestType == .hvm { x.append("    <boot dev='hd'/>") }
        }
        x.append("  </os>")
        if !spec.isXen || spec.guestType == .hvm {
            x.append("  <features><acpi/><apic/></features>")
        }
        x.append("  <on_poweroff>destroy</on_poweroff>")
        x.append("  <on_reboot>destroy</on_reboot>")
        x.append("  <on_crash>\(spec.isXen ? "preserve" : "destroy")</on_crash>")
        x.append("  <devices>")
        for (i, disk) in spec.disks.enumerated() {
            let target = spec.diskTarget(i, readOnly: disk.readOnly)
            x.append("    <disk type='\(disk.isBlockDevice ? "block" : "file")' device='disk'>")
            x.append("      <driver name='\(driverName(spec, disk))' type='\(esc(disk.format))'/>")
            x += source(disk.path, block: disk.isBlockDevice, relabel: disk.relabel || spec.isXen, indent: "      ")
            // The chain is declared, not discovered: libvirt takes it as written (and stops at
            // the empty <backingStore/>) instead of reading the images' headers.
            var indent = "      "
            for layer in disk.backing {
                x.append("\(indent)<backingStore type='\(layer.isBlockDevice ? "block" : "file")'>")
                x.append("\(indent)  <format type='\(esc(layer.format))'/>")
                x += source(layer.path, block: layer.isBlockDevice, relabel: layer.relabel || spec.isXen, indent: indent + "  ")
                indent += "  "
            }
            if !disk.backing.isEmpty {
                x.append("\(indent)<backingStore/>")
                for _ in disk.backing {
                    indent = String(indent.dropLast(2))
                    x.append("\(indent)</backingStore>")
                }
            }
            x.append("      <target dev='\(target.dev)' bus='\(target.bus)'/>")
            if disk.readOnly { x.append("      <readonly/>") }
            x.append("    </disk>")
        }
        if spec.isXen && spec.guestType != .hvm {
            x.append("    <console type='pty'><target type='xen' port='0'/></console>")
        } else {
            if let log = spec.serialLog, !spec.isXen {
                x.append("    <serial type='pty'><target port='0'/><log file='\(esc(log))' append='off'/></serial>")
            } else {
                x.append("    <serial type='pty'><target port='0'/></serial>")
            }
            x.append("    <console type='pty'><target type='serial' port='0'/></console>")
        }
        if !spec.isXen {
            // No balloon, no USB, no graphics: nothing the probe does not read.
            x.append("    <memballoon model='none'/>")
        }
        x.append("  </devices>")
        x.append("</domain>")
        return x.joined(separator: "\n") + "\n"
    }

    /// A disk's `<source>`; with `relabel` false, libvirt's DAC driver leaves the file's owner
    /// alone (`<seclabel model='dac' relabel='no'/>`). libxl has no security driver, so Xen
    /// disks carry none.
    private static func source(_ path: String, block: Bool, relabel: Bool, indent: String) -> [String] {
        let attribute = block ? "dev" : "file"
        if relabel { return ["\(indent)<source \(attribute)='\(esc(path))'/>"] }
        return ["\(indent)<source \(attribute)='\(esc(path))'>",
                "\(indent)  <seclabel model='dac' relabel='no'/>",
                "\(indent)</source>"]
    }

    /// Xen attaches a raw file through a loop device and blkback (`phy`), which needs no
    /// device model in dom0; other formats need QEMU's qdisk backend (`qemu`).
    private static func driverName(_ spec: DomainSpec, _ disk: DomainSpec.Disk) -> String {
        spec.isXen && disk.format == "raw" ? "phy" : "qemu"
    }

    /// The XML namespace of bootcanary's `<metadata>` element.
    public static let metadataNamespace = "https://bootcanary.dev/xmlns/probe/1"

    private static func osType(_ spec: DomainSpec) -> String {
        guard spec.isXen else { return "<type arch='x86_64' machine='pc'>hvm</type>" }
        switch spec.guestType {
        case .pv: return "<type arch='x86_64' machine='xenpv'>linux</type>"
        case .pvh: return "<type arch='x86_64' machine='xenpvh'>xenpvh</type>"
        case .hvm: return "<type arch='x86_64' machine='xenfv'>hvm</type>"
        }
    }

    /// Escapes text for XML content and single-quoted attributes. Paths and command lines
    /// come from users and guest images; nothing they contain may change the document.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
