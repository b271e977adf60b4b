import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What a host's capabilities XML (`virConnectGetCapabilities`) says it can run.
public struct HostCapabilities: Sendable, Equatable {
    /// `<host><uuid>`: the host's identity. Cloned hypervisor installs share one.
    public var hostUUID: String?
    public var hostArch: String?
    /// Each `<guest>`: an OS type on an architecture and the domain types that can run it.
    public var guests: [GuestOffer]

    public struct GuestOffer: Sendable, Equatable {
        /// `hvm`, `xen` (Xen PV), `xenpvh`.
        public var osType: String
        public var arch: String
        public var domainTypes: [String]
        public var machines: [String]
    }

    public init(hostUUID: String?, hostArch: String?, guests: [GuestOffer]) {
        self.hostUUID = hostUUID
        self.hostArch = hostArch
        self.guests = guests
    }

    /// Parses libvirt's capabilities document.
    public init(xml: String) throws {
        let doc = try XMLDocument(xmlString: xml)
        func text(_ xpath: String) -> String? {
            (try? doc.nodes(forXPath: xpath))?.first?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        hostUUID = text("/capabilities/host/uuid")
        hostArch = text("/capabilities/host/cpu/arch")
        var offers: [GuestOffer] = []
        for guest in (try? doc.nodes(forXPath: "/capabilities/guest")) ?? [] {
            guard let element = guest as? XMLElement else { continue }
            let osType = element.elements(forName: "os_type").first?.stringValue ?? ""
            for archElement in element.elements(forName: "arch") {
                let arch = archElement.attribute(forName: "name")?.stringValue ?? ""
                let domains = archElement.elements(forName: "domain").compactMap { $0.attribute(forName: "type")?.stringValue }
                let machines = archElement.elements(forName: "machine").compactMap(\.stringValue)
                offers.append(GuestOffer(osType: osType, arch: arch, domainTypes: domains, machines: machines))
            }
        }
        guests = offers
    }

    /// Every domain type offered for `arch` (the host's own by default), in document order.
    public func domainTypes(arch: String? = nil) -> [String] {
        let wanted = arch ?? hostArch ?? "x86_64"
        var seen: [String] = []
        for offer in guests where offer.arch == wanted {
            for t in offer.domainTypes where !seen.contains(t) { seen.append(t) }
        }
        return seen
    }

    /// OS types offered for a domain type, e.g. `["xen", "xenpvh", "hvm"]` on a Xen host.
    public func osTypes(domainType: String, arch: String? = nil) -> [String] {
        let wanted = arch ?? hostArch ?? "x86_64"
        return guests.filter { $0.arch == wanted && $0.domainTypes.contains(domainType) }.map(\.osType)
    }
}

/// Chooses the libvirt domain type when the user did not say (`--domain-type`).
///
/// Xen when the host offers it. On a QEMU host, `kvm` only when hardware virtualization is
/// really there: libvirt offers `kvm` whenever /dev/kvm exists, but on the lab machines
/// /dev/kvm exists while the CPU has no vmx/svm and a `kvm` guest never runs a single
/// instruction (seen: domain "running", console silent). For a local connection we check the
/// CPU flags like `kvm-ok` does; for a remote one we trust what the host offers.
public enum DomainTypeChoice {
    public static func choose(offered: [String], isLocal: Bool, localCPUFlags: String?) -> String? {
        if offered.contains("xen") { return "xen" }
        if offered.contains("kvm") {
            if !isLocal { return "kvm" }
            if let flags = localCPUFlags, flags.contains(" vmx") || flags.contains(" svm") { return "kvm" }
        }
        if offered.contains("qemu") { return "qemu" }
        return offered.first
    }
}

/// Facts about a libvirt connection URI that do not need the daemon.
public struct ConnectionURI: Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }

    /// `xen+ssh://root@host/system` → `xen`; `qemu:///system` → `qemu`.
    public var driver: String {
        let scheme = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return scheme.split(separator: "+").first.map(String.init) ?? scheme
    }

    /// The remote host part, nil for a local URI (`qemu:///system`, `xen:///system`).
    public var host: String? {
        guard let range = text.range(of: "://") else { return nil }
        let rest = text[range.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let hostPart = authority.split(separator: "@").last.map(String.init) ?? ""
        return hostPart.isEmpty ? nil : hostPart
    }

    public var isLocal: Bool {
        guard let host else { return true }
        return host == "localhost" && !text.contains("+")
    }
}
