// The training loop, natively: forward, loss, backward and update per step; the
// language is entered only for a batch function or a loss written in mlp.
import MLPTensor
import MLPAutograd

/// What updates parameters from their gradients (the optimizers of Optimizers/).
public protocol ParameterUpdate: AnyObject {
    func update(_ params: [Parameter], _ grads: [Tensor]) throws
}

public enum TrainingData {
    /// Whole arrays, cut into minibatches (shuffled each epoch when asked).
    case arrays(Tensor, Tensor)
    /// A fresh batch per step (the course trains on new random batches).
    case batches(() throws -> (Tensor, Tensor))
}

public struct TrainOptions {
    public var epochs: Int = 1
    public var batch: Int = 32
    /// Steps to run; with arrays, the minibatches cycle through the data.
    public var steps: Int? = nil
    public var shuffle = true
    public var validation: (Tensor, Tensor)? = nil
    /// What is measured besides the loss, per step and on the validation data (h.accuracy, h.val_mae, ...).
    public var metrics: [NamedMetric] = []
    /// Whether accuracy is among the metrics.
    public var accuracy: Bool {
        get { metrics.contains { $0.name == "accuracy" } }
        set {
            metrics.removeAll { $0.name == "accuracy" }
            if newValue { metrics.insert(.accuracy, at: 0) }
        }
    }
    /// Called before each entry of the history (an epoch, or a step with steps= or a batch
    /// function) with its index from 0: learning-rate schedules set the rate here.
    public var entryBegin: ((Int) throws -> Void)? = nil
    /// Called after each entry with its index and the history so far; a reason returned
    /// stops training there (early stopping).
    public var entryEnd: ((Int, History) throws -> String?)? = nil
    /// Where shuffling, dropout and the weights of layers built during training draw from.
    public var random: RandomGenerator
    /// Averages gradients and measurements over processes (one process: nothing to do).
    public var communicator: Communicator = SingleProcess()
    public init(random: RandomGenerator) { self.random = random }
}

public struct History {
    public var loss: [Double] = []
    public var validationLoss: [Double] = []
    /// The metrics' curves by name ("accuracy", "mae", ...; "val_accuracy", ... on the validation data).
    public var metrics: [String: [Double]] = [:]
    /// The metrics' names in the order asked for.
    public var metricNames: [String] = []
    public var accuracy: [Double] {
        get { metrics["accuracy"] ?? [] }
        set { metrics["accuracy"] = newValue }
    }
    public var validationAccuracy: [Double] {
        get { metrics["val_accuracy"] ?? [] }
        set { metrics["val_accuracy"] = newValue }
    }
    /// The names of the curves that have entries, Keras's order: loss, the metrics, then their val_ forms.
    public var keys: [String] {
        let train = ["loss"] + metricNames, all = train + train.map { "val_" + $0 }
        return all.filter { !(curve($0) ?? []).isEmpty }
    }
    /// A curve by its name (loss, val_loss, a metric, val_ and a metric).
    public func curve(_ name: String) -> [Double]? {
        switch name {
        case "loss": return loss
        case "val_loss": return validationLoss
        default: return metrics[name]
        }
    }
    /// True when training ended because a callback asked (early stopping), not by an error or Ctrl-C.
    public var stoppedEarly = false
    /// "epoch" or "step": what one entry of `loss` covers.
    public var per = "epoch"
    public var stepsDone = 0
    /// nil when training ran to the end; otherwise why it stopped.
    public var stopped: String? = nil
}

/// Thrown by a batch function or a loss written in the language when Ctrl-C arrives
/// inside it: training stops as at a Ctrl-C between steps, keeping what it trained.
public struct TrainingInterrupted: Error {
    public init() {}
}

public struct Progress {
    public let step: Int, totalSteps: Int, epoch: Int, epochs: Int
    public let loss: Double
    /// The latest figures besides the loss, for the bar: the metrics of the last entry
    /// and the validation figures once there are any.
    public var figures: [(String, Double)] = []
    public init(step: Int, totalSteps: Int, epoch: Int, epochs: Int, loss: Double, figures: [(String, Double)] = []) {
        self.step = step; self.totalSteps = totalSteps; self.epoch = epoch; self.epochs = epochs; self.loss = loss; self.figures = figures
    }
}

/// A metric: a name and a function of (prediction, target) giving a number.
/// `lenient`: a prediction it does not apply to gives nan instead of an error
/// (accuracy on a regression output).
public struct NamedMetric {
    public let name: String
    public let lenient: Bool
    let f: (Tensor, Tensor) throws -> Double
    public init(_ name: String, lenient: Bool = false, _ f: @escaping (Tensor, Tensor) throws -> Double) {
        self.name = name; self.lenient = lenient; self.f = f
    }
    public func callAsFunction(_ p: Tensor, _ t: Tensor) throws -> Double {
        if lenient { return (try? f(p, t)) ?? .nan }
        return try f(p, t)
    }
    public static var accuracy: NamedMetric { NamedMetric("accuracy", lenient: true) { try Metric.accuracy($0, $1) } }
}

