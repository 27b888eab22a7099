// An RBM's conditionals on plain buffers, in the number type a step computes in:
// Double (the default) or Float (cd(precision="float32"): sgemm, as PyTorch and
// Keras compute by default; the parameters stay Double).
import MLPTensor

public protocol RBMScalar: BinaryFloatingPoint {
    /// C = alpha op(A) op(B) + beta C (BLAS).
    static func product(transposeA: Bool, transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Self,
                        _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                        beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// p[i] = sigmoid(p[i]).
    static func sigmoid(_ p: UnsafeMutablePointer<Self>, _ n: Int)
    /// dst[i] = u[i] < p[i] ? 1 : 0, without branches (four at a time).
    static func below(_ u: UnsafePointer<Double>, _ p: UnsafePointer<Self>, _ dst: UnsafeMutablePointer<Self>, _ n: Int)
}

extension Double: RBMScalar {
    public static func product(transposeA: Bool, transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Double,
                               _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                               beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        Tensor.blasProduct(transposeA: transposeA, transposeB: transposeB, m, n, k, alpha: alpha, a, lda, b, ldb, beta: beta, c, ldc)
    }
    public static func sigmoid(_ p: UnsafeMutablePointer<Double>, _ n: Int) { sigmoidInPlace(p, n) }
    public static func below(_ u: UnsafePointer<Double>, _ p: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ n: Int) {
        let ru = UnsafeRawPointer(u), rp = UnsafeRawPointer(p), rd = UnsafeMutableRawPointer(dst)
        let zero = SIMD4<Double>(repeating: 0)
        var i = 0
        while i &+ 4 <= n {
            let x = ru.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            let q = rp.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            rd.storeBytes(of: zero.replacing(with: 1, where: x .< q), toByteOffset: i &* 8, as: SIMD4<Double>.self)
            i &+= 4
        }
        while i < n { dst[i] = u[i] < p[i] ? 1 : 0; i &+= 1 }
    }
}

extension Float: RBMScalar {
    public static func product(transposeA: Bool, transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                               beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        Tensor.blasProduct(transposeA: transposeA, transposeB: transposeB, m, n, k, alpha: alpha, a, lda, b, ldb, beta: beta, c, ldc)
    }
    public static func sigmoid(_ p: UnsafeMutablePointer<Float>, _ n: Int) { sigmoidInPlace(p, n) }
    public static func below(_ u: UnsafePointer<Double>, _ p: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        let ru = UnsafeRawPointer(u), rp = UnsafeRawPointer(p), rd = UnsafeMutableRawPointer(dst)
        let zero = SIMD4<Float>(repeating: 0)
        var i = 0
        while i &+ 4 <= n {
            let x = SIMD4<Float>(ru.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self))
            let q = rp.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
            rd.storeBytes(of: zero.replacing(with: 1, where: x .< q), toByteOffset: i &* 4, as: SIMD4<Float>.self)
            i &+= 4
        }
        while i < n { dst[i] = Float(u[i]) < p[i] ? 1 : 0; i &+= 1 }
    }
}

/// P(h | v), E[v | h] and sampling for parameters W [visible, hidden], a, b.
struct Conditionals<T: RBMScalar> {
    let visible: Int, hidden: Int
    let gaussian: Bool
    let w: UnsafePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>

    /// out[r, j] = P(h_j = 1 | v_r); with `ones`, the index of v's ones (v binary),
    /// the product adds rows of W instead.
    func hiddenProbabilities(_ v: UnsafePointer<T>, _ rows: Int, _ out: UnsafeMutablePointer<T>, ones: BinaryIndex? = nil) {
        for r in 0..<rows { (out + r &* hidden).update(from: b, count: hidden) }
        if let ones { ones.times(w, hidden, alpha: 1, out) } else {
            T.product(transposeA: false, transposeB: false, rows, hidden, visible, alpha: 1, v, visible, w, hidden, beta: 1, out, hidden)
        }
        T.sigmoid(out, rows &* hidden)
    }

    /// out[r, i] = E[v_i | h_r]: P(v_i = 1 | h) for binary units, the gaussian's mean;
    /// with `ones` (h binary) and `wt` (W transposed, [hidden, visible]) by adding rows of W^T.
    func visibleMeans(_ h: UnsafePointer<T>, _ rows: Int, _ out: UnsafeMutablePointer<T>,
                      ones: BinaryIndex? = nil, wt: UnsafePointer<T>? = nil) {
        for r in 0..<rows { (out + r &* visible).update(from: a, count: visible) }
        if let ones, let wt { ones.times(wt, visible, alpha: 1, out) } else {
            T.product(transposeA: false, transposeB: true, rows, visible, hidden, alpha: 1, h, hidden, w, hidden, beta: 1, out, visible)
        }
        if !gaussian { T.sigmoid(out, rows &* visible) }
    }

    /// Visible units from their means in place (binary: 1 with probability p; gaussian: mean + N(0, 1)).
    func sampleVisible(_ p: UnsafeMutablePointer<T>, _ n: Int, _ random: inout Xoshiro256) {
        if gaussian { for i in 0..<n { p[i] += T(random.normal()) } } else { sampleBinary(p, into: p, n, &random) }
    }
}

/// dst[i] = 1 with probability p[i], else 0 (dst may be p): uniforms u_i drawn in
/// order, unit i on when u_i < p_i. The uniforms come 1024 at a time into a buffer on
/// the stack, so that the comparisons vectorise.
func sampleBinary<T: RBMScalar>(_ p: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, _ n: Int, _ random: inout Xoshiro256) {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 1024) { u in
        let u = u.baseAddress!
        var start = 0
        while start < n {
            let count = Swift.min(1024, n &- start)
            random.fillUniform(u, count)
            T.below(u, p + start, dst + start, count)
            start &+= count
        }
    }
}

@inline(__always)
func sampleBinary<T: RBMScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int, _ random: inout Xoshiro256) {
    sampleBinary(p, into: p, n, &random)
}

extension RBM {
    /// The conditionals over this machine's own (Double) parameters, valid inside `body`.
    func withConditionals<R>(_ body: (Conditionals<Double>) throws -> R) rethrows -> R {
        try body(Conditionals(visible: visible, hidden: hidden, gaussian: units == .gaussian,
                              w: weights.storage.pointer, a: visibleBias.storage.pointer, b: hiddenBias.storage.pointer))
    }

    func hiddenProbabilities(_ v: UnsafePointer<Double>, _ rows: Int, _ out: UnsafeMutablePointer<Double>) {
        withConditionals { $0.hiddenProbabilities(v, rows, out) }
    }

    func visibleMeans(_ h: UnsafePointer<Double>, _ rows: Int, _ out: UnsafeMutablePointer<Double>) {
        withConditionals { $0.visibleMeans(h, rows, out) }
    }

    func sampleVisible(_ p: UnsafeMutablePointer<Double>, _ n: Int, _ random: inout Xoshiro256) {
        withConditionals { $0.sampleVisible(p, n, &random) }
    }
}
