// float32 end to end: a training step of a chain of float32 dense layers
// (`dense(n, act, precision="float32") >> ...`) run natively in single precision.
// The weights, their gradients and the optimizer's state (adam's m and V, the
// momentum methods' v, rmsprop's, adagrad's and adadelta's averages) are floats, kept
// from step to step (the float64 weights are made from them only when
// something reads them); the buffers of a step are the trainer's, allocated at the
// first step of a batch size and reused after. Forward: sgemm, then the bias and
// activation in one pass; backward: the activation's derivative and the bias
// gradient in one pass, then two sgemm. Used by Training.step when the model, loss
// (mse, crossentropy of a softmax, crossentropy_logits) and optimizer (any of the
// builtin ones: adam, sgd, momentum, nesterov, rmsprop, adagrad, adadelta) allow it;
// anything else trains through the graph as before.
import MLPTensor

public final class SingleDenseTrainer {
    let layers: [Dense]
    private var batch = 0
    /// The layers' inputs and outputs: acts[0] the batch, acts[l] layer l's output (batch x width).
    private var acts: [SingleValues] = []
    /// The gradient with respect to each layer's output, then its pre-activation (batch x units).
    private var deltas: [SingleValues] = []
    private var kernelGrads: [SingleValues] = []
    private var biasGrads: [SingleValues?] = []
    private var labels: UnsafeMutablePointer<Int>?
    private var predictionStorage: TensorStorage?
    private var predictionShape: [Int] = []
    /// The sum of squares of each layer's input (squares[0]: the batch), then (squares[L + 1 + l])
    /// of each layer's delta, in this step, from the passes that write them: what proves the
    /// gradients finite.
    private var squares: [Float]
    /// How many buffers the trainer has allocated (tests: none per step once warm).
    public private(set) var allocations = 0

    /// Each layer's pointers for the step's threads, the parts' sums of squares (per part:
    /// the L + 1 layer inputs', then the L deltas'), losses and bias gradients (parts 1...;
    /// part 0 writes the trainer's own).
    private var plan = UnsafeMutableBufferPointer<LayerPlan>(start: nil, count: 0)
    private var partFloats = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var partLoss = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var partBias = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var biasOffsets: [Int] = []
    private var biasStride = 0
    private var partsReserved = 0

    init(_ layers: [Dense]) { self.layers = layers; squares = [Float](repeating: 0, count: 2 * layers.count + 1) }
    deinit {
        labels?.deallocate(); plan.deallocate(); partFloats.deallocate(); partLoss.deallocate(); partBias.deallocate()
    }

    /// Marks a model whose layers cannot train natively (the check is not repeated).
    final class NotSingle {}

    /// The native trainer of `model`, kept with it, or nil when its layers are not all
    /// float32 dense layers with activations of their own kernels.
    public static func of(_ model: Layer) -> SingleDenseTrainer? { native(model) as? SingleDenseTrainer }

    /// The model's native float32 trainer, made at the first step and kept with the model:
    /// a SingleDenseTrainer (a chain of float32 dense layers), a SingleConvTrainer (float32
    /// convolutions, their pooling, flatten, then float32 dense layers), a
    /// SingleRecurrentTrainer (float32 recurrent layers, then float32 dense layers), or nil.
    public static func native(_ model: Layer) -> AnyObject? {
        if let s = model as? Sequential {
            if let t = s.trainingCache { return t is NotSingle ? nil : t }
            let layers = s.layers
            let dense = layers.compactMap { $0 as? Dense }
            let ok = !dense.isEmpty && dense.count == layers.count && dense.allSatisfy(eligible)
            let t: AnyObject
            if ok { t = SingleDenseTrainer(dense) }
            else if let conv = SingleConvTrainer.make(layers) { t = conv }
            else if let rnn = SingleRecurrentTrainer.make(layers) { t = rnn }
            else { t = NotSingle() }
            s.trainingCache = t
            return t is NotSingle ? nil : t
        }
        if let d = model as? Dense {
            if let t = d.trainingCache { return t as? SingleDenseTrainer }
            let t: AnyObject = eligible(d) ? SingleDenseTrainer([d]) : NotSingle()
            d.trainingCache = t
            return t as? SingleDenseTrainer
        }
        return nil
    }

    static func eligible(_ d: Dense) -> Bool { d.dtype == .float32 && d.activation.hasSingleKernels }

