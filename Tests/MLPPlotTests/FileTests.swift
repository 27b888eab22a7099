@testable import MLPPlot
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Each kind of file plot rendered and compared with a recorded image
/// (Tests/MLPPlotTests/Reference, small PNGs at 50 dpi) by a perceptual measure,
/// not bit equality (font hinting and antialiasing differ between library versions):
/// the mean SSIM of 8 x 8 windows of the greyscale images downsampled 2 x 2.
/// MLP_RECORD=1 records the references (then look at them).
final class FileTests: XCTestCase {
    static let referenceDir = String(#filePath.dropLast("FileTests.swift".count)) + "Reference/"

    func grey(_ img: LoadedImage) -> (Int, Int, [Double]) {
        let w = img.width / 2, h = img.height / 2, c = img.channels
        var g = [Double](repeating: 0, count: w * h)
        for i in 0..<h {
            for j in 0..<w {
                var s = 0.0
                for (di, dj) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let k = ((2 * i + di) * img.width + 2 * j + dj) * c
                    s += 0.299 * img.values[k] + 0.587 * img.values[k + 1] + 0.114 * img.values[k + 2]
                }
                g[i * w + j] = s / 4
            }
        }
        return (w, h, g)
    }

    /// Mean structural similarity (1: identical) of two greyscale images of one size.
    func ssim(_ a: (Int, Int, [Double]), _ b: (Int, Int, [Double])) -> Double {
        guard a.0 == b.0, a.1 == b.1 else { return 0 }
        let w = a.0, h = a.1, n = 8
        let c1 = 0.0001, c2 = 0.0009   // (0.01 L)^2, (0.03 L)^2 with L = 1
        var total = 0.0, count = 0
        for y in stride(from: 0, through: h - n, by: n / 2) {
            for x in stride(from: 0, through: w - n, by: n / 2) {
                var ma = 0.0, mb = 0.0
                for i in 0..<n { for j in 0..<n { ma += a.2[(y + i) * w + x + j]; mb += b.2[(y + i) * w + x + j] } }
                ma /= Double(n * n); mb /= Double(n * n)
                var va = 0.0, vb = 0.0, cov = 0.0
                for i in 0..<n {
                    for j in 0..<n {
                        let da = a.2[(y + i) * w + x + j] - ma, db = b.2[(y + i) * w + x + j] - mb
                        va += da * da; vb += db * db; cov += da * db
                    }
                }
                let m = Double(n * n - 1)
                va /= m; vb /= m; cov /= m
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                count += 1
            }
        }
        return count > 0 ? total / Double(count) : 0
    }

    func decode(_ png: [UInt8]) throws -> LoadedImage {
        let path = "/tmp/mlp_plot_filetest_\(getpid()).png"
        try writeBytes(png, path)
        defer { unlink(path) }
        return try loadPNG(path).get()
    }

    /// Renders `f` at 50 dpi and compares it with Reference/<name>.png.
    func check(_ name: String, _ f: Figure, file: StaticString = #filePath, line: UInt = #line) throws {
        var f = f
        f.dpi = 50
        let png = f.renderPNG()
        let path = FileTests.referenceDir + name + ".png"
        if getenv("MLP_RECORD") != nil {
            try writeBytes(png, path)
            return
        }
        let got = try decode(png)
        guard case .success(let want) = loadPNG(path) else { return XCTFail("no reference image \(path) (record it with MLP_RECORD=1)", file: file, line: line) }
        XCTAssertEqual([got.width, got.height], [want.width, want.height], "\(name): size", file: file, line: line)
        let s = ssim(grey(got), grey(want))
        XCTAssertGreaterThan(s, 0.95, "\(name): SSIM \(s) against the reference", file: file, line: line)
    }

    static func waves() -> Figure {
        var f = Figure()
        let xs = (0..<200).map { 2 * Double.pi * Double($0) / 199 }
        f.add(Series(kind: .line, x: xs, y: xs.map { sin($0) }, label: "sin"))
        var c = Series(kind: .line, x: xs, y: xs.map { cos($0) }, label: "cos")
        c.lineStyle = "--"
        f.add(c)
        f.title = "ħω ψ₀ (Greek and subscripts)"; f.xlabel = "θ (rad)"; f.ylabel = "amplitude"
        f.grid = true
        return f
    }

