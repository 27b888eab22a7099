// NumPy's array functions with gradients: diff, trapz, cross, cov, corrcoef,
// diag, trace, meshgrid, cumprod and interp. Most are compositions of graph ops
// (slices, products, sums), so their gradients come from those ops; plain
// tensors run the same code on constants (no graph is built).
import MLPTensor
import MLPAutograd

extension Variable {
    /// The elements start..<end along axis (a slice).
    func slice(_ axis: Int, _ start: Int?, _ end: Int?) throws -> Variable {
        var idx = [TensorIndex](repeating: .all, count: value.ndim)
        idx[axis] = .slice(start, end, nil)
        return try get(idx)
    }

    /// n-th discrete difference along axis: out[i] = x[i + 1] - x[i], n times.
    public func diff(n: Int, axis: Int) throws -> Variable {
        guard n >= 0 else { throw AutogradError("diff", "order n must be non-negative, got \(n).") }
        guard value.ndim > 0 else { throw AutogradError("diff", "needs at least a 1-D tensor, got a 0-d one.") }
        let a = try value.normalizeAxis(axis, "diff")
        var x = self
        for _ in 0..<Swift.min(n, value.shape[a] + 1) { x = try x.slice(a, 1, nil) - x.slice(a, nil, -1) }
        return x
    }

    /// The trapezoidal rule along axis: sum(d * (y[1:] + y[:-1]) / 2) with d = diff(x) or dx.
    public static func trapz(_ y: Variable, x: Variable?, dx: Double, axis: Int) throws -> Variable {
        guard y.value.ndim > 0 else { throw AutogradError("trapz", "y must be at least 1-D, got a 0-d tensor.") }
        let a = try y.value.normalizeAxis(axis, "trapz")
        let mid = try Variable.binary(.add, y.slice(a, 1, nil), y.slice(a, nil, -1))
        let d: Variable
        if let x {
            if x.value.ndim == 1 {
                guard x.value.count == y.value.shape[a] else {
                    throw AutogradError("trapz", "x has \(x.value.count) points, y has \(y.value.shape[a]) along axis \(axis).")
                }
                var shape = [Int](repeating: 1, count: y.value.ndim); shape[a] = x.value.count - 1
                d = try x.diff(n: 1, axis: 0).reshaped(shape)
            } else {
                guard x.value.shape == y.value.shape else {
                    throw AutogradError("trapz", "x has shape \(Tensor.formatShape(x.value.shape)); it must be 1-D or y's shape \(Tensor.formatShape(y.value.shape)).")
                }
                d = try x.diff(n: 1, axis: a)
            }
        } else { d = Variable(constant: Tensor(scalar: dx)) }
        return try Variable.binary(.div, try d * mid, 2.0).reduce(.sum, axis: a)
    }

    /// The cross product of 3-vectors (a 2-vector is (x, y, 0); two 2-vectors give the
    /// z component, as NumPy): a's vectors along axisa, b's along axisb, the other axes
    /// broadcast, the result's vectors along axisc (NumPy's cross).
    public static func cross(_ u: Variable, _ v: Variable, axisa: Int = -1, axisb: Int = -1, axisc: Int = -1) throws -> Variable {
        func comps(_ w: Variable, _ name: String, _ axis: Int) throws -> (Int, [Variable]) {
            guard w.value.ndim > 0 else { throw AutogradError("cross", "\(name) must hold vectors, got a number.") }
            let a: Int
            do { a = try w.value.normalizeAxis(axis, "cross") } catch {
                throw AutogradError("cross", "axis\(name) = \(axis) is out of bounds for \(name) of shape \(Tensor.formatShape(w.value.shape)).")
            }
            let n = w.value.shape[a]
            guard n == 2 || n == 3 else {
                throw AutogradError("cross", "\(name) has \(n) components along axis \(axis); the cross product needs 2 or 3.")
            }
            return (n, try (0..<n).map { k in
                var idx = [TensorIndex](repeating: .all, count: w.value.ndim); idx[a] = .at(k)
                return try w.get(idx)
            })
        }
        let (na, a) = try comps(u, "a", axisa), (nb, b) = try comps(v, "b", axisb)
        let zero = Variable(constant: Tensor(scalar: 0))
        let x = a + (na == 2 ? [zero] : []), y = b + (nb == 2 ? [zero] : [])
        let z = try x[0] * y[1] - x[1] * y[0]
        if na == 2 && nb == 2 { return z }
        let c0 = try x[1] * y[2] - x[2] * y[1], c1 = try x[2] * y[0] - x[0] * y[2]
        let shape = try Tensor.broadcastShape(try Tensor.broadcastShape(c0.value.shape, c1.value.shape), z.value.shape)
        let parts = try [c0, c1, z].map { try $0.broadcast(to: shape) }
        let nd = shape.count + 1
        guard axisc >= -nd && axisc < nd else {
            throw AutogradError("cross", "axisc = \(axisc) is out of bounds for the result's \(nd) axes.")
        }
        return try Variable.stack(parts, axis: axisc < 0 ? axisc + nd : axisc)
    }

