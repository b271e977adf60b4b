import Foundation
import Libvirt
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryDiagnose
@testable import CanaryModel
@testable import CanaryProbe

/// The stall watchdog on provoked lab cases: a guest that goes quiet and waits, one that
/// spins silently, one whose vCPUs are frozen from outside the way a wedged hypervisor
/// freezes them, and one that someone paused through libvirt.
@Suite(.serialized) struct WatchdogTests {
    static let policy = StallPolicy(stallTimeout: 12, frozenAfter: 5)

    func boot(mode: String, onLine: @escaping @Sendable (ConsoleLine, String) -> Void = { _, _ in }) async throws -> BootRecord {
        let name = labDomainName(mode)
        let spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0 bootcanary.mode=\(mode) bootcanary.after=wait")
        let probe = BootProbe(connection: try Lab.shared.connect(), ledger: nil,
                              settings: BootSettings(timeout: 90, stall: Self.policy))
        let boot = await probe.run(spec: spec, kind: .kernel, run: 1, transcript: nil) { line, _ in onLine(line, name) }
        #expect(try Lab.shared.domains(prefixed: name).isEmpty, "the domain outlived the probe")
        return boot
    }

    /// A history that shortens time to verdict: one real healthy boot of the lab kernel, taken
    /// as this host's 20 healthy boots, then the same kernel going silent after userspace with
    /// idle vCPUs. The fixed threshold would wait the stall timeout (12 s here, 150 s by
    /// default); the history allows max(8, 4 × the longest gap + 2) s at that milestone.
    @Test func aHistoryShortensTheTimeToAStall() async throws {
        let healthy = try await boot(mode: "normal")
        try #require(healthy.result.outcome == .booted, "the healthy boot did not reach login")
        var history = SilenceHistory(hostUUID: "lab", kind: .kernel)
        for _ in 0..<SilenceHistory.minimumBoots {
            let added = history.add(healthy.result, at: Date())
            #expect(added)
        }
        let policy = StallPolicy(stallTimeout: 40, frozenAfter: 15)
        let name = labDomainName("silent-history")
        let spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0 bootcanary.mode=silent bootcanary.after=wait")
        var settings = BootSettings(timeout: 90, stall: policy)
        settings.history = [.kernel: history]
        let probe = BootProbe(connection: try Lab.shared.connect(), ledger: nil, settings: settings)
        let boot = await probe.run(spec: spec, kind: .kernel, run: 1, transcript: nil) { _, _ in }
        #expect(try Lab.shared.domains(prefixed: name).isEmpty, "the domain outlived the probe")
        #expect(boot.result.outcome == .stalled)
        #expect(boot.result.vcpu == .idle)
        let silence = try #require(boot.result.stallSeconds)
        #expect(silence < policy.stallTimeout, "stalled after \(silence) s, not before the fixed \(policy.stallTimeout) s")
        #expect(boot.notes.contains { $0.contains("healthy boots of kernel") }, "\(boot.notes)")
    }

    @Test func silentGuestStallsIdle() async throws {
        let boot = try await boot(mode: "silent")
        #expect(boot.result.outcome == .stalled)
        #expect(boot.result.vcpu == .idle)
        #expect(boot.result.lastMilestone == .userspace)
        #expect((boot.result.stallSeconds ?? 0) >= Self.policy.stallTimeout)
    }

    @Test func spinningGuestStallsSpinning() async throws {
        let boot = try await boot(mode: "spin")
        #expect(boot.result.outcome == .stalled)
        #expect(boot.result.vcpu == .spinning)
        #expect((boot.result.stallSeconds ?? 0) >= Self.policy.stallTimeout)
    }

    /// SIGSTOP on the guest's QEMU process: libvirt still says "running", the vCPU time stands
    /// still. The watchdog must call it frozen within --frozen-after + 2 s of the last byte.
    @Test func guestFrozenFromOutsideIsDeclaredFrozenQuickly() async throws {
        let stopped = Stopper()
        // Frozen early in the kernel's boot, as a wedged hypervisor stops a guest mid-line.
        let boot = try await boot(mode: "normal") { line, name in
            if line.text.contains("Linux version") { stopped.stop(domain: name) }
        }
        defer { stopped.resume() }
        #expect(stopped.didStop)
        #expect(boot.result.outcome == .stalled)
        #expect(boot.result.vcpu == .frozen)
        let silence = try #require(boot.result.stallSeconds)
        #expect(silence >= Self.policy.frozenAfter)
        #expect(silence <= Self.policy.frozenAfter + 2, "declared \(silence) s after the last byte")
    }

    /// Paused through libvirt is not a hang: no stall verdict, and the note says paused.
    @Test func domainPausedThroughLibvirtIsNotAHang() async throws {
        let connection = try Lab.shared.connect()
        let name = labDomainName("paused")
        let spec = try DomainSpec.labKernel(name: name, cmdline: "console=ttyS0 bootcanary.after=wait")
        let probe = BootProbe(connection: connection, ledger: nil, settings: BootSettings(timeout: 25, stall: Self.policy))
        let boot = await probe.run(spec: spec, kind: .kernel, run: 1, transcript: nil) { line, _ in
            // Pause at the kernel's hand-over to init, about 0.5 s before login: "Welcome to"
            // comes 3 ms before the prompt on the lab guest, so a pause there raced the login.
            if line.text.contains("Run /init as init process") { try? connection.domain(named: name).suspend() }
        }
        #expect(boot.result.outcome != .stalled)
        #expect(boot.result.outcome == .infraError)
        #expect(boot.notes.contains { $0.contains("paused through libvirt") })
        if case .infrastructureError(let m) = boot.result.ending { #expect(m.contains("paused")) }
    }
}

/// Sends SIGSTOP to a lab domain's QEMU process (its pid file is libvirt's).
final class Stopper: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t?
    var didStop: Bool { lock.withLock { pid != nil } }

    func stop(domain: String) {
        lock.withLock {
            guard pid == nil,
                  let text = try? String(contentsOfFile: "/run/libvirt/qemu/\(domain).pid", encoding: .utf8),
                  let p = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
            kill(p, SIGSTOP)
            pid = p
        }
    }

    func resume() { lock.withLock { if let pid { kill(pid, SIGCONT) } } }
}
