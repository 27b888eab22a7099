// File output: a figure becomes a list of drawing items (lines, rectangles,
// circles, text, pixel blocks) that the SVG writer serialises and the PNG
// writer rasterises with its own tiny bitmap font.
import CMLPZlib

public typealias RGB = (UInt8, UInt8, UInt8)

public enum Anchor { case start, middle, end }

public enum Item {
    case polyline([(Double, Double)], RGB, Double)
    case rect(Double, Double, Double, Double, RGB)
    case circle(Double, Double, Double, RGB)
    /// Text centred vertically on y.
    case text(Double, Double, String, Double, Anchor, RGB)
    /// A block of cells (nil: left blank), `cell` pixels each.
    case pixels(Double, Double, Int, Int, Double, [RGB?])
}

let black: RGB = (0, 0, 0)
let grey: RGB = (120, 120, 120)
let lightGrey: RGB = (225, 225, 225)

extension Figure {
    /// The drawing and its size in pixels.
    public func drawing() -> (Int, Int, [Item]) {
        if let h = heatmap { return heatmapDrawing(h) }
        let W = 640.0, H = 400.0
        let left = 70.0, right = W - 20, top = title.isEmpty ? 30.0 : 45.0, bottom = H - (xlabel.isEmpty ? 40 : 60)
        var (x0, x1, y0, y1) = ranges()
        // 5% margins, as matplotlib's: extreme points stay off the frame, and a data
        // range just short of a round value (a sampled sine's -0.9999) still gets its tick.
        // A histogram keeps its bars on the x axis and its edges at the sides.
        let mx = x1 * 0.05 - x0 * 0.05, my = y1 * 0.05 - y0 * 0.05   // halves: no overflow at +-1e308
        if bars == nil { (x0, x1) = (x0 - mx, x1 + mx); y0 -= my }
        y1 += my
        (x0, x1, y0, y1) = (finite(x0), finite(x1), finite(y0), finite(y1))
        func X(_ x: Double) -> Double { left + fraction(x, x0, x1) * (right - left) }
        func Y(_ y: Double) -> Double { bottom - fraction(y, y0, y1) * (bottom - top) }
        var items: [Item] = []
        let xt = niceTicks(x0, x1, maxCount: 8), yt = niceTicks(y0, y1, maxCount: 6)
        for t in xt { items.append(.polyline([(X(t), top), (X(t), bottom)], lightGrey, 1)) }
        for t in yt { items.append(.polyline([(left, Y(t)), (right, Y(t))], lightGrey, 1)) }
        if let b = bars {
            let gap = (X(b.edges.last!) - X(b.edges.first!)) / Double(b.counts.count) > 6 ? 1.0 : 0
            for (k, c) in b.counts.enumerated() where c > 0 {
                let xa = X(b.edges[k]) + gap, xb = X(b.edges[k + 1]) - gap
                items.append(.rect(xa, Y(c), max(xb - xa, 1), bottom - Y(c), seriesRGB[0]))
            }
        }
        for (k, s) in series.enumerated() {
            let c = seriesRGB[k % seriesRGB.count]
            var run: [(Double, Double)] = []
            for (x, y) in zip(s.x, s.y) {
                guard x.isFinite, y.isFinite else {
                    if run.count > 0 { items.append(.polyline(decimated(run), c, 2)) }
                    run = []; continue
                }
                if s.kind == .scatter { items.append(.circle(X(x), Y(y), 3, c)) } else { run.append((X(x), Y(y))) }
            }
            if run.count > 0 { items.append(.polyline(decimated(run), c, 2)) }
        }
        // axes, ticks, labels
        items.append(.polyline([(left, top), (left, bottom), (right, bottom)], black, 1))
        for (t, l) in zip(xt, tickLabels(xt)) {
            items.append(.polyline([(X(t), bottom), (X(t), bottom + 5)], black, 1))
            items.append(.text(X(t), bottom + 15, l, 12, .middle, black))
        }
        for (t, l) in zip(yt, tickLabels(yt)) {
            items.append(.polyline([(left - 5, Y(t)), (left, Y(t))], black, 1))
            items.append(.text(left - 8, Y(t), l, 12, .end, black))
        }
        if !title.isEmpty { items.append(.text((left + right) / 2, 20, title, 18, .middle, black)) }
        if !xlabel.isEmpty { items.append(.text((left + right) / 2, bottom + 38, xlabel, 14, .middle, black)) }
        if !ylabel.isEmpty { items.append(.text(left, top - 16, ylabel, 14, .start, black)) }
        let labelled = series.enumerated().filter { $0.element.label != nil }
        if !labelled.isEmpty {
            let longest = labelled.map { $0.element.label!.count }.max()!
            let bw = 40 + Double(longest) * 8, bx = right - bw - 8, by = top + 8
            items.append(.rect(bx, by, bw, Double(labelled.count) * 18 + 8, (255, 255, 255)))
            items.append(.polyline([(bx, by), (bx + bw, by), (bx + bw, by + Double(labelled.count) * 18 + 8), (bx, by + Double(labelled.count) * 18 + 8), (bx, by)], grey, 1))
            for (i, (k, s)) in labelled.enumerated() {
                let c = seriesRGB[k % seriesRGB.count], yy = by + 13 + Double(i) * 18
                if s.kind == .scatter { items.append(.circle(bx + 16, yy, 3, c)) } else { items.append(.polyline([(bx + 6, yy), (bx + 26, yy)], c, 2)) }
                items.append(.text(bx + 32, yy, s.label!, 12, .start, black))
            }
        }
        return (Int(W), Int(H), items)
    }

