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

    public init(_ units: Int, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal) throws {
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "gru")
    }

    override var layerName: String { "gru" }
    public var kind: String { "gru" }
    public var description: String { "gru(\(units)\(optionSuffix))" }

    func build(_ width: Int) throws {
        let g = 3 * units
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, g], fanIn: width, fanOut: g)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, g], fanIn: units, fanOut: g)),
            Parameter("bias", try Tensor.zeros([2, g])),
        ]
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        try forward(x, initialState: nil, pass)
    }

    /// Runs the layer from the given initial state [h] (a variable, so gradients reach it).
    public func forward(_ x: Variable, initialState given: [Variable]?, _ pass: ForwardPass) throws -> Variable {
        let (batch, _, width) = try sequenceShape(x)
        if parameters.isEmpty { try build(width) }
        try checkWidth(width, x)
        let s = try startState(batch, given)
        let (y, h) = try GRU.sequence(x, pass.variable(parameters[0]), pass.variable(parameters[1]),
                                      pass.variable(parameters[2]), s[0], returnSequences: returnSequences)
        endState([h])
        return finish(y, pass, self, from: x)
    }

    static func sequence(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                         returnSequences: Bool) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 3 * n
        let asx = Tensor(uninitializedShape: [bs, T, g])  // x W + b_in, then z, r, ĥ after activation
        let qs = Tensor(uninitializedShape: [bs, T, g])   // h U + b_rec per step
        let hs = Tensor(uninitializedShape: [bs, T, n])
        let A = asx.base, Q = qs.base, H = hs.base
        let X = xv.base, W = wv.base, U = uv.base, Bi = bv.base, H0 = h0v.base
        for r in 0..<(bs * T) {
            (A + r * g).update(from: Bi, count: g)
            (Q + r * g).update(from: Bi + g, count: g)
        }
        rgemm(false, false, bs * T, g, D, X, D, W, g, A, g, accumulate: true)
        let ldz = T * g, ldh = T * n
        for t in 0..<T {
            let hp = t == 0 ? UnsafePointer(H0) : UnsafePointer(H + (t - 1) * n)
            let ldp = t == 0 ? n : ldh
            rgemm(false, false, bs, g, n, hp, ldp, U, g, Q + t * g, ldz, accumulate: true)
            for bi in 0..<bs {
                let a = A + bi * ldz + t * g, q = Q + bi * ldz + t * g
                for j in 0..<(2 * n) { a[j] = rnnSigmoid(a[j] + q[j]) }
                let prev = hp + bi * ldp, h = H + bi * ldh + t * n
                for j in 0..<n {
                    let hh = rnnTanh(a[2 * n + j] + a[n + j] * q[2 * n + j])
                    a[2 * n + j] = hh
                    let z = a[j]
                    h[j] = z * prev[j] + (1 - z) * hh
                }
            }
        }
        let hT = Tensor(uninitializedShape: [bs, n])
        for bi in 0..<bs { (hT.base + bi * n).update(from: H + bi * ldh + (T - 1) * n, count: n) }
        let out = returnSequences ? hs : hT
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (asx, qs, hs, xv, wv, uv, h0v)
        let y = try Variable.make("gru", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let das = Tensor(uninitializedShape: [bs, T, g])   // gradient of the input-side pre-activations
            let dqs = Tensor(uninitializedShape: [bs, T, g])   // gradient of the recurrent-side ones
            let dhT = try Tensor.zeros([bs, n])
            let DA = das.base, DQ = dqs.base, DH = dhT.base
            for t in stride(from: T - 1, through: 0, by: -1) {
                let hp = t == 0 ? UnsafePointer(H0) : UnsafePointer(H + (t - 1) * n)
                let ldp = t == 0 ? n : ldh
                for bi in 0..<bs {
                    let o = bi * ldz + t * g
                    let a = A + o, q = Q + o, da = DA + o, dq = DQ + o
                    let prev = hp + bi * ldp, dh = DH + bi * n
                    let gsrc: UnsafeMutablePointer<Double>? = returnSequences ? G + bi * ldh + t * n : (t == T - 1 ? G + bi * n : nil)
                    for j in 0..<n {
                        let d = dh[j] + (gsrc?[j] ?? 0)
                        let z = a[j], r = a[n + j], hh = a[2 * n + j]
                        let dah = d * (1 - z) * (1 - hh * hh)
                        let daz = d * (prev[j] - hh) * z * (1 - z)
                        let dar = dah * q[2 * n + j] * r * (1 - r)
                        da[j] = daz; da[n + j] = dar; da[2 * n + j] = dah
                        dq[j] = daz; dq[n + j] = dar; dq[2 * n + j] = dah * r
                        dh[j] = d * z
                    }
                }
                // dh_{t-1} = d * z + dq_t U^T
                rgemm(false, true, bs, n, g, DQ + t * g, ldz, U, g, DH, n, accumulate: true)
            }
            let dw = Tensor(uninitializedShape: [D, g])
            rgemm(true, false, D, g, bs * T, X, D, DA, g, dw.base, g, accumulate: false)
            let hps = Tensor(uninitializedShape: [bs, T, n])
            let HP = hps.base
            for bi in 0..<bs {
                (HP + bi * ldh).update(from: H0 + bi * n, count: n)
                if T > 1 { (HP + bi * ldh + n).update(from: H + bi * ldh, count: (T - 1) * n) }
            }
            let du = Tensor(uninitializedShape: [n, g])
            rgemm(true, false, n, g, bs * T, HP, n, DQ, g, du.base, g, accumulate: false)
            let db = try Tensor.zeros([2, g])
            addColumnSums(DA, bs * T, g, db.base)
            addColumnSums(DQ, bs * T, g, db.base + g)
            var dx: Tensor? = nil
            if needX {
                let t = Tensor(uninitializedShape: [bs, T, D])
                rgemm(false, true, bs * T, D, g, DA, g, W, g, t.base, D, accumulate: false)
                dx = t
            }
            return [dx, dw, du, db, needH0 ? dhT : nil]
        }
        return (y, hT)
    }
}
