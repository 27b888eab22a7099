// Training builtins: train, train_batch, evaluate, predict, and the losses and
// metrics as functions. The loop itself is MLPLearn's Training.fit (native).
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

enum TrainLib {
    static func register(_ r: inout Registry) {
        let lossParam = Param("loss", DefaultValue.none, keywordOnly: true)
        r.fn("train", [p("net"), p("opt"), p("data"), lossParam, Param("epochs", .number(1), keywordOnly: true),
                       Param("batch", .number(32), keywordOnly: true), Param("steps", DefaultValue.none, keywordOnly: true),
                       Param("validation", DefaultValue.none, keywordOnly: true), Param("shuffle", .bool(true), keywordOnly: true),
                       Param("verbose", .bool(true), keywordOnly: true), Param("metrics", DefaultValue.none, keywordOnly: true), rngParam],
             doc: "Trains net with optimizer opt on data: [x, y] (cut into shuffled batches for epochs, or for steps batches), or a function returning a fresh [x, y] batch per step (then steps= counts them). loss is mse, crossentropy, ... or any function (prediction, target) -> number. Returns the history: h.loss per epoch (per step with steps=), h.accuracy, h.val_loss, h.val_accuracy with validation=[vx, vy]. A progress bar shows on a terminal; Ctrl-C stops after the current step, keeping the weights. Shuffling, dropout and the first weights of layers not yet built draw from rng= when given. An rbm or dbn trains the same way on data x alone with opt a rule cd(k=1, lr=...) (see ?cd); its loss is the reconstruction error.",
             example: "h = train(net, adam, [x, y], loss=mse, epochs=10, batch=20)") { a throws(MLPError) in
            if let trained = try BoltzmannLib.trainMachine(a) { return trained }
            let net = try a.model(0), opt = try optimizer(a, 1, for: net), loss = try lossArg(a, 3)
            var options = TrainOptions(random: try a.generator(11))
            options.communicator = a.context.communicator
            options.epochs = try a.positive(4)
            options.batch = try a.positive(5)
            options.steps = a.isNil(6) ? nil : try a.positive(6)
            if !a.isNil(7) { options.validation = try pair(a, 7, "validation") }
            options.shuffle = try a.bool(8)
            let verbose = try a.bool(9)
            options.accuracy = try wantsAccuracy(a, 10, loss)
            let data: TrainingData
            switch a[2] {
            case .list: let (x, y) = try pair(a, 2, "data"); data = .arrays(x, y)
            case .function, .builtin:
                let f = a[2], interp = a.interp, loc = a.callLoc
                data = .batches {
                    let v = try callDuringTraining(interp, f, [], at: loc)
                    guard case .list(let l) = v, l.items.count == 2 else {
                        throw MLPError.runtime("train: the batch function must return [x, y], got \(describeForError(v)).", at: loc)
                    }
                    return (try TensorValue.fromNested(l.items[0]), try TensorValue.fromNested(l.items[1]))
                }
            default: throw a.typeError(2, "[x, y] or a function returning a batch [x, y]")
            }
            let bar = ProgressBar(enabled: verbose, sink: a.context.display)
            let h: History
            do throws(MLPError) {
                let interp = a.interp, loc = a.callLoc
                h = try a.native {
                    try Training.fit(net, opt, data, loss, options, report: { bar.show($0) }, shouldStop: {
                        // Ctrl-C ends training gracefully; the step budget and deadline (the fuzzer's) end it with an error
                        if Interrupt.flag.exchange(false, ordering: .relaxed) { return true }
                        try interp.pollInterrupt(loc)
                        return false
                    })
                }
            } catch { bar.finish(nil); throw error }
            bar.finish(h)
            if let why = h.stopped { a.context.warn("train: \(why)\(why.hasPrefix("interrupted") ? "; the weights trained so far are kept" : "; the weights from before that step are kept").") }
            return .object(HistoryValue(h))
        }
        r.fn("train_batch", [p("net"), p("opt"), p("x"), p("y"), lossParam, rngParam],
             doc: "One training step on the batch x, y (forward, backward, update); returns the loss before the update.",
             example: "l = train_batch(net, sgd(0.1), x, y, loss=mse)") { a throws(MLPError) in
            let net = try a.model(0), opt = try optimizer(a, 1, for: net), loss = try lossArg(a, 4)
            let x = try a.tensor(2), y = try a.tensor(3), g = try a.generator(5)
            return try a.native {
                try Training.checkFinite(x, "x"); try Training.checkFinite(y, "y")
                let (l, _, fault) = try Training.step(net, opt, x, y, loss, random: g, communicator: a.context.communicator)
                if let fault { a.context.warn("train_batch: \(fault); the weights are kept.") }
                return .number(l)
            }
        }
        r.fn("evaluate", [p("net"), p("x"), p("y"), lossParam, rngParam], doc: "The loss of net on x, y (no training), computed in batches; layers not built yet draw their first weights from rng= when given.",
             example: "test_loss = evaluate(net, x_test, y_test, loss=crossentropy)") { a throws(MLPError) in
            let net = try a.model(0), loss = try lossArg(a, 3)
            let x = try a.tensor(1), y = try a.tensor(2), g = try a.generator(4)
            return try a.native { .number(try Training.evaluate(net, x, y, loss, random: g, communicator: a.context.communicator, poll: a.interruptPoll).loss) }
        }
        r.fn("predict", [p("net"), p("x"), Param("batch", .number(256), keywordOnly: true), rngParam],
             doc: "net's output on x, computed in batches (no gradients; dropout off); layers not built yet draw their first weights from rng= when given.", example: "p = predict(net, x_test)") { a throws(MLPError) in
            let net = try a.model(0), x = try a.tensor(1), batch = try a.positive(2), g = try a.generator(3)
            return try a.native { .object(TensorValue(try Training.predict(net, x, batch: batch, random: g, poll: a.interruptPoll))) }
        }
        lossFunction(&r, "mse", "Mean squared error of prediction p against target t (mean over all elements).", "mse(tensor([1, 2]), tensor([1, 4]))   # 2")
        lossFunction(&r, "mae", "Mean absolute error of p against t.", "mae(tensor([1, 2]), tensor([1, 4]))   # 1")
        lossFunction(&r, "binary_crossentropy", "-mean(t log p + (1 - t) log(1 - p)) for probabilities p (clipped to [1e-7, 1 - 1e-7]).",
                     "binary_crossentropy(tensor([0.9]), tensor([1]))")
        r.fn("crossentropy", [p("p"), p("t"), Param("from_logits", .bool(false), keywordOnly: true)],
             doc: "Categorical cross-entropy -mean over samples of sum(t log p), for probabilities p (clipped to [1e-7, 1 - 1e-7]) or, with from_logits=true, for logits (softmax folded in). When p comes from a softmax over the last axis (a dense(n, softmax) layer) the loss is computed from its logits, exactly and in one op, as Keras's TensorFlow backend does. t: one-hot rows or integer labels.",
             example: "crossentropy(tensor([[0.9, 0.1]]), tensor([0]))") { a throws(MLPError) in
            try applyLoss(a, try a.bool(2) ? Loss.crossentropyFromLogits : Loss.crossentropy)
        }
        r.fn("accuracy", [p("p"), p("t")],
             doc: "The fraction of samples whose largest output is the target class (t one-hot rows or labels); with one output per sample, whether p > 0.5 matches t > 0.5.",
             example: "accuracy(net(x_test), y_test)") { a throws(MLPError) in
            let p = try a.tensor(0), t = try a.tensor(1)
            return try a.native { .number(try Metric.accuracy(p, t)) }
        }
    }