    /// What the loss is, natively: nil for a loss this step does not compute.
    enum NativeLoss { case mse, softmaxCrossEntropy, logitsCrossEntropy }

    /// One training step as `Training.step` does it, or nil when this model, batch, loss or
    /// optimizer does not train natively (nothing has changed then).
    public func step(_ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> (loss: Double, prediction: Tensor, fault: String?)? {
        guard x.ndim == 2, layers.allSatisfy({ !$0.parameters.isEmpty }), x.shape[1] == layers[0].parameters[0].shape[0] else { return nil }
        let rows = x.shape[0], parts = partsFor(rows)
        guard let prepared = try prepare(opt, rows: rows, y, loss, parts: parts, x: UnsafePointer(x.storage.pointer)) else { return nil }
        let step = prepared.plan
        // forward, loss and the gradients with respect to every layer's output, each part
        // of the batch's rows on its own thread; then the kernel gradients, each split
        onThreads(parts) { p in step.forwardBackward(p) }
        onThreads(parts) { p in step.kernelGradients(p) }
        withExtendedLifetime(x) {}
        let (value, fault) = conclude(step)
        if let fault { return (value, prepared.prediction, fault) }
        try update(prepared.update, rows: rows)
        return (value, prepared.prediction, nil)
    }

    /// A step made ready: its plan, the optimizer as a float32 one, and the prediction it writes.
    struct Prepared {
        let plan: StepPlan
        let update: SingleUpdate
        let prediction: Tensor
    }

    /// The checks of a step on `rows` rows in `parts` parts, its targets and buffers: nil
    /// when the model, loss, targets or optimizer do not train natively. `x`: the batch
    /// (float64, rows x the first layer's width), or nil when the caller writes the first
    /// layer's input (`input`) itself; `inputDelta`: where the gradient with respect to
    /// that input goes (rows x width), if wanted.
    func prepare(_ opt: ParameterUpdate, rows: Int, _ y: Tensor, _ loss: Loss, parts: Int, x: UnsafePointer<Double>?,
                 inputDelta: UnsafeMutablePointer<Float>? = nil) throws -> Prepared? {
        guard let update = opt as? SingleUpdate, let last = layers.last else { return nil }
        let native: NativeLoss
        switch loss.name {
        case "mse": native = .mse
        case "crossentropy" where last.activation == .softmax: native = .softmaxCrossEntropy
        case "crossentropy_logits" where last.activation == .linear: native = .logitsCrossEntropy
        default: return nil
        }
        for d in layers {
            guard d.parameters.count == (d.useBias ? 2 : 1), d.trainable else { return nil }
            for p in d.parameters where !p.trainable || p.frozen { return nil }
        }
        let classes = last.units
        guard rows > 0 else { return nil }
        for l in 1..<layers.count where layers[l].parameters[0].shape[0] != layers[l - 1].units { return nil }
        // the targets: checked here so that a bad one is the graph's error, as before
        var oneHot: UnsafePointer<Double>? = nil
        let targets = y.storage.pointer
        switch native {
        case .mse:
            guard y.shape == [rows, classes] || (classes == 1 && y.shape == [rows]) || y.shape == [rows, classes, 1] else { return nil }
        case .softmaxCrossEntropy, .logitsCrossEntropy:
            if y.shape == [rows, classes] { oneHot = UnsafePointer(targets) }
            else if y.shape == [rows] || y.shape == [rows, 1] {
                try reserve(rows, parts: parts)
                guard let labels else { return nil }
                for r in 0..<rows {
                    let v = targets[r]
                    guard v == v.rounded(), v >= 0, v < Double(classes) else { return nil }
                    labels[r] = Int(v)
                }
            } else { return nil }
        }
        try reserve(rows, parts: parts)
        let predicted = try predictionTensor(rows, classes)
        for (l, d) in layers.enumerated() {
            plan[l] = LayerPlan(w: try d.parameters[0].singleValues(),
                                bias: d.useBias ? UnsafePointer(try d.parameters[1].singleValues()) : nil,
                                width: d.parameters[0].shape[0], units: d.units, act: d.activation,
                                input: acts[l].pointer, output: acts[l + 1].pointer, delta: deltas[l].pointer,
                                kernelGrad: kernelGrads[l].pointer, biasGrad: biasGrads[l]?.pointer,
                                biasOffset: biasOffsets[l])
        }
        let step = StepPlan(layers: UnsafePointer(plan.baseAddress!), count: layers.count, rows: rows, parts: parts,
                            inputs: layers[0].parameters[0].shape[0],
                            x: x, targets: UnsafePointer(targets),
                            labels: oneHot == nil ? labels.map { UnsafePointer($0) } : nil, oneHot: oneHot,
                            native: native, prediction: predicted.storage.pointer,
                            partFloats: partFloats, partLoss: partLoss, partBias: partBias, biasStride: biasStride,
                            inputDelta: inputDelta)
        withExtendedLifetime(y) {}
        return Prepared(plan: step, update: update, prediction: predicted)
    }

    /// The first layer's input of the reserved batch (rows x width), for a caller that writes it.
    var input: UnsafeMutablePointer<Float> { acts[0].pointer }

    /// After a step's parts ran: the loss (the parts' sums in a fixed order) and the fault of
    /// a loss or gradient that is not finite.
    func conclude(_ step: StepPlan) -> (loss: Double, fault: String?) {
        let L = layers.count, parts = step.parts, rows = step.rows
        var value = 0.0
        for p in 0..<parts { value += partLoss[p] }
        value /= step.native == .mse ? Double(rows * layers[L - 1].units) : Double(rows)
        let perPart = 2 * L + 1
        for i in 0..<perPart {
            var sq: Float = 0
            for p in 0..<parts { sq += partFloats[p * perPart + i] }
            squares[i] = sq
        }
        for p in 1..<Swift.max(parts, 1) {
            for l in 0..<L {
                guard let gb = biasGrads[l]?.pointer else { continue }
                let part = partBias + (p - 1) * biasStride + biasOffsets[l]
                for c in 0..<layers[l].units { gb[c] += part[c] }
            }
        }
        if !value.isFinite { return (value, "the loss became \(value.isNaN ? "nan" : "inf")") }
        // finite without a scan: |dW_ij| <= |a| |delta| (Cauchy-Schwarz over the batch),
        // |db_j| <= sqrt(rows) |delta|, with both norms from passes made anyway
        for l in stride(from: L - 1, through: 0, by: -1) {
            let deltaSquares = squares[L + 1 + l]
            let bound = (Double(squares[l]) * Double(deltaSquares)).squareRoot()
            if !(bound < 1e36 && (Double(rows) * Double(deltaSquares)).squareRoot() < 1e36) {
                if let fault = scan(l) { return (value, fault) }
            }
        }
        return (value, nil)
    }

    /// The update, layer by layer in the order the graph used the parameters.
    func update(_ update: SingleUpdate, rows: Int) throws {
        for (l, d) in layers.enumerated() {
            try update.updateSingle(d.parameters[0], kernelGrads[l].pointer, count: kernelGrads[l].count)
            if d.useBias, let gb = biasGrads[l] { try update.updateSingle(d.parameters[1], gb.pointer, count: gb.count) }
            if d.lastOutputShape?.count != 2 || d.lastOutputShape?[0] != rows { d.lastOutputShape = [rows, d.units] }
        }
    }

    /// The fault of layer l's gradients when one is not finite (the bound did not hold).
    private func scan(_ l: Int) -> String? {
        nonFiniteFault(kernelGrads[l], "kernel") ?? biasGrads[l].flatMap { nonFiniteFault($0, "bias") }
    }

    /// The prediction handed back: the same buffer each step unless the caller kept the last one.
    private func predictionTensor(_ rows: Int, _ cols: Int) throws -> Tensor {
        if var storage = predictionStorage, predictionShape.count == 2, predictionShape[0] == rows, predictionShape[1] == cols {
            predictionStorage = nil
            if isKnownUniquelyReferenced(&storage) {
                predictionStorage = storage
                return Tensor(storage: storage, shape: predictionShape)
            }
        }
        let p = try Tensor(uninitializedShape: [rows, cols], "train")
        allocations += 1
        predictionStorage = p.storage
        predictionShape = p.shape
        return p
    }

    /// Parts of the batch's rows that a step splits over the product threads: one per
    /// thread, each at least `minPartRows` rows and `splitStepWork` multiply-adds.
    func partsFor(_ rows: Int) -> Int {
        let perRow = layers.reduce(0) { $0 + $1.parameters[0].shape[0] * $1.units } * 3
        return Swift.max(1, Swift.min(BLASThreads.count, rows / Self.minPartRows, rows * perRow / Swift.max(Self.splitStepWork, 1)))
    }

    /// Rows per part of a split step at least.
    static let minPartRows = 4
    /// Multiply-adds (forward and backward) per part of a split step at least (tests lower it).
    nonisolated(unsafe) public static var splitStepWork = 1 << 19

    /// The step's buffers for `rows` samples in `parts` parts (allocated when the batch or the parts grow).
    private func reserve(_ rows: Int, parts: Int) throws {
        if rows <= batch && parts <= partsReserved { return }
        if rows > batch {
            batch = rows
            labels?.deallocate()
            labels = UnsafeMutablePointer<Int>.allocate(capacity: rows)
            acts = try [SingleValues(count: rows * layers[0].parameters[0].shape[0])] + layers.map { try SingleValues(count: rows * $0.units) }
            deltas = try layers.map { try SingleValues(count: rows * $0.units) }
            kernelGrads = try layers.map { try SingleValues(count: $0.parameters[0].shape.reduce(1, *)) }
            biasGrads = try layers.map { $0.useBias ? try SingleValues(count: $0.units) : nil }
            allocations += 1 + acts.count + deltas.count + kernelGrads.count + biasGrads.count
        }
        if parts > partsReserved || plan.count == 0 {
            partsReserved = Swift.max(parts, partsReserved)
            plan.deallocate(); partFloats.deallocate(); partLoss.deallocate(); partBias.deallocate()
            let L = layers.count
            plan = .allocate(capacity: L)
            partFloats = .allocate(capacity: partsReserved * (2 * L + 1))
            partLoss = .allocate(capacity: partsReserved)
            biasOffsets = []
            var offset = 0
            for d in layers { biasOffsets.append(offset); offset += d.useBias ? d.units : 0 }
            biasStride = (offset + 15) & ~15
            partBias = .allocate(capacity: Swift.max(1, (partsReserved - 1) * biasStride))
            allocations += 5
        }
    }
}

/// The fault of a native step's gradient with an element that is not finite
/// ("the gradient of the kernel became nan"), as the graph's step says it.
func nonFiniteFault(_ g: SingleValues, _ name: String) -> String? {
    for i in 0..<g.count where !g.pointer[i].isFinite {
        return "the gradient of the \(name) became \(g.pointer[i].isNaN ? "nan" : "inf")"
    }
    return nil
}

/// A layer as the step's threads see it: raw pointers and values only.
struct LayerPlan {
    var w: UnsafeMutablePointer<Float>
    var bias: UnsafePointer<Float>?
    var width: Int, units: Int
    var act: Activation
    /// The layer's input and output (rows x width, rows x units), its delta (rows x units).
    var input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>
    var kernelGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>?
    var biasOffset: Int
}

/// One training step's work on the batch's rows, in parts (SingleDenseTrainer.step).
struct StepPlan {
    let layers: UnsafePointer<LayerPlan>
    let count: Int, rows: Int, parts: Int, inputs: Int
    /// The batch in float64, or nil when the first layer's input is written already.
    let x: UnsafePointer<Double>?
    let targets: UnsafePointer<Double>
    let labels: UnsafePointer<Int>?, oneHot: UnsafePointer<Double>?
    let native: SingleDenseTrainer.NativeLoss
    let prediction: UnsafeMutablePointer<Double>
    let partFloats: UnsafeMutablePointer<Float>, partLoss: UnsafeMutablePointer<Double>
    let partBias: UnsafeMutablePointer<Float>
    let biasStride: Int
    /// Where the gradient with respect to the first layer's input goes (rows x inputs), if wanted.
    let inputDelta: UnsafeMutablePointer<Float>?