    func testLinePlot() throws { try check("lines", FileTests.waves()) }

    /// The measure tells figures apart: another figure is far from the reference.
    func testMeasureSeesDifferences() throws {
        var other = FileTests.waves()
        other.series.removeLast()
        other.title = "something else"
        let a = try decode({ var f = FileTests.waves(); f.dpi = 50; return f }().renderPNG())
        let b = try decode({ var f = other; f.dpi = 50; return f }().renderPNG())
        XCTAssertEqual(ssim(grey(a), grey(a)), 1, accuracy: 1e-12)
        XCTAssertLessThan(ssim(grey(a), grey(b)), 0.95)
    }

    func testScatterMarkers() throws {
        var f = Figure()
        for k in 0..<12 {
            let xs = (0..<8).map { Double($0) + 0.1 * Double(k) }
            f.add(Series(kind: .scatter, x: xs, y: xs.map { _ in Double(k) }, label: k < 4 ? "series \(k)" : nil))
        }
        f.title = "tab10 colours, 12 markers"
        try check("scatter", f)
    }

    func testErrorbarLogAxes() throws {
        var f = Figure()
        let L = [4.0, 8, 16, 32, 64, 128, 256, 512]
        var s = Series(kind: .errorbar, x: L, y: L.map { 1 / ($0 * $0) })
        s.yerr = L.map { (0.3 / ($0 * $0), 0.3 / ($0 * $0)) }
        s.marker = .circle; s.lineStyle = "none"; s.capsize = 3; s.label = "E(L) − E∞"
        f.add(s)
        f.add(Series(kind: .line, x: L, y: L.map { 1.2 / ($0 * $0) }, label: "1.2 / L²"))
        f.xscale = .log; f.yscale = .log
        f.xlabel = "L"; f.ylabel = "ΔE"; f.title = "finite-size scaling"
        try check("errorbar_log", f)
    }

    func testSymlogFillBetween() throws {
        var f = Figure()
        let xs = (0..<101).map { -50 + Double($0) }
        var s = Series(kind: .fill, x: xs, y: xs.map { $0 * $0 * $0 / 100 + 5 })
        s.y2 = xs.map { $0 * $0 * $0 / 100 - 5 }
        s.alpha = 0.3; s.label = "band"
        f.add(s)
        f.add(Series(kind: .line, x: xs, y: xs.map { $0 * $0 * $0 / 100 }, label: "x³/100"))
        f.yscale = .symlog(1)
        f.legend = "upper left"
        try check("symlog_fill", f)
    }

