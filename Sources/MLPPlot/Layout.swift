// File figures laid out as drawing items: the panels of a grid, each with its
// margins made to fit its tick labels, axis labels and title (aligned over rows
// and columns), the data clipped to the axes, a legend where it covers the
// fewest points, a colour bar; then painted by Cairo (PNG, PDF) or written as SVG.
#if canImport(Glibc)
import Glibc
#endif

struct Rect { var x, y, w, h: Double }

extension Figure {
    /// Pixel size of the PNG.
    public var pixelSize: (Int, Int) { (max(1, Int((size.0 * dpi).rounded())), max(1, Int((size.1 * dpi).rounded()))) }

    public func renderPNG() -> [UInt8] {
        let (w, h) = pixelSize
        return MLPPlot.renderPNG(layout().items, pxWidth: w, pxHeight: h, scale: dpi / 72)
    }

    public func renderPDF() -> [UInt8] {
        let l = layout()
        return MLPPlot.renderPDF(l.items, width: l.width, height: l.height, title: title)
    }

    public func renderSVG() -> String {
        let l = layout()
        return svgDocument(width: l.width, height: l.height, items: l.items) { encodePNG(cols: $0, rows: $1, rgba: $2) }
    }

    /// Adds a series, giving it the next colour of the cycle (and a scatter the next marker) unless it has its own.
    public mutating func add(_ s: Series) {
        var s = s
        if s.color == nil { s.color = tab10[cycle % tab10.count]; cycle += 1 }
        if s.kind == .scatter && s.marker == nil { s.marker = markerCycle[markers % markerCycle.count]; markers += 1 }
        s.order = added; added += 1
        series.append(s)
    }

    /// Adds a histogram with the next colour of the cycle.
    public mutating func add(_ b: Bars) {
        var b = b
        if b.color == nil { b.color = tab10[cycle % tab10.count]; cycle += 1 }
        b.order = added; added += 1
        if bars == nil { bars = b } else { moreBars.append(b) }
    }

    /// The whole figure as items in points.
    func layout() -> (width: Double, height: Double, items: [Item]) {
        let W = size.0 * 72, H = size.1 * 72
        let engine = TextEngine()
        let grid = panels.isEmpty
        let axes = grid ? [self] : panels
        let rows = grid ? 1 : gridRows, cols = grid ? 1 : gridCols
        var items: [Item] = []
        var top0 = 0.0
        if !grid && !title.isEmpty {
            let m = engine.measure(title, suptitleFont)
            items.append(.text(W / 2, 6, plain(title), size: suptitleFont, h: .center, v: .top, angle: 0, color: .black))
            top0 = m.h + 10
        }
        // limits, shared over the grid where asked
        var lims = axes.map { $0.fileLimits() }
        if sharex && lims.count > 1 {
            let lo = lims.map { min($0.0, $0.1) }.min()!, hi = lims.map { max($0.0, $0.1) }.max()!
            for k in lims.indices where axes[k].xlim == nil { lims[k].0 = lo; lims[k].1 = hi }
        }
        if sharey && lims.count > 1 {
            let lo = lims.map { min($0.2, $0.3) }.min()!, hi = lims.map { max($0.2, $0.3) }.max()!
            for k in lims.indices where axes[k].ylim == nil { lims[k].2 = lo; lims[k].3 = hi }
        }
        let cw = W / Double(cols), ch = (H - top0) / Double(rows)
        let showX = axes.indices.map { k in !sharex || k / cols == rows - 1 || k + cols >= axes.count }
        let showY = axes.indices.map { k in !sharey || k % cols == 0 }
        var margins = axes.indices.map { k in axes[k].margins(lims[k], cw, ch, engine, showX[k], showY[k]) }
        // align: one left/right margin a column, one top/bottom a row
        for c in 0..<cols {
            let ks = axes.indices.filter { $0 % cols == c }
            let l = ks.map { margins[$0].0 }.max() ?? 0, r = ks.map { margins[$0].1 }.max() ?? 0
            for k in ks { margins[k].0 = l; margins[k].1 = r }
        }
        for r in 0..<rows {
            let ks = axes.indices.filter { $0 / cols == r }
            let t = ks.map { margins[$0].2 }.max() ?? 0, b = ks.map { margins[$0].3 }.max() ?? 0
            for k in ks { margins[k].2 = t; margins[k].3 = b }
        }
        for k in axes.indices {
            let cx = Double(k % cols) * cw, cy = top0 + Double(k / cols) * ch
            let m = margins[k]
            let box = Rect(x: cx + m.0, y: cy + m.2, w: max(cw - m.0 - m.1, 10), h: max(ch - m.2 - m.3, 10))
            items += axes[k].drawAxes(box, lims[k], engine, showX[k], showY[k])
        }
        return (W, H, items)
    }