    func heatmapDrawing(_ h: Heatmap) -> (Int, Int, [Item]) {
        let (lo, hi) = h.range
        let cell = max(1.0, (480.0 / Double(max(h.rows, h.cols))).rounded(.down))
        let top = title.isEmpty ? 20.0 : 45.0, left = 20.0
        let iw = Double(h.cols) * cell, ih = Double(h.rows) * cell
        var items: [Item] = []
        if !title.isEmpty { items.append(.text(left + iw / 2, 20, title, 18, .middle, black)) }
        let px: [RGB?] = h.values.map { v in v.isNaN ? nil : rampColor(hi > lo ? fraction(v, lo, hi) : 0.5) }
        items.append(.pixels(left, top, h.cols, h.rows, cell, px))
        // colour bar
        let bx = left + iw + 20, steps = 64
        let barCells: [RGB?] = (0..<steps).map { rampColor(1 - Double($0) / Double(steps - 1)) }
        items.append(.pixels(bx, top, 1, steps, ih / Double(steps), barCells))
        items.append(.polyline([(bx, top), (bx + ih / Double(steps), top), (bx + ih / Double(steps), top + ih), (bx, top + ih), (bx, top)], grey, 1))
        items.append(.text(bx + ih / Double(steps) + 6, top + 6, shortNumber(hi), 12, .start, black))
        items.append(.text(bx + ih / Double(steps) + 6, top + ih - 6, shortNumber(lo), 12, .start, black))
        let W = Int(bx + ih / Double(steps) + 80), H = Int(top + ih + 20)
        return (W, H, items)
    }

    // MARK: SVG

    public func renderSVG() -> String {
        let (W, H, items) = drawing()
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(W)\" height=\"\(H)\" viewBox=\"0 0 \(W) \(H)\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(W)\" height=\"\(H)\" fill=\"#ffffff\"/>\n"
        for it in items {
            switch it {
            case .polyline(let pts, let c, let w):
                s += "<polyline fill=\"none\" stroke=\"\(hex(c))\" stroke-width=\"\(num(w))\" stroke-linejoin=\"round\" points=\""
                s += pts.map { num($0.0) + "," + num($0.1) }.joined(separator: " ") + "\"/>\n"
            case .rect(let x, let y, let w, let h, let c):
                s += "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(w))\" height=\"\(num(h))\" fill=\"\(hex(c))\"/>\n"
            case .circle(let x, let y, let r, let c):
                s += "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"\(num(r))\" fill=\"\(hex(c))\"/>\n"
            case .text(let x, let y, let t, let size, let a, let c):
                let anchor = a == .start ? "start" : a == .middle ? "middle" : "end"
                s += "<text x=\"\(num(x))\" y=\"\(num(y + size * 0.35))\" font-family=\"sans-serif\" font-size=\"\(num(size))\" text-anchor=\"\(anchor)\" fill=\"\(hex(c))\">\(xmlEscape(t))</text>\n"
            case .pixels(let x, let y, let cols, let rows, let cell, let px):
                s += "<g shape-rendering=\"crispEdges\">\n"
                for i in 0..<rows {
                    for j in 0..<cols {
                        guard let c = px[i * cols + j] else { continue }
                        s += "<rect x=\"\(num(x + Double(j) * cell))\" y=\"\(num(y + Double(i) * cell))\" width=\"\(num(cell))\" height=\"\(num(cell))\" fill=\"\(hex(c))\"/>\n"
                    }
                }
                s += "</g>\n"
            }
        }
        return s + "</svg>\n"
    }

