// The fused LSTM sequence on raw pointers: forward, backprop through time and the
// weight gradients, in S (Double or Float). Two callers: the graph op
// (`LSTM.sequence`: float64 tensors in, converted at its edges for float32) and the
// native float32 trainer (SingleRecurrentTraining.swift: the float weights
// themselves, its own buffers kept from step to step).
//
// Inside, everything is time-major, and the gates of a step are gate-major
// ([4][batch][units]: all i, then all f, c, o), so each activation and the cell
// update are one long contiguous loop per step however small the layer is.
import MLPTensor

/// The buffers of one sequence of an LSTM of `n` units on [bs, T, D] input (`hot`:
/// one-hot rows, no input copy), taken from `workspace` (the graph op's, reused from
/// call to call) or made (a trainer's own, kept). The backward and gradient buffers
/// are taken at the first `backward`.
final class LSTMBuffers<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int
    let hot: Bool, parts: Int
    /// Float with whole 16-column panels: U packed once, and each step's h_{t-1} @ U
    /// written straight into the gates (PackedProduct.swift); else BLAS into `rec`.
    let packed: Bool
    /// Packed, with few input features (W2's 8): each step's x_t W computed where the
    /// product is added, eight gates at a time, instead of one product of all steps
    /// into a [bs·T, 4n] buffer written and read again (for lstm(256) 6.5 MB).
    let inlineInput: Bool
    /// Float with one-hot input: each thread adds its rows' dz to its own copy of dW's
    /// rows (the inputs' columns) and of db while they are in cache, summed after the
    /// rows; else passes over all of DZ (whose sums the float64 goldens pin).
    let fused: Bool
    let workspace: Workspace?
    let proj: Scratch<S>, wb: Scratch<S>, zs: Scratch<S>, hst: Scratch<S>, cst: Scratch<S>, tcs: Scratch<S>
    let upk: Scratch<Float>, rec: Scratch<S>
    private(set) var back: (dz: Scratch<S>, state: Scratch<S>, ut: Scratch<S>, partial: Scratch<Double>)?
    /// How many buffers were made (a trainer's count; the workspace's reused ones too).
    private(set) var taken = 0

    init(bs: Int, T: Int, D: Int, n: Int, hot: Bool, workspace: Workspace?) throws {
        self.bs = bs; self.T = T; self.D = D; self.n = n; self.hot = hot; self.workspace = workspace
        let g = 4 * n, bn = bs * n, bg = bs * g
        packed = S.self == Float.self && n % 16 == 0
        inlineInput = packed && !hot && D <= 16
        fused = S.self == Float.self && hot && g % 8 == 0
        parts = recurrentParts(bs: bs, work: T * bg * n)
        proj = try workspace.scratch(!hot && !inlineInput ? bs * T * g : 0, S.self)
        wb = try workspace.scratch(hot ? D * g : 0, S.self)
        zs = try workspace.scratch(T * bg, S.self)        // gate values after their activations
        hst = try workspace.scratch((T + 1) * bn, S.self) // h_{t-1} at t: h0 first
        cst = try workspace.scratch((T + 1) * bn, S.self) // c likewise
        tcs = try workspace.scratch(T * bn, S.self)       // tanh(c_t)
        upk = try workspace.scratch(packed ? g * n : 0, Float.self)
        rec = try workspace.scratch(packed ? 0 : bg, S.self)   // h_{t-1} @ U
        taken = 8
    }

    /// The backward pass's buffers: pre-activation gradients (time-major rows), dh and dc
    /// of the step being processed, Uᵀ (packed, or for BLAS, which multiplies by it
    /// faster than by U transposed), the threads' partial dW and db (fused).
    func backward() throws -> (dz: Scratch<S>, state: Scratch<S>, ut: Scratch<S>, partial: Scratch<Double>) {
        if let back { return back }
        let g = 4 * n
        let b = (try workspace.scratch(T * bs * g, S.self), try workspace.scratch(2 * bs * n, S.self),
                 try workspace.scratch(g * n, S.self), try workspace.scratch(fused ? parts * (D + 1) * g : 0, Double.self))
        back = b
        taken += 4
        return b
    }

    /// h_t of every step (t = 0...T, time-major [bs, n] each; h0 first).
    var states: UnsafeMutablePointer<S> { hst.base }
}

