// Recurrent layers on [batch, time, features] input, as Keras has them: the
// state handling they share (initial state, final state, stateful carrying)
// and the raw kernels of their fused ops (products with leading dimensions,
// Swift loops for the tiniest and BLAS otherwise; exp, sigmoid and tanh as
// vectorizable loops; a workspace of scratch buffers reused between calls).
//
// Each layer's whole sequence is ONE op on the tape: the forward runs x @ W for
// all steps as one product, then per step h @ U; the pullback does backprop
// through time natively and gathers dW, dU, db with one product each. Inside,
// buffers are time-major (and gate-major per step), so every element-wise pass
// of a step is one contiguous loop over batch x units.
import MLPTensor
import MLPAutograd
import CBLAS

/// What the recurrent layers share: units, options, and their state.
open class RecurrentLayer: LayerBase {
    public let units: Int
    /// true (the lecture's default): the output is [batch, time, units]; false: the last step, [batch, units].
    public let returnSequences: Bool
    /// Keep the final state between calls (one state per batch size) as the next call's initial state.
    public let stateful: Bool
    /// The state at the start of a call: [batch, units] tensors (h; for LSTM h and c); nil for zeros.
    /// A stateful layer uses it only when it carries no state for the batch size.
    public var initialState: [Tensor]?
    /// The state after the last call: [batch, units] tensors (h; for LSTM h and c).
    public internal(set) var finalState: [Tensor]?
    /// A stateful layer's carried states, by batch size.
    public internal(set) var carriedStates: [Int: [Tensor]] = [:]

    /// Scratch buffers reused from call to call once the graph that used them is gone
    /// (fresh large buffers cost page faults on every training step).
    let workspace = Workspace()

    /// How many state tensors the cell has (LSTM: 2).
    open var stateCount: Int { 1 }
    var layerName: String { "rnn" }

    public init(units: Int, returnSequences: Bool, stateful: Bool, name: String) throws {
        guard units > 0 else { throw LearnError(name, "the number of units must be positive, got \(units).") }
        self.units = units; self.returnSequences = returnSequences; self.stateful = stateful
    }

    /// Makes the weights for inputs of `width` features (each cell overrides it).
    func build(_ width: Int, _ random: RandomGenerator) throws { fatalError("a recurrent layer overrides build") }

    /// The cell's fused op over the whole sequence from `state`: the output and the
    /// final state (each cell overrides it).
    func runSequence(_ x: Variable, _ state: [Variable], _ pass: ForwardPass) throws -> (Variable, [Tensor]) {
        fatalError("a recurrent layer overrides runSequence")
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        try forward(x, initialState: nil, pass)
    }

    /// Runs the layer from the given initial state ([h], or [h, c] for LSTM; variables,
    /// so gradients reach them).
    public func forward(_ x: Variable, initialState given: [Variable]?, _ pass: ForwardPass) throws -> Variable {
        let (batch, _, width) = try sequenceShape(x)
        if parameters.isEmpty { try build(width, pass.random) }
        try checkWidth(width, x)
        let (y, final) = try runSequence(x, try startState(batch, given), pass)
        endState(final)
        return finish(y, pass, self as! Layer, from: x)   // every subclass (LSTM, GRU, SimpleRNN) is a Layer
    }

    /// Forgets the carried states of a stateful layer (and the last final state).
    public func resetStates() { carriedStates = [:]; finalState = nil }

    /// The options after the units, as the constructor call writes them.
    var optionSuffix: String {
        var s = ""
        if !returnSequences { s += ", return_sequences=false" }
        if stateful { s += ", stateful=true" }
        return s
    }

    /// (batch, time, features) of a [batch, time, features] input.
    func sequenceShape(_ x: Variable) throws -> (Int, Int, Int) {
        let s = x.value.shape
        guard s.count == 3 else {
            throw LearnError(nil, "\(layerName)(\(units)): expected input of shape [batch, time, features], got \(Tensor.formatShape(s)).")
        }
        guard s[1] > 0 else { throw LearnError(nil, "\(layerName)(\(units)): the sequence has no time steps.") }
        // the step buffers (at most 4 gates per unit) cannot throw: their size is checked here
        try Tensor.checkShape([s[0], s[1], 4, units], "\(layerName)(\(units))")
        return (s[0], s[1], s[2])
    }