    var wantsColorbar: Bool { (heatmap?.colorbar ?? false) || contours.contains { $0.colorbar } }

    /// The colour scale (map, low, high) of the image or the filled contours.
    var colorScale: (Colormap, Double, Double)? {
        if let h = heatmap, h.rgb == nil {
            let (lo, hi) = h.limits
            return (Colormap(h.cmap) ?? Colormap("viridis")!, lo, hi)
        }
        if let c = contours.first(where: { $0.colorbar }) ?? contours.first, let lo = c.levels.first, let hi = c.levels.last {
            return (Colormap(c.cmap) ?? Colormap("viridis")!, lo, hi)
        }
        return nil
    }

    func isEqualAspect() -> Bool {
        (aspect == "equal" || (aspect == nil && heatmap != nil)) && xscale == .linear && yscale == .linear
    }

    /// Space around the axes in a cell: (left, right, top, bottom).
    func margins(_ lim: (Double, Double, Double, Double), _ cw: Double, _ ch: Double, _ e: TextEngine, _ showX: Bool, _ showY: Bool) -> (Double, Double, Double, Double) {
        let fh = e.measure("0", tickFont).h
        let titleH = title.isEmpty ? 0 : e.measure(title, titleFont).h + 6
        if axesOff { return (4, 4, 4 + titleH, 4) }
        let top = 6 + (titleH > 0 ? titleH : fh / 2)
        let bottom = 6 + tickLength + (showX ? tickPad + fh : 0) + (xlabel.isEmpty ? 0 : e.measure(xlabel, labelFont).h + 3)
        var right = 8.0
        if wantsColorbar, let (_, lo, hi) = colorScale {
            let ts = niceTicks(min(lo, hi), max(lo, hi), maxCount: 6)
            let w = tickLabels(ts).map { e.measure(minusSign($0), tickFont).w }.max() ?? 0
            right += 10 + 12 + tickLength + tickPad + w
        }
        let h = max(ch - top - bottom, 10)
        var left = 6.0 + tickLength
        if showY {
            let yt = axisTicks(yscale, min(lim.2, lim.3), max(lim.2, lim.3), length: h) { e.measure($0, tickFont).h }
            left += tickPad + (yt.major.map { e.measure($0.label, tickFont).w }.max() ?? 0)
        }
        if !ylabel.isEmpty { left += e.measure(ylabel, labelFont).h + 3 }
        if showX {
            let xt = axisTicks(xscale, min(lim.0, lim.1), max(lim.0, lim.1), length: max(cw - left - right, 10)) { e.measure($0, tickFont).w }
            if let last = xt.major.last {
                let p = fraction(forward(xscale, last.value), min(lim.0, lim.1), max(lim.0, lim.1)) * max(cw - left - right, 10)
                let over = e.measure(last.label, tickFont).w / 2 - (max(cw - left - right, 10) - p)
                right = max(right, over + 4)
            }
        }
        return (left, right, top, bottom)
    }

