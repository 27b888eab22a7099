// Axis scales, limits and ticks of file figures: linear, log (decade ticks 10^k
// with minor ticks 2..9) and symlog; tick labels are thinned until none overlap.
#if canImport(Glibc)
import Glibc
#endif

/// The transformed value of x on a scale (log of a non-positive value: NaN).
func forward(_ s: Scale, _ x: Double) -> Double {
    switch s {
    case .linear: return x
    case .log: return x > 0 ? log10(x) : .nan
    case .symlog(let c): return abs(x) <= c ? x / c : (x < 0 ? -1 : 1) * (1 + log10(abs(x) / c))
    }
}

func inverse(_ s: Scale, _ t: Double) -> Double {
    switch s {
    case .linear: return t
    case .log: return pow(10, t)
    case .symlog(let c): return abs(t) <= 1 ? t * c : (t < 0 ? -1 : 1) * c * pow(10, abs(t) - 1)
    }
}

/// An axis: transformed values t0 ... t1 at positions p0 ... p1 (points).
struct AxisMap {
    var scale: Scale
    var t0: Double, t1: Double
    var p0: Double, p1: Double
    func pos(_ x: Double) -> Double { p0 + fraction(forward(scale, x), t0, t1) * (p1 - p0) }
    func posT(_ t: Double) -> Double { p0 + fraction(t, t0, t1) * (p1 - p0) }
    var lo: Double { min(t0, t1) }
    var hi: Double { max(t0, t1) }
    var length: Double { abs(p1 - p0) }
}

struct Tick { var value: Double; var label: [TextRun] }

let tickFont = 10.0, labelFont = 10.0, titleFont = 12.0, suptitleFont = 13.0
let tickLength = 3.5, minorTickLength = 2.0, tickPad = 3.5

/// matplotlib's minus sign (U+2212) in tick labels.
func minusSign(_ s: String) -> String {
    var o = ""
    for c in s { o.append(c == "-" ? "\u{2212}" : c) }
    return o
}

func plain(_ s: String) -> [TextRun] { [TextRun(text: s, sup: false)] }

/// `10^k` as text with a superscript exponent.
func decade(_ k: Int, sign: String = "") -> [TextRun] { [TextRun(text: sign + "10", sup: false), TextRun(text: minusSign(String(k)), sup: true)] }

/// Ticks of an axis whose transformed range is lo...hi over `length` points; `size`
/// gives a label's extent along the axis. Fewer ticks are taken until labels keep apart.
func axisTicks(_ scale: Scale, _ lo: Double, _ hi: Double, length: Double, size: ([TextRun]) -> Double) -> (major: [Tick], minor: [Double]) {
    guard lo.isFinite, hi.isFinite, hi > lo, length > 0 else { return ([], []) }
    func fits(_ ts: [Tick]) -> Bool {
        let ps = ts.map { (fraction(forward(scale, $0.value), lo, hi) * length, size($0.label)) }.sorted { $0.0 < $1.0 }
        for k in 0..<max(ps.count - 1, 0) where ps[k + 1].0 - ps[k].0 < (ps[k].1 + ps[k + 1].1) / 2 + tickFont * 0.6 { return false }
        return true
    }
    func linear(_ a: Double, _ b: Double, keep: (Double) -> Bool = { _ in true }) -> [Tick] {
        var n = min(9, max(2, Int(length / (tickFont * 3))))
        var last: [Tick] = []
        while n >= 1 {
            let vals = niceTicks(a, b, maxCount: n).filter(keep)
            let ts = zip(vals, tickLabels(vals)).map { Tick(value: $0, label: plain(minusSign($1))) }
            if fits(ts) { return ts }
            last = ts; n -= 1
        }
        return Array(last.prefix(1))
    }
    switch scale {
    case .linear:
        return (linear(lo, hi), [])
    case .log:
        let k0 = Int(ceil(lo - 1e-9)), k1 = Int(floor(hi + 1e-9))
        guard k1 > k0 else {
            // less than two decades in view: round values, placed on the log scale
            return (linear(inverse(scale, lo), inverse(scale, hi), keep: { $0 > 0 }), minorDecades(lo, hi))
        }
        // every decade, else every 2nd, 3rd, 5th, 10th, ... (round exponents: 10^-20, 10^0, 10^20)
        let steps = [1, 2, 3, 4, 5, 6, 10, 15, 20, 25, 30, 50, 100, 150, 200, 250, 500, 1000]
        var last: [Tick] = []
        for step in steps {
            let ks = stride(from: Int((Double(k0) / Double(step)).rounded(.up)) * step, through: k1, by: step)
            let ts = ks.map { Tick(value: pow(10, Double($0)), label: decade($0)) }
            if fits(ts) { return (ts, step == 1 && hi - lo < 10 ? minorDecades(lo, hi) : []) }
            last = ts
        }
        return (Array(last.prefix(1)), [])
    case .symlog(let c):
        let a = inverse(scale, lo), b = inverse(scale, hi)
        var vals: [Double] = a <= 0 && b >= 0 ? [0] : []
        var k = 0
        while k < 400 {
            let v = c * pow(10, Double(k))
            if v > max(abs(a), abs(b)) * (1 + 1e-9) || !v.isFinite { break }
            if v <= b * (1 + 1e-9) && v >= a { vals.append(v) }
            if -v >= a * (1 + 1e-9) && -v <= b { vals.append(-v) }
            k += 1
        }
        vals.sort()
        func label(_ v: Double) -> [TextRun] {
            if v == 0 { return plain("0") }
            let e = log10(abs(v))
            if abs(e - e.rounded()) < 1e-9 && abs(e) >= 2 { return decade(Int(e.rounded()), sign: v < 0 ? "\u{2212}" : "") }
            return plain(minusSign(shortNumber(v)))
        }
        // all; then without +-linthresh (crowded next to 0); then every step-th decade
        let all = vals.map { Tick(value: $0, label: label($0)) }
        if fits(all) { return (all, []) }
        var step = 1
        while true {
            let ts = all.filter { t in t.value == 0 || (abs(t.value) > c * (1 + 1e-9) && Int((log10(abs(t.value) / c)).rounded()) % step == 0) }
            if fits(ts) || step > 400 { return (ts, []) }
            step += 1
        }
    }
}