    /// The initial state variables for a batch: given ones, else the carried state
    /// (stateful), else `initialState`, else zeros.
    func startState(_ batch: Int, _ given: [Variable]?) throws -> [Variable] {
        let n = stateCount
        let states: [Variable]
        if let given {
            states = given
        } else if stateful, let carried = carriedStates[batch] {
            states = carried.map { Variable(constant: $0) }
        } else if let initialState {
            states = initialState.map { Variable(constant: $0) }
        } else {
            let z = try Tensor.zeros([batch, units])
            states = (0..<n).map { _ in Variable(constant: z) }
        }
        guard states.count == n else {
            throw LearnError(nil, "\(layerName)(\(units)): the initial state needs \(n) tensor\(n == 1 ? "" : "s"), got \(states.count).")
        }
        for s in states where s.value.shape != [batch, units] {
            throw LearnError(nil, "\(layerName)(\(units)): an initial state must have shape \(Tensor.formatShape([batch, units])), got \(Tensor.formatShape(s.value.shape)).")
        }
        return states
    }

    /// Records the final state (and carries it when stateful).
    func endState(_ states: [Tensor]) {
        finalState = states
        if stateful, let b = states.first?.shape.first { carriedStates[b] = states }
    }

    /// Checks the input width against the built kernel.
    func checkWidth(_ width: Int, _ x: Variable) throws {
        let w = parameters[0].value.shape[0]
        guard width == w else {
            throw LearnError(nil, "\(layerName)(\(units)): expected inputs with \(w) features (the layer was built for that), got shape \(Tensor.formatShape(x.value.shape)).")
        }
    }
}

/// Buffers of a layer's fused op, handed out again once nothing else holds them
/// (the op's pullback holds its buffers until the backward pass releases the graph).
final class Workspace {
    private var items: [Tensor] = []
    private var scratches: [AnyObject] = []
    private let limit = 24

    /// An uninitialised buffer of `shape`: a free one of the same size, else a new one.
    func take(_ shape: [Int]) throws -> Tensor {
        let count = shape.reduce(1, *)
        for i in items.indices where items[i].count == count && items[i].isUniquelyReferenced() {
            return Tensor(storage: items[i].storage, shape: shape)
        }
        let t = try Tensor(uninitializedBounded: shape)
        if items.count < limit { items.append(t) }
        return t
    }

    /// An uninitialised buffer of `count` S values, reused the same way.
    func scratch<S>(_ count: Int, _: S.Type) throws -> Scratch<S> {
        // Uniqueness before the cast (a bound `s` is a second reference), and through
        // the buffer: `isKnownUniquelyReferenced(&scratches[i])` on [AnyObject] came
        // out false for unique objects in the release build, so nothing was reused.
        let free: Scratch<S>? = scratches.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices where isKnownUniquelyReferenced(&buffer[i]) {
                if let s = buffer[i] as? Scratch<S>, s.count == count { return s }
            }
            return nil
        }
        if let free { return free }
        let s = try Scratch<S>(count)
        if scratches.count < limit { scratches.append(s) }
        return s
    }
}

extension Optional where Wrapped == Workspace {
    @inline(__always) func take(_ shape: [Int]) throws -> Tensor {
        if let w = self { return try w.take(shape) }
        return try Tensor(uninitializedBounded: shape)
    }
    @inline(__always) func scratch<S>(_ count: Int, _ type: S.Type) throws -> Scratch<S> {
        if let w = self { return try w.scratch(count, type) }
        return try Scratch<S>(count)
    }
}

// MARK: - batch rows on threads

/// Multiply-adds of a sequence's recurrent products below which it runs on one thread.
nonisolated(unsafe) var recurrentParallelWork = 1 << 22

/// How many threads run a fused op's batch rows: the product threads (1 unless
/// OPENBLAS_NUM_THREADS or OMP_NUM_THREADS asks for more, so results repeat under
/// a fixed setting) when each thread gets at least 8 rows and enough work.
func recurrentParts(bs: Int, work: Int) -> Int {
    let threads = BLASThreads.count
    guard threads > 1, work >= recurrentParallelWork else { return 1 }
    return Swift.max(1, Swift.min(threads, bs / 8))
}

/// Runs `body(p, b0, b1)` for part p of `parts` contiguous row ranges of 0..<rows, one
/// per thread (each thread's products are its own, single-threaded). The body must touch
/// raw pointers and values only (no shared Swift objects).
func splitRows(_ rows: Int, _ parts: Int, _ body: (Int, Int, Int) -> Void) {
    onThreads(parts) { p in body(p, rows * p / parts, rows * (p + 1) / parts) }
}

