// The fused GRU sequence on raw pointers (as LSTMCore.swift for the LSTM): forward,
// backprop through time and the weight gradients in S, run by the graph op
// (`GRU.sequence`) and by the native float32 trainer (SingleRecurrentTraining.swift).
// Time-major with gate-major steps ([3][batch][units]: z, r, ĥ).
import MLPTensor

/// The buffers of one sequence of a GRU of `n` units on [bs, T, D] input, from
/// `workspace` (the graph op's) or made (a trainer's own); the backward ones at the
/// first `backward`.
final class GRUBuffers<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int, parts: Int
    let workspace: Workspace?
    /// x W for all steps, x W + b_in then z, r, ĥ after activation, h U + b_rec, h_t (h0 first), h_{t-1} U.
    let proj: Scratch<S>, asx: Scratch<S>, qs: Scratch<S>, hst: Scratch<S>, rec: Scratch<S>
    private(set) var back: (da: Scratch<S>, dq: Scratch<S>, dh: Scratch<S>)?
    private(set) var taken = 0
    /// The core of the last forward pass (a trainer's, for its backward).
    var core: GRUCore<S>?

    init(bs: Int, T: Int, D: Int, n: Int, workspace: Workspace?) throws {
        self.bs = bs; self.T = T; self.D = D; self.n = n; self.workspace = workspace
        let g = 3 * n, bn = bs * n, bg = bs * g
        parts = recurrentParts(bs: bs, work: T * bg * n)
        proj = try workspace.scratch(bs * T * g, S.self)
        asx = try workspace.scratch(T * bg, S.self)
        qs = try workspace.scratch(T * bg, S.self)
        hst = try workspace.scratch((T + 1) * bn, S.self)
        rec = try workspace.scratch(bg, S.self)
        taken = 5
    }

    /// Input-side and recurrent-side pre-activation gradients (time-major rows), dh of the step.
    func backward() throws -> (da: Scratch<S>, dq: Scratch<S>, dh: Scratch<S>) {
        if let back { return back }
        let b = (try workspace.scratch(T * bs * 3 * n, S.self), try workspace.scratch(T * bs * 3 * n, S.self),
                 try workspace.scratch(bs * n, S.self))
        back = b
        taken += 3
        return b
    }
}

