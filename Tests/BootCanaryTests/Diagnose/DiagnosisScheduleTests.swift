import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryDiagnose
@testable import CanaryModel

/// Which boots `diagnose` runs next: every kind first, failing kinds at least twice, nothing
/// once the verdict is settled — and, without early stop, the whole fixed matrix at once.
@Suite struct DiagnosisScheduleTests {
    static let kinds: [ProbeKind] = [.pygrub, .kernel, .installer]

    static func observation(_ kind: ProbeKind, run: Int, _ outcome: BootOutcome) throws -> BootObservation {
        let analysis = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-healthy-rootdisk"))
        var b = BootObservation(kind: kind, run: run, host: .suspect, usesGuestDisk: kind != .installer, result: analysis.result)
        b.outcome = outcome
        return b
    }

    @Test func firstRoundIsOneOfEachKind() {
        let round = DiagnosisSchedule(kinds: Self.kinds, maxRuns: 3).nextRound(after: [], diagnosis: nil)
        #expect(round.map(\.kind) == Self.kinds)
        #expect(round.allSatisfy { $0.repetition == 1 })
    }

    /// With --runs 1 a failing kind still gets its second boot; a passing one does not.
    @Test func failingKindIsRepeatedEvenWithOneRun() throws {
        let boots = try [Self.observation(.pygrub, run: 1, .panic), Self.observation(.kernel, run: 1, .booted),
                         Self.observation(.installer, run: 1, .booted)]
        let round = DiagnosisSchedule(kinds: Self.kinds, maxRuns: 1).nextRound(after: boots, diagnosis: nil)
        #expect(round.map(\.kind) == [.pygrub])
        #expect(round.first?.repetition == 2)
    }

    @Test func fullMatrixIsEveryKindTimesEveryRun() {
        let matrix = DiagnosisSchedule(kinds: Self.kinds, maxRuns: 2).fullMatrix
        #expect(matrix.count == 6)
        #expect(Set(matrix.map { "\($0.kind.rawValue)#\($0.repetition)" }) ==
                ["pygrub#1", "kernel#1", "installer#1", "pygrub#2", "kernel#2", "installer#2"])
        // First repetitions first: with a limited width every kind gets its first boot early.
        #expect(matrix.prefix(3).allSatisfy { $0.repetition == 1 })
    }
}
