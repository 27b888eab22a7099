// qr with a gradient (the reduced factors): one graph node holds [Q, R] side by
// side, whose pullback is the QR rule of Walter & Lehmann / Liao et al. (2019)
// for a square or tall matrix: with M = R gR^T - gQ^T Q,
// gA = (gQ + Q copyltu(M)) R^-T, where copyltu(M) copies M's lower triangle onto
// its upper one. A wide matrix A = [X, Y] (m < n, X m x m) has Q R1 = X and
// R2 = Q^T Y, so gY = Q gR2 and gX is the square rule with gQ + Y gR2^T
// (PyTorch's linalg_qr_backward does the same).
import MLPTensor
import MLPAutograd

extension Variable {
    /// [Q, R] of this m x n matrix, differentiable where R's leading k x k block is invertible.
    public func qr(poll: (() throws -> Void)? = nil) throws -> (q: Variable, r: Variable) {
        let (q, r) = try value.qr(poll: poll)
        guard requiresGrad else { return (Variable(constant: q), Variable(constant: r)) }
        let m = value.shape[0], n = value.shape[1], k = Swift.min(m, n)
        let a = value
        let both = try Variable.make("qr", try Tensor(q.scalars + r.scalars, shape: [m * k + k * n]), [self]) { g in
            let gs = g.scalars
            let gq = try Tensor(Array(gs[0..<(m * k)]), shape: [m, k]), gr = try Tensor(Array(gs[(m * k)...]), shape: [k, n])
            if m >= n { return [try Variable.qrSquareBackward(q, r, gq, gr)] }
            let left: [TensorIndex] = [.all, .slice(0, k, nil)], right: [TensorIndex] = [.all, .slice(k, nil, nil)]
            let r1 = try r.get(left), gr1 = try gr.get(left), gr2 = try gr.get(right), y = try a.get(right)
            let gx = try Variable.qrSquareBackward(q, r1, try gq + Tensor.matmul(y, try gr2.transposed()), gr1)
            let gy = try Tensor.matmul(q, gr2)
            return [try Tensor.concat([gx, gy], axis: 1)]
        }
        return (try both.get([.slice(0, m * k, nil)]).reshaped([m, k]), try both.get([.slice(m * k, nil, nil)]).reshaped([k, n]))
    }

    /// The pullback of A = Q R with R square (n x n): the gradient of A from those of Q and R.
    static func qrSquareBackward(_ q: Tensor, _ r: Tensor, _ gq: Tensor, _ gr: Tensor) throws -> Tensor {
        let n = r.shape[0]
        let d = (0..<n).map { Swift.abs(r.scalars[$0 * n + $0]) }
        if let i = d.indices.first(where: { d[$0] <= Double(n) * Double.ulpOfOne * (d.max() ?? 0) }) {
            throw AutogradError("qr", "qr has no gradient at a matrix of rank below min(m, n) = \(n): R[\(i), \(i)] is zero to rounding, so Q's columns are not determined by the matrix.")
        }
        let mm = try Tensor.matmul(r, try gr.transposed()) - Tensor.matmul(try gq.transposed(), q)
        let s = mm.scalars
        var sym = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { sym[i * n + j] = s[Swift.max(i, j) * n + Swift.min(i, j)] } }
        let b = try gq + Tensor.matmul(q, try Tensor(sym, shape: [n, n]))
        // b R^-T: solve R x^T = b^T
        return try Tensor.solve(r, try b.transposed()).transposed()
    }
}
