import MLPTensor

/// Plain gradient descent, θ ← θ − η g (Keras `SGD()`: lr 0.01).
/// The course's policy-gradient code uses it with `clipnorm`.
public final class SGD: Optimizer {
    public var lr: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 0)

    public init(lr: Double = 0.01, clipnorm: Double? = nil) {
        self.lr = lr
        self.clipnorm = clipnorm
    }

    public var config: OptimizerConfig { OptimizerConfig("sgd", [("lr", lr), ("clipnorm", clipnorm)]) }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr
        try state.apply("sgd", &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, _ in
            let a = lr * scale
            for j in 0..<n { p[j] -= a * g[j] }
        }
    }
}
