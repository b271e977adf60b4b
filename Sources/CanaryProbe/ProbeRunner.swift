import CanaryClassify
import CanaryConsole
import CanaryDiagnose
import CanaryEvidence
import CanaryHostFacts
import CanaryModel
import Foundation
import Libvirt

/// Prepares and runs probe boots: turns a plan into a domain spec (running pygrub, fetching
/// an installer, making an overlay as the kind needs), boots it with `BootProbe`, and removes
/// everything it made, on every path.
public struct ProbeRunner: Sendable {
    public var connection: Connection
    public var ledger: Ledger?
    public var settings: BootSettings
    public var fetcher: InstallerFetcher
    /// Where per-boot scratch folders go (overlays, extracted kernels).
    public var scratchRoot: URL
    /// Which host this runner boots on, for the diagnosis.
    public var host: BootHost = .suspect
    /// How to run the host's own tools (its logs, `xl`), when there is a way.
    public var hostAccess: HostAccess?
    /// Sees each boot's domain XML as it goes to the create, with the scratch files it names
    /// (the run folder's reproduce.sh is written from these).
    public var onCreate: (@Sendable (ReproducibleBoot) -> Void)?

    public init(connection: Connection, ledger: Ledger?, settings: BootSettings,
                fetcher: InstallerFetcher = InstallerFetcher(), scratchRoot: URL = ScratchFolder.defaultRoot(),
                hostAccess: HostAccess? = nil) {
        self.connection = connection
        self.ledger = ledger
        self.settings = settings
        self.fetcher = fetcher
        self.scratchRoot = scratchRoot
        self.hostAccess = hostAccess
    }

    var isLocal: Bool { ConnectionURI(connection.uri).isLocal }
    var isXen: Bool { connection.uri.hasPrefix("xen") }

    /// Boots `plan` once.
    public func boot(_ plan: ProbePlan, runID: String, repetition: Int, transcript: URL?,
                     onLine: @Sendable (ConsoleLine, ConsoleTime?) -> Void = { _, _ in }) async throws -> BootRecord {
        var boot = try await bootOnce(plan, runID: runID, repetition: repetition, transcript: transcript, onLine: onLine)
        boot.host = host
        boot.usesGuestDisk = plan.protectedDisk != nil
        return boot
    }

    func bootOnce(_ plan: ProbePlan, runID: String, repetition: Int, transcript: URL?,
                  onLine: @Sendable (ConsoleLine, ConsoleTime?) -> Void) async throws -> BootRecord {
        let name = ProbeName.make(runID: runID, kind: plan.kind, repetition: repetition)
        let scratch = scratchRoot.appendingPathComponent(name)
        let scratchEntry = Ledger.Entry(op: .scratch, path: scratch.path)
        let ledger = self.ledger
        // The undo is registered before the ledger line and the folder, and both are made as
        // a creation teardown waits for: a signal at any point leaves neither behind.
        let undo = Teardown.shared.register("removed scratch folder \(scratch.path)") {
            try? FileManager.default.removeItem(at: scratch)
            try? ledger?.recordRemoved(scratchEntry)
        }
        defer {
            try? FileManager.default.removeItem(at: scratch)
            Teardown.shared.unregister(undo)
            try? ledger?.recordRemoved(scratchEntry)
        }
        do {
            try Teardown.shared.creation {
                try ledger?.record(scratchEntry)
                _ = try ScratchFolder.makeBootFolder(in: scratchRoot, name: name)
            }
        } catch let error as ScratchFolder.Failure {
            return BootProbe(connection: connection, ledger: ledger, settings: settings)
                .refused(kind: plan.kind, run: repetition, name: name, transcript: transcript, console: "",
                         ending: .infrastructureError(error.description), metadata: ["plan": plan.summary])
        }

        let label = DomainSpec.ProbeLabel(runID: runID, kind: plan.kind, repetition: repetition, pid: getpid())
        let probe = BootProbe(connection: connection, ledger: ledger, settings: settings, hostAccess: hostAccess)
        var metadata: [String: String] = ["plan": plan.summary, "guestDisk": plan.protectedDisk == nil ? "no" : "yes",
                                          "host": host.rawValue]
        let prepared: PreparedBoot
        do {
            prepared = try await prepare(plan, name: name, label: label, scratch: scratch)
        } catch let failure as PygrubLoader.Failure where failure.readImage {
            // pygrub read the image and found no bootable kernel: a result about the guest, with
            // pygrub's own words as its console.
            return probe.refused(kind: plan.kind, run: repetition, name: name, transcript: transcript,
                                 console: failure.transcript, ending: .startFailure(failure.description), metadata: metadata)
        } catch let failure as PygrubLoader.Failure {
            // pygrub or its sandbox failed before it read the image: bootcanary's side.
            return probe.refused(kind: plan.kind, run: repetition, name: name, transcript: transcript, console: "",
                                 ending: .infrastructureError("\(failure.description) (pygrub did not get to read the image; not evidence about it)"),
                                 metadata: metadata)
        } catch {
            return probe.refused(kind: plan.kind, run: repetition, name: name, transcript: transcript,
                                 console: "", ending: .infrastructureError(Self.describe(error)), metadata: metadata)
        }
        metadata.merge(prepared.metadata) { a, _ in a }
        let onCreate = self.onCreate
        let reproducible: @Sendable (String) -> Void = { [self] xml in
            _ = onCreate?(ReproducibleBoot(label: BootLabel(kind: plan.kind, run: repetition, host: host), uri: connection.uri,
                                       domain: name, xml: xml, scratchInputs: Self.scratchInputs(prepared, plan: plan, scratch: scratch)))
        }
        var boot = await probe.run(spec: prepared.spec, kind: plan.kind, run: repetition, transcript: transcript,
                                   extraMetadata: metadata, protectedPaths: prepared.protectedPaths,
                                   onLine: onLine, onCreateXML: reproducible)
        // Deleting the uploads is RPCs, so on the blocking pool; not a `defer`, which cannot
        // await (nothing between the upload and here throws).
        if let uploads = prepared.uploads { await BlockingCall.run { uploads.removeAll() } }
        boot.notes.insert(contentsOf: prepared.notes, at: 0)
        return boot
    }