// MARK: - kernels

/// At or below this many multiply-adds a product runs as Swift loops instead of BLAS.
/// Measured (2-core EPYC, OpenBLAS 0.3.21 with its AVX-512 kernels, this module built for
/// baseline x86-64): BLAS wins from 20 x 20 x 5 on (0.66 vs 1.0 us); the loops only for
/// the tiniest products, such as lstm(2)'s 20 x 8 x 2 per step.
nonisolated(unsafe) var recurrentSmallGemm = 512

/// C (m x n) (= or +=) op(A) @ op(B), row-major with leading dimensions.
/// A is m x k (or k x m when transA), B is k x n (or n x k when transB).
@inline(__always)
func rgemm<S: RecurrentScalar>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                               _ a: UnsafePointer<S>, _ lda: Int, _ b: UnsafePointer<S>, _ ldb: Int,
                               _ c: UnsafeMutablePointer<S>, _ ldc: Int, accumulate: Bool) {
    if m == 0 || n == 0 { return }
    if m &* n &* k <= recurrentSmallGemm {
        smallGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate)
        return
    }
    S.blas(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: accumulate)
}

/// rgemm for the products over all steps at once, split over the product threads.
func bigGemm<S: RecurrentScalar>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                 _ a: UnsafePointer<S>, _ lda: Int, _ b: UnsafePointer<S>, _ ldb: Int,
                                 _ c: UnsafeMutablePointer<S>, _ ldc: Int) {
    splitProduct(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, threads: BLASThreads.count) { m, n, a, lda, b, ldb, c, ldc in
        rgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: false)
    }
}

@inline(__always) func load4<S: RecurrentScalar>(_ p: UnsafePointer<S>) -> SIMD4<S> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<S>.self)
}
@inline(__always) func add4<S: RecurrentScalar>(_ p: UnsafeMutablePointer<S>, _ v: SIMD4<S>) {
    let r = UnsafeMutableRawPointer(p)
    r.storeBytes(of: r.loadUnaligned(as: SIMD4<S>.self) + v, as: SIMD4<S>.self)
}

@inline(never)
func smallGemm<S: RecurrentScalar>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
               _ a: UnsafePointer<S>, _ lda: Int, _ b: UnsafePointer<S>, _ ldb: Int,
               _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ accumulate: Bool) {
    if !accumulate {
        for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) }
    }
    if !transB {
        // C[i, j..j+7] accumulated in registers over p; the tail column by column
        for i in 0..<m {
            let crow = c + i &* ldc
            var j = 0
            while j &+ 8 <= n {
                var s0 = SIMD4<S>(), s1 = SIMD4<S>()
                var p = 0
                while p < k {
                    let x = SIMD4<S>(repeating: transA ? a[p &* lda &+ i] : a[i &* lda &+ p])
                    let brow = b + (p &* ldb &+ j)
                    s0 += x * load4(brow)
                    s1 += x * load4(brow + 4)
                    p &+= 1
                }
                add4(crow + j, s0)
                add4(crow + (j &+ 4), s1)
                j &+= 8
            }
            if j &+ 4 <= n {
                var s0 = SIMD4<S>()
                var p = 0
                while p < k {
                    let x = SIMD4<S>(repeating: transA ? a[p &* lda &+ i] : a[i &* lda &+ p])
                    s0 += x * load4(b + (p &* ldb &+ j))
                    p &+= 1
                }
                add4(crow + j, s0)
                j &+= 4
            }
            while j < n {
                var s: S = 0
                var p = 0
                while p < k { s += (transA ? a[p &* lda &+ i] : a[i &* lda &+ p]) * b[p &* ldb &+ j]; p &+= 1 }
                crow[j] += s
                j &+= 1
            }
        }
    } else {
        // C[i, j] += dot(A row i, B row j), four rows of B at a time (independent sums)
        for i in 0..<m {
            let crow = c + i &* ldc
            @inline(__always) func av(_ p: Int) -> S { transA ? a[p &* lda &+ i] : a[i &* lda &+ p] }
            var j = 0
            while j &+ 4 <= n {
                let b0 = b + j &* ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb
                var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0
                var p = 0
                while p < k {
                    let x = av(p)
                    s0 += x * b0[p]; s1 += x * b1[p]; s2 += x * b2[p]; s3 += x * b3[p]
                    p &+= 1
                }
                crow[j] += s0; crow[j &+ 1] += s1; crow[j &+ 2] += s2; crow[j &+ 3] += s3
                j &+= 4
            }
            while j < n {
                let b0 = b + j &* ldb
                var s0: S = 0, s1: S = 0
                var p = 0
                while p &+ 2 <= k { s0 += av(p) * b0[p]; s1 += av(p &+ 1) * b0[p &+ 1]; p &+= 2 }
                if p < k { s0 += av(p) * b0[p] }
                crow[j] += s0 + s1
                j &+= 1
            }
        }
    }
}

