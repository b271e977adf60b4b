import CanaryModel
import Foundation

/// bootcanary's transcript format, version 1: a boot's console with host timestamps, as
/// text a person reads with `less`, appendable one line at a time while the boot runs, and
/// byte-exact: the console bytes can be rebuilt from it.
///
/// ```text
/// # bootcanary transcript v1
/// @meta {"cmdline":"console=hvc0","domain":"bootcanary-3f2a-kernel-1","kind":"kernel","run":"1",...}
/// L 0.000000 2026-11-23T06:50:01.123456Z crlf SeaBIOS (version 1.16.2-debian-1.16.2-1)
/// L 1.204518 2026-11-23T06:50:02.327974Z crlf [    0.000000] Linux version 6.1.0-27-cloud-amd64 ...
/// L 3.021877 2026-11-23T06:50:04.145333Z crlf [  \x1B[0;32mOK\x1B[0m  ] Reached target ...
/// L 3.100012 2026-11-23T06:50:04.223468Z none canary login:\x20
/// @event 3.2 2026-11-23T06:50:04.323468Z {"detail":"stopped shutdown","name":"lifecycle"}
/// @end 3.300000 2026-11-23T06:50:04.423468Z {"reason":"success"}
/// @result {"lastMilestone":"login","outcome":"booted",...}
/// ```
///
/// - Line 1 is the magic `# bootcanary transcript v1`. Other lines starting with `#` are
///   comments.
/// - `@meta JSON`: one flat JSON object of strings (numbers and booleans are read as their
///   text): what the Probe knows about the boot. Keys in use: `kind` (ProbeKind), `run`,
///   `domain`, `uri`, `started` (wall clock, ISO 8601), `cmdline`, `tool` (name and version),
///   `expect` (success-marker regex when not the default), `grace` (seconds). More may be added.
/// - `L SECONDS WALL TERMINATOR BYTES`: one console line. SECONDS is the host monotonic
///   offset since the boot started, six decimals; WALL the host wall clock in UTC ISO 8601
///   with microseconds, or `-`; both are the arrival of the line's first byte.
///   TERMINATOR is how the line ended: `lf`, `crlf`, `cr`, `cut` (split at the length limit)
///   or `none` (the stream ended mid-line). BYTES is the rest of the record: valid UTF-8
///   as it is; backslash as `\\`; control bytes (ESC, NUL, ...), DEL, and bytes that are
///   not valid UTF-8 as `\xHH`; a trailing space as `\x20` so no editor strips it.
/// - `@event SECONDS WALL JSON`: something the Probe saw besides the console, e.g.
///   `{"name":"lifecycle","detail":"stopped crashed"}`.
/// - `@end SECONDS WALL JSON`: how the boot ended, as the Probe decided (a `BootEnding`).
/// - `@result JSON`: the boot result the Probe reported (for reference; `analyze` recomputes
///   it from the lines and `@end`, and says so when they differ).
///
/// A transcript without `@end` is a boot still running or a capture cut short; it is read
/// as "end of saved log".
public enum BootcanaryTranscript {
    public static let magicLine = "# bootcanary transcript v1"
    package static let magic = Array(magicLine.utf8)

    // MARK: Encoding