    /// The covariance matrix of the variables (rows, or columns when !rowvar) with
    /// normalisation N - ddof; one variable gives a number (0-d).
    public static func cov(_ m: Variable, rowvar: Bool, ddof: Int) throws -> Variable {
        guard m.value.ndim == 1 || m.value.ndim == 2 else {
            throw AutogradError("cov", "expected a vector or a matrix, got shape \(Tensor.formatShape(m.value.shape)).")
        }
        var x = m.value.ndim == 1 ? try m.reshaped([1, m.value.count]) : m
        if !rowvar && m.value.ndim == 2 { x = try x.permute([1, 0]) }
        let n = x.value.shape[1]
        guard n - ddof > 0 else { throw AutogradError("cov", "\(n) observation\(n == 1 ? "" : "s") with ddof \(ddof): the normalisation N - ddof must be positive.") }
        let xc = try x - x.reduce(.mean, axis: 1, keepdims: true)
        let c = try Variable.binary(.mul, try Variable.matmul(xc, xc.permute([1, 0])), 1 / Double(n - ddof))
        return x.value.shape[0] == 1 ? try c.reshaped([]) : c
    }

    /// Pearson correlation coefficients: cov / (std_i std_j), clipped to [-1, 1].
    public static func corrcoef(_ m: Variable, rowvar: Bool) throws -> Variable {
        let c = try cov(m, rowvar: rowvar, ddof: 1)
        if c.value.ndim == 0 { return try (c / c).clip(-1, 1) }
        let k = c.value.shape[0]
        let sd = try c.diag(0).unary(.sqrt)
        return try (try (c / sd.reshaped([k, 1])) / sd.reshaped([1, k])).clip(-1, 1)
    }

    /// diag: a vector's values on diagonal k of a square matrix, or a matrix's diagonal k as a vector.
    public func diag(_ k: Int) throws -> Variable {
        switch value.ndim {
        case 1:
            return try Variable.make("diag", try value.diagMatrix(k), [self]) { g in [try g.diagonal(k)] }
        case 2: return try gather("diag") { try $0.diagonal(k) }
        default: throw AutogradError("diag", "expected a vector or a matrix, got shape \(Tensor.formatShape(value.shape)).")
        }
    }

    /// Running products along axis (flattened when nil); the gradient of element i is
    /// sum over j >= i of g_j prod_{k <= j, k != i} x_k.
    public func cumprod(axis: Int?) throws -> Variable {
        let x = value, out = try x.cumprod(axis: axis)
        return try Variable.make("cumprod", out, [self]) { g in
            let (xr, n, _) = try x.lanesAsRows(axis, "cumprod")
            let gr = try g.lanesAsRows(axis, "cumprod").rows, orow = try out.lanesAsRows(axis, "cumprod").rows
            var grad = [Double](repeating: 0, count: xr.count)
            let xs = xr.scalars, gs = gr.scalars, os = orow.scalars
            for l in 0..<(n == 0 ? 0 : xr.count / n) {
                let b = l * n
                var tail = 0.0   // sum over j >= i of g_j out_j, from the end
                for i in stride(from: n - 1, through: 0, by: -1) {
                    tail += gs[b + i] * os[b + i]
                    if xs[b + i] != 0 { grad[b + i] = tail / xs[b + i]; continue }
                    // a zero: the products without it, directly
                    var before = 1.0
                    for k in 0..<i { before *= xs[b + k] }
                    var s = 0.0, run = before
                    for j in i..<n { if j > i { run *= xs[b + j] }; s += gs[b + j] * run }
                    grad[b + i] = s
                }
            }
            return [try Tensor.fromLanes(grad, like: x, axis: axis)]
        }
    }

