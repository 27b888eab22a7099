// Optimizers as language values: one builtin per type of MLPLearn's
// `Optimizers.all`, which declares its name, hyper-parameters and doc. A bare
// name (`adam`) means the defaults.
import MLPLang
import MLPTensor
import MLPLearn

final class OptimizerValue: MLPObject {
    let optimizer: Optimizer
    init(_ optimizer: Optimizer) { self.optimizer = optimizer }
    override var typeName: String { "optimizer" }
    override func description(_ interp: Interpreter) -> String { optimizer.config.description }
    override var fieldNames: [String] { ["lr", "iterations", "step"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "lr": return .number(optimizer.lr)
        case "iterations": return .number(Double(optimizer.iterations))
        case "step":
            // opt.step(w, g): w after one update from gradient g (a tensor, a list or a dict of
            // them, as grad returns). The state (moments) is kept per parameter value and handed
            // on to the value returned, so `w = opt.step(w, g)` in a loop continues it and a new
            // tensor starts afresh. Plain numbers have no identity: theirs is kept by position.
            let opt = optimizer
            return boundMethod("step", [p("params"), p("grads")]) { a throws(MLPError) in
                func one(_ w: Value, _ g: Value, _ k: Int, _ what: String) throws(MLPError) -> Value {
                    var t = try TensorValue.fromNested(w)
                    let gt = try TensorValue.fromNested(g)
                    guard gt.shape == t.shape else {
                        throw a.error("the gradient\(what) has shape \(Tensor.formatShape(gt.shape)), the parameter \(Tensor.formatShape(t.shape)).", at: 1)
                    }
                    let key: OptimizerKey
                    if case .object(let o) = w { key = .object(o) } else { key = .index(k) }
                    do { try opt.update(&t, gt, key: key) } catch { throw a.nativeError(error) }
                    if case .number = w { return .number(t.scalars[0]) }
                    let out = TensorValue(t)
                    if case .object = w { opt.rekey(key, .object(out)) }
                    return .object(out)
                }
                switch a[0] {
                case .list(let ws):
                    guard case .list(let gs) = a[1], gs.items.count == ws.items.count else {
                        throw a.error("expected a list of \(ws.items.count) gradients for the list of parameters, got \(describeForError(a[1])).", at: 1)
                    }
                    var out: [Value] = []
                    for (k, (w, g)) in zip(ws.items, gs.items).enumerated() { out.append(try one(w, g, k, " of item \(k)")) }
                    return .list(out)
                case .dict(let ws):
                    guard case .dict(let gs) = a[1] else {
                        throw a.error("expected a dict of gradients with the parameters' keys (as grad returns for a dict), got \(describeForError(a[1])).", at: 1)
                    }
                    let out = DictObj()
                    for (k, (key, w)) in zip(ws.keys, ws.values).enumerated() {
                        let shown: String
                        if case .string(let s) = key { shown = "\"\(s)\"" } else { shown = describeForError(key.value) }
                        guard let g = gs[key] else {
                            throw a.error("the gradients have no entry \(shown) for the parameter of that key.", at: 1)
                        }
                        out[key] = try one(w, g, k, " of \(shown)")
                    }
                    return .dict(out)
                default:
                    return try one(a[0], a[1], 0, "")
                }
            }
        default: return nil
        }
    }

    /// `opt.lr = 1e-4`: the learning rate for the next steps (moments are kept).
    override func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        guard name == "lr" else { return false }
        guard case .number(let x) = value, x.isFinite, x >= 0 else {
            throw MLPError.runtime("lr: the learning rate must be a non-negative number, got \(describeForError(value)).")
        }
        optimizer.lr = x
        return true
    }
}

enum OptimLib {

    /// One builtin per declared optimizer: its hyper-parameters with their defaults, then clipnorm.
    static func register(_ r: inout Registry) {
        for type in Optimizers.all {
            let name = type.name, hyper = type.hyperparameters
            let params = hyper.map { Param($0.name, .number($0.value)) } + [Param("clipnorm", DefaultValue.none, keywordOnly: true)]
            let example = name == "adam" ? "opt = adam(0.01); opt.lr   # 0.01" : "opt = \(name)(\(hyper.map { "\($0.value)" }.joined(separator: ", ")))"
            r.fn(name, params, doc: type.doc + " clipnorm= scales each gradient tensor down to that norm first. A bare `\(name)` (or the string \"\(name)\" in train) means these defaults; the optimizer keeps its state (moments) per weight between train calls. opt.lr reads and sets the learning rate; opt.step(w, g) updates w (a tensor, or a list or dict of them as grad returns) and returns it, its state kept per parameter.",
                 example: example) { a throws(MLPError) in
                var values: [Double] = []
                for (i, h) in hyper.enumerated() {
                    let x = try a.number(i)
                    guard x.isFinite, x >= 0 else { throw a.error("'\(h.name)' must be a non-negative number, got \(formatNumber(x)).", at: i) }
                    if h.name.hasPrefix("beta") || h.name == "gamma", x >= 1 {
                        throw a.error("'\(h.name)' must be below 1, got \(formatNumber(x)).", at: i)
                    }
                    values.append(x)
                }
                let k = hyper.count
                let clip = a.isNil(k) ? nil : try a.number(k)
                if let clip, !(clip > 0) { throw a.error("clipnorm must be positive, got \(formatNumber(clip)).", at: k) }
                return .object(OptimizerValue(type.init(values: values, clipnorm: clip)))
            }
        }
    }
}
