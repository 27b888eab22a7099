// Keras's training callbacks as values for train(..., callbacks=[...]): early
// stopping, a checkpoint of the best model (save's atomic file), and learning-rate
// schedules. The rules are MLPLearn's (Training/Callbacks.swift); here they become
// the hooks of Training.fit.
import MLPLang
import MLPTensor
import MLPLearn

final class CallbackValue: MLPObject {
    enum Kind {
        case early(EarlyStopping)
        /// The model saved to path whenever the monitored value is a new best.
        case checkpoint(path: String, monitor: String, mode: MonitorMode)
        case schedule(LearningRateSchedule)
        /// lr = f(epoch) or f(epoch, lr), written in mlp (Keras's LearningRateScheduler).
        case function(Value)
    }
    let kind: Kind
    let call: String
    /// The entry (from 0) of the best value of the last train call (early stopping, checkpoint).
    var bestEntry: Int? = nil
    var best: Double? = nil
    init(_ kind: Kind, _ call: String) { self.kind = kind; self.call = call }
    override var typeName: String { "callback" }
    override func description(_ interp: Interpreter) -> String { "<callback \(call)>" }
    override var fieldNames: [String] { ["best", "best_epoch"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "best": return best.map { .number($0) } ?? .nil
        case "best_epoch": return bestEntry.map { .number(Double($0 + 1)) } ?? .nil
        default: return nil
        }
    }
}

/// What train does with its callbacks after fit: restore the best weights, record the bests.
struct TrainCallbacks {
    var ends: [(inout History) throws(MLPError) -> Void] = []
    func end(_ h: inout History) throws(MLPError) { for e in ends { try e(&h) } }
}

enum CallbackLib {
    static func register(_ r: inout Registry) {
        let monitor = Param("monitor", .string("val_loss"), keywordOnly: true), mode = Param("mode", .string("auto"), keywordOnly: true)
        r.fn("early_stopping", [monitor, Param("patience", .number(0), keywordOnly: true), Param("min_delta", .number(0), keywordOnly: true),
                                Param("restore_best", .bool(false), keywordOnly: true), mode],
             doc: "A callback for train (Keras's EarlyStopping): stops when the monitored curve (val_loss by default; loss, val_accuracy, any metric) has not improved by more than min_delta for patience epochs in a row (patience 0: at the first epoch without improvement). restore_best=true (Keras's restore_best_weights) puts back the weights of the best epoch when training ends. mode \"min\" or \"max\" (\"auto\": max for accuracies). Per step with steps= or a batch function. h.stopped says when and why; cb.best and cb.best_epoch the best.",
             example: "h = train(net, adam, [x, y], epochs=100, validation_split=0.2, callbacks=[early_stopping(patience=5, restore_best=true)])") { a throws(MLPError) in
            let patience = try a.int(1, atLeast: 0), delta = try a.number(2)
            guard delta.isFinite else { throw a.error("min_delta must be a finite number, got \(formatNumber(delta)).", at: 2) }
            let stopper = try a.native { try EarlyStopping(monitor: try a.string(0), patience: patience, minDelta: delta, mode: try MonitorMode.parse(try a.string(4), "early_stopping"), restoreBest: try a.bool(3)) }
            return .object(CallbackValue(.early(stopper), "early_stopping(monitor=\"\(try a.string(0))\", patience=\(patience))"))
        }
        r.fn("checkpoint", [p("path"), monitor, mode],
             doc: "A callback for train (Keras's ModelCheckpoint with save_best_only): saves the model to path (save's .npz file, written atomically) after each epoch whose monitored value (val_loss by default) is the best so far; load(path) gives the best model back. cb.best and cb.best_epoch say which.",
             example: "cb = checkpoint(\"/tmp/best.npz\"); train(net, adam, [x, y], epochs=20, validation_split=0.2, callbacks=[cb]); best = load(\"/tmp/best.npz\")") { a throws(MLPError) in
            let path = try a.string(0), m = try a.string(1)
            let md = try a.native(at: 2) { try MonitorMode.parse(try a.string(2), "checkpoint") }
            return .object(CallbackValue(.checkpoint(path: path, monitor: m, mode: md), "checkpoint(\"\(path)\")"))
        }
        r.fn("lr_schedule", [p("schedule"), Param("every", DefaultValue.none, keywordOnly: true), Param("factor", DefaultValue.none, keywordOnly: true),
                             Param("rate", DefaultValue.none, keywordOnly: true), Param("epochs", DefaultValue.none, keywordOnly: true),
                             Param("min_lr", .number(0), keywordOnly: true)],
             doc: "A callback for train setting the optimizer's learning rate before each epoch e (from 0), from the rate lr0 it had when train began: \"step\" (lr0 factor^floor(e / every)), \"exponential\" (lr0 rate^e), \"cosine\" (min_lr + (lr0 - min_lr) (1 + cos(pi min(e, epochs) / epochs)) / 2), or a function of the epoch, f(e) or f(e, lr) giving the rate (Keras's LearningRateScheduler). The rate stays at its last value after training; h.lr holds the rate of each epoch.",
             example: "train(net, adam(0.01), [x, y], epochs=30, callbacks=[lr_schedule(\"step\", every=10, factor=0.5)])") { a throws(MLPError) in
            func need(_ i: Int, _ what: String) throws(MLPError) -> Double {
                guard !a.isNil(i) else { throw a.error("lr_schedule(\"\(try a.string(0))\") needs \(a.paramName(i))= (\(what)).", at: i) }
                return try a.number(i)
            }
            func unused(_ used: [Int]) throws(MLPError) {
                for i in 1...4 where !used.contains(i) && !a.isNil(i) {
                    throw a.error("\(a.paramName(i))= is not an option of this schedule.", at: i)
                }
            }
            switch a[0] {
            case .function, .builtin:
                try unused([])
                return .object(CallbackValue(.function(a[0]), "lr_schedule(function)"))
            case .string(let s):
                let schedule: LearningRateSchedule
                switch s.s {
                case "step":
                    try unused([1, 2])
                    let every = try need(1, "epochs between steps"), factor = try need(2, "what each step multiplies the rate by")
                    guard every >= 1, every == every.rounded(), every < 1e9 else { throw a.error("every must be a positive integer, got \(formatNumber(every)).", at: 1) }
                    guard factor.isFinite, factor >= 0 else { throw a.error("factor must be a non-negative number, got \(formatNumber(factor)).", at: 2) }
                    schedule = .step(every: Int(every), factor: factor)
                case "exponential":
                    try unused([3])
                    let rate = try need(3, "the factor per epoch")
                    guard rate.isFinite, rate >= 0 else { throw a.error("rate must be a non-negative number, got \(formatNumber(rate)).", at: 3) }
                    schedule = .exponential(rate: rate)
                case "cosine":
                    try unused([4])
                    let epochs = try need(4, "the epochs of the decay")
                    guard epochs >= 1, epochs == epochs.rounded(), epochs < 1e9 else { throw a.error("epochs must be a positive integer, got \(formatNumber(epochs)).", at: 4) }
                    let minLR = try a.number(5)
                    guard minLR.isFinite, minLR >= 0 else { throw a.error("min_lr must be a non-negative number, got \(formatNumber(minLR)).", at: 5) }
                    schedule = .cosine(epochs: Int(epochs), minLR: minLR)
                default: throw a.error("unknown schedule \"\(s.s)\"; expected \"step\", \"exponential\", \"cosine\" or a function of the epoch.", at: 0)
                }
                return .object(CallbackValue(.schedule(schedule), "lr_schedule(\"\(s.s)\")"))
            default: throw a.typeError(0, "\"step\", \"exponential\", \"cosine\" or a function of the epoch")
            }
        }
    }

