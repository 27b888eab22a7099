// The number type a fused recurrent op computes in. Weights, inputs and
// outputs are Double tensors either way; `precision="float32"` makes the LSTM
// convert them at the op's edges and run its products and gates in Float
// (twice the SIMD width and half the memory traffic: how PyTorch and Keras
// train by default), while the optimizer keeps the Double weights, as Keras's
// mixed-precision policies keep float32 variables under float16 compute (a model
// of float32 recurrent layers then float32 dense layers trains natively instead, its
// weights and the optimizer's state in Float: SingleRecurrentTraining.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import CBLAS

/// What a layer computes in: `precision="float64"` (the default) or `"float32"`.
public enum ComputeType: String, Sendable {
    case float64, float32

    /// The layer description's argument: nothing for the default float64.
    public var argument: String { self == .float64 ? "" : ", precision=\"\(rawValue)\"" }
}

/// Double or Float: the products, gate activations and conversions a fused op needs.
protocol RecurrentScalar: BinaryFloatingPoint, SIMDScalar, GateMath, Codable {
    init(_ value: Double)
    var double: Double { get }
    /// BLAS's C (m x n) (= or +=) op(A) @ op(B), row-major with leading dimensions (see rgemm).
    static func blas(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                     _ c: UnsafeMutablePointer<Self>, _ ldc: Int, accumulate: Bool)
    /// In place: sigmoid over p[0..<n].
    static func sigmoids(_ p: UnsafeMutablePointer<Self>, _ n: Int)
    /// out[j] = tanh(p[j]) for j < n (out may be p).
    static func tanhs(_ p: UnsafePointer<Self>, _ out: UnsafeMutablePointer<Self>, _ n: Int)
    /// Eight values as Double (kernels generic in their element compare and add in Double:
    /// SIMD comparisons of a generic scalar compile to a lane loop through memory).
    static func load8Double(_ p: UnsafePointer<Self>) -> SIMD8<Double>
    /// Stores eight Double values in this type.
    static func store8Double(_ p: UnsafeMutablePointer<Self>, _ v: SIMD8<Double>)
}

extension Double: RecurrentScalar {
    @inline(__always) var double: Double { self }
    @inline(__always) static func load8Double(_ p: UnsafePointer<Double>) -> SIMD8<Double> { load8(p) }
    @inline(__always) static func store8Double(_ p: UnsafeMutablePointer<Double>, _ v: SIMD8<Double>) { store8(p, v) }
    @inline(__always)
    static func blas(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                     _ c: UnsafeMutablePointer<Double>, _ ldc: Int, accumulate: Bool) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }
    @inline(__always) static func sigmoids(_ p: UnsafeMutablePointer<Double>, _ n: Int) { MLPLearn.sigmoidPairs(p, n) }
    @inline(__always) static func tanhs(_ p: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        MLPLearn.tanhPairs(p, out, n)
    }
}

extension Float: RecurrentScalar {
    @inline(__always) var double: Double { Double(self) }
    @inline(__always) static func load8Double(_ p: UnsafePointer<Float>) -> SIMD8<Double> { SIMD8<Double>(load8(p)) }
    @inline(__always) static func store8Double(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Double>) { store8(p, SIMD8<Float>(v)) }
    @inline(__always)
    static func blas(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// Eight lanes at a time (explicit SIMD: the scalar loop does not vectorize),
    /// the last partial group zero-padded; arguments clamped to ±40, where the
    /// sigmoid is 0 or 1 in Float.
    @inline(__always)
    static func sigmoids(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        lanes8(p, p, n) { z in 1 / (1 + expf32(clamp40(-z))) }
    }

    /// tanh x = 2 / (1 + e^(-2x)) - 1, eight lanes at a time as above.
    @inline(__always)
    static func tanhs(_ p: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        lanes8(p, out, n) { z in 2 / (1 + expf32(clamp40(-2 * z))) - 1 }
    }
}

/// out[0..<n] = f(p[0..<n]) in groups of eight (out may be p).
@inline(__always)
func lanes8(_ p: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    let src = UnsafeRawPointer(p), dst = UnsafeMutableRawPointer(out)
    var j = 0
    while j &+ 8 <= n {
        dst.storeBytes(of: f(src.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self)), toByteOffset: j &* 4, as: SIMD8<Float>.self)
        j &+= 8
    }
    if j < n {
        var v = SIMD8<Float>()
        for i in 0..<(n &- j) { v[i] = p[j &+ i] }
        v = f(v)
        for i in 0..<(n &- j) { out[j &+ i] = v[i] }
    }
}

