import MLPTensor

/// Adagrad (lecture: divide by the RMS of all previous gradients):
///
///     G ← G + g²,   θ ← θ − η g / √(G + ε)
///
/// element-wise. The lecture's sum starts at 0; Keras's starts at
/// `initialAccumulator` = 0.1, which keeps the first step from being ±η
/// whatever |g| (with G = g² it is −η g/|g|). We take Keras's
/// defaults (lr 0.001, eps 1e-7, initial_accumulator 0.1) so that course
/// scripts written against Keras behave the same; pass
/// `initial_accumulator=0` for the lecture's formula exactly. ε sits inside the
/// root as in the lecture; Keras versions differ (TF 2's Keras adds it outside,
/// η g / (√G + ε)); from G ≥ 0.1 with ε = 1e-7 the two forms differ by under
/// 4e-7 relative.
public final class Adagrad: DeclaredOptimizer {
    public var lr: Double
    public var eps: Double
    /// The accumulator's starting value (read when the state is made).
    public let initialAccumulator: Double
    public var clipnorm: Double?
    private var state: OptimizerState

    public static let name = "adagrad"
    public static let hyperparameters: [(name: String, value: Double)] = [("lr", 0.001), ("eps", 1e-7), ("initial_accumulator", 0.1)]
    public static let doc = "Adagrad: G += g^2; w -= lr g / sqrt(G + eps), G starting at initial_accumulator (0.1, as Keras's; the lecture's sum starts at 0: adagrad(lr, 1e-7, 0))."

    public init(lr: Double = Adagrad.defaultValue("lr"), eps: Double = Adagrad.defaultValue("eps"), initialAccumulator: Double = Adagrad.defaultValue("initial_accumulator"), clipnorm: Double? = nil) {
        self.lr = lr
        self.eps = eps
        self.initialAccumulator = initialAccumulator
        self.clipnorm = clipnorm
        state = OptimizerState(buffers: 1, initial: initialAccumulator)
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(lr: values[0], eps: values[1], initialAccumulator: values[2], clipnorm: clipnorm) }

    public var config: OptimizerConfig {
        OptimizerConfig(Self.name, [("lr", lr), ("eps", eps), ("initial_accumulator", initialAccumulator), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let lr = self.lr, eps = self.eps
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let acc = slot.a
            for j in 0..<n {
                let gj = scale * g[j]
                let a = acc[j] + gj * gj
                acc[j] = a
                p[j] -= lr * gj / (a + eps).squareRoot()
            }
        }
    }
}

extension Adagrad: SingleUpdate {
    /// The update in single precision (a float32 layer trained natively): float G (from
    /// initial_accumulator rounded to float) and weights, lr and eps rounded to float
    /// once, eight lanes at a time, large parameters split over the kernel threads
    /// (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let lr = Float(self.lr), eps = Float(self.eps)
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, slot in
            let acc = slot.a
            forEachPiece(n) { lo, hi in
                eachLane8(lo, hi) { j, c in
                    let gj = scale * lanes8(g + j, c)
                    let a = lanes8(acc + j, c) + gj * gj
                    setLanes8(acc + j, a, c)
                    setLanes8(p + j, lanes8(p + j, c) - lr * gj / vectorRoot(a + eps), c)
                }
            }
        }
    }
}
