// float32 end to end for recurrent nets: a training step of
// `lstm(n, precision="float32") >> [lstm | gru | simple_rnn (...) >> ...] dense(k, precision="float32") >> ...`
// (any of the three recurrent layers in any order)
// run natively in single precision, as SingleDenseTrainer runs a chain of dense layers.
// The recurrent layers' kernels, recurrent kernels and biases, their gradients and the
// optimizer's state are floats kept from step to step (Parameter.singleValues; the
// float64 weights are made from them only when something reads them); the
// activations between the layers are floats; every buffer is the trainer's, made at
// the first step of a batch shape and reused after.
//
// A step: each recurrent layer's sequence forward (its fused op on the float weights
// themselves: LSTMCore.swift, ...), the last one writing the dense layers' input (every
// step's h as rows [batch·time, units], the dense layers applied per step as the graph
// applies them; or the last h when it does not return sequences); the dense layers
// forward, loss and backward through the dense trainer's step plan, which hands back
// the gradient with respect to that input; then backprop through time layer by layer
// down, each layer's input gradient the next one's output gradient.
import MLPTensor

/// A recurrent layer that trains natively in float32: it makes the stage that runs its
/// sequence on floats for one batch shape (LSTM and GRU: SingleRecurrentStages.swift).
protocol SingleRecurrentLayer: RecurrentLayer, Layer {
    /// Whether this layer, as configured, trains natively (float32, no state carried in).
    var trainsNatively: Bool { get }
    /// Whether its weights are built for inputs of `width` features (a value set since may
    /// have another shape).
    func fits(width: Int) -> Bool
    /// Whether its stage takes one-hot input rows as their columns.
    var takesOneHot: Bool { get }
    /// The stage for input [bs, T, D] (`hot`: one-hot rows given as columns); `inputGradient`:
    /// whether backward writes the gradient with respect to the input.
    func singleStage(bs: Int, T: Int, D: Int, hot: Bool, inputGradient: Bool) throws -> SingleRecurrentStage
}

/// One recurrent layer's sequence on floats for a fixed batch shape, with its buffers.
protocol SingleRecurrentStage: AnyObject {
    /// Buffers made.
    var allocations: Int { get }
    /// The forward pass from a zero state on x ([bs, T, D] floats) or one-hot columns
    /// (`hot`, [bs, T]): every step's h into `out` ([bs, T, n]; the last h, [bs, n], when the
    /// layer does not return sequences).
    func forward(_ x: UnsafePointer<Float>?, hot: UnsafePointer<Int32>?, out: UnsafeMutablePointer<Float>) throws
    /// Backprop through time from the gradient with respect to `out`: the weight gradients,
    /// and the input gradient into `inputGradient` ([bs, T, D]) when the stage was made for it.
    func backward(_ outGrad: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) throws
    /// The weight gradients after backward, in the order of the layer's parameters.
    var gradients: [SingleValues] { get }
    /// Writes the final state as the layer's (what the graph's step leaves there).
    func noteFinalState() throws
}

public final class SingleRecurrentTrainer {
    let cells: [SingleRecurrentLayer]
    /// The dense layers after the recurrent ones, trained by the dense trainer's step plan.
    let tail: SingleDenseTrainer
    private var ownAllocations = 0
    /// How many buffers the trainer has allocated (tests: none per step once warm).
    public var allocations: Int { ownAllocations + stageSets.reduce(0) { $0 + $1.stages.reduce(0) { $0 + $1.allocations } } + tail.allocations }

    /// A batch shape's stages and buffers: the input as floats (unless one-hot), each
    /// layer's output but the last's (that is the dense layers' input), and the gradient
    /// with respect to each layer's output.
    private final class StageSet {
        let shape: [Int], hot: Bool
        let stages: [SingleRecurrentStage]
        let input: AlignedBuffer<Float>
        let outs: [AlignedBuffer<Float>], outGrads: [AlignedBuffer<Float>]
        init(shape: [Int], hot: Bool, stages: [SingleRecurrentStage], input: AlignedBuffer<Float>,
             outs: [AlignedBuffer<Float>], outGrads: [AlignedBuffer<Float>]) {
            self.shape = shape; self.hot = hot; self.stages = stages; self.input = input
            self.outs = outs; self.outGrads = outGrads
        }
    }
    /// The sets of the last few batch shapes (an epoch's smaller last batch keeps its own).
    private var stageSets: [StageSet] = []
    private static let keptShapes = 3
    /// The one-hot columns of the batch (when it is one-hot).
    private var columns = AlignedBuffer<Int32>()

    init(_ cells: [SingleRecurrentLayer], _ dense: [Dense]) {
        self.cells = cells
        tail = SingleDenseTrainer(dense)
    }

    /// The trainer of a model of float32 recurrent layers (all but the last returning
    /// sequences) then float32 dense layers; nil for any other model.
    static func make(_ layers: [Layer]) -> SingleRecurrentTrainer? {
        var cells: [SingleRecurrentLayer] = []
        for l in layers {
            guard let c = l as? SingleRecurrentLayer else { break }
            cells.append(c)
        }
        guard !cells.isEmpty, cells.dropLast().allSatisfy(\.returnSequences) else { return nil }
        let dense = layers[cells.count...].compactMap { $0 as? Dense }
        guard !dense.isEmpty, dense.count == layers.count - cells.count, dense.allSatisfy(SingleDenseTrainer.eligible) else { return nil }
        return SingleRecurrentTrainer(cells, dense)
    }

