import CanaryClassify
import CanaryDiagnose
import CanaryEvidence
import CanaryModel
import Foundation
import Libvirt

/// Runs many probe boots — kinds × repetitions — a few at a time, each with its own domain
/// name, transcript and scratch folder. The diagnosis drives it in rounds.
public struct ProbeMatrix: Sendable {
    public var runner: ProbeRunner
    public var runID: String
    /// Where transcripts go: `<folder>/<kind>-<repetition>.transcript`.
    public var transcripts: URL?
    /// Boots at once.
    public var parallel: Int

    public init(runner: ProbeRunner, runID: String, transcripts: URL?, parallel: Int) {
        self.runner = runner
        self.runID = runID
        self.transcripts = transcripts
        self.parallel = max(1, parallel)
    }

    /// One boot to run.
    public struct Item: Sendable, Equatable {
        public var plan: ProbePlan
        public var repetition: Int
        public init(plan: ProbePlan, repetition: Int) {
            self.plan = plan
            self.repetition = repetition
        }
    }

    /// Runs `items`, at most `parallel` at once, in order of start. Before each start,
    /// `stopWhen` sees the boots finished so far and may end the round early (boots already
    /// running finish). `onStart`/`onBoot` report progress; they run on the matrix's tasks.
    public func run(_ items: [Item],
                    stopWhen: @Sendable ([BootRecord]) -> Bool = { _ in false },
                    onStart: @Sendable (Item, String) -> Void = { _, _ in },
                    onBoot: @Sendable (BootRecord) -> Void = { _ in }) async -> [BootRecord] {
        var finished: [BootRecord] = []
        var pending = items[...]
        await withTaskGroup(of: BootRecord.self) { group in
            var running = 0
            func startNext() -> Bool {
                guard let item = pending.first, !stopWhen(finished), !Teardown.shared.isShuttingDown else { return false }
                pending = pending.dropFirst()
                running += 1
                let name = ProbeName.make(runID: runID, kind: item.plan.kind, repetition: item.repetition)
                onStart(item, name)
                let transcript = transcripts?.appendingPathComponent("\(item.plan.kind.rawValue)-\(item.repetition).transcript")
                let runner = self.runner
                let runID = self.runID
                group.addTask {
                    do {
                        return try await runner.boot(item.plan, runID: runID, repetition: item.repetition, transcript: transcript)
                    } catch {
                        return runner.infraFailure(item.plan, name: name, repetition: item.repetition, transcript: transcript,
                                                   message: ProbeRunner.describe(error))
                    }
                }
                return true
            }
            while running < parallel, startNext() {}
            while let boot = await group.next() {
                running -= 1
                finished.append(boot)
                onBoot(boot)
                while running < parallel, startNext() {}
            }
        }
        return finished
    }

    /// Boots at once when the user did not say: one per host CPU, as far as free memory allows
    /// (half of it, leaving the rest to the host's own guests), at most 8.
    public static func defaultParallel(hostCPUs: Int, freeMemoryMiB: Int, guestMemoryMiB: Int, guestVCPUs: Int) -> Int {
        let byCPU = max(1, hostCPUs / max(1, guestVCPUs))
        let byMemory = max(1, (freeMemoryMiB / 2) / max(1, guestMemoryMiB))
        return min(8, byCPU, byMemory)
    }
}

extension ProbeRunner {
    /// A boot that failed in our own tooling before it started (ledger unwritable, scratch
    /// folder impossible): an infrastructure result, never guest evidence.
    func infraFailure(_ plan: ProbePlan, name: String, repetition: Int, transcript: URL?, message: String) -> BootRecord {
        var boot = BootProbe(connection: connection, ledger: ledger, settings: settings)
            .refused(kind: plan.kind, run: repetition, name: name, transcript: transcript, console: "",
                     ending: .infrastructureError(message), metadata: ["plan": plan.summary])
        boot.host = host
        boot.usesGuestDisk = plan.protectedDisk != nil
        return boot
    }
}
