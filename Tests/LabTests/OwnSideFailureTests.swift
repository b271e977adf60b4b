import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryModel
@testable import CanaryReport

/// Failures on bootcanary's own side — its scratch space, its pygrub, its fetch — are
/// infrastructure errors and never evidence: with a healthy image they cost the verdict its
/// boots, never turn it into a fault.
@Suite(.serialized) struct OwnSideFailureTests {
    func diagnose(installer: String? = nil, environment: [String: String] = [:]) throws -> (RunRecord, CLI.Result) {
        let lab = Lab.shared
        let out = try Lab.tempFolder("ownside")
        defer { try? FileManager.default.removeItem(at: out) }
        let cli = try CLI.run(["diagnose", "-c", lab.uri, "--image", try lab.image, "--kernel", try lab.kernel,
                               "--initrd", try lab.initrd, "--cmdline", "root=LABEL=canaryroot ro",
                               "--installer", try installer ?? lab.treeURL, "--runs", "1", "--out", out.path],
                              environment: environment)
        return (try RunRecord.read(out.appendingPathComponent("run.json")), cli)
    }

    /// A scratch folder others can write to: every boot refuses to start; nothing was seen.
    @Test func unsafeScratchMeansNothingWasSeen() throws {
        let scratch = try Lab.tempFolder("ownside-scratch")
        defer { try? FileManager.default.removeItem(at: scratch) }
        chmod(scratch.path, 0o777)
        let (record, cli) = try diagnose(environment: ["BOOTCANARY_SCRATCH_DIR": scratch.path])
        #expect(record.boots.allSatisfy { $0.outcome == .infraError })
        #expect(record.diagnosis.verdict == .inconclusive, "\(record.diagnosis.summary)")
        #expect(record.diagnosis.summary.contains("not safe to use"))
        #expect(cli.status == 1)
    }

    /// pygrub itself broken on this host (its Python module missing): the pygrub kind is an
    /// infrastructure error; the independent kernels still boot the image's disk, so healthy.
    @Test func brokenPygrubIsNotTheImages() throws {
        let bin = try Lab.tempFolder("ownside-pygrub")
        defer { try? FileManager.default.removeItem(at: bin) }
        let fake = bin.appendingPathComponent("pygrub")
        try Data("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'xenfsimage'\" >&2\nexit 1\n".utf8).write(to: fake)
        chmod(fake.path, 0o755)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let (record, _) = try diagnose(environment: ["PATH": path])
        let pygrub = record.boots.filter { $0.kind == .pygrub }
        #expect(!pygrub.isEmpty && pygrub.allSatisfy { $0.outcome == .infraError }, "\(pygrub.map(\.outcome))")
        // The other kinds booted, but the image's own kernel was never tried: not healthy, not
        // a fault — inconclusive, saying what stood in the way.
        #expect(record.diagnosis.verdict == .inconclusive, "\(record.diagnosis.summary)")
        #expect(record.boots.filter { $0.kind != .pygrub }.allSatisfy { $0.outcome == .booted })
        #expect(record.diagnosis.summary.contains("pygrub") || record.diagnosis.next.joined().contains("pygrub"),
                "\(record.diagnosis.summary) \(record.diagnosis.next)")
    }

    /// An install tree that cannot be fetched (nothing listens): the installer kind is an
    /// infrastructure error and counts for nothing; the verdict waits for it.
    @Test func unreachableInstallerIsNotTheHosts() throws {
        let (record, _) = try diagnose(installer: "http://127.0.0.1:9/tree/")
        #expect(record.boots.filter { $0.kind == .installer }.allSatisfy { $0.outcome == .infraError })
        #expect(record.boots.filter { $0.kind != .installer }.allSatisfy { $0.outcome == .booted })
        #expect(record.diagnosis.verdict == .inconclusive, "\(record.diagnosis.summary)")
    }
}
