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
    override var fieldNames: [String] { ["iterations", "step"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "iterations": return .number(Double(optimizer.iterations))
        case "step":
            // opt.step(w, g): w after one update from gradient g (a tensor, or lists of them);
            // the state (moments) is kept per position, so pass the same parameters each time
            let opt = optimizer
            return boundMethod("step", [p("params"), p("grads")]) { a throws(MLPError) in
                func one(_ w: Value, _ g: Value, _ k: Int) throws(MLPError) -> Value {
                    var t = try TensorValue.fromNested(w)
                    let wasNumber: Bool
                    if case .number = w { wasNumber = true } else { wasNumber = false }
                    let gt = try TensorValue.fromNested(g)
                    guard gt.shape == t.shape else {
                        throw a.error("the gradient has shape \(Tensor.formatShape(gt.shape)), the parameter \(Tensor.formatShape(t.shape)).", at: 1)
                    }
                    do { try opt.update(&t, gt, key: .index(k)) } catch { throw a.nativeError(error) }
                    return wasNumber ? .number(t.scalars[0]) : .object(TensorValue(t))
                }
                if case .list(let ws) = a[0] {
                    guard case .list(let gs) = a[1], gs.items.count == ws.items.count else {
                        throw a.error("expected a list of \(ws.items.count) gradients for the list of parameters.", at: 1)
                    }
                    var out: [Value] = []
                    for (k, (w, g)) in zip(ws.items, gs.items).enumerated() { out.append(try one(w, g, k)) }
                    return .list(out)
                }
                return try one(a[0], a[1], 0)
            }
        default: return nil
        }
    }
}

enum OptimLib {

    /// One builtin per declared optimizer: its hyper-parameters with their defaults, then clipnorm.
    static func register(_ r: inout Registry) {
        for type in Optimizers.all {
            let name = type.name, hyper = type.hyperparameters
            let params = hyper.map { Param($0.name, .number($0.value)) } + [Param("clipnorm", DefaultValue.none, keywordOnly: true)]
            let example = name == "adam" ? "train(net, adam(0.01), [x, y])" : "opt = \(name)(\(hyper.map { "\($0.value)" }.joined(separator: ", ")))"
            r.fn(name, params, doc: type.doc + " clipnorm= scales each gradient tensor down to that norm first. A bare `\(name)` means these defaults; the optimizer keeps its state (moments) per weight between train calls.",
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
