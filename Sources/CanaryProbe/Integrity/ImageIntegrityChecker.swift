import CanaryDiagnose
import CanaryEvidence
import CanaryModel
import Foundation

/// The offline checks of a suspect image (issue 12, item 4): is it intact or broken, proven
/// from its bytes without booting it. Every tool only reads the image: `qemu-img check` and
/// `compare` open it read-only, `sfdisk --json` lists, `e2fsck -n` answers "no" to every fix
/// and opens read-only, `debugfs -c` is read-only; a qcow2 image is read through a raw copy
/// in scratch (`qemu-img convert`). No mount, no loop device, no guest kernel.
/// A check that cannot run says why ("could not check"); none is fatal.
public struct ImageIntegrityChecker: Sendable {
    public var image: String
    public var format: DiskFormat
    public var master: String?
    public var masterFormat: DiskFormat
    /// The run folder; tool outputs go to its `integrity/`.
    public var runFolder: URL
    /// Raw views and dumped files go to a folder of this name under the scratch root.
    public var scratchRoot: URL
    public var scratchName: String
    /// Per tool call. 120 s: e2fsck -n -f of the 64 MiB lab image takes 0.1 s, a 20 GiB guest
    /// disk some tens of seconds; qemu-img convert of such a disk is the slowest step.
    public var timeout: Double = 120

    public init(image: String, format: DiskFormat?, master: String?, masterFormat: DiskFormat?, runFolder: URL,
                scratchRoot: URL = ScratchFolder.defaultRoot(), scratchName: String) {
        self.image = image
        self.format = format ?? .raw
        self.master = master
        self.masterFormat = masterFormat ?? .raw
        self.runFolder = runFolder
        self.scratchRoot = scratchRoot
        self.scratchName = scratchName
    }

    /// Why `image` cannot be checked here (not a regular file we can read), or nil.
    public static func reasonNotToCheck(_ image: String) -> String? {
        var st = stat()
        guard stat(image, &st) == 0 else { return "\(image) cannot be read here (\(String(cString: strerror(errno))))" }
        if st.st_mode & S_IFMT == S_IFBLK { return "\(image) is a block device; only image files are checked offline" }
        guard st.st_mode & S_IFMT == S_IFREG else { return "\(image) is not a regular file" }
        guard access(image, R_OK) == 0 else { return "\(image) is not readable by bootcanary" }
        return nil
    }

    @available(*, noasync)
    public func run() -> ImageIntegrity {
        var result = ImageIntegrity(image: image, format: format.rawValue, master: master, outputs: "integrity")
        if let why = Self.reasonNotToCheck(image) {
            result.skipped = why
            result.outputs = nil
            return result
        }
        let folder = runFolder.appendingPathComponent("integrity")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            result.skipped = "cannot create \(folder.path): \(error.localizedDescription)"
            result.outputs = nil
            return result
        }
        let tools = IntegrityTools(folder: folder, timeout: timeout)
        var run = CheckRun(tools: tools)

        if format == .qcow2 { result.checks.append(qcow2Check(tools)) }
        if let master { result.checks.append(compareCheck(master, tools)) }

        let scratch: URL
        do { scratch = try ScratchFolder.makeBootFolder(in: scratchRoot, name: scratchName) } catch {
            for name in [ImageCheck.Name.partitionTable, .filesystem, .bootloaderConfig, .packageChecksums, .initrdArchive] {
                result.checks.append(.init(check: name, status: .couldNotCheck, summary: "no scratch folder: \(error)"))
            }
            return result
        }
        // A SIGINT/SIGTERM during the checks still removes the raw copy and dumped files.
        let undo = Teardown.shared.register("removed \(scratch.path)") { try? FileManager.default.removeItem(at: scratch) }
        defer {
            Teardown.shared.unregister(undo)
            try? FileManager.default.removeItem(at: scratch)
        }
        run.scratch = scratch

