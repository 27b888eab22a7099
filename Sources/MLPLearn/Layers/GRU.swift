// gru(units): Keras 3's GRU with reset_after=True. Gates in Keras's order
// z, r, h along the last axis of kernel [in, 3 units] and recurrent_kernel
// [units, 3 units]; bias [2, 3 units] (row 0 for the input, row 1 for the
// recurrent projection):
//   a = x W + b_in;  q = h U + b_rec
//   z = σ(a_z + q_z), r = σ(a_r + q_r), ĥ = tanh(a_h + r q_h)
//   h' = z h + (1 - z) ĥ
// The whole sequence is one op whose pullback is backprop through time.
import MLPTensor
import MLPAutograd

public final class GRU: RecurrentLayer, Layer {
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    /// The number type of the fused op's products and gates (the weights stay Double).
    public let dtype: ComputeType

    public init(_ units: Int, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal,
                dtype: ComputeType = .float64) throws {
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        self.dtype = dtype
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "gru")
    }

    override var layerName: String { "gru" }
    public var kind: String { "gru" }
    public var description: String {
        "gru(\(units)\(optionSuffix)\(dtype.argument))"
    }

    override func build(_ width: Int, _ random: RandomGenerator) throws {
        let g = 3 * units
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, g], fanIn: width, fanOut: g, using: random)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, g], fanIn: units, fanOut: g, using: random)),
            Parameter("bias", try Tensor.zeros([2, g])),
        ]
    }

    override func runSequence(_ x: Variable, _ s: [Variable], _ pass: ForwardPass) throws -> (Variable, [Tensor]) {
        let w = pass.variable(parameters[0]), u = pass.variable(parameters[1]), b = pass.variable(parameters[2])
        let (y, h) = switch dtype {
        case .float64: try GRU.sequence(x, w, u, b, s[0], returnSequences: returnSequences, workspace: workspace, as: Double.self)
        case .float32: try GRU.sequence(x, w, u, b, s[0], returnSequences: returnSequences, workspace: workspace, as: Float.self)
        }
        return (y, [h])
    }

    /// The fused op: output (all steps or the last) and the final h, computed in S.
    /// Inside, time-major with gate-major steps ([3][batch][units]), as in `LSTM.sequence`.
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 3 * n
        let bn = bs * n, bg = bs * g
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?
        let X = try scalars(xv, workspace, &xs), W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us)
        let biases = try workspace.scratch(2 * g, S.self)
        let Bi = biases.base, Br = biases.base + g, BV = bv.base
        for j in 0..<(2 * g) { Bi[j] = S(BV[j]) }
        let proj = try workspace.scratch(bs * T * g, S.self)
        bigGemm(false, false, bs * T, g, D, X, D, W, g, proj.base, g)
        let asx = try workspace.scratch(T * bg, S.self)  // x W + b_in, then z, r, ĥ after activation
        let qs = try workspace.scratch(T * bg, S.self)   // h U + b_rec
        let A = asx.base, Q = qs.base, P = proj.base
        for bi in 0..<bs {
            for t in 0..<T {
                let src = P + (bi * T + t) * g, dst = A + t * bg + bi * n
                for q in 0..<3 {
                    let s = src + q * n, d = dst + q * bn, bq = Bi + q * n
                    for j in 0..<n { d[j] = s[j] + bq[j] }
                }
            }
        }
        let hst = try workspace.scratch((T + 1) * bn, S.self)  // h_{t-1} at t: h0 first
        let HS = hst.base, H0 = h0v.base
        for k in 0..<bn { HS[k] = S(H0[k]) }
        let rec = try workspace.scratch(bg, S.self)
        let R = rec.base
        defer { withExtendedLifetime((biases, proj, rec)) {} }   // read through raw pointers until the end
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        let forwardRows = { (_: Int, b0: Int, b1: Int) in
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
        let parts = recurrentParts(bs: bs, work: T * bg * n)
        splitRows(bs, parts, forwardRows)
        let hT = try doubles(HS + T * bn, [bs, n])
        let out = returnSequences ? try stepOutputs(HS + bn, bs: bs, T: T, n: n) : hT
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (asx, qs, hst, xv, wv, uv, xs, ws, us)
        let y = try Variable.make("gru", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let das = try workspace.scratch(T * bg, S.self)   // input-side pre-activation gradients, time-major rows
            let dqs = try workspace.scratch(T * bg, S.self)   // recurrent-side ones
            let dhs = try workspace.scratch(bn, S.self)       // dh of the step being processed
            defer { withExtendedLifetime((das, dqs, dhs)) {} }
            let DA = das.base, DQ = dqs.base, DH = dhs.base
            DH.update(repeating: 0, count: bn)
            let backwardRows = { (_: Int, b0: Int, b1: Int) in
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
            splitRows(bs, parts, backwardRows)
            let dw = try inputWeightGradient(X, DA, g, bs: bs, T: T, D: D, workspace)
            let du = try rowProduct(HS, n, DQ, g, rows: bs * T)
            let db = try Tensor.zeros([2, g])
            addColumnSums(DA, bs * T, g, db.base)
            addColumnSums(DQ, bs * T, g, db.base + g)
            let dx = needX ? try inputGradient(DA, g, W, bs: bs, T: T, D: D, workspace) : nil
            return [dx, dw, du, db, needH0 ? try doubles(DH, [bs, n]) : nil]
        }
        return (y, hT)
    }
}

/// The pre-activation gradients of one GRU step from the incoming dh, the gates z, r and
/// ĥ after their activations, h_{t-1} and the recurrent projection q_h: z, r and ĥ on
/// the input side, q_h's (ĥ's times r) on the recurrent side, and `carry`, dh's part
/// passed straight to h_{t-1}.
@inline(__always)
func gruGateGradients<V: GateMath>(_ dh: V, _ z: V, _ r: V, _ hh: V, _ hPrev: V, _ qh: V)
    -> (z: V, r: V, h: V, qh: V, carry: V) {
    let dah = dh * (V.one - z) * (V.one - hh * hh)
    let daz = dh * (hPrev - hh) * z * (V.one - z)
    let dar = dah * qh * r * (V.one - r)
    return (daz, dar, dah, dah * r, dh * z)
}
