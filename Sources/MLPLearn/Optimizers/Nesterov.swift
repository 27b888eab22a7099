import MLPTensor

/// Nesterov accelerated gradient in Keras's form (`SGD(momentum=beta,
/// nesterov=True)`), which evaluates the gradient at the current θ and
/// applies the look-ahead to the step:
///
///     v ← β v − η g,   θ ← θ + β v − η g
///
/// with v = 0 at the start. Defaults lr 0.01, beta 0.9.
public final class Nesterov: DeclaredOptimizer {
    public var lr: Double
    public var beta: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 1)

    public static let name = "nesterov"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.01), ("beta", 0.9)]
    public static let doc = "Nesterov momentum (Keras's form): v = beta v - lr g; w += beta v - lr g."

    public init(lr: Double = Nesterov.defaultValue("lr"), beta: Double = Nesterov.defaultValue("beta"), clipnorm: Double? = nil) {
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
                let ag = a * g[j]
                let vj = beta * v[j] - ag
                v[j] = vj
                p[j] += beta * vj - ag
            }
        }
    }
}

extension Nesterov: SingleUpdate {
    /// The update in single precision (a float32 layer trained natively): float v and
    /// weights, lr and beta rounded to float once, eight lanes at a time, large
    /// parameters split over the kernel threads (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let lr = Float(self.lr), beta = Float(self.beta)
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, slot in
            let v = slot.a
            let a = lr * scale
            forEachPiece(n) { lo, hi in
                eachLane8(lo, hi) { j, c in
                    let ag = a * lanes8(g + j, c)
                    let vj = beta * lanes8(v + j, c) - ag
                    setLanes8(v + j, vj, c)
                    setLanes8(p + j, lanes8(p + j, c) + (beta * vj - ag), c)
                }
            }
        }
    }
}
