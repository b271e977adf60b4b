import Foundation
import Libvirt
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The suspect guest as libvirt defines it (`--domain NAME`): what bootcanary boots copies of.
///
/// Everything comes from the definition the operator already trusts — each disk's declared
/// format, the bootloader or direct kernel, the guest type, memory and vCPUs — so nothing is
/// guessed from the image. The guest itself is never started, edited or undefined; its XML is
/// kept in the run folder.
public struct GuestDefinition: Sendable, Equatable {
    public struct Disk: Sendable, Equatable {
        public var source: String
        public var format: DiskFormat?
        /// The format as written when bootcanary does not boot it (vmdk, an `<driver type>` typo).
        public var declaredFormat: String?
        public var bus: String?
        public var isBlockDevice: Bool
        public var readOnly: Bool
    }

    public var name: String
    public var domainType: String
    public var guestType: DomainSpec.GuestType
    public var memoryMiB: Int
    public var vcpus: Int
    public var bootloader: String?
    public var kernel: String?
    public var initrd: String?
    public var cmdline: String?
    public var firmware: String?
    public var disks: [Disk]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notXML(String)
        case noDisk(String)
        case unsupportedFormat(String, String, String)
        case unsupportedSource(String, String)

        public var description: String {
            switch self {
            case .notXML(let why): "the domain's definition could not be read: \(why)"
            case .noDisk(let name): "\(name) has no disk that bootcanary can attach (a file or block device); give --image DISK"
            case .unsupportedFormat(let name, let disk, let format):
                "\(name)'s disk \(disk) is declared \(format); bootcanary boots raw and qcow2 disks (convert a copy with qemu-img, or give --image and --image-format)"
            case .unsupportedSource(let name, let type):
                "\(name)'s first disk is a '\(type)' source (network or volume); give --image with a path on the host"
            }
        }
    }

    /// Parses `virDomainGetXMLDesc` output.
    public static func parse(_ xml: String) throws -> GuestDefinition {
        let doc: XMLDocument
        do { doc = try XMLDocument(xmlString: xml) } catch { throw Failure.notXML("\(error)") }
        func text(_ path: String) -> String? {
            (try? doc.nodes(forXPath: path))?.first?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let root = doc.rootElement()
        let name = text("/domain/name") ?? "?"
        let osType = text("/domain/os/type") ?? "hvm"
        let machine = (try? doc.nodes(forXPath: "/domain/os/type/@machine"))?.first?.stringValue
        let domainType = root?.attribute(forName: "type")?.stringValue ?? "kvm"
        let guestType: DomainSpec.GuestType = switch (osType, machine) {
        case ("xenpvh", _), (_, "xenpvh"): .pvh
        case ("linux", _), ("xen", _): .pv
        default: .hvm
        }
        var memoryMiB = 256
        if let value = text("/domain/memory").flatMap(Int.init) {
            let unit = (try? doc.nodes(forXPath: "/domain/memory/@unit"))?.first?.stringValue ?? "KiB"
            memoryMiB = Self.mebibytes(value, unit: unit)
        }
        var disks: [Disk] = []
        for node in (try? doc.nodes(forXPath: "/domain/devices/disk[@device='disk' or not(@device)]")) ?? [] {
            guard let e = node as? XMLElement else { continue }
            let type = e.attribute(forName: "type")?.stringValue ?? "file"
            let source = e.elements(forName: "source").first
            let path = source?.attribute(forName: "file")?.stringValue ?? source?.attribute(forName: "dev")?.stringValue
            guard let path, type == "file" || type == "block" else {
                if disks.isEmpty && (type == "network" || type == "volume") { throw Failure.unsupportedSource(name, type) }
                continue
            }
            let driverType = e.elements(forName: "driver").first?.attribute(forName: "type")?.stringValue
            disks.append(Disk(source: path, format: driverType.flatMap(DiskFormat.init(rawValue:)), declaredFormat: driverType,
                              bus: e.elements(forName: "target").first?.attribute(forName: "bus")?.stringValue,
                              isBlockDevice: type == "block", readOnly: !e.elements(forName: "readonly").isEmpty))
        }
        return GuestDefinition(
            name: name, domainType: domainType, guestType: domainType == "xen" ? guestType : .hvm,
            memoryMiB: max(32, memoryMiB), vcpus: text("/domain/vcpu").flatMap(Int.init) ?? 1,
            bootloader: text("/domain/bootloader"), kernel: text("/domain/os/kernel"), initrd: text("/domain/os/initrd"),
            cmdline: text("/domain/os/cmdline"), firmware: text("/domain/os/loader"), disks: disks)
    }

    static func mebibytes(_ value: Int, unit: String) -> Int {
        switch unit.lowercased() {
        case "b", "bytes": value >> 20
        case "k", "kib": value >> 10
        case "kb": value * 1000 >> 20
        case "m", "mib": value
        case "mb": value * 1_000_000 >> 20
        case "g", "gib": value << 10
        case "gb": value * 1_000_000_000 >> 20
        default: value >> 10
        }
    }

    /// The disk the guest boots from: the first one that is not read-only media.
    public func bootDisk() throws -> Disk {
        guard let disk = disks.first(where: { !$0.readOnly }) ?? disks.first else { throw Failure.noDisk(name) }
        if disk.format == nil, let declared = disk.declaredFormat { throw Failure.unsupportedFormat(name, disk.source, declared) }
        return disk
    }

    /// The probe inputs this definition implies, under what the operator gave explicitly
    /// (`given` wins where it names something).
    public func inputs(over given: ProbeInputs) throws -> ProbeInputs {
        var inputs = given
        let disk = try bootDisk()
        if inputs.image == nil {
            inputs.image = disk.source
            // libvirt's own default for a disk without <driver type> is raw: no probing there either.
            inputs.imageFormat = disk.format ?? .raw
        }
        // A guest that boots a kernel from the host: that kernel is the host-supplied kind.
        if inputs.kernel == nil, let kernel {
            inputs.kernel = kernel
            inputs.initrd = inputs.initrd ?? initrd
            inputs.cmdline = inputs.cmdline ?? cmdline
        }
        if inputs.domainType == nil { inputs.domainType = domainType == "xen" ? "xen" : nil }
        inputs.guestType = guestType
        inputs.memoryMiB = memoryMiB
        inputs.vcpus = max(1, min(vcpus, 64))
        return inputs
    }
}

/// Reads the suspect guest's definition from libvirt, read-only.
public enum GuestLookup {
    public enum Failure: Error, CustomStringConvertible {
        case notFound(String, String)
        case notShutOff(String, String)

        public var description: String {
            switch self {
            case .notFound(let name, let uri): "there is no domain named \(name) on \(uri); `virsh -c \(uri) list --all` lists them"
            case .notShutOff(let name, let state):
                "\(name) is \(state): bootcanary boots copies of a guest that is shut off and never touches it; shut it down first, or give --image with its disk"
            }
        }
    }

    /// The definition and its XML. Only `virDomainLookupByName`, `virDomainGetInfo` and
    /// `virDomainGetXMLDesc`: nothing that starts, edits or undefines the guest.
    public static func load(_ name: String, on connection: Connection) throws -> (GuestDefinition, String) {
        let domain: Domain
        do { domain = try connection.domain(named: name) } catch {
            if error.code == .noDomain { throw Failure.notFound(name, connection.uri) }
            throw error
        }
        let state = try domain.info().state
        guard state == .shutoff else { throw Failure.notShutOff(name, "\(state)") }
        let xml = try domain.xmlDescription()
        return (try GuestDefinition.parse(xml), xml)
    }
}
