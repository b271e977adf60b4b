import CanaryEvidence
import CanaryModel
import Foundation
import Testing

/// `bootcanary --version` names the commit it was built from (issue 13): packaging/git-revision
/// reads it before every build (the GitRevision plugin), and says nothing rather than fail
/// where there is no checkout.
@Suite struct VersionTests {
    static let script = Fixtures.root.appendingPathComponent("packaging/git-revision").path

    func revision(of dir: URL, swift file: URL? = nil) throws -> ExternalTool.Result {
        let args = [Self.script, dir.path] + (file.map { ["--swift", $0.path] } ?? [])
        return try ExternalTool.run("/bin/sh", args, timeout: 30)
    }

    func git(_ dir: URL, _ args: [String]) throws {
        let r = try ExternalTool.run("/usr/bin/env", ["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@example.invalid"] + args,
                                     timeout: 30)
        try #require(r.status == 0, "git \(args): \(r.stderr)")
    }

    @Test func versionLineNamesTheRevisionOrSaysItIsUnknown() {
        #expect(BootCanaryVersion.versionLine(revision: "b1aae38dbf83") == "\(BootCanaryVersion.current) (git b1aae38dbf83)")
        #expect(BootCanaryVersion.versionLine(revision: nil) == "\(BootCanaryVersion.current) (unknown revision)")
        #expect(BootCanaryVersion.versionLine(revision: "") == "\(BootCanaryVersion.current) (unknown revision)")
    }

    @Test func aCheckoutGivesItsCommitAndSaysWhenTrackedFilesChanged() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try git(dir, ["init", "-q"])
        try "one\n".write(to: dir.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try git(dir, ["add", "file"])
        try git(dir, ["commit", "-q", "-m", "first"])
        let head = try ExternalTool.run("/usr/bin/env", ["git", "-C", dir.path, "rev-parse", "HEAD"], timeout: 30).stdout
        let clean = try revision(of: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(clean.count == 12 && head.hasPrefix(clean), "\(clean) is not the start of \(head)")

        // An untracked file is not a change to the build's sources; an edited tracked one is.
        try "x".write(to: dir.appendingPathComponent("untracked"), atomically: true, encoding: .utf8)
        #expect(try revision(of: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == clean)
        try "two\n".write(to: dir.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        #expect(try revision(of: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == clean + "-modified")
    }

    @Test func noCheckoutGivesNoRevisionAndStillSucceeds() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("BuildRevision.swift")
        let r = try revision(of: dir, swift: file)
        #expect(r.status == 0 && r.stdout.isEmpty)
        #expect(try String(contentsOf: file, encoding: .utf8).contains("let buildRevision: String? = nil"))

        // A tarball unpacked inside some other repository is not that repository's commit.
        try git(dir, ["init", "-q"])
        let inner = dir.appendingPathComponent("bootcanary-0.1.0")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        #expect(try revision(of: inner).stdout.isEmpty)
    }

    @Test func theGeneratedFileIsRewrittenOnlyWhenTheRevisionChanges() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("BuildRevision.swift")
        _ = try revision(of: dir, swift: file)
        let first = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        _ = try revision(of: dir, swift: file)
        let second = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        // A rewrite on every build would recompile the bootcanary module on every build.
        #expect(first != nil && first == second)
    }

    /// The built tool as users call it: --version names a commit of this repository (or says
    /// unknown when the tests run outside a checkout). Not compared with HEAD: a commit made
    /// between `swift build` and `swift test --skip-build` would fail a test that is right.
    @Test func theBuiltToolPrintsACommitOfThisCheckout() throws {
        let exe = try #require(AnalyzeCommandTests.executable, "the bootcanary executable is not built beside the tests")
        let r = try ExternalTool.run(exe.path, ["--version"], timeout: 30)
        #expect(r.status == 0)
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !(try revision(of: Fixtures.root).stdout.isEmpty) else {
            #expect(line == BootCanaryVersion.versionLine(revision: nil))
            return
        }
        let prefix = "\(BootCanaryVersion.current) (git "
        #expect(line.hasPrefix(prefix) && line.hasSuffix(")"), "\(line)")
        let rev = line.dropFirst(prefix.count).dropLast().replacingOccurrences(of: "-modified", with: "")
        #expect(rev.count == 12 && rev.allSatisfy(\.isHexDigit), "\(line)")
        let known = try ExternalTool.run("/usr/bin/env", ["git", "-C", Fixtures.root.path, "cat-file", "-e", rev + "^{commit}"], timeout: 30)
        #expect(known.status == 0, "\(rev) is not a commit of \(Fixtures.root.path)")
    }
}