    @inline(__always) func bounds(_ p: Int) -> (Int, Int) { (rows * p / parts, rows * (p + 1) / parts) }

    /// Part p's bias gradient of layer l (part 0: the trainer's own).
    @inline(__always) func biasGrad(_ p: Int, _ l: Int) -> UnsafeMutablePointer<Float>? {
        guard let own = layers[l].biasGrad else { return nil }
        return p == 0 ? own : partBias + (p - 1) * biasStride + layers[l].biasOffset
    }

    /// Rows of part p: the input in float, every layer's output, the loss and its gradient,
    /// and the gradient with respect to every layer's pre-activation, with their sums of
    /// squares and the bias gradients of these rows.
    func forwardBackward(_ p: Int) {
        let (r0, r1) = bounds(p), n = r1 - r0, L = count
        let sq = partFloats + p * (2 * L + 1)
        let input = layers[0].input
        var inputSquares: Float = 0
        if let x {
            for i in r0 * inputs..<r1 * inputs { let v = Float(x[i]); input[i] = v; inputSquares += v * v }
        } else {
            for i in r0 * inputs..<r1 * inputs { inputSquares += input[i] * input[i] }
        }
        sq[0] = inputSquares
        for l in 0..<L {
            let d = layers[l]
            Tensor.blasProduct(transposeA: false, transposeB: false, n, d.units, d.width, alpha: 1,
                               d.input + r0 * d.width, d.width, d.w, d.units, beta: 0, d.output + r0 * d.units, d.units, threads: 1)
            let fusedLoss = l == L - 1 && native != .mse
            sq[l + 1] = SingleDense.biasActivation(d.output + r0 * d.units, rows: n, cols: d.units, bias: d.bias,
                                                   fusedLoss ? .linear : d.act)
        }
        let last = layers[L - 1], classes = last.units
        let out = last.output, dLast = last.delta
        switch native {
        case .mse:
            let scale = 2 / Float(rows * classes)
            var value = 0.0
            for i in r0 * classes..<r1 * classes { let e = Double(out[i]) - targets[i]; value += e * e; dLast[i] = Float(e) * scale }
            partLoss[p] = value
            sq[L + 1 + L - 1] = SingleDense.activationBackward(dLast + r0 * classes, output: out + r0 * classes, rows: n, cols: classes,
                                                               last.act, biasGrad: biasGrad(p, L - 1))
        case .softmaxCrossEntropy, .logitsCrossEntropy:
            let r = SingleDense.softmaxCrossEntropy(out + r0 * classes, rows: n, cols: classes, labels: labels.map { $0 + r0 },
                                                     oneHot: oneHot.map { $0 + r0 * classes }, gradient: dLast + r0 * classes,
                                                     probabilitiesInto: native == .softmaxCrossEntropy, meanOver: rows)
            partLoss[p] = r.loss
            sq[L + 1 + L - 1] = r.squares
            if let gb = biasGrad(p, L - 1) {
                gb.initialize(repeating: 0, count: classes)
                for r in r0..<r1 { for c in 0..<classes { gb[c] += dLast[r * classes + c] } }
            }
        }
        for i in r0 * classes..<r1 * classes { prediction[i] = Double(out[i]) }
        for l in stride(from: L - 1, to: 0, by: -1) {
            let d = layers[l], below = layers[l - 1]
            Tensor.blasProduct(transposeA: false, transposeB: true, n, d.width, d.units, alpha: 1,
                               d.delta + r0 * d.units, d.units, d.w, d.units, beta: 0, below.delta + r0 * d.width, d.width, threads: 1)
            sq[L + 1 + l - 1] = SingleDense.activationBackward(below.delta + r0 * d.width, output: d.input + r0 * d.width, rows: n,
                                                               cols: d.width, below.act, biasGrad: biasGrad(p, l - 1))
        }
        if let inputDelta {
            let d = layers[0]
            Tensor.blasProduct(transposeA: false, transposeB: true, n, d.width, d.units, alpha: 1,
                               d.delta + r0 * d.units, d.units, d.w, d.units, beta: 0, inputDelta + r0 * d.width, d.width, threads: 1)
        }
    }

    /// Part p of every layer's kernel gradient (input^T delta over the whole batch): a
    /// block of its rows when the layer is large enough to split, else all of it in part 0.
    func kernelGradients(_ p: Int) {
        for l in 0..<count {
            let d = layers[l]
            let split = parts > 1 && d.width >= 8 * parts && d.width * d.units * rows >= SingleDenseTrainer.splitStepWork
            if !split && p != 0 { continue }
            let w0 = split ? d.width * p / parts : 0, w1 = split ? d.width * (p + 1) / parts : d.width
            Tensor.blasProduct(transposeA: true, transposeB: false, w1 - w0, d.units, rows, alpha: 1,
                               d.input + w0, d.width, d.delta, d.units, beta: 0, d.kernelGrad + w0 * d.units, d.units, threads: 1)
        }
    }
}
