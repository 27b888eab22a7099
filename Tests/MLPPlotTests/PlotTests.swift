import CMLPZlib
@testable import MLPPlot
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// An independent CRC-32 (the PNG/zlib polynomial), to check the chunks zlib's crc32 wrote.
func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

func u32(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }

struct Chunk { let type: String; let data: [UInt8] }

/// Splits a PNG into chunks, checking the signature and every CRC.
func chunks(_ png: [UInt8]) throws -> [Chunk] {
    XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var out: [Chunk] = []
    var i = 8
    while i < png.count {
        let n = u32(png, i)
        let body = Array(png[(i + 4)..<(i + 8 + n)])
        XCTAssertEqual(UInt32(u32(png, i + 8 + n)), referenceCRC(body), "CRC of chunk \(out.count)")
        out.append(Chunk(type: String(decoding: body[0..<4], as: UTF8.self), data: Array(body[4...])))
        i += 12 + n
    }
    XCTAssertEqual(i, png.count)
    return out
}

/// Inflates zlib data with the system zlib (nil when it is not zlib data).
func inflate(_ data: [UInt8], expected: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: expected + 16)
    var size = uLongf(out.count)
    let rc = out.withUnsafeMutableBufferPointer { o in data.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &size, i.baseAddress, uLong(i.count)) } }
    return rc == Z_OK ? Array(out[0..<Int(size)]) : nil
}