public enum Training {
    /// One step on one batch: returns the loss (before the update) and the prediction.
    /// A loss or gradient that is nan or infinite leaves the parameters untouched and
    /// comes back as the fault ("the loss became inf").
    @discardableResult
    public static func step(_ model: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss,
                            random: RandomGenerator, communicator: Communicator) throws
        -> (loss: Double, prediction: Tensor, fault: String?) {
        // float32 models train natively in single precision (SingleTraining.swift, SingleConvTraining.swift,
        // SingleRecurrentTraining.swift)
        if communicator is SingleProcess, let native = SingleDenseTrainer.native(model) {
            if let dense = native as? SingleDenseTrainer, let result = try dense.step(opt, x, y, loss) { return result }
            if let conv = native as? SingleConvTrainer, let result = try conv.step(opt, x, y, loss) { return result }
            if let rnn = native as? SingleRecurrentTrainer, let result = try rnn.step(opt, x, y, loss) { return result }
        }
        var (value, prediction, params, grads) = try gradients(model, x, y, loss, random: random)
        // the one point between gradients and update: processes agree on both here
        var measured = [value]
        try communicator.average(&measured)
        value = measured[0]
        if value.isFinite { try communicator.averageGradients(&grads) }
        if !value.isFinite { return (value, prediction, "the loss became \(value.isNaN ? "nan" : "inf")") }
        for (p, g) in zip(params, grads) {
            if let (_, bad) = g.firstNonFinite() {
                return (value, prediction, "the gradient of the \(p.name) became \(bad.isNaN ? "nan" : "inf")")
            }
        }
        // the graph is gone here, so the parameters' storage is not shared and updates in place
        try opt.update(params, grads)
        return (value, prediction, nil)
    }

    /// Refuses training data with a nan or infinite element, naming its position
    /// (`x[12, 3] is nan`): training on it would only make the weights nan.
    public static func checkFinite(_ t: Tensor, _ name: String, _ context: String = "") throws {
        guard let (position, value) = t.firstNonFinite() else { return }
        let at = position.isEmpty ? name : "\(name)[\(position.map(String.init).joined(separator: ", "))]"
        throw LearnError("train", "\(at)\(context) is \(value.isNaN ? "nan" : value > 0 ? "inf" : "-inf"); the training data must be finite.")
    }

    /// Forward and backward on one batch: the loss, the prediction and each used parameter's gradient.
    public static func gradients(_ model: Layer, _ x: Tensor, _ y: Tensor, _ loss: Loss,
                                 random: RandomGenerator) throws -> (Double, Tensor, [Parameter], [Tensor]) {
        let tape = Tape(checkNaN: false)
        let pass = ForwardPass(tape: tape, training: true, random: random)
        let out = try model.forward(Variable(constant: x), pass)
        let l = try loss(out, y)
        guard l.value.count == 1 else {
            throw LearnError(nil, "loss \(loss.name) must give a number, got a tensor of shape \(Tensor.formatShape(l.value.shape)).")
        }
        let value = l.value.scalars[0]
        if !value.isFinite { return (value, out.value, [], []) }
        try l.backward()
        let used = pass.used.filter { !$0.0.frozen }   // a layer frozen at its first call (built in this pass)
        return (value, out.value, used.map(\.0), try used.map { p, v in try v.grad ?? Tensor.zeros(p.value.shape) })
    }

    /// The model's output on x, in batches (no gradients, training behaviour off);
    /// `poll` is called between batches (Ctrl-C: what it throws stops the run).
    /// `random` builds a layer that has not seen data yet.
    public static func predict(_ model: Layer, _ x: Tensor, batch: Int = 256, random: RandomGenerator,
                               poll: (() throws -> Void)? = nil) throws -> Tensor {
        let pass = ForwardPass(random: random, poll: poll)
        let x = try samples(x)
        guard let n = x.shape.first, n > batch else { return try model.forward(Variable(constant: x), pass).value }
        var parts: [Tensor] = []
        var i = 0
        while i < n {
            if i > 0 { try poll?() }
            let slice = try x.get([.slice(i, Swift.min(i + batch, n), nil)])
            parts.append(try model.forward(Variable(constant: slice), pass).value)
            i += batch
        }
        return try Tensor.concat(parts, axis: 0)
    }

