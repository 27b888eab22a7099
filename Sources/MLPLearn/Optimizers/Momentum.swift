import MLPTensor

/// Gradient descent with momentum (Keras `SGD(momentum=beta)`):
///
///     v ← β v − η g,   θ ← θ + v
///
/// with v = 0 at the start. Defaults lr 0.01, beta 0.9.
public final class Momentum: DeclaredOptimizer {
    public var lr: Double
    public var beta: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public static let name = "momentum"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.01), ("beta", 0.9)]
    public static let doc = "Gradient descent with momentum (Keras's SGD(momentum=beta)): v = beta v - lr g; w += v."

    public init(lr: Double = Momentum.defaultValue("lr"), beta: Double = Momentum.defaultValue("beta"), clipnorm: Double? = nil) {
        self.lr = lr
        self.beta = beta
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(lr: values[0], beta: values[1], clipnorm: clipnorm) }

    public var config: OptimizerConfig { OptimizerConfig(Self.name, [("lr", lr), ("beta", beta), ("clipnorm", clipnorm)]) }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, beta = self.beta
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let v = slot.a
            let a = lr * scale
            for j in 0..<n {
                let vj = beta * v[j] - a * g[j]
                v[j] = vj
                p[j] += vj
            }
        }
    }
}
