import MLPTensor

/// RMSprop (lecture: divide by the RMS of the last few gradients):
///
///     V ← ρ V + (1 − ρ) g²,   θ ← θ − η g / √(V + ε)
///
/// element-wise, V = 0 at the start; ρ is the lecture's γ. Keras's defaults
/// and formula (ε inside the root, as in the lecture): lr 0.001, rho 0.9, eps 1e-7.
public final class RMSprop: DeclaredOptimizer {
    public var lr: Double
    public var rho: Double
    public var eps: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public static let name = "rmsprop"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.001), ("gamma", 0.9), ("eps", 1e-7)]
    public static let doc = "RMSprop: V = gamma V + (1 - gamma) g^2; w -= lr g / sqrt(V + eps)."

    public init(lr: Double = RMSprop.defaultValue("lr"), rho: Double = RMSprop.defaultValue("gamma"), eps: Double = RMSprop.defaultValue("eps"), clipnorm: Double? = nil) {
        self.lr = lr
        self.rho = rho
        self.eps = eps
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(lr: values[0], rho: values[1], eps: values[2], clipnorm: clipnorm) }

    public var config: OptimizerConfig {
        OptimizerConfig(Self.name, [("lr", lr), ("rho", rho), ("eps", eps), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, rho = self.rho, eps = self.eps
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
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

extension RMSprop: SingleUpdate {
    /// The update in single precision (a float32 layer trained natively): float V and
    /// weights, the constants (lr, rho, 1 - rho, eps) computed in float64 and rounded to
    /// float once, eight lanes at a time, large parameters split over the kernel threads
    /// (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let lr = Float(self.lr), rho = Float(self.rho), keep = Float(1 - self.rho), eps = Float(self.eps)
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, slot in
            let v = slot.a
            forEachPiece(n) { lo, hi in
                eachLane8(lo, hi) { j, c in
                    let gj = scale * lanes8(g + j, c)
                    let vj = rho * lanes8(v + j, c) + keep * gj * gj
                    setLanes8(v + j, vj, c)
                    setLanes8(p + j, lanes8(p + j, c) - lr * gj / vectorRoot(vj + eps), c)
                }
            }
        }
    }
}
