extension Tensor {
    /// Sums a broadcast result back to `target` (the inverse of broadcasting, for
    /// gradients): leading axes are summed away, axes where `target` is 1 keep size 1.
    public func sum(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard target.count <= ndim else {
            throw TensorError("sum_to", "shape \(shapeString(shape)) cannot be reduced to \(shapeString(target)).")
        }
        var t = self
        for _ in 0..<(ndim - target.count) { t = try t.sum(axis: 0) }
        for (i, d) in target.enumerated() where t.shape[i] != d {
            guard d == 1 else {
                throw TensorError("sum_to", "shape \(shapeString(shape)) cannot be reduced to \(shapeString(target)).")
            }
            t = try t.sum(axis: i, keepdims: true)
        }
        return t
    }

    /// 1-D: the square matrix with these values on the diagonal;
    /// 2-D: the main diagonal as a vector.
    public func diag() throws -> Tensor {
        if ndim == 1 {
            let n = shape[0]
            var out = try Tensor.zeros([n, n])
            let p = storage.pointer, r = out.storage.pointer
            for i in 0..<n { r[i &* n &+ i] = p[i] }
            out.setShape([n, n])
            return out
        }
        guard ndim == 2 else { throw TensorError("diag", "expected a vector or a matrix, got shape \(shapeString(shape)).") }
        let k = Swift.min(shape[0], shape[1]), m = shape[1]
        let out = try Tensor(uninitializedShape: [k], "diag")
        for i in 0..<k { out.storage.pointer[i] = storage.pointer[i &* m &+ i] }
        return out
    }

    /// Sum of the main diagonal of a matrix.
    public func trace() throws -> Double {
        guard ndim == 2 else { throw TensorError("trace", "expected a matrix, got shape \(shapeString(shape)).") }
        return try diag().sumAll()
    }

    /// Same shape and every |a - b| <= atol + rtol |b| (NumPy's allclose; NaN never close).
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        guard let t = try? broadcastShapes(shape, other.shape),
              let a = try? broadcast(to: t), let b = try? other.broadcast(to: t) else { return false }
        let p = a.storage.pointer, q = b.storage.pointer
        for i in 0..<a.count {
            let x = p[i], y = q[i]
            if x == y { continue }
            if !(Swift.abs(x - y) <= atol + rtol * Swift.abs(y)) { return false }
        }
        return true
    }
}

extension Tensor {
    /// The first element (in row-major order) that is nan or infinite, with its
    /// position, or nil when all are finite: for errors that say where bad data is.
    public func firstNonFinite() -> (position: [Int], value: Double)? {
        let p = storage.pointer
        var i = 0
        while i < count {
            if !p[i].isFinite {
                var position = [Int](repeating: 0, count: ndim), rest = i
                for d in stride(from: ndim - 1, through: 0, by: -1) { position[d] = rest % shape[d]; rest /= shape[d] }
                return (position, p[i])
            }
            i &+= 1
        }
        return nil
    }
}