        let view = run.rawView(of: image, format: format, named: "image")
        guard case .success(let raw) = view else {
            if case .failure(let why) = view {
                for name in [ImageCheck.Name.partitionTable, .filesystem, .bootloaderConfig, .packageChecksums, .initrdArchive] {
                    result.checks.append(.init(check: name, status: .couldNotCheck, summary: why.text))
                }
            }
            return result
        }
        let (tableCheck, offset) = run.partitionCheck(raw, saveAs: "sfdisk")
        result.checks.append(tableCheck)
        let fs = ExtFilesystem(device: ExtFilesystem.device(file: raw, offset: offset), tools: tools)
        let (fsCheck, readable) = run.filesystemCheck(fs)
        result.checks.append(fsCheck)
        guard readable else {
            let why = "the filesystem cannot be read (\(fsCheck.check.rawValue) \(fsCheck.status.rawValue))"
            result.checks.append(.init(check: .bootloaderConfig, status: .couldNotCheck, summary: why))
            result.checks.append(.init(check: .packageChecksums, status: .couldNotCheck, summary: why))
            result.checks.append(.init(check: .initrdArchive, status: .couldNotCheck, summary: why))
            return result
        }
        result.checks.append(run.bootloaderCheck(fs))
        let masterFS = master.flatMap { run.masterFilesystem($0, format: masterFormat) }
        result.checks.append(run.checksumCheck(fs, master: masterFS))
        result.checks.append(run.initrdCheck(fs))
        return result
    }

    /// `qemu-img check`: 0 no errors, 2 corruptions, 3 leaked clusters only (space lost, no
    /// data harmed), 1 the check could not finish (qemu-img(1), "EXIT CODES").
    @available(*, noasync)
    func qcow2Check(_ tools: IntegrityTools) -> ImageCheck {
        let run: IntegrityTools.Run
        do { run = try tools.run("qemu-img", ["check", "-f", "qcow2", image], saveAs: "qemu-img-check") } catch {
            return .init(check: .qcow2, status: .couldNotCheck, summary: error.description)
        }
        let lines = run.lines
        switch run.result.status {
        case 0: return .init(check: .qcow2, status: .passed, summary: "qemu-img check: " + (lines.first { $0.contains("No errors") } ?? "no errors"),
                             outputs: [run.output], seconds: run.seconds)
        case 3: return .init(check: .qcow2, status: .passed, summary: "qemu-img check: leaked clusters only, no corruption: " + (lines.first { $0.contains("leaked") } ?? ""),
                             outputs: [run.output], seconds: run.seconds)
        case 2: return .init(check: .qcow2, status: .failed, summary: "qemu-img check found corruption in the qcow2 metadata",
                             proof: Array(lines.filter { $0.contains("ERROR") || $0.contains("corruption") || $0.contains("errors were found") }.prefix(8)),
                             outputs: [run.output], seconds: run.seconds)
        default: return .init(check: .qcow2, status: .couldNotCheck, summary: "qemu-img check exited \(run.result.status): \(run.result.lastErrorLine ?? "")",
                              outputs: [run.output], seconds: run.seconds)
        }
    }

    /// `qemu-img compare`: 0 identical, 1 different ("Content mismatch at offset N!"), 2 error.
    @available(*, noasync)
    func compareCheck(_ master: String, _ tools: IntegrityTools) -> ImageCheck {
        if let why = Self.reasonNotToCheck(master) { return .init(check: .master, status: .couldNotCheck, summary: why) }
        let run: IntegrityTools.Run
        do {
            run = try tools.run("qemu-img", ["compare", "-f", format.rawValue, "-F", masterFormat.rawValue, image, master], saveAs: "qemu-img-compare")
        } catch { return .init(check: .master, status: .couldNotCheck, summary: error.description) }
        switch run.result.status {
        case 0: return .init(check: .master, status: .passed, summary: "identical to the master \(master)", outputs: [run.output], seconds: run.seconds)
        case 1:
            let mismatch = run.lines.first { $0.contains("mismatch") || $0.contains("differ") } ?? "the images differ"
            return .init(check: .master, status: .failed, summary: "differs from the master \(master)", proof: [mismatch], outputs: [run.output], seconds: run.seconds)
        default:
            return .init(check: .master, status: .couldNotCheck, summary: "qemu-img compare exited \(run.result.status): \(run.result.lastErrorLine ?? "")",
                         outputs: [run.output], seconds: run.seconds)
        }
    }
}