    /// 1-D data as one feature per sample ([n] -> [n, 1]), as Keras's fit takes a 1-D array;
    /// anything else as it is.
    public static func samples(_ x: Tensor) throws -> Tensor {
        x.ndim == 1 ? try x.reshaped([x.count, 1]) : x
    }

    /// The loss and each metric of the model on x, y (no training), in batches; averaged
    /// over the processes of `communicator`.
    public static func measure(_ model: Layer, _ x: Tensor, _ y: Tensor, _ loss: Loss, _ metrics: [NamedMetric], batch: Int = 256,
                               random: RandomGenerator, communicator: Communicator = SingleProcess(),
                               poll: (() throws -> Void)? = nil) throws -> (loss: Double, metrics: [Double]) {
        let p = try predict(model, x, batch: batch, random: random, poll: poll)
        var m = [try loss(Variable(constant: p), y).value.scalars[0]]
        for metric in metrics { m.append(try metric(p, y)) }
        try communicator.average(&m)
        return (m[0], Array(m.dropFirst()))
    }

    /// Loss (and accuracy) of the model on x, y.
    /// The measurements are averaged over the processes of `communicator`.
    public static func evaluate(_ model: Layer, _ x: Tensor, _ y: Tensor, _ loss: Loss, batch: Int = 256,
                                random: RandomGenerator, communicator: Communicator = SingleProcess(),
                                poll: (() throws -> Void)? = nil) throws -> (loss: Double, accuracy: Double) {
        let (l, m) = try measure(model, x, y, loss, [.accuracy], batch: batch, random: random, communicator: communicator, poll: poll)
        return (l, m[0])
    }

    /// Trains for the epochs or steps of `options`; `report` sees every step, and
    /// `shouldStop` is asked after each (Ctrl-C): the weights trained so far are kept.
    public static func fit(_ model: Layer, _ opt: ParameterUpdate, _ data: TrainingData, _ loss: Loss, _ options: TrainOptions,
                           report: (Progress) -> Void = { _ in }, shouldStop: () throws -> Bool = { false }) throws -> History {
        var h = History()
        h.metricNames = options.metrics.map(\.name)
        let batch = Swift.max(1, options.batch)
        var options = options
        if let (vx, vy) = options.validation {
            try checkFinite(vx, "the validation x"); try checkFinite(vy, "the validation y")
            options.validation = (try samples(vx), vy)
        }
        /// The figures the bar shows beside the loss: the last entry's metrics and validation figures.
        func figures() -> [(String, Double)] {
            h.keys.filter { $0 != "loss" }.compactMap { k in h.curve(k)?.last.map { (k, $0) } }
        }
        /// The end of an entry of the history: callbacks may stop training.
        func endEntry() throws -> Bool {
            guard let end = options.entryEnd, let why = try end(h.loss.count - 1, h) else { return false }
            h.stopped = why
            h.stoppedEarly = true
            return true
        }
        let metrics = options.metrics
        switch data {
        case .batches(let next):
            let steps = options.steps ?? options.epochs
            h.per = "step"
            for s in 0..<steps {
                try options.entryBegin?(s)
                let x: Tensor, y: Tensor, l: Double, p: Tensor, fault: String?
                do {
                    (x, y) = try next()
                    try checkFinite(x, "x", " of the batch for step \(s + 1)"); try checkFinite(y, "y", " of the batch for step \(s + 1)")
                    (l, p, fault) = try step(model, opt, try samples(x), y, loss, random: options.random, communicator: options.communicator)
                } catch is TrainingInterrupted { h.stopped = "interrupted after step \(s)"; break }
                if let fault { h.stopped = "\(fault) at step \(s + 1)"; break }
                h.loss.append(l)
                for m in metrics { h.metrics[m.name, default: []].append(try m(p, y)) }
                try validate(model, loss, options, &h)
                h.stepsDone += 1
                report(Progress(step: s + 1, totalSteps: steps, epoch: 1, epochs: 1, loss: l, figures: figures()))
                if try endEntry() { break }
                if try shouldStop() { h.stopped = "interrupted after step \(s + 1)"; break }
            }
        case .arrays(let x0, let y):
            let x = try samples(x0)
            guard let n = x.shape.first, n > 0 else { throw LearnError("train", "no samples (x has shape \(Tensor.formatShape(x.shape))).") }
            guard y.shape.first == n else {
                throw LearnError("train", "x has \(n) samples, y has \(y.shape.first.map(String.init) ?? "none") (shape \(Tensor.formatShape(y.shape))).")
            }
            try checkFinite(x, "x"); try checkFinite(y, "y")
            let perEpoch = (n + batch - 1) / batch
            let total = options.steps ?? perEpoch * options.epochs
            h.per = options.steps == nil ? "epoch" : "step"
            var order = Array(0..<n)
            // the batches' buffers, reused from step to step when nothing else holds them
            var keepX: TensorStorage? = nil, keepY: TensorStorage? = nil
            var s = 0, epoch = 0
            var sum = 0.0, seen = 0
            var sums = [Double](repeating: 0, count: metrics.count)
            /// The epoch's means so far into the history.
            func closeEpoch() {
                h.loss.append(sum / Double(seen))
                for (i, m) in metrics.enumerated() { h.metrics[m.name, default: []].append(sums[i] / Double(seen)) }
                sum = 0; seen = 0; sums = sums.map { _ in 0 }
            }
            outer: while s < total {
                if options.shuffle { shuffle(&order, options.random) }
                epoch += 1
                if h.per == "epoch" { try options.entryBegin?(epoch - 1) }
                var start = 0
                while start < n && s < total {
                    let idx = order[start..<Swift.min(start + batch, n)]
                    start += batch
                    let bx = try rows(x, idx, contiguous: !options.shuffle, reusing: &keepX)
                    let by = try rows(y, idx, contiguous: !options.shuffle, reusing: &keepY)
                    if h.per == "step" { try options.entryBegin?(s) }
                    let l: Double, p: Tensor, fault: String?
                    do { (l, p, fault) = try step(model, opt, bx, by, loss, random: options.random, communicator: options.communicator) }
                    catch is TrainingInterrupted { h.stopped = "interrupted after step \(s) (epoch \(epoch))"; break outer }
                    s += 1
                    if let fault { h.stopped = "\(fault) at step \(s) (epoch \(epoch))"; break outer }
                    let values = try metrics.map { m in try m(p, by) }
                    if h.per == "step" {
                        h.loss.append(l)
                        for (m, v) in zip(metrics, values) { h.metrics[m.name, default: []].append(v) }
                        try validate(model, loss, options, &h)
                    } else {
                        sum += l * Double(idx.count); seen += idx.count
                        for i in values.indices { sums[i] += values[i] * Double(idx.count) }
                    }
                    h.stepsDone = s
                    report(Progress(step: s, totalSteps: total, epoch: epoch, epochs: options.steps == nil ? options.epochs : epoch, loss: l, figures: figures()))
                    if h.per == "step", try endEntry() { break outer }
                    if try shouldStop() { h.stopped = "interrupted after step \(s) (epoch \(epoch))"; break outer }
                }
                if h.per == "epoch" {
                    closeEpoch()
                    try validate(model, loss, options, &h)
                    if try endEntry() { break outer }
                }
            }
            // an interrupted epoch still reports what it trained on
            if h.per == "epoch" && seen > 0 { closeEpoch() }
        }
        return h
    }