    /// The items of one axes in `box` (before the aspect is applied).
    func drawAxes(_ boxIn: Rect, _ lim: (Double, Double, Double, Double), _ e: TextEngine, _ showX: Bool, _ showY: Bool) -> [Item] {
        var box = boxIn
        if isEqualAspect() {
            let dx = abs(lim.1 - lim.0), dy = abs(lim.3 - lim.2)
            if dx > 0, dy > 0, dx.isFinite, dy.isFinite {
                if box.w / box.h > dx / dy { let w = box.h * dx / dy; box.x += (box.w - w) / 2; box.w = w }
                else { let h = box.w * dy / dx; box.y += (box.h - h) / 2; box.h = h }
            }
        }
        let xm = AxisMap(scale: xscale, t0: lim.0, t1: lim.1, p0: box.x, p1: box.x + box.w)
        let ym = AxisMap(scale: yscale, t0: lim.2, t1: lim.3, p0: box.y + box.h, p1: box.y)
        var items: [Item] = []
        let xt = axisTicks(xscale, xm.lo, xm.hi, length: box.w) { e.measure($0, tickFont).w }
        let yt = axisTicks(yscale, ym.lo, ym.hi, length: box.h) { e.measure($0, tickFont).h }
        if grid && !axesOff {
            let c = RGBA(hex: "#b0b0b0")
            let subs = xt.major.map { t -> [Point] in let x = xm.pos(t.value); return [(x, box.y), (x, box.y + box.h)] }
                + yt.major.map { t -> [Point] in let y = ym.pos(t.value); return [(box.x, y), (box.x + box.w, y)] }
            items.append(.path(subs, closed: false, stroke: c, width: 0.8, dash: [], fill: nil))
        }
        items.append(.clip(box.x, box.y, box.w, box.h))
        items += dataItems(xm, ym, box)
        items.append(.unclip)
        if !axesOff {
            items.append(.path([[(box.x, box.y), (box.x + box.w, box.y), (box.x + box.w, box.y + box.h), (box.x, box.y + box.h)]], closed: true, stroke: .black, width: 0.8, dash: [], fill: nil))
            let bottom = box.y + box.h
            var ticks: [[Point]] = []
            for t in xt.major { let x = xm.pos(t.value); ticks.append([(x, bottom), (x, bottom + tickLength)]) }
            for t in yt.major { let y = ym.pos(t.value); ticks.append([(box.x, y), (box.x - tickLength, y)]) }
            items.append(.path(ticks, closed: false, stroke: .black, width: 0.8, dash: [], fill: nil))
            let minor = xt.minor.map { v -> [Point] in let x = xm.pos(v); return [(x, bottom), (x, bottom + minorTickLength)] }
                + yt.minor.map { v -> [Point] in let y = ym.pos(v); return [(box.x, y), (box.x - minorTickLength, y)] }
            if !minor.isEmpty { items.append(.path(minor, closed: false, stroke: .black, width: 0.6, dash: [], fill: nil)) }
            var labelBottom = bottom + tickLength
            if showX {
                for t in xt.major { items.append(.text(xm.pos(t.value), bottom + tickLength + tickPad, t.label, size: tickFont, h: .center, v: .top, angle: 0, color: .black)) }
                labelBottom += tickPad + e.measure("0", tickFont).h
            }
            var labelLeft = box.x - tickLength
            if showY {
                for t in yt.major { items.append(.text(box.x - tickLength - tickPad, ym.pos(t.value), t.label, size: tickFont, h: .right, v: .center, angle: 0, color: .black)) }
                labelLeft -= tickPad + (yt.major.map { e.measure($0.label, tickFont).w }.max() ?? 0)
            }
            if !xlabel.isEmpty { items.append(.text(box.x + box.w / 2, labelBottom + 3, plain(xlabel), size: labelFont, h: .center, v: .top, angle: 0, color: .black)) }
            if !ylabel.isEmpty { items.append(.text(labelLeft - 3, box.y + box.h / 2, plain(ylabel), size: labelFont, h: .center, v: .bottom, angle: 90, color: .black)) }
        }
        if !title.isEmpty { items.append(.text(box.x + box.w / 2, box.y - 6, plain(title), size: titleFont, h: .center, v: .bottom, angle: 0, color: .black)) }
        items += legendItems(xm, ym, box, e)
        if wantsColorbar, let (cmap, lo, hi) = colorScale {
            // filled contours: the bar shows their bands
            let bands = heatmap == nil ? contours.first(where: { $0.filled })?.levels : nil
            items += colorbar(cmap, lo, hi, box, e, bands: bands)
        }
        return items
    }

    /// Images, contours, bars and series, in that order (later ones on top).
    func dataItems(_ xm: AxisMap, _ ym: AxisMap, _ box: Rect) -> [Item] {
        var items: [Item] = []
        if let h = heatmap { items += imageItems(h, xm, ym) }
        for c in contours { items += contourItems(c, xm, ym) }
        for b in allBars {
            let col = (b.color ?? tab10[0]).with(alpha: b.alpha)
            let base = yscale == .log ? box.y + box.h : ym.pos(0)
            var subs: [[Point]] = []
            for (k, c) in b.counts.enumerated() where c > 0 && k + 1 < b.edges.count {
                let xa = xm.pos(b.edges[k]), xb = xm.pos(b.edges[k + 1]), y = ym.pos(c)
                guard xa.isFinite, xb.isFinite, y.isFinite else { continue }
                subs.append([(xa, base), (xb, base), (xb, y), (xa, y)])
            }
            if !subs.isEmpty { items.append(.path(subs, closed: true, stroke: nil, width: 0, dash: [], fill: col)) }
        }
        for s in series { items += seriesItems(s, xm, ym, box) }
        return items
    }