    /// The files of a prepared boot that bootcanary made and deletes after it: an overlay (made
    /// again by reproduce.sh over the layer below it), a kernel or initrd in scratch (pygrub's,
    /// an installer's copy), a volume uploaded to a remote host.
    static func scratchInputs(_ prepared: PreparedBoot, plan: ProbePlan, scratch: URL) -> [ScratchInput] {
        let inScratch = { (path: String) in path.hasPrefix(scratch.path + "/") }
        var inputs: [ScratchInput] = []
        for disk in prepared.spec.disks where inScratch(disk.path) {
            if let below = disk.backing.first {
                inputs.append(ScratchInput(path: disk.path, what: "the copy-on-write overlay over \(below.path)",
                                           remake: .overlay(backing: below.path, format: below.format)))
            } else {
                inputs.append(ScratchInput(path: disk.path, what: "a disk made in scratch", remake: .localFile))
            }
        }
        if case .direct(let kernel, let initrd, _) = prepared.spec.boot {
            let whose = plan.kind == .pygrub ? "pygrub extracted from the image" : "copied from the install tree"
            for (path, what) in [(kernel, "kernel"), (initrd, "initrd")] {
                guard let path else { continue }
                if prepared.uploads != nil {
                    inputs.append(ScratchInput(path: path, what: "the installer's \(what), uploaded", remake: .uploadedVolume))
                } else if inScratch(path) {
                    inputs.append(ScratchInput(path: path, what: "the \(what) \(whose)", remake: .localFile))
                }
            }
        }
        return inputs
    }

    struct PreparedBoot {
        var spec: DomainSpec
        var metadata: [String: String] = [:]
        var notes: [String] = []
        /// Files uploaded to a remote host for this boot, deleted after it.
        var uploads: BootFileUpload?
        /// Input files the domain reaches (the image and its backing chain): never changed.
        var protectedPaths: [String] = []
    }

    /// The image as far as this machine can know it: inspected when the connection is local;
    /// on a remote host the path is the host's, so its format is what was declared (raw when
    /// nothing was), never guessed from its name or bytes.
    func diskImage(_ path: String, declared: DiskFormat?) throws -> DiskImage {
        if isLocal { return try DiskImage.inspect(path, declared: declared) }
        let format = declared ?? .raw
        // The host's own files cannot be stat'ed from here; its block devices live under /dev
        // (LVM's /dev/VG/LV, /dev/mapper, /dev/loopN, /dev/disk/by-*), and libxl attaches
        // those with blkback directly instead of through a loop device.
        let block = path.hasPrefix("/dev/")
        return DiskImage(path: path, format: format, sizeBytes: 0, isBlockDevice: block, backingChain: [],
                         notes: ["\(path) on \(connection.uri): \(declared == nil ? "no format declared, attached as raw" : "\(format.rawValue) as declared")\(block ? ", a block device (under /dev)" : "")"])
    }

