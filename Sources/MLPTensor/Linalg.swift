import CBLAS

/// Dense linear algebra through LAPACK (OpenBLAS). LAPACK is column-major: a
/// row-major matrix handed over as is is its transpose.
extension Tensor {
    func squareMatrix(_ name: String) throws -> Int {
        guard ndim == 2, shape[0] == shape[1] else {
            throw TensorError(name, "expected a square matrix, got shape \(shapeString(shape)).")
        }
        return shape[0]
    }

    /// Iterative LAPACK routines may fail or loop on NaN/inf input: refuse it.
    func requireFinite(_ name: String) throws {
        if firstNonFinite() != nil { throw TensorError(name, "matrix contains nan or inf.") }
    }

    /// Runs `body` on `data` (a LAPACK call that overwrites it) and returns the data and
    /// LAPACK's info; for an n x n problem over n^3 = 2^24 (a few milliseconds: less
    /// is not worth a thread hop) on a worker thread polled by `poll` (see runPolling),
    /// so that Ctrl-C returns at once.
    static func lapackPolled(_ n: Int, _ poll: (() throws -> Void)?, _ data: [Double],
                             _ body: @escaping @Sendable (inout [Double]) -> Int32) throws -> ([Double], Int32) {
        try runPolling(n &* n &* n > 1 << 24 ? poll : nil) { () -> ([Double], Int32) in
            var d = data
            let info = body(&d)
            return (d, info)
        }
    }

    /// Contiguous copy of the data (for LAPACK, which overwrites its input).
    func copyArray() -> [Double] { scalars }

    /// Solves `a x = b` for square `a`; `b` is a vector (n) or a matrix (n, k).
    public static func solve(_ a: Tensor, _ b: Tensor, poll: (() throws -> Void)? = nil) throws -> Tensor {
        let n = try a.squareMatrix("solve")
        guard (b.ndim == 1 || b.ndim == 2) && b.shape[0] == n else {
            throw TensorError("solve", "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) do not align.")
        }
        if n == 0 { return b }
        let k = b.ndim == 1 ? 1 : b.shape[1]
        let am = try a.transposed().copyArray()          // column-major a
        let (bm, info) = try lapackPolled(n, poll, b.ndim == 1 ? b.copyArray() : try b.transposed().copyArray()) { bm in
            var am = am, ipiv = [Int32](repeating: 0, count: n)
            var nn = Int32(n), nrhs = Int32(k), lda = Int32(n), ldb = Int32(n), info: Int32 = 0
            dgesv_(&nn, &nrhs, &am, &lda, &ipiv, &bm, &ldb, &info)
            return info
        }
        if info > 0 { throw TensorError("solve", "matrix is singular.") }
        if info < 0 { throw TensorError("solve", "LAPACK argument \(-info) is invalid.") }
        if b.ndim == 1 { return try Tensor(bm) }
        return try Tensor(bm, shape: [k, n]).transposed()
    }

    /// Matrix inverse.
    public func inv(poll: (() throws -> Void)? = nil) throws -> Tensor {
        let n = try squareMatrix("inv")
        if n == 0 { return self }
        // inv(A^T) = inv(A)^T: hand A over as is and read the result back as is
        let am = copyArray()
        let (bm, info) = try Tensor.lapackPolled(n, poll, try Tensor.eye(n).copyArray()) { bm in
            var am = am, ipiv = [Int32](repeating: 0, count: n)
            var nn = Int32(n), nrhs = Int32(n), lda = Int32(n), ldb = Int32(n), info: Int32 = 0
            dgesv_(&nn, &nrhs, &am, &lda, &ipiv, &bm, &ldb, &info)
            return info
        }
        if info > 0 { throw TensorError("inv", "matrix is singular.") }
        return try Tensor(bm, shape: [n, n])
    }

