// Optimizers as language values (MLPLearn/Optimizers). A bare name (`adam`)
// means the defaults. The formulas are in each doc (and each Swift file).
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
    /// One optimizer builtin: hyper-parameters with Keras's defaults (the lecture's names), then clipnorm.
    struct Spec: Sendable {
        let name: String
        let params: [(String, Double)]
        let doc: String
        let make: @Sendable ([Double], Double?) -> Optimizer
    }

    static let specs: [Spec] = [
        Spec(name: "sgd", params: [("lr", 0.01)],
             doc: "Stochastic gradient descent: w -= lr * g.") { v, c in SGD(lr: v[0], clipnorm: c) },
        Spec(name: "momentum", params: [("lr", 0.01), ("beta", 0.9)],
             doc: "Gradient descent with momentum (Keras's SGD(momentum=beta)): v = beta v - lr g; w += v.") { v, c in
            Momentum(lr: v[0], beta: v[1], clipnorm: c) },
        Spec(name: "nesterov", params: [("lr", 0.01), ("beta", 0.9)],
             doc: "Nesterov momentum (Keras's form): v = beta v - lr g; w += beta v - lr g.") { v, c in
            Nesterov(lr: v[0], beta: v[1], clipnorm: c) },
        Spec(name: "adagrad", params: [("lr", 0.001), ("eps", 1e-7)],
             doc: "Adagrad: G += g^2; w -= lr g / sqrt(G + eps), G starting at 0.1 as Keras's (the lecture's sum starts at 0).") { v, c in
            Adagrad(lr: v[0], eps: v[1], clipnorm: c) },
        Spec(name: "rmsprop", params: [("lr", 0.001), ("gamma", 0.9), ("eps", 1e-7)],
             doc: "RMSprop: V = gamma V + (1 - gamma) g^2; w -= lr g / sqrt(V + eps).") { v, c in
            RMSprop(lr: v[0], rho: v[1], eps: v[2], clipnorm: c) },
        Spec(name: "adadelta", params: [("gamma", 0.95), ("eps", 1e-6)],
             doc: "Adadelta (Zeiler 2012; no learning rate): E[g^2] = gamma E[g^2] + (1 - gamma) g^2; dw = -sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps) g; E[dw^2] = gamma E[dw^2] + (1 - gamma) dw^2; w += dw.") { v, c in
            Adadelta(rho: v[0], eps: v[1], clipnorm: c) },
        Spec(name: "adam", params: [("lr", 0.001), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-7)],
             doc: "Adam with bias correction (the lecture's; eps where Keras and Kingma & Ba put it): m = beta1 m + (1 - beta1) g; V = beta2 V + (1 - beta2) g^2; w -= lr m^ / (sqrt(V^) + eps), with m^ = m / (1 - beta1^t), V^ = V / (1 - beta2^t).") { v, c in
            Adam(lr: v[0], beta1: v[1], beta2: v[2], eps: v[3], clipnorm: c) },
    ]

    static let names = specs.map(\.name)

    static func register(_ r: inout Registry) {
        for spec in specs {
            let params = spec.params.map { Param($0.0, .number($0.1)) } + [Param("clipnorm", DefaultValue.none, keywordOnly: true)]
            let example = spec.name == "adam" ? "train(net, adam(0.01), [x, y])" : "opt = \(spec.name)(\(spec.params.map { "\($0.1)" }.joined(separator: ", ")))"
            r.fn(spec.name, params, doc: spec.doc + " clipnorm= scales each gradient tensor down to that norm first. A bare `\(spec.name)` means these defaults; the optimizer keeps its state (moments) per weight between train calls.",
                 example: example) { a throws(MLPError) in
                var values: [Double] = []
                for i in spec.params.indices {
                    let x = try a.number(i)
                    guard x.isFinite, x >= 0 else { throw a.error("'\(spec.params[i].0)' must be a non-negative number, got \(formatNumber(x)).", at: i) }
                    if spec.params[i].0.hasPrefix("beta") || spec.params[i].0 == "gamma", x >= 1 {
                        throw a.error("'\(spec.params[i].0)' must be below 1, got \(formatNumber(x)).", at: i)
                    }
                    values.append(x)
                }
                let k = spec.params.count
                let clip = a.isNil(k) ? nil : try a.number(k)
                if let clip, !(clip > 0) { throw a.error("clipnorm must be positive, got \(formatNumber(clip)).", at: k) }
                return .object(OptimizerValue(spec.make(values, clip)))
            }
        }
    }
}
