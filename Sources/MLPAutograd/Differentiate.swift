// Differentiating a whole function: gradients by the tape, and by central
// finite differences to check them.
import MLPTensor

public enum Autograd {
    /// f's value at xs and its gradient with respect to each x (f must give a scalar).
    public static func valueAndGrad(_ xs: [Tensor], checkNaN: Bool = true,
                                    _ f: ([Variable]) throws -> Variable) throws -> (value: Double, grads: [Tensor]) {
        let tape = Tape(checkNaN: checkNaN)
        let leaves = xs.map { Variable(leaf: $0, tape: tape) }
        let y = try f(leaves)
        guard y.value.count == 1 else {
            throw AutogradError("grad", "the function must return a scalar, got a tensor of shape \(Tensor.formatShape(y.value.shape)).")
        }
        if y.tape === tape { try y.backward() } else { tape.finish() }
        return (y.value.scalars[0], try zip(leaves, xs).map { leaf, x in try leaf.grad ?? Tensor.zeros(x.shape) })
    }

    /// The gradient of f at xs by central differences with step h (relative to each element's size).
    public static func numericalGrad(_ xs: [Tensor], h: Double = 1e-6, _ f: ([Tensor]) throws -> Double) throws -> [Tensor] {
        var grads: [Tensor] = []
        var point = xs
        for k in xs.indices {
            var g = try Tensor.zeros(xs[k].shape)
            for i in 0..<xs[k].count {
                let x0 = xs[k].scalars[i]
                let step = h * Swift.max(1, Swift.abs(x0))
                try point[k].withUnsafeMutableBufferPointer { $0[i] = x0 + step }
                let up = try f(point)
                try point[k].withUnsafeMutableBufferPointer { $0[i] = x0 - step }
                let down = try f(point)
                try point[k].withUnsafeMutableBufferPointer { $0[i] = x0 }
                try g.withUnsafeMutableBufferPointer { $0[i] = (up - down) / (2 * step) }
            }
            grads.append(g)
        }
        return grads
    }

    /// f's tape gradient at xs against central differences: their relative error, and
    /// the size of the tape gradient (the sum of its absolute values), for tests.
    public static func gradientError(_ xs: [Tensor], _ f: ([Variable]) throws -> Variable) throws -> (error: Double, size: Double) {
        let (_, grads) = try valueAndGrad(xs, f)
        let numeric = try numericalGrad(xs) { ts in try f(ts.map { Variable(constant: $0) }).value.scalars[0] }
        return (try relativeError(grads, numeric), try grads.map { try $0.map(.abs).sumAll() }.reduce(0, +))
    }

    /// |a - b| / max(|a|, |b|) over all elements together (norms); 0 when both are 0.
    public static func relativeError(_ a: [Tensor], _ b: [Tensor]) throws -> Double {
        var diff = 0.0, size = 0.0
        for (x, y) in zip(a, b) {
            diff += try (x - y).map(.square).sumAll()
            size += try Swift.max(x.map(.square).sumAll(), y.map(.square).sumAll())
        }
        return size == 0 ? diff.squareRoot() : (diff / size).squareRoot()
    }
}
