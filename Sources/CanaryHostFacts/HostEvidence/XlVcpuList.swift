import CanaryModel
import Foundation

/// `xl vcpu-list` output, as xl 4.17 prints it (measured in the Xen lab):
///
///     Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)
///     Domain-0                             0     0    1   r--     213.5  all / all
///     bootcanary-pv-1-a1b2c3               7     0    0   -b-       3.1  all / all
///
/// State letters (xl_vcpu.c, print_vcpuinfo): `r` running, `b` blocked, `p` paused; all three
/// dashes is a vCPU that is runnable and waiting for a pCPU. An offline vCPU shows CPU `-`.
public enum XlVcpuList {
    public struct Row: Sendable, Equatable {
        public var domain: String
        public var domid: Int
        public var vcpu: Int
        public var pcpu: Int?
        public var state: String
        public var cpuSeconds: Double
    }

    public static func parse(_ text: String) -> [Row] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 6, let domid = Int(f[1]), let vcpu = Int(f[2]), let time = Double(f[5]),
                  f[4].count == 3, f[4].allSatisfy({ "rbp-".contains($0) }) else { return nil }
            return Row(domain: f[0], domid: domid, vcpu: vcpu, pcpu: Int(f[3]), state: f[4], cpuSeconds: time)
        }
    }

    /// The two looks at `domain`'s vCPUs as one reading. `first` and `second` are whole-host
    /// lists (`xl vcpu-list` without a name), so the second also says how many vCPUs compete.
    public static func scheduling(domain: String, first: String, second: String, interval: Double, hostPCPUs: Int?) -> VCPUScheduling? {
        let a = parse(first).filter { $0.domain == domain }
        let all = parse(second)
        let b = all.filter { $0.domain == domain }
        guard !b.isEmpty else { return nil }
        let vcpus = b.map { late in
            let early = a.first { $0.vcpu == late.vcpu }
            return VCPUScheduling.VCPU(id: late.vcpu, states: [early?.state, late.state].compactMap { $0 },
                                       cpuSecondsGained: max(0, late.cpuSeconds - (early?.cpuSeconds ?? late.cpuSeconds)))
        }
        // Running or runnable: wanting a pCPU (blocked and paused vCPUs do not compete).
        let competing = all.filter { $0.state.hasPrefix("r") || $0.state == "---" }.count
        return VCPUScheduling(vcpus: vcpus, intervalSeconds: interval, hostPCPUs: hostPCPUs, competingVCPUs: competing)
    }

    /// `nr_cpus` from `xl info`.
    public static func hostPCPUs(xlInfo: String) -> Int? {
        for line in xlInfo.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "nr_cpus" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}