    /// One training step as `Training.step` does it, or nil when this model, batch, loss or
    /// optimizer does not train natively (nothing has changed then).
    public func step(_ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> (loss: Double, prediction: Tensor, fault: String?)? {
        guard x.ndim == 3, x.shape[0] > 0, x.shape[1] > 0 else { return nil }
        let bs = x.shape[0], T = x.shape[1], D = x.shape[2]
        // the layers as built (a value set since may have another shape), each one's input width
        var width = D
        for c in cells {
            guard c.trainsNatively, c.trainable, c.parameters.count == 3 else { return nil }
            for p in c.parameters where !p.trainable || p.frozen { return nil }
            guard c.fits(width: width) else { return nil }
            width = c.units
        }
        guard tail.layers.allSatisfy({ !$0.parameters.isEmpty }), tail.layers[0].parameters[0].shape[0] == width else { return nil }
        let last = cells[cells.count - 1], sequences = last.returnSequences
        let rows = sequences ? bs &* T : bs
        // the targets of every step as rows, as the dense layers' prediction is
        var targets = y
        if sequences {
            let s = y.shape
            if s.count == 3 && s[0] == bs && s[1] == T { targets = Tensor(storage: y.storage, shape: [rows, s[2]]) }
            else if s == [bs, T] { targets = Tensor(storage: y.storage, shape: [rows]) }
            else { return nil }
        }
        // one-hot rows select the kernel's rows (as the graph's op does)
        if columns.count < bs &* T { columns = try AlignedBuffer(count: bs &* T); ownAllocations += 1 }
        let hot = cells[0].takesOneHot && oneHotColumns(x, into: columns.pointer)
        let set = try stageSet(x.shape, hot: hot)
        let parts = tail.partsFor(rows)
        guard let prepared = try tail.prepare(opt, rows: rows, targets, loss, parts: parts, x: nil,
                                              inputDelta: set.outGrads[cells.count - 1].pointer) else { return nil }
        // the recurrent layers forward
        if !hot {
            let src = x.storage.pointer, dst = set.input.pointer
            for i in 0..<x.count { dst[i] = Float(src[i]) }
        }
        for (l, stage) in set.stages.enumerated() {
            let input: UnsafePointer<Float>? = l > 0 ? UnsafePointer(set.outs[l - 1].pointer) : hot ? nil : UnsafePointer(set.input.pointer)
            try stage.forward(input, hot: l == 0 && hot ? UnsafePointer(columns.pointer) : nil,
                              out: l == cells.count - 1 ? tail.input : set.outs[l].pointer)
        }
        withExtendedLifetime(x) {}
        // the dense layers forward and backward, then their kernel gradients
        let plan = prepared.plan
        onThreads(parts) { p in plan.forwardBackward(p) }
        onThreads(parts) { p in plan.kernelGradients(p) }
        let (value, fault) = tail.conclude(plan)
        let prediction = sequences ? Tensor(storage: prepared.prediction.storage, shape: [bs, T, prepared.prediction.shape[1]])
                                   : prepared.prediction
        if let fault { return (value, prediction, fault) }
        // backprop through time, layer by layer down
        for l in stride(from: cells.count - 1, through: 0, by: -1) {
            try set.stages[l].backward(set.outGrads[l].pointer, inputGradient: l > 0 ? set.outGrads[l - 1].pointer : nil)
        }
        for (c, stage) in zip(cells, set.stages) {
            for (p, g) in zip(c.parameters, stage.gradients) {
                if let fault = nonFiniteFault(g, p.name) { return (value, prediction, fault) }
            }
        }
        // the update in the order the graph uses the parameters
        for (c, stage) in zip(cells, set.stages) {
            for (p, g) in zip(c.parameters, stage.gradients) { try prepared.update.updateSingle(p, g.pointer, count: g.count) }
        }
        try tail.update(prepared.update, rows: rows)
        try note(x.shape, set)
        return (value, prediction, nil)
    }

    /// The layers' shapes and final states, as the graph's step leaves them.
    private func note(_ shape: [Int], _ set: StageSet) throws {
        let bs = shape[0], T = shape[1]
        var input = shape
        for (c, stage) in zip(cells, set.stages) {
            let output = c.returnSequences ? [bs, T, c.units] : [bs, c.units]
            if c.lastOutputShape != output || c.inputShape == nil { c.note(input: input, output: output) }
            try stage.noteFinalState()
            input = output
        }
        if cells[cells.count - 1].returnSequences {
            for d in tail.layers { d.lastOutputShape = [bs, T, d.units] }
        }
    }

    /// The stages and buffers of a batch of this shape (made at its first step).
    private func stageSet(_ shape: [Int], hot: Bool) throws -> StageSet {
        if let i = stageSets.firstIndex(where: { $0.shape == shape && $0.hot == hot }) { return stageSets[i] }
        let bs = shape[0], T = shape[1], D = shape[2]
        var stages: [SingleRecurrentStage] = [], outs: [AlignedBuffer<Float>] = [], outGrads: [AlignedBuffer<Float>] = []
        var width = D
        for (l, c) in cells.enumerated() {
            stages.append(try c.singleStage(bs: bs, T: T, D: width, hot: l == 0 && hot, inputGradient: l > 0))
            let size = c.returnSequences ? bs &* T &* c.units : bs &* c.units
            outs.append(l == cells.count - 1 ? AlignedBuffer() : try AlignedBuffer(count: size))
            outGrads.append(try AlignedBuffer(count: size))
            width = c.units
        }
        let set = StageSet(shape: shape, hot: hot, stages: stages,
                           input: hot ? AlignedBuffer() : try AlignedBuffer(count: bs &* T &* D), outs: outs, outGrads: outGrads)
        ownAllocations += 1 + 2 * cells.count
        if stageSets.count >= Self.keptShapes { stageSets.removeFirst() }
        stageSets.append(set)
        return set
    }
}
