// NumPy's array and statistics functions: *_like, diag, trace, meshgrid, diff,
// cumprod, interp, median, percentile, cov, corrcoef, histogram, trapz, cross,
// einsum and qr. The numerics are MLPLearn's (Numerics/); the differentiable ones
// run as graph ops, on constants when nothing is tracked.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

enum ScientificLib {
    static func register(_ r: inout Registry) {
        let axisKw = Param("axis", DefaultValue.none, keywordOnly: true)
        let lastAxis = Param("axis", .number(-1), keywordOnly: true)
        like(&r, "zeros_like", "A tensor of zeros with x's shape (0 for a number).", "zeros_like(tensor([1, 2]))   # tensor([0, 0])") { try Tensor.zeros($0) }
        like(&r, "ones_like", "A tensor of ones with x's shape (1 for a number).", "ones_like(tensor([1, 2, 3]))   # tensor([1, 1, 1])") { try Tensor.ones($0) }
        r.fn("diag", [p("x"), p("k", 0)], doc: "A vector's values on the diagonal k of a square matrix (k > 0 above the main one), or a matrix's diagonal k as a vector.",
             example: "diag(tensor([[1, 2], [3, 4]]))   # tensor([1, 4])") { a throws(MLPError) in
            let k = try a.int(1, in: -(1 << 40)...(1 << 40))
            return try graph(a, [0]) { try $0[0].diag(k) }
        }
        r.fn("trace", [p("m"), p("k", 0)], doc: "The sum of a matrix's diagonal k (the main one by default).",
             example: "trace(tensor([[1, 2], [3, 4]]))   # 5") { a throws(MLPError) in
            let k = try a.int(1, in: -(1 << 40)...(1 << 40))
            if try a.tensor(0).ndim != 2 { throw a.error("expected a matrix, got shape \(Tensor.formatShape(try a.tensor(0).shape)).", at: 0) }
            return try graph(a, [0]) { try $0[0].diag(k).reduce(.sum) }
        }
        r.fn("meshgrid", [Param("indexing", .string("xy"), keywordOnly: true)], rest: "xs",
             doc: "Coordinate grids from vectors, one tensor per vector (NumPy's meshgrid): indexing \"xy\" (default) gives shape [len(y), len(x)], \"ij\" [len(x), len(y)].",
             example: "shape(meshgrid(tensor([1, 2, 3]), tensor([10, 20]))[0])   # [2, 3]") { a throws(MLPError) in
            let indexing = try a.string(0)
            guard indexing == "xy" || indexing == "ij" else { throw a.error("indexing must be \"xy\" or \"ij\", got \"\(indexing)\".", at: 0) }
            guard !a.rest.isEmpty else { throw a.error("needs at least one vector.") }
            var vs: [Variable] = []
            for v in a.rest { vs.append(try variable(a, v)) }
            let grids: [Variable]
            do { grids = try Variable.meshgrid(vs, xy: indexing == "xy") } catch { throw a.nativeError(error) }
            return .list(grids.map { .object(TensorValue($0)) })
        }
        r.fn("diff", [p("x"), p("n", 1), lastAxis], doc: "The n-th discrete difference along axis (the last by default): x[1:] - x[:-1], n times.",
             example: "diff(tensor([1, 4, 9, 16]))   # tensor([3, 5, 7])") { a throws(MLPError) in
            let n = try a.int(1, atLeast: 0), axis = try a.int(2)
            return try graph(a, [0]) { try $0[0].diff(n: n, axis: axis) }
        }
        r.fn("cumprod", [p("t"), axisKw], doc: "Running products (of the flattened tensor, or along axis).",
             example: "cumprod(tensor([1, 2, 3, 4]))   # tensor([ 1,  2,  6, 24])") { a throws(MLPError) in
            let axis = try a.optionalInt(1)
            return try graph(a, [0]) { try $0[0].cumprod(axis: axis) }
        }
        r.fn("interp", [p("x"), p("xp"), p("fp"), Param("left", DefaultValue.none, keywordOnly: true), Param("right", DefaultValue.none, keywordOnly: true)],
             doc: "Piecewise-linear interpolation of the points (xp, fp) at x (xp increasing), as NumPy's interp: fp[0] left of xp and fp[-1] right of it unless left=/right= say otherwise.",
             example: "interp(2.5, tensor([1, 2, 3]), tensor([10, 20, 30]))   # 25") { a throws(MLPError) in
            let xp = try a.untrackedTensor(1)
            let left = a.isNil(3) ? nil : try a.number(3), right = a.isNil(4) ? nil : try a.number(4)
            return try graph(a, [0, 2]) { try Variable.interp($0[0], xp, $0[1], left: left, right: right) }
        }
        r.fn("median", [p("x"), axisKw], doc: "The median (of all elements, or along axis); the mean of the two middle values for an even count, nan when a value is nan.",
             example: "median(tensor([3, 1, 4, 1, 5]))   # 3") { a throws(MLPError) in
            try percentiles(a, nil, axis: try a.optionalInt(1), "median")
        }
        r.fn("percentile", [p("x"), p("q"), axisKw], doc: "The q-th percentile (q in [0, 100], a number or a list) of all elements or along axis, interpolating linearly between order statistics (NumPy's default).",
             example: "percentile(tensor([1, 2, 3, 4, 5]), [25, 50])   # tensor([2, 3])") { a throws(MLPError) in
            let qs: [Double], many: Bool
            if case .number(let q) = a[1] { qs = [q]; many = false } else { qs = try a.untrackedTensor(1).scalars; many = true }
            for q in qs where !(q >= 0 && q <= 100) { throw a.error("percentiles must be between 0 and 100, got \(formatNumber(q)).", at: 1) }
            return try percentiles(a, qs, axis: try a.optionalInt(2), many ? "percentiles" : "percentile")
        }
        r.fn("cov", [p("m"), Param("rowvar", .bool(true), keywordOnly: true), Param("ddof", DefaultValue.none, keywordOnly: true), Param("bias", .bool(false), keywordOnly: true)],
             doc: "The covariance matrix of the variables in m's rows (columns when rowvar=false), normalised by N - 1 (N with bias=true, N - ddof with ddof=); one variable gives a number.",
             example: "cov(tensor([[0, 1, 2], [2, 1, 0]]))[0, 1]   # -1") { a throws(MLPError) in
            let rowvar = try a.bool(1), bias = try a.bool(3)
            let ddof = a.isNil(2) ? (bias ? 0 : 1) : try a.int(2)
            return try graph(a, [0]) { try Variable.cov($0[0], rowvar: rowvar, ddof: ddof) }
        }
        r.fn("corrcoef", [p("m"), Param("rowvar", .bool(true), keywordOnly: true)],
             doc: "Pearson correlation coefficients of the variables in m's rows (columns when rowvar=false).",
             example: "corrcoef(tensor([[1, 2, 3], [3, 1, 2]]))[0, 1]   # -0.5") { a throws(MLPError) in
            let rowvar = try a.bool(1)
            return try graph(a, [0]) { try Variable.corrcoef($0[0], rowvar: rowvar) }
        }
        r.fn("histogram", [p("x"), p("bins", 10), Param("range", DefaultValue.none, keywordOnly: true)],
             doc: "NumPy's histogram: [counts, edges] for bins equal bins over the data's range (or range=[lo, hi]), or for bins given as increasing edges; the last bin includes its right edge, values outside are not counted. (hist plots one.)",
             example: "histogram(tensor([1, 2, 2, 3, 4]), 3)[0]   # tensor([1, 2, 2])") { a throws(MLPError) in
            let x = try a.untrackedTensor(0)
            var bins: Int? = nil, edges: [Double]? = nil, range: (Double, Double)? = nil
            if case .number = a[1] { bins = try a.int(1, in: 1...10_000_000) } else { edges = try a.untrackedTensor(1).scalars }
            if !a.isNil(2) {
                let lh = try a.untrackedTensor(2).scalars
                guard lh.count == 2, lh[0].isFinite, lh[1].isFinite, lh[0] <= lh[1] else {
                    throw a.error("range must be [lo, hi] with finite lo <= hi, got \(describeForError(a[2])).", at: 2)
                }
                range = (lh[0], lh[1])
            }
            do {
                let (c, e) = try Tensor.histogram(x, bins: bins, edges: edges, range: range)
                return .list([.object(TensorValue(c)), .object(TensorValue(e))])
            } catch { throw a.nativeError(error, at: 1) }
        }
        r.fn("trapz", [p("y"), opt("x"), Param("dx", .number(1), keywordOnly: true), lastAxis],
             doc: "The integral of y by the trapezoidal rule along axis (the last by default), at the points x (a vector, or y's shape) or spaced dx apart.",
             example: "trapz(tensor([1, 2, 3]), tensor([0, 1, 3]))   # 6.5") { a throws(MLPError) in
            let dx = try a.number(2), axis = try a.int(3)
            if a.isNil(1) { return try graph(a, [0]) { try Variable.trapz($0[0], x: nil, dx: dx, axis: axis) } }
            return try graph(a, [0, 1]) { try Variable.trapz($0[0], x: $0[1], dx: dx, axis: axis) }
        }
        r.fn("cross", [p("a"), p("b"), Param("axisa", .number(-1), keywordOnly: true), Param("axisb", .number(-1), keywordOnly: true),
                       Param("axisc", .number(-1), keywordOnly: true), axisKw],
             doc: "The cross product of 3-vectors, as NumPy's cross: the vectors of a lie along axisa, those of b along axisb (the last by default; the other axes broadcast), the result's along axisc; axis= sets all three. A 2-vector counts as (x, y, 0): two 2-vectors give the z component (a number per pair).",
             example: "cross(tensor([1, 0, 0]), tensor([0, 1, 0]))   # tensor([0, 0, 1])") { a throws(MLPError) in
            var axes = [try a.int(2), try a.int(3), try a.int(4)]
            if let axis = try a.optionalInt(5) { axes = [axis, axis, axis] }
            return try graph(a, [0, 1]) { try Variable.cross($0[0], $0[1], axisa: axes[0], axisb: axes[1], axisc: axes[2]) }
        }
        r.fn("einsum", [p("subscripts")], rest: "operands",
             doc: "Einstein summation as NumPy's einsum: \"ij,jk->ik\" is a matrix product, \"ii\" a trace, \"ij->ji\" a transpose; '...' stands for the axes the letters leave, broadcast between operands as NumPy does (\"...ij,...jk->...ik\" a batched product; without '->' they lead the output). Differentiable (a letter repeated within one operand excepted); contractions run as BLAS matrix products.",
             example: "einsum(\"i,i\", tensor([1, 2, 3]), tensor([4, 5, 6]))   # 32") { a throws(MLPError) in
            let spec = try a.string(0)
            var vs: [Variable] = []
            for v in a.rest { vs.append(try variable(a, v)) }
            return try TensorLib.track(a, at: 0) { try Variable.einsum(spec, vs) }
        }
        r.fn("qr", [p("a")], doc: "QR decomposition a = Q @ R (LAPACK, NumPy's reduced mode): [Q, R], Q [m, k] with orthonormal columns, R [k, n] upper triangular, k = min(m, n); differentiable where R's leading k x k block is invertible (a full-rank matrix, tall, square or wide).",
             example: "qr(tensor([[3, 1], [4, 2]]))[1][0, 0]   # -5") { a throws(MLPError) in
            let m = try a.variable(0)
            do {
                let (q, rr) = try m.qr(poll: a.interruptPoll)
                return .list([.object(TensorValue(q)), .object(TensorValue(rr))])
            } catch { throw a.nativeError(error, at: 0) }
        }
        let library = r.library
        r.library = "list"
        r.fn("list", [p("x")], doc: "A new list of x's items: the numbers of a range, the elements (or rows) of a tensor, the characters of a string, the keys of a dict, a copy of a list.",
             example: "list(0..4)   # [0, 1, 2, 3]") { a throws(MLPError) in
            .list(ListObj(try a.sequence(0)))
        }
        r.library = library
    }