/// The steps that read the image's raw bytes, sharing the scratch folder.
struct CheckRun {
    let tools: IntegrityTools
    var scratch: URL?

    struct Why: Error { var text: String }

    /// A path e2fsprogs and sfdisk can read the image's raw bytes at. A raw image is named
    /// through a symlink in scratch: e2fsprogs reads anything after `?` in a device name as
    /// io options, so an image path with a `?` would be misread. A qcow2 image becomes a raw
    /// copy (`qemu-img convert`, which opens its source read-only).
    @available(*, noasync)
    func rawView(of path: String, format: DiskFormat, named name: String) -> Result<String, Why> {
        guard let scratch else { return .failure(Why(text: "no scratch folder")) }
        let view = scratch.appendingPathComponent("\(name).raw").path
        if format == .raw {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard symlink(absolute, view) == 0 else { return .failure(Why(text: "cannot link \(view): \(String(cString: strerror(errno)))")) }
            return .success(view)
        }
        // A backing file without a declared format would be probed by qemu-img (README.md,
        // Safety: formats are declared, never guessed).
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = [UInt8]((try? handle.read(upToCount: 65536)) ?? Data())
            try? handle.close()
            if let header = try? DiskHeader.qcow2(head), let backing = header.backingFile, header.backingFormat == nil {
                return .failure(Why(text: "not checked: qcow2 filesystem needs a raw view, and its backing file \(backing) declares no format"))
            }
        }
        do { try ScratchFolder.reserve(view) } catch { return .failure(Why(text: "\(error)")) }
        do {
            let run = try tools.run("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", path, view], saveAs: "qemu-img-convert-\(name)")
            guard run.result.status == 0 else {
                return .failure(Why(text: "not checked: qcow2 filesystem needs a raw view, and qemu-img convert failed: \(run.result.lastErrorLine ?? "exit \(run.result.status)")"))
            }
        } catch {
            return .failure(Why(text: "not checked: qcow2 filesystem needs a raw view: \(error)"))
        }
        return .success(view)
    }

    /// The partition table, and the byte offset of the filesystem to check (0 for a
    /// whole-disk filesystem: sfdisk says "does not contain a recognized partition table").
    @available(*, noasync)
    func partitionCheck(_ raw: String, saveAs name: String) -> (ImageCheck, UInt64) {
        let run: IntegrityTools.Run
        do { run = try tools.run("sfdisk", ["--json", raw], saveAs: name) } catch {
            return (.init(check: .partitionTable, status: .couldNotCheck, summary: "\(error); the filesystem is looked for at byte 0"), 0)
        }
        if run.result.status != 0 {
            if run.result.stderr.contains("does not contain a recognized partition table") {
                return (.init(check: .partitionTable, status: .passed, summary: "no partition table: a whole-disk filesystem", outputs: [run.output], seconds: run.seconds), 0)
            }
            return (.init(check: .partitionTable, status: .couldNotCheck, summary: "sfdisk exited \(run.result.status): \(run.result.lastErrorLine ?? "")",
                          outputs: [run.output], seconds: run.seconds), 0)
        }
        guard let layout = PartitionLayout(json: run.result.stdout) else {
            return (.init(check: .partitionTable, status: .couldNotCheck, summary: "sfdisk printed no partition table JSON", outputs: [run.output]), 0)
        }
        guard let root = layout.rootCandidate else {
            return (.init(check: .partitionTable, status: .failed, summary: "a \(layout.label) partition table with no partition",
                          proof: ["sfdisk --json: \(layout.label) table, \"partitions\" is empty"], outputs: [run.output], seconds: run.seconds), 0)
        }
        let parts = layout.partitions.map { "#\($0.number) at byte \($0.offset), \($0.size) bytes, type \($0.type)\($0.bootable ? ", bootable" : "")" }
        return (.init(check: .partitionTable, status: .passed,
                      summary: "\(layout.label) table, \(layout.partitions.count) partition\(layout.partitions.count == 1 ? "" : "s"): \(parts.joined(separator: "; ")); checking #\(root.number)",
                      outputs: [run.output], seconds: run.seconds), root.offset)
    }

    /// `e2fsck -n -f` (forced: a "clean" flag is the guest's word, not a check) and whether
    /// debugfs can open the filesystem. e2fsck's exit status 4 is "errors left uncorrected"
    /// (e2fsck(8)), with -n every error found; 8 is an operational error (no ext filesystem).
    @available(*, noasync)
    func filesystemCheck(_ fs: ExtFilesystem) -> (ImageCheck, readable: Bool) {
        let openProblem = fs.openProblem()
        let run: IntegrityTools.Run
        do { run = try tools.run("e2fsck", ["-n", "-f", fs.device], saveAs: "e2fsck") } catch {
            if let openProblem {
                return (.init(check: .filesystem, status: .failed, summary: "debugfs cannot open the filesystem", proof: [openProblem], outputs: ["integrity/debugfs-stats.txt"]), false)
            }
            return (.init(check: .filesystem, status: .couldNotCheck, summary: error.description), true)
        }
        let outputs = [run.output, "integrity/debugfs-stats.txt"]
        let findings = run.lines.filter { !$0.hasPrefix("Pass ") && !$0.hasPrefix("e2fsck 1.") && $0 != "Fix? no" && $0 != "IGNORED." }
        let status = run.result.status
        if status & 4 != 0 {
            var proof = Array(findings.prefix(8))
            if let openProblem { proof.insert(openProblem, at: 0) }
            return (.init(check: .filesystem, status: .failed, summary: "e2fsck -n found errors (exit \(status))" + (openProblem == nil ? "" : "; debugfs cannot open the primary superblock"),
                          proof: proof, outputs: outputs, seconds: run.seconds), openProblem == nil)
        }
        if status >= 8 {
            return (.init(check: .filesystem, status: .couldNotCheck, summary: "e2fsck could not check an ext2/3/4 filesystem at \(fs.device) (exit \(status)): \(findings.first ?? run.result.lastErrorLine ?? "")",
                          outputs: outputs, seconds: run.seconds), false)
        }
        if let openProblem {
            return (.init(check: .filesystem, status: .failed, summary: "e2fsck passed but debugfs cannot open the filesystem", proof: [openProblem], outputs: outputs, seconds: run.seconds), false)
        }
        let last = findings.last { $0.contains("files,") || $0.contains("files (") } ?? "clean"
        return (.init(check: .filesystem, status: .passed, summary: "e2fsck -n -f: no errors (\(last))", outputs: outputs, seconds: run.seconds), true)
    }

    /// /boot/grub/grub.cfg's braces balance and every file its `linux`/`initrd` lines name is
    /// a non-empty regular file.
    @available(*, noasync)
    func bootloaderCheck(_ fs: ExtFilesystem) -> ImageCheck {
        let path = "/boot/grub/grub.cfg"
        let text: String
        do { text = try fs.cat(path, saveAs: "debugfs-grub-cfg") } catch {
            if case .notFound = error {
                return .init(check: .bootloaderConfig, status: .couldNotCheck, summary: "no \(path) in the filesystem (menu.lst and extlinux.conf are not checked)",
                             outputs: ["integrity/debugfs-grub-cfg.txt"])
            }
            return .init(check: .bootloaderConfig, status: .couldNotCheck, summary: "cannot read \(path): \(error)")
        }
        var outputs = [tools.keep(text, as: "grub.cfg")]
        let config = GrubConfigFiles(text)
        var proof: [String] = []
        if config.braceBalance != 0 {
            proof.append("\(path): \(abs(config.braceBalance)) \(config.braceBalance > 0 ? "unclosed {" : "unmatched }"): GRUB stops with a syntax error")
        }
        if config.references.isEmpty && config.unresolved.isEmpty { proof.append("\(path) has no linux line: nothing names a kernel to boot") }
        var found: [String] = []
        var unchecked = config.unresolved.map { "\($0.path) (line \($0.line), a GRUB variable)" }
        for (i, ref) in config.references.enumerated() {
            do {
                let name = "debugfs-stat-\(i + 1)"
                outputs.append("integrity/\(name).txt")
                guard let file = try fs.size(of: ref.path, saveAs: name) else {
                    proof.append("\(path) line \(ref.line) (\(ref.keyword)) names \(ref.path), which is not in the filesystem")
                    continue
                }
                if file.type != "regular" { proof.append("\(path) line \(ref.line) (\(ref.keyword)) names \(ref.path), a \(file.type), not a file") }
                else if file.size == 0 { proof.append("\(path) line \(ref.line) (\(ref.keyword)) names \(ref.path), which is empty") }
                else { found.append("\(ref.path) (\(file.size) bytes)") }
            } catch {
                unchecked.append("\(ref.path) (\(error))")
            }
        }
        if !proof.isEmpty {
            return .init(check: .bootloaderConfig, status: .failed, summary: "\(path) does not lead to a bootable kernel", proof: proof, outputs: outputs)
        }
        if found.isEmpty {
            return .init(check: .bootloaderConfig, status: .couldNotCheck, summary: "\(path) names no file that can be checked offline: \(unchecked.joined(separator: ", "))", outputs: outputs)
        }
        return .init(check: .bootloaderConfig, status: .passed,
                     summary: "\(path) parses; the files it names exist: \(found.joined(separator: ", "))" + (unchecked.isEmpty ? "" : "; not checked: \(unchecked.joined(separator: ", "))"),
                     outputs: outputs)
    }

    /// The master's filesystem, for comparing a mismatching file's bytes.
    @available(*, noasync)
    func masterFilesystem(_ master: String, format: DiskFormat) -> ExtFilesystem? {
        guard ImageIntegrityChecker.reasonNotToCheck(master) == nil, case .success(let raw) = rawView(of: master, format: format, named: "master") else { return nil }
        let (_, offset) = partitionCheck(raw, saveAs: "sfdisk-master")
        let fs = ExtFilesystem(device: ExtFilesystem.device(file: raw, offset: offset), tools: tools)
        return fs.openProblem() == nil ? fs : nil
    }

    /// /boot's files against `/var/lib/dpkg/info/linux-image-*.md5sums`, the checksums dpkg
    /// installed with the kernel package: a mismatch is a kernel that is not the one the
    /// package shipped.
    @available(*, noasync)
    func checksumCheck(_ fs: ExtFilesystem, master: ExtFilesystem?) -> ImageCheck {
        let info = "/var/lib/dpkg/info"
        let names: [String]
        do { names = try fs.list(info, saveAs: "debugfs-dpkg-info") } catch {
            return .init(check: .packageChecksums, status: .couldNotCheck, summary: "the image has no package database (\(error))", outputs: ["integrity/debugfs-dpkg-info.txt"])
        }
        let lists = names.filter { $0.hasPrefix("linux-image-") && $0.hasSuffix(".md5sums") }.sorted()
        guard !lists.isEmpty else {
            return .init(check: .packageChecksums, status: .couldNotCheck, summary: "no \(info)/linux-image-*.md5sums in the image", outputs: ["integrity/debugfs-dpkg-info.txt"])
        }
        var outputs = ["integrity/debugfs-dpkg-info.txt"]
        var matched: [String] = [], absent: [String] = [], proof: [String] = [], problems: [String] = []
        var n = 0
        for list in lists {
            let sums: PackageChecksums
            do {
                let text = try fs.cat("\(info)/\(list)", saveAs: "debugfs-\(list)")
                outputs.append(tools.keep(text, as: list))
                sums = PackageChecksums(text)
            } catch { problems.append("\(list): \(error)"); continue }
            for entry in sums.boot {
                n += 1
                do {
                    guard let file = try fs.size(of: entry.path, saveAs: "debugfs-stat-sum-\(n)"), file.type == "regular" else { absent.append(entry.path); continue }
                    let copy = try dumped(entry.path, from: fs, as: "sum-\(n)")
                    let md5 = try md5(of: copy)
                    if md5 == entry.md5 {
                        matched.append("\(entry.path) (\(file.size) bytes, md5 \(md5))")
                        continue
                    }
                    var line = "\(entry.path) (\(file.size) bytes): md5 \(md5) in the image, \(entry.md5) recorded in \(info)/\(list)"
                    if let master, let range = try? differingBytes(entry.path, copy, master: master, n: n) { line += "; " + range }
                    proof.append(line)
                } catch { problems.append("\(entry.path): \(error)") }
            }
        }
        var notes: [String] = []
        if !absent.isEmpty { notes.append("recorded but not in the image: \(absent.joined(separator: ", "))") }
        if !problems.isEmpty { notes.append("could not check \(problems.joined(separator: "; "))") }
        // update-initramfs builds the initrd on the guest: no package records its checksum.
        notes.append("initrd images are built on the guest and recorded by no package (initrd_archive tests them)")
        if !proof.isEmpty {
            return .init(check: .packageChecksums, status: .failed,
                         summary: "\(proof.count) file\(proof.count == 1 ? " in /boot differs" : "s in /boot differ") from what the kernel package recorded; " + notes.joined(separator: "; "),
                         proof: proof, outputs: outputs)
        }
        if matched.isEmpty {
            return .init(check: .packageChecksums, status: .couldNotCheck, summary: "no recorded /boot file could be compared; " + notes.joined(separator: "; "), outputs: outputs)
        }
        return .init(check: .packageChecksums, status: .passed,
                     summary: "match the kernel package's md5sums: \(matched.joined(separator: ", ")); " + notes.joined(separator: "; "), outputs: outputs)
    }

    /// The compressors an initrd starts with (their magic numbers) and the tool that tests one.
    static let compressors: [(magic: [UInt8], tool: String)] = [
        ([0x1F, 0x8B], "gzip"), ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz"), ([0x28, 0xB5, 0x2F, 0xFD], "zstd"),
    ]

    /// Each initrd grub.cfg names is an archive its compressor reads to the end. An initrd that
    /// starts with an uncompressed cpio ("070701": early microcode, then the compressed main
    /// archive) is not split here, and says so.
    @available(*, noasync)
    func initrdCheck(_ fs: ExtFilesystem) -> ImageCheck {
        guard let text = try? fs.cat("/boot/grub/grub.cfg", saveAs: "debugfs-grub-cfg-initrd") else {
            return .init(check: .initrdArchive, status: .couldNotCheck, summary: "no /boot/grub/grub.cfg names an initrd")
        }
        let initrds = Array(Set(GrubConfigFiles(text).references.filter { GrubConfigFiles.initrdWords.contains($0.keyword) }.map(\.path))).sorted()
        guard !initrds.isEmpty else { return .init(check: .initrdArchive, status: .couldNotCheck, summary: "grub.cfg names no initrd") }
        var good: [String] = [], proof: [String] = [], unchecked: [String] = [], outputs: [String] = []
        for (i, path) in initrds.enumerated() {
            do {
                guard let file = try fs.size(of: path, saveAs: "debugfs-stat-initrd-\(i + 1)"), file.type == "regular", file.size > 0 else {
                    unchecked.append("\(path) (not a non-empty file; see bootloader_config)")
                    continue
                }
                let copy = try dumped(path, from: fs, as: "initrd-\(i + 1)")
                let head = [UInt8]((try? FileHandle(forReadingFrom: URL(fileURLWithPath: copy)).read(upToCount: 8)) ?? Data())
                guard let tool = Self.compressors.first(where: { head.starts(with: $0.magic) })?.tool else {
                    let kind = head.starts(with: Array("070701".utf8)) ? "an uncompressed cpio (early microcode first?)" : "no compression bootcanary tests"
                    unchecked.append("\(path) (\(kind))")
                    continue
                }
                let run = try tools.run(tool, ["-t", copy], saveAs: "\(tool)-test-initrd-\(i + 1)")
                outputs.append(run.output)
                if run.result.status == 0 { good.append("\(path) (\(file.size) bytes, \(tool) -t: intact)") }
                else { proof.append("\(path) (\(file.size) bytes): \(tool) -t: \(run.result.lastErrorLine.map { $0.replacingOccurrences(of: copy, with: path) } ?? "exit \(run.result.status)")") }
            } catch { unchecked.append("\(path) (\(error))") }
        }
        let rest = unchecked.isEmpty ? "" : "; not checked: \(unchecked.joined(separator: ", "))"
        if !proof.isEmpty {
            return .init(check: .initrdArchive, status: .failed, summary: "\(proof.count) initrd\(proof.count == 1 ? " does" : "s do") not decompress to the end" + rest, proof: proof, outputs: outputs)
        }
        if good.isEmpty { return .init(check: .initrdArchive, status: .couldNotCheck, summary: "no initrd could be tested" + rest, outputs: outputs) }
        return .init(check: .initrdArchive, status: .passed, summary: "decompress to the end: \(good.joined(separator: ", "))" + rest, outputs: outputs)
    }

    @available(*, noasync)
    func dumped(_ path: String, from fs: ExtFilesystem, as name: String) throws -> String {
        guard let scratch else { throw Why(text: "no scratch folder") }
        let copy = scratch.appendingPathComponent(name).path
        try ScratchFolder.reserve(copy)
        try fs.dump(path, to: copy, saveAs: "debugfs-dump-\(name)")
        return copy
    }

    @available(*, noasync)
    func md5(of file: String) throws -> String {
        let run = try tools.run("md5sum", [file], saveAs: "md5sum-\(URL(fileURLWithPath: file).lastPathComponent)")
        guard run.result.status == 0, let sum = run.result.stdout.split(separator: " ").first, sum.count == 32 else {
            throw Why(text: "md5sum failed: \(run.result.lastErrorLine ?? "exit \(run.result.status)")")
        }
        return String(sum)
    }

    /// The first and last byte offsets where the image's copy of `path` and the master's
    /// differ, and how many bytes differ.
    @available(*, noasync)
    func differingBytes(_ path: String, _ copy: String, master: ExtFilesystem, n: Int) throws -> String {
        let theirs = try dumped(path, from: master, as: "master-sum-\(n)")
        let a = [UInt8](try Data(contentsOf: URL(fileURLWithPath: copy)))
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: theirs)))
        var first: Int?, last = 0, count = 0
        for i in 0..<min(a.count, b.count) where a[i] != b[i] {
            if first == nil { first = i }
            last = i
            count += 1
        }
        if a.count != b.count { return "the master's copy has \(b.count) bytes, this one \(a.count)" + (first.map { "; first difference at byte \($0)" } ?? "") }
        guard let first else { return "identical to the master's copy" }
        return "differs from the master's copy at bytes \(first)–\(last) (\(count) bytes differ)"
    }
}