    /// Piecewise-linear interpolation of (xp, fp) at x (xp increasing), NumPy's interp:
    /// left/right (default fp's ends) outside; gradients flow to x (the slope) and fp.
    public static func interp(_ x: Variable, _ xp: Tensor, _ fp: Variable, left: Double?, right: Double?) throws -> Variable {
        guard xp.ndim == 1, fp.value.ndim == 1, xp.count == fp.value.count, xp.count > 0 else {
            throw AutogradError("interp", "xp and fp must be vectors of the same nonzero length, got shapes \(Tensor.formatShape(xp.shape)) and \(Tensor.formatShape(fp.value.shape)).")
        }
        let xs = xp.scalars, fs = fp.value.scalars, n = xs.count
        for i in 1..<n where !(xs[i] > xs[i - 1]) {
            throw AutogradError("interp", "xp must be increasing, got \(Tensor.formatNumber(xs[i - 1])) then \(Tensor.formatNumber(xs[i])).")
        }
        let lv = left ?? fs[0], rv = right ?? fs[n - 1]
        let xv = x.value.scalars
        var out = [Double](repeating: 0, count: xv.count), slope = out, weight = out, at = [Int](repeating: -1, count: xv.count)
        xp.withUnsafeBufferPointer { p in
            for (q, v) in xv.enumerated() {
                if v.isNaN { out[q] = v }
                else if v < xs[0] { out[q] = lv }
                else if v > xs[n - 1] { out[q] = rv }
                else if v == xs[n - 1] { out[q] = fs[n - 1]; at[q] = n - 1; weight[q] = 0 }
                else {
                    let j = Tensor.interval(p, v)
                    let s = (fs[j + 1] - fs[j]) / (xs[j + 1] - xs[j])
                    out[q] = s * (v - xs[j]) + fs[j]
                    slope[q] = s; at[q] = j; weight[q] = (v - xs[j]) / (xs[j + 1] - xs[j])
                }
            }
        }
        let result = try Tensor(out, shape: x.value.shape)
        return try make("interp", result, [x, fp]) { g in
            let gs = g.scalars
            var gx = [Double](repeating: 0, count: gs.count), gf = [Double](repeating: 0, count: n)
            for q in gs.indices where at[q] >= 0 {
                gx[q] = gs[q] * slope[q]
                gf[at[q]] += gs[q] * (1 - weight[q])
                if weight[q] != 0 { gf[at[q] + 1] += gs[q] * weight[q] }
            }
            return [try Tensor(gx, shape: x.value.shape), try Tensor(gf)]
        }
    }

    /// meshgrid of vectors: each broadcast to the grid's shape (the first two axes
    /// swapped for indexing "xy", NumPy's default).
    public static func meshgrid(_ xs: [Variable], xy: Bool) throws -> [Variable] {
        for (k, x) in xs.enumerated() where x.value.ndim != 1 {
            throw AutogradError("meshgrid", "argument \(k) must be a vector, got shape \(Tensor.formatShape(x.value.shape)).")
        }
        var sizes = xs.map { $0.value.count }
        if xy && sizes.count >= 2 { sizes.swapAt(0, 1) }
        return try xs.enumerated().map { k, x in
            var shape = [Int](repeating: 1, count: sizes.count)
            shape[xy && sizes.count >= 2 && k < 2 ? 1 - k : k] = x.value.count
            return try x.reshaped(shape).broadcast(to: sizes)
        }
    }
}

extension Tensor {
    /// Diagonal k of a matrix (above the main one when k > 0).
    func diagonal(_ k: Int) throws -> Tensor {
        guard ndim == 2 else { throw TensorError("diag", "expected a matrix, got shape \(Tensor.formatShape(shape)).") }
        let r = shape[0], c = shape[1]
        let i0 = k >= 0 ? 0 : -k, j0 = k >= 0 ? k : 0
        let len = Swift.max(0, Swift.min(r - i0, c - j0))
        let s = scalars
        return try Tensor((0..<len).map { s[($0 + i0) * c + $0 + j0] })
    }

    /// The square matrix with this vector on diagonal k.
    func diagMatrix(_ k: Int) throws -> Tensor {
        let n = count, m = n + Swift.abs(k)
        let out = try Tensor.zeros([m, m])   // an error, before allocating, when too large
        let s = scalars, r = out.storage.pointer
        for i in 0..<n { r[(i + (k < 0 ? -k : 0)) * m + i + (k > 0 ? k : 0)] = s[i] }
        return out
    }

    /// Values laid out as `lanesAsRows(axis)` rows, put back into `like`'s shape.
    static func fromLanes(_ values: [Double], like x: Tensor, axis: Int?) throws -> Tensor {
        guard let axis else { return try Tensor(values, shape: x.shape) }
        let a = try x.normalizeAxis(axis, "lanes")
        var moved = x.shape; let n = moved.remove(at: a); moved.append(n)
        let t = try Tensor(values, shape: moved)
        if a == x.ndim - 1 { return t }
        var inverse = Array(0..<(x.ndim - 1)); inverse.insert(x.ndim - 1, at: a)
        return try t.permute(inverse)
    }
}
