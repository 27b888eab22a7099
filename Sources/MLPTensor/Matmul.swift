import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// At or below this many multiply-adds (m * n * k) a plain Swift loop is used
/// instead of BLAS. Measured here (2-core EPYC, OpenBLAS 0.3.21): the loop only
/// ties BLAS up to 4x4x4 (0.28 us each) and loses from 8x8x8 on (0.50 vs 0.30 us).
nonisolated(unsafe) var smallGemmLimit = 64

/// Multiply-adds per block of a polled product (`matmul(poll:)`): 2^31, 41 ms at the
/// 105 GFLOP/s measured for matmul1024 on 2 threads of the workplace's AMD EPYC
/// (2026-12-06); a 1024^3 product (2^30) stays one call.
nonisolated(unsafe) public var pollProductWork = 1 << 31

/// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous.
@inline(__always)
func gemm(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
          _ c: UnsafeMutablePointer<Double>) {
    if m == 0 || n == 0 { return }
    if k == 0 { c.initialize(repeating: 0, count: m &* n); return }
    if m &* n &* k <= smallGemmLimit {
        c.initialize(repeating: 0, count: m &* n)
        var i = 0
        while i < m {
            let crow = c + i &* n
            var p = 0
            while p < k {
                let x = a[i &* k &+ p]
                let brow = b + p &* n
                var j = 0
                while j < n { crow[j] += x * brow[j]; j &+= 1 }
                p &+= 1
            }
            i &+= 1
        }
        return
    }
    if n == 1 {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, a, Int32(k), b, 1, 0, c, 1)
    } else if m == 1 {
        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b, Int32(n), a, 1, 0, c, 1)
    } else {
        splitProduct(false, false, m, n, k, a, k, b, n, c, n, threads: BLASThreads.count) { m, n, a, lda, b, ldb, c, ldc in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
        }
    }
}

extension Tensor {
    /// At or below this many multiply-adds a plain Swift loop replaces the BLAS call.
    public static var smallGemmLimit: Int {
        get { MLPTensor.smallGemmLimit }
        set { MLPTensor.smallGemmLimit = newValue }
    }

    /// Matrix product with NumPy's `matmul` semantics (1-D operands promoted,
    /// leading dimensions broadcast). `poll`, when given, is called between blocks of
    /// rows of a large product (each about `pollProductWork` multiply-adds) and between
    /// the matrices of a batch: what it throws (Ctrl-C) stops the product.
    /// The shapes of `a @ b` (NumPy's matmul): the operands as matrices (a 1-D `a`
    /// a row, a 1-D `b` a column), their sizes, the broadcast batch and the result's
    /// shape; or the error naming both shapes. Shared by the real and complex products.
    static func productShapes(_ a: [Int], _ b: [Int]) throws -> (sa: [Int], sb: [Int], m: Int, k: Int, n: Int, batch: [Int], out: [Int]) {
        guard a.count > 0, b.count > 0 else {
            throw TensorError("matmul", "operands must have at least one dimension, got shapes \(shapeString(a)) and \(shapeString(b)).")
        }
        let sa = a.count == 1 ? [1, a[0]] : a
        let sb = b.count == 1 ? [b[0], 1] : b
        let m = sa[sa.count - 2], k = sa[sa.count - 1], k2 = sb[sb.count - 2], n = sb[sb.count - 1]
        guard k == k2 else {
            throw TensorError("matmul", "shapes \(shapeString(a)) and \(shapeString(b)) do not align (\(k) != \(k2)).", kind: .shapes([a, b]))
        }
        let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        let batch: [Int]
        do { batch = try broadcastShapes(ba, bb) } catch let e as TensorError where e.operation == "broadcast" {
            throw TensorError("matmul", e.detail, kind: e.kind)   // a batch too large, in matmul's name
        } catch {
            throw TensorError("matmul", "batch shapes \(shapeString(ba)) and \(shapeString(bb)) cannot be broadcast.", kind: .shapes([ba, bb]))
        }
        var outShape = batch
        if a.count > 1 { outShape.append(m) }
        if b.count > 1 { outShape.append(n) }
        return (sa, sb, m, k, n, batch, outShape)
    }