    /// The `L` record for a console line, with its newline.
    public static func record(for line: ConsoleLine) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.bytes.count + 64)
        out.append(contentsOf: Array("L ".utf8))
        appendTime(line.time, to: &out)
        out.append(0x20)
        out.append(contentsOf: Array(line.terminator.rawValue.utf8))
        out.append(0x20)
        escape(line.bytes, into: &out)
        out.append(0x0A)
        return out
    }

    static func appendTime(_ time: ConsoleTime?, to out: inout [UInt8]) {
        guard let time else {
            out.append(contentsOf: Array("- -".utf8))
            return
        }
        out.append(contentsOf: Array(formatSeconds(time.seconds).utf8))
        out.append(0x20)
        out.append(contentsOf: Array((time.wall.map(formatWall) ?? "-").utf8))
    }

    /// `12.345678`, always six decimals, no locale.
    public static func formatSeconds(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "0.000000" }
        let micros = Int64((abs(seconds) * 1_000_000).rounded())
        let whole = micros / 1_000_000
        let frac = String(micros % 1_000_000)
        return (seconds < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    /// `2026-11-23T06:50:01.123456Z` (UTC, microseconds).
    public static func formatWall(_ date: Date) -> String {
        let total = date.timeIntervalSince1970
        var secs = Int64(total.rounded(.down))
        var micros = Int64(((total - Double(secs)) * 1_000_000).rounded())
        if micros == 1_000_000 { secs += 1; micros = 0 }
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let frac = String(micros)
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))."
            + String(repeating: "0", count: 6 - frac.count) + frac + "Z"
    }

    /// Parses `formatWall`'s output (also without fraction).
    public static func parseWall<S: StringProtocol>(_ text: S) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func num(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for k in from..<(from + count) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
              let s = num(17, 2), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var frac = 0.0
        if b.count > 21, b[19] == UInt8(ascii: ".") {
            var scale = 1.0
            var v = 0.0
            for k in 20..<(b.count - 1) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Double(b[k] - 0x30)
                scale *= 10
            }
            frac = v / scale
        }
        let days = daysFromCivil(y, mo, d)
        return Date(timeIntervalSince1970: Double(days * 86400 + h * 3600 + mi * 60 + s) + frac)
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Escapes console bytes for an `L` record (see the format above).
    public static func escape<Bytes: Collection>(_ bytes: Bytes, into out: inout [UInt8]) where Bytes.Element == UInt8 {
        let b = Array(bytes)
        let n = b.count
        var i = 0
        let hex = Array("0123456789ABCDEF".utf8)
        func escaped(_ v: UInt8) {
            out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "x"))
            out.append(hex[Int(v >> 4)]); out.append(hex[Int(v & 0xF)])
        }
        while i < n {
            let v = b[i]
            if v == UInt8(ascii: "\\") {
                out.append(v); out.append(v); i += 1; continue
            }
            if v < 0x80 {
                if (v < 0x20 && v != 0x09) || v == 0x7F || (v == 0x20 && i == n - 1) { escaped(v) } else { out.append(v) }
                i += 1
                continue
            }
            let len = utf8SequenceLength(b, i)
            if len == 0 {
                escaped(v); i += 1
            } else {
                out.append(contentsOf: b[i..<(i + len)]); i += len
            }
        }
    }

    /// Length of the valid UTF-8 sequence starting at `b[i]` (a byte >= 0x80), or 0.
    static func utf8SequenceLength(_ b: [UInt8], _ i: Int) -> Int {
        let v = b[i]
        let len: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch v {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: return 0
        }
        guard i + len <= b.count else { return 0 }
        guard b[i + 1] >= lo, b[i + 1] <= hi else { return 0 }
        for k in 2..<max(2, len) where b[i + k] & 0xC0 != 0x80 { return 0 }
        return len
    }

    /// Reverses `escape`. Returns nil for a malformed escape.
    static func unescape(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var i = 0
        let n = p.count
        while i < n {
            let v = p[i]
            if v != UInt8(ascii: "\\") { out.append(v); i += 1; continue }
            guard i + 1 < n else { return false }
            if p[i + 1] == UInt8(ascii: "\\") { out.append(v); i += 2; continue }
            guard p[i + 1] == UInt8(ascii: "x"), i + 3 < n, let hi = hexValue(p[i + 2]), let lo = hexValue(p[i + 3]) else { return false }
            out.append(hi << 4 | lo)
            i += 4
        }
        return true
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

/// The `@meta` record: what the Probe knows about the boot, as flat key/value strings.
public struct TranscriptMetadata: Sendable, Hashable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public var kind: ProbeKind? { values["kind"].flatMap(ProbeKind.init(rawValue:)) }
    public var run: Int? { values["run"].flatMap { Int($0) } }

    /// One JSON object, sorted keys.
    public func json() -> String {
        let data = (try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a flat JSON object; scalars become their text, nested values their JSON.
    public static func parse<S: StringProtocol>(json text: S) -> TranscriptMetadata? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(String(text).utf8)) as? [String: Any] else { return nil }
        var values: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let s as String: values[key] = s
            case let n as NSNumber: values[key] = n.stringValue
            case is NSNull: continue
            default:
                if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
                    values[key] = String(decoding: data, as: UTF8.self)
                }
            }
        }
        return TranscriptMetadata(values)
    }
}

/// A record the Probe appends besides console lines (`@event`).
public struct TranscriptEvent: Sendable, Hashable, Codable {
    public var time: ConsoleTime?
    public var name: String
    public var detail: String

    public init(name: String, detail: String, time: ConsoleTime?) {
        self.name = name
        self.detail = detail
        self.time = time
    }
}