/// One sequence's pointers: the weights and input as the caller has them, the buffers,
/// and where the outputs go. Only raw pointers and values (the threads read it).
struct LSTMCore<S: RecurrentScalar> {
    let bs: Int, T: Int, D: Int, n: Int, parts: Int
    let packed: Bool, inlineInput: Bool, fused: Bool
    /// The input, batch-major [bs, T, D] (nil for one-hot rows), or the one-hot columns.
    let X: UnsafePointer<S>?, hot: UnsafePointer<Int32>?
    /// Kernel [D, 4n], recurrent kernel [n, 4n], bias [4n].
    let W: UnsafePointer<S>, U: UnsafePointer<S>, bias: UnsafePointer<S>
    let returnSequences: Bool
    let P: UnsafeMutablePointer<S>, WB: UnsafeMutablePointer<S>, Z: UnsafeMutablePointer<S>
    let HS: UnsafeMutablePointer<S>, CS: UnsafeMutablePointer<S>, TC: UnsafeMutablePointer<S>
    let UPK: UnsafeMutablePointer<Float>, R: UnsafeMutablePointer<S>

    init(_ b: LSTMBuffers<S>, X: UnsafePointer<S>?, hot: UnsafePointer<Int32>?, W: UnsafePointer<S>, U: UnsafePointer<S>,
         bias: UnsafePointer<S>, returnSequences: Bool) {
        bs = b.bs; T = b.T; D = b.D; n = b.n; parts = b.parts
        packed = b.packed; inlineInput = b.inlineInput; fused = b.fused
        self.X = X; self.hot = hot; self.W = W; self.U = U; self.bias = bias; self.returnSequences = returnSequences
        P = b.proj.base; WB = b.wb.base; Z = b.zs.base; HS = b.hst.base; CS = b.cst.base; TC = b.tcs.base
        UPK = b.upk.base; R = b.rec.base
    }

