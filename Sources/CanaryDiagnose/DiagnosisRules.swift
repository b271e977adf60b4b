import CanaryModel
import Foundation

/// What a rule concludes when it applies.
public struct Finding: Sendable {
    public var verdict: Verdict
    public var action: Action
    public var confidence: Double
    /// The sentence's body; the correlator adds the blast radius for `reboot_host`.
    public var summary: String
    /// The boots that show it (their decisive lines become evidence).
    public var shownBy: [BootObservation]
    public var next: [String]
    /// More boots of the planned kinds cannot change this verdict.
    public var settled: Bool
}

/// One rule of the diagnosis: a name, the reasoning an operator would give, and a test over
/// the facts. Rules are tried in table order; the first that applies decides, and every
/// rule's answer goes into the audit trail.
public struct DiagnosisRule: Sendable {
    public var name: String
    /// Why this rule exists, in an operator's words.
    public var because: String
    public var test: @Sendable (MatrixFacts, DiagnosisContext) -> Finding?
}

/// The rules, most specific first. Read top to bottom like an on-call runbook.
public enum DiagnosisRules {
    public static let table: [DiagnosisRule] = [
        DiagnosisRule(
            name: "no-evidence",
            because: "Boots that failed in bootcanary's own tooling say nothing about the guest or the host.",
            test: { f, _ in
                guard f.guestBoots.isEmpty else { return nil }
                let why = f.infrastructure.first?.infraMessage ?? "no boot ran"
                return Finding(verdict: .inconclusive, action: .investigate, confidence: 0,
                               summary: "No boot produced evidence about the guest or the host: \(why)",
                               shownBy: [], next: ["fix the problem above and run again"], settled: true)
            }),

        DiagnosisRule(
            name: "all-booted",
            because: "Every kind of boot reaching its login prompt is what a healthy host with a healthy image does.",
            test: { f, c in
                guard f.failures.isEmpty else { return nil }
                // A planned kind that never produced evidence leaves a hole: no "healthy" over it.
                let missing = c.availableKinds.subtracting(f.kinds).sorted()
                if !missing.isEmpty {
                    let why = f.infrastructure.first { missing.contains($0.kind) }?.infraMessage ?? "they did not run"
                    return Finding(verdict: .inconclusive, action: .investigate, confidence: 0.3,
                                   summary: "The \(f.kinds.map(\.rawValue).joined(separator: ", ")) boots reached login, but the \(missing.map(\.rawValue).joined(separator: ", ")) boots could not run (\(why))",
                                   shownBy: f.passes, next: ["fix the problem above and run again"], settled: true)
                }
                let kinds = f.kinds.map(\.rawValue).joined(separator: ", ")
                let n = f.guestBoots.count
                var next: [String] = []
                if f.kinds.count < 2 { next.append(contentsOf: Advice.missingKinds(f, c)) }
                return Finding(verdict: .healthy, action: .none,
                               confidence: min(0.99, 0.55 + 0.1 * Double(f.kinds.count) + 0.04 * Double(n)),
                               summary: "All \(n) test boot\(n == 1 ? "" : "s") (\(kinds)) on \(c.hostname) reached the login prompt; the host and the image look healthy",
                               shownBy: f.passes, next: next,
                               settled: f.kinds.allSatisfy { f.suspect[$0]!.runs >= c.maxRuns })
            }),

        DiagnosisRule(
            name: "one-kind-only",
            because: "Failures of a single kind of boot cannot separate the host from the image: nothing independent was booted.",
            test: { f, c in
                guard f.kinds.count < 2 else { return nil }
                let kind = f.kinds.first?.rawValue ?? "none"
                return Finding(verdict: .inconclusive, action: .investigate, confidence: 0.2,
                               summary: "Only \(kind) boots ran and they fail (\(f.failures.first?.failurePoint ?? "")); a single kind cannot tell a wedged host from a corrupt image",
                               shownBy: f.failures, next: Advice.missingKinds(f, c), settled: true)
            }),

        DiagnosisRule(
            name: "mixed-results",
            because: "The same boot passing once and failing another time is not deterministic: intermittent faults need more boots, not a reboot or a restore on a guess.",
            test: { f, c in
                guard !f.mixedKinds.isEmpty else { return nil }
                let failed = f.failures.count, total = f.guestBoots.count
                var body = "\(failed) of \(total) test boots failed while the same kinds also booted (\(f.mixedKinds.map(\.rawValue).joined(separator: ", "))): an intermittent fault"
                if !f.frozenFailures.isEmpty {
                    body += "; \(f.frozenFailures.count) failure(s) stalled with frozen vCPUs, which points at the host"
                }
                return Finding(verdict: .intermittent, action: .investigate,
                               confidence: min(0.9, 0.5 + 0.05 * Double(total)),
                               summary: body, shownBy: f.failures,
                               next: ["run again with --runs \(max(4, c.maxRuns * 2)) to see how often it fails",
                                      "watch the host's dmesg and `xl dmesg` while it runs"] + Advice.controlHost(c),
                               settled: f.kinds.allSatisfy { f.suspect[$0]!.runs >= c.maxRuns })
            }),

        DiagnosisRule(
            name: "host-wide-fault",
            because: "Kernels that do not come from the guest image failing too, at different points or with vCPUs that get no CPU time, is a hypervisor not running its guests: a wedged host.",
            test: { f, c in
                let independent = f.independentFailures
                guard !independent.isEmpty else { return nil }
                let frozen = f.frozenFailures
                // Console signs only the host side explains, and what the host's own logs said
                // during the run (a hypervisor assertion, grant-table exhaustion, a daemon that
                // did not answer); a guest's triple fault is the guest's, not a host sign.
                let signs = f.hostSideSigns.map(\.1) + c.hostFindings.filter(\.pointsAtHost).map { "the host logged \($0.detail)" }
                let varying = f.failurePoints.count > 1
                // A kernel that boots the guest's disk can fail because of the disk; only a
                // boot without the disk (the installer) failing at varying points is host
                // evidence by itself. Frozen vCPUs and host-side console signs are, anywhere.
                let diskFree = f.failures.filter { !$0.usesGuestDisk }
                guard !frozen.isEmpty || !signs.isEmpty || (!diskFree.isEmpty && varying) else { return nil }
                let failingKinds = f.failingKinds.map(\.rawValue).joined(separator: ", ")
                var why: [String] = []
                if varying { why.append("stopped at \(f.failurePoints.count) different points") }
                if !frozen.isEmpty { why.append("\(frozen.count) with frozen vCPUs") }
                // Where the vCPUs were, from the hypervisor: stalls in different functions are
                // a guest stopped wherever it happened to be, not one code path that hangs.
                let functions = Set(f.failures.compactMap(\.stallFunction))
                if functions.count > 1 { why.append("their vCPUs stopped in \(functions.count) different functions (\(functions.sorted().joined(separator: ", ")))") }
                if let sign = signs.first { why.append(sign) }
                var confidence = 0.55
                confidence += 0.1 * Double(Set(independent.map(\.kind)).count)
                if !frozen.isEmpty { confidence += 0.15 }
                if varying { confidence += 0.05 }
                if !signs.isEmpty { confidence += 0.05 }
                if let controlOK = f.control[.installer]?.allPass ?? f.control[.kernel]?.allPass, controlOK { confidence += 0.1 }
                let independentKinds = Set(independent.map(\.kind))
                let settled = independentKinds.allSatisfy { f.suspect[$0]!.failures.count >= 2 } || independent.count >= 2 && !frozen.isEmpty
                return Finding(verdict: .hostFault, action: .rebootHost, confidence: min(0.97, confidence),
                               summary: "Host-wide hypervisor fault on \(c.hostname): \(f.failures.count) of \(f.guestBoots.count) test boots failed (\(failingKinds)), including kernels independent of the guest image, and \(why.joined(separator: ", ")); reboot the host",
                               shownBy: f.failures, next: c.hasControl ? [] : Advice.controlHost(c), settled: settled)
            }),

        DiagnosisRule(
            name: "image-boots-frozen-at-varying-points",
            because: "An image cannot stop its own vCPUs from being scheduled: its boots stalling with frozen vCPUs at different points, while independent kernels boot, is the host pausing guests now and then, not a broken image. Restoring the image would not help; it is not yet proof enough to reboot the host either.",
            test: { f, c in
                // Seen on the QEMU lab with lab/faults/sick-host freezing guests 3-12 s after
                // start: both pygrub boots froze (at 21.0 s and 26.4 s, different lines) while
                // the host-kernel boots reached login first, and the diagnosis said
                // guest_kernel_fault, reinstall the guest kernel.
                let frozenImage = f.frozenFailures.filter { $0.kind.dependsOnImage || $0.usesGuestDisk }
                // Varying points, or frozen boots beside image boots that failed otherwise: either
                // way the image's failures do not repeat, which is what an image verdict needs.
                // One point frozen every time is left to the image rules (a kernel that halts
                // there gets no CPU time either).
                guard !frozenImage.isEmpty, f.independentFailures.isEmpty,
                      Set(frozenImage.map(\.failurePoint)).count > 1 || frozenImage.count < f.failures.count else { return nil }
                let points = Set(frozenImage.map(\.failurePoint)).count
                return Finding(verdict: .intermittent, action: .investigate, confidence: 0.6,
                               summary: "\(frozenImage.count) test boot(s) of the guest image on \(c.hostname) stalled with frozen vCPUs (the hypervisor stopped running them) at \(points) different point(s) while independent kernels booted: the host paused guests intermittently; do not restore the image on this evidence",
                               shownBy: f.failures,
                               next: ["run again with --runs \(max(4, c.maxRuns * 2)): a host that freezes guests will sooner or later freeze an independent kernel too",
                                      "watch the host's dmesg and `xl dmesg` while it runs"] + Advice.controlHost(c),
                               settled: false)
            }),

        DiagnosisRule(
            name: "platform-regression",
            because: "Every kind of boot, independent kernels included, failing identically with the vCPUs running is deterministic and host-wide: a platform change (hypervisor update, firmware) broke booting.",
            test: { f, c in
                // A boot without the guest disk must fail too: failures that all touched the
                // disk may be the disk's.
                guard f.passes.isEmpty, f.failures.contains(where: { !$0.usesGuestDisk }),
                      f.failurePoints.count == 1, f.frozenFailures.isEmpty else { return nil }
                let point = f.failurePoints.first!
                let settled = f.kinds.allSatisfy { f.suspect[$0]!.runs >= 2 }
                return Finding(verdict: .platformRegression, action: .rollbackHypervisor,
                               confidence: settled ? 0.8 : 0.6,
                               summary: "Every kind of boot on \(c.hostname) fails identically at \"\(point)\": a platform regression (a hypervisor or firmware change); roll back the last platform update",
                               shownBy: f.failures, next: settled ? [] : ["run again with --runs 2 to confirm the failure repeats"],
                               settled: settled)
            }),

        DiagnosisRule(
            name: "control-host-shares-image-failure",
            because: "When the image fails the same way on a second host while an independent installer kernel boots there, the image travels with the fault (and a host that also fails its installer boots is sick too).",
            test: { f, c in
                guard !f.control.isEmpty else { return nil }
                let controlImageFails = f.control.values.filter { $0.kind.dependsOnImage && $0.allFail }
                guard !controlImageFails.isEmpty else { return nil }
                if let installer = f.control[.installer] {
                    if installer.allPass {
                        return Finding(verdict: .imageFault, action: .restoreImage, confidence: 0.85,
                                       summary: "The guest image fails on the control host too, while an independent installer kernel boots there: the image is corrupt; restore it",
                                       shownBy: f.failures + controlImageFails.flatMap(\.failures), next: [], settled: true)
                    }
                    if installer.allFail {
                        return Finding(verdict: .hostFault, action: .rebootHost, confidence: 0.8,
                                       summary: "The control host fails the installer kernel as well: both hosts are sick, not the image; reboot both",
                                       shownBy: f.failures + installer.failures, next: [], settled: true)
                    }
                }
                return nil
            }),

        DiagnosisRule(
            name: "corrupt-image",
            because: "The image's own boots and a host kernel booting the image's disk failing the same way, while an installer kernel (no guest disk at all) boots, puts the fault on the disk: restore the image, leave the host alone.",
            test: { f, c in
                guard let installer = f.kind(.installer), installer.allPass else { return nil }
                let diskKinds = f.kinds.filter { f.suspect[$0]!.usesGuestDisk }
                let failingDiskKinds = diskKinds.filter { f.suspect[$0]!.allFail }
                guard !failingDiskKinds.isEmpty, failingDiskKinds.count == diskKinds.count else { return nil }
                // A host kernel that boots the disk clears the disk: that is the next rule's case.
                if let kernel = f.kind(.kernel), kernel.usesGuestDisk, kernel.allPass { return nil }
                let deterministic = failingDiskKinds.allSatisfy { f.suspect[$0]!.deterministic }
                let point = f.failures.first?.failurePoint ?? ""
                return Finding(verdict: .imageFault, action: .restoreImage,
                               confidence: deterministic ? min(0.95, 0.7 + 0.05 * Double(f.failures.count)) : 0.55,
                               summary: "Corrupt guest image: every boot that uses its disk fails (\(failingDiskKinds.map(\.rawValue).joined(separator: ", ")): \"\(point)\") while an installer kernel without the disk boots on \(c.hostname); restore the image and do not reboot the host",
                               shownBy: f.failures + installer.boots,
                               next: deterministic ? [] : ["run again with --runs 2 so each failing kind shows whether it repeats"],
                               settled: deterministic)
            }),

        DiagnosisRule(
            name: "broken-guest-kernel",
            because: "Only boots of the image's own kernel failing, the same way every time, while a host kernel boots the very same disk, puts the fault on the kernel inside the image.",
            test: { f, c in
                guard let kernel = f.kind(.kernel), kernel.usesGuestDisk, kernel.allPass else { return nil }
                let imageKinds = f.kinds.filter { $0.dependsOnImage }
                guard !imageKinds.isEmpty, imageKinds.allSatisfy({ f.suspect[$0]!.allFail }) else { return nil }
                if let installer = f.kind(.installer), !installer.allPass { return nil }
                let deterministic = imageKinds.allSatisfy { f.suspect[$0]!.deterministic }
                let point = f.failures.first?.failurePoint ?? ""
                return Finding(verdict: .guestKernelFault, action: .reinstallGuestKernel,
                               confidence: deterministic ? 0.9 : 0.55,
                               summary: "The kernel inside the guest image is broken: its own boots fail (\"\(point)\") while a host kernel boots the same disk to login on \(c.hostname); reinstall the guest's kernel, the host is fine",
                               shownBy: f.failures + kernel.boots,
                               next: (deterministic ? [] : ["run again with --runs 2 so the failing kind shows whether it repeats"]) + Advice.refusalLogs(f),
                               settled: deterministic)
            }),

        DiagnosisRule(
            name: "image-only-failures-without-host-kernel",
            because: "The image's own boots failing the same way while independent kernels boot, with no host-kernel boot of the disk to split kernel from filesystem, still clears the host.",
            test: { f, c in
                let imageKinds = f.kinds.filter { $0.dependsOnImage }
                guard !imageKinds.isEmpty, imageKinds.allSatisfy({ f.suspect[$0]!.allFail }) else { return nil }
                let independent = f.kinds.filter(\.isIndependentOfImageKernel)
                guard !independent.isEmpty, independent.allSatisfy({ f.suspect[$0]!.allPass }) else { return nil }
                let deterministic = imageKinds.allSatisfy { f.suspect[$0]!.deterministic }
                let point = f.failures.first?.failurePoint ?? ""
                let kernelOnly = f.failures.allSatisfy(\.kernelNeverRan)
                return Finding(verdict: kernelOnly ? .guestKernelFault : .imageFault,
                               action: kernelOnly ? .reinstallGuestKernel : .restoreImage,
                               confidence: deterministic ? 0.8 : 0.5,
                               summary: kernelOnly
                                   ? "The guest image's kernel does not start (\"\(point)\") while independent kernels boot on \(c.hostname); reinstall the guest's kernel, the host is fine"
                                   : "The guest image fails to boot (\"\(point)\") while independent kernels boot on \(c.hostname); restore the image and do not reboot the host",
                               shownBy: f.failures,
                               next: (deterministic ? [] : ["run again with --runs 2"]) + (f.kind(.kernel) == nil ? ["add --kernel/--initrd with --image to tell a broken kernel from a damaged filesystem"] : []),
                               settled: deterministic)
            }),
    ]