    /// Determinant (LU with partial pivoting).
    public func det(poll: (() throws -> Void)? = nil) throws -> Double {
        let n = try squareMatrix("det")
        if n == 0 { return 1 }
        let input = copyArray()                       // det(A^T) = det(A)
        let (am, ipiv, info) = try runPolling(n &* n &* n > 1 << 24 ? poll : nil) { () -> ([Double], [Int32], Int32) in
            var am = input, ipiv = [Int32](repeating: 0, count: n)
            var m = Int32(n), nn = Int32(n), lda = Int32(n), info: Int32 = 0
            dgetrf_(&m, &nn, &am, &lda, &ipiv, &info)
            return (am, ipiv, info)
        }
        if info > 0 { return 0 }
        var d = 1.0
        for i in 0..<n {
            d *= am[i * n + i]
            if ipiv[i] != Int32(i + 1) { d = -d }
        }
        return d
    }

    /// Eigen-decomposition of a symmetric matrix (its lower triangle is used):
    /// eigenvalues ascending, eigenvectors as columns.
    public func eigh(poll: (() throws -> Void)? = nil) throws -> (values: Tensor, vectors: Tensor) {
        let n = try squareMatrix("eigh")
        try requireFinite("eigh")
        if n == 0 { return (try Tensor([], shape: [0]), self) }
        // row-major lower triangle = column-major upper; the eigenvalues come back in
        // the array's first n places
        let (both, info) = try Tensor.lapackPolled(n, poll, copyArray() + [Double](repeating: 0, count: n)) { both in
            var am = Array(both[0..<(n * n)]), w = [Double](repeating: 0, count: n)
            var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
            var nn = Int32(n), lda = Int32(n), info: Int32 = 0
            var lwork: Int32 = -1, liwork: Int32 = -1
            var wq = 0.0, iwq: Int32 = 0
            dsyevd_(&jobz, &uplo, &nn, &am, &lda, &w, &wq, &lwork, &iwq, &liwork, &info, 1, 1)
            lwork = Int32(wq); liwork = iwq
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Int(liwork))
            dsyevd_(&jobz, &uplo, &nn, &am, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
            both = w + am
            return info
        }
        let w = Array(both[0..<n]), am = Array(both[n...])
        if info != 0 { throw TensorError("eigh", "eigenvalues did not converge.") }
        // column-major columns are the eigenvectors: read row-major, then transpose
        return (try Tensor(w), try Tensor(am, shape: [n, n]).transposed())
    }

