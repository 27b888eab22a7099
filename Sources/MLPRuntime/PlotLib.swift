// Plot builtins: line plots, scatter, error bars, fills, histograms, contours,
// arrows and images drawn in the terminal (braille / half blocks, colour only on
// a TTY without NO_COLOR) or written to .png / .svg / .pdf files (Cairo and Pango);
// figures of several plots (`figure(rows, cols)`, `fig[i].plot(...)`). The
// drawing itself is MLPPlot's.
import MLPLang
import MLPTensor
import MLPPlot

/// A figure of rows x cols plots that calls draw into (`fig[i].plot(...)`, `plot(..., ax=fig[i])`).
final class FigureValue: MLPObject {
    var figure: Figure
    init(_ f: Figure) { figure = f }
    override var typeName: String { "figure" }
    override func description(_ interp: Interpreter) -> String { "<figure \(figure.gridRows)x\(figure.gridCols)>" }
    override var fieldNames: [String] { ["rows", "cols", "savefig", "show"] + PlotLib.axesMethods }
    override var length: Int? { figure.panels.count }
    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        var k: [Int] = []
        for it in items {
            guard case .value(.number(let d)) = it, d == d.rounded(), abs(d) < 1e9 else { throw MLPError.runtime("a figure is indexed by panel numbers: fig[i] or fig[row, col].") }
            k.append(Int(d))
        }
        let n = figure.panels.count
        var i: Int
        if k.count == 1 { i = k[0] < 0 ? k[0] + n : k[0] }
        else if k.count == 2 {
            guard k[0] >= 0, k[0] < figure.gridRows, k[1] >= 0, k[1] < figure.gridCols else {
                throw MLPError.runtime("panel [\(k[0]), \(k[1])] is outside the figure's \(figure.gridRows) x \(figure.gridCols) grid.")
            }
            i = k[0] * figure.gridCols + k[1]
        } else { throw MLPError.runtime("a figure is indexed by panel numbers: fig[i] or fig[row, col].") }
        guard i >= 0, i < n else { throw MLPError.runtime("panel \(k[0]) is outside the figure's \(n) panels (0 to \(n - 1)).") }
        return .object(AxesValue(self, i))
    }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "rows": return .number(Double(figure.gridRows))
        case "cols": return .number(Double(figure.gridCols))
        case "savefig":
            return boundMethod("savefig", PlotLib.savefigParams) { a throws(MLPError) in
                try PlotLib.savefig(a, self.figure); return .nil
            }
        case "show":
            return boundMethod("show", []) { a throws(MLPError) in try PlotLib.show(a, self.figure) }
        default:
            // fig.plot(...) draws into the first panel
            return try AxesValue(self, 0).field(name, interp)
        }
    }
}

/// One panel of a figure.
final class AxesValue: MLPObject {
    let owner: FigureValue
    let panel: Int
    init(_ f: FigureValue, _ i: Int) { owner = f; panel = i }
    override var typeName: String { "axes" }
    override func description(_ interp: Interpreter) -> String { "<axes \(panel) of figure \(owner.figure.gridRows)x\(owner.figure.gridCols)>" }
    override var fieldNames: [String] { PlotLib.axesMethods }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        guard let (params, body) = PlotLib.drawers[name] else { return nil }
        return boundMethod(name, params) { a throws(MLPError) in try body(a, self) }
    }
}

enum PlotLib {
    static func kw(_ name: String) -> Param { Param(name, DefaultValue.none, keywordOnly: true) }
    /// Terminal size in characters, or pixels and inches of a file.
    static let sizeParams = [kw("width"), kw("height"), kw("size"), kw("dpi"), kw("file")]
    static let axesParams = [kw("title"), kw("xlabel"), kw("ylabel"), kw("xlim"), kw("ylim"), kw("xscale"), kw("yscale"), kw("grid"), kw("aspect"), kw("legend"), kw("ax")]
    static let axisParams = axesParams + sizeParams
    static let styleParams = [kw("color"), kw("marker"), kw("linestyle"), kw("linewidth"), kw("markersize"), kw("alpha")]
    static let savefigParams = [p("path"), kw("dpi"), kw("size"), kw("width"), kw("height")]
    static let cmapParams = [Param("cmap", .string("viridis"), keywordOnly: true), kw("vmin"), kw("vmax")]

    typealias Drawer = (Args, AxesValue?) throws(MLPError) -> Value

    /// The builtins that draw into an axes, by name: their parameters and bodies.
    nonisolated(unsafe) static let drawers: [String: ([Param], Drawer)] = [
        "plot": (plotParams, { a, ax throws(MLPError) in try lines(a, .line, ax) }),
        "scatter": (scatterParams, { a, ax throws(MLPError) in try lines(a, .scatter, ax) }),
        "errorbar": (errorbarParams, { a, ax throws(MLPError) in try errorbar(a, ax) }),
        "fill_between": (fillParams, { a, ax throws(MLPError) in try fillBetween(a, ax) }),
        "hist": (histParams, { a, ax throws(MLPError) in try hist(a, ax) }),
        "contour": (contourParams, { a, ax throws(MLPError) in try contour(a, ax, filled: false) }),
        "contourf": (contourParams, { a, ax throws(MLPError) in try contour(a, ax, filled: true) }),
        "quiver": (quiverParams, { a, ax throws(MLPError) in try quiver(a, ax) }),
        "imshow": (imshowParams, { a, ax throws(MLPError) in try imshow(a, ax) }),
        "set": (axisParams, { a, ax throws(MLPError) in try draw(a, ax) { _ throws(MLPError) in } }),
    ]
    static let axesMethods = ["plot", "scatter", "errorbar", "fill_between", "hist", "contour", "contourf", "quiver", "imshow", "set"]

