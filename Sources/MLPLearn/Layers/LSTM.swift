// lstm(units): Keras's LSTM. Gates in Keras's order i, f, c, o along the last
// axis of kernel [in, 4 units], recurrent_kernel [units, 4 units], bias [4 units]:
//   z = x W + h U + b;  i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o)
//   c' = f c + i g;  h' = o tanh(c')
// The whole sequence is one op whose pullback is backprop through time.
import MLPTensor
import MLPAutograd

public final class LSTM: RecurrentLayer, Layer {
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    /// Forget-gate bias initialised to 1 (Keras's unit_forget_bias).
    public let unitForgetBias: Bool
    /// The number type of the fused op's products and gates (the weights stay Double).
    public let dtype: ComputeType

    public init(_ units: Int, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal,
                unitForgetBias: Bool = true, dtype: ComputeType = .float64) throws {
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        self.unitForgetBias = unitForgetBias; self.dtype = dtype
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "lstm")
    }

    public override var stateCount: Int { 2 }
    override var layerName: String { "lstm" }
    public var kind: String { "lstm" }
    public var description: String {
        "lstm(\(units)\(optionSuffix)\(dtype.argument))"
    }

    override func build(_ width: Int, _ random: RandomGenerator) throws {
        let g = 4 * units
        var bias = try Tensor.zeros([g])
        if unitForgetBias { try bias.withUnsafeMutableBufferPointer { p in for j in units..<(2 * units) { p[j] = 1 } } }
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, g], fanIn: width, fanOut: g, using: random)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, g], fanIn: units, fanOut: g, using: random)),
            Parameter("bias", bias),
        ]
    }

    override func runSequence(_ x: Variable, _ s: [Variable], _ pass: ForwardPass) throws -> (Variable, [Tensor]) {
        let w = pass.variable(parameters[0]), u = pass.variable(parameters[1]), b = pass.variable(parameters[2])
        let (y, h, c) = switch dtype {
        case .float64: try LSTM.sequence(x, w, u, b, s[0], s[1], returnSequences: returnSequences, workspace: workspace, as: Double.self)
        case .float32: try LSTM.sequence(x, w, u, b, s[0], s[1], returnSequences: returnSequences, workspace: workspace, as: Float.self)
        }
        return (y, [h, c])
    }

    /// The fused op: output (all steps or the last), final h and c, computed in S.
    ///
    /// Inside, everything is time-major, and the gates of a step are gate-major
    /// ([4][batch][units]: all i, then all f, c, o), so each activation and the cell
    /// update are one long contiguous loop per step however small the layer is.
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             _ c0: Variable, returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 4 * n
        let bn = bs * n, bg = bs * g
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?
        // one-hot input rows (a character model's) select rows of W instead of a product
        let hot = try oneHotColumns(xv)
        let X: UnsafeMutablePointer<S>? = hot == nil ? try scalars(xv, workspace, &xs) : nil
        let W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us)
        let Bi = bv.base
        // Float with whole 16-column panels: U packed once, and each step's h_{t-1} @ U
        // written straight into the gates (PackedProduct.swift); else BLAS into `rec`
        let packed = S.self == Float.self && n % 16 == 0
        // packed, with few input features (W2's 8): each step's x_t W computed where the
        // product is added, eight gates at a time, instead of one product of all steps
        // into a [bs·T, 4n] buffer written and read again (for lstm(256) 6.5 MB)
        let inlineInput = packed && hot == nil && D <= 16
        // x @ W for all steps (batch-major rows; for one-hot rows, the selected rows of W)
        let proj = try workspace.scratch(hot == nil && !inlineInput ? bs * T * g : 0, S.self)
        if hot == nil && !inlineInput { bigGemm(false, false, bs * T, g, D, X!, D, W, g, proj.base, g) }
        // the bias as S, and for one-hot rows each row of W with the bias added (D x g)
        let bias = try workspace.scratch(g, S.self), wb = try workspace.scratch(hot == nil ? 0 : D * g, S.self)
        let BS = bias.base, WB = wb.base
        for j in 0..<g { BS[j] = S(Bi[j]) }
        if hot != nil { for c in 0..<D { for j in 0..<g { WB[c * g + j] = W[c * g + j] + BS[j] } } }
        let zs = try workspace.scratch(T * bg, S.self)   // gate values after their activations
        let Z = zs.base, P = proj.base
        let hst = try workspace.scratch((T + 1) * bn, S.self)  // h_{t-1} at t: h0 first
        let cst = try workspace.scratch((T + 1) * bn, S.self)  // c likewise
        let tcs = try workspace.scratch(T * bn, S.self)        // tanh(c_t)
        let HS = hst.base, CS = cst.base, TC = tcs.base
        let H0 = h0.value.base, C0 = c0.value.base
        for k in 0..<bn { HS[k] = S(H0[k]); CS[k] = S(C0[k]) }
        let upk = try workspace.scratch(packed ? g * n : 0, Float.self)
        let UP = packed ? packPanels(floats(U), k: n, n: g, rowStride: g, colStride: 1, into: upk.base) : nil
        let rec = try workspace.scratch(packed ? 0 : bg, S.self)            // h_{t-1} @ U
        let R = rec.base
        let hT = try Tensor(uninitializedShape: [bs, n], "lstm"), cT = try Tensor(uninitializedShape: [bs, n], "lstm")
        let out = returnSequences ? try Tensor(uninitializedShape: [bs, T, n], "lstm") : hT
        let HT = hT.base, CT = cT.base, O = out.base
        defer { withExtendedLifetime((proj, rec, upk, bias, wb)) {} }   // read through raw pointers until the end
        let H = hot?.base
        // h0 = 0 (no state given): step 0's h0 @ U adds nothing, and the packed path skips it
        let zeroStart = UP != nil && !(0..<bn).contains { HS[$0] != 0 }
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        let forwardRows = { (_: Int, b0: Int, b1: Int) in
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
                        let xr = floats(X! + r * D), wf = floats(W), bf = floats(BS)
                        for q in 0..<4 {
                            let d = floats(dst + q * bn), wq = wf + q * n, bq = bf + q * n
                            var j = 0
                            while j < n {
                                var acc = load8(bq + j)
                                for c in 0..<D { acc.addProduct(SIMD8(repeating: xr[c]), load8(wq + c * g + j)) }
                                store8(d + j, product ? acc + load8(d + j) : acc)
                                j += 8
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
                if returnSequences {   // these rows' outputs as Double, while in cache
                    for bi in b0..<b1 {
                        let src = hn + (bi - b0) * n, dst = O + (bi * T + t) * n
                        for j in 0..<n { dst[j] = src[j].double }
                    }
                }
            }
            // the outputs of these rows, as Double
            let hlast = HS + T * bn, clast = CS + T * bn
            for k in o..<(o + rn) { HT[k] = hlast[k].double; CT[k] = clast[k].double }
        }
        let parts = recurrentParts(bs: bs, work: T * bg * n)
        splitRows(bs, parts, forwardRows)
        let needX = x.requiresGrad, needH0 = h0.requiresGrad, needC0 = c0.requiresGrad
        let keep = (zs, hst, cst, tcs, xv, wv, uv, xs, ws, us, hot)
        let y = try Variable.make("lstm", out, [x, w, u, b, h0, c0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let dzs = try workspace.scratch(T * bg, S.self)     // pre-activation gradients, time-major rows
            let dstate = try workspace.scratch(2 * bn, S.self)  // dh, dc of the step being processed
            let ut = try workspace.scratch(g * n, S.self)       // Uᵀ: BLAS multiplies by it faster than by U transposed
            let UT = ut.base
            defer { withExtendedLifetime((dzs, dstate, ut)) {} }
            // Uᵀ (g x n) packed (element (i, j) is U[j * g + i]), or transposed for BLAS
            let UTP = packed ? packPanels(floats(U), k: g, n: n, rowStride: 1, colStride: g, into: floats(UT)) : nil
            if !packed { for i in 0..<n { for j in 0..<g { UT[j * n + i] = U[i * g + j] } } }
            let DZ = dzs.base, DH = dstate.base, DC = dstate.base + bn
            DH.update(repeating: 0, count: 2 * bn)
            // Float with one-hot input: each thread adds its rows' dz to its own copy of dW's
            // rows (the inputs' columns) and of db while they are in cache, summed after the
            // rows; else passes over all of DZ below (whose sums the float64 goldens pin)
            let fused = S.self == Float.self && hot != nil && g % 8 == 0
            let block = (D + 1) * g
            let partial = try workspace.scratch(fused ? parts * block : 0, Double.self)
            defer { withExtendedLifetime(partial) {} }
            let PW = partial.base, HOT = hot?.base
            if fused { PW.update(repeating: 0, count: parts * block) }
            let backwardRows = { (p: Int, b0: Int, b1: Int) in
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
            splitRows(bs, parts, backwardRows)
            let dw: Tensor, db: Tensor
            if fused {
                dw = try Tensor(uninitializedShape: [D, g], "lstm"); db = try Tensor(uninitializedShape: [g], "lstm")
                let DW = dw.base, DB = db.base
                for k in 0..<block {
                    var sum = PW[k]
                    for q in 1..<parts { sum += PW[q * block + k] }
                    if k < D * g { DW[k] = sum } else { DB[k - D * g] = sum }
                }
            } else {
                dw = if let hot { try oneHotWeightGradient(hot.base, DZ, g, bs: bs, T: T, D: D) }
                     else { try inputWeightGradient(X!, DZ, g, bs: bs, T: T, D: D, workspace) }
                db = try Tensor.zeros([g])
                addColumnSums(DZ, bs * T, g, db.base)
            }
            let du = try rowProduct(HS, n, DZ, g, rows: bs * T, workspace)
            let dx = needX ? try inputGradient(DZ, g, W, bs: bs, T: T, D: D, workspace) : nil
            return [dx, dw, du, db, needH0 ? try doubles(DH, [bs, n]) : nil, needC0 ? try doubles(DC, [bs, n]) : nil]
        }
        return (y, hT, cT)
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
