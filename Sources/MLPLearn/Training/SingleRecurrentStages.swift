// The recurrent layers that train natively in float32 (SingleRecurrentTraining.swift):
// each one's stage runs its sequence through the loops its graph op runs (LSTMCore,
// GRUCore, SimpleRNNCore) on the layer's float weights, with buffers of its own for one batch shape.
import MLPTensor

extension LSTM: SingleRecurrentLayer {
    var trainsNatively: Bool { dtype == .float32 && !stateful && initialState == nil }
    var takesOneHot: Bool { true }
    func fits(width: Int) -> Bool { weightsFit(width, gates: 4, biasShape: [4 * units]) }

    func singleStage(bs: Int, T: Int, D: Int, hot: Bool, inputGradient: Bool) throws -> SingleRecurrentStage {
        try LSTMSingleStage(self, bs: bs, T: T, D: D, hot: hot, inputGradient: inputGradient)
    }
}

extension GRU: SingleRecurrentLayer {
    var trainsNatively: Bool { dtype == .float32 && !stateful && initialState == nil }
    var takesOneHot: Bool { false }
    func fits(width: Int) -> Bool { weightsFit(width, gates: 3, biasShape: [2, 3 * units]) }

    func singleStage(bs: Int, T: Int, D: Int, hot: Bool, inputGradient: Bool) throws -> SingleRecurrentStage {
        try PlainSingleStage(self, try GRUBuffers<Float>(bs: bs, T: T, D: D, n: units, workspace: nil), bs: bs, T: T, D: D,
                             gates: 3, biasRows: 2, inputGradient: inputGradient)
    }
}

extension SimpleRNN: SingleRecurrentLayer {
    var trainsNatively: Bool { dtype == .float32 && !stateful && initialState == nil }
    var takesOneHot: Bool { false }
    func fits(width: Int) -> Bool { weightsFit(width, gates: 1, biasShape: [units]) }

    func singleStage(bs: Int, T: Int, D: Int, hot: Bool, inputGradient: Bool) throws -> SingleRecurrentStage {
        try PlainSingleStage(self, try SimpleRNNBuffers<Float>(bs: bs, T: T, D: D, n: units, activation, workspace: nil),
                             bs: bs, T: T, D: D, gates: 1, biasRows: 1, inputGradient: inputGradient)
    }
}

extension RecurrentLayer {
    /// Kernel [width, gates·units], recurrent kernel [units, gates·units], the bias of this shape.
    func weightsFit(_ width: Int, gates: Int, biasShape: [Int]) -> Bool {
        let g = gates * units
        return parameters.count == 3 && parameters[0].shape == [width, g] && parameters[1].shape == [units, g]
            && parameters[2].shape == biasShape
    }
}

/// The final state tensors a stage gives its layer after a step (what the graph's step
/// leaves there), written again in place unless the caller kept them.
final class FinalStates {
    private var tensors: [Tensor] = []
    private(set) var made = 0

    func note(_ layer: RecurrentLayer, _ states: [UnsafePointer<Float>], bs: Int, n: Int) throws {
        layer.finalState = nil
        for (i, s) in states.enumerated() {
            if i == tensors.count { tensors.append(try Tensor(uninitializedShape: [bs, n], "rnn")); made += 1 }
            else if !tensors[i].isUniquelyReferenced() { tensors[i] = try Tensor(uninitializedShape: [bs, n], "rnn"); made += 1 }
            let d = tensors[i].storage.pointer
            for k in 0..<(bs * n) { d[k] = Double(s[k]) }
        }
        layer.finalState = tensors
    }
}

/// A stage's weight gradients and the scratch of its gradient products.
final class StageGradients {
    let dw: SingleValues, du: SingleValues, db: SingleValues
    /// Bias sums (and one-hot dW) in Double, x in time-major order, dx in time-major order.
    let sums: AlignedBuffer<Double>, xt: SingleValues, dxRows: SingleValues
    static let buffers = 6

    init(D: Int, n: Int, g: Int, biasRows: Int, bs: Int, T: Int, inputRows: Bool, inputGradient: Bool) throws {
        dw = try SingleValues(count: D * g); du = try SingleValues(count: n * g); db = try SingleValues(count: biasRows * g)
        sums = try AlignedBuffer(count: (D + biasRows) * g)
        xt = try SingleValues(count: inputRows ? T * bs * D : 0)
        dxRows = try SingleValues(count: inputGradient ? T * bs * D : 0)
    }
}

/// An LSTM's sequence on its float weights for one batch shape.
final class LSTMSingleStage: SingleRecurrentStage {
    let layer: LSTM
    let buffers: LSTMBuffers<Float>
    let bs: Int, T: Int, n: Int
    let grads: StageGradients
    private var core: LSTMCore<Float>?
    private let states = FinalStates()
    var allocations: Int { buffers.taken + StageGradients.buffers + states.made }
    var gradients: [SingleValues] { [grads.dw, grads.du, grads.db] }

    init(_ layer: LSTM, bs: Int, T: Int, D: Int, hot: Bool, inputGradient: Bool) throws {
        let n = layer.units
        self.layer = layer; self.bs = bs; self.T = T; self.n = n
        buffers = try LSTMBuffers(bs: bs, T: T, D: D, n: n, hot: hot, workspace: nil)
        grads = try StageGradients(D: D, n: n, g: 4 * n, biasRows: 1, bs: bs, T: T, inputRows: !hot, inputGradient: inputGradient)
    }

    func forward(_ x: UnsafePointer<Float>?, hot: UnsafePointer<Int32>?, out: UnsafeMutablePointer<Float>) throws {
        let p = layer.parameters
        buffers.hst.base.update(repeating: 0, count: bs * n); buffers.cst.base.update(repeating: 0, count: bs * n)
        let core = LSTMCore(buffers, X: x, hot: hot, W: try p[0].singleValues(), U: try p[1].singleValues(),
                            bias: try p[2].singleValues(), returnSequences: layer.returnSequences)
        core.forward(out: out, hT: nil, cT: nil)
        self.core = core
    }