/// One GRU sequence's pointers (only raw pointers and values: the threads read it).
struct GRUCore<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int, parts: Int
    /// The input, batch-major [bs, T, D]; kernel [D, 3n], recurrent kernel [n, 3n], bias [2, 3n] (b_in, b_rec).
    let X: UnsafePointer<S>, W: UnsafePointer<S>, U: UnsafePointer<S>, bias: UnsafePointer<S>
    let returnSequences: Bool
    let P: UnsafeMutablePointer<S>, A: UnsafeMutablePointer<S>, Q: UnsafeMutablePointer<S>
    let HS: UnsafeMutablePointer<S>, R: UnsafeMutablePointer<S>

    init(_ b: GRUBuffers<S>, X: UnsafePointer<S>, W: UnsafePointer<S>, U: UnsafePointer<S>, bias: UnsafePointer<S>, returnSequences: Bool) {
        bs = b.bs; T = b.T; D = b.D; n = b.n; parts = b.parts
        self.X = X; self.W = W; self.U = U; self.bias = bias; self.returnSequences = returnSequences
        P = b.proj.base; A = b.asx.base; Q = b.qs.base; HS = b.hst.base; R = b.rec.base
    }

    /// The forward pass from h0 (HS's first rows, written by the caller); `out` gets every
    /// step's h batch-major [bs, T, n] (or the last h [bs, n]) in O after the steps.
    func forward<O: RecurrentScalar>(out: UnsafeMutablePointer<O>?) {
        let g = 3 * n, bn = bs * n, bg = bs * g
        let T = T, n = n, bs = bs, A = A, Q = Q, HS = HS, R = R, U = U, P = P
        let Bi = bias, Br = bias + g
        bigGemm(false, false, bs * T, g, D, X, D, W, g, P, g)
        for bi in 0..<bs {
            for t in 0..<T {
                let src = P + (bi * T + t) * g, dst = A + t * bg + bi * n
                for q in 0..<3 {
                    let s = src + q * n, d = dst + q * bn, bq = Bi + q * n
                    for j in 0..<n { d[j] = s[j] + bq[j] }
                }
            }
        }
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        splitRows(bs, parts) { (_: Int, b0: Int, b1: Int) in
            let rows = b1 - b0, rn = rows * n, o = b0 * n
            for t in 0..<T {
                rgemm(false, false, rows, g, n, HS + t * bn + o, n, U, g, R + b0 * g, g, accumulate: false)
                let at = A + t * bg, qt = Q + t * bg
                for bi in b0..<b1 {
                    let r = R + bi * g, d = qt + bi * n
                    for q in 0..<3 {
                        let rq = r + q * n, dq = d + q * bn, bq = Br + q * n
                        for j in 0..<n { dq[j] = rq[j] + bq[j] }
                    }
                }
                if rows == bs {   // gates z and r are adjacent
                    for k in 0..<(2 * bn) { at[k] += qt[k] }
                    S.sigmoids(at, 2 * bn)
                } else {
                    for q in 0..<2 {
                        let aq = at + q * bn + o, qq = qt + q * bn + o
                        for k in 0..<rn { aq[k] += qq[k] }
                        S.sigmoids(aq, rn)
                    }
                }
                let zg = at + o, rg = at + bn + o, hg = at + 2 * bn + o, qh = qt + 2 * bn + o
                for k in 0..<rn { hg[k] += rg[k] * qh[k] }
                S.tanhs(hg, hg, rn)
                let hp = HS + t * bn + o, hn = HS + (t + 1) * bn + o
                for k in 0..<rn { hn[k] = zg[k] * hp[k] + (1 - zg[k]) * hg[k] }
            }
        }
        if let out { writeOutputs(HS, bs: bs, T: T, n: n, returnSequences: returnSequences, into: out) }
    }

    /// Backprop through time from the output gradient `G` (as `out` was); dh of h0 is
    /// left in the buffers' `dh`.
    func backward<GT: RecurrentScalar>(_ G: UnsafePointer<GT>, _ b: GRUBuffers<S>) throws {
        let g = 3 * n, bn = bs * n, bg = bs * g
        let (das, dqs, dhs) = try b.backward()
        let T = T, n = n, U = U, A = A, Q = Q, HS = HS, returnSequences = returnSequences
        let DA = das.base, DQ = dqs.base, DH = dhs.base
        DH.update(repeating: 0, count: bn)
        splitRows(bs, parts) { (_: Int, b0: Int, b1: Int) in
            for t in stride(from: T - 1, through: 0, by: -1) {
                addStepGradient(G, into: DH, step: t, T: T, n: n, rows: b0, b1, returnSequences: returnSequences)
                let at = A + t * bg, qh = Q + t * bg + 2 * bn
                let zg = at, rg = at + bn, hg = at + 2 * bn
                let hp = HS + t * bn
                let dat = DA + t * bg, dqt = DQ + t * bg
                for bi in b0..<b1 {
                    let o = bi * n, da = dat + bi * g, dq = dqt + bi * g
                    // eight lanes at a time (the scalar loop stays scalar: its pointers
                    // might alias), then one at a time; the same formula for both
                    var j = 0
                    while j + 8 <= n {
                        let k = o + j
                        let d = gruGateGradients(load8(DH + k), load8(zg + k), load8(rg + k), load8(hg + k),
                                                 load8(hp + k), load8(qh + k))
                        store8(da + j, d.z); store8(da + n + j, d.r); store8(da + 2 * n + j, d.h)
                        store8(dq + j, d.z); store8(dq + n + j, d.r); store8(dq + 2 * n + j, d.qh)
                        store8(DH + k, d.carry)
                        j += 8
                    }
                    while j < n {
                        let k = o + j
                        let d = gruGateGradients(DH[k], zg[k], rg[k], hg[k], hp[k], qh[k])
                        da[j] = d.z; da[n + j] = d.r; da[2 * n + j] = d.h
                        dq[j] = d.z; dq[n + j] = d.r; dq[2 * n + j] = d.qh
                        DH[k] = d.carry
                        j += 1
                    }
                }
                // dh_{t-1} = d z + dq_t U^T
                rgemm(false, true, b1 - b0, n, g, dqt + b0 * g, g, U, g, DH + b0 * n, n, accumulate: true)
            }
        }
    }

    /// After `backward`: dW (D x 3n), dU (n x 3n), db ([2, 3n]) in O. The products in S
    /// (through `sScratch`, max(D, n)·3n, when O is not S), x in time-major order in `xt`
    /// (bs·T·D), the bias sums in Double (through `dScratch`, 2·3n, when O is not Double).
    func weightGradients<O: RecurrentScalar>(_ b: GRUBuffers<S>, dw: UnsafeMutablePointer<O>, du: UnsafeMutablePointer<O>,
                                             db: UnsafeMutablePointer<O>, xt: UnsafeMutablePointer<S>,
                                             sScratch: UnsafeMutablePointer<S>?, dScratch: UnsafeMutablePointer<Double>?) {
        let g = 3 * n, DA = b.back!.da.base, DQ = b.back!.dq.base
        inputWeightGradient(X, DA, g, bs: bs, T: T, D: D, into: dw, xt: xt, scratch: sScratch)
        rowProduct(HS, n, DQ, g, rows: bs * T, into: du, scratch: sScratch)
        let sums = O.self == Double.self ? UnsafeMutableRawPointer(db).assumingMemoryBound(to: Double.self) : dScratch!
        sums.update(repeating: 0, count: 2 * g)
        addColumnSums(DA, bs * T, g, sums)
        addColumnSums(DQ, bs * T, g, sums + g)
        if O.self != Double.self { for k in 0..<(2 * g) { db[k] = O(sums[k]) } }
    }

    /// After `backward`: dx = dA Wᵀ (batch-major [bs, T, D]) into `dx` in O, through `scratch` (bs·T·D).
    func inputGradient<O: RecurrentScalar>(_ b: GRUBuffers<S>, dx: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<S>) {
        MLPLearn.inputGradient(b.back!.da.base, 3 * n, W, bs: bs, T: T, D: D, into: dx, scratch: scratch)
    }
}