/// One value or eight lanes: the gate-gradient formula is written once for both.
protocol GateMath {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static var one: Self { get }
}
extension Double: GateMath { @inline(__always) static var one: Double { 1 } }
extension Float: GateMath { @inline(__always) static var one: Float { 1 } }
extension SIMD8: GateMath where Scalar: RecurrentScalar {
    @inline(__always) static var one: SIMD8 { SIMD8(repeating: 1) }
}

@inline(__always) func load8<S: RecurrentScalar>(_ p: UnsafePointer<S>) -> SIMD8<S> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<S>.self)
}
@inline(__always) func store8<S: RecurrentScalar>(_ p: UnsafeMutablePointer<S>, _ v: SIMD8<S>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<S>.self)
}

/// As masks and blends (vminps, vcmpps, vblendvps): pointwiseMin/Max and a lane
/// loop compile to scalar code here.
@inline(__always) func clamp40(_ x: SIMD8<Float>) -> SIMD8<Float> {
    x.replacing(with: 40, where: x .> 40).replacing(with: -40, where: x .< -40)
}

/// e^x in Float on eight lanes for |x| <= 87, without a libm call: x = k ln2 + r
/// (Cody-Waite, |r| <= ln2/2), e^r by its Taylor series to degree 7 (truncation
/// below 1e-8 relative), 2^k put into the exponent bits.
@inline(__always) func expf32(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let shifter = SIMD8<Float>(repeating: 0x1.8p23)
    let t = x * 1.44269504 + shifter
    let kd = t - shifter
    let r = (x - kd * 0.693145752) - kd * 1.42860677e-06
    let r2 = r * r, r4 = r2 * r2
    let q0 = 1 + r, q1 = 0.5 + r * (1 / 6 as Float)
    let q2 = (1 / 24 as Float) + r * (1 / 120 as Float), q3 = (1 / 720 as Float) + r * (1 / 5040 as Float)
    let p = (q0 + q1 * r2) + (q2 + q3 * r2) * r4
    let k = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- unsafeBitCast(shifter, to: SIMD8<UInt32>.self)
    return p * unsafeBitCast((k &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// A scratch buffer of a fused op (see Workspace.scratch).
final class Scratch<S> {
    let base: UnsafeMutablePointer<S>
    let count: Int
    /// Its size comes from the input's, so memory the machine cannot give is an
    /// error (Swift's own allocate would stop the process).
    init(_ count: Int) throws {
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: MemoryLayout<S>.stride)
        guard !overflow, let raw = malloc(bytes) else {
            let bytes = Double(count) * Double(MemoryLayout<S>.stride)
            throw TensorError(nil, TensorStorage.outOfMemory(bytes: bytes, "for a layer's buffer"), kind: .outOfMemory(bytes: Int(Swift.min(bytes, 9e18))))
        }
        self.count = count
        base = raw.bindMemory(to: S.self, capacity: Swift.max(count, 1))
    }
    deinit { free(base) }
}

/// The scalars of a Double tensor as S: the tensor's own memory for Double, else a
/// converted copy in `scratch` (which the caller keeps alive while it reads them).
@inline(__always)
func scalars<S: RecurrentScalar>(_ t: Tensor, _ workspace: Workspace?, _ scratch: inout Scratch<S>?) throws -> UnsafeMutablePointer<S> {
    if S.self == Double.self { return UnsafeMutableRawPointer(t.base).assumingMemoryBound(to: S.self) }
    let s = try workspace.scratch(t.count, S.self)
    let src = t.base, dst = s.base
    for i in 0..<t.count { dst[i] = S(src[i]) }
    scratch = s
    return s.base
}

/// A new Double tensor of `shape` filled by `fill` with S values: written in place
/// for Double, else into scratch and converted.
@inline(__always)
func tensor<S: RecurrentScalar>(_ shape: [Int], _ workspace: Workspace?, _: S.Type,
                                _ fill: (UnsafeMutablePointer<S>) -> Void) throws -> Tensor {
    let out = try Tensor(uninitializedBounded: shape)
    if S.self == Double.self {
        fill(UnsafeMutableRawPointer(out.base).assumingMemoryBound(to: S.self))
        return out
    }
    let s = try workspace.scratch(out.count, S.self)
    withExtendedLifetime(s) {
        fill(s.base)
        let src = s.base, dst = out.base
        for i in 0..<out.count { dst[i] = src[i].double }
    }
    return out
}

/// A graph op's weight gradients as Double tensors dW [D, g], dU [n, g] and db
/// (`biasShape`), written by `fill` with the S scratch of their products (max(D, n)·g
/// for Float, none for Double) and of x's rows in time-major order (`xRows` values).
func graphWeightGradients<S: RecurrentScalar>(_ workspace: Workspace?, _: S.Type, D: Int, n: Int, g: Int, biasShape: [Int], xRows: Int,
                                              _ fill: (_ dw: UnsafeMutablePointer<Double>, _ du: UnsafeMutablePointer<Double>,
                                                       _ db: UnsafeMutablePointer<Double>, _ products: UnsafeMutablePointer<S>,
                                                       _ xt: UnsafeMutablePointer<S>) -> Void) throws -> (Tensor, Tensor, Tensor) {
    let dw = try Tensor(uninitializedBounded: [D, g]), du = try Tensor(uninitializedBounded: [n, g])
    let db = try Tensor(uninitializedBounded: biasShape)
    let products = try workspace.scratch(S.self == Double.self ? 0 : Swift.max(D, n) * g, S.self)
    let xt = try workspace.scratch(xRows, S.self)
    withExtendedLifetime((products, xt)) { fill(dw.base, du.base, db.base, products.base, xt.base) }
    return (dw, du, db)
}

/// A graph op's input gradient [bs, T, D] as a Double tensor when wanted (nil otherwise),
/// written by `fill` with an S scratch of bs·T·D values.
func graphInputGradient<S: RecurrentScalar>(_ wanted: Bool, _ workspace: Workspace?, _: S.Type, bs: Int, T: Int, D: Int,
                                            _ fill: (_ dx: UnsafeMutablePointer<Double>, _ scratch: UnsafeMutablePointer<S>) -> Void) throws -> Tensor? {
    guard wanted else { return nil }
    let scratch = try workspace.scratch(T * bs * D, S.self)
    let dx = try Tensor(uninitializedBounded: [bs, T, D])
    withExtendedLifetime(scratch) { fill(dx.base, scratch.base) }
    return dx
}

/// A Double tensor of `shape` from S values (a fused op's final state or state gradient).
func doubles<S: RecurrentScalar>(_ p: UnsafePointer<S>, _ shape: [Int]) throws -> Tensor {
    let out = try Tensor(uninitializedBounded: shape)
    let o = out.base
    for k in 0..<out.count { o[k] = p[k].double }
    return out
}

/// Every step's rows as Double [bs, T, n] (batch-major) from time-major rows
/// hs[t][bs][n], t = 0..<T (the outputs of a layer, or its input gradient).
func stepOutputs<S: RecurrentScalar>(_ hs: UnsafePointer<S>, bs: Int, T: Int, n: Int) throws -> Tensor {
    let out = try Tensor(uninitializedBounded: [bs, T, n])
    let O = out.base
    for t in 0..<T {
        for bi in 0..<bs {
            let src = hs + (t * bs + bi) * n, dst = O + (bi * T + t) * n
            for j in 0..<n { dst[j] = src[j].double }
        }
    }
    return out
}

/// A layer's output in O from its states hs (h_t time-major, t = 0...T, h0 first): every
/// step's h batch-major [bs, T, n], or the last h [bs, n].
func writeOutputs<S: RecurrentScalar, O: RecurrentScalar>(_ hs: UnsafePointer<S>, bs: Int, T: Int, n: Int, returnSequences: Bool,
                                                          into out: UnsafeMutablePointer<O>) {
    if returnSequences {
        for t in 0..<T {
            for bi in 0..<bs {
                let src = hs + ((t + 1) * bs + bi) * n, dst = out + (bi * T + t) * n
                for j in 0..<n { dst[j] = O(src[j].double) }
            }
        }
    } else {
        let last = hs + T * bs * n
        for k in 0..<(bs * n) { out[k] = O(last[k].double) }
    }
}

/// dh += the output gradient of step t for batch rows b0..<b1: every step's when the
/// layer returns sequences (G is [bs, T, n]), else only the last step's (G is [bs, n]).
/// G is the graph's Double, or a native trainer's S.
@inline(__always)
func addStepGradient<S: RecurrentScalar, GT: RecurrentScalar>(_ G: UnsafePointer<GT>, into DH: UnsafeMutablePointer<S>, step t: Int,
                                                              T: Int, n: Int, rows b0: Int, _ b1: Int, returnSequences: Bool) {
    if returnSequences {
        for bi in b0..<b1 {
            let src = G + (bi * T + t) * n, dst = DH + bi * n
            for j in 0..<n { dst[j] += S(src[j].double) }
        }
    } else if t == T - 1 {
        for k in (b0 * n)..<(b1 * n) { DH[k] += S(G[k].double) }
    }
}
