import Foundation

/// When console bytes arrived, as the host saw it.
///
/// `seconds` is the host's monotonic clock, counted from the start of the boot (the Probe
/// reads the clock; Console and Classify never do). `wall` is the wall clock at the same
/// moment, when the source has one: the live console stamps every chunk with both, a
/// xenconsoled log has a one-second wall clock only, a plain `virsh console` capture has none.
public struct ConsoleTime: Sendable, Hashable, Codable {
    public var seconds: Double
    public var wall: Date?

    public init(seconds: Double, wall: Date? = nil) {
        self.seconds = seconds
        self.wall = wall
    }

    /// This time at the transcript's resolution (microseconds), so that a boot judged live
    /// and the same boot judged again from its transcript see identical numbers.
    public var quantized: ConsoleTime {
        ConsoleTime(seconds: Self.micro(seconds), wall: wall.map { date in
            let t = date.timeIntervalSince1970
            let whole = t.rounded(.down)
            return Date(timeIntervalSince1970: whole + ((t - whole) * 1_000_000).rounded() / 1_000_000)
        })
    }

    static func micro(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }
}
