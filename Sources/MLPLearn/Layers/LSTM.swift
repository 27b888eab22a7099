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

    public init(_ units: Int, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal,
                unitForgetBias: Bool = true) throws {
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        self.unitForgetBias = unitForgetBias
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "lstm")
    }

    public override var stateCount: Int { 2 }
    override var layerName: String { "lstm" }
    public var kind: String { "lstm" }
    public var description: String { "lstm(\(units)\(optionSuffix))" }

    func build(_ width: Int) throws {
        let g = 4 * units
        var bias = try Tensor.zeros([g])
        if unitForgetBias { bias.withUnsafeMutableBufferPointer { p in for j in units..<(2 * units) { p[j] = 1 } } }
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, g], fanIn: width, fanOut: g)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, g], fanIn: units, fanOut: g)),
            Parameter("bias", bias),
        ]
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        try forward(x, initialState: nil, pass)
    }

    /// Runs the layer from the given initial state [h, c] (variables, so gradients reach them).
    public func forward(_ x: Variable, initialState given: [Variable]?, _ pass: ForwardPass) throws -> Variable {
        let (batch, _, width) = try sequenceShape(x)
        if parameters.isEmpty { try build(width) }
        try checkWidth(width, x)
        let s = try startState(batch, given)
        let (y, h, c) = try LSTM.sequence(x, pass.variable(parameters[0]), pass.variable(parameters[1]),
                                          pass.variable(parameters[2]), s[0], s[1], returnSequences: returnSequences)
        endState([h, c])
        return finish(y, pass, self, from: x)
    }

    /// The fused op: output (all steps or the last), final h and c.
    static func sequence(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable, _ c0: Variable,
                         returnSequences: Bool) throws -> (Variable, Tensor, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value, c0v = c0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 4 * n
        let zs = Tensor(uninitializedShape: [bs, T, g])   // gate values after their activations
        let cs = Tensor(uninitializedShape: [bs, T, n])   // c_t
        let tcs = Tensor(uninitializedShape: [bs, T, n])  // tanh(c_t)
        let hs = Tensor(uninitializedShape: [bs, T, n])   // h_t
        let Z = zs.base, C = cs.base, TC = tcs.base, H = hs.base
        let X = xv.base, W = wv.base, U = uv.base, Bi = bv.base, H0 = h0v.base, C0 = c0v.base
        // all input projections at once, the bias first
        for r in 0..<(bs * T) { (Z + r * g).update(from: Bi, count: g) }
        rgemm(false, false, bs * T, g, D, X, D, W, g, Z, g, accumulate: true)
        let ldz = T * g, ldh = T * n
        let acts = GateActivations((0..<g).map { $0 >= 2 * n && $0 < 3 * n })
        let M = acts.m.withUnsafeBufferPointer { $0.baseAddress! }, AA = acts.a.withUnsafeBufferPointer { $0.baseAddress! }
        let CC = acts.c.withUnsafeBufferPointer { $0.baseAddress! }
        for t in 0..<T {
            let hp = t == 0 ? UnsafePointer(H0) : UnsafePointer(H + (t - 1) * n)
            let ldp = t == 0 ? n : ldh
            rgemm(false, false, bs, g, n, hp, ldp, U, g, Z + t * g, ldz, accumulate: true)
            for bi in 0..<bs {
                let row = Z + bi * ldz + t * g
                acts.apply(row, M, AA, CC, g)
                let cp = t == 0 ? C0 + bi * n : C + bi * ldh + (t - 1) * n
                let co = bi * ldh + t * n
                let cc = C + co, tcc = TC + co, hh = H + co
                for j in 0..<n { cc[j] = row[n + j] * cp[j] + row[j] * row[2 * n + j] }
                tanhInPlace2(cc, tcc, n)
                for j in 0..<n { hh[j] = row[3 * n + j] * tcc[j] }
            }
        }
        withExtendedLifetime(acts) {}
        let hT = Tensor(uninitializedShape: [bs, n]), cT = Tensor(uninitializedShape: [bs, n])
        for bi in 0..<bs {
            hT.base.advanced(by: bi * n).update(from: H + bi * ldh + (T - 1) * n, count: n)
            cT.base.advanced(by: bi * n).update(from: C + bi * ldh + (T - 1) * n, count: n)
        }
        let out = returnSequences ? hs : hT
        let needX = x.requiresGrad, needH0 = h0.requiresGrad, needC0 = c0.requiresGrad
        let keep = (zs, cs, tcs, hs, xv, wv, uv, h0v, c0v)
        let y = try Variable.make("lstm", out, [x, w, u, b, h0, c0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let dzs = Tensor(uninitializedShape: [bs, T, g])
            let dhT = try Tensor.zeros([bs, n]), dcT = try Tensor.zeros([bs, n])
            let DZ = dzs.base, DH = dhT.base, DC = dcT.base
            for t in stride(from: T - 1, through: 0, by: -1) {
                if returnSequences {
                    for bi in 0..<bs {
                        let src = G + bi * ldh + t * n, dst = DH + bi * n
                        for j in 0..<n { dst[j] += src[j] }
                    }
                } else if t == T - 1 {
                    for k in 0..<(bs * n) { DH[k] += G[k] }
                }
                for bi in 0..<bs {
                    let row = Z + bi * ldz + t * g, drow = DZ + bi * ldz + t * g
                    let cp = t == 0 ? C0 + bi * n : C + bi * ldh + (t - 1) * n
                    let tc = TC + bi * ldh + t * n
                    let dh = DH + bi * n, dc = DC + bi * n
                    for j in 0..<n {
                        let i = row[j], f = row[n + j], gg = row[2 * n + j], o = row[3 * n + j]
                        let th = tc[j], dhv = dh[j]
                        let dcv = dc[j] + dhv * o * (1 - th * th)
                        drow[j] = dcv * gg * i * (1 - i)
                        drow[n + j] = dcv * cp[j] * f * (1 - f)
                        drow[2 * n + j] = dcv * i * (1 - gg * gg)
                        drow[3 * n + j] = dhv * th * o * (1 - o)
                        dc[j] = dcv * f
                    }
                }
                // dh_{t-1} = dz_t U^T
                rgemm(false, true, bs, n, g, DZ + t * g, ldz, U, g, DH, n, accumulate: false)
            }
            let dw = Tensor(uninitializedShape: [D, g])
            rgemm(true, false, D, g, bs * T, X, D, DZ, g, dw.base, g, accumulate: false)
            // h_{t-1} for every step, then dU = Hprev^T dZ in one product
            let hps = Tensor(uninitializedShape: [bs, T, n])
            let HP = hps.base
            for bi in 0..<bs {
                (HP + bi * ldh).update(from: H0 + bi * n, count: n)
                if T > 1 { (HP + bi * ldh + n).update(from: H + bi * ldh, count: (T - 1) * n) }
            }
            let du = Tensor(uninitializedShape: [n, g])
            rgemm(true, false, n, g, bs * T, HP, n, DZ, g, du.base, g, accumulate: false)
            let db = try Tensor.zeros([g])
            addColumnSums(DZ, bs * T, g, db.base)
            var dx: Tensor? = nil
            if needX {
                let t = Tensor(uninitializedShape: [bs, T, D])
                rgemm(false, true, bs * T, D, g, DZ, g, W, g, t.base, D, accumulate: false)
                dx = t
            }
            return [dx, dw, du, db, needH0 ? dhT : nil, needC0 ? dcT : nil]
        }
        return (y, hT, cT)
    }
}