    func seriesItems(_ s: Series, _ xm: AxisMap, _ ym: AxisMap, _ box: Rect) -> [Item] {
        let col = (s.color ?? tab10[0]).with(alpha: s.alpha)
        var items: [Item] = []
        let n = min(s.x.count, s.y.count)
        let pts: [Point] = (0..<n).map { (xm.pos(s.x[$0]), ym.pos(s.y[$0])) }
        switch s.kind {
        case .fill:
            var run: [Point] = [], lower: [Point] = [], subs: [[Point]] = []
            for i in 0..<n {
                let lo = ym.pos(i < s.y2.count ? s.y2[i] : 0)
                if pts[i].0.isFinite && pts[i].1.isFinite && lo.isFinite { run.append(pts[i]); lower.append((pts[i].0, lo)) }
                else if !run.isEmpty { subs.append(run + lower.reversed()); run = []; lower = [] }
            }
            if !run.isEmpty { subs.append(run + lower.reversed()) }
            items.append(.path(subs, closed: true, stroke: nil, width: 0, dash: [], fill: col))
            return items
        case .quiver:
            return quiverItems(s, pts, col, box)
        case .errorbar:
            var bars: [[Point]] = []
            let cap = s.capsize / 2
            for i in 0..<n where pts[i].0.isFinite && pts[i].1.isFinite {
                if let e = s.yerr, i < e.count {
                    let a = ym.pos(s.y[i] - e[i].0), b = ym.pos(s.y[i] + e[i].1), x = pts[i].0
                    if a.isFinite && b.isFinite {
                        bars.append([(x, a), (x, b)])
                        if cap > 0 { bars.append([(x - cap, a), (x + cap, a)]); bars.append([(x - cap, b), (x + cap, b)]) }
                    }
                }
                if let e = s.xerr, i < e.count {
                    let a = xm.pos(s.x[i] - e[i].0), b = xm.pos(s.x[i] + e[i].1), y = pts[i].1
                    if a.isFinite && b.isFinite {
                        bars.append([(a, y), (b, y)])
                        if cap > 0 { bars.append([(a, y - cap), (a, y + cap)]); bars.append([(b, y - cap), (b, y + cap)]) }
                    }
                }
            }
            items.append(.path(bars, closed: false, stroke: col, width: s.lineWidth, dash: [], fill: nil))
        default: break
        }
        let style = s.lineStyle ?? (s.kind == .scatter ? "none" : "-")
        if let dash = dashPattern(style) {
            var runs: [[Point]] = [], run: [Point] = []
            for p in pts {
                if p.0.isFinite && p.1.isFinite { run.append(p) } else if !run.isEmpty { runs.append(decimated(run)); run = [] }
            }
            if !run.isEmpty { runs.append(decimated(run)) }
            items.append(.path(runs, closed: false, stroke: col, width: s.lineWidth, dash: dash.map { $0 * s.lineWidth }, fill: nil))
        }
        if let m = s.marker ?? (s.kind == .scatter ? .circle : nil) {
            let size = s.markerSize ?? 6
            let visible = pts.filter { $0.0.isFinite && $0.1.isFinite }
            // markers of a line have an edge of their colour (matplotlib's); a scatter's are filled
            items.append(.markers(visible, m, size: size, fill: col, edge: s.kind == .scatter ? nil : col, edgeWidth: 1))
        }
        return items
    }

