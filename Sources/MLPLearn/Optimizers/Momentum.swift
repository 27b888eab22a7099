import MLPTensor

/// Gradient descent with momentum (Keras `SGD(momentum=beta)`):
///
///     v ← β v − η g,   θ ← θ + v
///
/// with v = 0 at the start. Defaults lr 0.01, beta 0.9.
public final class Momentum: Optimizer {
    public var lr: Double
    public var beta: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public init(lr: Double = 0.01, beta: Double = 0.9, clipnorm: Double? = nil) {
        self.lr = lr
        self.beta = beta
        self.clipnorm = clipnorm
    }

    public var config: OptimizerConfig { OptimizerConfig("momentum", [("lr", lr), ("beta", beta), ("clipnorm", clipnorm)]) }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, beta = self.beta
        try state.apply("momentum", &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
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
