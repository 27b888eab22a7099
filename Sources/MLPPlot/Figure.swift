// The figure model shared by the renderers (terminal text; PNG, SVG and PDF
// files through Layout.swift and Cairo.swift), tick selection and number
// formatting. Knows nothing of the language.
#if canImport(Glibc)
import Glibc
#endif

public struct Series {
    /// line, scatter; errorbar (y with error bars), fill (between y and y2), quiver (arrows u, v at x, y).
    public enum Kind { case line, scatter, errorbar, fill, quiver }
    public var kind: Kind
    public var x: [Double]
    public var y: [Double]
    public var label: String?
    /// The lower edge of a fill.
    public var y2: [Double] = []
    /// Error bars: (below, above) of each point.
    public var xerr: [(Double, Double)]?
    public var yerr: [(Double, Double)]?
    public var capsize = 0.0
    /// Arrow components of a quiver.
    public var u: [Double] = [], v: [Double] = []
    /// nil: the next colour of the cycle (tab10).
    public var color: RGBA?
    /// nil: none on a line; a scatter's from the marker cycle.
    public var marker: Marker?
    public var markerSize: Double?
    /// A line style ("-", "--", ":", "-.", "none"); nil: solid for lines, none for scatters.
    public var lineStyle: String?
    public var lineWidth = 1.5
    public var alpha = 1.0
    /// When it was added to its axes (the legend lists entries in this order).
    public var order = 0
    public init(kind: Kind, x: [Double], y: [Double], label: String? = nil) {
        self.kind = kind; self.x = x; self.y = y; self.label = label
    }
}

/// Contour lines or filled contours of z (rows over y, columns over x) at `levels`.
public struct ContourSet {
    public var x: [Double], y: [Double], z: [Double]
    public var levels: [Double]
    public var filled: Bool
    public var cmap = "viridis"
    public var colorbar = false
    public var lineWidth = 1.5
    public init(x: [Double], y: [Double], z: [Double], levels: [Double], filled: Bool) {
        self.x = x; self.y = y; self.z = z; self.levels = levels; self.filled = filled
    }
}

/// An axis scale: linear, logarithmic, or symmetric log (linear within +-linthresh).
public enum Scale: Equatable, Sendable { case linear, log, symlog(Double) }

/// A histogram: `counts.count` bins between consecutive `edges`.
public struct Bars {
    public var edges: [Double]
    public var counts: [Double]
    public var label: String?
    public var color: RGBA?
    public var alpha = 1.0
    public var order = 0
    public init(edges: [Double], counts: [Double]) { self.edges = edges; self.counts = counts }

    /// Counts of `values` in the bins between consecutive `edges` (increasing; the last bin
    /// includes its right edge, as numpy's); with `density`, divided by n x width (area 1).
    public init(values: [Double], edges: [Double], density: Bool) {
        self.edges = edges
        var c = [Double](repeating: 0, count: max(edges.count - 1, 0))
        var n = 0.0
        for x in values where x.isFinite {
            guard let lo = edges.first, let hi = edges.last, x >= lo, x <= hi, !c.isEmpty else { continue }
            // the last edge <= x: binary search
            var a = 0, b = edges.count - 1
            while b - a > 1 { let m = (a + b) / 2; if edges[m] <= x { a = m } else { b = m } }
            c[min(a, c.count - 1)] += 1
            n += 1
        }
        if density && n > 0 { for k in c.indices { c[k] /= n * (edges[k + 1] - edges[k]) } }
        counts = c
    }

    /// Bins `values` (non-finite ones are ignored) into `bins` equal bins over their range.
    public init(values: [Double], bins: Int) {
        let v = values.filter { $0.isFinite }
        var lo = v.min() ?? 0, hi = v.max() ?? 1
        // one value: a bin of width 1 around it, or 10% of it where 0.5 is lost in rounding (6.02e23)
        if lo == hi { (lo, hi) = lo - 0.5 < lo && hi + 0.5 > hi ? (lo - 0.5, hi + 0.5) : widen(lo, hi) }
        edges = (0...bins).map { interpolate(lo, hi, Double($0) / Double(bins)) }
        counts = Array(repeating: 0, count: bins)
        for x in v { counts[min(max(cell(fraction(x, lo, hi), bins), 0), bins - 1)] += 1 }
    }
}

/// A matrix drawn as a heat map; NaN cells are gaps (drawn blank).
public struct Heatmap {
    public var rows: Int
    public var cols: Int
    /// One value a cell (for an RGB image its luminance, which the terminal draws).
    public var values: [Double]
    /// An RGB(A) image's channels in 0...1, `channels` a cell (files draw these).
    public var rgb: [Double]?
    public var channels = 1
    /// (left, right, bottom, top) in data units; nil: cell centres at 0, 1, ... (row 0 on top).
    public var extent: [Double]?
    public var cmap = "viridis"
    public var vmin: Double?, vmax: Double?
    public var colorbar = true
    public init(rows: Int, cols: Int, values: [Double]) { self.rows = rows; self.cols = cols; self.values = values }

