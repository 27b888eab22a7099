// Plot builtins: line plots, scatter, histograms and heat maps drawn in the
// terminal (braille / half blocks, colour only on a TTY without NO_COLOR) or
// written to .png / .svg files. The drawing itself is MLPPlot's.
import MLPLang
import MLPTensor
import MLPPlot

enum PlotLib {
    static func kw(_ name: String) -> Param { Param(name, DefaultValue.none, keywordOnly: true) }
    static let sizeParams = [Param("width", .number(60), keywordOnly: true), Param("height", .number(15), keywordOnly: true), kw("file")]
    static let axisParams = [kw("title"), kw("xlabel"), kw("ylabel")] + sizeParams

    static func register(_ r: inout Registry) {
        r.fn("plot", [p("x"), opt("y"), kw("labels")] + axisParams,
             doc: "Line plot of y (against 0, 1, ...) or of y against x; y may hold several series ([y1, y2] or the rows of a matrix); options labels, title, xlabel, ylabel, width, height, file (.png/.svg).",
             example: "xs = linspace(0, 2 * pi, 50); plot(xs, [sin(xs), cos(xs)], labels=[\"sin\", \"cos\"], title=\"waves\")") { a throws(MLPError) in
            try lines(a, .line)
        }
        r.fn("scatter", [p("x"), p("y"), kw("labels")] + axisParams,
             doc: "Scatter plot of points (x, y); several series as lists [x1, x2] and [y1, y2] (or one x for all); same options as plot.",
             example: "scatter(randn(100), randn(100), title=\"noise\")") { a throws(MLPError) in
            try lines(a, .scatter)
        }
        r.fn("hist", [p("xs"), Param("bins", .number(10), keywordOnly: true)] + axisParams,
             doc: "Histogram of the values in xs with bins equal bins over their range; same options as plot.",
             example: "hist(randn(1000), bins=20)") { a throws(MLPError) in
            let xs = try vector(a, a[0], at: 0)
            let bins = try a.int(1, in: 1...1000)
            var f = try figure(a)
            f.bars = Bars(values: xs, bins: bins)
            return try show(a, f)
        }
        r.fn("imshow", [p("matrix"), kw("title"), Param("width", .number(60), keywordOnly: true), kw("height"), kw("file")],
             doc: "Heat map of a matrix (half blocks in colour, a character ramp without; an image in .png/.svg); options title, width, height, file.",
             example: "imshow(outer(linspace(0, 1, 20), linspace(0, 1, 30)))") { a throws(MLPError) in
            let t = try a.untrackedTensor(0)
            guard t.ndim == 2, t.shape[0] > 0, t.shape[1] > 0 else { throw a.error("expected a non-empty matrix, got shape \(t.shape).", at: 0) }
            var f = try figure(a)
            f.heatmap = Heatmap(rows: t.shape[0], cols: t.shape[1], values: t.scalars)
            return try show(a, f)
        }
        r.fn("imshow_grid", [p("images"), p("rows"), p("cols"), kw("title"), Param("width", .number(60), keywordOnly: true), kw("height"), kw("file")],
             doc: "Images of an [n, h, w] tensor in a grid of rows x cols (one shared colour scale); options as imshow.",
             example: "imshow_grid(rand(6, 8, 8), 2, 3)") { a throws(MLPError) in
            let t = try a.untrackedTensor(0)
            guard t.ndim == 3, t.shape.allSatisfy({ $0 > 0 }) else { throw a.error("expected an [n, h, w] tensor of images, got shape \(t.shape).", at: 0) }
            let rows = try a.int(1, in: 1...100), cols = try a.int(2, in: 1...100)
            var f = try figure(a)
            f.heatmap = Heatmap(grid: t.scalars, count: t.shape[0], height: t.shape[1], width: t.shape[2], gridRows: rows, gridCols: cols)
            return try show(a, f)
        }
        r.fn("savefig", [p("path")], doc: "Writes the last figure drawn to a .png or .svg file.",
             example: "plot([3, 2, 1.5, 1.2]); savefig(\"loss.png\")") { a throws(MLPError) in
            guard let f = a.context.lastFigure else { throw a.error("there is no figure yet (draw one with plot, scatter, hist or imshow first).") }
            try save(a, f, try a.string(0), at: 0)
            return .nil
        }
    }

