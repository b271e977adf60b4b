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
}
