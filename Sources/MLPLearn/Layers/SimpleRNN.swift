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

    func build(_ width: Int) throws {
        parameters = [
            Parameter("kernel", try kernelInitializer.make([width, units], fanIn: width, fanOut: units)),
            Parameter("recurrent_kernel", try recurrentInitializer.make([units, units], fanIn: units, fanOut: units)),
            Parameter("bias", try Tensor.zeros([units])),
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
        let (y, h) = try SimpleRNN.sequence(x, pass.variable(parameters[0]), pass.variable(parameters[1]),
                                            pass.variable(parameters[2]), s[0], activation, returnSequences: returnSequences)
        endState([h])
        return finish(y, pass, self, from: x)
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

    static func sequence(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable, _ act: Activation,
                         returnSequences: Bool) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0]
        let needZ: Bool
        switch act { case .tanh, .sigmoid, .linear: needZ = false; default: needZ = true }
        let hs = Tensor(uninitializedShape: [bs, T, n])      // pre-activations, then h_t
        let zs = needZ ? Tensor(uninitializedShape: [bs, T, n]) : hs
        let H = hs.base, Zs = zs.base
        let X = xv.base, W = wv.base, U = uv.base, Bi = bv.base, H0 = h0v.base
        for r in 0..<(bs * T) { (H + r * n).update(from: Bi, count: n) }
        rgemm(false, false, bs * T, n, D, X, D, W, n, H, n, accumulate: true)
        let ldh = T * n
        for t in 0..<T {
            let hp = t == 0 ? UnsafePointer(H0) : UnsafePointer(H + (t - 1) * n)
            rgemm(false, false, bs, n, n, hp, t == 0 ? n : ldh, U, n, H + t * n, ldh, accumulate: true)
            for bi in 0..<bs {
                let row = H + bi * ldh + t * n
                if needZ { (Zs + bi * ldh + t * n).update(from: row, count: n) }
                activate(act, row, n)
            }
        }
        let hT = Tensor(uninitializedShape: [bs, n])
        for bi in 0..<bs { (hT.base + bi * n).update(from: H + bi * ldh + (T - 1) * n, count: n) }
        let out = returnSequences ? hs : hT
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (hs, zs, xv, wv, uv, h0v)
        let y = try Variable.make("simple_rnn", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            let G = gy.base
            let dzs = Tensor(uninitializedShape: [bs, T, n])
            let dhT = try Tensor.zeros([bs, n])
            let DZ = dzs.base, DH = dhT.base
            for t in stride(from: T - 1, through: 0, by: -1) {
                for bi in 0..<bs {
                    let o = bi * ldh + t * n
                    let dh = DH + bi * n, drow = DZ + o
                    let gsrc: UnsafeMutablePointer<Double>? = returnSequences ? G + o : (t == T - 1 ? G + bi * n : nil)
                    for j in 0..<n {
                        let d = dh[j] + (gsrc?[j] ?? 0)
                        drow[j] = d * derivative(act, H[o + j], Zs[o + j])
                    }
                }
                rgemm(false, true, bs, n, n, DZ + t * n, ldh, U, n, DH, n, accumulate: false)
            }
            let dw = Tensor(uninitializedShape: [D, n])
            rgemm(true, false, D, n, bs * T, X, D, DZ, n, dw.base, n, accumulate: false)
            let hps = Tensor(uninitializedShape: [bs, T, n])
            let HP = hps.base
            for bi in 0..<bs {
                (HP + bi * ldh).update(from: H0 + bi * n, count: n)
                if T > 1 { (HP + bi * ldh + n).update(from: H + bi * ldh, count: (T - 1) * n) }
            }
            let du = Tensor(uninitializedShape: [n, n])
            rgemm(true, false, n, n, bs * T, HP, n, DZ, n, du.base, n, accumulate: false)
            let db = try Tensor.zeros([n])
            addColumnSums(DZ, bs * T, n, db.base)
            var dx: Tensor? = nil
            if needX {
                let t = Tensor(uninitializedShape: [bs, T, D])
                rgemm(false, true, bs * T, D, n, DZ, n, W, n, t.base, D, accumulate: false)
                dx = t
            }
            return [dx, dw, du, db, needH0 ? dhT : nil]
        }
        return (y, hT)
    }
}
