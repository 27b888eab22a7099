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
    /// The number type of the fused op's products and gates (the weights stay Double in
    /// the graph; see SingleRecurrentTraining.swift for native float32 training).
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

    /// The fused op: output (all steps or the last) and the final h, computed in S on the
    /// inputs converted to S (GRUCore.swift holds the loops).
    static func sequence<S: RecurrentScalar>(_ x: Variable, _ w: Variable, _ u: Variable, _ b: Variable, _ h0: Variable,
                                             returnSequences: Bool, workspace: Workspace? = nil,
                                             as _: S.Type = Double.self) throws -> (Variable, Tensor) {
        let xv = x.value, wv = w.value, uv = u.value, bv = b.value, h0v = h0.value
        let bs = xv.shape[0], T = xv.shape[1], D = xv.shape[2], n = uv.shape[0], g = 3 * n
        let bn = bs * n
        // the op's inputs as S (copies unless S is Double), kept until the backward pass
        var xs: Scratch<S>?, ws: Scratch<S>?, us: Scratch<S>?, bias: Scratch<S>?
        let X = try scalars(xv, workspace, &xs), W = try scalars(wv, workspace, &ws), U = try scalars(uv, workspace, &us)
        let B = try scalars(bv, workspace, &bias)
        let buffers = try GRUBuffers<S>(bs: bs, T: T, D: D, n: n, workspace: workspace)
        let HS = buffers.hst.base, H0 = h0v.base
        for k in 0..<bn { HS[k] = S(H0[k]) }
        let core = GRUCore(buffers, X: X, W: W, U: U, bias: B, returnSequences: returnSequences)
        let hT = try Tensor(uninitializedBounded: [bs, n])
        let out = returnSequences ? try Tensor(uninitializedBounded: [bs, T, n]) : hT
        core.forward(out: out.base)
        if returnSequences { let last = HS + T * bn, H = hT.base; for k in 0..<bn { H[k] = last[k].double } }
        let needX = x.requiresGrad, needH0 = h0.requiresGrad
        let keep = (buffers, xv, wv, uv, bv, xs, ws, us, bias)
        let y = try Variable.make("gru", out, [x, w, u, b, h0]) { gy in
            defer { withExtendedLifetime(keep) {} }
            try core.backward(UnsafePointer(gy.base), buffers)
            withExtendedLifetime(gy) {}
            let (dw, du, db) = try graphWeightGradients(workspace, S.self, D: D, n: n, g: g, biasShape: [2, g], xRows: T * bs * D) {
                core.weightGradients(buffers, dw: $0, du: $1, db: $2, xt: $4, sScratch: $3, dScratch: nil)
            }
            let dx = try graphInputGradient(needX, workspace, S.self, bs: bs, T: T, D: D) { core.inputGradient(buffers, dx: $0, scratch: $1) }
            return [dx, dw, du, db, needH0 ? try doubles(buffers.back!.dh.base, [bs, n]) : nil]
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
