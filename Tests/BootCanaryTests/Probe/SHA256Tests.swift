import Foundation
import Testing
@testable import CanaryEvidence
@testable import CanaryModel

@Suite struct SHA256Tests {
    /// FIPS 180-4 example vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(Data(input.utf8)) == digest)
        var incremental = SHA256()
        incremental.update(Array(input.utf8))
        #expect(incremental.finalize() == digest)
    }

    /// FIPS 180-4's long vector (one million "a"), fed in pieces that straddle 64-byte blocks.
    @Test func millionAs() {
        var s = SHA256()
        var left = 1_000_000, piece = 1
        while left > 0 {
            let n = min(piece, left)
            s.update(Data(repeating: 0x61, count: n))
            left -= n
            piece = piece * 3 + 7
        }
        #expect(s.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Against the system's sha256sum on a file whose length crosses block boundaries.
    @Test func matchesSha256sumOnAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID())").path
        var bytes = [UInt8]()
        for i in 0..<(3 * (1 << 20) + 77) { bytes.append(UInt8(truncatingIfNeeded: i &* 2654435761 >> 7)) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ExternalTool.run("/usr/bin/sha256sum", [path], timeout: 30)
        let expected = String(result.stdout.prefix(64))
        #expect(try SHA256.hex(ofFile: path) == expected)
    }
}
