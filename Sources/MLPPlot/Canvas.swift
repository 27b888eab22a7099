// Plots: terminal canvases, line/scatter/histogram/heat-map renderers, PNG and SVG writers.
//
// The terminal renderer draws on a braille canvas (each character a 2x4 grid
// of dots, U+2800 + bits), with y ticks on the left, x ticks below, a title on
// top and a legend on the right. Heat maps use the upper half block with two
// colours per character, or a character ramp without colour. Lines never end
// in spaces, so the output can be golden-tested as text.

/// A grid of braille cells; `owner` remembers the series that last drew in a cell (its colour).
public struct BrailleCanvas {
    public let width: Int, height: Int
    var bits: [UInt8]
    var owner: [Int]
    /// A character that replaces the braille cell (markers, bars) and its series.
    var overlay: [Character?]

    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        bits = Array(repeating: 0, count: width * height)
        owner = Array(repeating: -1, count: width * height)
        overlay = Array(repeating: nil, count: width * height)
    }

    static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    /// Sets the dot at pixel (px, py), px in 0..<2*width, py in 0..<4*height.
    public mutating func set(_ px: Int, _ py: Int, series: Int = 0) {
        guard px >= 0, py >= 0, px < 2 * width, py < 4 * height else { return }
        let i = (py / 4) * width + px / 2
        bits[i] |= BrailleCanvas.dotBits[px % 2][py % 4]
        owner[i] = series
    }

    /// A straight line of dots between two pixels.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, series: Int = 0) {
        let n = max(abs(x1 - x0), abs(y1 - y0))
        if n == 0 { set(x0, y0, series: series); return }
        for k in 0...n {
            let t = Double(k) / Double(n)
            set(x0 + Int((Double(x1 - x0) * t).rounded()), y0 + Int((Double(y1 - y0) * t).rounded()), series: series)
        }
    }

    public mutating func put(_ c: Character, col: Int, row: Int, series: Int = 0) {
        guard col >= 0, row >= 0, col < width, row < height else { return }
        overlay[row * width + col] = c
        owner[row * width + col] = series
    }

    /// The characters of one row, coloured by owner when `color`.
    public func row(_ r: Int, color: Bool) -> String {
        var s = ""
        var current = -1   // the colour in effect (one escape per run of a colour)
        for c in 0..<width {
            let i = r * width + c
            let ch: Character
            if let o = overlay[i] { ch = o } else if bits[i] != 0 { ch = Character(Unicode.Scalar(0x2800 + UInt32(bits[i]))!) } else { ch = " " }
            if color && ch != " " && owner[i] >= 0 {
                let code = seriesANSI[owner[i] % seriesANSI.count]
                if code != current { s += ansi(code); current = code }
            }
            s.append(ch)
        }
        if current >= 0 { s += ansiReset }
        return s
    }
}

func ansi(_ code: Int) -> String { "\u{1B}[\(code)m" }
let ansiReset = "\u{1B}[0m"

func trimRight(_ s: String) -> String {
    var t = Substring(s)
    while t.last == " " { t = t.dropLast() }
    return String(t)
}

func spaces(_ n: Int) -> String { String(repeating: " ", count: max(0, n)) }

func padLeft(_ s: String, _ n: Int) -> String { spaces(n - s.count) + s }

/// `s` centred in a field of `n` columns that starts at `start`.
func centred(_ s: String, start: Int, width n: Int) -> String { spaces(start + max(0, (n - s.count) / 2)) + s }

