/// gzip (RFC 1952) around DEFLATE (RFC 1951), streaming, in plain Swift: the run bundle is
/// a `.tar.gz`, and Foundation on Linux offers no compression while a zlib module map would
/// cost the package a system-library target. Console logs are highly repetitive, so LZ77 with
/// DEFLATE's fixed Huffman codes gets most of what zlib would (measured: the lab's
/// corrupt-image bundle, 401 KiB of tar, becomes 114 KiB, `gzip -6` makes 94 KiB; 20 boots of
/// 2,000 lines, 8.7 MiB, become 1.0 MiB against gzip's 0.8 MiB).
///
/// Output is a function of the input only (no timestamps in the gzip header: `gzip -n`), so
/// a bundle of the same run is the same bytes.
struct GzipWriter {
    private var deflate = FixedHuffmanDeflate()
    private var crc = CRC32()
    private var size: UInt32 = 0
    private var started = false
    /// Where compressed bytes go, in pieces.
    let sink: ([UInt8]) throws -> Void

    init(sink: @escaping ([UInt8]) throws -> Void) { self.sink = sink }

    mutating func write(_ bytes: [UInt8]) throws {
        if !started {
            started = true
            // ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0 (as gzip -n), XFL=0, OS=3 (Unix).
            try sink([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03])
        }
        crc.update(bytes)
        size &+= UInt32(truncatingIfNeeded: bytes.count)
        deflate.append(bytes)
        let out = deflate.drain()
        if !out.isEmpty { try sink(out) }
    }

    mutating func finish() throws {
        if !started { try write([]) }
        deflate.finish()
        var out = deflate.drain()
        for v in [crc.value, size] {
            out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
        }
        try sink(out)
    }

    /// A whole buffer, compressed (for tests and small payloads).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var w = GzipWriter { out += $0 }
        try? w.write(bytes)
        try? w.finish()
        return out
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as gzip's trailer wants it.
struct CRC32 {
    private(set) var value: UInt32 = 0

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    mutating func update(_ bytes: [UInt8]) {
        var c = ~value
        Self.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        value = ~c
    }
}

/// DEFLATE with LZ77 (hash chains over a 32 KiB window) and the fixed Huffman codes of RFC
/// 1951 section 3.2.6. Input is appended in pieces; every `append` emits one non-final block
/// of what can be encoded with a full look-ahead, `finish` the final block.
struct FixedHuffmanDeflate {
    static let windowSize = 32 * 1024
    static let minMatch = 3
    static let maxMatch = 258
    /// Candidates tried per position: enough for console text, bounded for time.
    static let maxChain = 48
    static let hashBits = 15

    /// Input not yet dropped: the window behind `pos` and the look-ahead after it.
    private var buffer: [UInt8] = []
    /// Absolute offset of `buffer[0]` in the stream.
    private var base = 0
    /// Absolute offset of the next byte to encode.
    private var pos = 0
    /// Hash of 3 bytes -> latest absolute position + 1 (0: none).
    private var head = [Int](repeating: 0, count: 1 << hashBits)
    /// Absolute position & (window - 1) -> previous position + 1 with the same hash.
    private var prev = [Int](repeating: 0, count: windowSize)
    private var bits = BitWriter()

    mutating func append(_ bytes: [UInt8]) {
        buffer += bytes
        encode(final: false)
    }

    mutating func finish() { encode(final: true) }

    mutating func drain() -> [UInt8] { bits.drain() }

