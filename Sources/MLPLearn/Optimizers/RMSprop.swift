import MLPTensor

/// RMSprop (lecture: divide by the RMS of the last few gradients):
///
///     V ← ρ V + (1 − ρ) g²,   θ ← θ − η g / √(V + ε)
///
/// element-wise, V = 0 at the start; ρ is the lecture's γ. Keras's defaults
/// and formula (ε inside the root, as in the lecture): lr 0.001, rho 0.9, eps 1e-7.
public final class RMSprop: Optimizer {
    public var lr: Double
    public var rho: Double
    public var eps: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public init(lr: Double = 0.001, rho: Double = 0.9, eps: Double = 1e-7, clipnorm: Double? = nil) {
        self.lr = lr
        self.rho = rho
        self.eps = eps
        self.clipnorm = clipnorm
    }

    public var config: OptimizerConfig {
        OptimizerConfig("rmsprop", [("lr", lr), ("rho", rho), ("eps", eps), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, rho = self.rho, eps = self.eps
        try state.apply("rmsprop", &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let v = slot.a
            for j in 0..<n {
                let gj = scale * g[j]
                let vj = rho * v[j] + (1 - rho) * gj * gj
                v[j] = vj
                p[j] -= lr * gj / (vj + eps).squareRoot()
            }
        }
    }
}
