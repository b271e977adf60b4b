/// One test boot as it can be made again by hand: the domain XML exactly as it was given to
/// virDomainCreateXML, where, and the files in it that bootcanary made for the boot and
/// deleted after it. Gathered by the probe at the create; `ReproduceScript` (Report) renders
/// it. In Model so that Probe need not import Report (main's 366ef6a took that import away).
public struct ReproducibleBoot: Sendable, Equatable {
    public var label: BootLabel
    public var uri: String
    public var domain: String
    public var xml: String
    public var scratchInputs: [ScratchInput]

    public init(label: BootLabel, uri: String, domain: String, xml: String, scratchInputs: [ScratchInput]) {
        self.label = label
        self.uri = uri
        self.domain = domain
        self.xml = xml
        self.scratchInputs = scratchInputs
    }

    /// The boot's XML inside the run folder, beside the transcripts' layout
    /// (`transcripts/KIND-N.transcript`, the control host's under `control/`).
    public static func xmlFile(_ label: BootLabel) -> String {
        "domains/" + (label.host == .control ? "control/" : "") + baseName(label) + ".xml"
    }

    /// `KIND-N`: the boot's file name without extension.
    public static func baseName(_ label: BootLabel) -> String {
        "\(label.kind?.rawValue ?? "boot")-\(label.run)"
    }
}

/// A file the domain XML names that lived in bootcanary's scratch folder (or a storage volume
/// it uploaded), and what can be done about it once the run is over.
public struct ScratchInput: Sendable, Equatable {
    public var path: String
    /// What the file was, for the person reading the script (`the kernel pygrub extracted`).
    public var what: String
    public var remake: Remake

    public enum Remake: Sendable, Equatable {
        /// A qcow2 overlay over `backing` (declared `format`): made again with the command
        /// bootcanary used, `qemu-img create -f qcow2 -b BACKING -F FORMAT PATH`.
        case overlay(backing: String, format: String)
        /// A local file that cannot be made again by the script: the boot is refused if it is gone.
        case localFile
        /// A storage volume uploaded to a remote host and deleted after the boot: always refused.
        case uploadedVolume
    }

    /// Whether reproduce.sh makes the file again (an overlay).
    public var isRemade: Bool { if case .overlay = remake { true } else { false } }

    public init(path: String, what: String, remake: Remake) {
        self.path = path
        self.what = what
        self.remake = remake
    }
}
