import MLPTensor

/// Nesterov accelerated gradient in Keras's form (`SGD(momentum=beta,
/// nesterov=True)`), which evaluates the gradient at the current θ and
/// applies the look-ahead to the step:
///
///     v ← β v − η g,   θ ← θ + β v − η g
///
/// with v = 0 at the start. Defaults lr 0.01, beta 0.9.
public final class Nesterov: Optimizer {
    public var lr: Double
    public var beta: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public init(lr: Double = 0.01, beta: Double = 0.9, clipnorm: Double? = nil) {
        self.lr = lr
        self.beta = beta
        self.clipnorm = clipnorm
    }

    public var config: OptimizerConfig { OptimizerConfig("nesterov", [("lr", lr), ("beta", beta), ("clipnorm", clipnorm)]) }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, beta = self.beta
        try state.apply("nesterov", &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let v = slot.a
            let a = lr * scale
            for j in 0..<n {
                let ag = a * g[j]
                let vj = beta * v[j] - ag
                v[j] = vj
                p[j] += beta * vj - ag
            }
        }
    }
}