    func testHistogramDensity() throws {
        var f = Figure()
        var v: [Double] = []
        var u: UInt64 = 12345
        for _ in 0..<2000 {
            var s = 0.0
            for _ in 0..<12 { u = u &* 6364136223846793005 &+ 1442695040888963407; s += Double(u >> 11) / Double(1 << 53) }
            v.append(s - 6)
        }
        var b = Bars(values: v, edges: (0...24).map { -4 + Double($0) / 3 }, density: true)
        b.label = "sum of 12 uniforms"
        f.add(b)
        let xs = (0...100).map { -4 + 8 * Double($0) / 100 }
        f.add(Series(kind: .line, x: xs, y: xs.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }, label: "N(0, 1)"))
        try check("hist_density", f)
    }

    static func bowl() -> ContourSet {
        let g = (0..<41).map { -2 + Double($0) / 10 }
        var z: [Double] = []
        for y in g { for x in g { z.append(log10((1 - x) * (1 - x) + 5 * (y - x * x) * (y - x * x) + 0.01)) } }
        return ContourSet(x: g, y: g, z: z, levels: contourLevels(z, count: 7, filled: true), filled: true)
    }

    func testContours() throws {
        var f = Figure()
        var c = FileTests.bowl()
        c.cmap = "magma"; c.colorbar = true
        f.contours = [c]
        var lines = FileTests.bowl()
        lines.filled = false
        lines.levels = contourLevels(lines.z, count: 7, filled: false)
        lines.cmap = "Greys"
        f.contours.append(lines)
        f.title = "loss landscape"
        try check("contourf", f)
    }

    func testQuiver() throws {
        var f = Figure()
        var s = Series(kind: .quiver, x: [], y: [])
        for i in 0..<9 { for j in 0..<9 {
            let x = -1 + Double(j) / 4, y = -1 + Double(i) / 4
            s.x.append(x); s.y.append(y); s.u.append(-y); s.v.append(x)
        } }
        f.add(s)
        f.aspect = "equal"
        f.title = "rotation field"
        try check("quiver", f)
    }

    func testImshowColorbar() throws {
        var f = Figure()
        var h = Heatmap(rows: 20, cols: 30, values: (0..<600).map { k in sin(Double(k % 30) / 5) * cos(Double(k / 30) / 4) })
        h.cmap = "RdBu"; h.vmin = -1; h.vmax = 1
        h.extent = [0, 3, 0, 2]
        f.heatmap = h
        f.title = "RdBu, extent, vmin/vmax"
        try check("imshow", f)
    }

    func testSubplotsShared() throws {
        var f = Figure()
        f.gridRows = 2; f.gridCols = 2; f.sharex = true
        f.title = "four panels"
        f.panels = (0..<4).map { k in
            var p = Figure()
            let xs = (0..<50).map { Double($0) / 5 }
            p.add(Series(kind: .line, x: xs, y: xs.map { sin($0 * Double(k + 1)) }))
            p.title = "panel \(k)"
            return p
        }
        try check("subplots", f)
    }

    func testImageGridPanels() throws {
        var f = Figure()
        f.gridRows = 2; f.gridCols = 3
        f.panels = (0..<6).map { k in
            var p = Figure()
            p.axesOff = true
            var h = Heatmap(rows: 8, cols: 8, values: (0..<64).map { Double(($0 + k * 7) % 11) })
            h.cmap = "gray"; h.colorbar = false
            p.heatmap = h
            p.title = "digit \(k)"
            return p
        }
        try check("image_grid", f)
    }

    /// Sizes: width x height pixels of the PNG from size and dpi; points in SVG and PDF.
    func testSizes() throws {
        var f = FileTests.waves()
        f.size = (4, 3); f.dpi = 50
        let cs = try chunks(f.renderPNG())
        XCTAssertEqual([u32(cs[0].data, 0), u32(cs[0].data, 4)], [200, 150])
        XCTAssertTrue(f.renderSVG().contains("width=\"288pt\" height=\"216pt\""))
        let pdf = String(decoding: f.renderPDF(), as: UTF8.self)
        XCTAssertTrue(pdf.contains("/MediaBox [ 0 0 288 216 ]"), "PDF page 4 x 3 inches")
    }

    /// SVG keeps text as text (the title, Greek letters) and draws one path per line.
    func testSVGStructure() {
        let svg = FileTests.waves().renderSVG()
        XCTAssertTrue(wellFormed(svg))
        XCTAssertTrue(svg.contains(">ħω ψ₀ (Greek and subscripts)</text>"))
        XCTAssertTrue(svg.contains(">θ (rad)</text>"))
        let texts = svg.components("<text")
        XCTAssertGreaterThanOrEqual(texts, 3 + 2 + 8, "title, labels, ticks and legend as text")
        // data: 2 lines; axes: grid, frame, ticks; legend: frame and 2 handles
        XCTAssertEqual(svg.components("<path"), 2 + 3 + 1 + 2)
    }

    /// PDF: one page, fonts embedded with a ToUnicode map that has the figure's letters (text stays text).
    func testPDFStructure() throws {
        let pdf = FileTests.waves().renderPDF()
        let s = String(decoding: pdf, as: UTF8.self)
        XCTAssertTrue(s.hasPrefix("%PDF-"))
        XCTAssertEqual(s.components("/Type /Page\n") + s.components("/Type /Page "), 1)
        XCTAssertTrue(s.contains("/FontFile"), "fonts embedded")
        // the streams, inflated: a ToUnicode map lists ħ (U+0127), ω (03C9) and ψ (03C8)
        var streams = ""
        var offset = 0, at = 0
        while let a = find(Array("stream\n".utf8), in: pdf, from: at), let e = find(Array("endstream".utf8), in: pdf, from: a + 7) {
            if let d = inflate(Array(pdf[(a + 7)..<e]), expected: 1 << 22) { streams += String(decoding: d, as: UTF8.self) }
            at = e + 9
            offset += 1
        }
        XCTAssertGreaterThan(offset, 2)
        XCTAssertTrue(streams.contains("beginbfchar") || streams.contains("beginbfrange"), "ToUnicode maps")
        for code in ["0127", "03c9", "03c8"] { XCTAssertTrue(streams.lowercased().contains("<\(code)>"), "U+\(code) in a ToUnicode map") }
        XCTAssertGreaterThanOrEqual(streams.components(" S\n") + streams.components("\nS\n"), 4, "stroked paths")
    }

    func testLoadImageRoundTrip() throws {
        var rgba = [UInt8](repeating: 0, count: 3 * 2 * 4)
        for k in 0..<6 { rgba[4 * k] = UInt8(40 * k); rgba[4 * k + 1] = 255 - UInt8(40 * k); rgba[4 * k + 2] = 7; rgba[4 * k + 3] = k == 5 ? 128 : 255 }
        let img = try decode(encodePNG(cols: 3, rows: 2, rgba: rgba))
        XCTAssertEqual([img.width, img.height, img.channels], [3, 2, 4])
        for k in 0..<5 { XCTAssertEqual(img.values[4 * k] * 255, Double(40 * k), accuracy: 1e-9) }
        XCTAssertEqual(img.values[4 * 5 + 3], 128.0 / 255, accuracy: 1e-9)
        XCTAssertEqual(img.values[4 * 5] * 255, 200, accuracy: 2, "premultiplied by Cairo, undone on reading")
    }

    func testColormaps() {
        let v = Colormap("viridis")!
        XCTAssertEqual(hex(v(0)), "#440154")
        XCTAssertEqual(hex(v(1)), "#fde725")
        XCTAssertEqual(hex(Colormap("viridis_r")!(0)), "#fde725")
        XCTAssertEqual(hex(Colormap("gray")!(0.5)), "#808080")
        XCTAssertNil(Colormap("nonsense"))
        for name in ["viridis", "magma", "inferno", "plasma", "cividis", "RdBu", "coolwarm", "gray", "Greys", "hot", "jet"] { XCTAssertNotNil(Colormap(name), name) }
        XCTAssertEqual(tab10.count, 10)
        XCTAssertEqual(hex(tab10[1]), "#ff7f0e")
        XCTAssertGreaterThanOrEqual(markerCycle.count, 10)
        XCTAssertEqual(Set(markerCycle.map(\.rawValue)).count, markerCycle.count)
    }

    /// Decade ticks 10^k on log axes, thinned when there are too many; none overlap.
    func testLogAndSymlogTicks() {
        let e = TextEngine()
        let t = axisTicks(.log, 0, 5, length: 300) { e.measure($0, tickFont).w }
        XCTAssertEqual(t.major.map(\.value), [1, 10, 100, 1000, 10000, 100000])
        XCTAssertEqual(t.major[2].label.map(\.text), ["10", "2"])
        XCTAssertEqual(t.minor.count, 8 * 5)
        let many = axisTicks(.log, -30, 30, length: 200) { e.measure($0, tickFont).w }
        XCTAssertLessThan(many.major.count, 61)
        XCTAssertGreaterThanOrEqual(many.major.count, 2)
        let s = axisTicks(.symlog(1), forward(.symlog(1), -1000), forward(.symlog(1), 1000), length: 400) { e.measure($0, tickFont).w }
        XCTAssertEqual(s.major.map(\.value), [-1000, -100, -10, -1, 0, 1, 10, 100, 1000])
    }

    /// Tick labels never overlap, however long they are.
    func testTickLabelsDoNotOverlap() {
        let e = TextEngine()
        for (lo, hi, len) in [(0.0, 1e7, 120.0), (-123456.0, 987654.0, 200), (0.001, 0.0011, 150), (0, 1, 40)] {
            let t = axisTicks(.linear, lo, hi, length: len) { e.measure($0, tickFont).w }
            XCTAssertGreaterThanOrEqual(t.major.count, 1)
            let ps = t.major.map { (fraction($0.value, lo, hi) * len, e.measure($0.label, tickFont).w) }
            for k in 0..<max(ps.count - 1, 0) { XCTAssertGreaterThan(ps[k + 1].0 - ps[k].0, (ps[k].1 + ps[k + 1].1) / 2, "\(lo)...\(hi) in \(len) points") }
        }
    }

    /// The legend goes where it covers the fewest points: data in the upper right puts it elsewhere.
    func testLegendBest() {
        var f = Figure()
        let xs = (0..<50).map { Double($0) / 49 }
        f.add(Series(kind: .line, x: xs, y: xs.map { $0 * $0 * $0 }, label: "x³"))   // rises to the upper right
        let items = f.layout().items
        guard case .path(let p, _, _, _, _, let fill)? = items.first(where: { if case .path(_, _, _, _, _, let fl) = $0 { return fl?.a == 0.8 } else { return false } }), fill != nil else {
            return XCTFail("no legend frame")
        }
        let box = f.layout().items.compactMap { it -> Rect? in if case .clip(let x, let y, let w, let h) = it { return Rect(x: x, y: y, w: w, h: h) } else { return nil } }[0]
        XCTAssertLessThan(p[0][0].0, box.x + box.w / 2, "legend on the left (upper left is free)")
        XCTAssertLessThan(p[0][0].1, box.y + box.h / 2, "and on top")
    }

    func testDensityAndEdges() {
        let b = Bars(values: [0, 0.5, 1, 1, 2, 3, 7], edges: [0, 1, 3], density: true)
        XCTAssertEqual(b.counts[0], 2.0 / (6 * 1))
        XCTAssertEqual(b.counts[1], 4.0 / (6 * 2), "the last bin includes its right edge; 7 is outside")
        XCTAssertEqual(zip(b.counts, [1.0, 2]).reduce(0) { $0 + $1.0 * $1.1 }, 1, accuracy: 1e-12)
    }

    /// z = x on [0, 1]^2: the level-0.5 segments lie on x = 0.5; the band 0.2...0.5 has area 0.3.
    func testContourGeometry() {
        let g = (0...10).map { Double($0) / 10 }
        var z: [Double] = []
        for _ in g { for x in g { z.append(x) } }
        let tris = triangles(ContourSet(x: g, y: g, z: z, levels: [], filled: false))
        let segs = levelSegments(tris, 0.55)
        XCTAssertFalse(segs.isEmpty)
        XCTAssertTrue(segs.allSatisfy { $0.allSatisfy { abs($0.0 - 0.55) < 1e-12 } })
        var area = 0.0
        for p in bandPolygons(tris, 0.2, 0.5) {
            for k in p.indices { let a = p[k], b = p[(k + 1) % p.count]; area += (a.0 * b.1 - b.0 * a.1) / 2 }
        }
        XCTAssertEqual(area, 0.3, accuracy: 1e-12)
        XCTAssertEqual(contourLevels([0, 0.93], count: 7, filled: true).first, 0)
        XCTAssertEqual(contourLevels([0.05, 0.93], count: 7, filled: true).last!, 1, accuracy: 1e-12)
    }
}

/// Where `needle` first occurs in `hay` at or after `from`.
func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard needle.count > 0, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
    for i in from...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
    return nil
}

extension String {
    /// How often `s` occurs.
    func components(_ s: String) -> Int {
        var n = 0, rest = self[...]
        while let r = rest.firstRange(of: s) { n += 1; rest = rest[r.upperBound...] }
        return n
    }
}