    static let plotParams = [p("x"), opt("y"), kw("labels"), kw("label")] + styleParams + axisParams
    static let scatterParams = [p("x"), p("y"), kw("labels"), kw("label")] + styleParams + axisParams
    static let errorbarParams = [p("x"), p("y"), kw("yerr"), kw("xerr"), Param("fmt", .string(""), keywordOnly: true), Param("capsize", .number(0), keywordOnly: true), kw("label")] + styleParams + axisParams
    static let fillParams = [p("x"), p("y1"), Param("y2", .number(0)), kw("label"), kw("color"), kw("alpha")] + axisParams
    static let histParams = [p("xs"), Param("bins", .number(10), keywordOnly: true), Param("density", .bool(false), keywordOnly: true), kw("label"), kw("color"), kw("alpha")] + axisParams
    static let contourParams = [p("x"), opt("y"), opt("z"), kw("levels"), Param("cmap", .string("viridis"), keywordOnly: true), kw("colorbar"), kw("linewidth")] + axisParams
    static let quiverParams = [p("x"), p("y"), p("u"), p("v"), kw("color"), kw("label")] + axisParams
    static let imshowParams = [p("matrix"), kw("extent")] + cmapParams + [Param("colorbar", .bool(true), keywordOnly: true)] + axisParams

