import CanaryClassify
import CanaryModel
import Foundation

/// The boot timeline of `report.html`: every boot is a row on one shared time axis (seconds
/// since that boot started), so "each boot stopped somewhere else" and "every boot died at the
/// same line" are visible at a glance.
///
/// In each row: a dashed line while the console was still silent (before the first byte); a
/// bar while the console was printing (first byte to last byte); each milestone marked where
/// it was first seen; the silence before a stall drawn as a hatched band from the last byte to
/// the moment the stall was declared; the outcome marked at `secondsToOutcome`; and the last
/// console line written under the row, linked to its line in the transcript.
///
/// Plain SVG, no script, no external reference. Every piece of console text is made visible
/// and escaped (`HTMLText.guest`), the same inline in HTML as in a standalone SVG.
public struct TimelineSVG: Sendable {
    public var boots: [RunReport.Boot]

    // Geometry, in viewBox units (the SVG scales to the page width).
    public static let width = 1100.0
    public static let labelWidth = 190.0
    public static let rightPad = 24.0
    public static let top = 40.0
    public static let rowHeight = 56.0
    public static let axisHeight = 34.0
    /// Average advance of a character of the 11-unit monospace label, to keep labels inside.
    static let monoAdvance = 6.7

    public init(boots: [RunReport.Boot]) { self.boots = boots }

    /// The end of the shared axis: a round number at or after the latest event of any boot.
    public var axisEnd: Double { Self.niceCeiling(boots.map(\.endSeconds).max() ?? 0) }

    public var height: Double { Self.top + Double(max(1, boots.count)) * Self.rowHeight + Self.axisHeight }

    /// The x coordinate of `seconds` on the shared axis.
    public func x(_ seconds: Double) -> Double {
        let plot = Self.width - Self.labelWidth - Self.rightPad
        let s = min(max(seconds.isFinite ? seconds : 0, 0), axisEnd)
        return Self.labelWidth + s / axisEnd * plot
    }

    public func rowTop(_ i: Int) -> Double { Self.top + Double(i) * Self.rowHeight }

    public func render() -> String {
        var o = ""
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" role=\"img\" viewBox=\"0 0 \(n(Self.width)) \(n(height))\" width=\"100%\" aria-label=\"Boot timeline: one row per boot on a shared time axis\">\n"
        o += "<title>Boot timeline: one row per boot, seconds since each boot started</title>\n"
        o += """
            <defs><pattern id="stall-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">\
            <rect width="7" height="7" fill="#fdecea"/><rect width="3" height="7" fill="#e57373"/></pattern></defs>\n
            """
        o += legend()
        o += axis()
        if boots.isEmpty {
            o += "<text x=\"\(n(Self.labelWidth))\" y=\"\(n(Self.top + 30))\" class=\"tl-note\">no boots in this run</text>\n"
        }
        for (i, b) in boots.enumerated() { o += row(i, b) }
        o += "</svg>\n"
        return o
    }

