import Foundation
import Libvirt
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryProbe
@testable import CanaryReport

/// bootcanary's Xen path end to end: libxl's own pygrub, PV consoles on hvc0, libxl's events
/// and errors, installer kernels uploaded through a storage volume to a remote Xen host.
@Suite(.serialized, .enabled(if: XenLab.isUp, "the Xen lab is not up: run `sudo lab/xen/start` (lab/test does)"))
struct XenLabTests {
    let lab = XenLab.shared

    @Test func hostFactsOfTheXenHost() throws {
        let facts = try HostFacts.gather(from: try Connection(uri: try lab.uri))
        #expect(facts.hypervisor == "Xen")
        #expect(facts.hypervisorVersion.hasPrefix("4.17"))
        #expect(facts.domainTypes == ["xen"])
        #expect(facts.defaultDomainType == "xen")
        #expect(facts.runningDomains.contains { $0.name == "Domain-0" && $0.id == 0 })
        // dom0 is the host itself: never in the blast radius.
        #expect(!facts.blastRadius.contains { $0.name == "Domain-0" })
    }

    /// One boot of each kind through the CLI, as an operator runs it against a remote Xen host.
    @Test(arguments: ["kernel", "pygrub", "installer"])
    func eachProbeKindBootsToLogin(_ kind: String) throws {
        let uri = try lab.uri
        var args = ["boot", "-c", uri, "--json", "--quiet", "--host-exec", try lab.value("XEN_LAB_DOM0_EXEC")]
        switch kind {
        case "kernel":
            args += ["--kernel", try lab.value("XEN_LAB_KERNEL"), "--initrd", try lab.value("XEN_LAB_INITRD"),
                     "--cmdline", "root=LABEL=canaryroot ro", "--image", try lab.value("XEN_LAB_IMAGE")]
        case "pygrub":
            args += ["--pygrub", try lab.value("XEN_LAB_IMAGE")]
        default:
            args += ["--installer", try lab.value("LAB_TREE_URL")]
        }
        let poolBefore = try ExternalTool.run("/usr/bin/virsh", ["-c", uri, "pool-info", "boot-scratch"], timeout: 30).status == 0
        let r = try BootcanaryCLI.run(args)
        let boot = try JSONFormat.decoder().decode(BootRecord.self, from: Data(r.out.utf8))
        #expect(r.status == 0, "\(r.err)")
        #expect(boot.outcome == .booted)
        #expect(boot.lastMilestone == .login)
        // A PV guest: its console is hvc0 and the kernel knew it was on Xen.
        #expect(boot.milestones.contains { $0.milestone == .hypervisor })
        let conn = try Connection(uri: uri)
        #expect(try conn.listDomains().allSatisfy { !ProbeName.isProbe($0.name) }, "a probe domain outlived the boot")
        if kind == "installer" {
            // The uploaded kernel and initrd are gone from the host's boot-scratch pool.
            let volumes = try ExternalTool.run("/usr/bin/virsh", ["-c", uri, "vol-list", "boot-scratch"], timeout: 30).stdout
            #expect(!volumes.contains("bootcanary-"))
            // A pool bootcanary defined is gone again; one that was there stays.
            let poolAfter = try ExternalTool.run("/usr/bin/virsh", ["-c", uri, "pool-info", "boot-scratch"], timeout: 30).status == 0
            #expect(poolAfter == poolBefore)
        }
    }

    /// libxl's refusal of a corrupt kernel is a start failure once libxl's own log, read through
    /// the host access, shows it rejected the kernel pygrub took from the image.
    @Test func corruptKernelIsRefusedByLibxl() throws {
        let r = try BootcanaryCLI.run(["boot", "-c", try lab.uri, "--json", "--quiet", "--host-exec", try lab.value("XEN_LAB_DOM0_EXEC"),
                                       "--pygrub", try lab.value("XEN_LAB_IMAGE_CORRUPT_KERNEL")])
        let boot = try JSONFormat.decoder().decode(BootRecord.self, from: Data(r.out.utf8))
        #expect(r.status == 2)
        #expect(boot.outcome == .startFailure, "\(boot.ending)")
        guard case .startFailure(let message) = boot.ending else { return }
        #expect(message.contains("libxenlight failed to create new domain"))
        #expect(message.contains("libxl-driver.log"), "libxl's own words are quoted")
    }

