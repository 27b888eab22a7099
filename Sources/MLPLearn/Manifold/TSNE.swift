// Exact t-SNE (van der Maaten & Hinton 2008), optimised as sklearn's exact
// method does: O(n²) per iteration over raw buffers, no per-pair allocations.
import MLPTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of `tsne`.
public struct TSNEResult {
    /// The embedding, [n, dim].
    public let embedding: Tensor
    /// KL(P ‖ Q) of the final embedding (against the true, unexaggerated P).
    public let kl: Double
    /// KL(P ‖ Q) before iteration 0, 50, 100, ... and after the last one.
    public let klHistory: [(iteration: Int, kl: Double)]
}

/// t-SNE of the rows of `x` [n, d] into `dim` dimensions.
///
/// - P: p(j|i) Gaussian with each row's width set by bisection to entropy
///   ln(perplexity) (`tsneConditionalProbabilities`), p_ij = (p(j|i) + p(i|j)) / 2n.
/// - Q: Student-t with one degree of freedom, q_ij = w_ij / Σ_{k≠l} w_kl,
///   w_ij = 1 / (1 + |y_i − y_j|²) (one degree of freedom for every `dim`, as
///   the paper; sklearn uses dim − 1).
/// - Gradient: ∂KL/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j).
/// - Descent (sklearn's `_gradient_descent`): update ← μ update − η gains ⊙ grad,
///   gains + 0.2 where grad and update differ in sign, else × 0.8, at least 0.01.
///   The first `exaggerationIterations` use P × `earlyExaggeration` and μ = 0.5,
///   the rest P and μ = 0.8; update and gains restart between the two stages.
/// - Start: `initial`, or N(0, σ = 1e-4) per coordinate from `generator`.
/// Runs exactly `iterations` steps (no early stop, so a seed fixes the result).
/// `check` is called on the calling thread between steps (and rows of the
/// affinities); what it throws (Ctrl-C) stops the run.
public func tsne(_ x: Tensor, dim: Int = 2, perplexity: Double = 30, iterations: Int = 1000,
                 learningRate: Double = 200, earlyExaggeration: Double = 12, exaggerationIterations: Int = 250,
                 initial: Tensor? = nil, generator: inout Xoshiro256, check: () throws -> Void = {}) throws -> TSNEResult {
    guard x.ndim == 2 else { throw TensorError("tsne", "expected data of shape [n, d], got \(Tensor.formatShape(x.shape)).") }
    guard dim >= 1 else { throw TensorError("tsne", "dim must be at least 1, got \(dim).") }
    guard iterations >= 0 else { throw TensorError("tsne", "iterations must not be negative, got \(iterations).") }
    let n = x.shape[0]
    if x.firstNonFinite() != nil { throw TensorError("tsne", "the data contain nan or inf.") }
    let cond = try tsneConditionalProbabilities(squaredDistances: squaredDistances(x), perplexity: perplexity, check: check)
    // symmetrise: P = (C + Cᵀ) / 2n, sums to 1
    let joint = try Tensor(uninitializedShape: [n, n], "tsne")
    let c = cond.storage.pointer, p = joint.storage.pointer
    let half = 1 / (2 * Double(n))
    for i in 0..<n { for j in 0..<n { p[i * n + j] = (c[i * n + j] + c[j * n + i]) * half } }

    var y: Tensor
    if let initial {
        guard initial.shape == [n, dim] else {
            throw TensorError("tsne", "initial must have shape \(Tensor.formatShape([n, dim])), got \(Tensor.formatShape(initial.shape)).")
        }
        y = initial
        try y.makeUnique()
    } else {
        y = try Tensor(uninitializedShape: [n, dim], "tsne")
        let yp = y.storage.pointer
        for i in 0..<(n * dim) { yp[i] = 1e-4 * generator.normal() }
    }
    let m = n * dim
    let yp = y.storage.pointer
    let work = TSNEWork(n: n, dim: dim)
    var history: [(iteration: Int, kl: Double)] = []
    var update = [Double](repeating: 0, count: m), gains = [Double](repeating: 1, count: m)
    for it in 0..<iterations {
        try check()
        if it % 50 == 0 { history.append((it, work.kl(p, yp))) }
        let exploring = it < exaggerationIterations
        if it == exaggerationIterations {     // a new stage starts afresh, as sklearn's second call
            for k in 0..<m { update[k] = 0; gains[k] = 1 }
        }
        work.gradient(p, yp, exaggeration: exploring ? earlyExaggeration : 1)
        let mu = exploring ? 0.5 : 0.8
        let g = work.grad
        update.withUnsafeMutableBufferPointer { u in
            gains.withUnsafeMutableBufferPointer { gn in
                for k in 0..<m {
                    gn[k] = u[k] * g[k] < 0 ? gn[k] + 0.2 : gn[k] * 0.8
                    if gn[k] < 0.01 { gn[k] = 0.01 }
                    u[k] = mu * u[k] - learningRate * gn[k] * g[k]
                    yp[k] += u[k]
                }
            }
        }
    }
    let final = work.kl(p, yp)
    history.append((iterations, final))
    return TSNEResult(embedding: y, kl: final, klHistory: history)
}

