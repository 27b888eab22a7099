#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// Reductions over one axis or over all elements.
    public enum ReduceOp: String, Sendable, CaseIterable {
        case sum, mean, prod, min, max, `var`, std, argmax, argmin, logsumexp, norm
    }
}

/// Sums of more than this many elements add chunks of this size (each with
/// `sumBlock`), then add the chunk sums in order (recursively): the same
/// result whatever the number of threads, and a smaller rounding error than
/// one running sum.
let sumChunk = 1 << 14

func sumContiguous(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
    if n <= sumChunk { return sumBlock(p, n) }
    let chunks = (n &+ sumChunk &- 1) / sumChunk
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
    defer { partial.deallocate() }
    parallelFor(chunks, minPerThread: 8, grain: 4) { lo, hi in
        var c = lo
        while c < hi {
            let start = c &* sumChunk
            partial[c] = sumBlock(p + start, Swift.min(sumChunk, n &- start))
            c &+= 1
        }
    }
    return sumContiguous(partial, chunks)
}

@inline(__always)
func sumBlock(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
    var a0 = SIMD4<Double>(), a1 = SIMD4<Double>()
    let raw = UnsafeRawPointer(p)
    var i = 0
    while i &+ 8 <= n {
        a0 += raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
        a1 += raw.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
        i &+= 8
    }
    var s = (a0 + a1).sum()
    while i < n { s += p[i]; i &+= 1 }
    return s
}

/// Reduces one lane of `n` values `p[0], p[stride], ...`.
@inline(__always)
func reduceLane(_ op: Tensor.ReduceOp, _ p: UnsafePointer<Double>, _ n: Int, _ stride: Int) -> Double {
    switch op {
    case .sum:
        if stride == 1 { return sumContiguous(p, n) }
        var s = 0.0; var j = 0
        while j < n { s += p[j &* stride]; j &+= 1 }
        return s
    case .mean:
        return reduceLane(.sum, p, n, stride) / Double(n)
    case .prod:
        var s = 1.0; var j = 0
        while j < n { s *= p[j &* stride]; j &+= 1 }
        return s
    case .min:
        var m = Double.infinity; var j = 0
        while j < n { let x = p[j &* stride]; if x.isNaN { return x }; if x < m { m = x }; j &+= 1 }
        return m
    case .max:
        var m = -Double.infinity; var j = 0
        while j < n { let x = p[j &* stride]; if x.isNaN { return x }; if x > m { m = x }; j &+= 1 }
        return m
    case .var, .std:
        let mean = reduceLane(.sum, p, n, stride) / Double(n)
        var s = 0.0; var j = 0
        while j < n { let d = p[j &* stride] - mean; s += d * d; j &+= 1 }
        let v = s / Double(n)
        return op == .var ? v : v.squareRoot()
    case .argmax:
        var m = -Double.infinity, k = 0; var j = 0
        while j < n { let x = p[j &* stride]; if x.isNaN { return Double(j) }; if x > m { m = x; k = j }; j &+= 1 }
        return Double(k)
    case .argmin:
        var m = Double.infinity, k = 0; var j = 0
        while j < n { let x = p[j &* stride]; if x.isNaN { return Double(j) }; if x < m { m = x; k = j }; j &+= 1 }
        return Double(k)
    case .logsumexp:
        let m = reduceLane(.max, p, n, stride)
        if !m.isFinite { return m }
        var s = 0.0; var j = 0
        while j < n { s += mlpExp(p[j &* stride] - m); j &+= 1 }
        return m + Glibc.log(s)
    case .norm:
        var s = 0.0; var j = 0
        while j < n { let x = p[j &* stride]; s += x * x; j &+= 1 }
        return s.squareRoot()
    }
}

extension Tensor {
    /// A non-negative axis for this tensor, or an error naming the operation.
    public func normalizeAxis(_ axis: Int, _ name: String) throws -> Int {
        let a = axis < 0 ? axis + ndim : axis
        guard a >= 0 && a < ndim else {
            throw TensorError(name, "axis \(axis) is out of bounds for a tensor of dimension \(ndim).")
        }
        return a
    }

    /// (outer, n, inner) sizes around `axis`.
    func lanes(_ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        var outer = 1, inner = 1
        for i in 0..<axis { outer *= shape[i] }
        for i in (axis + 1)..<ndim { inner *= shape[i] }
        return (outer, shape[axis], inner)
    }

