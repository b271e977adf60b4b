import Foundation
import Testing
@testable import CanaryProbe

/// A disk's format comes from a declaration, never from its bytes; a backing chain is followed
/// only as far as the headers declare each layer's format.
@Suite struct DiskImageTests {
    /// A qcow2 v3 header (docs/interop/qcow2.txt): magic, version, backing name at 0x200,
    /// header length 104, then a backing-format extension when `backingFormat` is given.
    static func qcow2Header(backing: String?, backingFormat: String?, version: UInt32 = 3) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 4096)
        func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8((v >> (24 - 8 * UInt32(i))) & 0xFF) } }
        func put64(_ v: UInt64, _ at: Int) { for i in 0..<8 { b[at + i] = UInt8((v >> (56 - 8 * UInt64(i))) & 0xFF) } }
        b[0...3] = [0x51, 0x46, 0x49, 0xFB]
        put32(version, 4)
        if let backing {
            put64(0x200, 8)
            put32(UInt32(backing.utf8.count), 16)
            b.replaceSubrange(0x200..<(0x200 + backing.utf8.count), with: Array(backing.utf8))
        }
        put32(16, 20)
        put64(64 << 20, 24)
        var ext = 72
        if version == 3 {
            put32(104, 100)
            ext = 104
        }
        if let backingFormat {
            put32(0xE279_2ACA, ext)
            put32(UInt32(backingFormat.utf8.count), ext + 4)
            b.replaceSubrange((ext + 8)..<(ext + 8 + backingFormat.utf8.count), with: Array(backingFormat.utf8))
        }
        return b
    }

    static func file(_ bytes: [UInt8], size: Int = 2 << 20, mode: mode_t = 0o644) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bootcanary-disk-\(UUID().uuidString.prefix(8)).img").path
        var data = Data(bytes)
        if data.count < size { data.append(Data(count: size - data.count)) }
        try data.write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    @Test func headerParserReadsBackingNameAndFormat() throws {
        let h = try DiskHeader.qcow2(Self.qcow2Header(backing: "base.img", backingFormat: "raw"))
        #expect(h.version == 3)
        #expect(h.backingFile == "base.img")
        #expect(h.backingFormat == "raw")
        #expect(h.virtualSize == 64 << 20)
        let v2 = try DiskHeader.qcow2(Self.qcow2Header(backing: "x", backingFormat: nil, version: 2))
        #expect(v2.backingFile == "x" && v2.backingFormat == nil)
        #expect(throws: DiskHeader.Qcow2Error.notQcow2) { try DiskHeader.qcow2([0, 1, 2, 3, 4, 5, 6, 7]) }
        #expect(throws: DiskHeader.Qcow2Error.truncated) { try DiskHeader.qcow2([0x51, 0x46, 0x49, 0xFB, 0, 0]) }
    }

    /// The CVE-2008-2004 case: a guest wrote a qcow2 header naming a host file as its backing
    /// store onto its own raw disk. Undeclared, the disk is refused with what to declare;
    /// declared raw, it is raw and the header is not followed.
    @Test func guestWrittenQcow2HeaderOnARawDiskIsNeverFollowed() throws {
        let path = try Self.file(Self.qcow2Header(backing: "/etc/shadow", backingFormat: "raw"))
        defer { unlink(path) }
        do {
            _ = try DiskImage.inspect(path)
            Issue.record("an undeclared disk with a qcow2 header was accepted")
        } catch let e as DiskImage.Failure {
            guard case .undeclaredContainer(_, "qcow2") = e else { Issue.record("wrong refusal: \(e)"); return }
            #expect(e.description.contains("--image-format qcow2"))
            #expect(e.description.contains("--image-format raw"))
        }
        let raw = try DiskImage.inspect(path, declared: .raw)
        #expect(raw.format == .raw)
        #expect(raw.backingChain.isEmpty)
        #expect(raw.allPaths == [path], "nothing but the disk itself is attached")
        #expect(raw.notes.contains { $0.contains("claim a qcow2 header") })
    }

    @Test func plainRawDiskNeedsNoDeclaration() throws {
        let path = try Self.file(Array(repeating: 0xAB, count: 512))
        defer { unlink(path) }
        let image = try DiskImage.inspect(path)
        #expect(image.format == .raw && image.backingChain.isEmpty)
    }

    /// A declared qcow2 follows its declared chain; a backing file named without a format
    /// is refused (libvirt's rule), as is a qcow2 declaration over a disk that is not one.
    @Test func declaredQcow2FollowsOnlyADeclaredChain() throws {
        let base = try Self.file(Array(repeating: 0, count: 512))
        defer { unlink(base) }
        let top = try Self.file(Self.qcow2Header(backing: base, backingFormat: "raw"))
        defer { unlink(top) }
        let image = try DiskImage.inspect(top, declared: .qcow2)
        #expect(image.backingChain == [DiskImage.BackingFile(path: base, format: .raw)])
        #expect(image.allPaths == [top, base])

        let undeclared = try Self.file(Self.qcow2Header(backing: base, backingFormat: nil))
        defer { unlink(undeclared) }
        #expect(throws: DiskImage.Failure.backingWithoutFormat(undeclared, base)) { try DiskImage.inspect(undeclared, declared: .qcow2) }

        #expect {
            try DiskImage.inspect(base, declared: .qcow2)
        } throws: { error in
            guard case .notDeclaredFormat = error as? DiskImage.Failure else { return false }
            return true
        }
    }

    /// A relative backing name resolves against the naming layer's folder, as QEMU does; a
    /// protocol name is not a file.
    @Test func backingNamesResolveLikeQEMUAndProtocolsAreRefused() throws {
        let base = try Self.file(Array(repeating: 0, count: 512))
        defer { unlink(base) }
        let top = try Self.file(Self.qcow2Header(backing: URL(fileURLWithPath: base).lastPathComponent, backingFormat: "raw"))
        defer { unlink(top) }
        #expect(try DiskImage.inspect(top, declared: .qcow2).backingChain.first?.path == base)
        let nbd = try Self.file(Self.qcow2Header(backing: "nbd://10.0.0.1/export", backingFormat: "raw"))
        defer { unlink(nbd) }
        #expect {
            try DiskImage.inspect(nbd, declared: .qcow2)
        } throws: { error in
            guard case .backingUnusable(_, _, let why) = error as? DiskImage.Failure else { return false }
            return why.contains("protocol")
        }
    }
}