    /// Arrows scaled so that the longest is 90% of the typical distance between points.
    func quiverItems(_ s: Series, _ pts: [Point], _ col: RGBA, _ box: Rect) -> [Item] {
        let n = min(pts.count, s.u.count, s.v.count)
        guard n > 0 else { return [] }
        var longest = 0.0
        for i in 0..<n {
            let l: Double = (s.u[i] * s.u[i] + s.v[i] * s.v[i]).squareRoot()
            if l.isFinite { longest = max(longest, l) }
        }
        guard longest > 0 else { return [] }
        let spacing: Double = (box.w * box.h / Double(n)).squareRoot()
        let k: Double = 0.9 * spacing / longest
        var shafts: [[Point]] = [], heads: [[Point]] = []
        for i in 0..<n {
            let x: Double = pts[i].0, y: Double = pts[i].1
            let dx: Double = s.u[i] * k, dy: Double = -s.v[i] * k
            let len: Double = (dx * dx + dy * dy).squareRoot()
            guard x.isFinite, y.isFinite, len.isFinite, len > 0.5 else { continue }
            let ux: Double = dx / len, uy: Double = dy / len
            let hl: Double = min(len * 0.35, 7.0), hw: Double = hl * 0.55
            let bx: Double = x + dx - ux * hl, by: Double = y + dy - uy * hl
            shafts.append([(x, y), (bx, by)])
            let tip: Point = (x + dx, y + dy), l: Point = (bx - uy * hw, by + ux * hw), r: Point = (bx + uy * hw, by - ux * hw)
            heads.append([tip, l, r])
        }
        return [.path(shafts, closed: false, stroke: col, width: 1.2, dash: [], fill: nil),
                .path(heads, closed: true, stroke: nil, width: 0, dash: [], fill: col)]
    }

    func imageItems(_ h: Heatmap, _ xm: AxisMap, _ ym: AxisMap) -> [Item] {
        let e = h.extent ?? [-0.5, Double(h.cols) - 0.5, Double(h.rows) - 0.5, -0.5]
        let xa = xm.pos(e[0]), xb = xm.pos(e[1]), yTop = ym.pos(e[3]), yBottom = ym.pos(e[2])
        guard xa.isFinite, xb.isFinite, yTop.isFinite, yBottom.isFinite else { return [] }
        let flipX = xa > xb, flipY = yTop > yBottom
        var px = [UInt8](repeating: 0, count: h.rows * h.cols * 4)
        let (lo, hi) = h.limits
        let cmap = Colormap(h.cmap) ?? Colormap("viridis")!
        func byte(_ v: Double) -> UInt8 { UInt8((min(max(v.isFinite ? v : 0, 0), 1) * 255).rounded()) }
        for i in 0..<h.rows {
            for j in 0..<h.cols {
                let src = i * h.cols + j
                let di = flipY ? h.rows - 1 - i : i, dj = flipX ? h.cols - 1 - j : j
                let k = (di * h.cols + dj) * 4
                if let rgb = h.rgb {
                    let c = h.channels
                    px[k] = byte(rgb[src * c]); px[k + 1] = byte(rgb[src * c + 1]); px[k + 2] = byte(rgb[src * c + 2])
                    px[k + 3] = c == 4 ? byte(rgb[src * c + 3]) : 255
                } else {
                    let v = h.values[src]
                    guard !v.isNaN else { continue }
                    let c = cmap(hi > lo ? fraction(v, lo, hi) : 0.5)
                    px[k] = byte(c.r); px[k + 1] = byte(c.g); px[k + 2] = byte(c.b); px[k + 3] = 255
                }
            }
        }
        return [.image(x: min(xa, xb), y: min(yTop, yBottom), w: abs(xb - xa), h: abs(yBottom - yTop), cols: h.cols, rows: h.rows, rgba: px)]
    }

    func contourItems(_ c: ContourSet, _ xm: AxisMap, _ ym: AxisMap) -> [Item] {
        let cmap = Colormap(c.cmap) ?? Colormap("viridis")!
        let lo = c.levels.first ?? 0, hi = c.levels.last ?? 1
        var items: [Item] = []
        let tris = triangles(c)
        if c.filled {
            for k in 0..<max(c.levels.count - 1, 0) {
                let polys = bandPolygons(tris, c.levels[k], c.levels[k + 1])
                guard !polys.isEmpty else { continue }
                let t = c.levels.count > 2 ? Double(k) / Double(c.levels.count - 2) : 0.5
                let subs = polys.map { $0.map { (xm.pos($0.0), ym.pos($0.1)) } }
                // a hairline stroke of the same colour hides the seams between neighbouring polygons
                items.append(.path(subs, closed: true, stroke: cmap(t), width: 0.25, dash: [], fill: cmap(t)))
            }
        } else {
            for l in c.levels {
                let segs = levelSegments(tris, l)
                guard !segs.isEmpty else { continue }
                let t = hi > lo ? (l - lo) / (hi - lo) : 0.5
                items.append(.path(segs.map { $0.map { (xm.pos($0.0), ym.pos($0.1)) } }, closed: false, stroke: cmap(t), width: c.lineWidth, dash: [], fill: nil))
            }
        }
        return items
    }