    func legend() -> String {
        var o = "<g class=\"tl-legend\">"
        var x = Self.labelWidth
        let y = 16.0
        o += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 22))\" y2=\"\(n(y))\" class=\"tl-wait\"/>"
        o += "<text x=\"\(n(x + 28))\" y=\"\(n(y + 4))\">before the first byte</text>"
        x += 160
        o += "<rect x=\"\(n(x))\" y=\"\(n(y - 5))\" width=\"22\" height=\"10\" class=\"tl-bar fail\"/>"
        o += "<text x=\"\(n(x + 28))\" y=\"\(n(y + 4))\">console printing</text>"
        x += 140
        o += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 22))\" y2=\"\(n(y))\" class=\"tl-quiet\"/>"
        o += "<text x=\"\(n(x + 28))\" y=\"\(n(y + 4))\">quiet &gt; 1 s</text>"
        x += 110
        o += "<rect x=\"\(n(x))\" y=\"\(n(y - 7))\" width=\"22\" height=\"14\" class=\"tl-stall\"/>"
        o += "<text x=\"\(n(x + 28))\" y=\"\(n(y + 4))\">silence before the stall</text>"
        x += 170
        o += diamond(x + 6, y)
        o += "<text x=\"\(n(x + 16))\" y=\"\(n(y + 4))\">milestone, first seen</text>"
        x += 150
        o += cross(x + 6, y)
        o += "<text x=\"\(n(x + 16))\" y=\"\(n(y + 4))\">outcome decided</text>"
        o += "</g>\n"
        return o
    }

    func axis() -> String {
        let end = axisEnd
        let step = Self.tickStep(end)
        let bottom = Self.top + Double(max(1, boots.count)) * Self.rowHeight
        var o = "<g class=\"tl-axis\">"
        o += "<line x1=\"\(n(x(0)))\" y1=\"\(n(bottom))\" x2=\"\(n(x(end)))\" y2=\"\(n(bottom))\" class=\"tl-axisline\"/>"
        var t = 0.0
        var k = 0
        while t <= end + step / 1000, k <= 20 {
            let xt = x(t)
            o += "<line x1=\"\(n(xt))\" y1=\"\(n(Self.top))\" x2=\"\(n(xt))\" y2=\"\(n(bottom))\" class=\"tl-grid\"/>"
            o += "<text x=\"\(n(xt))\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\">\(Self.tickLabel(t, step: step))</text>"
            k += 1
            t = Double(k) * step
        }
        o += "<text x=\"10\" y=\"\(n(bottom + 16))\">seconds since boot start</text>"
        o += "</g>\n"
        return o
    }

    func row(_ i: Int, _ b: RunReport.Boot) -> String {
        let d = b.record
        let y0 = rowTop(i)
        let barY = y0 + 16
        let barH = 12.0
        let mid = barY + barH / 2
        let cls = Self.outcomeClass(d.outcome)
        var o = "<g class=\"tl-row \(cls)\" id=\"tl-\(b.anchor)\">"
        o += "<title>\(HTMLText.guest(b.label.description)): \(HTMLText.escape(ReportWords.outcome(d))), last milestone \(d.lastMilestone.rawValue)</title>"
        if i % 2 == 1 {
            o += "<rect x=\"0\" y=\"\(n(y0))\" width=\"\(n(Self.width))\" height=\"\(n(Self.rowHeight))\" class=\"tl-stripe\"/>"
        }
        // Label column: the boot, and how it ended.
        o += "<a href=\"#\(b.anchor)\"><text x=\"10\" y=\"\(n(y0 + 21))\" class=\"tl-label\">\(HTMLText.guest(b.label.description, limit: 26))</text></a>"
        o += "<text x=\"10\" y=\"\(n(y0 + 38))\" class=\"tl-outcome \(cls)\">\(HTMLText.escape(Self.shortOutcome(d)))</text>"

        let first = d.firstByteSeconds
        let last = d.lastByteSeconds ?? first
        let end = d.secondsToOutcome ?? b.endSeconds
        // Before the first byte: the guest said nothing yet (firmware, bootloader, or nothing at all).
        let silentUntil = first ?? end
        if silentUntil > 0 {
            o += "<line x1=\"\(n(x(0)))\" y1=\"\(n(mid))\" x2=\"\(n(x(silentUntil)))\" y2=\"\(n(mid))\" class=\"tl-wait\"><title>no console output yet</title></line>"
        }
        if let first, let last, last > first {
            // Quiet stretches inside the output: a thin line between the printing spans.
            o += "<line x1=\"\(n(x(first)))\" y1=\"\(n(mid))\" x2=\"\(n(x(last)))\" y2=\"\(n(mid))\" class=\"tl-quiet\"/>"
        }
        for span in b.activity {
            let w = max(2, x(span.to) - x(span.from))
            o += "<rect x=\"\(n(x(span.from)))\" y=\"\(n(barY))\" width=\"\(n(w))\" height=\"\(n(barH))\" class=\"tl-bar \(cls)\">"
            o += "<title>console printing from \(ReportWords.offset(span.from)) s to \(ReportWords.offset(span.to)) s</title></rect>"
        }
        if let band = b.stallBand {
            let bx = x(band.from), bw = max(2, x(band.to) - x(band.from))
            let what = String(format: "%.1f s silent", d.stallSeconds ?? band.to - band.from) + (d.vcpu.map { ", vCPUs \($0.rawValue)" } ?? "")
            o += "<rect x=\"\(n(bx))\" y=\"\(n(barY - 3))\" width=\"\(n(bw))\" height=\"\(n(barH + 6))\" class=\"tl-stall\">"
            o += "<title>silence before the stall: \(HTMLText.escape(what)), from \(ReportWords.offset(band.from)) s to \(ReportWords.offset(band.to)) s</title></rect>"
            if bw > Double(what.count) * 6.2 + 12 {
                o += "<text x=\"\(n(bx + bw / 2))\" y=\"\(n(mid + 4))\" text-anchor=\"middle\" class=\"tl-stalltext\">\(HTMLText.escape(what))</text>"
            }
        }
        // Milestones where first seen. Names go above the bar, or below it when that would
        // collide with the previous name there; a name with room on neither side is left to
        // its marker's tooltip.
        var labelEnd = [-Double.infinity, -Double.infinity]
        for m in b.firstMilestones {
            guard let s = m.seconds else { continue }
            let mx = x(s)
            o += "<g class=\"tl-ms\">" + diamond(mx, mid)
            o += "<title>\(m.milestone.rawValue) first seen at \(ReportWords.offset(s)) s, line \(m.line): \(HTMLText.guest(m.text, limit: 200))</title></g>"
            let name = m.milestone.rawValue
            let w = Double(name.count) * 5.6
            for (level, y) in [barY - 5, barY + barH + 8].enumerated() where mx - w / 2 > labelEnd[level] + 4 {
                o += "<text x=\"\(n(mx))\" y=\"\(n(y))\" text-anchor=\"middle\" class=\"tl-mslabel\">\(name)</text>"
                labelEnd[level] = mx + w / 2
                break
            }
        }
        // The outcome, where it was decided.
        let ex = x(end)
        if d.outcome.isSuccess {
            o += "<path d=\"M\(n(ex - 5)) \(n(mid)) l4 4 l7 -9\" class=\"tl-ok\"><title>booted at \(ReportWords.offset(end)) s</title></path>"
        } else {
            o += "<g class=\"tl-end\">" + cross(ex, mid) + "<title>\(HTMLText.escape(d.outcome.rawValue)) decided at \(ReportWords.offset(end)) s</title></g>"
        }
        // The last console line, under the row, starting where the console stopped.
        let plotEnd = Self.width - 8
        let maxChars = Int((plotEnd - Self.labelWidth) / Self.monoAdvance) - 8
        if let lastLine = d.lastLine, !lastLine.isEmpty {
            let number = b.lastLineNumber
            let prefix = number.map { "line \($0): " } ?? "last line: "
            let visible = UntrustedText.visible(prefix + lastLine, limit: maxChars)
            let w = Double(visible.count) * Self.monoAdvance
            let lx = min(max(x(last ?? 0), Self.labelWidth), plotEnd - w)
            let text = "<text x=\"\(n(max(Self.labelWidth, lx)))\" y=\"\(n(y0 + 49))\" class=\"tl-lastline\">\(HTMLText.escape(visible))<title>\(HTMLText.guest(lastLine, limit: 1000))</title></text>"
            o += number.map { "<a href=\"#\(b.lineAnchor($0))\">\(text)</a>" } ?? text
        } else {
            o += "<text x=\"\(n(Self.labelWidth))\" y=\"\(n(y0 + 49))\" class=\"tl-lastline tl-none\">no console output</text>"
        }
        o += "</g>\n"
        return o
    }

    func diamond(_ cx: Double, _ cy: Double) -> String {
        "<path d=\"M\(n(cx)) \(n(cy - 6)) l5 6 l-5 6 l-5 -6 z\" class=\"tl-diamond\"/>"
    }

    func cross(_ cx: Double, _ cy: Double) -> String {
        "<path d=\"M\(n(cx - 5)) \(n(cy - 5)) l10 10 m0 -10 l-10 10\" class=\"tl-cross\"/>"
    }

    static func outcomeClass(_ o: BootOutcome) -> String {
        switch o {
        case .booted: "ok"
        case .infraError: "infra"
        default: "fail"
        }
    }

    static func shortOutcome(_ d: BootRecord) -> String {
        var s = d.outcome.rawValue
        if let v = d.vcpu, d.outcome == .stalled { s += ", vCPUs \(v.rawValue)" }
        if let t = d.secondsToOutcome { s += " · " + ReportWords.seconds(t) }
        return s
    }

    /// 1, 2 or 5 times a power of ten, about eight ticks over the axis.
    static func tickStep(_ end: Double) -> Double {
        let raw = end / 8
        let p = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * p >= raw { return m * p }
        return 10 * p
    }

    static func niceCeiling(_ v: Double) -> Double {
        guard v.isFinite, v > 0 else { return 1 }
        let step = tickStep(v)
        return (v / step).rounded(.up) * step
    }

    static func tickLabel(_ t: Double, step: Double) -> String {
        step >= 1 ? String(format: "%.0f s", t) : step >= 0.1 ? String(format: "%.1f s", t) : String(format: "%.2f s", t)
    }

    /// Coordinates with at most two decimals: short, and identical on every platform.
    func n(_ v: Double) -> String { Self.n(v) }
    static func n(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }
}

extension RunReport.Boot {
    /// The transcript line that `lastLine` was taken from: the record stores the text with its
    /// console prefixes stripped, so the latest line that ends with it.
    public var lastLineNumber: Int? {
        guard let last = record.lastLine, !last.isEmpty, let ex = excerpt else { return nil }
        let candidates = (ex.tail.isEmpty ? ex.head : ex.tail).suffix(64).reversed()
        let needle = last.trimmingCharacters(in: .whitespaces)
        return candidates.first { $0.text.trimmingCharacters(in: .whitespaces).hasSuffix(needle) }?.number
    }
}