    public static func matmul(_ a: Tensor, _ b: Tensor, poll: (() throws -> Void)? = nil) throws -> Tensor {
        let (sa, sb, m, k, n, batch, outShape) = try productShapes(a.shape, b.shape)
        let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        let out = try Tensor(uninitializedShape: outShape, "matmul")
        let pa = a.storage.pointer, pb = b.storage.pointer, pc = out.storage.pointer
        let nb = batch.reduce(1, *)
        if nb == 0 { return out }
        if bb.isEmpty && ba == batch {
            // (..., m, k) @ (k, n): one GEMM over all rows, in blocks of rows when polled
            let rows = nb &* m
            let block = poll == nil ? rows : Swift.max(1, pollProductWork / Swift.max(n &* k, 1))
            var r = 0
            while r < rows {
                let h = Swift.min(block, rows &- r)
                if r > 0 { try poll?() }
                gemm(h, n, k, pa + r &* k, pb, pc + r &* n)
                r &+= h
            }
            return out
        }
        let stA = broadcastStrides(ba, to: batch), stB = broadcastStrides(bb, to: batch)
        var idx = [Int](repeating: 0, count: batch.count)
        for t in 0..<nb {
            if t > 0 { try poll?() }
            var oa = 0, ob = 0
            for d in 0..<batch.count { oa &+= idx[d] &* stA[d]; ob &+= idx[d] &* stB[d] }
            gemm(m, n, k, pa + oa &* m &* k, pb + ob &* k &* n, pc + t &* m &* n)
            var d = batch.count - 1
            while d >= 0 { idx[d] += 1; if idx[d] < batch[d] { break }; idx[d] = 0; d -= 1 }
        }
        return out
    }