    /// The forward pass from h0 and c0 (HS and CS's first rows, written by the caller).
    /// Outputs: `out` (every step's h, batch-major [bs, T, n], when returning sequences;
    /// else the last h [bs, n]) in O, and the final h and c in Double when asked for.
    func forward<O: RecurrentScalar>(out: UnsafeMutablePointer<O>?, hT: UnsafeMutablePointer<Double>?,
                                     cT: UnsafeMutablePointer<Double>?) {
        let g = 4 * n, bn = bs * n, bg = bs * g
        let T = T, D = D, n = n, bs = bs, X = X, W = W, BS = bias, Z = Z, HS = HS, CS = CS, TC = TC, R = R, P = P, WB = WB
        let U = U, inlineInput = inlineInput, returnSequences = returnSequences
        // x @ W for all steps (batch-major rows; for one-hot rows, the selected rows of W)
        if hot == nil && !inlineInput { bigGemm(false, false, bs * T, g, D, X!, D, W, g, P, g) }
        // for one-hot rows each row of W with the bias added (D x g)
        if hot != nil { for c in 0..<D { for j in 0..<g { WB[c * g + j] = W[c * g + j] + BS[j] } } }
        let UP = packed ? packPanels(floats(reading: U), k: n, n: g, rowStride: g, colStride: 1, into: UPK) : nil
        let H = hot
        // h0 = 0 (no state given): step 0's h0 @ U adds nothing, and the packed path skips it
        let zeroStart = UP != nil && !(0..<bn).contains { HS[$0] != 0 }
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        splitRows(bs, parts) { (_: Int, b0: Int, b1: Int) in
            let rows = b1 - b0, rn = rows * n, o = b0 * n
            for t in 0..<T {
                let zt = Z + t * bg
                // Float, packed: this step's h_{t-1} @ U written into the gates first (none when
                // h0 = 0 at t = 0), the projection and bias added to it below while in cache
                let product = UP != nil && (t > 0 || !zeroStart)
                if let UP, product {
                    packedProduct(rows, floats(HS + t * bn + o), n, UP, floats(zt + o), n,
                                  groupCols: n, groupStride: bn, accumulate: false)
                }
                // the projections of these rows with the bias, into [4][B][n] (the same sums
                // as adding the product to them: a + b == b + a)
                for bi in b0..<b1 {
                    let r = bi * T + t, dst = zt + bi * n
                    if let H {
                        let src = WB + Int(H[r]) * g
                        for q in 0..<4 {
                            let s = src + q * n, d = dst + q * bn
                            if product { for j in 0..<n { d[j] = s[j] + d[j] } } else { d.update(from: s, count: n) }
                        }
                    } else if inlineInput {   // Float: b + x_t W (FMAs over the features in order), + the product
                        let xr = floats(reading: X! + r * D), wf = floats(reading: W), bf = floats(reading: BS)
                        for q in 0..<4 {
                            let d = floats(dst + q * bn), wq = wf + q * n, bq = bf + q * n
                            var j = 0
                            // 32 columns at a time: four independent chains of FMAs (one chain
                            // waits out each FMA's latency: 4% of an lstm(256) step)
                            while j &+ 32 <= n {
                                var a0 = load8(bq + j), a1 = load8(bq + (j &+ 8)), a2 = load8(bq + (j &+ 16)), a3 = load8(bq + (j &+ 24))
                                var wc = wq + j
                                for c in 0..<D {
                                    let xc = SIMD8<Float>(repeating: xr[c])
                                    a0.addProduct(xc, load8(wc)); a1.addProduct(xc, load8(wc + 8))
                                    a2.addProduct(xc, load8(wc + 16)); a3.addProduct(xc, load8(wc + 24))
                                    wc += g
                                }
                                let dj = d + j
                                if product { a0 += load8(dj); a1 += load8(dj + 8); a2 += load8(dj + 16); a3 += load8(dj + 24) }
                                store8(dj, a0); store8(dj + 8, a1); store8(dj + 16, a2); store8(dj + 24, a3)
                                j &+= 32
                            }
                            while j < n {
                                var acc = load8(bq + j)
                                for c in 0..<D { acc.addProduct(SIMD8(repeating: xr[c]), load8(wq + (c &* g &+ j))) }
                                store8(d + j, product ? acc + load8(d + j) : acc)
                                j &+= 8
                            }
                        }
                    } else {
                        let src = P + r * g
                        for q in 0..<4 {
                            let s = src + q * n, d = dst + q * bn, bq = BS + q * n
                            if product { for j in 0..<n { d[j] = (s[j] + bq[j]) + d[j] } } else { for j in 0..<n { d[j] = s[j] + bq[j] } }
                        }
                    }
                }
                if UP == nil {
                    rgemm(false, false, rows, g, n, HS + t * bn + o, n, U, g, R + b0 * g, g, accumulate: false)
                    for bi in b0..<b1 {
                        let r = R + bi * g, d = zt + bi * n
                        for q in 0..<4 {
                            let rq = r + q * n, dq = d + q * bn
                            for j in 0..<n { dq[j] += rq[j] }
                        }
                    }
                }
                if rows == bs {
                    S.sigmoids(zt, 2 * bn)   // gates i and f are adjacent
                } else {
                    S.sigmoids(zt + o, rn); S.sigmoids(zt + bn + o, rn)
                }
                S.tanhs(zt + 2 * bn + o, zt + 2 * bn + o, rn)
                S.sigmoids(zt + 3 * bn + o, rn)
                let ig = zt + o, fg = ig + bn, gg = ig + 2 * bn, og = ig + 3 * bn
                let cp = CS + t * bn + o, cn = CS + (t + 1) * bn + o, tc = TC + t * bn + o, hn = HS + (t + 1) * bn + o
                for k in 0..<rn { cn[k] = fg[k] * cp[k] + ig[k] * gg[k] }
                S.tanhs(cn, tc, rn)
                for k in 0..<rn { hn[k] = og[k] * tc[k] }
                if returnSequences, let out {   // these rows' outputs, while in cache
                    for bi in b0..<b1 {
                        let src = hn + (bi - b0) * n, dst = out + (bi * T + t) * n
                        for j in 0..<n { dst[j] = O(src[j].double) }
                    }
                }
            }
            let hlast = HS + T * bn, clast = CS + T * bn
            if !returnSequences, let out { for k in o..<(o + rn) { out[k] = O(hlast[k].double) } }
            if let hT, let cT { for k in o..<(o + rn) { hT[k] = hlast[k].double; cT[k] = clast[k].double } }
        }
    }