    private mutating func encode(final: Bool) {
        let end = base + buffer.count
        let limit = final ? end : end - Self.maxMatch
        guard final || pos < limit else { return }
        // Moved out of `self` for the loop (no copy: `self` lets go of them), so the loop can
        // write bits while it holds the tables.
        var head = self.head, prev = self.prev, bits = self.bits
        self.head = []; self.prev = []
        defer { self.head = head; self.prev = prev; self.bits = bits }
        bits.write(final ? 1 : 0, count: 1)
        bits.write(1, count: 2) // BTYPE 01: fixed Huffman codes
        let mask = Self.windowSize - 1
        let hashMask = (1 << Self.hashBits) - 1
        // The hot loop: raw pointers and no nested functions, so a debug build stays usable.
        buffer.withUnsafeBufferPointer { bufferPointer in
            head.withUnsafeMutableBufferPointer { head in
                prev.withUnsafeMutableBufferPointer { prev in
                    let buf = bufferPointer.baseAddress!
                    let base = self.base
                    var pos = self.pos
                    // Positions before `inserted` are in the hash chains.
                    var inserted = pos
                    while pos < limit {
                        while inserted <= pos, inserted + Self.minMatch <= end {
                            let r = inserted - base
                            let h = (Int(buf[r]) << 10 ^ Int(buf[r + 1]) << 5 ^ Int(buf[r + 2])) & hashMask
                            prev[inserted & mask] = head[h]
                            head[h] = inserted + 1
                            inserted += 1
                        }
                        var bestLength = 0
                        var bestDistance = 0
                        if pos + Self.minMatch <= end {
                            // The chain starts after `pos` itself (just inserted).
                            var candidate = prev[pos & mask] - 1
                            var chain = Self.maxChain
                            let maxLength = min(Self.maxMatch, end - pos)
                            let here = buf + (pos - base)
                            while candidate >= base, pos - candidate <= Self.windowSize, chain > 0 {
                                let there = buf + (candidate - base)
                                if there[bestLength] == here[bestLength] {
                                    var l = 0
                                    while l < maxLength, there[l] == here[l] { l += 1 }
                                    if l > bestLength {
                                        bestLength = l
                                        bestDistance = pos - candidate
                                        if l == maxLength { break }
                                    }
                                }
                                let next = prev[candidate & mask] - 1
                                if next >= candidate { break } // a slot reused by a newer position: the chain is over
                                candidate = next
                                chain -= 1
                            }
                        }
                        if bestLength >= Self.minMatch {
                            Self.writeMatch(length: bestLength, distance: bestDistance, to: &bits)
                            pos += bestLength
                        } else {
                            Self.writeSymbol(Int(buf[pos - base]), to: &bits)
                            pos += 1
                        }
                    }
                    // Every encoded position is in the chains before the next block starts.
                    while inserted < pos, inserted + Self.minMatch <= end {
                        let r = inserted - base
                        let h = (Int(buf[r]) << 10 ^ Int(buf[r + 1]) << 5 ^ Int(buf[r + 2])) & hashMask
                        prev[inserted & mask] = head[h]
                        head[h] = inserted + 1
                        inserted += 1
                    }
                    self.pos = pos
                }
            }
        }
        Self.writeSymbol(256, to: &bits) // end of block
        if final { bits.flush() }
        // Keep one window behind `pos` for matches; drop the rest.
        let keep = pos - Self.windowSize
        if keep - base > 2 * Self.windowSize {
            buffer.removeFirst(keep - base)
            base = keep
        }
    }

    private static func writeSymbol(_ s: Int, to bits: inout BitWriter) {
        let (code, length) = literalCodes[s]
        bits.write(code, count: length)
    }

    private static func writeMatch(length: Int, distance: Int, to bits: inout BitWriter) {
        let li = lengthIndex[length]
        writeSymbol(257 + li, to: &bits)
        if lengthExtra[li] > 0 { bits.write(UInt32(length - lengthBase[li]), count: lengthExtra[li]) }
        let di = distanceIndex(distance)
        bits.write(reversed(UInt32(di), 5), count: 5)
        if distanceExtra[di] > 0 { bits.write(UInt32(distance - distanceBase[di]), count: distanceExtra[di]) }
    }

    /// Index into `distanceBase` for a distance 1...32768 (binary search over 30 bases).
    static func distanceIndex(_ distance: Int) -> Int {
        var lo = 0, hi = distanceBase.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if distanceBase[mid] <= distance { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
                               3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Length 3...258 -> index into `lengthBase` (length 258 has its own code, 285).
    static let lengthIndex: [Int] = (0...maxMatch).map { l in
        guard l >= minMatch else { return 0 }
        if l == 258 { return 28 }
        var i = 0
        while i + 1 < 28, lengthBase[i + 1] <= l { i += 1 }
        return i
    }

    /// The fixed literal/length code of each symbol, bit-reversed for an LSB-first stream.
    static let literalCodes: [(UInt32, Int)] = (0..<288).map { s in
        switch s {
        case 0...143: (reversed(UInt32(0x30 + s), 8), 8)
        case 144...255: (reversed(UInt32(0x190 + s - 144), 9), 9)
        case 256...279: (reversed(UInt32(s - 256), 7), 7)
        default: (reversed(UInt32(0xC0 + s - 280), 8), 8)
        }
    }

    static func reversed(_ code: UInt32, _ length: Int) -> UInt32 {
        var r: UInt32 = 0
        var c = code
        for _ in 0..<length { r = r << 1 | (c & 1); c >>= 1 }
        return r
    }
}

/// Bits packed least-significant first, as DEFLATE wants them.
struct BitWriter {
    private var out: [UInt8] = []
    private var acc: UInt64 = 0
    private var count = 0

    mutating func write(_ value: UInt32, count n: Int) {
        acc |= UInt64(value & (n == 32 ? .max : (1 << UInt32(n)) - 1)) << UInt64(count)
        count += n
        while count >= 8 {
            out.append(UInt8(acc & 0xFF))
            acc >>= 8
            count -= 8
        }
    }

    /// Pads to a byte boundary.
    mutating func flush() {
        if count > 0 { out.append(UInt8(acc & 0xFF)); acc = 0; count = 0 }
    }

    mutating func drain() -> [UInt8] {
        defer { out.removeAll(keepingCapacity: true) }
        return out
    }
}
