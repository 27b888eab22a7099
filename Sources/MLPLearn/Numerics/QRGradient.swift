// qr with a gradient (m >= n, the reduced factors): one graph node holds [Q; R]
// stacked by rows, whose pullback is the QR rule of Walter & Lehmann / Liao et al.
// (2019): with M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^-T, where
// copyltu(M) copies M's lower triangle onto its upper one.
import MLPTensor
import MLPAutograd

extension Variable {
    /// [Q, R] of this m x n matrix (m >= n when differentiated).
    public func qr(poll: (() throws -> Void)? = nil) throws -> (q: Variable, r: Variable) {
        let (q, r) = try value.qr(poll: poll)
        guard requiresGrad else { return (Variable(constant: q), Variable(constant: r)) }
        let m = value.shape[0], n = value.shape[1]
        guard m >= n else {
            throw AutogradError("qr", "a gradient is defined for matrices with at least as many rows as columns (Q square or tall), got shape \(Tensor.formatShape(value.shape)).")
        }
        let both = try Variable.make("qr", try Tensor.concat([q, r], axis: 0), [self]) { g in
            let gq = try g.get([.slice(0, m, nil)]), gr = try g.get([.slice(m, nil, nil)])
            let mm = try Tensor.matmul(r, try gr.transposed()) - Tensor.matmul(try gq.transposed(), q)
            let s = mm.scalars
            var sym = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { sym[i * n + j] = s[Swift.max(i, j) * n + Swift.min(i, j)] } }
            let b = try gq + Tensor.matmul(q, try Tensor(sym, shape: [n, n]))
            // b R^-T: solve R x^T = b^T
            return [try Tensor.solve(r, try b.transposed()).transposed()]
        }
        return (try both.get([.slice(0, m, nil)]), try both.get([.slice(m, nil, nil)]))
    }
}
