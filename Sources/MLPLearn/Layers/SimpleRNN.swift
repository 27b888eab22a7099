// simple_rnn(units, act): Keras's SimpleRNN, h' = act(x W + h U + b), with
// kernel [in, units], recurrent_kernel [units, units], bias [units].
// The whole sequence is one op whose pullback is backprop through time.
import MLPTensor
import MLPAutograd

public final class SimpleRNN: RecurrentLayer, Layer {
    public let activation: Activation
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    /// The number type of the fused op's products and activations (the weights stay Double
    /// in the graph; see SingleRecurrentTraining.swift for native float32 training).
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

    /// The fused op: output (all steps or the last) and the final h, computed in S on the
    /// inputs converted to S (SimpleRNNCore.swift holds the loops).
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             _ act: Activation, returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], bn = bs * n
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?, bias: Scratch<S>?
        let X = try scalars(xv, workspace, &xs), W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us)
        let B = try scalars(bv, workspace, &bias)
        let buffers = try SimpleRNNBuffers<S>(bs: bs, T: T, D: D, n: n, act, workspace: workspace)
        let HS = buffers.hst.base, H0 = h0v.base
        for k in 0..<bn { HS[k] = S(H0[k]) }
        let core = SimpleRNNCore(buffers, act, X: X, W: W, U: U, bias: B, returnSequences: returnSequences)
        let hT = try Tensor(uninitializedBounded: [bs, n])
        let out = returnSequences ? try Tensor(uninitializedBounded: [bs, T, n]) : hT
        core.forward(out: out.base)
        if returnSequences { let last = HS + T * bn, H = hT.base; for k in 0..<bn { H[k] = last[k].double } }
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (buffers, xv, wv, uv, bv, xs, ws, us, bias)
        let y = try Variable.make("simple_rnn", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            try core.backward(UnsafePointer(gy.base), buffers)
            withExtendedLifetime(gy) {}
            let (dw, du, db) = try graphWeightGradients(workspace, S.self, D: D, n: n, g: n, biasShape: [n], xRows: T * bs * D) {
                core.weightGradients(buffers, dw: $0, du: $1, db: $2, xt: $4, sScratch: $3, dScratch: nil)
            }
            let dx = try graphInputGradient(needX, workspace, S.self, bs: bs, T: T, D: D) { core.inputGradient(buffers, dx: $0, scratch: $1) }
            return [dx, dw, du, db, needH0 ? try doubles(buffers.back!.dh.base, [bs, n]) : nil]
        }
        return (y, hT)
    }
}