    // MARK: PNG

    public func renderPNG() -> [UInt8] {
        let (W, H, items) = drawing()
        var r = Raster(width: W, height: H)
        for it in items {
            switch it {
            case .polyline(let pts, let c, let w):
                for k in 0..<pts.count { r.line(pts[k], pts[k + (k + 1 < pts.count ? 1 : 0)], c, w) }
            case .rect(let x, let y, let w, let h, let c): r.fill(x, y, w, h, c)
            case .circle(let x, let y, let rad, let c): r.disc(x, y, rad, c)
            case .text(let x, let y, let t, let size, let a, let c): r.text(x, y, t, size, a, c)
            case .pixels(let x, let y, let cols, let rows, let cell, let px):
                for i in 0..<rows {
                    for j in 0..<cols {
                        guard let c = px[i * cols + j] else { continue }
                        r.fill(x + Double(j) * cell, y + Double(i) * cell, cell, cell, c)
                    }
                }
            }
        }
        return encodePNG(width: W, height: H, rgb: r.pixels)
    }
}

/// A long polyline reduced to the first, lowest, highest and last point of each pixel column
/// it crosses in order (the drawing looks the same; files stay small).
func decimated(_ pts: [(Double, Double)]) -> [(Double, Double)] {
    guard pts.count > 2000 else { return pts }
    var out: [(Double, Double)] = []
    var i = 0
    while i < pts.count {
        let col = Int(pts[i].0.rounded(.down))
        var j = i, lo = i, hi = i
        while j + 1 < pts.count && Int(pts[j + 1].0.rounded(.down)) == col {
            j += 1
            if pts[j].1 < pts[lo].1 { lo = j }
            if pts[j].1 > pts[hi].1 { hi = j }
        }
        var seen = Set<Int>()
        for k in [i, lo, hi, j].sorted() where seen.insert(k).inserted { out.append(pts[k]) }
        i = j + 1
    }
    return out
}

func hex(_ c: RGB) -> String {
    let d = Array("0123456789abcdef")
    var s = "#"
    for v in [c.0, c.1, c.2] { s.append(d[Int(v >> 4)]); s.append(d[Int(v & 15)]) }
    return s
}

func num(_ x: Double) -> String { trimZeros(formatFixed(x, 2)) }

func xmlEscape(_ s: String) -> String {
    var o = ""
    for ch in s {
        switch ch {
        case "&": o += "&amp;"
        case "<": o += "&lt;"
        case ">": o += "&gt;"
        case "\"": o += "&quot;"
        default: o.append(ch)
        }
    }
    return o
}

/// An RGB image with a white background and simple drawing operations.
struct Raster {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        pixels = Array(repeating: 255, count: width * height * 3)
    }

    mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
    }

    /// Fills the pixels whose centres lie in the rectangle (at least one pixel for a thin one).
    mutating func fill(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ c: RGB) {
        let xa = Int(x.rounded()), ya = Int(y.rounded())
        let xb = max(xa + 1, Int((x + w).rounded())), yb = max(ya + 1, Int((y + h).rounded()))
        let y0 = max(0, ya), y1 = min(height, yb), x0 = max(0, xa), x1 = min(width, xb)
        guard y0 < y1, x0 < x1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    mutating func disc(_ cx: Double, _ cy: Double, _ r: Double, _ c: RGB) {
        let n = Int(r.rounded(.up))
        for dy in -n...n { for dx in -n...n where Double(dx * dx + dy * dy) <= r * r + 0.5 { set(Int(cx.rounded()) + dx, Int(cy.rounded()) + dy, c) } }
    }

    mutating func line(_ a: (Double, Double), _ b: (Double, Double), _ c: RGB, _ w: Double) {
        let n = Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up))
        let half = Int(w) / 2
        for k in 0...max(n, 0) {
            let t = n == 0 ? 0 : Double(k) / Double(n)
            let x = Int((a.0 + (b.0 - a.0) * t).rounded()), y = Int((a.1 + (b.1 - a.1) * t).rounded())
            for dy in 0..<max(Int(w), 1) { for dx in 0..<max(Int(w), 1) { set(x + dx - half, y + dy - half, c) } }
        }
    }

    mutating func text(_ x: Double, _ y: Double, _ s: String, _ size: Double, _ a: Anchor, _ c: RGB) {
        let scale = max(1, Int((size / 6).rounded()))
        let chars = Array(s)
        let w = chars.count * 4 * scale - scale
        var x0 = Int(x.rounded())
        if a == .middle { x0 -= w / 2 } else if a == .end { x0 -= w }
        let y0 = Int(y.rounded()) - 5 * scale / 2
        for (k, ch) in chars.enumerated() {
            let g = glyph(ch)
            for row in 0..<5 {
                for col in 0..<3 where g[row * 3 + col] {
                    for dy in 0..<scale { for dx in 0..<scale { set(x0 + (k * 4 + col) * scale + dx, y0 + row * scale + dy, c) } }
                }
            }
        }
    }
}

