// The Float product of a recurrent step, C (+)= A @ B, with B (the recurrent
// kernel, fixed for the whole sequence) packed once into panels of 16 columns.
// OpenBLAS packs B again on every call; for a step's shapes (16 to 32 rows, k of
// 128 to 512, 128 to 512 columns) this loop ran 1.2 to 1.6 times as fast as
// cblas_sgemm with its AVX-512 kernels on the workplace's EPYC (20 us against
// 33 us for 16 rows, k = 128, 512 columns). A 4 x 16 block of C lives in eight 8-lane FMA
// accumulators: two loads of B and four broadcasts of A per step of k.

/// B (k x 16·count) as `count` panels of k x 16, each row of a panel contiguous.
struct PackedPanels {
    let base: UnsafePointer<Float>
    let k: Int
    let count: Int
}

/// Packs B (k x n, n a multiple of 16), element (i, j) at b[i * rowStride + j * colStride]
/// (so B or a transposed matrix), into `out` (k * n floats).
func packPanels(_ b: UnsafePointer<Float>, k: Int, n: Int, rowStride: Int, colStride: Int,
                into out: UnsafeMutablePointer<Float>) -> PackedPanels {
    let count = n / 16
    for p in 0..<count {
        let panel = out + p &* k &* 16
        for i in 0..<k {
            let src = b + i &* rowStride + p &* 16 &* colStride, dst = panel + i &* 16
            for j in 0..<16 { dst[j] = src[j &* colStride] }
        }
    }
    return PackedPanels(base: UnsafePointer(out), k: k, count: count)
}

/// Writes v to p, or adds it to what p holds.
@inline(__always) private func put8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>, _ accumulate: Bool) {
    let r = UnsafeMutableRawPointer(p)
    r.storeBytes(of: accumulate ? r.loadUnaligned(as: SIMD8<Float>.self) + v : v, as: SIMD8<Float>.self)
}

/// C (m x 16·b.count) (+)= A (m x b.k, row stride lda) @ B. C's columns come in groups of
/// `groupCols` (a multiple of 16) that lie `groupStride` apart: column j of row r is at
/// c[r * ldc + (j / groupCols) * groupStride + j % groupCols] (an LSTM's gates, each
/// [rows][n], in one buffer; groupCols = all columns for a plain matrix).
func packedProduct(_ m: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: PackedPanels,
                   _ c: UnsafeMutablePointer<Float>, _ ldc: Int, groupCols: Int, groupStride: Int,
                   accumulate: Bool) {
    let k = b.k
    for p in 0..<b.count {
        let panel = b.base + p &* k &* 16
        let col = p &* 16
        let cp = c + (col / groupCols) &* groupStride + col % groupCols
        var r = 0
        while r &+ 4 <= m {
            let a0 = a + r &* lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
            var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
            var bq = panel
            for i in 0..<k {
                let b0 = load8(bq), b1 = load8(bq + 8)
                let x0 = SIMD8<Float>(repeating: a0[i]), x1 = SIMD8<Float>(repeating: a1[i])
                let x2 = SIMD8<Float>(repeating: a2[i]), x3 = SIMD8<Float>(repeating: a3[i])
                c00.addProduct(x0, b0); c01.addProduct(x0, b1)
                c10.addProduct(x1, b0); c11.addProduct(x1, b1)
                c20.addProduct(x2, b0); c21.addProduct(x2, b1)
                c30.addProduct(x3, b0); c31.addProduct(x3, b1)
                bq += 16
            }
            let c0 = cp + r &* ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            put8(c0, c00, accumulate); put8(c0 + 8, c01, accumulate)
            put8(c1, c10, accumulate); put8(c1 + 8, c11, accumulate)
            put8(c2, c20, accumulate); put8(c2 + 8, c21, accumulate)
            put8(c3, c30, accumulate); put8(c3 + 8, c31, accumulate)
            r &+= 4
        }
        while r < m {
            let a0 = a + r &* lda
            var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
            var bq = panel
            for i in 0..<k {
                let x0 = SIMD8<Float>(repeating: a0[i])
                c00.addProduct(x0, load8(bq)); c01.addProduct(x0, load8(bq + 8))
                bq += 16
            }
            let c0 = cp + r &* ldc
            put8(c0, c00, accumulate); put8(c0 + 8, c01, accumulate)
            r &+= 1
        }
    }
}

/// A pointer to S known to be Float (the callers check S.self == Float.self).
@inline(__always) func floats<S>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
@inline(__always) func floats<S>(reading p: UnsafePointer<S>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}