extension Figure {
    /// The figure as terminal text (one trailing newline); ANSI colours when `color`.
    public func renderText(color: Bool) -> String {
        if let h = heatmap { return heatmapText(h, color: color) }
        if !panels.isEmpty {
            // a grid of plots: one after the other, each with the terminal size of the figure
            return (title.isEmpty ? "" : title + "\n") + panels.map { p in
                var p = p
                p.width = width; p.height = height
                return p.renderText(color: color)
            }.joined()
        }
        if series.isEmpty && bars == nil, let c = contours.first {
            // contours: the values as a heat map
            var p = self
            let nx = c.x.count, ny = c.y.count   // y grows upwards: the last row on top
            p.heatmap = Heatmap(rows: ny, cols: nx, values: (0..<ny).reversed().flatMap { i in c.z[(i * nx)..<((i + 1) * nx)] })
            p.contours = []
            return p.renderText(color: color)
        }
        func dots(_ s: Series) -> Bool { s.kind == .quiver || (s.kind == .errorbar && s.lineStyle == "none") }
        if series.contains(where: dots) {
            // arrows and error bars without a line: their points
            var p = self
            p.series = series.map { s in var s = s; if dots(s) { s.kind = .scatter }; return s }
            return p.renderText(color: color)
        }
        let W = max(width, 2), H = max(height, 2)
        let (x0, x1, y0, y1) = ranges()
        var cv = BrailleCanvas(width: W, height: H)
        func px(_ x: Double) -> Int { pixel(fraction(x, x0, x1), 2 * W - 1) }
        func py(_ y: Double) -> Int { pixel(fraction(y, y1, y0), 4 * H - 1) }
        let legend = hasLegend
        for (k, s) in series.enumerated() {
            var prev: (Int, Int)?
            let pts = zip(s.x, s.y).map { ($0, $1) }
            for (x, y) in pts {
                guard x.isFinite, y.isFinite else { prev = nil; continue }
                let p = (px(x), py(y))
                if s.kind == .scatter && legend {
                    // drawn below as the series' marker
                } else if s.kind == .scatter {
                    // a 2x2 dot, visible at a glance
                    let qx = min(p.0, 2 * W - 2), qy = min(p.1, 4 * H - 2)
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { cv.set(qx + dx, qy + dy, series: k) }
                } else if let q = prev { cv.line(q.0, q.1, p.0, p.1, series: k) } else { cv.set(p.0, p.1, series: k) }
                prev = p
            }
            if legend {
                let marker = seriesMarkers[k % seriesMarkers.count]
                var idx: [Int] = s.kind == .scatter ? Array(pts.indices) : []
                if s.kind == .line && !pts.isEmpty {
                    for m in 0...4 { idx.append(Int((Double(m) * Double(pts.count - 1) / 4).rounded())) }
                }
                for i in idx where pts[i].0.isFinite && pts[i].1.isFinite {
                    cv.put(marker, col: px(pts[i].0) / 2, row: py(pts[i].1) / 4, series: k)
                }
            }
        }
        if let b = bars, !b.counts.isEmpty {
            let n = b.counts.count
            let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
            func bin(_ c: Int) -> Int { min(n - 1, Int((Double(c) + 0.5) / Double(W) * Double(n))) }
            for c in 0..<W {
                let k = bin(c)
                if W / n >= 3 && c + 1 < W && bin(c + 1) != k { continue }
                let eighths = Int((b.counts[k] / (y1 - y0) * Double(H * 8)).rounded())
                for r in 0..<H {
                    let fromBottom = H - 1 - r
                    let e = eighths - fromBottom * 8
                    if e <= 0 { continue }
                    cv.put(blocks[min(e, 8) - 1], col: c, row: r)
                }
            }
        }
        // y ticks
        let yt = niceTicks(y0, y1, maxCount: max(2, H / 3 + 1))
        let ylab = tickLabels(yt)
        var rowLabel = [String?](repeating: nil, count: H)
        for (t, l) in zip(yt, ylab) {
            let r = min(max(py(t) / 4, 0), H - 1)
            if rowLabel[r] == nil { rowLabel[r] = l }
        }
        let L = rowLabel.compactMap { $0?.count }.max() ?? 1
        var lines: [String] = []
        if !title.isEmpty { lines.append(centred(title, start: L + 2, width: W)) }
        if !ylabel.isEmpty { lines.append(ylabel) }
        let labelled = series.enumerated().filter { $0.element.label != nil }
        for r in 0..<H {
            var s = padLeft(rowLabel[r] ?? "", L) + " " + (rowLabel[r] != nil ? "┤" : "│") + cv.row(r, color: color)
            if r < labelled.count {
                let (k, se) = labelled[r]
                let m = String(seriesMarkers[k % seriesMarkers.count])
                s += "  " + (color ? ansi(seriesANSI[k % seriesANSI.count]) + m + ansiReset : m) + " " + se.label!
            }
            lines.append(s)
        }
        // x axis and ticks
        let xt = niceTicks(x0, x1, maxCount: max(2, W / 10 + 1))
        let xlab = tickLabels(xt)
        var axis = Array(repeating: Character("─"), count: W)
        var labelLine = Array(repeating: Character(" "), count: W + L + 2 + 12)
        var lastEnd = -1
        for (t, l) in zip(xt, xlab) {
            let c = min(max(px(t) / 2, 0), W - 1)
            axis[c] = "┬"
            let start = max(0, L + 2 + c - (l.count - 1) / 2)
            if start <= lastEnd + 1 || start + l.count > labelLine.count { continue }
            for (i, ch) in l.enumerated() { labelLine[start + i] = ch }
            lastEnd = start + l.count - 1
        }
        lines.append(spaces(L + 1) + "└" + String(axis))
        lines.append(String(labelLine))
        if !xlabel.isEmpty { lines.append(centred(xlabel, start: L + 2, width: W)) }
        // legend entries that did not fit beside the plot rows
        for (k, se) in labelled.dropFirst(H) {
            let m = String(seriesMarkers[k % seriesMarkers.count])
            lines.append(spaces(L + 2 + W) + "  " + (color ? ansi(seriesANSI[k % seriesANSI.count]) + m + ansiReset : m) + " " + se.label!)
        }
        return lines.map(trimRight).joined(separator: "\n") + "\n"
    }

