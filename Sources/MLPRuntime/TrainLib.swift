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
                       Param("verbose", .bool(true), keywordOnly: true), Param("metrics", DefaultValue.none, keywordOnly: true), rngParam,
                       Param("validation_split", DefaultValue.none, keywordOnly: true), Param("callbacks", DefaultValue.none, keywordOnly: true)],
             doc: "Trains net with optimizer opt (adam, adam(0.01), or a Keras name as a string: \"adam\", \"sgd\", \"rmsprop\", ...) on data: [x, y] (cut into shuffled batches for epochs, or for steps batches; a 1-D x is one feature per sample, as Keras), or a function returning a fresh [x, y] batch per step (then steps= counts them). loss is mse, crossentropy, ..., a Keras name (\"mean_squared_error\", \"categorical_crossentropy\", ...) or any function (prediction, target) -> number; without loss= a softmax output is an error (name the loss), anything else trains on mse. metrics=: names (\"accuracy\", \"mae\", \"mse\", \"top_k_accuracy\") or functions (p, t) -> number; accuracy by default for cross-entropy losses. validation=[vx, vy], or validation_split=f: the last fraction f of the samples (taken before shuffling, as Keras) is held out. callbacks=[early_stopping(...), checkpoint(path), lr_schedule(...)] (see their help). Returns the history: h.loss per epoch (per step with steps=), h.accuracy and each metric, h.val_loss, h.val_accuracy, ... on the validation data; keys(h) lists them. verbose=false (or 0) hides the progress bar, which shows on a terminal with the latest metrics and validation figures; Ctrl-C stops after the current step, keeping the weights. Shuffling, dropout and the first weights of layers not yet built draw from rng= when given. An rbm or dbn trains the same way on data x alone with opt a rule cd(k=1, lr=...) (see ?cd); its loss is the reconstruction error.",
             example: "x = randn(100, 3); y = randn(100, 1); h = train(dense(1), adam, [x, y], loss=mse, epochs=10, batch=20, validation_split=0.2, verbose=0); keys(h)   # [\"loss\", \"val_loss\"]") { a throws(MLPError) in
            if let trained = try BoltzmannLib.trainMachine(a) { return trained }
            let net = try a.model(0), opt = try optimizer(a, 1, for: net), loss = try lossArg(a, 3, for: net)
            var options = TrainOptions(random: try a.generator(11))
            options.communicator = a.context.communicator
            options.epochs = try a.positive(4)
            options.batch = try a.positive(5)
            options.steps = a.isNil(6) ? nil : try a.positive(6)
            if !a.isNil(7) { options.validation = try pair(a, 7, "validation") }
            options.shuffle = try a.bool(8)
            let verbose = try verboseArg(a, 9)
            options.metrics = try metricsArg(a, 10, loss)
            let data: TrainingData
            switch a[2] {
            case .list:
                var (x, y) = try pair(a, 2, "data")
                if !a.isNil(12) {
                    guard a.isNil(7) else { throw a.error("give validation= or validation_split=, not both.", at: 12) }
                    let (train, held) = try split(a, 12, x, y)
                    (x, y) = train
                    options.validation = held
                }
                data = .arrays(x, y)
            case .function, .builtin:
                if !a.isNil(12) { throw a.error("validation_split= holds out the last samples of [x, y]; with a batch function, pass validation=[vx, vy].", at: 12) }
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
            let callbacks = try CallbackLib.callbacks(a, 13, net: net, opt: opt, options: &options)
            let bar = ProgressBar(enabled: verbose, sink: a.context.display)
            var h: History
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
            try callbacks.end(&h)
            if let why = h.stopped, !h.stoppedEarly {
                a.context.warn("train: \(why)\(why.hasPrefix("interrupted") ? "; the weights trained so far are kept" : "; the weights from before that step are kept").")
            }
            return .object(HistoryValue(h))
        }
        r.fn("train_batch", [p("net"), p("opt"), p("x"), p("y"), lossParam, rngParam],
             doc: "One training step on the batch x, y (forward, backward, update); returns the loss before the update.",
             example: "l = train_batch(net, sgd(0.1), x, y, loss=mse)") { a throws(MLPError) in
            let net = try a.model(0), opt = try optimizer(a, 1, for: net), loss = try lossArg(a, 4, for: net)
            let x = try a.tensor(2), y = try a.tensor(3), g = try a.generator(5)
            return try a.native {
                try Training.checkFinite(x, "x"); try Training.checkFinite(y, "y")
                let x = try Training.samples(x)
                let (l, _, fault) = try Training.step(net, opt, x, y, loss, random: g, communicator: a.context.communicator)
                if let fault { a.context.warn("train_batch: \(fault); the weights are kept.") }
                return .number(l)
            }
        }
        r.fn("evaluate", [p("net"), p("x"), p("y"), lossParam, rngParam, Param("metrics", DefaultValue.none, keywordOnly: true)],
             doc: "The loss of net on x, y (no training; a 1-D x is one feature per sample), computed in batches. With metrics= (as train's: \"accuracy\", \"mae\", \"top_k_accuracy\", functions) a dict of the loss and each metric, as Keras's evaluate(return_dict=True). Layers not built yet draw their first weights from rng= when given.",
             example: "test_loss = evaluate(net, x_test, y_test, loss=crossentropy); r = evaluate(net, x_test, y_test, loss=crossentropy, metrics=[\"accuracy\"]); r.accuracy") { a throws(MLPError) in
            let net = try a.model(0), loss = try lossArg(a, 3, for: net)
            let x = try a.tensor(1), y = try a.tensor(2), g = try a.generator(4)
            let metrics = a.isNil(5) ? [] : try metricsArg(a, 5, loss)
            let (l, m) = try a.native { try Training.measure(net, x, y, loss, metrics, random: g, communicator: a.context.communicator, poll: a.interruptPoll) }
            if a.isNil(5) { return .number(l) }
            let d = DictObj()
            d["loss"] = .number(l)
            for (metric, v) in zip(metrics, m) { d[metric.name] = .number(v) }
            return .dict(d)
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
        r.fn("top_k_accuracy", [p("p"), p("t"), Param("k", .number(5), keywordOnly: true)],
             doc: "The fraction of samples whose target class (t one-hot rows or integer labels) is among the k largest outputs of p (Keras's top_k_categorical_accuracy; an output tied with the k-th largest counts as in). As a metric: metrics=[\"top_k_accuracy\"] (k 5) or a function.",
             example: "top_k_accuracy(tensor([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]]), tensor([1, 0]), k=2)   # 0.5") { a throws(MLPError) in
            let p = try a.tensor(0), t = try a.tensor(1), k = try a.positive(2)
            return try a.native { .number(try Metric.topKAccuracy(p, t, k: k)) }
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

    /// Keras's names for the built-in losses (strings in loss=), beside mlp's own.
    static let kerasLossNames: [String: String] = [
        "mean_squared_error": "mse", "mean_absolute_error": "mae",
        "categorical_crossentropy": "crossentropy", "sparse_categorical_crossentropy": "crossentropy",
    ]

    static func lossArg(_ a: Args, _ i: Int, for net: Layer? = nil) throws(MLPError) -> Loss {
        switch a[i] {
        case .nil:
            if let net, endsInSoftmax(net) {
                throw a.error("the model ends in a softmax and no loss= was given; name the loss: loss=crossentropy (Keras's categorical_crossentropy: targets one-hot rows or integer labels), or loss=mse to fit the probabilities by least squares.", at: i)
            }
            return Loss.mse
        case .string(let s):
            guard let l = Loss.named(kerasLossNames[s.s] ?? s.s) else {
                throw a.error("unknown loss '\(s.s)'; expected one of \(Loss.names.joined(separator: ", ")), a Keras name (\(kerasLossNames.keys.sorted().joined(separator: ", "))) or a function.", at: i)
            }
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
                let target = try userLossTarget(t, p.value, "loss \(name)", at: loc)
                let v = try callDuringTraining(interp, f, [.object(TensorValue(p)), .object(TensorValue(target))], at: loc)
                switch v {
                case .object(let o as TensorValue): return o.variable
                case .number(let d): return Variable(constant: Tensor(scalar: d))
                default: throw MLPError.runtime("loss: the loss function must return a number, got \(describeForError(v)).", at: loc)
                }
            }
        default: throw a.typeError(i, "a loss (mse, crossentropy, ...) or a function (p, t) -> number")
        }
    }

    /// The target a loss written in mlp receives: a target missing (or having) the trailing axis
    /// of 1 of the prediction is reshaped to it, as Keras does ([B] against [B, 1]); other shapes
    /// that would broadcast to a bigger one ([B, 1] against [1, B]: every prediction compared
    /// with every target) are an error naming both, as PyTorch warns.
    static func userLossTarget(_ t: Tensor, _ p: Tensor, _ name: String, at loc: SourceLoc) throws -> Tensor {
        if t.shape == p.shape { return t }
        if t.count == p.count, t.shape + [1] == p.shape || p.shape + [1] == t.shape { return try t.reshaped(p.shape) }
        if let b = try? Tensor.broadcastShape(p.shape, t.shape), b.reduce(1, *) > Swift.max(p.count, t.count) {
            throw MLPError.runtime("\(name): the prediction has shape \(Tensor.formatShape(p.shape)) and the target \(Tensor.formatShape(t.shape)); they broadcast to \(Tensor.formatShape(b)), comparing every prediction with every target. Give targets of the prediction's shape: reshape(y, \(Tensor.formatShape(p.shape))).", at: loc)
        }
        return t
    }

    /// Whether a model's output is a softmax (its last layer dense(n, softmax) or softmax).
    static func endsInSoftmax(_ net: Layer) -> Bool {
        let last = (net as? Sequential)?.layers.last ?? net
        if let d = last as? Dense { return d.activation.name == "softmax" }
        if let act = last as? ActivationLayer { return act.activation.name == "softmax" }
        return false
    }

    /// verbose=: a bool, or Keras's 0 (silent), 1 or 2 (a bar).
    static func verboseArg(_ a: Args, _ i: Int) throws(MLPError) -> Bool {
        switch a[i] {
        case .bool(let b): return b
        case .number(let d) where d == 0 || d == 1 || d == 2: return d != 0
        default: throw a.typeError(i, "true/false or Keras's 0, 1, 2")
        }
    }

    /// The metrics= argument: names ("accuracy", "mae", "mse", "top_k_accuracy", Keras's long
    /// names), metric builtins, or functions (p, t) -> number. Nil: accuracy for cross-entropy losses.
    static func metricsArg(_ a: Args, _ i: Int, _ loss: Loss) throws(MLPError) -> [NamedMetric] {
        if a.isNil(i) { return loss.name.contains("crossentropy") ? [.accuracy] : [] }
        let items: [Value]
        if case .list(let l) = a[i] { items = l.items } else { items = [a[i]] }
        var out: [NamedMetric] = []
        let interp = a.interp, loc = a.callLoc
        for v in items {
            let m: NamedMetric
            switch v {
            case .string(let s):
                guard let named = namedMetric(s.s) else {
                    throw a.error("unknown metric '\(s.s)'; expected \"accuracy\", \"mae\", \"mse\", \"top_k_accuracy\" or a function (p, t) -> number.", at: i)
                }
                m = named
            case .builtin(let b) where namedMetric(b.name) != nil: m = namedMetric(b.name)!
            case .function(let c):
                let name = c.name.hasPrefix("<") ? "metric\(out.count + 1)" : c.name
                m = NamedMetric(name) { p, t in
                    let target = try userLossTarget(t, p, "metric \(name)", at: loc)
                    let r = try callDuringTraining(interp, v, [.object(TensorValue(p)), .object(TensorValue(target))], at: loc)
                    switch r {
                    case .number(let d): return d
                    case .object(let o as TensorValue) where o.t.count == 1: return o.t.scalars[0]
                    default: throw MLPError.runtime("metric \(name): a metric must return a number, got \(describeForError(r)).", at: loc)
                    }
                }
            case .builtin(let b):
                throw a.error("\(b.name) is not a metric; metrics are \"accuracy\", \"mae\", \"mse\", \"top_k_accuracy\" or a function (p, t) -> number.", at: i)
            default: throw a.typeError(i, "a list of metrics: names such as \"accuracy\" or functions (p, t) -> number")
            }
            guard !out.contains(where: { $0.name == m.name }) else { throw a.error("the metric '\(m.name)' is given twice.", at: i) }
            out.append(m)
        }
        return out
    }

    /// A built-in metric by its name or Keras's.
    static func namedMetric(_ name: String) -> NamedMetric? {
        switch name {
        case "accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy": return .accuracy
        case "mae", "mean_absolute_error": return NamedMetric("mae") { try Metric.meanError($0, $1, squared: false, "mae") }
        case "mse", "mean_squared_error": return NamedMetric("mse") { try Metric.meanError($0, $1, squared: true, "mse") }
        case "top_k_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy":
            return NamedMetric("top_k_accuracy") { try Metric.topKAccuracy($0, $1, k: 5) }
        default: return nil
        }
    }

    /// validation_split=f: the first samples to train on and the last fraction f held out (Keras's split).
    static func split(_ a: Args, _ i: Int, _ x: Tensor, _ y: Tensor) throws(MLPError) -> ((Tensor, Tensor), (Tensor, Tensor)) {
        let f = try a.number(i)
        guard f > 0, f < 1 else { throw a.error("validation_split must be a fraction between 0 and 1, got \(formatNumber(f)).", at: i) }
        let n = x.shape[0], cut = Int(Double(n) * (1 - f))
        guard cut > 0, cut < n else {
            throw a.error("validation_split=\(formatNumber(f)) of \(n) samples leaves \(cut) to train on and \(n - cut) to validate; both need at least one.", at: i)
        }
        return try a.native(at: i) {
            let head: [TensorIndex] = [.slice(0, cut, nil)], tail: [TensorIndex] = [.slice(cut, n, nil)]
            return ((try x.get(head), try y.get(head)), (try x.get(tail), try y.get(tail)))
        }
    }

    /// The optimizer builtins' names (MLPLearn declares them), for a bare name as opt.
    static let optimizerNames = Optimizers.all.map { $0.name }

    /// The optimizer argument: an optimizer value, or an optimizer builtin by itself or its name as
    /// a string ("adam", Keras's spelling) with its defaults.
    /// A bare name gets one optimizer per model, kept, so its moments persist across calls
    /// (train_batch(net, adam, ...) in a loop behaves as Keras's compiled model).
    static func optimizer(_ a: Args, _ i: Int, for net: Layer) throws(MLPError) -> ParameterUpdate {
        let builtin: Builtin
        switch a[i] {
        case .object(let o as OptimizerValue): return o.optimizer
        case .builtin(let b) where optimizerNames.contains(b.name): builtin = b
        case .string(let s):
            guard optimizerNames.contains(s.s.lowercased()), case .builtin(let b)? = a.interp.builtins[s.s.lowercased()] else {
                throw a.error("unknown optimizer \"\(s.s)\"; expected one of \(optimizerNames.map { "\"\($0)\"" }.joined(separator: ", ")) or an optimizer such as adam(0.01).", at: i)
            }
            builtin = b
        default: throw a.typeError(i, "an optimizer (\(optimizerNames.joined(separator: ", ")))")
        }
        let context = a.context, key = DefaultOptimizerKey(model: ObjectIdentifier(net), name: builtin.name)
        if let (kept, opt) = context.defaultOptimizers[key], kept.object === net { return opt }
        guard case .object(let o as OptimizerValue) = try a.interp.callBuiltin(builtin, [], [], at: a.callLoc) else {
            throw a.typeError(i, "an optimizer (\(optimizerNames.joined(separator: ", ")))")
        }
        // entries of models that are gone go first (a model's identity can be reused)
        context.defaultOptimizers = context.defaultOptimizers.filter { $0.value.model.object != nil }
        context.defaultOptimizers[key] = (Weak(object: net), o.optimizer)
        return o.optimizer
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
    override var fieldNames: [String] {
        var names = ["loss", "accuracy", "val_loss", "val_accuracy"]
        for k in h.keys where !names.contains(k) { names.append(k) }
        return names + ["steps", "stopped"]
    }
    override func description(_ interp: Interpreter) -> String {
        let last = h.loss.last.map { ", final loss \(formatNumber($0))" } ?? ""
        return "<history: \(h.loss.count) \(h.per)\(h.loss.count == 1 ? "" : "s")\(last)>"
    }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "steps": return .number(Double(h.stepsDone))
        case "stopped": return h.stopped.map { .str($0) } ?? .nil
        case "loss", "accuracy", "val_loss", "val_accuracy": return .object(TensorValue(try TensorValue.vector(h.curve(name) ?? [])))
        default:
            guard let c = h.curve(name) else { return nil }
            return .object(TensorValue(try TensorValue.vector(c)))
        }
    }
    /// keys(h): the curves recorded, as Keras's h.history.keys().
    var keys: [String] { h.keys }
}
