import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryModel
@testable import CanaryProbe
@testable import CanarySession

/// The history on disk: what a healthy run adds is what the next run loads, and a bad file or
/// a hostile host UUID never makes a boot stall early.
@Suite struct HistoryStoreTests {
    static let uuid = "f0ea8250-f42c-489f-a73e-ff1a2ffc8517"

    static func store() throws -> HistoryStore { HistoryStore(folder: try Fixtures.scratch().appendingPathComponent("history")) }

    static func booted(_ kind: ProbeKind, host: BootHost = .suspect) throws -> BootRecord {
        let result = try ConsoleLogAnalysis.analyze(path: Fixtures.path("lab-probe-kernel")).result
        return BootRecord(identity: .init(kind: kind, run: 1, host: host), result: result)
    }

    @Test func whatARunAddsTheNextLoads() throws {
        let store = try Self.store()
        let boots = [try Self.booted(.kernel), try Self.booted(.kernel), try Self.booted(.pygrub), try Self.booted(.kernel, host: .control)]
        #expect(try store.record(boots, hostUUID: Self.uuid, existing: [:]) == 3)
        let (loaded, notes) = store.load(hostUUID: Self.uuid.uppercased(), kinds: [.kernel, .pygrub, .installer])
        #expect(notes.isEmpty)
        #expect(loaded[.kernel]?.boots.count == 2)
        #expect(loaded[.pygrub]?.boots.count == 1)
        #expect(loaded[.installer] == nil)
        // A second run extends what it loaded.
        #expect(try store.record([try Self.booted(.kernel)], hostUUID: Self.uuid, existing: loaded) == 1)
        #expect(store.load(hostUUID: Self.uuid, kinds: [.kernel]).histories[.kernel]?.boots.count == 3)
    }

    @Test func aCorruptFileIsANoteAndNoHistory() throws {
        let store = try Self.store()
        let url = store.url(hostUUID: Self.uuid, kind: .kernel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"schema\":".utf8).write(to: url)
        let (loaded, notes) = store.load(hostUUID: Self.uuid, kinds: [.kernel])
        #expect(loaded.isEmpty)
        #expect(notes.count == 1 && notes[0].contains("cannot be read"))
    }

    @Test func anotherHostsFileIsNotUsed() throws {
        let store = try Self.store()
        try store.record([try Self.booted(.kernel)], hostUUID: "aaaa-bbbb", existing: [:])
        let from = store.url(hostUUID: "aaaa-bbbb", kind: .kernel), to = store.url(hostUUID: Self.uuid, kind: .kernel)
        try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: from, to: to)
        let (loaded, notes) = store.load(hostUUID: Self.uuid, kinds: [.kernel])
        #expect(loaded.isEmpty)
        #expect(notes.first?.contains("not this host's") == true)
    }

    @Test func aHostileUUIDNamesNoFolder() throws {
        let store = try Self.store()
        #expect(try store.record([try Self.booted(.kernel)], hostUUID: "../../etc", existing: [:]) == 0)
        #expect(!FileManager.default.fileExists(atPath: store.folder.path))
        #expect(store.load(hostUUID: "../../etc", kinds: [.kernel]).histories.isEmpty)
    }
}