    func heatmapText(_ h: Heatmap, color: Bool) -> String {
        let (lo, hi) = h.range
        func t(_ v: Double) -> Double { hi > lo ? fraction(v, lo, hi) : 0.5 }
        let cellChars = color ? 1 : 2
        var s = min(1.0, Double(max(width, 1)) / Double(cellChars * h.cols))
        s = min(s, Double(max(height, 1)) * (color ? 2 : 1) / Double(h.rows))
        let cw = max(1, Int((Double(h.cols) * s).rounded())), rh = max(1, Int((Double(h.rows) * s).rounded()))
        func at(_ i: Int, _ j: Int) -> Double { h.values[min(h.rows - 1, i * h.rows / rh) * h.cols + min(h.cols - 1, j * h.cols / cw)] }
        var lines: [String] = []
        let fieldWidth = cw * cellChars
        if !title.isEmpty { lines.append(centred(title, start: 0, width: fieldWidth)) }
        if color {
            func code(_ v: Double) -> Int {
                let (r, g, b) = rampColor(t(v))
                return 16 + 36 * Int((Double(r) / 51).rounded()) + 6 * Int((Double(g) / 51).rounded()) + Int((Double(b) / 51).rounded())
            }
            var i = 0
            while i < rh {
                var line = ""
                for j in 0..<cw {
                    let top = at(i, j), bottom = i + 1 < rh ? at(i + 1, j) : Double.nan
                    switch (top.isNaN, bottom.isNaN) {
                    case (true, true): line += " "
                    case (false, true): line += "\u{1B}[38;5;\(code(top))m▀" + ansiReset
                    case (true, false): line += "\u{1B}[38;5;\(code(bottom))m▄" + ansiReset
                    case (false, false): line += "\u{1B}[38;5;\(code(top));48;5;\(code(bottom))m▀" + ansiReset
                    }
                }
                lines.append(line)
                i += 2
            }
            var scale = shortNumber(lo) + " "
            for k in 0..<16 { scale += "\u{1B}[38;5;\(code(interpolate(lo, hi, Double(k) / 15)))m█" }
            lines.append(scale + ansiReset + " " + shortNumber(hi))
        } else {
            let ramp: [Character] = [" ", ".", ":", "-", "=", "+", "*", "%", "@"]
            for i in 0..<rh {
                var line = ""
                for j in 0..<cw {
                    let v = at(i, j)
                    if v.isNaN { line += "  "; continue }
                    let c = ramp[min(max(pixel(t(v), ramp.count - 1), 0), ramp.count - 1)]
                    line.append(c); line.append(c)
                }
                lines.append(line)
            }
            lines.append(shortNumber(lo) + " [" + String(ramp) + "] " + shortNumber(hi))
        }
        return lines.map(trimRight).joined(separator: "\n") + "\n"
    }
}
