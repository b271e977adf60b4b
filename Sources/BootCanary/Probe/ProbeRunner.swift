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
    public var host: BootObservation.Host = .suspect

    public init(connection: Connection, ledger: Ledger?, settings: BootSettings,
                fetcher: InstallerFetcher = InstallerFetcher(), scratchRoot: URL = ProbeRunner.defaultScratchRoot()) {
        self.connection = connection
        self.ledger = ledger
        self.settings = settings
        self.fetcher = fetcher
        self.scratchRoot = scratchRoot
    }

    /// `$BOOTCANARY_SCRATCH_DIR`, else /var/tmp/bootcanary (survives a reboot for cleanup to find).
    public static func defaultScratchRoot() -> URL {
        if let dir = ProcessInfo.processInfo.environment["BOOTCANARY_SCRATCH_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return URL(fileURLWithPath: "/var/tmp/bootcanary")
    }

    var isLocal: Bool { ConnectionURI(connection.uri).isLocal }
    var isXen: Bool { connection.uri.hasPrefix("xen") }

    /// Boots `plan` once.
    public func boot(_ plan: ProbePlan, runID: String, repetition: Int, transcript: URL?,
                     onLine: @Sendable (ConsoleLine, ConsoleTime?) -> Void = { _, _ in }) async throws -> ProbeBoot {
        var boot = try await bootOnce(plan, runID: runID, repetition: repetition, transcript: transcript, onLine: onLine)
        boot.host = host
        boot.usesGuestDisk = plan.protectedDisk != nil
        return boot
    }

    func bootOnce(_ plan: ProbePlan, runID: String, repetition: Int, transcript: URL?,
                  onLine: @Sendable (ConsoleLine, ConsoleTime?) -> Void) async throws -> ProbeBoot {
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
        try Teardown.shared.creation {
            try ledger?.record(scratchEntry)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        }
        chmod(scratch.path, 0o755)

        let label = DomainSpec.ProbeLabel(runID: runID, kind: plan.kind, repetition: repetition, pid: getpid())
        let probe = BootProbe(connection: connection, ledger: ledger, settings: settings)
        var metadata: [String: String] = ["plan": plan.summary, "guestDisk": plan.protectedDisk == nil ? "no" : "yes",
                                          "host": host.rawValue]
        let prepared: PreparedBoot
        do {
            prepared = try await prepare(plan, name: name, label: label, scratch: scratch)
        } catch let failure as PygrubLoader.Failure {
            // The image's bootloader config could not be read: a result about the guest, with
            // pygrub's own words as its console.
            return probe.refused(kind: plan.kind, run: repetition, name: name, transcript: transcript,
                                 console: failure.transcript, ending: .startFailure(failure.description), metadata: metadata)
        } catch {
            return probe.refused(kind: plan.kind, run: repetition, name: name, transcript: transcript,
                                 console: "", ending: .infrastructureError(Self.describe(error)), metadata: metadata)
        }
        metadata.merge(prepared.metadata) { a, _ in a }
        defer { prepared.uploads?.removeAll() }
        var boot = await probe.run(spec: prepared.spec, kind: plan.kind, run: repetition, transcript: transcript,
                                   extraMetadata: metadata, protectedPaths: [plan.protectedDisk].compactMap { $0 }, onLine: onLine)
        boot.notes.insert(contentsOf: prepared.notes, at: 0)
        return boot
    }

    struct PreparedBoot {
        var spec: DomainSpec
        var metadata: [String: String] = [:]
        var notes: [String] = []
        /// Files uploaded to a remote host for this boot, deleted after it.
        var uploads: BootFileUpload?
    }

    /// The image as far as this machine can know it: inspected when the connection is local;
    /// on a remote host the path is the host's, so only its name says the format.
    func diskImage(_ path: String) throws -> DiskImage {
        if isLocal { return try DiskImage.inspect(path) }
        return DiskImage(path: path, format: path.hasSuffix(".qcow2") ? "qcow2" : "raw", sizeBytes: 0)
    }

    func prepare(_ plan: ProbePlan, name: String, label: DomainSpec.ProbeLabel, scratch: URL) async throws -> PreparedBoot {
        var spec = DomainSpec(name: name, domainType: plan.domainType, guestType: plan.guestType, memoryMiB: plan.memoryMiB,
                              vcpus: plan.vcpus, boot: .direct(kernel: "", initrd: nil, cmdline: ""), probe: label)
        var prepared = PreparedBoot(spec: spec)
        switch plan.source {
        case .pygrub(let disk), .image(let disk):
            let image = try diskImage(disk)
            let fresh = plan.kind == .image
            spec.disks = [try attach(image, scratch: scratch, writable: fresh, notes: &prepared.notes)]
            if plan.domainType == "xen" && plan.guestType != .hvm {
                // libxl runs pygrub itself, in dom0, inside the create call.
                spec.boot = .bootloader(path: "pygrub", args: nil)
            } else {
                guard isLocal else {
                    throw RemoteFiles.Unsupported(what: "the pygrub kind on \(connection.uri) (not Xen, so pygrub would have to run here on a disk that is there)")
                }
                let entry = try PygrubLoader().extract(disk: disk, into: scratch.appendingPathComponent("boot"))
                spec.boot = .direct(kernel: entry.kernel, initrd: entry.ramdisk,
                                    cmdline: KernelCommandLine.ensuringConsole(entry.args, device: spec.consoleDevice))
                prepared.metadata["pygrub"] = "kernel \(URL(fileURLWithPath: entry.kernel).lastPathComponent), args \(entry.args)"
            }
        case .kernel(let kernel, let initrd, let cmdline, let disk):
            if let disk {
                spec.disks = [try attach(try diskImage(disk), scratch: scratch, writable: false, notes: &prepared.notes)]
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
                // storage volume, as virt-install does, and delete them after the boot.
                let upload = try BootFileUpload(connection: connection, ledger: ledger, isXen: isXen)
                let kernel = try upload.put(fetched.kernel, as: "\(name)-vmlinuz")
                let initrd = try upload.put(fetched.initrd, as: "\(name)-initrd.img")
                prepared.uploads = upload
                prepared.metadata["upload"] = "storage pool \(upload.poolName) on \(connection.uri)"
                spec.boot = .direct(kernel: kernel, initrd: initrd, cmdline: cmdline)
            }
        }
        prepared.spec = spec
        return prepared
    }

    /// How the suspect image is attached: through a qcow2 overlay on a local QEMU/KVM host (the
    /// guest may write, the image is only read), read-only otherwise. Xen gets the raw image
    /// read-only through blkback: its qdisk backend refuses read-only disks and may be absent.
    func attach(_ image: DiskImage, scratch: URL, writable: Bool, notes: inout [String]) throws -> DomainSpec.Disk {
        if !isXen && isLocal {
            let overlay = try image.overlay(in: scratch)
            return DomainSpec.Disk(path: overlay, format: "qcow2", readOnly: false)
        }
        if writable { notes.append("the fresh instance is attached read-only: \(connection.uri) is not a local QEMU/KVM host") }
        return DomainSpec.Disk(path: image.path, format: image.format, readOnly: true)
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
