import Crypto
import Foundation

/// SHA-256, streaming, as hex digests: verifies install-tree checksums and proves that a
/// suspect image was not modified. A thin face over swift-crypto's `SHA256` (BoringSSL's on
/// Linux, CryptoKit's on macOS), which replaced 120 hand-written lines here; this type keeps
/// the callers' hex-string API.
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        hasher.update(data: Array(bytes))
    }

    public mutating func update(_ data: Data) {
        hasher.update(data: data)
    }

    /// The digest as 64 lowercase hex digits, as `sha256sum` prints it.
    public func finalize() -> String {
        Self.hex(hasher.finalize())
    }

    public static func hex(_ data: Data) -> String {
        hex(Crypto.SHA256.hash(data: data))
    }

    /// The raw 32 bytes (for encodings other than hex, such as a CSP `sha256-BASE64`).
    public static func digest(_ data: Data) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: data))
    }

    /// Hashes a file in 1 MiB reads.
    public static func hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var s = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { s.update(chunk) }
        return s.finalize()
    }

    private static func hex(_ digest: Crypto.SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest { out += [digits[Int(b >> 4)], digits[Int(b & 0xF)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