/// Column sums of an r x n contiguous matrix added into out[0..<n]; large ones by
/// column blocks on the product threads (each sum keeps its order).
@inline(__always)
func addColumnSums<S: RecurrentScalar>(_ a: UnsafePointer<S>, _ rows: Int, _ n: Int, _ out: UnsafeMutablePointer<Double>) {
    let parts = rows &* n < 1 << 18 ? 1 : Swift.max(1, Swift.min(BLASThreads.count, n / 64))
    onThreads(parts) { p in
        let j0 = n &* p / parts, j1 = n &* (p &+ 1) / parts
        for r in 0..<rows {
            let row = a + r &* n
            var j = j0
            while j < j1 { out[j] += row[j].double; j &+= 1 }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// e^x without a table or a libm call, so loops over it vectorize: x = k ln2 + r with
/// |r| <= ln2/2 (Cody-Waite), e^r by its Taylor series to degree 13 (truncation below
/// 1e-17 relative) in Estrin's scheme, 2^k put into the exponent bits. x is clamped to [-708, 708].
@inline(__always) func rnnExp(_ x: Double) -> Double { expInRange(Swift.min(Swift.max(x, -708.0), 708.0)) }

/// e^x for |x| <= 708 (no clamp: the paired loops clamp once, to ±350, themselves).
@inline(__always) func expInRange(_ xc: Double) -> Double {
    let shifter = 0x1.8p52
    let t = xc * 1.4426950408889634 + shifter
    let kd = t - shifter
    let r = (xc - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10
    // Estrin's scheme (short dependency chains: the loops are latency-bound under Horner)
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let q0 = 1 + r, q1 = 0.5 + r * (1.0 / 6.0)
    let q2 = 1.0 / 24.0 + r * (1.0 / 120.0), q3 = 1.0 / 720.0 + r * (1.0 / 5040.0)
    let q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0), q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
    let q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    let s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2
    let p = (s0 + s1 * r4) + (s2 + q6 * r4) * r8
    let k = Int64(bitPattern: t.bitPattern &- shifter.bitPattern)
    return p * Double(bitPattern: UInt64(bitPattern: (k &+ 1023) &<< 52))
}

@inline(__always) func rnnSigmoid(_ x: Double) -> Double { 1 / (1 + rnnExp(-x)) }
/// 2 / (1 + e^(-2x)) - 1: accurate to an ulp of 1, saturates without nan.
@inline(__always) func rnnTanh(_ x: Double) -> Double { 2 / (1 + rnnExp(-2 * x)) - 1 }

/// In place: sigmoid over p[0..<n].
@inline(__always)
func sigmoidInPlace(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    var j = 0
    while j < n { p[j] = rnnSigmoid(p[j]); j &+= 1 }
}

/// In place: tanh over p[0..<n].
@inline(__always)
func tanhInPlace(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    var j = 0
    while j < n { p[j] = rnnTanh(p[j]); j &+= 1 }
}

/// out[j] = tanh(p[j]) for j < n: elements j and j + n/2 share one division,
/// 1/d1 = d2 / (d1 d2) (arguments clamped to ±350 so that d1 d2 stays finite;
/// beyond that tanh is within 1e-152 of ±1).
@inline(__always)
func tanhInPlace2(_ p: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    let h = n >> 1
    var j = 0
    while j < h {
        let d1 = 1 + expInRange(Swift.min(Swift.max(-2 * p[j], -350), 350))
        let d2 = 1 + expInRange(Swift.min(Swift.max(-2 * p[j &+ h], -350), 350))
        let r = 2 / (d1 * d2)
        out[j] = d2 * r - 1
        out[j &+ h] = d1 * r - 1
        j &+= 1
    }
    if n & 1 == 1 { out[n &- 1] = rnnTanh(p[n &- 1]) }
}

/// In place: sigmoid over p[0..<n], elements j and j + n/2 sharing one division
/// (arguments clamped to ±350 so that the product of the denominators stays finite).
@inline(__always)
func sigmoidPairs(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    let h = n >> 1
    let q = p + h
    var j = 0
    while j < h {
        let d1 = 1 + expInRange(Swift.min(Swift.max(-p[j], -350), 350))
        let d2 = 1 + expInRange(Swift.min(Swift.max(-q[j], -350), 350))
        let r = 1 / (d1 * d2)
        p[j] = d2 * r
        q[j] = d1 * r
        j &+= 1
    }
    if n & 1 == 1 { p[n &- 1] = rnnSigmoid(p[n &- 1]) }
}

/// out[j] = tanh(p[j]) for j < n (out may be p), pairs sharing a division.
@inline(__always)
func tanhPairs(_ p: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    tanhInPlace2(p, out, n)
}

extension Tensor {
    /// The storage's first element (tensors are contiguous; for buffers this op owns).
    @inline(__always) var base: UnsafeMutablePointer<Double> { storage.pointer }
}

// MARK: the gradients every recurrent layer's backward pass ends with

/// The weight gradient Xᵀ dZ for x [bs, T, D] and time-major pre-activation
/// gradients dZ [T·bs, g]: x's rows are put in time-major order first.
func inputWeightGradient<S: RecurrentScalar>(_ X: UnsafePointer<S>, _ DZ: UnsafePointer<S>, _ g: Int, bs: Int, T: Int, D: Int,
                                             _ workspace: Workspace?) throws -> Tensor {
    let xt = try workspace.scratch(T * bs * D, S.self)
    return try withExtendedLifetime(xt) {
        try tensor([D, g], workspace, S.self) { c in
            inputWeightGradient(X, DZ, g, bs: bs, T: T, D: D, into: c, xt: xt.base, scratch: nil)
        }
    }
}

/// The same into `dw` (D x g) in O, x's rows put into `xt` (bs·T·D); computed in S, in
/// place when O is S, else through `scratch` (D·g).
func inputWeightGradient<S: RecurrentScalar, O: RecurrentScalar>(_ X: UnsafePointer<S>, _ DZ: UnsafePointer<S>, _ g: Int,
                                                                 bs: Int, T: Int, D: Int, into dw: UnsafeMutablePointer<O>,
                                                                 xt: UnsafeMutablePointer<S>, scratch: UnsafeMutablePointer<S>?) {
    for bi in 0..<bs { for t in 0..<T { (xt + (t * bs + bi) * D).update(from: X + (bi * T + t) * D, count: D) } }
    rowProduct(xt, D, DZ, g, rows: bs * T, into: dw, scratch: scratch)
}

/// Off only in tests, to compare with the product.
nonisolated(unsafe) var recurrentOneHot = true

/// For x [bs, T, D] whose every row is one-hot (a single 1, zeros elsewhere), the
/// column of each row's 1; nil otherwise (the scan stops at the first other row).
/// x @ W is then a gather of W's rows, exactly, and Xᵀ dZ a scatter-add.
func oneHotColumns(_ x: Tensor) throws -> Scratch<Int32>? {
    let D = x.shape[2], rows = x.count / Swift.max(D, 1)
    guard recurrentOneHot, D > 1, D <= Int(Int32.max) else { return nil }
    let out = try Scratch<Int32>(rows)
    return oneHotColumns(x, into: out.base) ? out : nil
}

/// The same into `out` (x.count / D values); false when x is not one-hot.
func oneHotColumns(_ x: Tensor, into out: UnsafeMutablePointer<Int32>) -> Bool {
    let D = x.shape[2], rows = x.count / Swift.max(D, 1)
    guard recurrentOneHot, D > 1, D <= Int(Int32.max) else { return false }
    let X = x.base
    for r in 0..<rows {
        let row = X + r &* D
        var at = -1
        for j in 0..<D {
            let v = row[j]
            if v == 1 && at < 0 { at = j } else if v != 0 { return false }
        }
        if at < 0 { return false }
        out[r] = Int32(at)
    }
    return true
}

/// Xᵀ dZ for one-hot x (columns `hot`, batch-major rows) and time-major dZ [T·bs, g]:
/// each step's gradient row added to the weight row its input selected.
func oneHotWeightGradient<S: RecurrentScalar>(_ hot: UnsafePointer<Int32>, _ DZ: UnsafePointer<S>, _ g: Int,
                                              bs: Int, T: Int, D: Int) throws -> Tensor {
    let out = try Tensor.zeros([D, g])
    oneHotWeightGradient(hot, DZ, g, bs: bs, T: T, D: D, into: out.base)
    return out
}

/// The same added into O (D x g).
func oneHotWeightGradient<S: RecurrentScalar>(_ hot: UnsafePointer<Int32>, _ DZ: UnsafePointer<S>, _ g: Int,
                                              bs: Int, T: Int, D: Int, into O: UnsafeMutablePointer<Double>) {
    // columns on the product threads (each element's sum keeps its order)
    let parts = bs * T * g < 1 << 18 ? 1 : Swift.max(1, Swift.min(BLASThreads.count, g / 64))
    onThreads(parts) { p in
        let j0 = g * p / parts, j1 = g * (p + 1) / parts
        for bi in 0..<bs {
            for t in 0..<T {
                let src = DZ + (t * bs + bi) * g, dst = O + Int(hot[bi * T + t]) * g
                for j in j0..<j1 { dst[j] += src[j].double }
            }
        }
    }
}

/// Aᵀ B over k rows: A's rows of width m against B's rows of width n give [m, n]
/// (a weight gradient from the inputs and pre-activation gradients of all steps).
func rowProduct<S: RecurrentScalar>(_ A: UnsafePointer<S>, _ m: Int, _ B: UnsafePointer<S>, _ n: Int, rows k: Int,
                                    _ workspace: Workspace? = nil) throws -> Tensor {
    try tensor([m, n], workspace, S.self) { c in rowProduct(A, m, B, n, rows: k, into: c, scratch: nil) }
}

/// The same into `out` (m x n) in O: in place when O is S, else through `scratch` (m·n).
func rowProduct<S: RecurrentScalar, O: RecurrentScalar>(_ A: UnsafePointer<S>, _ m: Int, _ B: UnsafePointer<S>, _ n: Int, rows k: Int,
                                                        into out: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<S>?) {
    into(out, count: m * n, scratch) { c in bigGemm(true, false, m, n, k, A, m, B, n, c, n) }
}

/// dx = dZ Wᵀ for time-major rows dZ [T·bs, g], returned batch-major [bs, T, D].
func inputGradient<S: RecurrentScalar>(_ DZ: UnsafePointer<S>, _ g: Int, _ W: UnsafePointer<S>, bs: Int, T: Int, D: Int,
                                       _ workspace: Workspace?) throws -> Tensor {
    let scratch = try workspace.scratch(T * bs * D, S.self)
    let out = try Tensor(uninitializedBounded: [bs, T, D])
    withExtendedLifetime(scratch) { inputGradient(DZ, g, W, bs: bs, T: T, D: D, into: out.base, scratch: scratch.base) }
    return out
}

/// The same into `dx` (batch-major [bs, T, D]) in O, through `scratch` (bs·T·D of S).
func inputGradient<S: RecurrentScalar, O: RecurrentScalar>(_ DZ: UnsafePointer<S>, _ g: Int, _ W: UnsafePointer<S>, bs: Int, T: Int,
                                                           D: Int, into dx: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<S>) {
    bigGemm(false, true, bs * T, D, g, DZ, g, W, g, scratch, D)
    for t in 0..<T {
        for bi in 0..<bs {
            let src = scratch + (t * bs + bi) * D, dst = dx + (bi * T + t) * D
            for j in 0..<D { dst[j] = O(src[j].double) }
        }
    }
}

/// Runs `fill` on `out` itself when O is S, else on `scratch` (count values), converted after.
@inline(__always)
func into<O: RecurrentScalar, S: RecurrentScalar>(_ out: UnsafeMutablePointer<O>, count: Int, _ scratch: UnsafeMutablePointer<S>?,
                                                  _ fill: (UnsafeMutablePointer<S>) -> Void) {
    if O.self == S.self { fill(UnsafeMutableRawPointer(out).assumingMemoryBound(to: S.self)); return }
    let scratch = scratch!
    fill(scratch)
    for i in 0..<count { out[i] = O(scratch[i].double) }
}
