// Matrix products and linear algebra with their gradients.
import MLPTensor

extension Variable {
    /// Matrix product with NumPy's rules: vectors are promoted to matrices and the
    /// promoted axis dropped again; leading axes broadcast as batches.
    public static func matmul(_ a: Variable, _ b: Variable) throws -> Variable {
        let x = a.value, y = b.value
        let out = try Tensor.matmul(x, y)
        // the promoted (2-D or batched) shapes the gradient formulas work in
        let xm = x.ndim == 1 ? try x.reshaped([1, x.count]) : x
        let ym = y.ndim == 1 ? try y.reshaped([y.count, 1]) : y
        let na = a.requiresGrad, nb = b.requiresGrad
        return try make("@", out, [a, b]) { g in
            var gm = g
            if x.ndim == 1 && y.ndim == 1 { gm = try gm.reshaped([1, 1]) } else {
                if x.ndim == 1 { gm = try gm.unsqueeze(axis: -2) }
                if y.ndim == 1 { gm = try gm.unsqueeze(axis: -1) }
            }
            var ga: Tensor? = nil, gb: Tensor? = nil
            if gm.ndim == 2 && xm.ndim == 2 && ym.ndim == 2 {
                if na { ga = try Tensor.matmul(gm, ym, transposeA: false, transposeB: true) }
                if nb { gb = try Tensor.matmul(xm, gm, transposeA: true, transposeB: false) }
            } else {
                if na { ga = try Tensor.matmul(gm, try ym.swapAxes(-1, -2)).sum(to: xm.shape) }
                if nb { gb = try Tensor.matmul(try xm.swapAxes(-1, -2), gm).sum(to: ym.shape) }
            }
            return [try ga?.reshaped(x.shape), try gb?.reshaped(y.shape)]
        }
    }

    /// a @ b for matrices, computed in Float (a layer's dtype="float32"), its gradients likewise.
    public static func matmulFloat32(_ a: Variable, _ b: Variable) throws -> Variable {
        let x = a.value, y = b.value
        let na = a.requiresGrad, nb = b.requiresGrad
        return try make("@", try Tensor.matmulFloat32(x, y), [a, b]) { g in
            [na ? try Tensor.matmulFloat32(g, y, transposeA: false, transposeB: true) : nil,
             nb ? try Tensor.matmulFloat32(x, g, transposeA: true, transposeB: false) : nil]
        }
    }

    /// NumPy's dot for vectors and matrices (a matrix product; the inner product of two vectors).
    public static func dot(_ a: Variable, _ b: Variable) throws -> Variable {
        guard a.value.ndim <= 2 && b.value.ndim <= 2 else {
            throw AutogradError("dot", "gradients are supported for vectors and matrices; use @ (matmul) for batched products.")
        }
        if a.value.ndim == 0 || b.value.ndim == 0 { return try a * b }
        return try matmul(a, b)
    }

    /// Outer product of two vectors.
    public static func outer(_ a: Variable, _ b: Variable) throws -> Variable {
        let x = a.value.flatten(), y = b.value.flatten()
        let sa = a.value.shape, sb = b.value.shape
        return try make("outer", try Tensor.outer(x, y), [a, b]) { g in
            [try Tensor.matmul(g, y).reshaped(sa), try Tensor.matmul(g.transposed(), x).reshaped(sb)]
        }
    }

    /// The inverse of a square matrix: d(A⁻¹) = -A⁻¹ dA A⁻¹.
    public func inv() throws -> Variable {
        let out = try value.inv()
        return try Variable.make("inv", out, [self]) { g in
            let t = try Tensor.matmul(try Tensor.matmul(out, g, transposeA: true, transposeB: false), out, transposeA: false, transposeB: true)
            return [try t.map(.negate)]
        }
    }

    /// The determinant: d det(A) / dA = det(A) A⁻ᵀ.
    public func det() throws -> Variable {
        let x = value
        let d = try x.det()
        return try Variable.make("det", Tensor(scalar: d), [self]) { g in
            [try Tensor.binary(.mul, try x.inv().transposed(), d * g.scalars[0])]
        }
    }

    /// x with a x = b: db = A⁻ᵀ g, dA = -db xᵀ.
    public static func solve(_ a: Variable, _ b: Variable) throws -> Variable {
        let m = a.value, out = try Tensor.solve(a.value, b.value)
        let na = a.requiresGrad
        return try make("solve", out, [a, b]) { g in
            let gb = try Tensor.solve(m.transposed(), g)
            guard na else { return [nil, gb] }
            let ga = out.ndim == 1 ? try Tensor.outer(gb, out) : try Tensor.matmul(gb, out, transposeA: false, transposeB: true)
            return [try ga.map(.negate), gb]
        }
    }
}
