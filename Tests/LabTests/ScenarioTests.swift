import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryEvidence
@testable import CanaryModel
@testable import CanaryReport

/// `bootcanary diagnose` end to end on the lab's fault scenarios, with real boots. The faults
/// are made outside the tool (lab/faults/): its verdicts are earned from what it observes.
@Suite(.serialized) struct ScenarioTests {
    struct Outcome {
        var record: RunRecord
        var cli: CLI.Result
    }

    /// Diagnoses `image` with the lab's host kernel and install tree beside it.
    func diagnose(image: String, label: String) throws -> Outcome {
        let lab = Lab.shared
        let out = try Lab.tempFolder("scenario-\(label)")
        let before = try SHA256.hex(ofFile: image)
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--image", image,
                               "--kernel", try lab.kernel, "--initrd", try lab.initrd, "--cmdline", "root=LABEL=canaryroot ro",
                               "--installer", try lab.treeURL, "--out", out.path])
        let record = try RunRecord.read(out.appendingPathComponent("run.json"))
        // Whatever the verdict: the image is untouched and no probe outlived the run.
        #expect(try SHA256.hex(ofFile: image) == before, "the suspect image changed")
        #expect(try Lab.shared.domains(prefixed: ProbeName.prefix + record.runID).isEmpty)
        #expect(cli.status == record.diagnosis.exitStatus.rawValue)
        let transcripts = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("transcripts").path)
        #expect(transcripts.count == record.boots.count)
        try? FileManager.default.removeItem(at: out)
        return Outcome(record: record, cli: cli)
    }

    static func faults() throws -> [String: String] {
        let result = try ExternalTool.run(CLI.repository.appendingPathComponent("lab/faults/corrupt-images").path, [], timeout: 120)
        guard result.status == 0 else { throw LabMissing(key: "lab/faults/corrupt-images: \(result.stderr)") }
        let folder = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return ["kernel": folder + "/kernel-flipped.img", "rootfs": folder + "/rootfs-damaged.img",
                "initrd": folder + "/initrd-truncated.img"]
    }

    @Test func healthyHostAndImage() throws {
        let o = try diagnose(image: try Lab.shared.image, label: "healthy")
        #expect(o.record.diagnosis.verdict == .healthy, "\(o.record.diagnosis.summary)")
        #expect(o.record.diagnosis.action == Action.none)
        #expect(o.cli.status == 0)
    }

    @Test func sickHostIsAHostFault() throws {
        let injector = try SickHostInjector()
        let o: Outcome
        do {
            o = try diagnose(image: try Lab.shared.image, label: "sick")
        } catch {
            _ = injector.stop()
            throw error
        }
        let log = injector.stop()
        #expect(o.record.diagnosis.verdict == .hostFault, "\(o.record.diagnosis.summary)\n\(log)")
        #expect(o.record.diagnosis.action == .rebootHost)
        #expect(o.cli.status == 2)
        #expect(o.record.boots.contains { $0.vcpu == .frozen })
        #expect(log.contains("froze"))
    }

    @Test func sickOnlyEveryOtherBootIsIntermittent() throws {
        let injector = try SickHostInjector(every: 2)
        let o: Outcome
        do {
            o = try diagnose(image: try Lab.shared.image, label: "intermittent")
        } catch {
            _ = injector.stop()
            throw error
        }
        let log = injector.stop()
        #expect(o.record.diagnosis.verdict == .intermittent, "\(o.record.diagnosis.summary)\n\(log)")
        #expect(o.cli.status == 1)
    }

    @Test func corruptKernelInTheImage() throws {
        let o = try diagnose(image: try Self.faults()["kernel"]!, label: "kernel")
        let d = o.record.diagnosis
        // The host kernel boots the very same disk to login: the kernel inside the image is
        // what is broken (broken-guest-kernel), not its filesystem (that is damagedRootFilesystem).
        #expect(d.verdict == .guestKernelFault, "\(d.summary)")
        #expect(d.action == .reinstallGuestKernel)
        #expect(o.record.boots.filter { $0.kind == .kernel || $0.kind == .installer }.allSatisfy { $0.outcome == .booted })
        #expect(o.record.boots.filter { $0.kind == .pygrub }.allSatisfy { $0.outcome != .booted })
    }

    @Test func damagedRootFilesystem() throws {
        let o = try diagnose(image: try Self.faults()["rootfs"]!, label: "rootfs")
        #expect(o.record.diagnosis.verdict == .imageFault, "\(o.record.diagnosis.summary)")
        #expect(o.record.diagnosis.action == .restoreImage)
        #expect(o.record.boots.filter { $0.kind == .installer }.allSatisfy { $0.outcome == .booted })
    }
}