    /// Reduces all elements (axis nil) or along one axis.
    public func reduce(_ op: ReduceOp, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        let name = op.rawValue
        guard let axis else {
            if count == 0 {
                switch op {
                case .sum: break
                case .prod: break
                case .norm: break
                default: throw TensorError(name, "zero-size tensor has no \(name).")
                }
            }
            let v = count == 0 ? (op == .prod ? 1 : 0) : reduceLane(op, storage.pointer, count, 1)
            return Tensor(storage: try TensorStorage(repeating: v, count: 1),
                          shape: keepdims ? [Int](repeating: 1, count: ndim) : [])
        }
        let a = try normalizeAxis(axis, name)
        let (outer, n, inner) = lanes(a)
        if n == 0 && op != .sum && op != .prod && op != .norm {
            throw TensorError(name, "zero-size axis \(axis) has no \(name).")
        }
        var outShape = shape
        if keepdims { outShape[a] = 1 } else { outShape.remove(at: a) }
        let out = try Tensor(uninitializedShape: outShape, name)
        let p = storage.pointer, r = out.storage.pointer
        if op == .mean && inner > 1 && n > 0 {
            var t = try reduce(.sum, axis: a, keepdims: keepdims)
            try t.apply(mulBy: 1 / Double(n))
            return t
        }
        if op == .sum && inner > 1 {
            // accumulate rows: vectorises along the inner axis
            for o in 0..<outer {
                let dst = r + o &* inner
                dst.initialize(repeating: 0, count: inner)
                for j in 0..<n {
                    let src = p + (o &* n &+ j) &* inner
                    var i = 0
                    while i < inner { dst[i] += src[i]; i &+= 1 }
                }
            }
            return out
        }
        if n == 0 {
            r.initialize(repeating: op == .prod ? 1 : 0, count: out.count)
            return out
        }
        for o in 0..<outer {
            for i in 0..<inner {
                r[o &* inner &+ i] = reduceLane(op, p + (o &* n &* inner &+ i), n, inner)
            }
        }
        return out
    }