    func backward(_ outGrad: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) throws {
        guard let core else { return }
        try core.backward(outGrad, buffers, needH0: false)
        core.inputGradients(buffers, dw: grads.dw.pointer, db: grads.db.pointer, xt: grads.xt.pointer, sScratch: nil, dScratch: grads.sums.pointer)
        core.recurrentGradient(buffers, du: grads.du.pointer, sScratch: nil)
        if let inputGradient { core.inputGradient(buffers, dx: inputGradient, scratch: grads.dxRows.pointer) }
    }

    func noteFinalState() throws {
        let last = T * bs * n
        try states.note(layer, [buffers.hst.base + last, buffers.cst.base + last], bs: bs, n: n)
    }
}

/// The buffers of a recurrent op without a one-hot path (GRU, simple_rnn) on Float, as
/// PlainSingleStage runs them, keeping the core of the last forward pass.
protocol PlainSequence: AnyObject {
    associatedtype Core: PlainCore where Core.Buffers == Self
    var core: Core? { get }
    var taken: Int { get }
    /// h_t of every step (time-major, h0 first).
    var hst: Scratch<Float> { get }
    func forward(_ x: UnsafePointer<Float>, W: UnsafePointer<Float>, U: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 returnSequences: Bool, out: UnsafeMutablePointer<Float>)
}

/// The backward loops of such an op (GRUCore, SimpleRNNCore on Float).
protocol PlainCore {
    associatedtype Buffers
    func backward<GT: RecurrentScalar>(_ G: UnsafePointer<GT>, _ b: Buffers) throws
    func weightGradients<O: RecurrentScalar>(_ b: Buffers, dw: UnsafeMutablePointer<O>, du: UnsafeMutablePointer<O>,
                                             db: UnsafeMutablePointer<O>, xt: UnsafeMutablePointer<Float>,
                                             sScratch: UnsafeMutablePointer<Float>?, dScratch: UnsafeMutablePointer<Double>?)
    func inputGradient<O: RecurrentScalar>(_ b: Buffers, dx: UnsafeMutablePointer<O>, scratch: UnsafeMutablePointer<Float>)
}

extension PlainSequence {
    /// Backprop through time from the gradient with respect to the output, then the weight
    /// gradients and (when wanted) the input gradient.
    func backward(_ outGrad: UnsafePointer<Float>, _ grads: StageGradients, inputGradient: UnsafeMutablePointer<Float>?) throws {
        guard let core else { return }
        try core.backward(outGrad, self)
        core.weightGradients(self, dw: grads.dw.pointer, du: grads.du.pointer, db: grads.db.pointer, xt: grads.xt.pointer,
                             sScratch: nil, dScratch: grads.sums.pointer)
        if let inputGradient { core.inputGradient(self, dx: inputGradient, scratch: grads.dxRows.pointer) }
    }
}

extension GRUCore: PlainCore where S == Float {}
extension SimpleRNNCore: PlainCore where S == Float {}

extension GRUBuffers: PlainSequence where S == Float {
    func forward(_ x: UnsafePointer<Float>, W: UnsafePointer<Float>, U: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 returnSequences: Bool, out: UnsafeMutablePointer<Float>) {
        core = GRUCore(self, X: x, W: W, U: U, bias: bias, returnSequences: returnSequences)
        core!.forward(out: out)
    }
}

extension SimpleRNNBuffers: PlainSequence where S == Float {
    func forward(_ x: UnsafePointer<Float>, W: UnsafePointer<Float>, U: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 returnSequences: Bool, out: UnsafeMutablePointer<Float>) {
        core = SimpleRNNCore(self, act, X: x, W: W, U: U, bias: bias, returnSequences: returnSequences)
        core!.forward(out: out)
    }
}

/// A GRU's or simple_rnn's sequence on its float weights for one batch shape.
final class PlainSingleStage<B: PlainSequence>: SingleRecurrentStage {
    let layer: RecurrentLayer
    let buffers: B
    let bs: Int, T: Int, n: Int
    let grads: StageGradients
    private let states = FinalStates()
    var allocations: Int { buffers.taken + StageGradients.buffers + states.made }
    var gradients: [SingleValues] { [grads.dw, grads.du, grads.db] }

    init(_ layer: RecurrentLayer, _ buffers: B, bs: Int, T: Int, D: Int, gates: Int, biasRows: Int, inputGradient: Bool) throws {
        let n = layer.units
        self.layer = layer; self.buffers = buffers; self.bs = bs; self.T = T; self.n = n
        grads = try StageGradients(D: D, n: n, g: gates * n, biasRows: biasRows, bs: bs, T: T, inputRows: true, inputGradient: inputGradient)
    }

    func forward(_ x: UnsafePointer<Float>?, hot: UnsafePointer<Int32>?, out: UnsafeMutablePointer<Float>) throws {
        guard let x else { throw LearnError(nil, "\(layer.layerName): the native step gives it its input as values") }
        let p = layer.parameters
        buffers.hst.base.update(repeating: 0, count: bs * n)
        buffers.forward(x, W: try p[0].singleValues(), U: try p[1].singleValues(), bias: try p[2].singleValues(),
                        returnSequences: layer.returnSequences, out: out)
    }

    func backward(_ outGrad: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) throws {
        try buffers.backward(outGrad, grads, inputGradient: inputGradient)
    }

    func noteFinalState() throws {
        try states.note(layer, [buffers.hst.base + T * bs * n], bs: bs, n: n)
    }
}
