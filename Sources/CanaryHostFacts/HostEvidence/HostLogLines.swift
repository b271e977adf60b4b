import CanaryModel
import Foundation

/// What a host log (`xl dmesg`, the host kernel's `dmesg`) gained between two reads.
///
/// Both are ring buffers that bootcanary only reads (never `xl dmesg -c`, which would clear
/// the hypervisor's ring for everyone): the new part is what follows the last line of the
/// first read in the second one.
public enum HostLogLines {
    public static func added(before: String, after: String) -> (lines: [String], wrapped: Bool) {
        let old = before.split(whereSeparator: \.isNewline).map(String.init)
        let new = after.split(whereSeparator: \.isNewline).map(String.init)
        guard !old.isEmpty else { return (new, false) }
        // The ring has not wrapped: the second read starts with the first.
        if new.count >= old.count, Array(new.prefix(old.count)) == old { return (Array(new.dropFirst(old.count)), false) }
        // It wrapped: find where the first read's last lines are in the second. Several lines,
        // not one: debug-key dumps repeat lines ("(XEN) Runqueue 0:"), and a single repeated
        // anchor found its later copy and lost the news (seen on the Xen lab).
        // The longest run of its last lines (up to 8) that the second read still holds.
        for k in stride(from: min(8, old.count), through: 1, by: -1) where new.count >= k {
            let tail = Array(old.suffix(k))
            for start in stride(from: new.count - k, through: 0, by: -1) where Array(new[start..<(start + k)]) == tail {
                return (Array(new[(start + k)...]), false)
            }
        }
        // The ring moved past everything read before: all of it is new, and some was lost.
        return (new, true)
    }
}

/// Host log lines that mean something by themselves, each with why. Matched on the lines a
/// log gained during the run only, so an old crash on the host is not blamed on this run.
public enum HostFindingTable {
    public struct Row: Sendable {
        public var kind: HostFinding.Kind
        /// Every word must be in the line (case-insensitive).
        public var words: [String]
        public var detail: String
    }

    public static let rows: [Row] = [
        // xen/common/domain.c, __domain_crash: "Domain %d (vcpu#%d) crashed on cpu#%d".
        Row(kind: .hypervisorError, words: ["(XEN)", "crashed on cpu"], detail: "the hypervisor crashed a domain"),
        Row(kind: .hypervisorError, words: ["(XEN)", "domain_crash"], detail: "the hypervisor crashed a domain"),
        Row(kind: .hypervisorError, words: ["(XEN)", "Assertion"], detail: "a hypervisor assertion failed"),
        Row(kind: .hypervisorError, words: ["(XEN)", "FATAL"], detail: "the hypervisor reported a fatal error"),
        Row(kind: .hypervisorError, words: ["(XEN)", "Panic on CPU"], detail: "the hypervisor panicked"),
        Row(kind: .hypervisorError, words: ["(XEN)", "Watchdog timer detects"], detail: "the hypervisor's watchdog found a CPU stuck"),
        // xen/common/grant_table.c: "Expanding d%d grant table from %u to %u frames failed"
        Row(kind: .hypervisorError, words: ["(XEN)", "grant table", "failed"], detail: "grant-table exhaustion"),
        Row(kind: .hypervisorError, words: ["(XEN)", "grant", "no free"], detail: "grant-table exhaustion"),
        Row(kind: .hypervisorError, words: ["(XEN)", "out of memory"], detail: "the hypervisor ran out of memory"),
        Row(kind: .hypervisorError, words: ["(XEN)", "Cannot allocate"], detail: "the hypervisor ran out of memory"),
        Row(kind: .hypervisorError, words: ["(XEN)", "Triple fault"], detail: "a guest vCPU triple-faulted"),
        // arch/x86/kvm: "kvm: emulation failure", "KVM: entry failed, hardware error"
        Row(kind: .kvmError, words: ["kvm", "emulation failure"], detail: "KVM could not emulate a guest instruction"),
        Row(kind: .kvmError, words: ["kvm", "entry failed"], detail: "KVM could not enter the guest"),
        Row(kind: .kvmError, words: ["kvm", "internal error"], detail: "KVM reported an internal error"),
        Row(kind: .kvmError, words: ["kvm", "unhandled"], detail: "KVM met an exit it does not handle"),
    ]

    public static func findings(in lines: [String]) -> [HostFinding] {
        var out: [HostFinding] = []
        for line in lines {
            let lower = line.lowercased()
            if let row = rows.first(where: { $0.words.allSatisfy { lower.contains($0.lowercased()) } }) {
                let finding = HostFinding(kind: row.kind, detail: row.detail, line: UntrustedText.visible(line, limit: 300))
                if !out.contains(finding) { out.append(finding) }
            }
            if out.count >= 20 { break }
        }
        return out
    }
}