    /// Backprop through time from the output gradient `G` (as `out` was: [bs, T, n] or
    /// [bs, n]) into dZ (time-major pre-activation gradients) and, fused, the threads'
    /// partial dW and db; dh and dc of h0 and c0 are left in `state` (computed for h0
    /// only when `needH0`).
    func backward<GT: RecurrentScalar>(_ G: UnsafePointer<GT>, _ b: LSTMBuffers<S>, needH0: Bool) throws {
        let g = 4 * n, bn = bs * n, bg = bs * g
        let (dzs, dstate, ut, partial) = try b.backward()
        let T = T, D = D, n = n, U = U, Z = Z, CS = CS, TC = TC, returnSequences = returnSequences, fused = fused
        let UT = ut.base
        // Uᵀ (g x n) packed (element (i, j) is U[j * g + i]), or transposed for BLAS
        let UTP = packed ? packPanels(floats(reading: U), k: g, n: n, rowStride: 1, colStride: g, into: floats(UT)) : nil
        if !packed { for i in 0..<n { for j in 0..<g { UT[j * n + i] = U[i * g + j] } } }
        let DZ = dzs.base, DH = dstate.base, DC = dstate.base + bn
        DH.update(repeating: 0, count: 2 * bn)
        let block = (D + 1) * g
        let PW = partial.base, HOT = hot
        if fused { PW.update(repeating: 0, count: parts * block) }
        splitRows(bs, parts) { (p: Int, b0: Int, b1: Int) in
            let rows = b1 - b0
            for t in stride(from: T - 1, through: 0, by: -1) {
                addStepGradient(G, into: DH, step: t, T: T, n: n, rows: b0, b1, returnSequences: returnSequences)
                let zt = Z + t * bg
                let ig = zt, fg = zt + bn, gg = zt + 2 * bn, og = zt + 3 * bn
                let cp = CS + t * bn, tc = TC + t * bn
                let dzt = DZ + t * bg
                for bi in b0..<b1 {
                    let o = bi * n, drow = dzt + bi * g
                    // eight lanes at a time (the compiler keeps this loop scalar: its
                    // pointers might alias), then one at a time; the same formula for both
                    var j = 0
                    while j + 8 <= n {
                        let k = o + j
                        let d = lstmGateGradients(load8(ig + k), load8(fg + k), load8(gg + k), load8(og + k),
                                                  load8(tc + k), load8(cp + k), dh: load8(DH + k), dc: load8(DC + k))
                        store8(drow + j, d.i); store8(drow + n + j, d.f); store8(drow + 2 * n + j, d.g)
                        store8(drow + 3 * n + j, d.o); store8(DC + k, d.carry)
                        j += 8
                    }
                    while j < n {
                        let k = o + j
                        let d = lstmGateGradients(ig[k], fg[k], gg[k], og[k], tc[k], cp[k], dh: DH[k], dc: DC[k])
                        drow[j] = d.i; drow[n + j] = d.f; drow[2 * n + j] = d.g; drow[3 * n + j] = d.o; DC[k] = d.carry
                        j += 1
                    }
                    if fused {
                        let w = PW + p * block, dwRow = w + Int(HOT![bi * T + t]) * g, dbRow = w + D * g
                        let src = floats(drow)
                        for j in stride(from: 0, to: g, by: 8) {
                            let v = SIMD8<Double>(load8(src + j))
                            store8(dwRow + j, load8(dwRow + j) + v)
                            store8(dbRow + j, load8(dbRow + j) + v)
                        }
                    }
                }
                // dh_{t-1} = dz_t U^T (at t = 0 only h0's gradient, when asked for)
                if t == 0 && !needH0 { continue }
                if let UTP {
                    packedProduct(rows, floats(dzt + b0 * g), g, UTP, floats(DH + b0 * n), n,
                                  groupCols: n, groupStride: 0, accumulate: false)
                } else {
                    rgemm(false, false, rows, n, g, dzt + b0 * g, g, UT, n, DH + b0 * n, n, accumulate: false)
                }
            }
        }
    }

