import MLPTensor

/// Plain gradient descent, θ ← θ − η g (Keras `SGD()`: lr 0.01).
/// The course's policy-gradient code uses it with `clipnorm`.
public final class SGD: DeclaredOptimizer {
    public var lr: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 0)

    public static let name = "sgd"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.01)]
    public static let doc = "Stochastic gradient descent: w -= lr * g."

    public init(lr: Double = SGD.defaultValue("lr"), clipnorm: Double? = nil) {
        self.lr = lr
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(lr: values[0], clipnorm: clipnorm) }

    public var config: OptimizerConfig { OptimizerConfig(Self.name, [("lr", lr), ("clipnorm", clipnorm)]) }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, _ in
            let a = lr * scale
            for j in 0..<n { p[j] -= a * g[j] }
        }
    }
}

extension SGD: SingleUpdate {
    /// w -= lr g in single precision (a float32 layer trained natively), eight lanes at a
    /// time, large parameters split over the kernel threads (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let lr = self.lr
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, _ in
            let a = Float(lr) * scale
            forEachPiece(n) { lo, hi in eachLane8(lo, hi) { j, c in setLanes8(p + j, lanes8(p + j, c) - a * lanes8(g + j, c), c) } }
        }
    }
}