/// Scratch buffers of one run: the kernel w_ij for i < j and the gradient.
final class TSNEWork {
    let n: Int, dim: Int
    let w: UnsafeMutablePointer<Double>
    let grad: UnsafeMutablePointer<Double>

    init(n: Int, dim: Int) {
        self.n = n; self.dim = dim
        w = .allocate(capacity: Swift.max(n * n, 1))
        grad = .allocate(capacity: Swift.max(n * dim, 1))
    }
    deinit { w.deallocate(); grad.deallocate() }

    /// Fills w_ij = 1/(1 + |y_i − y_j|²) for i < j; returns Z = Σ_{i≠j} w_ij.
    func kernel(_ y: UnsafeMutablePointer<Double>) -> Double {
        var z = 0.0
        for i in 0..<n {
            let yi = y + i * dim, wi = w + i * n
            for j in (i + 1)..<n {
                let yj = y + j * dim
                var d2 = 0.0
                for k in 0..<dim { let t = yi[k] - yj[k]; d2 += t * t }
                let v = 1 / (1 + d2)
                wi[j] = v
                z += v
            }
        }
        return 2 * z
    }

    /// grad_i = 4 Σ_j (α p_ij − q_ij) w_ij (y_i − y_j).
    func gradient(_ p: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, exaggeration a: Double) {
        if dim == 2 && n >= 4 { gradient2(p, y, exaggeration: a) } else { gradientPairs(p, y, exaggeration: a) }
    }

    /// Any dim: each pair once, w stored by `kernel` for the second pass.
    func gradientPairs(_ p: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, exaggeration a: Double) {
        let invZ = 1 / kernel(y)
        grad.initialize(repeating: 0, count: n * dim)
        for i in 0..<n {
            let yi = y + i * dim, gi = grad + i * dim, wi = w + i * n, pi = p + i * n
            for j in (i + 1)..<n {
                let wij = wi[j]
                let coef = 4 * (a * pi[j] - wij * invZ) * wij
                let yj = y + j * dim, gj = grad + j * dim
                for k in 0..<dim {
                    let f = coef * (yi[k] - yj[k])
                    gi[k] += f
                    gj[k] -= f
                }
            }
        }
    }

    /// dim 2 in one pass over whole rows, four j at a time in SIMD4 lanes (the
    /// division dominates, and lanes in a fixed order keep results repeatable):
    /// with q_ij = w_ij / Z, grad_i = 4 (α Σ_j p_ij w_ij (y_i − y_j) − Σ_j w_ij² (y_i − y_j) / Z),
    /// so Z is needed only at the end of the pass.
    func gradient2(_ p: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, exaggeration a: Double) {
        typealias V = SIMD4<Double>
        let xs = w, ys = w + n               // coordinates in columns (w is free scratch here)
        for j in 0..<n { xs[j] = y[2 * j]; ys[j] = y[2 * j + 1] }
        let ab = grad                        // per row: α Σ p w d (x, y), then B below
        let bx = w + 2 * n                   // and Σ w² d (x, y), in more scratch (n² ≥ 4n)
        var z = 0.0
        let tail = n & ~3
        for i in 0..<n {
            let xi = xs[i], yi = ys[i], pi = p + i * n
            let vxi = V(repeating: xi), vyi = V(repeating: yi)
            var ax = V(), ay = V(), bxv = V(), byv = V(), zv = V()
            var j = 0
            while j < tail {
                let dx = vxi - UnsafeRawPointer(xs + j).loadUnaligned(as: V.self)
                let dy = vyi - UnsafeRawPointer(ys + j).loadUnaligned(as: V.self)
                let wv = 1 / (1 + dx * dx + dy * dy)
                let pw = UnsafeRawPointer(pi + j).loadUnaligned(as: V.self) * wv
                let w2 = wv * wv
                ax += pw * dx; ay += pw * dy
                bxv += w2 * dx; byv += w2 * dy
                zv += wv
                j += 4
            }
            var sax = ax.sum(), say = ay.sum(), sbx = bxv.sum(), sby = byv.sum(), sz = zv.sum()
            while j < n {
                let dx = xi - xs[j], dy = yi - ys[j]
                let wj = 1 / (1 + dx * dx + dy * dy)
                let pw = pi[j] * wj, w2 = wj * wj
                sax += pw * dx; say += pw * dy
                sbx += w2 * dx; sby += w2 * dy
                sz += wj
                j += 1
            }
            z += sz - 1                      // the j = i term has w = 1
            ab[2 * i] = a * sax; ab[2 * i + 1] = a * say
            bx[2 * i] = sbx; bx[2 * i + 1] = sby
        }
        let invZ = 1 / z
        for k in 0..<(2 * n) { grad[k] = 4 * (ab[k] - bx[k] * invZ) }
    }

    /// KL(P ‖ Q) = Σ_{i≠j} p_ij ln(p_ij / q_ij), both floored at machine epsilon as sklearn does.
    func kl(_ p: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>) -> Double {
        let invZ = 1 / kernel(y)
        let eps = Double.ulpOfOne
        var s = 0.0
        for i in 0..<n {
            let wi = w + i * n, pi = p + i * n
            for j in (i + 1)..<n {
                let pij = Swift.max(pi[j], eps), qij = Swift.max(wi[j] * invZ, eps)
                s += pij * log(pij / qij)
            }
        }
        return 2 * s
    }
}