    func prepare(_ plan: ProbePlan, name: String, label: DomainSpec.ProbeLabel, scratch: URL) async throws -> PreparedBoot {
        var spec = DomainSpec(name: name, domainType: plan.domainType, guestType: plan.guestType, memoryMiB: plan.memoryMiB,
                              vcpus: plan.vcpus, boot: .direct(kernel: "", initrd: nil, cmdline: ""), probe: label)
        var prepared = PreparedBoot(spec: spec)
        switch plan.source {
        case .pygrub(let disk), .image(let disk):
            let image = try diskImage(disk, declared: plan.diskFormat)
            prepared.notes += image.notes
            prepared.protectedPaths = image.allPaths
            let fresh = plan.kind == .image
            spec.disks = [try await attachOnPool(image, scratch: scratch, writable: fresh, guestType: plan.guestType, notes: &prepared.notes)]
            if plan.domainType == "xen" {
                // The image's own bootloader, each guest type the way Xen boots it.
                switch plan.guestType {
                case .pv:
                    // libxl runs pygrub itself, in dom0, inside the create call.
                    spec.boot = .bootloader(path: "pygrub", args: nil)
                    prepared.notes.append("booted through pygrub, run by libxl on \(connection.uri)")
                case .pvh:
                    spec.boot = .pvFirmware(path: settings.pvhFirmware)
                    prepared.notes.append("booted through the PVH firmware \(settings.pvhFirmware) (pvgrub2), which reads the image's own grub.cfg")
                case .hvm:
                    spec.boot = .firmware
                    prepared.notes.append("booted through hvmloader and SeaBIOS from the image's own boot sector")
                }
            } else {
                guard isLocal else {
                    throw RemoteFiles.Unsupported(what: "the pygrub kind on \(connection.uri) (not Xen, so pygrub would have to run here on a disk that is there)")
                }
                // pygrub and qemu-img block for seconds: on their own thread, not the cooperative pool.
                let runner = self
                let (entry, viewNotes) = try await BlockingCall.run("pygrub on \(disk)", seconds: settings.timeout) {
                    var notes: [String] = []
                    let view = try runner.pygrubView(of: image, scratch: scratch, notes: &notes)
                    defer { if view != image.path { try? FileManager.default.removeItem(atPath: view) } }
                    return (try PygrubLoader().extract(disk: view, into: scratch.appendingPathComponent("boot")), notes)
                }
                prepared.notes += viewNotes
                spec.boot = .direct(kernel: entry.kernel, initrd: entry.ramdisk,
                                    cmdline: KernelCommandLine.ensuringConsole(entry.args, device: spec.consoleDevice))
                prepared.metadata["pygrub"] = "kernel \(URL(fileURLWithPath: entry.kernel).lastPathComponent), args \(entry.args)"
            }
        case .kernel(let kernel, let initrd, let cmdline, let disk):
            if let disk {
                let image = try diskImage(disk, declared: plan.diskFormat)
                prepared.notes += image.notes
                prepared.protectedPaths = image.allPaths
                spec.disks = [try await attachOnPool(image, scratch: scratch, writable: false, guestType: plan.guestType, notes: &prepared.notes)]
            }
            spec.boot = .direct(kernel: kernel, initrd: initrd, cmdline: KernelCommandLine.ensuringConsole(cmdline, device: spec.consoleDevice))
        case .installer(let url):
            let flavour: InstallTree.Flavour = plan.domainType == "xen" && plan.guestType != .hvm ? .xen : .native(arch: "x86_64")
            let fetched = try await fetcher.fetch(treeURL: url, flavour: flavour, within: InstallerFetcher.fetchSeconds(bootTimeout: settings.timeout))
            prepared.metadata["installer"] = "\(fetched.media.layout.rawValue) tree \(url): \(fetched.media.kernel)"
            let cmdline = "console=\(spec.consoleDevice)"
            if isLocal {
                // The cached files may be shared by parallel boots; give each boot its own copy so
                // libvirt's relabelling of one cannot disturb another.
                let kernel = scratch.appendingPathComponent("vmlinuz")
                let initrd = scratch.appendingPathComponent("initrd.img")
                try FileManager.default.copyItem(at: fetched.kernel, to: kernel)
                try FileManager.default.copyItem(at: fetched.initrd, to: initrd)
                spec.boot = .direct(kernel: kernel.path, initrd: initrd.path, cmdline: cmdline)
            } else {
                // A remote hypervisor boots only files on its own disk: upload them into a
                // storage volume, as virt-install does, and delete them after the boot. RPCs and
                // an upload stream: on the blocking pool.
                let (upload, kernel, initrd) = try await BlockingCall.run { () throws -> (BootFileUpload, String, String) in
                    let upload = try BootFileUpload(connection: connection, ledger: ledger, isXen: isXen)
                    do {
                        let kernel = try upload.put(fetched.kernel, as: "\(name)-vmlinuz")
                        let initrd = try upload.put(fetched.initrd, as: "\(name)-initrd.img")
                        return (upload, kernel, initrd)
                    } catch {
                        // The kernel's volume is on the host already when the initrd's fails:
                        // it goes now, not at the next SIGINT or `bootcanary cleanup`.
                        upload.removeAll()
                        throw error
                    }
                }
                prepared.uploads = upload
                prepared.metadata["upload"] = "storage pool \(upload.poolName) on \(connection.uri)"
                spec.boot = .direct(kernel: kernel, initrd: initrd, cmdline: cmdline)
            }
        }
        prepared.spec = spec
        return prepared
    }

