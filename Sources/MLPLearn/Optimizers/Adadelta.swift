import MLPTensor

/// Adadelta (Zeiler 2012, Algorithm 1; the lecture's slide garbles the step),
/// with Keras's learning rate η multiplying the step:
///
///     E[g²]  ← ρ E[g²] + (1 − ρ) g²
///     Δθ     = −√(E[Δθ²] + ε) / √(E[g²] + ε) · g
///     E[Δθ²] ← ρ E[Δθ²] + (1 − ρ) Δθ²
///     θ      ← θ + η Δθ
///
/// element-wise, both averages 0 at the start. Zeiler's method has no
/// learning rate (η = 1: the ratio of RMS values "has the right dimensions");
/// defaults are his, rho 0.95, eps 1e-6, lr 1. Keras 3's Adadelta is exactly
/// this update with lr 0.001, eps 1e-7 (`adadelta(0.95, 1e-7, 0.001)`), a much
/// slower method; its E[Δθ²] also accumulates the step before η, as here.
public final class Adadelta: DeclaredOptimizer {
    public var rho: Double
    public var eps: Double
    public var lr: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 2)

    public static let name = "adadelta"
    public static let hyperparameters: [(name: String, value: Double)] = [("gamma", 0.95), ("eps", 1e-6), ("lr", 1)]
    public static let doc = "Adadelta (Zeiler 2012): E[g^2] = gamma E[g^2] + (1 - gamma) g^2; dw = -sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps) g; E[dw^2] = gamma E[dw^2] + (1 - gamma) dw^2; w += lr dw. Zeiler's has no learning rate (lr 1, the default); Keras's Adadelta() is adadelta(0.95, 1e-7, 0.001)."

    public init(rho: Double = Adadelta.defaultValue("gamma"), eps: Double = Adadelta.defaultValue("eps"), lr: Double = Adadelta.defaultValue("lr"), clipnorm: Double? = nil) {
        self.rho = rho
        self.eps = eps
        self.lr = lr
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(rho: values[0], eps: values[1], lr: values[2], clipnorm: clipnorm) }

    public var config: OptimizerConfig {
        OptimizerConfig(Self.name, [("rho", rho), ("eps", eps), ("lr", lr), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }
    public func rekey(_ from: OptimizerKey, _ to: OptimizerKey) { state.rekey(from, to) }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let rho = self.rho, eps = self.eps, lr = self.lr
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let eg2 = slot.a, edx2 = slot.b
            for j in 0..<n {
                let gj = scale * g[j]
                let e = rho * eg2[j] + (1 - rho) * gj * gj
                eg2[j] = e
                let dx = -((edx2[j] + eps) / (e + eps)).squareRoot() * gj
                edx2[j] = rho * edx2[j] + (1 - rho) * dx * dx
                p[j] += lr * dx
            }
        }
    }
}

extension Adadelta: SingleUpdate {
    /// The update in single precision (a float32 layer trained natively): float E[g^2],
    /// E[dw^2] and weights, the constants (rho, 1 - rho, eps, lr) computed in float64 and
    /// rounded to float once, eight lanes at a time, large parameters split over the
    /// kernel threads (SingleLanes.swift).
    public func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws {
        let rho = Float(self.rho), keep = Float(1 - self.rho), eps = Float(self.eps), lr = Float(self.lr)
        try state.applySingle(Self.name, param, grad, count, .object(param), clipnorm: clipnorm) { p, g, n, scale, slot in
            let eg2 = slot.a, edx2 = slot.b
            forEachPiece(n) { lo, hi in
                eachLane8(lo, hi) { j, c in
                    let gj = scale * lanes8(g + j, c)
                    let e = rho * lanes8(eg2 + j, c) + keep * gj * gj
                    setLanes8(eg2 + j, e, c)
                    let d2 = lanes8(edx2 + j, c)
                    let dx = -vectorRoot((d2 + eps) / (e + eps)) * gj
                    setLanes8(edx2 + j, rho * d2 + keep * dx * dx, c)
                    setLanes8(p + j, lanes8(p + j, c) + lr * dx, c)
                }
            }
        }
    }
}
