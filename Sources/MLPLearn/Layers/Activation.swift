// Activation functions (Keras's names), as functions of a variable and as layers.
import MLPTensor
import MLPAutograd

public enum Activation: Equatable, Sendable {
    case linear, relu, sigmoid, tanh, softmax, softplus
    case elu(alpha: Double)
    case leakyRelu(slope: Double)

    /// Keras's names; `elu` and `leaky_relu` with Keras 3's default coefficients (1 and 0.2).
    public init?(name: String) {
        switch name {
        case "linear": self = .linear
        case "relu": self = .relu
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "softmax": self = .softmax
        case "softplus": self = .softplus
        case "elu": self = .elu(alpha: 1)
        case "leaky_relu": self = .leakyRelu(slope: 0.2)
        default: return nil
        }
    }

    public static let names = ["linear", "relu", "sigmoid", "tanh", "softmax", "softplus", "elu", "leaky_relu"]

    public var name: String {
        switch self {
        case .linear: "linear"
        case .relu: "relu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case .softplus: "softplus"
        case .elu: "elu"
        case .leakyRelu: "leaky_relu"
        }
    }

    public func apply(_ x: Variable) throws -> Variable {
        switch self {
        case .linear: return x
        case .relu: return try x.unary(.relu)
        case .sigmoid: return try x.unary(.sigmoid)
        case .tanh: return try x.unary(.tanh)
        case .softmax: return try x.softmax(axis: -1)
        case .softplus:
            // log(1 + e^x) computed without overflow; its derivative is sigmoid(x)
            let v = x.value
            let out = try v.map { z in Swift.max(z, 0) + Foundation_log1p(exp_(-Swift.abs(z))) }
            return try Variable.make("softplus", out, [x]) { g in [try g * v.map(.sigmoid)] }
        case .elu(let alpha):
            let v = x.value
            let out = try v.map { z in z > 0 ? z : alpha * (exp_(z) - 1) }
            return try Variable.make("elu", out, [x]) { g in
                [try g * Tensor.where(Tensor.binary(.gt, v, 0), Tensor(scalar: 1), Tensor.binary(.add, out, alpha))]
            }
        case .leakyRelu(let slope):
            let v = x.value
            let out = try v.map { z in z > 0 ? z : slope * z }
            return try Variable.make("leaky_relu", out, [x]) { g in
                [try g * v.map { z in z > 0 ? 1 : slope }]
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func exp_(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func Foundation_log1p(_ x: Double) -> Double { Glibc.log1p(x) }
#else
import Darwin
@inline(__always) func exp_(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func Foundation_log1p(_ x: Double) -> Double { Darwin.log1p(x) }
#endif

/// An activation as a layer: `relu()` in a `>>` chain.
public final class ActivationLayer: LayerBase, Layer {
    public let activation: Activation
    public init(_ activation: Activation) { self.activation = activation }
    public var kind: String { activation.name }
    public var description: String { activation.name }
    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        finish(try activation.apply(x), pass, self, from: x)
    }
}