    /// The callbacks= argument of train, wired into the options' hooks; what to do after fit.
    static func callbacks(_ a: Args, _ i: Int, net: Layer, opt: ParameterUpdate, options: inout TrainOptions) throws(MLPError) -> TrainCallbacks {
        var out = TrainCallbacks()
        guard !a.isNil(i) else { return out }
        var items: [CallbackValue] = []
        let values: [Value]
        if case .list(let l) = a[i] { values = l.items } else { values = [a[i]] }
        for v in values {
            guard case .object(let c as CallbackValue) = v else {
                throw a.typeError(i, "a list of callbacks (early_stopping(...), checkpoint(path), lr_schedule(...))")
            }
            items.append(c)
        }
        var begins: [(Int) throws -> Void] = []
        var ends: [(Int, History) throws -> String?] = []
        let interp = a.interp, loc = a.callLoc
        final class RateLog { var rates: [Double] = [] }
        let log = RateLog()
        var scheduled = false
        for c in items {
            switch c.kind {
            case .early(let stopper):
                stopper.begin()
                ends.append { e, h in
                    let why = try stopper.entryEnd(net, e, h)
                    c.best = stopper.tracker.best.isFinite ? stopper.tracker.best : nil
                    c.bestEntry = stopper.tracker.bestEntry >= 0 ? stopper.tracker.bestEntry : nil
                    return why
                }
                out.ends.append { h in
                    if let e = stopper.end(net), h.stopped != nil { h.stopped! += "; the weights of \(h.per) \(e + 1) restored" }
                }
            case .checkpoint(let path, let monitor, let mode):
                guard let save = interp.builtins["save"] else { break }
                var tracker = BestTracker(monitor: monitor, mode: mode)
                c.best = nil; c.bestEntry = nil
                let model = Value.object(LayerValue(net))
                ends.append { e, h in
                    let value = try tracker.current(h, "checkpoint")
                    if tracker.improves(value, entry: e) {
                        _ = try interp.call(save, [model, .str(path)], at: loc)
                        c.best = value; c.bestEntry = e
                    }
                    return nil
                }
            case .schedule, .function:
                guard let o = opt as? Optimizer else {
                    throw a.error("lr_schedule needs an optimizer with a learning rate, got \(type(of: opt)).", at: i)
                }
                guard !scheduled else { throw a.error("give one lr_schedule, not several (each would set the rate).", at: i) }
                scheduled = true
                let lr0 = o.lr
                begins.append { e in
                    let rate: Double
                    if case .schedule(let s) = c.kind { rate = s.rate(epoch: e, initial: lr0) } else {
                        guard case .function(let f) = c.kind else { return }
                        var args: [Value] = [.number(Double(e))]
                        if case .function(let cl) = f, cl.parameterNames.count >= 2 { args.append(.number(o.lr)) }
                        let r = try TrainLib.callDuringTraining(interp, f, args, at: loc)
                        guard case .number(let x) = r, x.isFinite, x >= 0 else {
                            throw MLPError.runtime("lr_schedule: the schedule must return a non-negative learning rate, got \(describeForError(r)) for epoch \(e).", at: loc)
                        }
                        rate = x
                    }
                    o.lr = rate
                    log.rates.append(rate)
                }
            }
        }
        if scheduled {
            out.ends.append { h in
                h.metrics["lr"] = Array(log.rates.prefix(h.loss.count))
                h.metricNames.append("lr")
            }
        }
        if !begins.isEmpty { options.entryBegin = { e in for b in begins { try b(e) } } }
        if !ends.isEmpty {
            options.entryEnd = { e, h in
                var stop: String? = nil
                for f in ends { if let why = try f(e, h), stop == nil { stop = why } }
                return stop
            }
        }
        return out
    }
}
