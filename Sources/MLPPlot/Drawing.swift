// A figure laid out for files: a list of drawing items in points (1/72 inch, y
// down) that the Cairo backend paints (PNG, PDF) and the SVG writer serialises.
#if canImport(Glibc)
import Glibc
#endif

public struct RGBA: Equatable, Sendable {
    public var r, g, b, a: Double
    public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }
    /// `#rrggbb`.
    public init(hex: String) {
        let v = Array(hex.utf8.dropFirst()).map { c -> Int in
            switch c { case 48...57: return Int(c) - 48; case 97...102: return Int(c) - 87; case 65...70: return Int(c) - 55; default: return 0 }
        }
        func byte(_ i: Int) -> Double { v.count >= i + 2 ? Double(v[i] * 16 + v[i + 1]) / 255 : 0 }
        self.init(byte(0), byte(2), byte(4))
    }
    func with(alpha: Double) -> RGBA { RGBA(r, g, b, a * alpha) }
    static let black = RGBA(0, 0, 0), white = RGBA(1, 1, 1)
}

public typealias Point = (Double, Double)

/// A run of text; `sup` runs are superscripts (the exponent of `10³`).
public struct TextRun { var text: String; var sup: Bool }

public enum HAlign { case left, center, right }
public enum VAlign { case top, center, baseline, bottom }

public enum Item {
    /// Subpaths (each closed when `closed`), stroked and/or filled.
    case path([[Point]], closed: Bool, stroke: RGBA?, width: Double, dash: [Double], fill: RGBA?)
    /// The same marker at many points (a scatter): `size` is its width in points.
    case markers([Point], Marker, size: Double, fill: RGBA?, edge: RGBA?, edgeWidth: Double)
    /// Text at (x, y) aligned as given, rotated `angle` degrees counter-clockwise.
    case text(Double, Double, [TextRun], size: Double, h: HAlign, v: VAlign, angle: Double, color: RGBA)
    /// `cols` x `rows` RGBA pixels (straight alpha, row 0 on top) stretched over the rectangle.
    case image(x: Double, y: Double, w: Double, h: Double, cols: Int, rows: Int, rgba: [UInt8])
    /// Following items are clipped to the rectangle until `.unclip`.
    case clip(Double, Double, Double, Double)
    case unclip
}

/// Marker shapes (matplotlib's letters).
public enum Marker: String, CaseIterable, Sendable {
    case circle = "o", square = "s", triangleUp = "^", diamond = "D", triangleDown = "v", star = "*", pentagon = "p",
         hexagon = "h", triangleLeft = "<", triangleRight = ">", filledX = "X", filledPlus = "P", plus = "+", cross = "x",
         point = ".", thinDiamond = "d", vline = "|", hline = "_"

    /// Filled shapes; the others are strokes only.
    var filled: Bool { ![.plus, .cross, .vline, .hline].contains(self) }

    /// The outline for a marker `size` points wide centred at the origin (a circle: nil, drawn as one).
    func outline(_ size: Double) -> [[Point]]? {
        let r = size / 2
        func polygon(_ n: Int, _ start: Double, _ radius: Double = 1) -> [Point] {
            (0..<n).map { k in let t = start + 2 * Double.pi * Double(k) / Double(n); return (radius * r * cos(t), -radius * r * sin(t)) }
        }
        switch self {
        case .circle, .point: return nil
        case .square: return [[(-r * 0.89, -r * 0.89), (r * 0.89, -r * 0.89), (r * 0.89, r * 0.89), (-r * 0.89, r * 0.89)]]
        case .triangleUp: return [polygon(3, Double.pi / 2)]
        case .triangleDown: return [polygon(3, -Double.pi / 2)]
        case .triangleLeft: return [polygon(3, Double.pi)]
        case .triangleRight: return [polygon(3, 0)]
        case .diamond: return [polygon(4, 0, 0.9)]
        case .thinDiamond: return [[(0, -r), (r * 0.6, 0), (0, r), (-r * 0.6, 0)]]
        case .pentagon: return [polygon(5, Double.pi / 2)]
        case .hexagon: return [polygon(6, Double.pi / 2)]
        case .star:
            return [(0..<10).map { k in
                let t = Double.pi / 2 + Double.pi * Double(k) / 5, q = k % 2 == 0 ? r : r * 0.38
                return (q * cos(t), -q * sin(t))
            }]
        case .filledPlus, .filledX:
            let w = r / 3
            var p: [Point] = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
            if self == .filledX { p = p.map { ($0.0 * 0.707 - $0.1 * 0.707, $0.0 * 0.707 + $0.1 * 0.707) } }
            return [p]
        case .plus: return [[(-r, 0), (r, 0)], [(0, -r), (0, r)]]
        case .cross: return [[(-r * 0.71, -r * 0.71), (r * 0.71, r * 0.71)], [(-r * 0.71, r * 0.71), (r * 0.71, -r * 0.71)]]
        case .vline: return [[(0, -r), (0, r)]]
        case .hline: return [[(-r, 0), (r, 0)]]
        }
    }
}