    public func sum(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.sum, axis: axis, keepdims: keepdims) }
    public func mean(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.mean, axis: axis, keepdims: keepdims) }
    public func prod(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.prod, axis: axis, keepdims: keepdims) }
    public func min(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.min, axis: axis, keepdims: keepdims) }
    public func max(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.max, axis: axis, keepdims: keepdims) }
    /// Population variance (ddof = 0).
    public func variance(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.var, axis: axis, keepdims: keepdims) }
    public func std(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.std, axis: axis, keepdims: keepdims) }
    /// Index of the first maximum (flat index when axis is nil).
    public func argmax(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.argmax, axis: axis, keepdims: keepdims) }
    public func argmin(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.argmin, axis: axis, keepdims: keepdims) }
    public func logsumexp(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.logsumexp, axis: axis, keepdims: keepdims) }
    /// Frobenius norm (axis nil) or 2-norm along an axis.
    public func norm(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor { try reduce(.norm, axis: axis, keepdims: keepdims) }

    /// Multiplies every element in place (no copy when not shared).
    public mutating func apply(mulBy c: Double) throws {
        try makeUnique()
        let p = storage.pointer, n = count
        var i = 0
        while i < n { p[i] *= c; i &+= 1 }
    }

    /// Sum of all elements as a number.
    public func sumAll() -> Double { count == 0 ? 0 : sumContiguous(storage.pointer, count) }

    /// Applies `body(src, dst, n, stride)` to every lane along `axis`; the result has this shape.
    func mapLanes(_ axis: Int, _ name: String, _ body: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int, Int) -> Void) throws -> Tensor {
        let out = try Tensor(uninitializedShape: shape, name)
        if count == 0 { return out }
        let (outer, n, inner) = lanes(axis)
        let p = storage.pointer, r = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let off = o &* n &* inner &+ i
                body(p + off, r + off, n, inner)
            }
        }
        return out
    }

    /// Softmax along an axis (default the last), computed stably.
    public func softmax(axis: Int = -1) throws -> Tensor {
        if ndim == 0 { return Tensor(scalar: storage.pointer[0].isNaN ? .nan : 1) }
        let a = try normalizeAxis(axis, "softmax")
        let n = shape[a]
        if a == ndim - 1 && n > 0 {
            let out = try Tensor(uninitializedShape: shape, "softmax")
            Tensor.softmaxRows(storage.pointer, out.storage.pointer, rows: count / n, n)
            return out
        }
        return try mapLanes(a, "softmax") { src, dst, n, st in
            if st == 1 { _ = Tensor.softmaxRow(src, dst, n, threaded: true); return }
            let m = reduceLane(.max, src, n, st)
            var s = 0.0
            for j in 0..<n { let e = mlpExp(src[j &* st] - m); dst[j &* st] = e; s += e }
            let inv = 1 / s
            for j in 0..<n { dst[j &* st] *= inv }
        }
    }

    /// Softmax of `rows` contiguous rows of n > 0 values from src into dst, several rows
    /// per thread when they are short and many; `logSumExp`, when given, receives each
    /// row's log Σ exp (a cross-entropy's).
    static func softmaxRows(_ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, rows: Int, _ n: Int,
                            logSumExp lse: UnsafeMutablePointer<Double>? = nil) {
        if n <= sumChunk {
            parallelFor(rows, minPerThread: Swift.max(1, (1 << 14) / n), grain: Swift.max(1, (1 << 12) / n)) { lo, hi in
                for r in lo..<hi {
                    let (m, s) = softmaxRow(src + r &* n, dst + r &* n, n, threaded: false)
                    lse?[r] = m + Glibc.log(s)
                }
            }
        } else {
            for r in 0..<rows {
                let (m, s) = softmaxRow(src + r &* n, dst + r &* n, n, threaded: true)
                lse?[r] = m + Glibc.log(s)
            }
        }
    }

    /// Softmax of a contiguous lane s[0..<n] into d: shift by the maximum, vector exp in
    /// place, normalise; returns the maximum and the sum of the shifted exps.
    /// `threaded`: the exp may use the kernel threads (not from a worker).
    @inline(__always)
    static func softmaxRow(_ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ n: Int,
                           threaded: Bool) -> (max: Double, sum: Double) {
        let m = reduceLane(.max, s, n, 1)
        for j in 0..<n { d[j] = s[j] - m }
        if threaded { expKernel(d, d, n) } else { expTable.withUnsafeBufferPointer { expKernelSerial(d, d, n, $0.baseAddress!) } }
        let sum = sumContiguous(d, n)   // n <= sumChunk from a worker: one block, no threads
        let inv = 1 / sum
        for j in 0..<n { d[j] *= inv }
        return (m, sum)
    }

    /// Log-softmax along an axis (default the last).
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        if ndim == 0 { return Tensor(scalar: 0) }
        let a = try normalizeAxis(axis, "log_softmax")
        return try mapLanes(a, "log_softmax") { src, dst, n, st in
            let l = reduceLane(.logsumexp, src, n, st)
            for j in 0..<n { dst[j &* st] = src[j &* st] - l }
        }
    }

    /// Cumulative sum along an axis (flattened when axis is nil).
    public func cumsum(axis: Int? = nil) throws -> Tensor {
        guard let axis else { return try reshaped([-1]).cumsum(axis: 0) }
        let a = try normalizeAxis(axis, "cumsum")
        return try mapLanes(a, "cumsum") { src, dst, n, st in
            var s = 0.0
            for j in 0..<n { s += src[j &* st]; dst[j &* st] = s }
        }
    }

    /// Cumulative product along an axis (flattened when axis is nil).
    public func cumprod(axis: Int? = nil) throws -> Tensor {
        guard let axis else { return try reshaped([-1]).cumprod(axis: 0) }
        let a = try normalizeAxis(axis, "cumprod")
        return try mapLanes(a, "cumprod") { src, dst, n, st in
            var s = 1.0
            for j in 0..<n { s *= src[j &* st]; dst[j &* st] = s }
        }
    }

    /// Sorted along an axis (default the last); NaN sorts last.
    public func sort(axis: Int = -1) throws -> Tensor {
        if ndim == 0 { return self }
        let a = try normalizeAxis(axis, "sort")
        var buf = [Double](repeating: 0, count: shape[a])
        return try mapLanes(a, "sort") { src, dst, n, st in
            for j in 0..<n { buf[j] = src[j &* st] }
            buf.sort { $0 < $1 || (!$0.isNaN && $1.isNaN) }
            for j in 0..<n { dst[j &* st] = buf[j] }
        }
    }

    /// Indices that sort along an axis (stable; NaN last).
    public func argsort(axis: Int = -1) throws -> Tensor {
        if ndim == 0 { return Tensor(scalar: 0) }
        let a = try normalizeAxis(axis, "argsort")
        var idx = [Int](repeating: 0, count: shape[a])
        return try mapLanes(a, "argsort") { src, dst, n, st in
            for j in 0..<n { idx[j] = j }
            // stable merge-free approach: sort by (value, index)
            idx.sort { i, j in
                let x = src[i &* st], y = src[j &* st]
                if x < y { return true }
                if y < x { return false }
                if x.isNaN != y.isNaN { return y.isNaN }
                return i < j
            }
            for j in 0..<n { dst[j &* st] = Double(idx[j]) }
        }
    }
}