    /// Nothing applied: say so, and what would help.
    static func fallback(_ f: MatrixFacts, _ c: DiagnosisContext) -> Finding {
        let points = f.failurePoints.sorted().prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
        return Finding(verdict: .inconclusive, action: .investigate, confidence: 0.3,
                       summary: "The boots do not fit a known pattern: \(f.failures.count) of \(f.guestBoots.count) failed (\(f.failingKinds.map(\.rawValue).joined(separator: ", ")): \(points)); investigate before rebooting or restoring anything",
                       shownBy: f.failures,
                       next: Advice.missingKinds(f, c) + ["run again with --runs \(max(3, c.maxRuns + 1))"] + Advice.controlHost(c),
                       settled: true)
    }
}

/// Suggestions for `next`.
enum Advice {
    static func missingKinds(_ f: MatrixFacts, _ c: DiagnosisContext) -> [String] {
        var out: [String] = []
        let ran = Set(f.kinds)
        if !ran.contains(.installer) {
            out.append("add --installer URL (an install tree): its kernel and initrd depend on neither this host's images nor the guest disk")
        }
        if !ran.contains(.kernel) {
            out.append("add --kernel PATH --initrd PATH (a known-good kernel) with --image, to boot the guest's disk with an independent kernel")
        }
        if !ran.contains(.pygrub) {
            out.append("add --image DISK to boot the guest image's own kernel")
        }
        return out
    }

    /// Where the hypervisor says why it refused to start a domain (libvirt relays only
    /// "libxenlight failed to create new domain").
    static func refusalLogs(_ f: MatrixFacts) -> [String] {
        guard f.failures.contains(where: { $0.outcome == .startFailure }) else { return [] }
        return ["on the host, the hypervisor's logs name the exact reason: /var/log/libvirt/libxl/libxl-driver.log and /var/log/xen/bootloader.*.log (Xen), /var/log/libvirt/qemu/NAME.log (QEMU)"]
    }

    static func controlHost(_ c: DiagnosisContext) -> [String] {
        c.hasControl ? [] : ["add --control URI (a host believed healthy) to see whether the same boots pass there"]
    }
}