    /// Singular value decomposition `a = U diag(S) Vt`; with `fullMatrices`
    /// U is m x m and Vt n x n, otherwise m x k and k x n (k = min(m, n)).
    /// `poll`, when given, is called every 20 ms while LAPACK runs on a worker thread
    /// (see runPolling): what it throws (Ctrl-C) is thrown at once.
    public func svd(fullMatrices: Bool = true, poll: (() throws -> Void)? = nil) throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        guard ndim == 2 else { throw TensorError("svd", "expected a matrix, got shape \(shapeString(shape)).") }
        try requireFinite("svd")
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        if k == 0 {
            return (try Tensor.eye(m, fullMatrices ? m : 0), try Tensor([], shape: [0]), try Tensor.eye(fullMatrices ? n : 0, n))
        }
        // LAPACK sees A^T (n x m). A^T = U' S V'^T  =>  A = V' S U'^T:
        // our U is LAPACK's VT read row-major, our Vt is LAPACK's U read row-major.
        let input = copyArray()
        let ucols = fullMatrices ? n : k            // LAPACK's U: n x ucols
        let vtrows = fullMatrices ? m : k           // LAPACK's VT: vtrows x m
        // a worker thread only for a decomposition over 2^24 multiply-adds (as lapackPolled)
        let (s, lu, lvt, info) = try runPolling(m * n * k > 1 << 24 ? poll : nil) { () -> ([Double], [Double], [Double], Int32) in
            var am = input
            var s = [Double](repeating: 0, count: k)
            var lu = [Double](repeating: 0, count: n * ucols)
            var lvt = [Double](repeating: 0, count: vtrows * m)
            var jobz = CChar(UInt8(ascii: fullMatrices ? "A" : "S"))
            var mm = Int32(n), nn = Int32(m), lda = Int32(n), ldu = Int32(n), ldvt = Int32(vtrows), info: Int32 = 0
            var iwork = [Int32](repeating: 0, count: 8 * k)
            var lwork: Int32 = -1, wq = 0.0
            dgesdd_(&jobz, &mm, &nn, &am, &lda, &s, &lu, &ldu, &lvt, &ldvt, &wq, &lwork, &iwork, &info, 1)
            lwork = Int32(wq)
            var work = [Double](repeating: 0, count: Int(lwork))
            dgesdd_(&jobz, &mm, &nn, &am, &lda, &s, &lu, &ldu, &lvt, &ldvt, &work, &lwork, &iwork, &info, 1)
            return (s, lu, lvt, info)
        }
        if info != 0 { throw TensorError("svd", "did not converge.") }
        return (try Tensor(lvt, shape: [m, vtrows]), try Tensor(s), try Tensor(lu, shape: [ucols, n]))
    }

    /// Lower-triangular Cholesky factor L with `a = L L^T`.
    public func cholesky(poll: (() throws -> Void)? = nil) throws -> Tensor {
        let n = try squareMatrix("cholesky")
        try requireFinite("cholesky")
        if n == 0 { return self }
        var (am, info) = try Tensor.lapackPolled(n, poll, copyArray()) { am in
            var uplo = CChar(UInt8(ascii: "U")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
            dpotrf_(&uplo, &nn, &am, &lda, &info, 1)
            return info
        }
        if info > 0 { throw TensorError("cholesky", "matrix is not positive definite.") }
        // column-major upper factor U read row-major is U^T = L; clear above the diagonal
        for i in 0..<n { for j in (i + 1)..<n { am[i * n + j] = 0 } }
        return try Tensor(am, shape: [n, n])
    }

    /// Least-squares solution of `a x = b` (minimum norm; SVD-based).
    public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil,
                             poll: (() throws -> Void)? = nil) throws -> (x: Tensor, rank: Int, s: Tensor) {
        guard a.ndim == 2 else { throw TensorError("lstsq", "expected a matrix, got shape \(shapeString(a.shape)).") }
        let m = a.shape[0], n = a.shape[1]
        guard (b.ndim == 1 || b.ndim == 2) && b.shape[0] == m else {
            throw TensorError("lstsq", "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) do not align.")
        }
        let k = b.ndim == 1 ? 1 : b.shape[1]
        try a.requireFinite("lstsq"); try b.requireFinite("lstsq")
        let ldb = Swift.max(m, n, 1)
        if m == 0 || n == 0 || k == 0 {
            return (try zeros(b.ndim == 1 ? [n] : [n, k]), 0, try Tensor([], shape: [0]))
        }
        let input = try a.transposed().copyArray()
        var rhs = [Double](repeating: 0, count: ldb * k)
        let bt = b.ndim == 1 ? b : try b.transposed()    // k x m, rows are the right-hand sides
        for c in 0..<k { for r in 0..<m { rhs[c * ldb + r] = bt.storage.pointer[c * m + r] } }
        let work0 = m &* n &* Swift.min(m, n)
        let (bm, s, rank, info) = try runPolling(work0 > 1 << 24 ? poll : nil) { [rhs] () -> ([Double], [Double], Int32, Int32) in
            var am = input, bm = rhs
            var s = [Double](repeating: 0, count: Swift.min(m, n))
            var rc = rcond ?? (Double.ulpOfOne * Double(Swift.max(m, n)))
            var mm = Int32(m), nn = Int32(n), nrhs = Int32(k), lda = Int32(m), lb = Int32(ldb)
            var rank: Int32 = 0, info: Int32 = 0, lwork: Int32 = -1, wq = 0.0, iwq: Int32 = 0
            dgelsd_(&mm, &nn, &nrhs, &am, &lda, &bm, &lb, &s, &rc, &rank, &wq, &lwork, &iwq, &info)
            lwork = Int32(wq)
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Swift.max(Int(iwq), 1))
            dgelsd_(&mm, &nn, &nrhs, &am, &lda, &bm, &lb, &s, &rc, &rank, &work, &lwork, &iwork, &info)
            return (bm, s, rank, info)
        }
        if info != 0 { throw TensorError("lstsq", "SVD did not converge.") }
        var x = [Double](repeating: 0, count: n * k)
        for r in 0..<n { for c in 0..<k { x[r * k + c] = bm[c * ldb + r] } }
        return (try Tensor(x, shape: b.ndim == 1 ? [n] : [n, k]), Int(rank), try Tensor(s))
    }
}