    /// 2-D product with either operand transposed in place (BLAS flags, no copy):
    /// `op(a) @ op(b)` where op is the identity or the transpose.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        let (m, n, k) = try productShape(a, b, transposeA, transposeB)
        if !transposeA && !transposeB { return try matmul(a, b) }
        var out = try zeros([m, n])
        if m == 0 || n == 0 || k == 0 { return out }
        let lda = a.shape[1], ldb = b.shape[1]
        splitProduct(transposeA, transposeB, m, n, k, a.storage.pointer, lda, b.storage.pointer, ldb, out.storage.pointer, n,
                     threads: BLASThreads.count) { m, n, pa, lda, pb, ldb, pc, ldc in
            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, pa, Int32(lda), pb, Int32(ldb), 0, pc, Int32(ldc))
        }
        out.setShape([m, n])
        return out
    }

    /// (m, n, k) of op(a) @ op(b) for matrices, or an error naming the shapes.
    static func productShape(_ a: Tensor, _ b: Tensor, _ transposeA: Bool, _ transposeB: Bool) throws -> (Int, Int, Int) {
        guard a.ndim == 2, b.ndim == 2 else {
            throw TensorError("matmul", "expected matrices, got shapes \(shapeString(a.shape)) and \(shapeString(b.shape)).")
        }
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let k2 = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        guard k == k2 else {
            let sa = transposeA ? [a.shape[1], a.shape[0]] : a.shape, sb = transposeB ? [b.shape[1], b.shape[0]] : b.shape
            throw TensorError("matmul", "shapes \(shapeString(sa)) and \(shapeString(sb)) do not align (\(k) != \(k2)).")
        }
        return (m, n, k)
    }

    /// NumPy's `dot`: scalars multiply, 1-D x 1-D is the inner product, otherwise
    /// a sum over the last axis of `a` and the second-to-last of `b`.
    public static func dot(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        if a.ndim == 0 || b.ndim == 0 { return try a * b }
        if a.ndim <= 2 && b.ndim <= 2 {
            if a.ndim == 1 && b.ndim == 1 && a.count != b.count {
                throw TensorError("dot", "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) do not align (\(a.count) != \(b.count)).")
            }
            do { return try matmul(a, b) } catch let e as TensorError {
                throw TensorError("dot", e.detail, kind: e.kind)   // matmul's words, under dot's name
            }
        }
        let k = a.shape[a.ndim - 1]
        let kb = b.ndim == 1 ? b.shape[0] : b.shape[b.ndim - 2]
        guard k == kb else {
            throw TensorError("dot", "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) do not align (\(k) != \(kb)).")
        }
        // move b's contraction axis first: (k, rest)
        let bAxis = b.ndim == 1 ? 0 : b.ndim - 2
        var perm = [bAxis]
        for i in 0..<b.ndim where i != bAxis { perm.append(i) }
        let bt = try b.permute(perm).reshaped([k, -1])
        let r = try matmul(a.reshaped([-1, k]), bt)
        var s = Array(a.shape.dropLast())
        for i in 0..<b.ndim where i != bAxis { s.append(b.shape[i]) }
        return try r.reshaped(s)
    }

    /// Outer product of the flattened operands.
    public static func outer(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.mul, a.reshaped([-1, 1]), b.reshaped([1, -1]))
    }

    /// Kronecker product.
    public static func kron(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let d = Swift.max(a.ndim, b.ndim)
        let sa = [Int](repeating: 1, count: d - a.ndim) + a.shape
        let sb = [Int](repeating: 1, count: d - b.ndim) + b.shape
        var ra: [Int] = [], rb: [Int] = [], rs: [Int] = []
        for i in 0..<d { ra += [sa[i], 1]; rb += [1, sb[i]]; rs.append(sa[i] * sb[i]) }
        return try binary(.mul, a.reshaped(ra), b.reshaped(rb)).reshaped(rs)
    }
}

/// Threads for matrix products. mlp splits large products into blocks on its own
/// threads and runs OpenBLAS single-threaded: OpenBLAS's idle workers spin (yield
/// in a loop) for a long while after each call, and on a 2-core machine a spinning
/// worker took the core that the next step's work needed (a lesson's LSTM example
/// took 40% more wall time, as much kernel time as user time). LAPACK calls run
/// single-threaded too.
public enum BLASThreads {
    /// OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else 1 (the products of training
    /// steps are small; bench/ sets the variables).
    nonisolated(unsafe) public static var count = 1

    public static func configureDefault() {
        count = 1
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"] {
            if let s = getenv(name), let v = Int(String(cString: s)), v > 0 { count = Swift.min(v, 16); break }
        }
        openblas_set_num_threads(1)
        // OpenBLAS starts its workers when it loads, and they spin for a while before
        // they sleep: a short script shared the 2 cores with one (bench/tensor/small_ops
        // took 0.015 s instead of 0.009 s in most runs). With one OpenBLAS thread they
        // are never woken again.
        _ = blasThreadShutdown()
    }
}

/// OpenBLAS's (exported, not in its headers): stops and joins its worker threads.
@_silgen_name("blas_thread_shutdown_") func blasThreadShutdown() -> Int32


extension Tensor {
    /// C = alpha op(A) op(B) + beta C on row-major buffers a kernel keeps for itself
    /// (the RBM's contrastive-divergence step reuses its batch buffers instead of
    /// allocating a tensor per product); split over BLAS threads as `matmul`.
    public static func blasProduct(transposeA: Bool, transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Double,
                            _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                            beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        splitProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, threads: BLASThreads.count) { m, n, pa, lda, pb, ldb, pc, ldc in
            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, pa, Int32(lda), pb, Int32(ldb), beta, pc, Int32(ldc))
        }
    }
}
