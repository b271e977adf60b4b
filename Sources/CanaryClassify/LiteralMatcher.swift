/// Finds which of many literal strings occur in a line, in one pass over its bytes.
///
/// This is the cheap first stage syzkaller uses (a header scan before any regex): every
/// literal is anchored on its least common two-byte pair, a 64 Kbit bitmap of those pairs is
/// probed at each byte, and only on a hit are the few literals sharing that pair compared.
/// Ordinary console text almost never hits, so a line costs about one table probe per byte.
struct LiteralMatcher: Sendable {
    /// All literals' bytes, one after the other.
    private var text: [UInt8] = []
    /// Per literal: where its bytes start in `text`, its length, its anchor offset, its id.
    private var starts: [Int] = [], lengths: [Int] = [], anchors: [Int] = [], ids: [Int] = []
    /// One bit per byte pair: some literal is anchored on it.
    private var bitmap = [UInt64](repeating: 0, count: 1024)
    /// Pair -> first index into `bucketItems` + 1 (0: none); a bucket ends at the next
    /// bucket's start. Buckets list the literals anchored on one pair.
    private var bucketOf = [UInt16](repeating: 0, count: 65536)
    private var bucketBounds: [Int] = [0]
    private var bucketItems: [Int] = []
    private var shortest = Int.max

    init(literals: [(text: String, id: Int)]) {
        var byPair: [Int: [Int]] = [:]
        var order: [Int] = []
        for (k, (literal, id)) in literals.enumerated() {
            let bytes = Array(literal.utf8)
            precondition(bytes.count >= 2, "a literal needs at least two bytes: \(literal)")
            let anchor = Self.rarestPair(bytes)
            let key = Int(bytes[anchor]) << 8 | Int(bytes[anchor + 1])
            bitmap[key >> 6] |= 1 << UInt64(key & 63)
            if byPair[key] == nil { order.append(key) }
            byPair[key, default: []].append(k)
            starts.append(text.count)
            lengths.append(bytes.count)
            anchors.append(anchor)
            ids.append(id)
            text += bytes
            shortest = min(shortest, bytes.count)
        }
        for key in order {
            bucketItems += byPair[key]!
            bucketBounds.append(bucketItems.count)
            bucketOf[key] = UInt16(bucketBounds.count - 1)
        }
    }

    /// Calls `found(id, start)` for every occurrence of every literal in `p`.
    @inline(__always)
    func forEachMatch(in p: UnsafeBufferPointer<UInt8>, _ found: (Int, Int) -> Void) {
        let n = p.count
        guard n >= shortest, n >= 2 else { return }
        bitmap.withUnsafeBufferPointer { bits in
            var prev = Int(p[0])
            var i = 1
            while i < n {
                let cur = Int(p[i])
                let key = prev << 8 | cur
                if bits[key >> 6] & (1 << UInt64(key & 63)) != 0 {
                    verify(p, pairAt: i - 1, key: key, found)
                }
                prev = cur
                i += 1
            }
        }
    }

    private func verify(_ p: UnsafeBufferPointer<UInt8>, pairAt i: Int, key: Int, _ found: (Int, Int) -> Void) {
        let bucket = Int(bucketOf[key])
        guard bucket > 0 else { return }
        text.withUnsafeBufferPointer { lit in
            for item in bucketBounds[bucket - 1]..<bucketBounds[bucket] {
                let k = bucketItems[item]
                let start = i - anchors[k]
                let count = lengths[k]
                guard start >= 0, start + count <= p.count else { continue }
                let base = starts[k]
                var j = 0
                while j < count, lit[base + j] == p[start + j] { j += 1 }
                if j == count { found(ids[k], start) }
            }
        }
    }

    /// The pair least likely to occur in ordinary console text: lower-case letters and
    /// spaces are everywhere, digits less so, capitals and punctuation rarely.
    static func rarestPair(_ bytes: [UInt8]) -> Int {
        func commonness(_ b: UInt8) -> Int {
            switch b {
            case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"),
                 UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"), 0x20: 4
            case UInt8(ascii: "a")...UInt8(ascii: "z"): 3
            case UInt8(ascii: "0")...UInt8(ascii: "9"): 2
            case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"): 2
            default: 1
            }
        }
        var best = 0
        var bestScore = Int.max
        for k in 0..<(bytes.count - 1) {
            let score = commonness(bytes[k]) + commonness(bytes[k + 1])
            if score < bestScore { best = k; bestScore = score }
        }
        return best
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether `needle` occurs in these bytes (naive search; used only after a literal hit).
    func contains(bytes needle: [UInt8]) -> Bool {
        firstIndex(of: needle, from: 0) != nil
    }

    func firstIndex(of needle: [UInt8], from: Int) -> Int? {
        let n = count, m = needle.count
        guard m > 0 else { return from }
        guard n >= m, from <= n - m else { return nil }
        let first = needle[0]
        var i = from
        while i <= n - m {
            if self[i] == first {
                var k = 1
                while k < m, self[i + k] == needle[k] { k += 1 }
                if k == m { return i }
            }
            i += 1
        }
        return nil
    }
}
