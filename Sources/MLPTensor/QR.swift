import CBLAS

extension Tensor {
    /// QR decomposition by Householder reflections (LAPACK dgeqrf, then dorgqr for Q),
    /// NumPy's reduced mode: a = Q @ R with Q [m, k] (orthonormal columns) and R [k, n]
    /// upper triangular, k = min(m, n). LAPACK's signs are kept (as NumPy: R's diagonal
    /// may be negative).
    public func qr(poll: (() throws -> Void)? = nil) throws -> (q: Tensor, r: Tensor) {
        guard ndim == 2 else { throw TensorError("qr", "expected a matrix, got shape \(shapeString(shape)).") }
        try requireFinite("qr")
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        if k == 0 { return (try Tensor.zeros([m, 0]), try Tensor.zeros([0, n])) }
        let colMajor = try transposed().copyArray()   // a column-major m x n matrix
        let big = Swift.max(m, n)
        let (qm, rm, info) = try runPolling(big &* big &* k > 1 << 24 ? poll : nil) { () -> ([Double], [Double], Int32) in
            var a = colMajor, tau = [Double](repeating: 0, count: k)
            var mm = Int32(m), nn = Int32(n), kk = Int32(k), lda = Int32(m), info: Int32 = 0
            var lwork: Int32 = -1, wq = 0.0
            dgeqrf_(&mm, &nn, &a, &lda, &tau, &wq, &lwork, &info)
            lwork = Swift.max(1, Int32(wq))
            var work = [Double](repeating: 0, count: Int(lwork))
            dgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info)
            if info != 0 { return ([], [], info) }
            // R: the upper triangle of the first k rows, row-major [k, n]
            var r = [Double](repeating: 0, count: k * n)
            for i in 0..<k { for j in i..<n { r[i * n + j] = a[i + j * m] } }
            lwork = -1
            dorgqr_(&mm, &kk, &kk, &a, &lda, &tau, &wq, &lwork, &info)
            lwork = Swift.max(1, Int32(wq))
            work = [Double](repeating: 0, count: Int(lwork))
            dorgqr_(&mm, &kk, &kk, &a, &lda, &tau, &work, &lwork, &info)
            // Q: the first k columns, row-major [m, k]
            var q = [Double](repeating: 0, count: m * k)
            for i in 0..<m { for j in 0..<k { q[i * k + j] = a[i + j * m] } }
            return (q, r, info)
        }
        if info != 0 { throw TensorError("qr", "LAPACK failed (info \(info)).") }
        return (try Tensor(qm, shape: [m, k]), try Tensor(rm, shape: [k, n]))
    }
}