/// The marker cycle of scatter series (12 shapes that stay apart in black and white).
public let markerCycle: [Marker] = [.circle, .square, .triangleUp, .diamond, .triangleDown, .star, .pentagon, .hexagon, .triangleLeft, .triangleRight, .filledX, .filledPlus]

/// matplotlib's tab10 colour cycle.
public let tab10: [RGBA] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"].map { RGBA(hex: $0) }

/// Dash pattern (in units of the line width, as matplotlib scales them) of a line style.
public func dashPattern(_ style: String) -> [Double]? {
    switch style {
    case "-", "solid", "": return []
    case "--", "dashed": return [3.7, 1.6]
    case ":", "dotted": return [1, 1.65]
    case "-.", "dashdot": return [6.4, 1.6, 1, 1.6]
    case "none", " ": return nil
    default: return nil
    }
}

public func isLineStyle(_ s: String) -> Bool { ["-", "solid", "--", "dashed", ":", "dotted", "-.", "dashdot", "none"].contains(s) }

// MARK: SVG

/// The drawing as SVG, text kept as text (searchable, editable; DejaVu Sans as in the PNG and PDF).
func svgDocument(width: Double, height: Double, items: [Item], png: (Int, Int, [UInt8]) -> [UInt8]) -> String {
    var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"\(num(width))pt\" height=\"\(num(height))pt\" viewBox=\"0 0 \(num(width)) \(num(height))\">\n"
    s += "<rect x=\"0\" y=\"0\" width=\"\(num(width))\" height=\"\(num(height))\" fill=\"#ffffff\"/>\n"
    var clips = 0, open = false
    var markerDefs: [String: String] = [:]
    let engine = TextEngine()   // baselines placed as Pango places them in the PNG and PDF
    for it in items {
        switch it {
        case .clip(let x, let y, let w, let h):
            if open { s += "</g>\n" }
            clips += 1
            s += "<clipPath id=\"c\(clips)\"><rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(w))\" height=\"\(num(h))\"/></clipPath>\n<g clip-path=\"url(#c\(clips))\">\n"
            open = true
        case .unclip:
            if open { s += "</g>\n" }
            open = false
        case .path(let subs, let closed, let stroke, let width, let dash, let fill):
            var d = ""
            for sp in subs where !sp.isEmpty {
                d += "M" + num(sp[0].0) + " " + num(sp[0].1)
                for p in sp.dropFirst() { d += "L" + num(p.0) + " " + num(p.1) }
                if closed { d += "Z" }
            }
            if d.isEmpty { continue }
            s += "<path d=\"\(d)\"" + paint(fill: fill, stroke: stroke, width: width, dash: dash) + "/>\n"
        case .markers(let pts, let m, let size, let fill, let edge, let ew):
            if pts.isEmpty { continue }
            let key = "\(m.rawValue)\(num(size))", id = "m\(markerDefs.count)"
            let ref = markerDefs[key] ?? id
            if markerDefs[key] == nil {
                markerDefs[key] = id
                let shape: String
                if let o = m.outline(size) {
                    var d = ""
                    for sp in o { d += "M" + sp.map { num($0.0) + " " + num($0.1) }.joined(separator: "L") + (m.filled ? "Z" : "") }
                    shape = "<path d=\"\(d)\"/>"
                } else { shape = "<circle cx=\"0\" cy=\"0\" r=\"\(num(m == .point ? size / 4 : size / 2))\"/>" }
                s += "<defs><g id=\"\(ref)\">\(shape)</g></defs>\n"
            }
            s += "<g" + paint(fill: m.filled ? fill : nil, stroke: m.filled ? edge : (edge ?? fill), width: ew, dash: []) + ">\n"
            for p in pts { s += "<use xlink:href=\"#\(ref)\" x=\"\(num(p.0))\" y=\"\(num(p.1))\"/>\n" }
            s += "</g>\n"
        case .text(let x, let y, let runs, let size, let h, let v, let angle, let color):
            let anchor = h == .left ? "start" : h == .center ? "middle" : "end"
            let m = engine.measure(runs, size)
            let dy = v == .top ? m.baseline : v == .center ? m.baseline - m.h / 2 : v == .bottom ? m.baseline - m.h : 0
            var body = ""
            for r in runs {
                body += r.sup ? "<tspan baseline-shift=\"super\" font-size=\"\(num(size * 0.7))\">\(xmlEscape(r.text))</tspan>" : xmlEscape(r.text)
            }
            let rot = angle != 0 ? " transform=\"rotate(\(num(-angle)) \(num(x)) \(num(y)))\"" : ""
            s += "<text x=\"\(num(x))\" y=\"\(num(y + dy))\"\(rot) font-family=\"DejaVu Sans, sans-serif\" font-size=\"\(num(size))\" text-anchor=\"\(anchor)\" fill=\"\(hex(color))\"\(color.a < 1 ? " fill-opacity=\"\(num(color.a))\"" : "")>\(body)</text>\n"
        case .image(let x, let y, let w, let h, let cols, let rows, let rgba):
            // enlarged by whole pixels (nearest), so that viewers that smooth images keep the cells sharp
            let f = max(1, min(Int((2 * w / Double(cols)).rounded(.up)), Int((2 * h / Double(rows)).rounded(.up)), 4_000_000 / max(cols * rows, 1), 64))
            var big = rgba
            if f > 1 {
                big = [UInt8](repeating: 0, count: cols * f * rows * f * 4)
                for i in 0..<(rows * f) {
                    for j in 0..<(cols * f) {
                        let src = ((i / f) * cols + j / f) * 4, dst = (i * cols * f + j) * 4
                        big[dst] = rgba[src]; big[dst + 1] = rgba[src + 1]; big[dst + 2] = rgba[src + 2]; big[dst + 3] = rgba[src + 3]
                    }
                }
            }
            let bytes = png(cols * f, rows * f, big)
            s += "<image x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(w))\" height=\"\(num(h))\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated;image-rendering:optimizeSpeed\" xlink:href=\"data:image/png;base64,\(base64(bytes))\"/>\n"
        }
    }
    if open { s += "</g>\n" }
    return s + "</svg>\n"
}

