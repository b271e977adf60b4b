import Foundation
import Libvirt
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryDiagnose
@testable import CanaryHostFacts
@testable import CanaryModel
@testable import CanaryProbe

/// A real guest on the lab's real libvirtd: its real console, read through the binding.
@Suite(.serialized) struct FirstBootTests {
    /// Boots the lab kernel with the lab disk to its login prompt, with virtlogd writing the
    /// serial port to a file as an independent witness, and checks that the console the tool
    /// read is the console the guest printed, byte for byte.
    @Test func realGuestConsoleIsCompleteAndTimed() async throws {
        let lab = Lab.shared
        let folder = try Lab.tempFolder("first")
        defer { try? FileManager.default.removeItem(at: folder) }
        let serialLog = folder.appendingPathComponent("serial.log").path
        let transcript = folder.appendingPathComponent("boot.transcript")
        let name = labDomainName("first")
        let spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0 root=LABEL=canaryroot ro bootcanary.after=wait",
                                            disk: try lab.image, serialLog: serialLog)
        let probe = BootProbe(connection: try lab.connect(), ledger: nil, settings: BootSettings(timeout: 120))
        let boot = await probe.run(spec: spec, kind: .kernel, run: 1, transcript: transcript)

        #expect(boot.result.outcome == .booted, "\(boot.result.ending) \(boot.result.lastLines.suffix(5))")
        #expect(boot.result.lastMilestone == .login)
        let log = try ConsoleLogReader().readAll(path: transcript.path)
        let texts = log.lines.map(\.text)
        #expect(texts.contains { $0.contains("Linux version 6.1") })
        #expect(texts.contains { $0.contains("Run /init as init process") })
        // The prompt is whole, trailing space included: the probe reads on briefly after the
        // success marker. (A late kernel message may continue the prompt's line, as on a real
        // serial console.)
        let prompt = texts.first { $0.contains("canary login:") }
        #expect(prompt?.hasPrefix("canary login: ") == true, "\(String(reflecting: prompt))")
        // Times never go back; lines from one chunk share its arrival time, chunks differ.
        let times = log.lines.compactMap { $0.time?.seconds }
        #expect(times.count == log.lines.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(Set(times).count > 10)
        #expect(log.lines.allSatisfy { $0.time?.wall != nil })
        // No byte lost: what the transcript holds is what virtlogd saw on the serial port.
        let transcribed = log.lines.flatMap(\.rawBytes)
        let witnessed = Array(try Data(contentsOf: URL(fileURLWithPath: serialLog)))
        #expect(transcribed.count == witnessed.count)
        #expect(transcribed == witnessed)
        #expect(boot.result.bytes == witnessed.count)
        // With direct kernel boot SeaBIOS prints nothing on the serial port: the kernel's
        // banner is the very first line, so nothing before it was missed.
        #expect(texts.first?.contains("Linux version") == true)
        // The domain is gone.
        #expect(try lab.domains(prefixed: name).isEmpty)
    }

    /// The offline classifier reproduces the live verdict from the transcript alone.
    @Test func analyzeOfTheTranscriptMatchesTheLiveResult() async throws {
        let lab = Lab.shared
        let folder = try Lab.tempFolder("replay")
        defer { try? FileManager.default.removeItem(at: folder) }
        let transcript = folder.appendingPathComponent("boot.transcript")
        let spec = try DomainSpec.labKernel(name: labDomainName("replay"), cmdline: "console=ttyS0 bootcanary.mode=panic")
        let probe = BootProbe(connection: try lab.connect(), ledger: nil,
                              settings: BootSettings(timeout: 120, classifier: ClassifierOptions(graceSeconds: 2)))
        let boot = await probe.run(spec: spec, kind: .kernel, run: 3, transcript: transcript)
        #expect(boot.result.outcome == .panic)
        #expect(boot.result.title == "kernel panic: sysrq triggered crash")
        let offline = try ConsoleLogAnalysis.analyze(path: transcript.path)
        #expect(offline.result.outcome == boot.result.outcome)
        #expect(offline.result.title == boot.result.title)
        #expect(offline.result.lines == boot.result.lines)
        #expect(offline.result.bytes == boot.result.bytes)
        #expect(offline.metadata.kind == .kernel)
        #expect(offline.metadata.run == 3)
    }

    /// A kernel path that does not exist: one clear message, nothing created.
    @Test func missingKernelIsAnInfrastructureErrorAndCreatesNothing() async throws {
        let lab = Lab.shared
        let name = labDomainName("nokernel")
        var spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0")
        spec.boot = .direct(kernel: "/nonexistent/vmlinuz", initrd: nil, cmdline: "console=ttyS0")
        let boot = await BootProbe(connection: try lab.connect(), ledger: nil, settings: BootSettings(timeout: 30))
            .run(spec: spec, kind: .kernel, run: 1, transcript: nil)
        #expect(boot.result.outcome == .infraError)
        guard case .infrastructureError(let message) = boot.result.ending else { Issue.record("\(boot.result.ending)"); return }
        #expect(message.contains("/nonexistent/vmlinuz does not exist"))
        #expect(try lab.domains(prefixed: name).isEmpty)
    }

    /// XML the driver rejects (a Xen PV guest on the QEMU driver): infrastructure, not guest evidence.
    @Test func domainTheDriverRejectsIsAnInfrastructureError() async throws {
        let lab = Lab.shared
        let name = labDomainName("rejected")
        var spec = try DomainSpec.labKernel(name: name, cmdline: "console=hvc0")
        spec.domainType = "xen"
        spec.guestType = .pv
        let boot = await BootProbe(connection: try lab.connect(), ledger: nil, settings: BootSettings(timeout: 30))
            .run(spec: spec, kind: .kernel, run: 1, transcript: nil)
        #expect(boot.result.outcome == .infraError)
        #expect(try lab.domains(prefixed: name).isEmpty)
    }

    /// Host facts from the lab daemon.
    @Test func hostFactsOfTheLab() throws {
        let facts = try HostFacts.gather(from: try Lab.shared.connect())
        #expect(facts.hypervisor == "QEMU")
        #expect(facts.hostUUID?.count == 36)
        #expect(facts.domainTypes.contains("qemu"))
        #expect(facts.defaultDomainType == "qemu")
        #expect(facts.cpus >= 1)
    }
}