    static func validate(_ model: Layer, _ loss: Loss, _ options: TrainOptions, _ h: inout History) throws {
        guard let (vx, vy) = options.validation else { return }
        let (l, m) = try measure(model, vx, vy, loss, options.metrics, random: options.random, communicator: options.communicator)
        h.validationLoss.append(l)
        for (metric, v) in zip(options.metrics, m) { h.metrics["val_" + metric.name, default: []].append(v) }
    }

    /// Fisher-Yates from `g` (seeded runs repeat).
    static func shuffle(_ a: inout [Int], _ g: RandomGenerator) { g.state.shuffle(&a) }

    /// The samples (first-axis rows) at idx, copied into one batch: into `keep`'s storage
    /// when it has the batch's size and nothing else holds it (the last step's batch,
    /// let go), else into a new tensor that `keep` then holds.
    static func rows(_ t: Tensor, _ idx: ArraySlice<Int>, contiguous: Bool, reusing keep: inout TensorStorage?) throws -> Tensor {
        guard let first = idx.first, let n = t.shape.first, n > 0 else { return try t.get([.indices(Tensor(idx.map(Double.init)))]) }
        if contiguous { return try t.get([.slice(first, first + idx.count, nil)]) }
        let row = t.count / n
        var shape = t.shape
        shape[0] = idx.count
        var out: Tensor? = nil
        if var s = keep, s.count == idx.count * row {
            keep = nil
            if isKnownUniquelyReferenced(&s) { out = Tensor(storage: s, shape: shape) }
        }
        let batch = try out ?? Tensor(uninitializedShape: shape, "train")
        keep = batch.storage
        let src = t.storage.pointer, dst = batch.storage.pointer
        for (i, r) in idx.enumerated() {
            guard r >= 0 && r < n else { throw LearnError("train", "sample index \(r) out of range for \(n) samples.") }
            (dst + i * row).update(from: src + r * row, count: row)
        }
        return batch
    }
}