func paint(fill: RGBA?, stroke: RGBA?, width: Double, dash: [Double]) -> String {
    var s = ""
    if let f = fill { s += " fill=\"\(hex(f))\"" + (f.a < 1 ? " fill-opacity=\"\(num(f.a))\"" : "") } else { s += " fill=\"none\"" }
    if let c = stroke {
        s += " stroke=\"\(hex(c))\" stroke-width=\"\(num(width))\" stroke-linejoin=\"round\" stroke-linecap=\"butt\""
        if c.a < 1 { s += " stroke-opacity=\"\(num(c.a))\"" }
        if !dash.isEmpty { s += " stroke-dasharray=\"" + dash.map(num).joined(separator: " ") + "\"" }
    }
    return s
}

func hex(_ c: RGBA) -> String {
    let d = Array("0123456789abcdef")
    var s = "#"
    for v in [c.r, c.g, c.b] {
        let b = Int((min(max(v, 0), 1) * 255).rounded())
        s.append(d[b >> 4]); s.append(d[b & 15])
    }
    return s
}

func num(_ x: Double) -> String { x.isFinite ? trimZeros(formatFixed(x, 2)) : "0" }

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

public func base64(_ bytes: [UInt8]) -> String {
    let t = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 2 < bytes.count {
        let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
        out += [t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]]
        i += 3
    }
    if i < bytes.count {
        let n = Int(bytes[i]) << 16 | (i + 1 < bytes.count ? Int(bytes[i + 1]) << 8 : 0)
        out += [t[n >> 18], t[(n >> 12) & 63], i + 1 < bytes.count ? t[(n >> 6) & 63] : 61, 61]
    }
    return String(decoding: out, as: UTF8.self)
}
