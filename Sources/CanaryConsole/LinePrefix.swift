/// The prefixes a console line can carry before the message, parsed from its bytes.
///
/// In the order they appear (outermost first):
/// - xenconsoled's host stamp `[YYYY-MM-DD HH:MM:SS] ` (`--timestamp=guest`, local time,
///   one-second resolution; xen tools/console/daemon/io.c);
/// - `** N printk messages dropped ** ` (kernel/printk/printk.c, when the console falls behind);
/// - a syslog level `<N>` (`console_msg_format=syslog`);
/// - the printk time `[   12.345678]` (absent with `printk.time=0`);
/// - the caller tag `[T123]` / `[C1]` (CONFIG_PRINTK_CALLER).
/// This is syzkaller's `consoleOutputRe` (pkg/report/linux.go) done on bytes, without a regex.
public struct LinePrefix: Sendable, Hashable {
    /// xenconsoled's host stamp, as written (local time of the host).
    public var hostStamp: HostStamp?
    public var droppedMessages: Int?
    public var syslogLevel: Int?
    /// Seconds since the guest kernel started (printk time).
    public var kernelSeconds: Double?
    /// `T123` (task) or `C1` (CPU) when CONFIG_PRINTK_CALLER is set.
    public var caller: String? { callerKind == 0 ? nil : String(UnicodeScalar(callerKind)) + String(callerNumber) }
    // Kept as plain values so a prefix is copied without reference counting (per line).
    var callerKind: UInt8 = 0
    var callerNumber = 0
    /// Byte offset of the message after all prefixes.
    public var messageStart: Int

    public init() { messageStart = 0 }

    /// True when the line is a kernel (printk) line.
    public var isKernelLine: Bool { kernelSeconds != nil || syslogLevel != nil }

    /// Parses the prefixes of a line's (control-stripped) text.
    public static func parse(_ text: String) -> LinePrefix {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { parse(UnsafeBufferPointer($0)) }
    }

    package static func parse(_ p: UnsafeBufferPointer<UInt8>) -> LinePrefix {
        var r = LinePrefix()
        var i = 0
        let n = p.count
        if n > 0, p[0] == UInt8(ascii: "[") , let (stamp, end) = HostStamp.parse(p, at: 0) {
            r.hostStamp = stamp
            i = end
        }
        if let (count, end) = parseDropped(p, at: i) {
            r.droppedMessages = count
            i = end
        }
        if i < n, p[i] == UInt8(ascii: "<") {
            var j = i + 1
            var level = 0
            var digits = 0
            while j < n, digits < 4, p[j] >= 0x30, p[j] <= 0x39 { level = level * 10 + Int(p[j] - 0x30); j += 1; digits += 1 }
            if digits > 0, j < n, p[j] == UInt8(ascii: ">") {
                r.syslogLevel = level
                i = j + 1
            }
        }
        if i < n, p[i] == UInt8(ascii: "["), let (seconds, end) = parseKernelTime(p, at: i) {
            r.kernelSeconds = seconds
            i = end
            // `[T123]`, padded by printk to `[    T1]` / `[    C1]`
            if i < n, p[i] == UInt8(ascii: "[") {
                var j = i + 1
                while j < n, p[j] == 0x20 { j += 1 }
                if j < n, p[j] == UInt8(ascii: "T") || p[j] == UInt8(ascii: "C") {
                    let tag = p[j]
                    j += 1
                    let digitsStart = j
                    while j < n, p[j] >= 0x30, p[j] <= 0x39 { j += 1 }
                    if j > digitsStart, j < n, p[j] == UInt8(ascii: "]"), j - digitsStart <= 9 {
                        var number = 0
                        for k in digitsStart..<j { number = number * 10 + Int(p[k] - 0x30) }
                        r.callerKind = tag
                        r.callerNumber = number
                        i = j + 1
                    }
                }
            }
            if i < n, p[i] == 0x20 { i += 1 }
        }
        r.messageStart = i
        return r
    }

    /// `[   12.345678]` at `i`: seconds and the index after `]`.
    package static func parseKernelTime(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> (Double, Int)? {
        let n = p.count
        var j = start + 1
        while j < n, p[j] == 0x20 { j += 1 }
        var whole: UInt64 = 0
        var wholeDigits = 0
        while j < n, p[j] >= 0x30, p[j] <= 0x39, wholeDigits < 12 { whole = whole * 10 + UInt64(p[j] - 0x30); j += 1; wholeDigits += 1 }
        guard wholeDigits > 0, j < n, p[j] == UInt8(ascii: ".") else { return nil }
        j += 1
        var frac: UInt64 = 0
        var scale: Double = 1
        var fracDigits = 0
        while j < n, p[j] >= 0x30, p[j] <= 0x39, fracDigits < 9 { frac = frac * 10 + UInt64(p[j] - 0x30); scale *= 10; j += 1; fracDigits += 1 }
        guard fracDigits > 0, j < n, p[j] == UInt8(ascii: "]") else { return nil }
        return (Double(whole) + Double(frac) / scale, j + 1)
    }

    /// `** 12 printk messages dropped ** ` at `i`.
    static func parseDropped(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> (Int, Int)? {
        let n = p.count
        guard start + 3 < n, p[start] == UInt8(ascii: "*"), p[start + 1] == UInt8(ascii: "*"), p[start + 2] == 0x20 else { return nil }
        var j = start + 3
        var count = 0
        let digitsStart = j
        while j < n, p[j] >= 0x30, p[j] <= 0x39, j - digitsStart < 10 { count = count * 10 + Int(p[j] - 0x30); j += 1 }
        guard j > digitsStart else { return nil }
        let tail = Array(" printk messages dropped **".utf8)
        guard j + tail.count <= n else { return nil }
        for k in 0..<tail.count where p[j + k] != tail[k] { return nil }
        j += tail.count
        if j < n, p[j] == 0x20 { j += 1 }
        return (count, j)
    }
}

/// xenconsoled's `[YYYY-MM-DD HH:MM:SS] ` line stamp (host local time, whole seconds).
public struct HostStamp: Sendable, Hashable, Comparable {
    public var year, month, day, hour, minute, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// Seconds since 1970 when the stamp is read as UTC (xenconsoled writes local time and
    /// does not say which zone; differences between stamps are what matter).
    public var secondsSinceEpoch: Int {
        // Days from civil (Howard Hinnant's algorithm): no Calendar, no time zone database.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + hour * 3600 + minute * 60 + second
    }

    public static func < (a: HostStamp, b: HostStamp) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// Length of `[YYYY-MM-DD HH:MM:SS] ` including the trailing space.
    static let length = 22

    static func parse(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (HostStamp, Int)? {
        // [2026-11-23 06:50:01]
        guard i + 21 <= p.count, p[i] == UInt8(ascii: "["), p[i + 20] == UInt8(ascii: "]"),
              p[i + 5] == UInt8(ascii: "-"), p[i + 8] == UInt8(ascii: "-"), p[i + 11] == 0x20,
              p[i + 14] == UInt8(ascii: ":"), p[i + 17] == UInt8(ascii: ":")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for k in from..<(from + count) {
                let b = p[i + k]
                guard b >= 0x30, b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        guard let year = number(1, 4), let month = number(6, 2), let day = number(9, 2),
              let hour = number(12, 2), let minute = number(15, 2), let second = number(18, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var end = i + 21
        if end < p.count, p[end] == 0x20 { end += 1 }
        return (HostStamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second), end)
    }
}