/// zlib's CRC-32 of `bytes`.
func crc32Of(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { b in UInt32(crc32(0, b.baseAddress, uInt(b.count))) }
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
    guard let f = fopen(path, "wb") else { throw PlotError("cannot write \(path)") }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

/// Checks that tags nest and close (a small well-formedness check of our own SVG).
func wellFormed(_ svg: String) -> Bool {
    var stack: [String] = []
    var rest = Substring(svg)
    while let open = rest.firstIndex(of: "<") {
        guard let close = rest[open...].firstIndex(of: ">") else { return false }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("?") || tag.hasSuffix("/") { continue }
        let name = String(tag.prefix { $0 != " " })
        if name.hasPrefix("/") {
            guard stack.popLast() == String(name.dropFirst()) else { return false }
        } else {
            stack.append(name)
        }
    }
    return stack.isEmpty
}

final class PlotTests: XCTestCase {
    func sampleFigure() -> Figure {
        var f = Figure()
        let xs = (0..<50).map { Double($0) / 8 }
        f.series = [Series(kind: .line, x: xs, y: xs.map { $0 * $0 }, label: "a<b"), Series(kind: .scatter, x: xs, y: xs, label: "b & c")]
        f.title = "Straße (t)"; f.xlabel = "x"; f.ylabel = "y"
        return f
    }

    func testNiceTicks() {
        XCTAssertEqual(niceTicks(0, 1, maxCount: 6), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(niceTicks(-1, 1, maxCount: 6), [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(niceTicks(1, 25, maxCount: 3), [10, 20])
        XCTAssertEqual(niceTicks(0, 6.28, maxCount: 7), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(niceTicks(0, 100, maxCount: 3), [0, 50, 100])
        XCTAssertEqual(niceTicks(3, 3, maxCount: 5), [3])
        for (lo, hi) in [(0.001, 0.0037), (-7.0, 1234.0), (1e-9, 3e-9), (5.0, 5.5)] {
            let t = niceTicks(lo, hi, maxCount: 5)
            XCTAssertTrue(t.count >= 2 && t.count <= 5, "\(lo)...\(hi): \(t)")
            XCTAssertTrue(t.allSatisfy { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 }, "\(t)")
        }
    }

    func testTickLabels() {
        XCTAssertEqual(tickLabels([-0.5, 0, 0.5, 1]), ["-0.5", "0.0", "0.5", "1.0"])
        XCTAssertEqual(tickLabels([0, 10, 20]), ["0", "10", "20"])
        XCTAssertEqual(tickLabels([0, 1e6, 2e6]), ["0", "1e6", "2e6"])
        XCTAssertEqual(tickLabels([0.0001, 0.0002]), ["1e-4", "2e-4"])
        XCTAssertEqual(formatFixed(-0.0001, 2), "0.00")
        XCTAssertEqual(formatFixed(2.345, 1), "2.3")
    }

    /// Cairo's PNGs: chunks with correct CRCs, the size asked for, pixels read back as written.
    func testPNGEncoder() throws {
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]
        let png = encodePNG(width: 2, height: 2, rgb: rgb)
        let cs = try chunks(png)
        XCTAssertEqual(cs.first?.type, "IHDR")
        XCTAssertEqual(cs.last?.type, "IEND")
        XCTAssertEqual(u32(cs[0].data, 0), 2)
        XCTAssertEqual(u32(cs[0].data, 4), 2)
        XCTAssertEqual(crc32Of(Array("IEND".utf8)), 0xAE42_6082)
        let path = "/tmp/mlp_plot_test_\(getpid()).png"
        try writeBytes(png, path)
        let img = try loadPNG(path).get()
        XCTAssertEqual([img.width, img.height], [2, 2])
        XCTAssertEqual(img.values.count, 2 * 2 * img.channels)
        for k in 0..<4 { for c in 0..<3 { XCTAssertEqual(Int((img.values[k * img.channels + c] * 255).rounded()), Int(rgb[k * 3 + c])) } }
        XCTAssertFalse((try? loadPNG("/nonexistent/x.png").get()) != nil)
    }

    func testFigurePNGDecodes() throws {
        for f in [sampleFigure(), { var h = Figure(); h.bars = Bars(values: [1, 2, 2, 3], bins: 3); return h }(),
                  { var h = Figure(); h.heatmap = Heatmap(rows: 3, cols: 4, values: (0..<12).map(Double.init)); h.title = "m"; return h }()] {
            let cs = try chunks(f.renderPNG())
            XCTAssertEqual(u32(cs[0].data, 0), 640)
            XCTAssertEqual(u32(cs[0].data, 4), 480)
        }
    }

    func testSVGWellFormed() {
        let svg = sampleFigure().renderSVG()
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(wellFormed(svg))
        XCTAssertTrue(svg.contains("a&lt;b") && svg.contains("b &amp; c"))
        XCTAssertTrue(svg.contains("<path") && svg.contains("<circle"))
        var h = Figure()
        h.heatmap = Heatmap(rows: 2, cols: 2, values: [0, 1, .nan, 3])
        XCTAssertTrue(wellFormed(h.renderSVG()))
        XCTAssertFalse(wellFormed("<svg><g></svg>"))
    }

    /// File plots keep 5% margins, as matplotlib: a sine sampled just short of -1 still
    /// gets its -1.0 tick, and no point sits on the frame.
    func testFilePlotMargins() {
        var f = Figure()
        let xs = (0..<100).map { 6.28 * Double($0) / 99 }
        f.series = [Series(kind: .line, x: xs, y: xs.map { sin($0) })]
        XCTAssertGreaterThan(xs.map { sin($0) }.min()!, -1)
        let svg = f.renderSVG()
        XCTAssertTrue(svg.contains(">\u{2212}1.0<") && svg.contains(">1.0<"), "ticks at both round ends")
        var h = Figure()
        h.bars = Bars(edges: [0, 1, 2], counts: [3, 5])
        XCTAssertTrue(h.renderSVG().contains(">0<"), "a histogram's axis stays at 0")
    }

    func testBrailleCanvas() {
        var c = BrailleCanvas(width: 2, height: 1)
        for y in 0..<4 { for x in 0..<2 { c.set(x, y) } }
        c.set(2, 0)
        c.set(9, 9)   // outside: ignored
        XCTAssertEqual(c.row(0, color: false), "⣿⠁")
        var d = BrailleCanvas(width: 3, height: 1)
        d.line(0, 3, 5, 3)
        XCTAssertEqual(d.row(0, color: false), "⣀⣀⣀")
    }

    func testTextIsPlainAndTrimmed() {
        let plain = sampleFigure().renderText(color: false)
        XCTAssertFalse(plain.contains("\u{1B}"))
        XCTAssertTrue(plain.split(separator: "\n").allSatisfy { !$0.hasSuffix(" ") })
        XCTAssertEqual(plain, sampleFigure().renderText(color: false))
        let coloured = sampleFigure().renderText(color: true)
        XCTAssertTrue(coloured.contains("\u{1B}[94m"))
        var h = Figure()
        h.heatmap = Heatmap(rows: 4, cols: 4, values: (0..<16).map(Double.init))
        XCTAssertTrue(h.renderText(color: true).contains("▀"))
        XCTAssertEqual(h.renderText(color: false).split(separator: "\n").last, "0 [ .:-=+*%@] 15")
    }

    func testHeatmapGrid() {
        let g = Heatmap(grid: (0..<8).map(Double.init), count: 2, height: 2, width: 2, gridRows: 1, gridCols: 2)
        XCTAssertEqual(g.rows, 2)
        XCTAssertEqual(g.cols, 5)
        XCTAssertEqual(g.values[0..<5].map { $0.isNaN ? -1 : $0 }, [0, 1, -1, 4, 5])
        XCTAssertEqual(g.range.0, 0)
        XCTAssertEqual(g.range.1, 7)
    }

    func testHistogramBins() {
        let b = Bars(values: [0, 1, 1, 2, .nan, 4], bins: 4)
        XCTAssertEqual(b.edges, [0, 1, 2, 3, 4])
        XCTAssertEqual(b.counts, [1, 2, 1, 1])
    }
}
