// Matrix products in single precision, for layers that compute in float32
// (dense(n, dtype="float32")): the operands are converted to Float, multiplied
// by sgemm (split over the product threads as the Double products are), and the
// product converted back. Tensors stay Double everywhere else.
import CBLAS

extension Tensor {
    /// op(a) @ op(b) for matrices, computed in Float (op: the identity or the transpose).
    public static func matmulFloat32(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let (m, n, k) = try productShape(a, b, transposeA, transposeB)
        let out = try Tensor(uninitializedShape: [m, n], "matmul")
        if m == 0 || n == 0 { return out }
        if k == 0 { return try zeros([m, n]) }
        let fa = a.floatCopy(), fb = b.floatCopy(), fc = UnsafeMutablePointer<Float>.allocate(capacity: m &* n)
        defer { fa.deallocate(); fb.deallocate(); fc.deallocate() }
        let lda = a.shape[1], ldb = b.shape[1]
        splitProduct(transposeA, transposeB, m, n, k, UnsafePointer(fa), lda, UnsafePointer(fb), ldb, fc, n,
                     threads: BLASThreads.count) { m, n, pa, lda, pb, ldb, pc, ldc in
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                         Int32(m), Int32(n), Int32(k), 1, pa, Int32(lda), pb, Int32(ldb), 0, pc, Int32(ldc))
        }
        let o = out.storage.pointer
        parallelFor(m &* n) { lo, hi in for i in lo..<hi { o[i] = Double(fc[i]) } }
        return out
    }

    /// The elements as Float in a new buffer (the caller deallocates it).
    func floatCopy() -> UnsafeMutablePointer<Float> {
        let f = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1)), p = storage.pointer
        parallelFor(count) { lo, hi in for i in lo..<hi { f[i] = Float(p[i]) } }
        return f
    }
}

extension Tensor {
    /// C = alpha op(A) op(B) + beta C in single precision on row-major buffers a
    /// kernel keeps for itself (the RBM's float32 CD step), split as `blasProduct` over
    /// `threads` (1: one call on this thread, as the parts of a split training step make).
    public static func blasProduct(transposeA: Bool, transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float,
                                   _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                   beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, threads: Int = BLASThreads.count) {
        if m == 0 || n == 0 { return }
        splitProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, threads: threads) { m, n, pa, lda, pb, ldb, pc, ldc in
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, pa, Int32(lda), pb, Int32(ldb), beta, pc, Int32(ldc))
        }
    }
}
