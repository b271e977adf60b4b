import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryConsole
@testable import CanaryDiagnose
@testable import CanaryModel

/// A boot cut off by `--timeout` while its console was still printing is slow, not stopped:
/// three such boots, each cut at another line, are no host fault. The same consoles gone
/// silent long before the deadline are stalls, and then the varying points do count.
@Suite struct TimedOutBootTests {
    /// A console that printed `lines` lines, one every 3 s from +10 s (as the Xen lab's HVM
    /// guests did under load), judged when the overall timeout came at `end`.
    static func boot(_ kind: ProbeKind, lines: Int, end: Double) throws -> BootObservation {
        var console = try BootConsole()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<lines {
            let t = 10 + 3 * Double(i)
            _ = console.append(Array("[    \(i).000000] early setup step \(i) of \(kind.rawValue)\r\n".utf8),
                               at: ConsoleTime(seconds: t, wall: start.addingTimeInterval(t)))
        }
        _ = console.finish()
        let result = console.judge(.timeout, at: ConsoleTime(seconds: end, wall: start.addingTimeInterval(end)))
        return BootObservation(kind: kind, run: 1, usesGuestDisk: kind != .installer, result: result)
    }

    static let context = DiagnosisContext(hostname: "xen07", availableKinds: [.pygrub, .kernel, .installer], maxRuns: 1)

    @Test func stillPrintingAtTheDeadlineIsTimedOutAndNotEvidence() throws {
        // Last lines at +157, +187 and +127 s; the deadline at +160, +190 and +130 s.
        let boots = try [Self.boot(.pygrub, lines: 50, end: 160), Self.boot(.kernel, lines: 60, end: 190),
                         Self.boot(.installer, lines: 40, end: 130)]
        #expect(boots.allSatisfy { $0.outcome == .timedOut })
        #expect(boots.allSatisfy { !$0.isGuestEvidence })
        let d = Correlator.diagnose(boots, context: Self.context)
        #expect(d.verdict == .inconclusive)
        #expect(d.action == .investigate)
        #expect(d.summary.contains("raise --timeout"), "\(d.summary)")
    }

    @Test func silentLongBeforeTheDeadlineIsAStallAtVaryingPoints() throws {
        // The same consoles, but the deadline 100 s after each one's last line.
        let boots = try [Self.boot(.pygrub, lines: 50, end: 257), Self.boot(.kernel, lines: 60, end: 287),
                         Self.boot(.installer, lines: 40, end: 227)]
        #expect(boots.allSatisfy { $0.outcome == .stalled })
        let d = Correlator.diagnose(boots, context: Self.context)
        // The disk-free installer kernel stopping at another point than the others is
        // host evidence by itself (DiagnosisRules "host-wide-fault").
        #expect(d.verdict == .hostFault, "\(d.summary)")
    }
}
