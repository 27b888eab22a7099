// expm with a gradient (real square matrices). The pullback of E = expm(A) is
// the adjoint of the Frechet derivative L(A, .): with <G, L(A, X)> = <L(A^T, G), X>
// (Frobenius), gA = L(A^T, G), the upper-right block of expm([[A^T, G], [0, A^T]])
// (Higham 2008, Theorem 3.6; Al-Mohy & Higham 2009).
import MLPTensor
import MLPAutograd

extension Variable {
    /// e^A of this real square matrix, differentiable.
    public func expm() throws -> Variable {
        let e = try value.complex().expm().real()
        guard requiresGrad else { return Variable(constant: e) }
        let n = value.shape[0]
        let at = try value.transposed()
        return try Variable.make("expm", e, [self]) { g in
            // [[A^T, G], [0, A^T]] (2n x 2n), its exponential's block [0..<n, n..<2n]
            let a = at.scalars, gs = g.scalars, m = 2 * n
            var big = [Double](repeating: 0, count: m * m)
            for i in 0..<n {
                for j in 0..<n {
                    big[i * m + j] = a[i * n + j]
                    big[i * m + n + j] = gs[i * n + j]
                    big[(n + i) * m + n + j] = a[i * n + j]
                }
            }
            let eb = try Tensor(big, shape: [m, m]).complex().expm().real().scalars
            var out = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { out[i * n + j] = eb[i * m + n + j] } }
            return [try Tensor(out, shape: [n, n])]
        }
    }
}