/// Minor ticks 2..9 x 10^k inside a log axis (transformed lo...hi).
func minorDecades(_ lo: Double, _ hi: Double) -> [Double] {
    var out: [Double] = []
    guard hi - lo < 30 else { return out }
    for d in Int(floor(lo))...Int(ceil(hi)) {
        for m in 2...9 {
            let t = log10(Double(m)) + Double(d)
            if t >= lo && t <= hi { out.append(pow(10, t)) }
        }
    }
    return out
}

/// A running range of transformed values.
struct Extent {
    var lo = Double.infinity, hi = -Double.infinity
    mutating func add(_ t: Double) { if t.isFinite { lo = min(lo, t); hi = max(hi, t) } }
    var isEmpty: Bool { lo > hi }
}

extension Figure {
    /// The transformed limits of the axes: x (left, right) and y (bottom, top). 5% margins
    /// (matplotlib's) except where data sticks to an edge: images, contours, a histogram's 0.
    func fileLimits() -> (Double, Double, Double, Double) {
        var ex = Extent(), ey = Extent()
        func X(_ v: Double) -> Double { forward(xscale, v) }
        func Y(_ v: Double) -> Double { forward(yscale, v) }
        var tightX = false, tightY = false, stickyY0 = false, invertY = false
        for s in series {
            for i in 0..<min(s.x.count, s.y.count) {
                let x = s.x[i], y = s.y[i]
                ex.add(X(x)); ey.add(Y(y))
                if let e = s.xerr, i < e.count { ex.add(X(x - e[i].0)); ex.add(X(x + e[i].1)) }
                if let e = s.yerr, i < e.count { ey.add(Y(y - e[i].0)); ey.add(Y(y + e[i].1)) }
                if s.kind == .fill, i < s.y2.count { ey.add(Y(s.y2[i])) }
            }
        }
        for b in allBars {
            for e in b.edges { ex.add(X(e)) }
            for c in b.counts where c > 0 || yscale != .log { ey.add(Y(c)) }
            if yscale != .log { ey.add(Y(0)); stickyY0 = true }
        }
        for c in contours {
            for x in c.x { ex.add(X(x)) }
            for y in c.y { ey.add(Y(y)) }
            tightX = true; tightY = true
        }
        if let h = heatmap {
            let e = h.extent ?? [-0.5, Double(h.cols) - 0.5, Double(h.rows) - 0.5, -0.5]
            ex.add(X(e[0])); ex.add(X(e[1])); ey.add(Y(e[2])); ey.add(Y(e[3]))
            tightX = true; tightY = true
            invertY = e[2] > e[3]
        }
        if ex.isEmpty { ex = Extent(lo: 0, hi: 1) }
        if ey.isEmpty { ey = Extent(lo: 0, hi: 1) }
        (ex.lo, ex.hi) = widen(ex.lo, ex.hi)
        (ey.lo, ey.hi) = widen(ey.lo, ey.hi)
        if !tightX { let m = ex.hi * 0.05 - ex.lo * 0.05; (ex.lo, ex.hi) = (finite(ex.lo - m), finite(ex.hi + m)) }
        if !tightY {
            let m = ey.hi * 0.05 - ey.lo * 0.05
            let bottom0 = stickyY0 && ey.lo == Y(0)
            (ey.lo, ey.hi) = (bottom0 ? ey.lo : finite(ey.lo - m), finite(ey.hi + m))
        }
        var (x0, x1, y0, y1) = (ex.lo, ex.hi, invertY ? ey.hi : ey.lo, invertY ? ey.lo : ey.hi)
        if let (a, b) = xlim { let (ta, tb) = (X(a), X(b)); if ta.isFinite && tb.isFinite && ta != tb { (x0, x1) = (ta, tb) } }
        if let (a, b) = ylim { let (ta, tb) = (Y(a), Y(b)); if ta.isFinite && tb.isFinite && ta != tb { (y0, y1) = (ta, tb) } }
        return (x0, x1, y0, y1)
    }
}
