// Weight initializers with Keras's names and formulas, drawing from the generator of
// the forward pass that builds the layer (the session's, so seed() repeats them).
import MLPTensor

public enum Initializer: Equatable, Sendable {
    case zeros, ones
    case glorotUniform, glorotNormal, heUniform, heNormal, lecunNormal
    case uniform(Double, Double)
    case normal(std: Double)
    case orthogonal

    public init?(name: String) {
        switch name {
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "glorot_uniform": self = .glorotUniform
        case "glorot_normal": self = .glorotNormal
        case "he_uniform": self = .heUniform
        case "he_normal": self = .heNormal
        case "lecun_normal": self = .lecunNormal
        case "orthogonal": self = .orthogonal
        default: return nil
        }
    }

    public static let names = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal", "orthogonal", "zeros", "ones"]

    /// A tensor of `shape` whose fan-in and fan-out are `fanIn` and `fanOut` (Keras: for a
    /// kernel [.., in, out] the receptive field times in and times out).
    public func make(_ shape: [Int], fanIn: Int, fanOut: Int, using g: RandomGenerator) throws -> Tensor {
        let fi = Double(Swift.max(fanIn, 1)), fo = Double(Swift.max(fanOut, 1))
        switch self {
        case .zeros: return try Tensor.zeros(shape)
        case .ones: return try Tensor.ones(shape)
        case .glorotUniform: return try Initializer.uniform(shape, (6 / (fi + fo)).squareRoot(), g)
        case .heUniform: return try Initializer.uniform(shape, (6 / fi).squareRoot(), g)
        case .glorotNormal: return try Initializer.truncatedNormal(shape, (2 / (fi + fo)).squareRoot(), g)
        case .heNormal: return try Initializer.truncatedNormal(shape, (2 / fi).squareRoot(), g)
        case .lecunNormal: return try Initializer.truncatedNormal(shape, (1 / fi).squareRoot(), g)
        case .uniform(let lo, let hi):
            return try Tensor.binary(.add, try Tensor.binary(.mul, try Tensor.rand(shape, using: &g.state), hi - lo), lo)
        case .normal(let std): return try Tensor.binary(.mul, try Tensor.randn(shape, using: &g.state), std)
        case .orthogonal: return try Initializer.orthogonal(shape, g)
        }
    }

    /// U(-limit, limit).
    static func uniform(_ shape: [Int], _ limit: Double, _ g: RandomGenerator) throws -> Tensor {
        try Tensor.binary(.sub, try Tensor.binary(.mul, try Tensor.rand(shape, using: &g.state), 2 * limit), limit)
    }

    /// Normal with standard deviation `std` after truncation at two standard deviations
    /// (Keras divides by 0.87962566103423978, the std of a unit normal truncated at ±2).
    static func truncatedNormal(_ shape: [Int], _ std: Double, _ g: RandomGenerator) throws -> Tensor {
        let s = std / 0.87962566103423978
        var t = try Tensor.zeros(shape)
        try t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                var z = g.state.normal()
                while Swift.abs(z) > 2 { z = g.state.normal() }
                p[i] = z * s
            }
        }
        return t
    }

    /// Rows or columns orthonormal (Keras's orthogonal: QR of a normal matrix, signs fixed by R's diagonal).
    static func orthogonal(_ shape: [Int], _ g: RandomGenerator) throws -> Tensor {
        let cols = shape.last ?? 1, rows = shape.dropLast().reduce(1, *)
        let n = Swift.max(rows, cols), m = Swift.min(rows, cols)
        let a = try Tensor.randn([n, m], using: &g.state)
        // Gram-Schmidt on the columns of a (n x m, n >= m) gives the Q of a QR with positive diag(R)
        let ap = a.scalars
        var qs = [Double](repeating: 0, count: n * m)
        for j in 0..<m {
            var v = (0..<n).map { ap[$0 * m + j] }
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += qs[i * m + k] * v[i] }
                for i in 0..<n { v[i] -= dot * qs[i * m + k] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<n { qs[i * m + j] = v[i] / norm }
        }
        let q = try Tensor(qs, shape: [n, m])
        return try (rows >= cols ? q : q.transposed()).reshaped(shape)
    }
}