    /// After `backward`: dW (D x 4n) and db (4n) into `dw` and `db` in O. dW, unless
    /// fused or one-hot, is computed in S (written in place when O is S, else through
    /// `sScratch`, D·4n); the sums (fused, one-hot, db) in Double (through `dScratch`,
    /// (D + 1)·4n, when O is not Double). `xt`: bs·T·D of S for x in time-major order.
    func inputGradients<O: RecurrentScalar>(_ b: LSTMBuffers<S>, dw: UnsafeMutablePointer<O>, db: UnsafeMutablePointer<O>,
                                            xt: UnsafeMutablePointer<S>?, sScratch: UnsafeMutablePointer<S>?,
                                            dScratch: UnsafeMutablePointer<Double>?) {
        let g = 4 * n, DZ = b.back!.dz.base
        let sums = O.self == Double.self ? UnsafeMutableRawPointer(dw).assumingMemoryBound(to: Double.self) : dScratch!
        let dbSums = O.self == Double.self ? UnsafeMutableRawPointer(db).assumingMemoryBound(to: Double.self) : dScratch! + D * g
        if fused {
            let PW = b.back!.partial.base, block = (D + 1) * g
            for k in 0..<block {
                var sum = PW[k]
                for q in 1..<parts { sum += PW[q * block + k] }
                if k < D * g { sums[k] = sum } else { dbSums[k - D * g] = sum }
            }
        } else {
            if let hot {
                sums.update(repeating: 0, count: D * g)
                oneHotWeightGradient(hot, DZ, g, bs: bs, T: T, D: D, into: sums)
            } else {
                inputWeightGradient(X!, DZ, g, bs: bs, T: T, D: D, into: dw, xt: xt!, scratch: sScratch)
            }
            dbSums.update(repeating: 0, count: g)
            addColumnSums(DZ, bs * T, g, dbSums)
        }
        if O.self != Double.self {
            if fused || hot != nil { for k in 0..<(D * g) { dw[k] = O(sums[k]) } }
            for k in 0..<g { db[k] = O(dbSums[k]) }
        }
    }

    /// After `backward`: dU = Σ_t h_{t-1}ᵀ dz_t (n x 4n) into `du`, in place when O is S,
    /// else through `sScratch` (n·4n).
    func recurrentGradient<O: RecurrentScalar>(_ b: LSTMBuffers<S>, du: UnsafeMutablePointer<O>, sScratch: UnsafeMutablePointer<S>?) {
        rowProduct(HS, n, b.back!.dz.base, 4 * n, rows: bs * T, into: du, scratch: sScratch)
    }

    /// After `backward`: dx = dZ Wᵀ (batch-major [bs, T, D]) into `dx` in O, through
    /// `scratch` (bs·T·D of S: dZ's rows are time-major).
    func inputGradient<O: RecurrentScalar>(_ b: LSTMBuffers<S>, dx: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<S>) {
        MLPLearn.inputGradient(b.back!.dz.base, 4 * n, W, bs: bs, T: T, D: D, into: dx, scratch: scratch)
    }
}

/// The pre-activation gradients of one LSTM step from its gates (i, f, g, o after their
/// activations), tanh(c_t), c_{t-1} and the incoming dh and dc; `carry` is dc passed to c_{t-1}.
@inline(__always)
func lstmGateGradients<V: GateMath>(_ i: V, _ f: V, _ g: V, _ o: V, _ tanhC: V, _ cPrev: V, dh: V, dc dcIn: V)
    -> (i: V, f: V, g: V, o: V, carry: V) {
    let dc = dcIn + dh * o * (V.one - tanhC * tanhC)
    return (dc * g * i * (V.one - i), dc * cPrev * f * (V.one - f), dc * i * (V.one - g * g),
            dh * tanhC * o * (V.one - o), dc * f)
}
