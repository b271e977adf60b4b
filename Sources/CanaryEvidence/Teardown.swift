import Foundation
import Synchronization

/// What must be undone if the process is told to stop (SIGINT, SIGTERM) while probes run:
/// every registered action (destroy a domain, remove an overlay, delete an uploaded volume)
/// runs once, after any libvirt create call that is under way has returned — otherwise a
/// domain whose creation finishes after we exit would outlive the run.
public final class Teardown: Sendable {
    public static let shared = Teardown()

    private struct State {
        /// `run` says whether the undo is confirmed; `unconfirmed` is reported when it is not.
        var actions: [Int: (label: String, unconfirmed: String, run: @Sendable () -> Bool)] = [:]
        var nextID = 0
        var finally: [@Sendable () -> Void] = []
        var creationsUnderWay = 0
        var shuttingDown = false
        /// Set when the last creation under way has returned after shutdown began: what
        /// `runAll` waits on.
        var creationsDone: Latch?
    }
    private let state = Mutex(State())

    public init() {}

    public struct Handle: Sendable, Hashable { let id: Int }

    /// Thrown instead of starting a creation once teardown has begun.
    public struct ShuttingDown: Error, CustomStringConvertible {
        public var description: String { "bootcanary is stopping; nothing new is created" }
    }

    /// Registers an idempotent undo action; run it yourself on the normal path and then
    /// `unregister`.
    public func register(_ label: String, _ action: @escaping @Sendable () -> Void) -> Handle {
        register(label, unconfirmed: label) { action(); return true }
    }

    /// Registers an undo that may not be confirmed (a destroy against a daemon that stopped
    /// answering): when `action` returns false, teardown reports `unconfirmed` instead of
    /// claiming `label`.
    public func register(_ label: String, unconfirmed: String, _ action: @escaping @Sendable () -> Bool) -> Handle {
        state.withLock { s in
            s.nextID += 1
            s.actions[s.nextID] = (label, unconfirmed, action)
            return Handle(id: s.nextID)
        }
    }

    public func unregister(_ handle: Handle) {
        _ = state.withLock { $0.actions.removeValue(forKey: handle.id) }
    }

    /// Registers an action that runs after all the others on a signal (closing the ledger).
    public func atEnd(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.finally.append(action) }
    }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Runs a creation (a blocking libvirt call) that teardown must wait for.
    public func creation<T>(_ body: () throws -> T) throws -> T {
        try state.withLock { s in
            if s.shuttingDown { throw ShuttingDown() }
            s.creationsUnderWay += 1
        }
        defer {
            let done = state.withLock { s -> Latch? in
                s.creationsUnderWay -= 1
                return s.creationsUnderWay == 0 ? s.creationsDone : nil
            }
            done?.signal()
        }
        return try body()
    }

    /// Stops new work, waits (bounded) for creations under way, then runs every registered
    /// action once, newest first (like `defer`: a domain goes before the scratch folder that
    /// holds its overlay). Returns the labels of what it undid. Safe to call from a signal source.
    /// Blocks for as long as that takes: SignalTrap runs it on a thread of its own.
    @available(*, noasync)
    @discardableResult
    public func runAll(waitingUpTo seconds: Double = 60) -> [String] {
        // The last creation to return wakes this wait (no polling of the count).
        let creationsDone = state.withLock { s -> Latch? in
            s.shuttingDown = true
            guard s.creationsUnderWay > 0 else { return nil }
            if s.creationsDone == nil { s.creationsDone = Latch() }
            return s.creationsDone
        }
        _ = creationsDone?.wait(timeout: seconds)
        let actions = state.withLock { s -> [(label: String, unconfirmed: String, run: @Sendable () -> Bool)] in
            defer { s.actions.removeAll() }
            return s.actions.sorted { $0.key > $1.key }.map(\.value)
        }
        let reports = actions.map { $0.run() ? $0.label : $0.unconfirmed }
        for action in state.withLock({ $0.finally }) { action() }
        return reports
    }

    /// For tests: forget shutdown state.
    func reset() { state.withLock { $0 = State() } }
}