    static func register(_ r: inout Registry) {
        r.fn("plot", plotParams,
             doc: "Line plot of y (against 0, 1, ...) or of y against x; y may hold several series ([y1, y2] or the rows of a matrix); options labels (or label), color, marker, linestyle (\"-\", \"--\", \":\", \"-.\", \"none\"), linewidth, markersize, alpha (one or a list per series), title, xlabel, ylabel (any Unicode: ħω, ψ₀), xlim, ylim ([lo, hi]), xscale, yscale (\"linear\", \"log\", \"symlog\"), grid, aspect (\"equal\"), legend (\"best\", \"upper left\", ..., \"none\"), ax (a panel of a figure), width, height (characters in the terminal, pixels in a file), size ([w, h] inches), dpi, file (.png, .svg or .pdf).",
             example: "xs = linspace(0, 2 * pi, 50); plot(xs, [sin(xs), cos(xs)], labels=[\"sin\", \"cos\"], title=\"waves\")") { a throws(MLPError) in
            try lines(a, .line, nil)
        }
        r.fn("scatter", scatterParams,
             doc: "Scatter plot of points (x, y); several series as lists [x1, x2] and [y1, y2] (or one x for all), each with the next colour and marker (o s ^ D v * p h < > X P); same options as plot.",
             example: "scatter(randn(100), randn(100), title=\"noise\")") { a throws(MLPError) in
            try lines(a, .scatter, nil)
        }
        r.fn("errorbar", errorbarParams,
             doc: "Points y at x with error bars: yerr (and xerr) a number, a vector, or [lower, upper] vectors; fmt as matplotlib's (\"o\", \"s--\", \"o-\"; default a line), capsize in points; other options as plot.",
             example: "x = arange(1, 6); errorbar(x, 1 / x, yerr=0.05 * ones(5), fmt=\"o\", capsize=3, title=\"E(L)\")") { a throws(MLPError) in
            try errorbar(a, nil)
        }
        r.fn("fill_between", fillParams,
             doc: "Fills the area between y1 and y2 (a number or a vector; default 0) over x; options label, color, alpha and those of plot.",
             example: "x = linspace(0, 1, 20); fill_between(x, x - 0.1, x + 0.1, alpha=0.3)") { a throws(MLPError) in
            try fillBetween(a, nil)
        }
        r.fn("hist", histParams,
             doc: "Histogram of the values in xs: bins equal bins over their range, or bins=[edges] (increasing; the last bin includes its right edge); density=true divides by n x width (area 1); options label, color, alpha and those of plot.",
             example: "hist(randn(1000), bins=20)") { a throws(MLPError) in
            try hist(a, nil)
        }
        r.fn("contour", contourParams,
             doc: "Contour lines of z, a matrix [len(y), len(x)] (z[i, j] at x[j], y[i]), or contour(z) over its indices; levels a count (default 7 round values) or a list; cmap colours them; options as plot.",
             example: "x = linspace(-2, 2, 40); z = outer(x, ones(40))^2 + outer(ones(40), x)^2; contour(x, x, z)") { a throws(MLPError) in
            try contour(a, nil, filled: false)
        }
        r.fn("contourf", contourParams,
             doc: "Filled contours of z between round levels (loss landscapes); options as contour, with colorbar (default true).",
             example: "x = linspace(-2, 2, 40); contourf(x, x, outer(x, ones(40))^2 + outer(ones(40), x)^2, cmap=\"magma\")") { a throws(MLPError) in
            try contour(a, nil, filled: true)
        }
        r.fn("quiver", quiverParams,
             doc: "Arrows (u, v) at points (x, y) (vectors, or matrices of a grid), scaled so that the longest is about the spacing of the points: gradient fields; options color, label and those of plot.",
             example: "g = linspace(-1, 1, 9); X = outer(ones(9), g); Y = outer(g, ones(9)); quiver(X, Y, -Y, X)") { a throws(MLPError) in
            try quiver(a, nil)
        }
        r.fn("imshow", imshowParams,
             doc: "An image: a matrix drawn through a colour map (cmap: viridis, magma, inferno, plasma, cividis, RdBu, coolwarm, gray, Greys, hot, jet, ...; name_r reversed; vmin, vmax) with a colour bar (colorbar=false: none), or an [h, w, 3|4] tensor of RGB(A) values in 0...1 (load_image); extent=[left, right, bottom, top] puts it in data units; row 0 is on top. In the terminal: half blocks in colour, a character ramp without.",
             example: "imshow(outer(linspace(0, 1, 20), linspace(0, 1, 30)), cmap=\"magma\")") { a throws(MLPError) in
            try imshow(a, nil)
        }
        r.fn("imshow_grid", [p("images"), p("rows"), p("cols"), kw("titles")] + cmapParams + [kw("title"), kw("width"), kw("height"), kw("size"), kw("dpi"), kw("file")],
             doc: "Images of an [n, h, w] tensor in a grid of rows x cols with one colour scale (vmin, vmax: the data's unless given), titles a list of one per image; options as imshow.",
             example: "imshow_grid(rand(6, 8, 8), 2, 3, titles=[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"])") { a throws(MLPError) in
            try imshowGrid(a)
        }
        r.fn("figure", [Param("rows", .number(1)), Param("cols", .number(1)), kw("title"), Param("sharex", .bool(false), keywordOnly: true), Param("sharey", .bool(false), keywordOnly: true), kw("size"), kw("width"), kw("height"), kw("dpi")],
             doc: "A figure of rows x cols plots: fig[i] (or fig[row, col]) is a panel with the methods plot, scatter, errorbar, fill_between, hist, contour, contourf, quiver, imshow and set (title, xlabel, xlim, xscale, ...), each drawing into it (plot(..., ax=fig[i]) too); sharex/sharey give the panels one range; fig.savefig(path) writes it, fig.show() draws it; size [w, h] in inches (or width, height in pixels), title above all.",
             example: "fig = figure(1, 2, size=[8, 3]); fig[0].plot([1, 4, 9]); fig[1].hist(randn(500)); fig.savefig(\"/tmp/two.png\")") { a throws(MLPError) in
            let rows = try a.int(0, in: 1...20), cols = try a.int(1, in: 1...20)
            var f = Figure()
            f.gridRows = rows; f.gridCols = cols
            f.panels = Array(repeating: Figure(), count: rows * cols)
            if !a.isNil(2) { f.title = try a.string(2) }
            f.sharex = try a.bool(3); f.sharey = try a.bool(4)
            f.size = (6.4, 4.8)
            try fileSize(a, &f, size: 5, width: 6, height: 7, dpi: 8)
            let v = FigureValue(f)
            a.context.lastFigure = f
            return .object(v)
        }
        r.fn("savefig", savefigParams, doc: "Writes the last figure drawn to a .png (dpi=, default 100), .svg or .pdf file; size=[w, h] inches (or width, height in pixels).",
             example: "plot([3, 2, 1.5, 1.2]); savefig(\"loss.png\")") { a throws(MLPError) in
            guard let f = a.context.lastFigure else { throw a.error("there is no figure yet (draw one with plot, scatter, hist or imshow first).") }
            try savefig(a, f)
            return .nil
        }
        r.fn("load_image", [p("path")],
             doc: "Reads a PNG file into a tensor [h, w, 3] (RGB) or [h, w, 4] (with transparency) of values in 0...1, row 0 on top; grey images come as RGB.",
             example: "img = load_image(\"smiley.png\"); imshow(img)") { a throws(MLPError) in
            let path = try a.string(0)
            if !path.lowercased().hasSuffix(".png") { throw a.error("only PNG files are read, got '\(path)' (convert it to PNG first).", at: 0) }
            switch loadPNG(path) {
            case .failure(let e): throw a.error(e.message + ".", at: 0)
            case .success(let img):
                return try a.newTensor(at: 0) { try Tensor(img.values, shape: [img.height, img.width, img.channels]) }
            }
        }
    }

    // MARK: drawing into a figure

    static func index(_ a: Args, _ name: String) -> Int? {
        guard let i = a.fn.params.firstIndex(where: { $0.name == name }), !a.isNil(i) else { return nil }
        return i
    }

    /// The axes a call draws into (the bound one, or ax=), its figure with the call's
    /// options applied, the content added by `build`; then drawn, written or kept.
    static func draw(_ a: Args, _ bound: AxesValue?, _ build: (inout Figure) throws(MLPError) -> Void) throws(MLPError) -> Value {
        var target = bound
        if target == nil, let i = index(a, "ax") {
            guard case .object(let o as AxesValue) = a[i] else { throw a.typeError(i, "a panel of a figure (fig[i])") }
            target = o
        }
        var f = target.map { $0.owner.figure.panels[$0.panel] } ?? Figure()
        try options(a, &f)
        try build(&f)
        guard let ax = target else { return try show(a, f) }
        ax.owner.figure.panels[ax.panel] = f
        a.context.lastFigure = ax.owner.figure
        if let i = index(a, "file") {
            var whole = ax.owner.figure
            try fileSize(a, &whole, size: index(a, "size"), width: index(a, "width"), height: index(a, "height"), dpi: index(a, "dpi"))
            try save(a, whole, try a.string(i), at: i)
        }
        return .nil
    }

    /// The axes options of a call: title, labels, limits, scales, grid, aspect, legend; terminal size.
    static func options(_ a: Args, _ f: inout Figure) throws(MLPError) {
        if let i = index(a, "title") { f.title = try a.string(i) }
        if let i = index(a, "xlabel") { f.xlabel = try a.string(i) }
        if let i = index(a, "ylabel") { f.ylabel = try a.string(i) }
        if let i = index(a, "xscale") { f.xscale = try scale(a, i) }
        if let i = index(a, "yscale") { f.yscale = try scale(a, i) }
        if let i = index(a, "xlim") { f.xlim = try limits(a, i, f.xscale) }
        if let i = index(a, "ylim") { f.ylim = try limits(a, i, f.yscale) }
        if let i = index(a, "grid") { f.grid = try a.bool(i) }
        if let i = index(a, "aspect") {
            let s = try a.string(i)
            guard s == "equal" || s == "auto" else { throw a.error("aspect must be \"equal\" or \"auto\", got \"\(s)\".", at: i) }
            f.aspect = s
        }
        if let i = index(a, "legend") {
            let places = ["best", "upper right", "upper left", "lower left", "lower right", "right", "center left", "center right", "lower center", "upper center", "center", "none"]
            if case .bool(let b) = a[i] { f.legend = b ? "best" : "none" } else {
                let s = try a.string(i)
                guard places.contains(s) else { throw a.error("legend must be one of \(places.map { "\"\($0)\"" }.joined(separator: ", ")) or true/false, got \"\(s)\".", at: i) }
                f.legend = s
            }
        }
        // width and height: characters in the terminal, pixels in a file (fileSize)
        if index(a, "file") == nil {
            if let i = index(a, "width") { f.width = try a.int(i, in: 10...1000) }
            if let i = index(a, "height") { f.height = try a.int(i, in: 2...1000) }
        }
        if let i = index(a, "size") { f.size = try inches(a, i) }
        if let i = index(a, "dpi") { f.dpi = try dpi(a, i) }
    }

    static func scale(_ a: Args, _ i: Int) throws(MLPError) -> Scale {
        switch try a.string(i) {
        case "linear": return .linear
        case "log": return .log
        case "symlog": return .symlog(1)
        case let s: throw a.error("\(a.paramName(i)) must be \"linear\", \"log\" or \"symlog\", got \"\(s)\".", at: i)
        }
    }

    static func limits(_ a: Args, _ i: Int, _ s: Scale) throws(MLPError) -> (Double, Double) {
        let v = try vector(a, a[i], at: i)
        guard v.count == 2, v[0].isFinite, v[1].isFinite, v[0] != v[1] else {
            throw a.error("\(a.paramName(i)) must be two different finite numbers [lo, hi], got \(v.count == 2 ? "[\(formatNumber(v[0])), \(formatNumber(v[1]))]" : "\(v.count) numbers").", at: i)
        }
        if s == .log && (v[0] <= 0 || v[1] <= 0) { throw a.error("\(a.paramName(i)) of a log axis must be positive, got [\(formatNumber(v[0])), \(formatNumber(v[1]))].", at: i) }
        return (v[0], v[1])
    }

    static func inches(_ a: Args, _ i: Int) throws(MLPError) -> (Double, Double) {
        let v = try vector(a, a[i], at: i)
        guard v.count == 2, v.allSatisfy({ $0 >= 0.5 && $0 <= 100 }) else { throw a.error("size must be [width, height] in inches, each from 0.5 to 100.", at: i) }
        return (v[0], v[1])
    }

    static func dpi(_ a: Args, _ i: Int) throws(MLPError) -> Double {
        let d = try a.number(i)
        guard d >= 10 && d <= 1200 else { throw a.error("dpi must be between 10 and 1200, got \(formatNumber(d)).", at: i) }
        return d
    }

    /// A file's size: size= in inches, or width=/height= in pixels at the dpi.
    static func fileSize(_ a: Args, _ f: inout Figure, size: Int?, width: Int?, height: Int?, dpi d: Int?) throws(MLPError) {
        if let i = d, !a.isNil(i) { f.dpi = try dpi(a, i) }
        if let i = size, !a.isNil(i) { f.size = try inches(a, i) }
        if let i = width, !a.isNil(i) { f.size.0 = Double(try a.int(i, in: 16...20000)) / f.dpi }
        if let i = height, !a.isNil(i) { f.size.1 = Double(try a.int(i, in: 16...20000)) / f.dpi }
        if f.size.0 * f.dpi * f.size.1 * f.dpi > 1e8 { throw a.error("a figure of \(Int(f.size.0 * f.dpi)) x \(Int(f.size.1 * f.dpi)) pixels is too large (at most 10^8 pixels).") }
    }

    static func savefig(_ a: Args, _ f: Figure) throws(MLPError) {
        var f = f
        try fileSize(a, &f, size: index(a, "size"), width: index(a, "width"), height: index(a, "height"), dpi: index(a, "dpi"))
        try save(a, f, try a.string(0), at: 0)
    }

    // MARK: the kinds of plot

    /// plot and scatter.
    static func lines(_ a: Args, _ kind: Series.Kind, _ ax: AxesValue?) throws(MLPError) -> Value {
        // x: one vector shared by every series, or one per series (scatter of groups of points)
        var xs: [[Double]]?, ys: [[Double]]
        if a.isNil(1) { ys = try seriesList(a, a[0], at: 0) } else { xs = try seriesList(a, a[0], at: 0); ys = try seriesList(a, a[1], at: 1) }
        if let n = xs?.count, n != 1, n != ys.count {
            throw a.error("\(n) x series for \(ys.count) y series (give one x for all, or one per series).", at: 0)
        }
        if ys.isEmpty { throw a.error("nothing to plot (no series).", at: a.isNil(1) ? 0 : 1) }
        let labels = try seriesLabels(a, ys.count)
        var all: [Series] = []
        for (i, y) in ys.enumerated() {
            if y.isEmpty { throw a.error("cannot plot an empty series.", at: a.isNil(1) ? 0 : 1) }
            let x = xs.map { $0.count == 1 ? $0[0] : $0[i] } ?? (0..<y.count).map(Double.init)
            guard x.count == y.count else { throw a.error("x has \(x.count) values but y has \(y.count).", at: 1) }
            all.append(Series(kind: kind, x: x, y: y, label: labels[i]))
        }
        try style(a, &all)
        return try draw(a, ax) { f throws(MLPError) in for s in all { f.add(s) } }
    }

    /// labels= (one a series) or label= (one series).
    static func seriesLabels(_ a: Args, _ n: Int) throws(MLPError) -> [String?] {
        var labels: [String?] = Array(repeating: nil, count: n)
        if let i = index(a, "labels") ?? index(a, "label") {
            let given: [Value]
            if case .list(let l) = a[i] { given = l.items } else { given = [a[i]] }
            guard given.count == n else { throw a.error("\(given.count) label\(given.count == 1 ? "" : "s") for \(n) series.", at: i) }
            for (k, v) in given.enumerated() {
                guard case .string(let s) = v else { throw a.error("labels must be strings, got \(describeForError(v)).", at: i) }
                labels[k] = s.s
            }
        }
        return labels
    }

    /// One value of a style option for each series: a single value for all, or a list of one a series.
    static func perSeries(_ a: Args, _ name: String, _ n: Int) throws(MLPError) -> [Value]? {
        guard let i = index(a, name) else { return nil }
        if case .list(let l) = a[i], name == "color" || name == "marker" || name == "linestyle" || l.items.count == n && n > 1 {
            if case .number = l.items.first, name == "color" { return Array(repeating: a[i], count: n) }   // an [r, g, b] colour
            guard l.items.count == n else { throw a.error("\(l.items.count) values for \(n) series (give one for all, or one per series).", at: i) }
            return l.items
        }
        return Array(repeating: a[i], count: n)
    }

    /// color, marker, linestyle, linewidth, markersize and alpha of the series.
    static func style(_ a: Args, _ ss: inout [Series]) throws(MLPError) {
        let n = ss.count
        if let vs = try perSeries(a, "color", n) { for k in 0..<n { ss[k].color = try color(a, vs[k], at: index(a, "color")!) } }
        if let vs = try perSeries(a, "marker", n) {
            let i = index(a, "marker")!
            for k in 0..<n {
                guard case .string(let s) = vs[k] else { throw a.error("marker must be a string, got \(describeForError(vs[k])).", at: i) }
                if s.s == "none" || s.s == "" { ss[k].marker = nil; continue }
                guard let m = Marker(rawValue: s.s) else { throw a.error("unknown marker \"\(s.s)\" (one of \(Marker.allCases.map(\.rawValue).joined(separator: " ")), or \"none\").", at: i) }
                ss[k].marker = m
            }
        }
        if let vs = try perSeries(a, "linestyle", n) {
            let i = index(a, "linestyle")!
            for k in 0..<n {
                guard case .string(let s) = vs[k], isLineStyle(s.s) else { throw a.error("linestyle must be \"-\", \"--\", \":\", \"-.\" (solid, dashed, dotted, dashdot) or \"none\", got \(describeForError(vs[k])).", at: i) }
                ss[k].lineStyle = s.s
            }
        }
        for (name, range) in [("linewidth", 0.0...50.0), ("markersize", 0.0...100.0), ("alpha", 0.0...1.0)] {
            guard let vs = try perSeries(a, name, n) else { continue }
            let i = index(a, name)!
            for k in 0..<n {
                guard case .number(let d) = vs[k], range.contains(d) else { throw a.error("\(name) must be a number from \(formatNumber(range.lowerBound)) to \(formatNumber(range.upperBound)), got \(describeForError(vs[k])).", at: i) }
                switch name {
                case "linewidth": ss[k].lineWidth = d
                case "markersize": ss[k].markerSize = d
                default: ss[k].alpha = d
                }
            }
        }
    }

    static let namedColors: [String: String] = [
        "b": "#1f77b4", "g": "#2ca02c", "r": "#d62728", "c": "#17becf", "m": "#e377c2", "y": "#bcbd22", "k": "#000000", "w": "#ffffff",
        "blue": "#0000ff", "green": "#008000", "red": "#ff0000", "cyan": "#00ffff", "magenta": "#ff00ff", "yellow": "#ffff00", "black": "#000000",
        "white": "#ffffff", "orange": "#ffa500", "purple": "#800080", "brown": "#a52a2a", "pink": "#ffc0cb", "gray": "#808080", "grey": "#808080",
        "olive": "#808000", "navy": "#000080", "teal": "#008080", "maroon": "#800000", "gold": "#ffd700", "darkred": "#8b0000",
        "darkblue": "#00008b", "darkgreen": "#006400", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3", "crimson": "#dc143c",
    ]

    /// A colour: a name (matplotlib's basic and one-letter ones), "C0".."C9" (the cycle), "#rrggbb" or [r, g, b] in 0...1.
    static func color(_ a: Args, _ v: Value, at i: Int) throws(MLPError) -> RGBA {
        if case .string(let s) = v {
            let t = s.s
            if t.count == 2, t.hasPrefix("C"), let k = Int(String(t.dropFirst())) { return tab10[k] }
            if let h = namedColors[t.lowercased()] { return RGBA(hex: h) }
            if t.hasPrefix("#"), t.count == 7, t.dropFirst().allSatisfy({ $0.isHexDigit }) { return RGBA(hex: t) }
            throw a.error("unknown colour \"\(t)\" (a name such as \"red\", \"C0\"..\"C9\", \"#1f77b4\" or [r, g, b]).", at: i)
        }
        let c = try vector(a, v, at: i)
        guard c.count == 3 || c.count == 4, c.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw a.error("a colour [r, g, b] needs 3 (or 4) numbers in 0...1.", at: i) }
        return RGBA(c[0], c[1], c[2], c.count == 4 ? c[3] : 1)
    }

    /// An error bar argument: a number, a vector of n, or [lower, upper] (2 x n).
    static func errors(_ a: Args, _ i: Int, _ n: Int) throws(MLPError) -> [(Double, Double)] {
        if case .number(let d) = a[i] {
            guard d >= 0 else { throw a.error("\(a.paramName(i)) must not be negative.", at: i) }
            return Array(repeating: (d, d), count: n)
        }
        let t = try tensor(a, a[i], at: i)
        let s = t.scalars
        guard s.allSatisfy({ !($0 < 0) }) else { throw a.error("\(a.paramName(i)) must not be negative.", at: i) }
        if t.ndim <= 1 && s.count == n { return s.map { ($0, $0) } }
        if t.ndim == 2 && t.shape == [2, n] { return (0..<n).map { (s[$0], s[n + $0]) } }
        throw a.error("\(a.paramName(i)) must be a number, \(n) values or [lower, upper] of \(n) each, got shape \(t.shape).", at: i)
    }

    static func errorbar(_ a: Args, _ ax: AxesValue?) throws(MLPError) -> Value {
        let x = try vector(a, a[0], at: 0), y = try vector(a, a[1], at: 1)
        guard x.count == y.count, !x.isEmpty else { throw a.error("x has \(x.count) values but y has \(y.count).", at: 1) }
        var s = Series(kind: .errorbar, x: x, y: y)
        if let i = index(a, "yerr") { s.yerr = try errors(a, i, x.count) }
        if let i = index(a, "xerr") { s.xerr = try errors(a, i, x.count) }
        // fmt: [marker][line][colour] as matplotlib's ("o", "s--", "ro-"); "" a line
        var fmt = try a.string(4)
        s.lineStyle = "none"
        for ls in ["--", "-.", "-", ":"] where fmt.contains(ls) {
            s.lineStyle = ls
            fmt = fmt.replacingOccurrences(ls)
            break
        }
        for ch in fmt {
            if let m = Marker(rawValue: String(ch)) { s.marker = m }
            else if let h = namedColors[String(ch)] { s.color = RGBA(hex: h) }
            else { throw a.error("unknown format character '\(ch)' in fmt (markers o s ^ D v * ..., lines - -- : -., colours b g r c m y k).", at: 4) }
        }
        if try a.string(4).isEmpty { s.lineStyle = "-" }
        let cap = try a.number(5)
        guard cap >= 0 && cap <= 100 else { throw a.error("capsize must be from 0 to 100 points, got \(formatNumber(cap)).", at: 5) }
        s.capsize = cap
        s.label = try seriesLabels(a, 1)[0]
        var all = [s]
        try style(a, &all)
        return try draw(a, ax) { f throws(MLPError) in f.add(all[0]) }
    }

    static func fillBetween(_ a: Args, _ ax: AxesValue?) throws(MLPError) -> Value {
        let x = try vector(a, a[0], at: 0), y1 = try vector(a, a[1], at: 1)
        guard x.count == y1.count, !x.isEmpty else { throw a.error("x has \(x.count) values but y1 has \(y1.count).", at: 1) }
        let y2: [Double]
        if case .number(let d) = a[2] { y2 = Array(repeating: d, count: x.count) } else {
            y2 = try vector(a, a[2], at: 2)
            guard y2.count == x.count else { throw a.error("x has \(x.count) values but y2 has \(y2.count).", at: 2) }
        }
        var s = Series(kind: .fill, x: x, y: y1)
        s.y2 = y2
        s.label = try seriesLabels(a, 1)[0]
        var all = [s]
        try style(a, &all)
        return try draw(a, ax) { f throws(MLPError) in f.add(all[0]) }
    }

    static func hist(_ a: Args, _ ax: AxesValue?) throws(MLPError) -> Value {
        let xs = try vector(a, a[0], at: 0)
        let density = try a.bool(2)
        var b: Bars
        if case .number = a[1] {
            let bins = try a.int(1, in: 1...1000)
            b = Bars(values: xs, bins: bins)
            if density { b = Bars(values: xs, edges: b.edges, density: true) }
        } else {
            let edges = try vector(a, a[1], at: 1)
            guard edges.count >= 2, edges.count <= 100_001, edges.allSatisfy({ $0.isFinite }), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw a.error("bins must be a count or at least two increasing finite edges.", at: 1)
            }
            b = Bars(values: xs, edges: edges, density: density)
        }
        if let i = index(a, "label") { b.label = try a.string(i) }
        if let i = index(a, "color") { b.color = try color(a, a[i], at: i) }
        if let i = index(a, "alpha") {
            let d = try a.number(i)
            guard d >= 0 && d <= 1 else { throw a.error("alpha must be a number from 0 to 1, got \(formatNumber(d)).", at: i) }
            b.alpha = d
        }
        return try draw(a, ax) { f throws(MLPError) in f.add(b) }
    }

    static func contour(_ a: Args, _ ax: AxesValue?, filled: Bool) throws(MLPError) -> Value {
        let zi = a.isNil(1) ? 0 : 2
        if !a.isNil(1) && a.isNil(2) { throw a.error("give z as well: contour(x, y, z), or contour(z) alone.", at: 1) }
        let zt = try tensor(a, a[zi], at: zi)
        guard zt.ndim == 2, zt.shape[0] >= 2, zt.shape[1] >= 2 else { throw a.error("z must be a matrix of at least 2 x 2, got shape \(zt.shape).", at: zi) }
        let ny = zt.shape[0], nx = zt.shape[1]
        var x = (0..<nx).map(Double.init), y = (0..<ny).map(Double.init)
        if zi == 2 {
            x = try vector(a, a[0], at: 0); y = try vector(a, a[1], at: 1)
            guard x.count == nx else { throw a.error("x has \(x.count) values but z has \(nx) columns.", at: 0) }
            guard y.count == ny else { throw a.error("y has \(y.count) values but z has \(ny) rows.", at: 1) }
        }
        let z = zt.scalars
        var levels: [Double]
        if let i = index(a, "levels") {
            if case .number = a[i] { levels = contourLevels(z, count: try a.int(i, in: 1...100), filled: filled) } else {
                levels = try vector(a, a[i], at: i)
                guard !levels.isEmpty, levels.allSatisfy({ $0.isFinite }), zip(levels, levels.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw a.error("levels must be a count or increasing finite values.", at: i)
                }
            }
        } else { levels = contourLevels(z, count: 7, filled: filled) }
        var c = ContourSet(x: x, y: y, z: z, levels: levels, filled: filled)
        c.cmap = try cmap(a)
        c.colorbar = try index(a, "colorbar").map { i throws(MLPError) in try a.bool(i) } ?? filled
        if let i = index(a, "linewidth") { c.lineWidth = try a.number(i) }
        return try draw(a, ax) { f throws(MLPError) in f.contours.append(c) }
    }

    static func cmap(_ a: Args) throws(MLPError) -> String {
        guard let i = index(a, "cmap") else { return "viridis" }
        let name = try a.string(i)
        guard Colormap(name) != nil else { throw a.error("unknown colour map \"\(name)\" (one of \(Colormap.names.joined(separator: ", ")); name_r reversed).", at: i) }
        return name
    }

    static func quiver(_ a: Args, _ ax: AxesValue?) throws(MLPError) -> Value {
        var vs: [[Double]] = []
        for i in 0..<4 { vs.append(try tensor(a, a[i], at: i).scalars) }
        guard vs.allSatisfy({ $0.count == vs[0].count }), !vs[0].isEmpty else {
            throw a.error("x, y, u and v must have the same number of values, got \(vs.map { String($0.count) }.joined(separator: ", ")).")
        }
        var s = Series(kind: .quiver, x: vs[0], y: vs[1])
        s.u = vs[2]; s.v = vs[3]
        if let i = index(a, "color") { s.color = try color(a, a[i], at: i) }
        if let i = index(a, "label") { s.label = try a.string(i) }
        return try draw(a, ax) { f throws(MLPError) in f.add(s) }
    }

    /// A matrix, or an [h, w, 3|4] RGB(A) image.
    static func heatmap(_ a: Args, _ t: Tensor, at i: Int) throws(MLPError) -> Heatmap {
        if t.ndim == 3, t.shape[0] > 0, t.shape[1] > 0, t.shape[2] == 3 || t.shape[2] == 4 {
            let (h, w, c) = (t.shape[0], t.shape[1], t.shape[2]), s = t.scalars
            var m = Heatmap(rows: h, cols: w, values: (0..<(h * w)).map { 0.299 * s[$0 * c] + 0.587 * s[$0 * c + 1] + 0.114 * s[$0 * c + 2] })
            m.rgb = s; m.channels = c; m.colorbar = false
            m.vmin = 0; m.vmax = 1
            return m
        }
        guard t.ndim == 2, t.shape[0] > 0, t.shape[1] > 0 else { throw a.error("expected a non-empty matrix, got shape \(t.shape).", at: i) }
        return Heatmap(rows: t.shape[0], cols: t.shape[1], values: t.scalars)
    }

    static func colourRange(_ a: Args, _ h: inout Heatmap) throws(MLPError) {
        h.cmap = try cmap(a)
        if let i = index(a, "vmin") { h.vmin = try a.number(i) }
        if let i = index(a, "vmax") { h.vmax = try a.number(i) }
        if let lo = h.vmin, let hi = h.vmax, !(lo < hi) { throw a.error("vmin must be below vmax, got \(formatNumber(lo)) and \(formatNumber(hi)).", at: index(a, "vmax")) }
    }

    static func imshow(_ a: Args, _ ax: AxesValue?) throws(MLPError) -> Value {
        var h = try heatmap(a, try a.untrackedTensor(0), at: 0)
        if h.rgb == nil { try colourRange(a, &h); h.colorbar = try a.bool(index(a, "colorbar") ?? 5) }
        if let i = index(a, "extent") {
            let e = try vector(a, a[i], at: i)
            guard e.count == 4, e.allSatisfy({ $0.isFinite }), e[0] != e[1], e[2] != e[3] else { throw a.error("extent must be [left, right, bottom, top] (finite, left != right, bottom != top).", at: i) }
            h.extent = e
        }
        return try draw(a, ax) { f throws(MLPError) in
            f.heatmap = h
            if f.height == 15 && index(a, "height") == nil { f.height = 10_000 }
        }
    }

    static func imshowGrid(_ a: Args) throws(MLPError) -> Value {
        let t = try a.untrackedTensor(0)
        guard t.ndim == 3, t.shape.allSatisfy({ $0 > 0 }) else { throw a.error("expected an [n, h, w] tensor of images, got shape \(t.shape).", at: 0) }
        let rows = try a.int(1, in: 1...100), cols = try a.int(2, in: 1...100)
        var f = Figure()
        try options(a, &f)
        if index(a, "height") == nil { f.height = 10_000 }
        var whole = Heatmap(grid: t.scalars, count: t.shape[0], height: t.shape[1], width: t.shape[2], gridRows: rows, gridCols: cols)
        try colourRange(a, &whole)
        let (lo, hi) = whole.limits
        whole.vmin = lo; whole.vmax = hi
        f.heatmap = whole
        var titles: [String] = []
        if let i = index(a, "titles") {
            for v in try a.sequence(i) {
                guard case .string(let s) = v else { throw a.error("titles must be strings, got \(describeForError(v)).", at: i) }
                titles.append(s.s)
            }
        }
        // files: one panel an image, no axes, the shared colour scale
        let n = t.shape[0], hh = t.shape[1], ww = t.shape[2], s = t.scalars
        f.gridRows = rows; f.gridCols = cols
        f.panels = (0..<(rows * cols)).map { k in
            var p = Figure()
            p.axesOff = true
            if k < n {
                var m = Heatmap(rows: hh, cols: ww, values: Array(s[(k * hh * ww)..<((k + 1) * hh * ww)]))
                m.cmap = whole.cmap; m.vmin = lo; m.vmax = hi; m.colorbar = false
                p.heatmap = m
                if k < titles.count { p.title = titles[k] }
            }
            return p
        }
        return try show(a, f)
    }

    /// Draws the figure in the terminal (or as an image in a notebook), or writes it to `file=`.
    static func show(_ a: Args, _ f: Figure) throws(MLPError) -> Value {
        var f = f
        if let i = index(a, "file") {
            try fileSize(a, &f, size: index(a, "size"), width: index(a, "width"), height: index(a, "height"), dpi: index(a, "dpi"))
            a.context.lastFigure = f
            try save(a, f, try a.string(i), at: i)
        } else if let images = a.context.display as? FigureSink {
            a.context.lastFigure = f
            images.show(f)
        } else {
            a.context.lastFigure = f
            a.writeOutput(f.renderText(color: a.context.out.color), plot: true)
        }
        return .nil
    }

    static func save(_ a: Args, _ f: Figure, _ path: String, at i: Int) throws(MLPError) {
        let lower = path.lowercased()
        let bytes: [UInt8]
        if lower.hasSuffix(".png") { bytes = f.renderPNG() }
        else if lower.hasSuffix(".svg") { bytes = Array(f.renderSVG().utf8) }
        else if lower.hasSuffix(".pdf") { bytes = f.renderPDF() }
        else { throw a.error("the file name must end in .png, .svg or .pdf, got '\(path)'.", at: i) }
        if bytes.isEmpty { throw a.error("cannot draw '\(path)' (the renderer failed).", at: i) }
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

extension String {
    /// Every occurrence of `target` removed (no Foundation here).
    func replacingOccurrences(_ target: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = "", rest = self[...]
        while let r = rest.firstRange(of: target) { out += rest[..<r.lowerBound]; rest = rest[r.upperBound...] }
        return out + rest
    }
}