    static func lossFunction(_ r: inout Registry, _ name: String, _ doc: String, _ example: String) {
        let loss = Loss.named(name)!
        r.fn(name, [p("p"), p("t")], doc: doc, example: example) { a throws(MLPError) in try applyLoss(a, loss) }
    }

    /// A loss called as a function: a number, or a tracked scalar inside grad.
    static func applyLoss(_ a: Args, _ loss: Loss) throws(MLPError) -> Value {
        let p = try a.variable(0), t = try a.tensor(1)
        return try a.native {
            let v = try loss(p, t)
            return v.requiresGrad ? .object(TensorValue(v)) : .number(v.value.scalars[0])
        }
    }

    /// The loss= argument: a built-in loss (by its function or name), or any mlp function of (prediction, target).
    /// Calls a batch function or loss written in mlp for `train`: Ctrl-C inside it
    /// stops training gracefully (TrainingInterrupted), as between steps.
    static func callDuringTraining(_ interp: Interpreter, _ f: Value, _ args: [Value], at loc: SourceLoc) throws -> Value {
        do { return try interp.call(f, args, at: loc) }
        catch where error.kind == .interrupt { throw TrainingInterrupted() }
    }

    static func lossArg(_ a: Args, _ i: Int) throws(MLPError) -> Loss {
        switch a[i] {
        case .nil: return Loss.mse
        case .string(let s):
            guard let l = Loss.named(s.s) else { throw a.error("unknown loss '\(s.s)'; expected one of \(Loss.names.joined(separator: ", ")) or a function.", at: i) }
            return l
        case .builtin(let b) where Loss.named(b.name) != nil: return Loss.named(b.name)!
        case .function, .builtin:
            let f = a[i], interp = a.interp, loc = a.callLoc
            // messages say "loss function NAME ..." (anonymous functions have no name to give)
            let name: String
            switch f {
            case .function(let c) where !c.name.hasPrefix("<"): name = "function \(c.name)"
            case .builtin(let b): name = "function \(b.name)"
            default: name = "function"
            }
            return Loss(name) { p, t in
                let v = try callDuringTraining(interp, f, [.object(TensorValue(p)), .object(TensorValue(t))], at: loc)
                switch v {
                case .object(let o as TensorValue): return o.variable
                case .number(let d): return Variable(constant: Tensor(scalar: d))
                default: throw MLPError.runtime("loss: the loss function must return a number, got \(describeForError(v)).", at: loc)
                }
            }
        default: throw a.typeError(i, "a loss (mse, crossentropy, ...) or a function (p, t) -> number")
        }
    }

