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