/// A 3x5 bitmap font: letters, digits and common punctuation.
let font: [Character: String] = [
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001010010",
    "8": "111101111101111", "9": "111101111001111",
    "A": "010101111101101", "B": "110101110101110", "C": "011100100100011", "D": "110101101101110",
    "E": "111100110100111", "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "110101101101101", "O": "010101101101010", "P": "110101110100100",
    "Q": "010101101110011", "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101010010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111",
    "-": "000000111000000", ".": "000000000000010", ",": "000000000010100", "+": "000010111010000",
    "=": "000111000111000", "(": "001010010010001", ")": "100010010010100", "/": "001001010100100",
    ":": "000010000010000", "_": "000000000000111", "^": "010101000000000", "*": "000101010101000",
    "%": "101001010100101", "[": "011010010010011", "]": "110010010010110", "!": "010010010000010",
    "?": "110001010000010", "'": "010010000000000", "\"": "101101000000000", "<": "001010100010001",
    ">": "100010001010100", "#": "101111101111101", "|": "010010010010010", " ": "000000000000000",
    "a": "000011101101011", "b": "100110101101110", "c": "000011100100011", "d": "001011101101011",
    "e": "000011111100011", "f": "001010111010010", "g": "000011101011110", "h": "100110101101101",
    "i": "010000010010010", "j": "001000001101010", "k": "100101110110101", "l": "110010010010111",
    "m": "000111111101101", "n": "000110101101101", "o": "000010101101010", "p": "000110101110100",
    "q": "000011101011001", "r": "000011100100100", "s": "000011110011110", "t": "010111010010011",
    "u": "000101101101011", "v": "000101101101010", "w": "000101101111111", "x": "000101010010101",
    "y": "000101101011110", "z": "000111011110111",
]

func glyph(_ c: Character) -> [Bool] {
    let upper = c.uppercased()
    let bits = font[c] ?? (upper.count == 1 ? font[Character(upper)] : nil) ?? font["?"]!
    return Array(bits).map { $0 == "1" }
}

// MARK: PNG encoding

/// A PNG file (RGB, 8 bits per channel, filter 0, one zlib IDAT) of `rgb` (row-major, 3 bytes a pixel).
public func encodePNG(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
    var raw: [UInt8] = []
    raw.reserveCapacity((width * 3 + 1) * height)
    for y in 0..<height {
        raw.append(0)
        raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
    }
    var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var ihdr = be32(UInt32(width)) + be32(UInt32(height))
    ihdr += [8, 2, 0, 0, 0]
    appendChunk(&out, "IHDR", ihdr)
    appendChunk(&out, "IDAT", zlibCompress(raw))
    appendChunk(&out, "IEND", [])
    return out
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }

func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
    out += be32(UInt32(data.count))
    let body = Array(type.utf8) + data
    out += body
    out += be32(crc32Of(body))
}

/// zlib's CRC-32 of `bytes`.
public func crc32Of(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { b in UInt32(crc32(0, b.baseAddress, uInt(b.count))) }
}

/// zlib-format (not raw deflate) compression of `bytes`.
public func zlibCompress(_ bytes: [UInt8]) -> [UInt8] {
    var size = compressBound(uLong(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(size))
    let rc = out.withUnsafeMutableBufferPointer { o in
        bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &size, i.baseAddress, uLong(i.count), 6) }
    }
    precondition(rc == Z_OK, "zlib compress2 failed (\(rc))")
    return Array(out[0..<Int(size)])
}