    /// plot and scatter.
    static func lines(_ a: Args, _ kind: Series.Kind) throws(MLPError) -> Value {
        // x: one vector shared by every series, or one per series (scatter of groups of points)
        var xs: [[Double]]?, ys: [[Double]]
        if a.isNil(1) { ys = try seriesList(a, a[0], at: 0) } else { xs = try seriesList(a, a[0], at: 0); ys = try seriesList(a, a[1], at: 1) }
        if let n = xs?.count, n != 1, n != ys.count {
            throw a.error("\(n) x series for \(ys.count) y series (give one x for all, or one per series).", at: 0)
        }
        if ys.isEmpty { throw a.error("nothing to plot (no series).", at: a.isNil(1) ? 0 : 1) }
        var labels: [String?] = Array(repeating: nil, count: ys.count)
        if !a.isNil(2) {
            let given: [Value]
            if case .list(let l) = a[2] { given = l.items } else { given = [a[2]] }
            guard given.count == ys.count else { throw a.error("\(given.count) label\(given.count == 1 ? "" : "s") for \(ys.count) series.", at: 2) }
            for (i, v) in given.enumerated() {
                guard case .string(let s) = v else { throw a.error("labels must be strings, got \(describeForError(v)).", at: 2) }
                labels[i] = s.s
            }
        }
        var f = try figure(a)
        for (i, y) in ys.enumerated() {
            if y.isEmpty { throw a.error("cannot plot an empty series.", at: a.isNil(1) ? 0 : 1) }
            let x = xs.map { $0.count == 1 ? $0[0] : $0[i] } ?? (0..<y.count).map(Double.init)
            guard x.count == y.count else { throw a.error("x has \(x.count) values but y has \(y.count).", at: 1) }
            f.series.append(Series(kind: kind, x: x, y: y, label: labels[i]))
        }
        return try show(a, f)
    }

    /// A figure with the options of the call (title, labels, size).
    static func figure(_ a: Args) throws(MLPError) -> Figure {
        var f = Figure()
        func index(_ name: String) -> Int? { a.fn.params.firstIndex { $0.name == name } }
        if let i = index("title"), !a.isNil(i) { f.title = try a.string(i) }
        if let i = index("xlabel"), !a.isNil(i) { f.xlabel = try a.string(i) }
        if let i = index("ylabel"), !a.isNil(i) { f.ylabel = try a.string(i) }
        if let i = index("width"), !a.isNil(i) {
            f.width = try a.int(i, in: 10...1000)   // characters
        }
        if let i = index("height") {
            if a.isNil(i) { f.height = 10_000 } else {
                f.height = try a.int(i, in: 2...1000)   // lines
            }
        }
        return f
    }

    /// Draws the figure in the terminal (or as an image in a notebook), or writes it to `file=`.
    static func show(_ a: Args, _ f: Figure) throws(MLPError) -> Value {
        a.context.lastFigure = f
        if let i = a.fn.params.firstIndex(where: { $0.name == "file" }), !a.isNil(i) {
            try save(a, f, try a.string(i), at: i)
        } else if let images = a.context.display as? FigureSink {
            images.show(f)
        } else {
            a.writeOutput(f.renderText(color: a.context.out.color), plot: true)
        }
        return .nil
    }

    static func save(_ a: Args, _ f: Figure, _ path: String, at i: Int) throws(MLPError) {
        let lower = path.lowercased()
        let bytes: [UInt8]
        if lower.hasSuffix(".png") { bytes = f.renderPNG() }
        else if lower.hasSuffix(".svg") { bytes = Array(f.renderSVG().utf8) }
        else { throw a.error("the file name must end in .png or .svg, got '\(path)'.", at: i) }
        if let err = writeFileAtomically(path, bytes) { throw a.error("cannot write '\(path)': \(err).", at: i) }
    }

    /// The numbers of a vector: list, range, number or 1-D tensor.
    static func vector(_ a: Args, _ v: Value, at i: Int) throws(MLPError) -> [Double] {
        let t = try tensor(a, v, at: i)
        guard t.ndim <= 1 else { throw a.error("expected a vector of numbers, got shape \(t.shape).", at: i) }
        return t.scalars
    }

    /// One or more series: a vector, a list of vectors, or the rows of a matrix.
    static func seriesList(_ a: Args, _ v: Value, at i: Int) throws(MLPError) -> [[Double]] {
        if case .list(let l) = v, l.items.contains(where: { if case .number = $0 { return false } else { return true } }) {
            var out: [[Double]] = []
            for item in l.items { out.append(try vector(a, item, at: i)) }
            return out
        }
        let t = try tensor(a, v, at: i)
        switch t.ndim {
        case 0, 1: return [t.scalars]
        case 2:
            let n = t.shape[1], s = t.scalars
            return (0..<t.shape[0]).map { Array(s[($0 * n)..<(($0 + 1) * n)]) }
        default: throw a.error("expected a vector, a list of vectors or a matrix, got shape \(t.shape).", at: i)
        }
    }

    static func tensor(_ a: Args, _ v: Value, at i: Int) throws(MLPError) -> Tensor {
        var v = v
        if case .range = v { v = .list(try a.interp.elements(of: v)) }
        switch v {
        case .object(let o as TensorValue): return o.t
        case .list, .number:
            do { return try TensorValue.fromNested(v) } catch { throw a.error(error.message, at: i) }
        default: throw a.error("expected numbers (a list, range or tensor), got \(describeForError(v)).", at: i)
        }
    }
}
