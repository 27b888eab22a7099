// simple_rnn(units, act): Keras's SimpleRNN, h' = act(x W + h U + b), with
// kernel [in, units], recurrent_kernel [units, units], bias [units].
// The whole sequence is one op whose pullback is backprop through time.
import MLPTensor
import MLPAutograd

public final class SimpleRNN: RecurrentLayer, Layer {
    public let activation: Activation
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    /// The number type of the fused op's products and activations (the weights stay Double).
    public let dtype: ComputeType

    public init(_ units: Int, _ activation: Activation = .tanh, returnSequences: Bool = true, stateful: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal,
                dtype: ComputeType = .float64) throws {
        if case .softmax = activation { throw LearnError("simple_rnn", "softmax is not an element-wise activation; use tanh, relu, sigmoid, ...") }
        self.activation = activation
        self.kernelInitializer = kernelInitializer; self.recurrentInitializer = recurrentInitializer
        self.dtype = dtype
        try super.init(units: units, returnSequences: returnSequences, stateful: stateful, name: "simple_rnn")
    }

    override var layerName: String { "simple_rnn" }
    public var kind: String { "simple_rnn" }
    public var description: String {
        "simple_rnn(\(units)\(activation == .tanh ? "" : ", " + activation.name)\(optionSuffix)\(dtype.argument))"
    }

    override func build(_ width: Int, _ random: RandomGenerator) throws {
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, units], fanIn: width, fanOut: units, using: random)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, units], fanIn: units, fanOut: units, using: random)),
            Parameter("bias", try Tensor.zeros([units])),
        ]
    }

    override func runSequence(_ x: Variable, _ s: [Variable], _ pass: ForwardPass) throws -> (Variable, [Tensor]) {
        let w = pass.variable(parameters[0]), u = pass.variable(parameters[1]), b = pass.variable(parameters[2])
        let (y, h) = switch dtype {
        case .float64: try SimpleRNN.sequence(x, w, u, b, s[0], activation, returnSequences: returnSequences,
                                              workspace: workspace, as: Double.self)
        case .float32: try SimpleRNN.sequence(x, w, u, b, s[0], activation, returnSequences: returnSequences,
                                              workspace: workspace, as: Float.self)
        }
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

    /// act(z) in place over p[0..<n] in S: tanh and sigmoid with S's kernels, the
    /// others through Double (`activate`), whose bits float64 keeps.
    @inline(__always)
    static func activateScalars<S: RecurrentScalar>(_ act: Activation, _ p: UnsafeMutablePointer<S>, _ n: Int) {
        switch act {
        case .tanh: S.tanhs(p, p, n)
        case .sigmoid: S.sigmoids(p, n)
        default:
            if S.self == Double.self {
                activate(act, UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), n)
            } else {
                for j in 0..<n {
                    var z = p[j].double
                    activate(act, &z, 1)
                    p[j] = S(z)
                }
            }
        }
    }

    /// The fused op: output (all steps or the last) and the final h, computed in S. Inside, time-major.
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             _ act: Activation, returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], bn = bs * n
        let needZ: Bool
        switch act { case .tanh, .sigmoid, .linear: needZ = false; default: needZ = true }
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?
        let X = try scalars(xv, workspace, &xs), W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us)
        let bias = try workspace.scratch(n, S.self)
        let Bi = bias.base, BV = bv.base
        for j in 0..<n { Bi[j] = S(BV[j]) }
        let proj = try workspace.scratch(bs * T * n, S.self)
        bigGemm(false, false, bs * T, n, D, X, D, W, n, proj.base, n)
        let hst = try workspace.scratch((T + 1) * bn, S.self)   // h_{t-1} at t: h0 first
        let zs = try workspace.scratch(needZ ? T * bn : 0, S.self)   // pre-activations where the derivative needs them
        let HS = hst.base, Zs = zs.base, P = proj.base, H0 = h0v.base
        defer { withExtendedLifetime((bias, proj)) {} }   // read through raw pointers until the end
        for k in 0..<bn { HS[k] = S(H0[k]) }
        for bi in 0..<bs {
            for t in 0..<T {
                let src = P + (bi * T + t) * n, dst = HS + (t + 1) * bn + bi * n
                for j in 0..<n { dst[j] = src[j] + Bi[j] }
            }
        }
        // batch rows b0..<b1 through all steps (rows are independent until the weight gradients)
        let parts = recurrentParts(bs: bs, work: T * bn * n)
        splitRows(bs, parts) { _, b0, b1 in
            let rows = b1 - b0, rn = rows * n, o = b0 * n
            for t in 0..<T {
                let hn = HS + (t + 1) * bn + o
                rgemm(false, false, rows, n, n, HS + t * bn + o, n, U, n, hn, n, accumulate: true)
                if needZ { (Zs + t * bn + o).update(from: hn, count: rn) }
                activateScalars(act, hn, rn)
            }
        }
        let hT = try doubles(HS + T * bn, [bs, n])
        let out = returnSequences ? try stepOutputs(HS + bn, bs: bs, T: T, n: n) : hT
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (hst, zs, xv, wv, uv, xs, ws, us)
        let y = try Variable.make("simple_rnn", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let dzs = try workspace.scratch(T * bn, S.self)
            let dhs = try workspace.scratch(bn, S.self)   // dh of the step being processed
            defer { withExtendedLifetime((dzs, dhs)) {} }
            let DZ = dzs.base, DH = dhs.base
            DH.update(repeating: 0, count: bn)
            splitRows(bs, parts) { _, b0, b1 in
                let rows = b1 - b0, o = b0 * n
                for t in stride(from: T - 1, through: 0, by: -1) {
                    addStepGradient(G, into: DH, step: t, T: T, n: n, rows: b0, b1, returnSequences: returnSequences)
                    let h = HS + (t + 1) * bn, z = needZ ? Zs + t * bn : h, dz = DZ + t * bn
                    for k in o..<(o + rows * n) { dz[k] = DH[k] * S(derivative(act, h[k].double, z[k].double)) }
                    rgemm(false, true, rows, n, n, dz + o, n, U, n, DH + o, n, accumulate: false)
                }
            }
            let dw = try inputWeightGradient(X, DZ, n, bs: bs, T: T, D: D, workspace)
            let du = try rowProduct(HS, n, DZ, n, rows: bs * T)
            let db = try Tensor.zeros([n])
            addColumnSums(DZ, bs * T, n, db.base)
            let dx = needX ? try inputGradient(DZ, n, W, bs: bs, T: T, D: D, workspace) : nil
            return [dx, dw, du, db, needH0 ? try doubles(DH, [bs, n]) : nil]
        }
        return (y, hT)
    }
}
