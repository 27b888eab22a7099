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
    /// The sum of squares of each layer's input (squares[0]: the batch) in this step, from the
    /// passes that write them: what proves the gradients finite.
    private var squares: [Float]
    /// How many buffers the trainer has allocated (tests: none per step once warm).
    public private(set) var allocations = 0

    init(_ layers: [Dense]) { self.layers = layers; squares = [Float](repeating: 0, count: layers.count + 1) }
    deinit { labels?.deallocate() }

    /// Marks a model whose layers cannot train natively (the check is not repeated).
    final class NotSingle {}

    /// The native trainer of `model`, kept with it, or nil when its layers are not all
    /// float32 dense layers with activations of their own kernels.
    public static func of(_ model: Layer) -> SingleDenseTrainer? {
        if let s = model as? Sequential {
            if let t = s.trainingCache { return t as? SingleDenseTrainer }
            let dense = s.layers.compactMap { $0 as? Dense }
            let ok = !dense.isEmpty && dense.count == s.layers.count && dense.allSatisfy(eligible)
            let t: AnyObject = ok ? SingleDenseTrainer(dense) : NotSingle()
            s.trainingCache = t
            return t as? SingleDenseTrainer
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
        guard let update = opt as? SingleUpdate, x.ndim == 2, let last = layers.last else { return nil }
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
        let rows = x.shape[0], classes = last.units
        guard rows > 0, x.shape[1] == layers[0].parameters[0].shape[0] else { return nil }
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
                try reserve(rows)
                guard let labels else { return nil }
                for r in 0..<rows {
                    let v = targets[r]
                    guard v == v.rounded(), v >= 0, v < Double(classes) else { return nil }
                    labels[r] = Int(v)
                }
            } else { return nil }
        }
        try reserve(rows)

        // forward
        let input = acts[0].pointer, xp = x.storage.pointer
        var inputSquares: Float = 0
        for i in 0..<rows * x.shape[1] { let v = Float(xp[i]); input[i] = v; inputSquares += v * v }
        squares[0] = inputSquares
        for (l, d) in layers.enumerated() {
            let w = try d.parameters[0].singleValues(), width = d.parameters[0].shape[0]
            Tensor.blasProduct(transposeA: false, transposeB: false, rows, d.units, width, alpha: 1,
                               acts[l].pointer, width, w, d.units, beta: 0, acts[l + 1].pointer, d.units)
            let bias = d.useBias ? UnsafePointer(try d.parameters[1].singleValues()) : nil
            let fusedLoss = l == layers.count - 1 && native != .mse
            squares[l + 1] = SingleDense.biasActivation(acts[l + 1].pointer, rows: rows, cols: d.units, bias: bias,
                                                        fusedLoss ? .linear : d.activation)
        }
        // loss and its gradient with respect to the last layer's pre-activation
        let out = acts[layers.count].pointer, dLast = deltas[layers.count - 1].pointer
        var value = 0.0
        var lastSquares: Float
        switch native {
        case .mse:
            let n = rows * classes, scale = 2 / Float(n)
            for i in 0..<n { let e = Double(out[i]) - targets[i]; value += e * e; dLast[i] = Float(e) * scale }
            value /= Double(n)
            lastSquares = SingleDense.activationBackward(dLast, output: out, rows: rows, cols: classes, last.activation,
                                                         biasGrad: biasGrads[layers.count - 1]?.pointer)
        case .softmaxCrossEntropy, .logitsCrossEntropy:
            let r = SingleDense.softmaxCrossEntropy(out, rows: rows, cols: classes, labels: oneHot == nil ? UnsafePointer(labels) : nil,
                                                     oneHot: oneHot, gradient: dLast, probabilitiesInto: native == .softmaxCrossEntropy)
            value = r.loss / Double(rows)
            lastSquares = r.squares
            if let gb = biasGrads[layers.count - 1]?.pointer {
                gb.initialize(repeating: 0, count: classes)
                for r in 0..<rows { for c in 0..<classes { gb[c] += dLast[r * classes + c] } }
            }
        }
        let predicted = try predictionTensor(rows, classes)
        let pp = predicted.storage.pointer
        for i in 0..<rows * classes { pp[i] = Double(out[i]) }
        if !value.isFinite { return (value, predicted, "the loss became \(value.isNaN ? "nan" : "inf")") }

        // backward: each layer's kernel gradient, and the gradient of the layer below
        var deltaSquares = lastSquares
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let d = layers[l], width = d.parameters[0].shape[0], delta = deltas[l].pointer
            Tensor.blasProduct(transposeA: true, transposeB: false, width, d.units, rows, alpha: 1,
                               acts[l].pointer, width, delta, d.units, beta: 0, kernelGrads[l].pointer, d.units)
            // finite without a scan: |dW_ij| <= |a| |delta| (Cauchy-Schwarz over the batch),
            // |db_j| <= sqrt(rows) |delta|, with both norms from passes made anyway
            let bound = (Double(squares[l]) * Double(deltaSquares)).squareRoot()
            if !(bound < 1e36 && (Double(rows) * Double(deltaSquares)).squareRoot() < 1e36) {
                if let fault = scan(l) { return (value, predicted, fault) }
            }
            if l > 0 {
                let below = deltas[l - 1].pointer, w = try d.parameters[0].singleValues()
                Tensor.blasProduct(transposeA: false, transposeB: true, rows, width, d.units, alpha: 1,
                                   delta, d.units, w, d.units, beta: 0, below, width)
                deltaSquares = SingleDense.activationBackward(below, output: acts[l].pointer, rows: rows, cols: width,
                                                              layers[l - 1].activation, biasGrad: biasGrads[l - 1]?.pointer)
            }
        }
        // the update, layer by layer in the order the graph used the parameters
        for (l, d) in layers.enumerated() {
            try update.updateSingle(d.parameters[0], kernelGrads[l].pointer, count: kernelGrads[l].count)
            if d.useBias, let gb = biasGrads[l] { try update.updateSingle(d.parameters[1], gb.pointer, count: gb.count) }
            if d.lastOutputShape?.count != 2 || d.lastOutputShape?[0] != rows { d.lastOutputShape = [rows, d.units] }
        }
        return (value, predicted, nil)
    }

    /// The fault of layer l's gradients when one is not finite (the bound did not hold).
    private func scan(_ l: Int) -> String? {
        let g = kernelGrads[l]
        for i in 0..<g.count where !g.pointer[i].isFinite {
            return "the gradient of the kernel became \(g.pointer[i].isNaN ? "nan" : "inf")"
        }
        if let b = biasGrads[l] {
            for i in 0..<b.count where !b.pointer[i].isFinite {
                return "the gradient of the bias became \(b.pointer[i].isNaN ? "nan" : "inf")"
            }
        }
        return nil
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

    /// The step's buffers for `rows` samples (allocated when the batch grows).
    private func reserve(_ rows: Int) throws {
        if rows <= batch { return }
        batch = rows
        labels?.deallocate()
        labels = UnsafeMutablePointer<Int>.allocate(capacity: rows)
        acts = try [SingleValues(count: rows * layers[0].parameters[0].shape[0])] + layers.map { try SingleValues(count: rows * $0.units) }
        deltas = try layers.map { try SingleValues(count: rows * $0.units) }
        kernelGrads = try layers.map { try SingleValues(count: $0.parameters[0].shape.reduce(1, *)) }
        biasGrads = try layers.map { $0.useBias ? try SingleValues(count: $0.units) : nil }
        allocations += 1 + acts.count + deltas.count + kernelGrads.count + biasGrads.count
    }
}