    /// The colour range: vmin/vmax where given, else the data's.
    public var limits: (Double, Double) {
        let (lo, hi) = range
        return (vmin ?? lo, vmax ?? hi)
    }

    /// `images` (n images of h x w, row-major) laid out in a grid with one blank cell between them.
    public init(grid images: [Double], count n: Int, height h: Int, width w: Int, gridRows: Int, gridCols: Int) {
        rows = gridRows * h + (gridRows - 1)
        cols = gridCols * w + (gridCols - 1)
        values = Array(repeating: .nan, count: rows * cols)
        for k in 0..<min(n, gridRows * gridCols) {
            let r0 = (k / gridCols) * (h + 1), c0 = (k % gridCols) * (w + 1)
            for i in 0..<h { for j in 0..<w { values[(r0 + i) * cols + c0 + j] = images[k * h * w + i * w + j] } }
        }
    }

    /// Smallest and largest finite value (0...1 when there is none).
    public var range: (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        return lo > hi ? (0, 1) : (lo, hi)
    }
}

public struct Figure {
    public var series: [Series] = []
    public var bars: Bars?
    public var heatmap: Heatmap?
    public var title = ""
    public var xlabel = ""
    public var ylabel = ""
    /// Terminal size of the plot area in characters.
    public var width = 60
    public var height = 15

    // Files (Layout.swift): the options of an axes ...
    public var contours: [ContourSet] = []
    /// Histograms after the first (`bars`) drawn into the same axes.
    public var moreBars: [Bars] = []
    public var xlim: (Double, Double)?
    public var ylim: (Double, Double)?
    public var xscale = Scale.linear, yscale = Scale.linear
    public var grid = false
    /// "equal" or "auto"; nil: equal for images, auto otherwise (matplotlib's).
    public var aspect: String?
    /// Where the legend goes: "best" (the place covering the fewest points), "upper right", ..., "none".
    public var legend = "best"
    /// Without axes, ticks and frame (the panels of imshow_grid).
    public var axesOff = false
    /// ... and of the whole figure: size in inches (matplotlib's 6.4 x 4.8), dots an inch of a PNG,
    /// the panels of a grid (row-major; empty: this figure is its one axes) with shared axes.
    public var size = (6.4, 4.8)
    public var dpi = 100.0
    public var panels: [Figure] = []
    public var gridRows = 1, gridCols = 1
    public var sharex = false, sharey = false
    /// Colours and markers of the cycles given out so far (`add`).
    public var cycle = 0, markers = 0, added = 0
    public init() {}

    public var hasLegend: Bool { series.contains { $0.label != nil } }

    /// The histograms of the axes.
    public var allBars: [Bars] { (bars.map { [$0] } ?? []) + moreBars }

