import CanaryModel

/// What the offline checks found on the suspect image, read without booting it (run.json's
/// `integrity`). Plain data: CanaryProbe's `ImageIntegrityChecker` fills it, the reports
/// render it, and `IntegrityNote` quotes it beside the verdict.
public struct ImageIntegrity: Codable, Sendable, Equatable {
    /// The image as given (`--image`), its declared format, and `--master` when given.
    public var image: String
    public var format: String
    public var master: String?
    /// Why nothing was checked (a block device, an image on a remote host); nil when checked.
    public var skipped: String?
    public var checks: [ImageCheck]
    /// The folder, relative to the run folder, that holds every tool's output.
    public var outputs: String?

    public init(image: String, format: String, master: String? = nil, skipped: String? = nil, checks: [ImageCheck] = [], outputs: String? = nil) {
        self.image = image
        self.format = format
        self.master = master
        self.skipped = skipped
        self.checks = checks
        self.outputs = outputs
    }

    public var failed: [ImageCheck] { checks.filter { $0.status == .failed } }
    public var passed: [ImageCheck] { checks.filter { $0.status == .passed } }
    public var couldNotCheck: [ImageCheck] { checks.filter { $0.status == .couldNotCheck } }
}

/// One offline check of the image and what it found.
public struct ImageCheck: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable, CaseIterable {
        /// `qemu-img check` of a qcow2 image's metadata.
        case qcow2 = "qcow2_metadata"
        /// `qemu-img compare` against `--master`.
        case master = "master_compare"
        /// The partition table (`sfdisk --json`), or none for a whole-disk filesystem.
        case partitionTable = "partition_table"
        /// `e2fsck -n` and `debugfs -c` on the ext2/3/4 filesystem.
        case filesystem
        /// /boot/grub/grub.cfg parses and the files its `linux`/`initrd` lines name exist.
        case bootloaderConfig = "bootloader_config"
        /// /boot's kernel against the md5 the image's own dpkg database recorded for it.
        case packageChecksums = "package_checksums"
        /// Each initrd grub.cfg names decompresses to its end (`gzip -t`, `xz -t`, `zstd -t`):
        /// no package records an initrd's checksum, so this is what catches a cut-short one.
        case initrdArchive = "initrd_archive"
    }

    public enum Status: String, Codable, Sendable {
        case passed
        /// The check ran and found the image damaged; `proof` says where.
        case failed
        /// The check could not run (tool missing or failing, nothing to read); `summary` says why.
        case couldNotCheck = "could_not_check"
    }

    public var check: Name
    public var status: Status
    /// One sentence: what was found, or why it could not be checked.
    public var summary: String
    /// For a failed check: the lines that prove it (a tool's words, a file and its checksums).
    public var proof: [String]
    /// The tool outputs kept for this check, relative to the run folder.
    public var outputs: [String]
    public var seconds: Double?

    public init(check: Name, status: Status, summary: String, proof: [String] = [], outputs: [String] = [], seconds: Double? = nil) {
        self.check = check
        self.status = status
        self.summary = summary
        self.proof = proof
        self.outputs = outputs
        self.seconds = seconds
    }
}