    /// Without a way to read libxl's log, the same refusal proves nothing about the image.
    @Test func corruptKernelWithoutHostAccessIsNotBlamed() throws {
        let r = try BootcanaryCLI.run(["boot", "-c", try lab.uri, "--json", "--quiet", "--pygrub", try lab.value("XEN_LAB_IMAGE_CORRUPT_KERNEL")])
        let boot = try JSONFormat.decoder().decode(BootRecord.self, from: Data(r.out.utf8))
        #expect(r.status == 3)
        #expect(boot.outcome == .infraError)
        if case .infrastructureError(let message) = boot.ending { #expect(message.contains("--host-exec")) }
    }

    /// The run directory is kept under the system temporary directory: when a verdict is wrong
    /// in CI, its transcripts are the only evidence of which boot failed and where.
    /// No retry: dom0's libvirtd must survive every diagnosis. (It used to die under nested
    /// emulation; the cause was QEMU's emulated XSAVE, which lab/xen/start now turns off.)
    func diagnose(image: String, label: String) throws -> RunRecord {
        try diagnoseOnce(image: image, label: label)
    }

    func diagnoseOnce(image: String, label: String, guestType: DomainSpec.GuestType = .pv, installer: Bool = true,
                      extra: [String] = []) throws -> RunRecord {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("xen-\(label)-\(UUID().uuidString.prefix(6))")
        let installerArgs = installer ? ["--installer", try lab.value("LAB_TREE_URL")] : []
        let r = try BootcanaryCLI.run(["diagnose", "-c", try lab.uri, "--host-exec", try lab.value("XEN_LAB_DOM0_EXEC"), "--image", image,
                                       "--kernel", try lab.value("XEN_LAB_KERNEL"), "--initrd", try lab.value("XEN_LAB_INITRD"),
                                       "--cmdline", "root=LABEL=canaryroot ro"] + installerArgs
                                       + ["--guest-type", guestType.rawValue, "--runs", "1", "--out", out.path] + extra)
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        #expect(r.status == record.diagnosis.exitStatus.rawValue)
        return record
    }

    @Test func healthyXenHost() throws {
        let record = try diagnose(image: try lab.value("XEN_LAB_IMAGE"), label: "healthy")
        #expect(record.diagnosis.verdict == .healthy, "\(record.diagnosis.summary)\n\(Self.describe(record))")
        #expect(record.host.hypervisor == "Xen")
    }

    @Test(arguments: ["XEN_LAB_IMAGE_NO_GRUB", "XEN_LAB_IMAGE_CORRUPT_KERNEL"])
    func corruptImageOnXen(_ which: String) throws {
        let record = try diagnose(image: try lab.value(which), label: which.lowercased())
        let d = record.diagnosis
        // The host kernel boots the very same disk to login, so the fault is in the image's boot
        // path (its kernel or its bootloader config), not its filesystem: broken-guest-kernel.
        #expect(d.verdict == .guestKernelFault, "\(d.summary)\n\(Self.describe(record))")
        #expect(d.action == .reinstallGuestKernel)
        #expect(record.boots.filter { $0.kind != .pygrub }.allSatisfy { $0.outcome == .booted })
    }

    /// A wedged hypervisor, simulated from inside dom0 with a credit2 cap of 1 % behind
    /// libvirt's back (`lab/xen/sick-hypervisor --cap`): the vCPUs stay runnable and their
    /// time creeps, so neither "zero CPU time" nor libvirt's state says frozen; the vCPU
    /// states (virDomainGetVcpus: waiting) and `xl vcpu-list` do. Each stalled boot's vCPU is
    /// named in the lab kernel's own words from `xenctx` and the lab's System.map.
    @Test func sickXenHypervisor() throws {
        let map = URL(fileURLWithPath: try lab.value("LAB_KERNEL")).deletingLastPathComponent()
            .appendingPathComponent("System.map-\(try lab.value("LAB_KERNEL_VERSION"))").path
        _ = try lab.script("sick-hypervisor", ["start", "--cap", "--delay", "4:10"])
        let record: RunRecord
        do {
            record = try diagnoseOnce(image: try lab.value("XEN_LAB_IMAGE"), label: "sick", extra: ["--system-map", map])
        } catch {
            _ = try? lab.script("sick-hypervisor", ["stop"])
            throw error
        }
        let log = try lab.script("sick-hypervisor", ["stop"])
        let why = "\(record.diagnosis.summary)\n\(Self.describe(record))\n\(log)"
        #expect(record.diagnosis.verdict == .hostFault, "\(why)")
        #expect(record.diagnosis.action == .rebootHost)
        #expect(record.boots.contains { $0.vcpu == .frozen }, "\(why)")
        let stalled = record.boots.filter { $0.outcome == .stalled }
        #expect(!stalled.isEmpty, "\(why)")
        for b in stalled {
            let e = b.live.hostEvidence
            #expect(e?.tools.contains { $0.name.hasPrefix("xenctx") && $0.answered } == true, "\(b.domain ?? ""): \(why)")
            // PV: no KASLR; the instruction pointer is in the lab kernel's text.
            #expect(e?.locations.first?.symbol?.contains("+0x") == true, "\(String(describing: e?.locations)): \(why)")
            #expect(e?.scheduling?.reading == .notScheduled, "\(String(describing: e?.scheduling)): \(why)")
        }
        #expect(record.hostEvidence?.access?.contains("--host-exec") == true)
    }

    /// A probe domain that libxl has and libvirt does not know (what a libvirtd crash mid-create
    /// leaves): cleanup without host access keeps its ledger line and says why; with
    /// `--host-exec` it asks xl, destroys it and closes the line.
    @Test func cleanupReachesDomainsOnlyLibxlKnows() throws {
        let uri = try lab.uri
        let exec = try lab.value("XEN_LAB_DOM0_EXEC")
        let name = ProbeName.make(runID: ProbeName.newRunID(), kind: .kernel, repetition: 1)
        let config = "name='\(name)'\ntype='pv'\nkernel='\(try lab.value("XEN_LAB_KERNEL"))'\nmemory=256\nvcpus=1\n"
        let created = try ExternalTool.run("/bin/sh", ["-c", "printf '%s' \"$1\" | \(exec) sh -c 'cat > /tmp/orphan.cfg && xl create -p /tmp/orphan.cfg'", "sh", config], timeout: 120)
        #expect(created.status == 0, "\(created.stderr)")
        defer { _ = try? ExternalTool.run(exec, ["xl", "destroy", name], timeout: 60) }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("xen-cleanup-\(UUID().uuidString.prefix(6))")
        defer { try? FileManager.default.removeItem(at: state) }
        let ledger = try Ledger(runID: "deadbeef", folder: state.appendingPathComponent("ledger"))
        try ledger.record(Ledger.Entry(op: .domain, uri: uri, name: name, pid: 999_999))
        var env = ProcessInfo.processInfo.environment
        env["BOOTCANARY_STATE_DIR"] = state.path
        let cli = try #require(BootcanaryCLI.executable).path

        let blind = try ExternalTool.run(cli, ["cleanup", "-c", uri], timeout: 300, environment: env)
        #expect(blind.status == 3)
        #expect(blind.stderr.contains("--host-exec"), "\(blind.stderr)")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).count == 1, "the line was closed on libvirt's word")

        let seeing = try ExternalTool.run(cli, ["cleanup", "-c", uri, "--host-exec", exec], timeout: 300, environment: env)
        #expect(seeing.status == 0, "\(seeing.stdout)\(seeing.stderr)")
        #expect(seeing.stdout.contains("destroyed domain \(name)"))
        let listed = try ExternalTool.run(exec, ["xl", "list"], timeout: 60).stdout
        #expect(!listed.contains(name), "libxl still has it")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).isEmpty)
    }

    /// One line per boot and the last console lines of each that did not boot, for failure messages.
    static func describe(_ record: RunRecord) -> String {
        record.boots.map { b in
            var line = "\(b.kind?.rawValue ?? "?") run \(b.run ?? 0): \(b.outcome.rawValue) at \(b.lastMilestone.rawValue)"
                + " after \(b.secondsToOutcome.map { String(format: "%.1f s", $0) } ?? "?"), vcpu \(b.vcpu?.rawValue ?? "-")"
                + ", \(b.bytes) bytes, \(b.transcript ?? b.file ?? "no transcript")"
            if b.outcome != .booted { line += "\n    " + (b.lastLines ?? [b.lastLine ?? ""]).suffix(8).joined(separator: "\n    ") }
            return line
        }.joined(separator: "\n")
    }
}
