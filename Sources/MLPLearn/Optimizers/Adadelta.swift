import MLPTensor

/// Adadelta (Zeiler 2012, Algorithm 1; the lecture's slide garbles the step):
///
///     E[g²]  ← ρ E[g²] + (1 − ρ) g²
///     Δθ     = −√(E[Δθ²] + ε) / √(E[g²] + ε) · g
///     E[Δθ²] ← ρ E[Δθ²] + (1 − ρ) Δθ²
///     θ      ← θ + Δθ
///
/// element-wise, both averages 0 at the start. No learning rate: the ratio of
/// RMS values "has the right dimensions". ρ is the lecture's γ; defaults are
/// Zeiler's, rho 0.95 and eps 1e-6 (Keras 3 multiplies by lr = 0.001 and uses
/// eps 1e-7, which makes it a different, much slower method).
public final class Adadelta: DeclaredOptimizer {
    public var rho: Double
    public var eps: Double
    public var clipnorm: Double?
    private var state = OptimizerState(buffers: 2)

    public static let name = "adadelta"
    public static let hyperparameters: [(name: String, value: Double)] = [("gamma", 0.95), ("eps", 1e-6)]
    public static let doc = "Adadelta (Zeiler 2012; no learning rate): E[g^2] = gamma E[g^2] + (1 - gamma) g^2; dw = -sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps) g; E[dw^2] = gamma E[dw^2] + (1 - gamma) dw^2; w += dw."

    public init(rho: Double = Adadelta.defaultValue("gamma"), eps: Double = Adadelta.defaultValue("eps"), clipnorm: Double? = nil) {
        self.rho = rho
        self.eps = eps
        self.clipnorm = clipnorm
    }
    public convenience init(values: [Double], clipnorm: Double?) { self.init(rho: values[0], eps: values[1], clipnorm: clipnorm) }

    public var config: OptimizerConfig {
        OptimizerConfig(Self.name, [("rho", rho), ("eps", eps), ("clipnorm", clipnorm)])
    }
    public var iterations: Int { state.iterations }
    public func reset() { state.reset() }

    public func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws {
        let rho = self.rho, eps = self.eps
        try state.apply(Self.name, &param, grad, key, clipnorm: clipnorm) { p, g, n, scale, slot in
            let eg2 = slot.a, edx2 = slot.b
            for j in 0..<n {
                let gj = scale * g[j]
                let e = rho * eg2[j] + (1 - rho) * gj * gj
                eg2[j] = e
                let dx = -((edx2[j] + eps) / (e + eps)).squareRoot() * gj
                edx2[j] = rho * edx2[j] + (1 - rho) * dx * dx
                p[j] += dx
            }
        }
    }
}