    /// Accuracy is tracked when asked for (metrics=["accuracy"]) or, by default, for cross-entropy losses.
    static func wantsAccuracy(_ a: Args, _ i: Int, _ loss: Loss) throws(MLPError) -> Bool {
        if a.isNil(i) { return loss.name.contains("crossentropy") }
        var names: [String] = []
        for v in try a.list(i).items {
            guard case .string(let s) = v else { throw a.typeError(i, "a list of metric names such as [\"accuracy\"]") }
            names.append(s.s)
        }
        for n in names where n != "accuracy" { throw a.error("unknown metric '\(n)'; the metric is \"accuracy\".", at: i) }
        return !names.isEmpty
    }

    /// The optimizer builtins' names (MLPLearn declares them), for a bare name as opt.
    static let optimizerNames = Optimizers.all.map { $0.name }

    /// The optimizer argument: an optimizer value, or an optimizer builtin by itself (its defaults).
    /// A bare name gets one optimizer per model, kept, so its moments persist across calls
    /// (train_batch(net, adam, ...) in a loop behaves as Keras's compiled model).
    static func optimizer(_ a: Args, _ i: Int, for net: Layer) throws(MLPError) -> ParameterUpdate {
        switch a[i] {
        case .object(let o as OptimizerValue): return o.optimizer
        case .builtin(let b) where optimizerNames.contains(b.name):
            let context = a.context, key = DefaultOptimizerKey(model: ObjectIdentifier(net), name: b.name)
            if let (kept, opt) = context.defaultOptimizers[key], kept.object === net { return opt }
            guard case .object(let o as OptimizerValue) = try a.interp.callBuiltin(b, [], [], at: a.callLoc) else { break }
            // entries of models that are gone go first (a model's identity can be reused)
            context.defaultOptimizers = context.defaultOptimizers.filter { $0.value.model.object != nil }
            context.defaultOptimizers[key] = (Weak(object: net), o.optimizer)
            return o.optimizer
        default: break
        }
        throw a.typeError(i, "an optimizer (\(optimizerNames.joined(separator: ", ")))")
    }

    /// [x, y] as two tensors with the same number of samples.
    static func pair(_ a: Args, _ i: Int, _ what: String) throws(MLPError) -> (Tensor, Tensor) {
        guard case .list(let l) = a[i], l.items.count == 2 else { throw a.typeError(i, "a list [x, y]") }
        let x: Tensor, y: Tensor
        do throws(MLPError) {
            x = try TensorValue.fromNested(l.items[0]); y = try TensorValue.fromNested(l.items[1])
        } catch { throw a.error("\(what): \(error.message)", at: i) }
        guard x.shape.first != nil, x.shape.first == y.shape.first else {
            throw a.error("\(what): x has shape \(Tensor.formatShape(x.shape)) and y \(Tensor.formatShape(y.shape)); they need the same number of samples (first axis).", at: i)
        }
        return (x, y)
    }
}

/// The result of train: per-epoch (or per-step) curves.
final class HistoryValue: MLPObject {
    let h: History
    init(_ h: History) { self.h = h }
    override var typeName: String { "history" }
    override var fieldNames: [String] { ["loss", "accuracy", "val_loss", "val_accuracy", "steps", "stopped"] }
    override func description(_ interp: Interpreter) -> String {
        let last = h.loss.last.map { ", final loss \(formatNumber($0))" } ?? ""
        return "<history: \(h.loss.count) \(h.per)\(h.loss.count == 1 ? "" : "s")\(last)>"
    }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        func curve(_ xs: [Double]) throws(MLPError) -> Value { .object(TensorValue(try TensorValue.vector(xs))) }
        switch name {
        case "loss": return try curve(h.loss)
        case "accuracy": return try curve(h.accuracy)
        case "val_loss": return try curve(h.validationLoss)
        case "val_accuracy": return try curve(h.validationAccuracy)
        case "steps": return .number(Double(h.stepsDone))
        case "stopped": return h.stopped.map { .str($0) } ?? .nil
        default: return nil
        }
    }
}
