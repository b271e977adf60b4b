import Testing
@testable import CanaryDiagnose
@testable import CanaryModel

@Suite struct FailurePointComparisonTests {
    func point(_ name: String, _ outcome: BootOutcome, _ milestone: Milestone, _ title: String?) -> FailurePointComparison.Point {
        .init(name: name, outcome: outcome, lastMilestone: milestone, title: title, lastLine: nil)
    }

    @Test func sameTitleEverywhere() {
        let c = FailurePointComparison([
            point("a", .panic, .rootMount, "kernel panic: VFS"), point("b", .panic, .rootMount, "kernel panic: VFS"),
            point("c", .booted, .login, nil),
        ])
        #expect(c.failed == 2)
        #expect(c.booted == 1)
        #expect(c.title.agreement == .same)
        #expect(c.title.value == "kernel panic: VFS")
        #expect(c.lastMilestone.agreement == .same)
        #expect(c.summary.contains("same title"))
    }

    @Test func varyingStallPoints() {
        let c = FailurePointComparison([
            point("pygrub", .stalled, .devices, nil), point("kernel", .stalled, .hypervisorCore, nil),
            point("installer", .stalled, .`init`, nil),
        ])
        #expect(c.outcome.agreement == .same)
        #expect(c.lastMilestone.agreement == .varying)
        #expect(c.lastMilestone.values.count == 3)
        #expect(c.title.agreement == .notComparable)
    }

    @Test func infrastructureErrorsAreNotGuestFailures() {
        let c = FailurePointComparison([point("a", .infraError, .none, nil), point("b", .panic, .kernel, "x")])
        #expect(c.failed == 1)
        #expect(c.title.agreement == .notComparable)
    }
}