    /// Gradient paths for builtins of the complex library (registered after it): expm of a real matrix.
    static func extendComplex(_ r: inout Registry) {
        r.extend("expm", doc: "Differentiable for real matrices: grad's gradient is the adjoint Frechet derivative, the upper-right block of expm([[a^T, g], [0, a^T]]).") { a throws(MLPError) in
            guard let v = TensorLib.tracked(a, 0) else { return nil }
            return try TensorLib.track(a, at: 0) { try v.expm() }
        }
    }

    /// `zeros_like`/`ones_like`: `make` of argument 0's shape.
    static func like(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ make: @escaping @Sendable ([Int]) throws -> Tensor) {
        r.fn(name, [p("x")], doc: doc, example: example) { a throws(MLPError) in
            let shape = try a.tensor(0).shape
            do { return TensorLib.scalarOrTensor(try make(shape)) } catch { throw a.nativeError(error) }
        }
    }

    /// Builtin `a` as graph ops on arguments `args` (constants unless grad tracks them):
    /// tracked when any argument is, else a plain value (0-d a number).
    static func graph(_ a: Args, _ args: [Int], _ body: ([Variable]) throws -> Variable) throws(MLPError) -> Value {
        var vs: [Variable] = []
        for i in args { vs.append(try a.variable(i)) }
        return try TensorLib.track(a) { try body(vs) }
    }

    /// One of the rest arguments as a graph variable.
    static func variable(_ a: Args, _ v: Value) throws(MLPError) -> Variable {
        if case .object(let o as TensorValue) = v { return o.variable }
        do { return Variable(constant: try TensorValue.fromNested(v)) } catch { throw a.error(error.message) }
    }

    /// median (qs nil) or percentiles of argument 0.
    static func percentiles(_ a: Args, _ qs: [Double]?, axis: Int?, _ name: String) throws(MLPError) -> Value {
        if let v = TensorLib.tracked(a, 0) {
            return try TensorLib.track(a) { try v.percentile(qs, axis: axis, stacked: name == "percentiles", name: name == "percentiles" ? "percentile" : name) }
        }
        let x = try a.untrackedTensor(0)
        do {
            let (values, lanes, shape) = try x.percentile(qs, axis: axis, name: name == "percentiles" ? "percentile" : name)
            if name != "percentiles" { return TensorLib.scalarOrTensor(try Tensor(values, shape: shape)) }
            return .object(TensorValue(try Tensor(values, shape: [values.count / Swift.max(lanes, 1)] + shape)))
        } catch { throw a.nativeError(error) }
    }
}
