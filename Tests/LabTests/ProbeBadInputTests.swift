import Foundation
import Testing
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryProbe

/// Bad input to `bootcanary boot` on the real lab: each gets one clear message and the exit
/// code docs/contract.md gives it, nothing crashes or hangs, and no domain or scratch is left.
@Suite(.serialized) struct ProbeBadInputTests {
    struct Run {
        var cli: CLI.Result
        var json: [String: Any]?
    }

    func boot(_ arguments: [String], json: Bool = false) throws -> Run {
        let scratch = try Lab.tempFolder("badinput-scratch")
        let state = try Lab.tempFolder("badinput-state")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: state)
        }
        let cli = try CLI.run(["boot", "-c", Lab.shared.uri, "--quiet", "--timeout", "90"] + (json ? ["--json"] : []) + arguments,
                              environment: ["BOOTCANARY_SCRATCH_DIR": scratch.path, "BOOTCANARY_STATE_DIR": state.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "scratch left behind")
        #expect(Ledger.files(in: state.appendingPathComponent("ledger")).isEmpty, "a ledger with outstanding entries")
        let object = json ? try? JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [String: Any] : nil
        if let domain = object?["domain"] as? String { #expect(try Lab.shared.domains(prefixed: domain).isEmpty) }
        return Run(cli: cli, json: object)
    }

    /// A text file handed over as a disk: refused before anything is created, with the size.
    @Test func aFileThatIsNotADiskImage() throws {
        let folder = try Lab.tempFolder("notadisk")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("notes.txt")
        try Data("this is not a disk\n".utf8).write(to: file)
        let run = try boot(["--pygrub", file.path])
        #expect(run.cli.status == 3, "\(run.cli.err)")
        #expect(run.cli.err.contains("\(file.path) is 19 bytes, too small to be a bootable disk image"), "\(run.cli.err)")
        #expect(!run.cli.err.contains("Fatal error"))
    }

    /// A real ext4 disk with no bootloader config: pygrub's own refusal, judged as evidence
    /// about the image (bootloader_failure, critical), not as a tool error.
    @Test func aFilesystemWithoutGrubIsABootloaderFailure() throws {
        let folder = try Lab.tempFolder("nogrub")
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appendingPathComponent("nogrub.img").path
        let made = try ExternalTool.run("/bin/sh", ["-c", "PATH=/usr/sbin:/sbin:$PATH; truncate -s 64M '\(disk)' && mkfs.ext4 -q -F -L nogrub '\(disk)'"], timeout: 60)
        try #require(made.status == 0, "\(made.stderr)")
        let before = try SHA256.hex(ofFile: disk)
        let run = try boot(["--pygrub", disk], json: true)
        let json = try #require(run.json, "\(run.cli.err)")
        #expect(json["outcome"] as? String == "bootloader_failure", "\(json)")
        #expect(run.cli.status == 2)
        #expect(try SHA256.hex(ofFile: disk) == before)
    }

    /// Random bytes as a host-supplied kernel: QEMU refuses to load it. Not a hang, and not
    /// evidence about any image or host: the kernel was the operator's input, and QEMU's own
    /// words (from the domain's log) say so.
    @Test func garbageKernelIsTheSuppliedKernelsProblem() throws {
        let folder = try Lab.tempFolder("garbagekernel")
        defer { try? FileManager.default.removeItem(at: folder) }
        let kernel = folder.appendingPathComponent("vmlinuz")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: kernel)
        chmod(kernel.path, 0o644)
        let run = try boot(["--kernel", kernel.path, "--initrd", try Lab.shared.initrd], json: true)
        let json = try #require(run.json, "\(run.cli.err)")
        #expect(json["outcome"] as? String == "infra_error", "\(json)")
        let ending = json["ending"] as? [String: Any]
        #expect((ending?["message"] as? String)?.contains("did not come from the guest image") == true, "\(json)")
        #expect(run.cli.status == 3)
    }

    /// A URL that answers but is no install tree: an infrastructure error naming what was
    /// looked for and what to point --installer at.
    @Test func aURLThatIsNotAnInstallTree() throws {
        let run = try boot(["--installer", "http://127.0.0.1:8765/"])
        #expect(run.cli.status == 3, "\(run.cli.err)")
        #expect(run.cli.err.contains("is not an install tree virt-install would recognise"), "\(run.cli.err)")
        #expect(run.cli.err.contains("point --installer at"))
    }
}
