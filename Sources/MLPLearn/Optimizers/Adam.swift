import MLPTensor
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam with bias correction at step t = 1, 2, ... (Kingma & Ba, Algorithm 1):
///
///     m ← β₁ m + (1 − β₁) g,    V ← β₂ V + (1 − β₂) g²
///     m̂ = m / (1 − β₁ᵗ),        V̂ = V / (1 − β₂ᵗ)
///     θ ← θ − η m̂ / (√V̂ + ε)
///
/// element-wise, m = V = 0 at the start. Keras's defaults: lr 0.001, beta1 0.9,
/// beta2 0.999, eps 1e-7. Where ε sits, exactly: here it is added to √V̂ (the
/// bias-corrected root), as in Kingma & Ba's Algorithm 1. Keras adds it to √V
/// before the correction (θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√V + ε)), which is
/// this formula with ε / √(1 − β₂ᵗ) in place of ε (3.2e-6 at t = 1, falling to
/// 1e-7): the two differ only while √V̂ is within a few ε. The lecture's slide
/// writes √(V̂ + ε) with ε ≈ 1e-8, inside the root; that makes steps shrink
/// whenever √V̂ < 3e-4, and the course's own results (made with Keras) are not
/// reproduced: the lecture's recall net lstm(20) >> lstm(2) reaches a deviation
/// of 0.61 on 30 sequences after 300 steps with ε outside (the course: 1.17),
/// 5.8 with it inside.
public final class Adam: DeclaredOptimizer {
    public var lr: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 2)

    public static let name = "adam"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.001), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-7)]
    public static let doc = "Adam with bias correction (Kingma & Ba, Algorithm 1): m = beta1 m + (1 - beta1) g; V = beta2 V + (1 - beta2) g^2; w -= lr m^ / (sqrt(V^) + eps), with m^ = m / (1 - beta1^t), V^ = V / (1 - beta2^t). eps is added to the bias-corrected sqrt(V^); Keras adds it to sqrt(V) before the correction, the same as eps / sqrt(1 - beta2^t) here (3.2e-6 at t = 1): they differ only while sqrt(V^) is within a few eps. The lecture's slide puts eps inside the root."

    public init(lr: Double = Adam.defaultValue("lr"), beta1: Double = Adam.defaultValue("beta1"), beta2: Double = Adam.defaultValue("beta2"), eps: Double = Adam.defaultValue("eps"), clipnorm: Double? = nil) {
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(lr: values[0], beta1: values[1], beta2: values[2], eps: values[3], clipnorm: clipnorm) }

    public var config: OptimizerConfig {
        OptimizerConfig(Self.name, [("lr", lr), ("beta1", beta1), ("beta2", beta2), ("eps", eps), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, b1 = self.beta1, b2 = self.beta2, eps = self.eps
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let m = slot.a, v = slot.b
            let t = Double(slot.t)      // this parameter's update number, from 1
            let c1 = 1 / (1 - pow(b1, t)), c2 = 1 / (1 - pow(b2, t))
            // four lanes at a time (as a scalar loop it did not vectorize: p, g, m and v might
            // alias, and each element's square root and division then ran alone); the last
            // lanes padded. Every element gets the same operations in the same order, so a
            // large parameter split over the kernel threads (pieces of whole lanes) gives the
            // same numbers on any number of threads.
            let lanes = { (lo: Int, hi: Int) in
                var j = lo
                while j < hi {
                    let c = Swift.min(4, hi - j)
                    let gj = scale * lanes4(g + j, c)
                    let mj = b1 * lanes4(m + j, c) + (1 - b1) * gj
                    let vj = b2 * lanes4(v + j, c) + (1 - b2) * gj * gj
                    setLanes4(m + j, mj, c)
                    setLanes4(v + j, vj, c)
                    setLanes4(p + j, lanes4(p + j, c) - lr * (mj * c1) / (vectorRoot(vj * c2) + eps), c)
                    j += 4
                }
            }
            let parts = Swift.min(Tensor.kernelThreads, n / adamSplitElements)
            if parts <= 1 { lanes(0, n); return }
            onThreads(parts) { q in lanes((n * q / parts) & ~3, q == parts - 1 ? n : (n * (q + 1) / parts) & ~3) }
        }
    }
}

extension Adam: SingleUpdate {
    /// The update in single precision, for a float32 layer trained natively: the same
    /// formula on float m, V and weights, its constants (beta1, 1 - beta1, ..., the bias
    /// corrections 1 / (1 - beta^t)) computed in float64 and rounded to float32 once per
    /// step. One pass over g, m, V and w, eight lanes at a time, large parameters split
    /// over the kernel threads (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let lr = Float(self.lr), b1 = Float(beta1), b2 = Float(beta2), eps = Float(self.eps)
        let a1 = Float(1 - beta1), a2 = Float(1 - beta2), bd1 = beta1, bd2 = beta2
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, slot in
            let m = slot.a, v = slot.b
            let t = Double(slot.t)
            let c1 = Float(1 / (1 - pow(bd1, t))), c2 = Float(1 / (1 - pow(bd2, t)))
            forEachPiece(n) { lo, hi in
                eachLane8(lo, hi) { j, c in
                    let gj = scale * lanes8(g + j, c)
                    let mj = b1 * lanes8(m + j, c) + a1 * gj
                    let vj = b2 * lanes8(v + j, c) + a2 * gj * gj
                    setLanes8(m + j, mj, c)
                    setLanes8(v + j, vj, c)
                    setLanes8(p + j, lanes8(p + j, c) - lr * (mj * c1) / (vectorRoot(vj * c2) + eps), c)
                }
            }
        }
    }
}

/// The lanes' square roots in one instruction. SIMD's own squareRoot() takes each
/// lane's root alone (on Linux a scalar root with errno handling, which does not
/// vectorise: 60% of adam's float update). The roots are IEEE's, correctly rounded,
/// so the numbers are the same.
@inline(__always) func vectorRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    #if arch(x86_64)
    return _mm256_sqrt_ps(x)
    #else
    return x.squareRoot()
    #endif
}

@inline(__always) func vectorRoot(_ x: SIMD4<Double>) -> SIMD4<Double> {
    #if arch(x86_64)
    return _mm256_sqrt_pd(x)
    #else
    return x.squareRoot()
    #endif
}

/// A parameter of at least this many elements per thread has its Adam update split
/// over the kernel threads (below, starting a worker costs more than it saves).
let adamSplitElements = 1 << 15

/// p[0..<count] (count <= 4) in the first lanes, the rest zero.
@inline(__always) func lanes4(_ p: UnsafePointer<Double>, _ count: Int) -> SIMD4<Double> {
    if count == 4 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self) }
    var v = SIMD4<Double>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Writes the first `count` lanes of v to p.
@inline(__always) func setLanes4(_ p: UnsafeMutablePointer<Double>, _ v: SIMD4<Double>, _ count: Int) {
    if count == 4 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self); return }
    for i in 0..<count { p[i] = v[i] }
}