    /// The data ranges (x, y), widened when empty or a single value.
    public func ranges() -> (Double, Double, Double, Double) {
        var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
        for s in series {
            for (x, y) in zip(s.x, s.y) where x.isFinite && y.isFinite {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        if let b = bars {
            x0 = b.edges.first ?? 0; x1 = b.edges.last ?? 1
            y0 = 0; y1 = max(b.counts.max() ?? 1, 1)
        }
        if x0 > x1 { x0 = 0; x1 = 1 }
        if y0 > y1 { y0 = 0; y1 = 1 }
        (x0, x1) = widen(x0, x1); (y0, y1) = widen(y0, y1)
        return (x0, x1, y0, y1)
    }
}

func widen(_ lo: Double, _ hi: Double) -> (Double, Double) {
    if lo < hi { return (lo, hi) }
    let d = lo == 0 ? 1 : abs(lo) * 0.1
    return (finite(lo - d), finite(hi + d))
}

/// `x` with the infinities moved to the largest finite values (an axis widened past 1.8e308).
func finite(_ x: Double) -> Double { Swift.min(Swift.max(x, -.greatestFiniteMagnitude), .greatestFiniteMagnitude) }

// Data may span -1e308 ... 1e308, where hi - lo overflows to inf: positions on an
// axis go through these two, which then work with halves (same bits otherwise).

/// Where `x` lies from `lo` (0) to `hi` (1).
func fraction(_ x: Double, _ lo: Double, _ hi: Double) -> Double {
    let span = hi - lo
    return span.isFinite ? (x - lo) / span : (x / 2 - lo / 2) / (hi / 2 - lo / 2)
}

/// The value a fraction `t` of the way from `lo` to `hi`.
func interpolate(_ lo: Double, _ hi: Double, _ t: Double) -> Double {
    let span = hi - lo
    return span.isFinite ? lo + span * t : lo * (1 - t) + hi * t
}

/// `f * n` rounded down as an Int (a bin, a colour step): NaN and values far off
/// the axis are clamped (to -1 and n + 1) instead of trapping in the conversion.
func cell(_ f: Double, _ n: Int) -> Int {
    let c = (f * Double(n)).rounded(.down)
    return c.isNaN ? 0 : Int(Swift.min(Swift.max(c, -1), Double(n) + 1))
}

/// `f * n` rounded to the nearest Int (a pixel), clamped as `cell`.
func pixel(_ f: Double, _ n: Int) -> Int {
    let p = (f * Double(n)).rounded()
    return p.isNaN ? 0 : Int(Swift.min(Swift.max(p, -1), Double(n) + 1))
}

/// Round tick values ({1, 2, 5} x 10^k apart) inside [lo, hi], at most `maxCount` of them (at least 2 when the range allows).
public func niceTicks(_ lo: Double, _ hi: Double, maxCount: Int) -> [Double] {
    guard lo.isFinite, hi.isFinite, hi > lo, maxCount >= 1 else { return lo.isFinite ? [lo] : [] }
    // the smallest {1, 2, 5} x 10^k step that gives at most maxCount ticks
    let raw = hi / Double(max(maxCount, 1)) - lo / Double(max(maxCount, 1))
    guard raw.isNormal else { return [lo, hi] }   // a range of subnormals (0 to 5e-324): its ends
    var mag = pow(10, floor(log10(raw)) - 1)
    var best: [Double] = [], previous: [Double] = []
    search: for _ in 0..<4 {
        for m in [1.0, 2, 5] {
            guard (m * mag).isFinite else { break search }   // a range near 1e308: no step of 1e309
            let t = ticks(lo, hi, step: m * mag)
            if t.count <= maxCount { best = t; break search }
            previous = t
        }
        mag *= 10
    }
    // one tick says nothing about the scale: take one more than asked for instead
    if best.count < 2 && previous.count >= 2 && previous.count <= maxCount + 1 { return previous }
    return best
}

func ticks(_ lo: Double, _ hi: Double, step: Double) -> [Double] {
    var out: [Double] = []
    var k = ceil(lo / step - 1e-9)
    while out.count <= 1000 {
        var t = k * step
        if abs(t) < step * 1e-9 { t = 0 }
        if t > hi + step * 1e-9 { break }
        out.append(t)
        k += 1
    }
    return out
}

/// Labels for a set of ticks with the decimals their spacing needs (`0.5`, `10`, `2e6`).
public func tickLabels(_ ticks: [Double]) -> [String] {
    guard !ticks.isEmpty else { return [] }
    let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : max(abs(ticks[0]), 1)
    let big = ticks.map { abs($0) }.max() ?? 0
    if big >= 1e6 || (big > 0 && big < 1e-3) {
        return ticks.map { t in
            if t == 0 { return "0" }
            let e = floor(log10(abs(t)))
            let m = scaled(t, e)
            let d = max(0, min(6, Int(ceil(-log10(scaled(step, e)) - 1e-9))))
            return trimZeros(formatFixed(m, d)) + "e" + String(Int(e))
        }
    }
    let d = max(0, min(10, Int(ceil(-log10(step) - 1e-9))))
    return ticks.map { formatFixed($0, d) }
}

/// x / 10^e, also for subnormal x (10^-324 is 0 as a double: scale x up first).
func scaled(_ x: Double, _ e: Double) -> Double {
    e < -300 ? x * 1e20 / pow(10, e + 20) : x / pow(10, e)
}

func trimZeros(_ s: String) -> String {
    guard s.contains(".") else { return s }
    var t = s
    while t.hasSuffix("0") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    return t
}

/// `x` with exactly `decimals` digits after the point (no Foundation).
public func formatFixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    let scale = pow(10, Double(decimals))
    let n = (abs(x) * scale).rounded()
    let neg = x < 0 && n != 0
    if n >= 9e18 { return "\(x.rounded())" }   // beyond UInt64 (no caller asks for such a value)
    let v = UInt64(n)
    var digits = String(v)
    if decimals > 0 {
        while digits.count <= decimals { digits = "0" + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
    }
    return (neg ? "-" : "") + digits
}

/// Short label for a value that is not a tick (colour scales): up to 4 significant digits.
public func shortNumber(_ x: Double) -> String {
    if x == 0 || !x.isFinite { return x == 0 ? "0" : formatFixed(x, 0) }
    let e = Int(floor(log10(abs(x))))
    if e >= 6 || e < -3 { return trimZeros(formatFixed(scaled(x, Double(e)), 3)) + "e" + String(e) }
    return trimZeros(formatFixed(x, max(0, 3 - e)))
}

/// Viridis-like colour ramp, t in 0...1.
public func rampColor(_ t: Double) -> (UInt8, UInt8, UInt8) {
    let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
    let i = min(Int(u), stops.count - 2), f = u - Double(i)
    let a = stops[i], b = stops[i + 1]
    func c(_ x: Double, _ y: Double) -> UInt8 { UInt8((x + (y - x) * f).rounded()) }
    return (c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
}

/// Series colours in terminals (ANSI bright colours; files use tab10).
let seriesANSI = [94, 91, 92, 93, 95, 96]
/// Markers of series in a legend (terminal).
let seriesMarkers: [Character] = ["o", "x", "+", "*", "@", "%"]