    /// The legend: a framed box of the labelled series, where asked or where it covers the fewest points.
    func legendItems(_ xm: AxisMap, _ ym: AxisMap, _ box: Rect, _ e: TextEngine) -> [Item] {
        let labelled: [(Int, String, Series?, Bars?)] = series.compactMap { s in s.label.map { (s.order, $0, s, nil) } } + allBars.compactMap { b in b.label.map { (b.order, $0, nil, b) } }
        let entries = labelled.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3) }
        guard !entries.isEmpty, legend != "none" else { return [] }
        let fs = 10.0, lineH = e.measure("Ag", fs).h
        let handle = 2 * fs, pad = 0.4 * fs, gap = 0.8 * fs, spacing = 0.5 * fs
        let textW = entries.map { e.measure($0.0, fs).w }.max() ?? 0
        let bw = pad * 2 + handle + gap + textW, bh = pad * 2 + Double(entries.count) * lineH + Double(entries.count - 1) * spacing
        let inset = 0.5 * fs
        let places = ["upper right", "upper left", "lower left", "lower right", "right", "center left", "center right", "lower center", "upper center", "center"]
        func origin(_ p: String) -> Point {
            let x: Double = p.hasSuffix("left") ? box.x + inset : p.hasSuffix("right") ? box.x + box.w - inset - bw : box.x + (box.w - bw) / 2
            let y: Double = p.hasPrefix("upper") ? box.y + inset : p.hasPrefix("lower") ? box.y + box.h - inset - bh : box.y + (box.h - bh) / 2
            return (x, y)
        }
        var place = legend
        if !places.contains(place) {
            // "best": the fewest data points (and points along lines) under the box
            var pts: [Point] = []
            for s in series {
                let n = min(s.x.count, s.y.count), step = max(1, n / 2000)
                var prev: Point?
                for i in stride(from: 0, to: n, by: step) {
                    let p = (xm.pos(s.x[i]), ym.pos(s.y[i]))
                    guard p.0.isFinite, p.1.isFinite else { prev = nil; continue }
                    if let q = prev, s.kind != .scatter {
                        let d = ((p.0 - q.0) * (p.0 - q.0) + (p.1 - q.1) * (p.1 - q.1)).squareRoot()
                        let m = min(Int(d / 5), 200)
                        if m > 1 { for k in 1..<m { let t = Double(k) / Double(m); pts.append((q.0 + (p.0 - q.0) * t, q.1 + (p.1 - q.1) * t)) } }
                    }
                    pts.append(p); prev = p
                }
            }
            for b in allBars {
                for (k, c) in b.counts.enumerated() where k + 1 < b.edges.count {
                    let x = xm.pos((b.edges[k] + b.edges[k + 1]) / 2), y0 = ym.pos(c), y1 = box.y + box.h
                    for t in stride(from: 0.0, through: 1.0, by: 0.1) { pts.append((x, y0 + (y1 - y0) * t)) }
                }
            }
            var best = places[0], fewest = Int.max
            for p in places {
                let (ox, oy) = origin(p)
                let n = pts.reduce(0) { $0 + ($1.0 >= ox && $1.0 <= ox + bw && $1.1 >= oy && $1.1 <= oy + bh ? 1 : 0) }
                if n < fewest { fewest = n; best = p }
            }
            place = best
        }
        let (ox, oy) = origin(place)
        var items: [Item] = [.path([[(ox, oy), (ox + bw, oy), (ox + bw, oy + bh), (ox, oy + bh)]], closed: true, stroke: RGBA(0.8, 0.8, 0.8), width: 0.8, dash: [], fill: RGBA(1, 1, 1, 0.8))]
        for (i, (label, s, b)) in entries.enumerated() {
            let cy = oy + pad + Double(i) * (lineH + spacing) + lineH / 2
            let hx = ox + pad
            if let b {
                items.append(.path([[(hx, cy - 0.35 * fs), (hx + handle, cy - 0.35 * fs), (hx + handle, cy + 0.35 * fs), (hx, cy + 0.35 * fs)]], closed: true, stroke: nil, width: 0, dash: [], fill: (b.color ?? tab10[0]).with(alpha: b.alpha)))
            } else if let s {
                let col = (s.color ?? tab10[0]).with(alpha: s.alpha)
                switch s.kind {
                case .fill:
                    items.append(.path([[(hx, cy - 0.35 * fs), (hx + handle, cy - 0.35 * fs), (hx + handle, cy + 0.35 * fs), (hx, cy + 0.35 * fs)]], closed: true, stroke: nil, width: 0, dash: [], fill: col))
                case .quiver:
                    items.append(.path([[(hx, cy), (hx + handle - 5, cy)]], closed: false, stroke: col, width: 1.2, dash: [], fill: nil))
                    items.append(.path([[(hx + handle, cy), (hx + handle - 6, cy - 3), (hx + handle - 6, cy + 3)]], closed: true, stroke: nil, width: 0, dash: [], fill: col))
                default:
                    if s.kind == .errorbar { items.append(.path([[(hx + handle / 2, cy - 0.45 * fs), (hx + handle / 2, cy + 0.45 * fs)]], closed: false, stroke: col, width: s.lineWidth, dash: [], fill: nil)) }
                    let style = s.lineStyle ?? (s.kind == .scatter ? "none" : "-")
                    if let dash = dashPattern(style) { items.append(.path([[(hx, cy), (hx + handle, cy)]], closed: false, stroke: col, width: s.lineWidth, dash: dash.map { $0 * s.lineWidth }, fill: nil)) }
                    if let m = s.marker ?? (s.kind == .scatter ? .circle : nil) { items.append(.markers([(hx + handle / 2, cy)], m, size: s.markerSize ?? 6, fill: col, edge: s.kind == .scatter ? nil : col, edgeWidth: 1)) }
                }
            }
            items.append(.text(hx + handle + gap, cy, plain(label), size: fs, h: .left, v: .center, angle: 0, color: .black))
        }
        return items
    }

    /// A colour bar right of the axes with ticks at round values.
    func colorbar(_ cmap: Colormap, _ lo: Double, _ hi: Double, _ box: Rect, _ e: TextEngine, bands: [Double]? = nil) -> [Item] {
        let bx = box.x + box.w + 10, bw = 12.0, steps = 256
        var px = [UInt8](repeating: 255, count: steps * 4)
        for i in 0..<steps {
            var t = 1 - (Double(i) + 0.5) / Double(steps)
            if let b = bands, b.count > 2 {
                let v = lo + (hi - lo) * t
                let k = min(max((b.lastIndex { $0 <= v } ?? 0), 0), b.count - 2)
                t = Double(k) / Double(b.count - 2)
            }
            let c = cmap(t)
            px[4 * i] = UInt8((c.r * 255).rounded()); px[4 * i + 1] = UInt8((c.g * 255).rounded()); px[4 * i + 2] = UInt8((c.b * 255).rounded())
        }
        var items: [Item] = [.image(x: bx, y: box.y, w: bw, h: box.h, cols: 1, rows: steps, rgba: px)]
        items.append(.path([[(bx, box.y), (bx + bw, box.y), (bx + bw, box.y + box.h), (bx, box.y + box.h)]], closed: true, stroke: .black, width: 0.8, dash: [], fill: nil))
        guard hi > lo else { return items }
        let m = AxisMap(scale: .linear, t0: lo, t1: hi, p0: box.y + box.h, p1: box.y)
        let ts = axisTicks(.linear, lo, hi, length: box.h) { e.measure($0, tickFont).h }.major
        items.append(.path(ts.map { [(bx + bw, m.pos($0.value)), (bx + bw + tickLength, m.pos($0.value))] }, closed: false, stroke: .black, width: 0.8, dash: [], fill: nil))
        for t in ts { items.append(.text(bx + bw + tickLength + tickPad, m.pos(t.value), t.label, size: tickFont, h: .left, v: .center, angle: 0, color: .black)) }
        return items
    }
}

/// A long polyline reduced to the first, lowest, highest and last point of each
/// point-wide column it crosses in order (the drawing looks the same; files stay small).
func decimated(_ pts: [Point]) -> [Point] {
    guard pts.count > 2000 else { return pts }
    var out: [Point] = []
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
