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
    /// The number type of the fused op's products and gates (the weights stay Double in
    /// the graph; see SingleRecurrentTraining.swift for native float32 training).
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

    /// The fused op: output (all steps or the last), final h and c, computed in S on
    /// the inputs converted to S (LSTMCore.swift holds the loops).
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             _ c0: Variable, returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 4 * n
        let bn = bs * n
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?, bias: Scratch<S>?
        // one-hot input rows (a character model's) select rows of W instead of a product
        let hot = try oneHotColumns(xv)
        let X: UnsafeMutablePointer<S>? = hot == nil ? try scalars(xv, workspace, &xs) : nil
        let W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us), BS = try scalars(bv, workspace, &bias)
        let buffers = try LSTMBuffers<S>(bs: bs, T: T, D: D, n: n, hot: hot != nil, workspace: workspace)
        let core = LSTMCore(buffers, X: X, hot: hot?.base, W: W, U: U, bias: BS, returnSequences: returnSequences)
        let HS = buffers.hst.base, CS = buffers.cst.base
        let H0 = h0.value.base, C0 = c0.value.base
        for k in 0..<bn { HS[k] = S(H0[k]); CS[k] = S(C0[k]) }
        let hT = try Tensor(uninitializedShape: [bs, n], "lstm"), cT = try Tensor(uninitializedShape: [bs, n], "lstm")
        let out = returnSequences ? try Tensor(uninitializedShape: [bs, T, n], "lstm") : hT
        core.forward(out: returnSequences ? out.base : nil, hT: hT.base, cT: cT.base)
        let needX = x.requiresGrad, needH0 = h0.requiresGrad, needC0 = c0.requiresGrad
        let keep = (buffers, xv, wv, uv, bv, xs, ws, us, bias, hot)
        let y = try Variable.make("lstm", out, [x, w, u, b, h0, c0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            try core.backward(UnsafePointer(gy.base), buffers, needH0: needH0)
            withExtendedLifetime(gy) {}
            let xRows = hot == nil && !buffers.fused ? T * bs * D : 0
            let (dw, du, db) = try graphWeightGradients(workspace, S.self, D: D, n: n, g: g, biasShape: [g], xRows: xRows) {
                core.inputGradients(buffers, dw: $0, db: $2, xt: $4, sScratch: $3, dScratch: nil)
                core.recurrentGradient(buffers, du: $1, sScratch: $3)
            }
            let dx = try graphInputGradient(needX, workspace, S.self, bs: bs, T: T, D: D) { core.inputGradient(buffers, dx: $0, scratch: $1) }
            let state = buffers.back!.state.base
            return [dx, dw, du, db, needH0 ? try doubles(state, [bs, n]) : nil, needC0 ? try doubles(state + bn, [bs, n]) : nil]
        }
        return (y, hT, cT)
    }
}