    /// `attach` on the blocking pool: making the overlay runs qemu-img (up to 60 s).
    func attachOnPool(_ image: DiskImage, scratch: URL, writable: Bool, guestType: DomainSpec.GuestType,
                      notes: inout [String]) async throws -> DomainSpec.Disk {
        let runner = self
        let (disk, added) = try await BlockingCall.run { () throws -> (DomainSpec.Disk, [String]) in
            var added: [String] = []
            let disk = try runner.attach(image, scratch: scratch, writable: writable, guestType: guestType, notes: &added)
            return (disk, added)
        }
        notes += added
        return disk
    }

    /// How the suspect image is attached, so that it is only ever read:
    /// - a local QEMU/KVM host, or a local Xen host for qcow2: a qcow2 overlay in scratch (the
    ///   guest may write, the image is only read); Xen's qdisk backend refuses read-only disks;
    /// - otherwise read-only: a raw image on Xen through a loop device and blkback, emulated as
    ///   SCSI for HVM, since qemu-xen refuses read-only IDE disks.
    /// The method is written into the boot's notes.
    func attach(_ image: DiskImage, scratch: URL, writable: Bool, guestType: DomainSpec.GuestType,
                notes: inout [String]) throws -> DomainSpec.Disk {
        // Xen HVM takes a raw image read-only as emulated SCSI (DomainSpec.diskTarget).
        let overlayWanted = !isXen || image.format != .raw
        if overlayWanted && isLocal {
            let overlay = try image.overlay(in: scratch)
            notes.append("attached through a copy-on-write overlay in scratch (\(overlay)); \(image.path) is only read")
            // The image and its chain stay as they are where the hypervisor's user can read them
            // anyway; only then may libvirt be told not to relabel (else QEMU could not open them,
            // and AttachedFiles puts their owners back once the last boot using them is gone).
            let layers = ([(image.path, image.format, image.isBlockDevice)] + image.backingChain.map { ($0.path, $0.format, false) })
                .map { DomainSpec.Disk.Layer(path: $0.0, format: $0.1.rawValue, isBlockDevice: $0.2,
                                             relabel: !PygrubLoader.worldReadable($0.0)) }
            return DomainSpec.Disk(path: overlay, format: "qcow2", readOnly: false, backing: layers)
        }
        if overlayWanted {
            throw RemoteFiles.Unsupported(what: "attaching \(image.format.rawValue) disk \(image.path) to a \(isXen ? "Xen \(guestType.rawValue)" : "QEMU/KVM") guest on the remote host \(connection.uri) without writing it (an overlay must be made on that host)")
        }
        if writable { notes.append("the fresh instance is attached read-only: \(connection.uri) is not a local QEMU/KVM host") }
        notes.append("attached read-only (\(image.path))")
        return DomainSpec.Disk(path: image.path, format: image.format.rawValue, readOnly: true, isBlockDevice: image.isBlockDevice)
    }

    /// A disk pygrub can read: the image itself when it is raw and readable by pygrub's
    /// unprivileged user; else a raw copy of its content in scratch (pygrub reads only raw
    /// disks, and runs as `nobody`).
    func pygrubView(of image: DiskImage, scratch: URL, notes: inout [String]) throws -> String {
        let unprivileged = geteuid() == 0
        if image.format == .raw && (!unprivileged || PygrubLoader.worldReadable(image.path)) { return image.path }
        let view = try image.rawView(in: scratch, timeout: settings.timeout)
        if unprivileged, let pw = getpwnam(PygrubLoader.user.name) { chown(view, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        chmod(view, 0o400)
        let why = image.format != .raw ? "pygrub reads only raw disks" : "pygrub runs unprivileged and cannot read \(image.path)"
        notes.append("pygrub read a raw copy of \(image.path)'s \(image.format.rawValue) content made in scratch (\(why))")
        return view
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? LibvirtError { return ConnectionAdvice.explain(e, uri: nil) }
        return String(describing: error)
    }
}

enum RemoteFiles {
    struct Unsupported: Error, CustomStringConvertible {
        var what: String
        var description: String { "\(what) is not supported yet" }
    }
}
