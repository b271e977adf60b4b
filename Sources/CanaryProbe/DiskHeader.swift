import Foundation

/// Disk formats bootcanary boots, as the operator declares them (`--image-format`, or the
/// `<driver type=…>` of the guest's own definition).
public enum DiskFormat: String, Sendable, Codable, CaseIterable {
    case raw, qcow2
}

/// What the first bytes of a disk say about its container. Read only to *refuse* a disk whose
/// declared format disagrees with them, never to choose a format: a guest can write any header
/// onto its raw disk, and a host that believes it attaches whatever backing file the guest
/// named (CVE-2008-2004; the reason libvirt stopped probing formats in 0.4.5 and again for
/// backing chains in 6.0).
public struct DiskHeader: Sendable, Equatable {
    /// Container formats recognisable by their magic, with where the magic sits.
    /// Sources: QEMU's block drivers' probe functions (qcow2.c `QCOW_MAGIC`, vmdk.c `VMDK4_MAGIC`,
    /// vhdx.c "vhdxfile", vdi.c's "<<< " text, qed.c `QED_MAGIC`) and cryptsetup's LUKS header.
    static let magics: [(format: String, offset: Int, bytes: [UInt8])] = [
        ("qcow2", 0, [0x51, 0x46, 0x49, 0xFB]),               // "QFI\xfb" (qcow v1 too)
        ("qed", 0, Array("QED\0".utf8)),
        ("vmdk", 0, Array("KDMV".utf8)),
        ("vhdx", 0, Array("vhdxfile".utf8)),
        ("vdi", 0, Array("<<< ".utf8)),
        ("luks", 0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]),
    ]

    /// The container format the bytes claim, or nil for anything else (a raw disk).
    public static func claimedContainer(_ bytes: [UInt8]) -> String? {
        for m in magics where bytes.count >= m.offset + m.bytes.count {
            if Array(bytes[m.offset..<(m.offset + m.bytes.count)]) == m.bytes { return m.format }
        }
        return nil
    }

    /// The parts of a qcow2 header that decide what QEMU opens (docs/interop/qcow2.txt).
    public struct Qcow2: Sendable, Equatable {
        public var version: UInt32
        public var virtualSize: UInt64
        /// The backing file's name as written in the header, if any.
        public var backingFile: String?
        /// The backing format from the header extension 0xE2792ACA, if written.
        public var backingFormat: String?
    }

    public enum Qcow2Error: Error, Equatable, CustomStringConvertible {
        case notQcow2
        case truncated
        case unsupportedVersion(UInt32)
        case badBackingName

        public var description: String {
            switch self {
            case .notQcow2: "it has no qcow2 header (magic QFI\\xfb)"
            case .truncated: "its qcow2 header is cut short"
            case .unsupportedVersion(let v): "its qcow2 header has version \(v); QEMU knows 2 and 3"
            case .badBackingName: "its qcow2 header's backing file name is out of bounds or not text"
            }
        }
    }

    /// Parses a qcow2 header from the first bytes of the file (64 KiB is plenty: the backing
    /// name is at most 1023 bytes and sits in the first cluster).
    public static func qcow2(_ b: [UInt8]) throws -> Qcow2 {
        func u32(_ at: Int) throws -> UInt32 {
            guard at >= 0, at + 4 <= b.count else { throw Qcow2Error.truncated }
            return b[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        func u64(_ at: Int) throws -> UInt64 {
            guard at >= 0, at + 8 <= b.count else { throw Qcow2Error.truncated }
            return b[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) }
        }
        guard b.count >= 4, Array(b[0..<4]) == [0x51, 0x46, 0x49, 0xFB] else { throw Qcow2Error.notQcow2 }
        let version = try u32(4)
        guard version == 2 || version == 3 else { throw Qcow2Error.unsupportedVersion(version) }
        let backingOffset = try u64(8)
        let backingSize = try u32(16)
        let size = try u64(24)
        var header = Qcow2(version: version, virtualSize: size, backingFile: nil, backingFormat: nil)
        if backingOffset != 0 {
            // QEMU refuses names over 1023 bytes (qcow2.c: "Backing file name too long").
            guard backingSize > 0, backingSize <= 1023, backingOffset < UInt64(b.count),
                  Int(backingOffset) + Int(backingSize) <= b.count,
                  let name = String(bytes: b[Int(backingOffset)..<Int(backingOffset) + Int(backingSize)], encoding: .utf8),
                  !name.contains("\0")
            else { throw Qcow2Error.badBackingName }
            header.backingFile = name
        }
        // Header extensions follow the header: at 72 for version 2, at header_length for 3.
        var at = version == 2 ? 72 : Int(try u32(100))
        var seen = 0
        while at + 8 <= b.count, seen < 64 {
            let type = try u32(at)
            let length = Int(try u32(at + 4))
            if type == 0 { break }
            let data = at + 8
            guard length <= 65536, data + length <= b.count else { throw Qcow2Error.truncated }
            if type == 0xE279_2ACA {
                header.backingFormat = String(bytes: b[data..<data + length], encoding: .utf8)
            }
            at = data + ((length + 7) & ~7)
            seen += 1
        }
        return header
    }
}
