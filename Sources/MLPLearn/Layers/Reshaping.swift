// flatten() and reshape(shape): Keras's Flatten and Reshape. Both keep the batch
// axis (the first) and rearrange nothing: the values stay in row-major order.
import MLPTensor
import MLPAutograd

/// flatten(): [batch, d1, d2, ...] -> [batch, d1 * d2 * ...].
public final class Flatten: LayerBase, Layer {
    public override init() {}
    public var kind: String { "flatten" }
    public var description: String { "flatten()" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        guard let n = x.value.shape.first else {
            throw LearnError(nil, "flatten(): expected an input with a batch axis, got a scalar.")
        }
        let features = x.value.shape.dropFirst().reduce(1, *)
        return finish(try x.reshaped("flatten", try x.value.reshaped([n, features])), pass, self, from: x)
    }
}

/// reshape(shape): each sample reshaped to `shape` (the batch axis not included; one
/// dimension may be -1, inferred from the others).
public final class Reshape: LayerBase, Layer {
    public let targetShape: [Int]

    public init(_ shape: [Int]) throws {
        let text = Tensor.formatShape(shape)
        guard shape.filter({ $0 == -1 }).count <= 1 else {
            throw LearnError(nil, "reshape(\(text)): at most one dimension may be -1.")
        }
        guard shape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw LearnError(nil, "reshape(\(text)): dimensions must be positive (or one -1).")
        }
        targetShape = shape
    }

    public var kind: String { "reshape" }
    public var description: String { "reshape(\(Tensor.formatShape(targetShape)))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        guard let n = x.value.shape.first else {
            throw LearnError(nil, "\(description): expected an input with a batch axis, got a scalar.")
        }
        let per = x.value.shape.dropFirst().reduce(1, *)
        var shape = targetShape
        // the product of the given dimensions, without overflow
        var known = 1
        for d in shape where d != -1 {
            let (m, overflow) = known.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw LearnError(nil, "\(description): the dimensions \(Tensor.formatShape(shape)) ask for more values per sample than the input's \(per) (input shape \(Tensor.formatShape(x.value.shape))).")
            }
            known = m
        }
        if let u = shape.firstIndex(of: -1) {
            guard per % known == 0 else {
                throw LearnError(nil, "\(description): \(per) values per sample (input shape \(Tensor.formatShape(x.value.shape))) cannot be split into dimensions of \(Tensor.formatShape(shape)).")
            }
            shape[u] = per / known
        } else if known != per {
            throw LearnError(nil, "\(description): expected \(known) values per sample, got \(per) (input shape \(Tensor.formatShape(x.value.shape))).")
        }
        return finish(try x.reshaped("reshape", try x.value.reshaped([n] + shape)), pass, self, from: x)
    }
}
