// The fused simple_rnn sequence on raw pointers (as LSTMCore.swift for the LSTM):
// forward, backprop through time and the weight gradients in S, run by the graph op
// (`SimpleRNN.sequence`) and by the native float32 trainer. Time-major.
import MLPTensor

/// The buffers of one sequence of a simple_rnn of `n` units on [bs, T, D] input, from
/// `workspace` (the graph op's) or made (a trainer's own); the backward ones at the first `backward`.
final class SimpleRNNBuffers<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int, parts: Int
    /// Pre-activations kept where the activation's derivative needs them (not tanh, sigmoid, linear).
    let needZ: Bool, act: Activation
    let workspace: Workspace?
    /// x W for all steps, h_t (h0 first), the pre-activations.
    let proj: Scratch<S>, hst: Scratch<S>, zs: Scratch<S>
    private(set) var back: (dz: Scratch<S>, dh: Scratch<S>)?
    private(set) var taken = 0
    /// The core of the last forward pass (a trainer's, for its backward).
    var core: SimpleRNNCore<S>?

    init(bs: Int, T: Int, D: Int, n: Int, _ act: Activation, workspace: Workspace?) throws {
        self.bs = bs; self.T = T; self.D = D; self.n = n; self.act = act; self.workspace = workspace
        switch act { case .tanh, .sigmoid, .linear: needZ = false; default: needZ = true }
        let bn = bs * n
        parts = recurrentParts(bs: bs, work: T * bn * n)
        proj = try workspace.scratch(bs * T * n, S.self)
        hst = try workspace.scratch((T + 1) * bn, S.self)
        zs = try workspace.scratch(needZ ? T * bn : 0, S.self)
        taken = 3
    }

    /// The pre-activation gradients (time-major rows) and dh of the step being processed.
    func backward() throws -> (dz: Scratch<S>, dh: Scratch<S>) {
        if let back { return back }
        let b = (try workspace.scratch(T * bs * n, S.self), try workspace.scratch(bs * n, S.self))
        back = b
        taken += 2
        return b
    }
}

/// One simple_rnn sequence's pointers (only raw pointers and values: the threads read it).
struct SimpleRNNCore<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int, parts: Int, needZ: Bool
    let act: Activation
    /// The input, batch-major [bs, T, D]; kernel [D, n], recurrent kernel [n, n], bias [n].
    let X: UnsafePointer<S>, W: UnsafePointer<S>, U: UnsafePointer<S>, bias: UnsafePointer<S>
    let returnSequences: Bool
    let P: UnsafeMutablePointer<S>, HS: UnsafeMutablePointer<S>, Zs: UnsafeMutablePointer<S>

    init(_ b: SimpleRNNBuffers<S>, _ act: Activation, X: UnsafePointer<S>, W: UnsafePointer<S>, U: UnsafePointer<S>,
         bias: UnsafePointer<S>, returnSequences: Bool) {
        bs = b.bs; T = b.T; D = b.D; n = b.n; parts = b.parts; needZ = b.needZ; self.act = act
        self.X = X; self.W = W; self.U = U; self.bias = bias; self.returnSequences = returnSequences
        P = b.proj.base; HS = b.hst.base; Zs = b.zs.base
    }

    /// The forward pass from h0 (HS's first rows, written by the caller); `out` gets every
    /// step's h batch-major [bs, T, n] (or the last h [bs, n]) in O after the steps.
    func forward<O: RecurrentScalar>(out: UnsafeMutablePointer<O>?) {
        let bn = bs * n
        let T = T, n = n, bs = bs, HS = HS, Zs = Zs, U = U, P = P, Bi = bias, needZ = needZ, act = act
        bigGemm(false, false, bs * T, n, D, X, D, W, n, P, n)
        for bi in 0..<bs {
            for t in 0..<T {
                let src = P + (bi * T + t) * n, dst = HS + (t + 1) * bn + bi * n
                for j in 0..<n { dst[j] = src[j] + Bi[j] }
            }
        }
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        splitRows(bs, parts) { _, b0, b1 in
            let rows = b1 - b0, rn = rows * n, o = b0 * n
            for t in 0..<T {
                let hn = HS + (t + 1) * bn + o
                rgemm(false, false, rows, n, n, HS + t * bn + o, n, U, n, hn, n, accumulate: true)
                if needZ { (Zs + t * bn + o).update(from: hn, count: rn) }
                SimpleRNN.activateScalars(act, hn, rn)
            }
        }
        if let out { writeOutputs(HS, bs: bs, T: T, n: n, returnSequences: returnSequences, into: out) }
    }

    /// Backprop through time from the output gradient `G` (as `out` was); dh of h0 is
    /// left in the buffers' `dh`.
    func backward<GT: RecurrentScalar>(_ G: UnsafePointer<GT>, _ b: SimpleRNNBuffers<S>) throws {
        let bn = bs * n
        let (dzs, dhs) = try b.backward()
        let T = T, n = n, U = U, HS = HS, Zs = Zs, needZ = needZ, act = act, returnSequences = returnSequences
        let DZ = dzs.base, DH = dhs.base
        DH.update(repeating: 0, count: bn)
        splitRows(bs, parts) { _, b0, b1 in
            let rows = b1 - b0, o = b0 * n
            for t in stride(from: T - 1, through: 0, by: -1) {
                addStepGradient(G, into: DH, step: t, T: T, n: n, rows: b0, b1, returnSequences: returnSequences)
                let h = HS + (t + 1) * bn, z = needZ ? Zs + t * bn : h, dz = DZ + t * bn
                for k in o..<(o + rows * n) { dz[k] = DH[k] * S(SimpleRNN.derivative(act, h[k].double, z[k].double)) }
                rgemm(false, true, rows, n, n, dz + o, n, U, n, DH + o, n, accumulate: false)
            }
        }
    }

    /// After `backward`: dW (D x n), dU (n x n), db (n) in O, as GRUCore.weightGradients.
    func weightGradients<O: RecurrentScalar>(_ b: SimpleRNNBuffers<S>, dw: UnsafeMutablePointer<O>, du: UnsafeMutablePointer<O>,
                                             db: UnsafeMutablePointer<O>, xt: UnsafeMutablePointer<S>,
                                             sScratch: UnsafeMutablePointer<S>?, dScratch: UnsafeMutablePointer<Double>?) {
        let DZ = b.back!.dz.base
        inputWeightGradient(X, DZ, n, bs: bs, T: T, D: D, into: dw, xt: xt, scratch: sScratch)
        rowProduct(HS, n, DZ, n, rows: bs * T, into: du, scratch: sScratch)
        let sums = O.self == Double.self ? UnsafeMutableRawPointer(db).assumingMemoryBound(to: Double.self) : dScratch!
        sums.update(repeating: 0, count: n)
        addColumnSums(DZ, bs * T, n, sums)
        if O.self != Double.self { for k in 0..<n { db[k] = O(sums[k]) } }
    }

    /// After `backward`: dx = dZ Wᵀ (batch-major [bs, T, D]) into `dx` in O, through `scratch` (bs·T·D).
    func inputGradient<O: RecurrentScalar>(_ b: SimpleRNNBuffers<S>, dx: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<S>) {
        MLPLearn.inputGradient(b.back!.dz.base, n, W, bs: bs, T: T, D: D, into: dx, scratch: scratch)
    }
}
