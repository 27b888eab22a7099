// simple_rnn(units, act): Keras's SimpleRNN, h' = act(x W + h U + b), with
// kernel [in, units], recurrent_kernel [units, units], bias [units].
// The whole sequence is one op whose pullback is backprop through time.
import MLPTensor
import MLPAutograd

public final class SimpleRNN: RecurrentLayer, Layer {
    public let activation: Activation
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer

    public init(_ units: Int, _ activation: Activation = .tanh, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal) throws {
        if case .softmax = activation { throw LearnError("simple_rnn: softmax is not an element-wise activation; use tanh, relu, sigmoid, ...") }
        self.activation = activation
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "simple_rnn")
    }

    override var layerName: String { "simple_rnn" }
    public var kind: String { "simple_rnn" }
    public var description: String {
        "simple_rnn(\(units)\(activation == .tanh ? "" : ", " + activation.name)\(optionSuffix))"
    }

    override func build(_ width: Int) throws {
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, units], fanIn: width, fanOut: units)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, units], fanIn: units, fanOut: units)),
            Parameter("bias", try Tensor.zeros([units])),
        ]
    }

    override func runSequence(_ x: Variable, _ s: [Variable], _ pass: ForwardPass) throws -> (Variable, [Tensor]) {
        let (y, h) = try SimpleRNN.sequence(x, pass.variable(parameters[0]), pass.variable(parameters[1]),
                                            pass.variable(parameters[2]), s[0], activation, returnSequences: returnSequences, workspace: workspace)
        return (y, [h])
    }

    /// act(z) in place over p[0..<n].
    @inline(__always)
    static func activate(_ act: Activation, _ p: UnsafeMutablePointer<Double>, _ n: Int) {
        switch act {
        case .tanh: tanhInPlace(p, n)
        case .sigmoid: sigmoidInPlace(p, n)
        case .linear: break
        case .relu: for j in 0..<n where p[j] < 0 { p[j] = 0 }
        case .softplus: for j in 0..<n { let z = p[j]; p[j] = Swift.max(z, 0) + Foundation_log1p(rnnExp(-Swift.abs(z))) }
        case .elu(let a): for j in 0..<n where p[j] <= 0 { p[j] = a * (rnnExp(p[j]) - 1) }
        case .leakyRelu(let s): for j in 0..<n where p[j] < 0 { p[j] *= s }
        case .softmax: break
        }
    }

    /// d act / dz from the output h (and the pre-activation z where h is not enough).
    @inline(__always)
    static func derivative(_ act: Activation, _ h: Double, _ z: Double) -> Double {
        switch act {
        case .tanh: return 1 - h * h
        case .sigmoid: return h * (1 - h)
        case .linear: return 1
        case .relu: return z > 0 ? 1 : 0
        case .softplus: return rnnSigmoid(z)
        case .elu(let a): return z > 0 ? 1 : h + a
        case .leakyRelu(let s): return z > 0 ? 1 : s
        case .softmax: return 1
        }
    }

    /// The fused op: output (all steps or the last) and the final h. Inside, time-major.
    static func sequence(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable, _ act: Activation,
                         returnSequences: Bool, workspace: Workspace? = nil) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], bn = bs * n
        let needZ: Bool
        switch act { case .tanh, .sigmoid, .linear: needZ = false; default: needZ = true }
        let X = xv.base, W = wv.base, U = uv.base, Bi = bv.base
        let proj = workspace.take([bs * T, n])
        rgemm(false, false, bs * T, n, D, X, D, W, n, proj.base, n, accumulate: false)
        let hst = workspace.take([T + 1, bs, n])   // h_{t-1} at t: h0 first
        let zs = needZ ? workspace.take([T, bs, n]) : hst   // pre-activations where the derivative needs them
        let HS = hst.base, Zs = zs.base, P = proj.base
        HS.update(from: h0v.base, count: bn)
        for bi in 0..<bs {
            for t in 0..<T {
                let src = P + (bi * T + t) * n, dst = HS + (t + 1) * bn + bi * n
                for j in 0..<n { dst[j] = src[j] + Bi[j] }
            }
        }
        for t in 0..<T {
            let hn = HS + (t + 1) * bn
            rgemm(false, false, bs, n, n, HS + t * bn, n, U, n, hn, n, accumulate: true)
            if needZ { (Zs + t * bn).update(from: hn, count: bn) }
            switch act {
            case .tanh: tanhPairs(hn, hn, bn)
            case .sigmoid: sigmoidPairs(hn, bn)
            default: activate(act, hn, bn)
            }
        }
        let hT = Tensor(uninitializedShape: [bs, n])
        hT.base.update(from: HS + T * bn, count: bn)
        let out: Tensor
        if returnSequences {
            out = Tensor(uninitializedShape: [bs, T, n])
            let O = out.base
            for t in 0..<T { for bi in 0..<bs { (O + (bi * T + t) * n).update(from: HS + (t + 1) * bn + bi * n, count: n) } }
        } else {
            out = hT
        }
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (hst, zs, xv, wv, uv)
        let y = try Variable.make("simple_rnn", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let dzs = workspace.take([T, bs, n])
            let dhT = try Tensor.zeros([bs, n])
            let DZ = dzs.base, DH = dhT.base
            for t in stride(from: T - 1, through: 0, by: -1) {
                if returnSequences {
                    for bi in 0..<bs {
                        let src = G + (bi * T + t) * n, dst = DH + bi * n
                        for j in 0..<n { dst[j] += src[j] }
                    }
                } else if t == T - 1 {
                    for k in 0..<bn { DH[k] += G[k] }
                }
                let h = HS + (t + 1) * bn, z = needZ ? Zs + t * bn : h, dz = DZ + t * bn
                for k in 0..<bn { dz[k] = DH[k] * derivative(act, h[k], z[k]) }
                rgemm(false, true, bs, n, n, dz, n, U, n, DH, n, accumulate: false)
            }
            let dw = inputWeightGradient(X, DZ, n, bs: bs, T: T, D: D, workspace)
            let du = rowProduct(HS, n, DZ, n, rows: bs * T)
            let db = try Tensor.zeros([n])
            addColumnSums(DZ, bs * T, n, db.base)
            let dx = needX ? inputGradient(DZ, n, W, bs: bs, T: T, D: D, workspace) : nil
            return [dx, dw, du, db, needH0 ? dhT : nil]
        }
        return (y, hT)
    }
}
