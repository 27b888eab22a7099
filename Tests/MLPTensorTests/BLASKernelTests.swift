// The products on the OpenBLAS core this process runs (older OpenBLAS builds are known
// to compute wrong results on some processors) against a plain triple loop in double
// precision: float64 and float32, every transpose, alpha and beta, at 1, 2 and 3 product
// threads, over sizes that are no multiple of any kernel's block (odd, prime, one row,
// one column) and large enough to leave the small-product loop for the packed kernels.
// And the choice of core (BLASKernels) from a processor's flags.
import MLPTensor
import XCTest
import MLPTestSupport

final class BLASKernelTests: XCTestCase {
    static let shapes = [(1, 1, 1), (2, 3, 5), (7, 1, 9), (1, 257, 1), (1, 300, 257), (257, 300, 1), (17, 33, 91),
                         (63, 65, 67), (97, 113, 89), (96, 128, 80), (131, 257, 67), (31, 1000, 33), (513, 67, 31)]

    /// C = alpha op(A) op(B) + beta C in Double with plain loops (row-major; op(A) is m x k).
    static func reference(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                          _ a: [Double], _ b: [Double], _ beta: Double, _ c: [Double]) -> (value: [Double], size: [Double]) {
        var out = [Double](repeating: 0, count: m * n), size = out
        for i in 0..<m { for j in 0..<n {
            var s = 0.0, z = 0.0
            for p in 0..<k {
                let x = ta ? a[p * m + i] : a[i * k + p], y = tb ? b[j * k + p] : b[p * n + j]
                s += x * y; z += abs(x * y)
            }
            out[i * n + j] = alpha * s + beta * c[i * n + j]
            size[i * n + j] = abs(alpha) * z + abs(beta * c[i * n + j])
        } }
        return (out, size)
    }

    /// Every shape, transpose pair and (alpha, beta): one reference, then float64 and
    /// float32 on 1 and 2 product threads.
    func testProductsAgainstPlainLoops() throws {
        TestRandom.seed(41)
        func values(_ count: Int) throws -> [Double] { try Tensor.randn([count]).scalars.map { Double(Float($0)) } }
        let (oldThreads, oldWork) = (BLASThreads.count, splitProductWork)
        defer { BLASThreads.count = oldThreads; splitProductWork = oldWork }
        for (m, k, n) in Self.shapes { for ta in [false, true] { for tb in [false, true] {
            for (alpha, beta) in [(1.0, 0.0), (-0.5, 2.0)] {
                // values exact in float32, so both precisions multiply the same numbers
                let a = try values(m * k), b = try values(k * n), c = try values(m * n)
                let (want, size) = Self.reference(ta, tb, m, n, k, alpha, a, b, beta, c)
                let lda = ta ? m : k, ldb = tb ? k : n
                // threads 2 as mlp splits, then 2 and 3 splitting whatever the size
                for float in [false, true] { for (threads, always) in [(1, false), (2, false), (2, true), (3, true)] {
                    BLASThreads.count = threads
                    splitProductWork = always ? 1 : oldWork
                    var got: [Double]
                    if float {
                        let fa = a.map(Float.init), fb = b.map(Float.init)
                        var fc = c.map(Float.init)
                        Tensor.blasProduct(transposeA: ta, transposeB: tb, m, n, k, alpha: Float(alpha), fa, lda, fb, ldb,
                                           beta: Float(beta), &fc, n)
                        got = fc.map(Double.init)
                    } else {
                        got = c
                        Tensor.blasProduct(transposeA: ta, transposeB: tb, m, n, k, alpha: alpha, a, lda, b, ldb, beta: beta, &got, n)
                    }
                    // rounding error bound of a k-term sum: about k eps times the sum of the terms' sizes
                    let eps = float ? 6e-8 : 1.2e-16
                    var worst = 0.0
                    for i in 0..<(m * n) { worst = max(worst, abs(got[i] - want[i]) / ((Double(k) + 2) * eps * size[i] + 1e-300)) }
                    XCTAssertLessThanOrEqual(worst, 1, "\(float ? "float32" : "float64") \(m)x\(k)x\(n) transposes \(ta) \(tb) "
                                             + "alpha \(alpha) beta \(beta) on \(threads) threads\(always ? " (split)" : ""), core \(BLASKernels.coreName)")
                } }
            }
        } } }
    }

    /// A split product gives the same bits every time: its blocks are fixed by the sizes and
    /// the thread count. Blocks of other sizes change the last bits of some entries (measured
    /// 2026-12-07 on Debian's OpenBLAS 0.3.21: a 300 x 257 x 301 product cut at any multiple of
    /// 8 to 128 rows or columns, float32 on the Haswell kernels, float64 on Cooperlake), so a
    /// split that followed timings (the threads' speeds, parts handed out as threads free up)
    /// would make a seeded program's numbers differ from run to run (docs/architecture.md).
    func testSplitProductIsReproducible() throws {
        TestRandom.seed(43)
        let (oldThreads, oldWork) = (BLASThreads.count, splitProductWork)
        defer { BLASThreads.count = oldThreads; splitProductWork = oldWork }
        splitProductWork = 1
        for (m, k, n) in [(300, 257, 301), (513, 67, 129), (64, 1000, 200)] { for threads in [2, 3] {
            BLASThreads.count = threads
            let a = try Tensor.randn([m * k]).scalars, b = try Tensor.randn([k * n]).scalars
            let fa = a.map(Float.init), fb = b.map(Float.init)
            func product() -> ([Double], [Float]) {
                var c = [Double](repeating: 0, count: m * n), fc = [Float](repeating: 0, count: m * n)
                Tensor.blasProduct(transposeA: false, transposeB: false, m, n, k, alpha: 1, a, k, b, n, beta: 0, &c, n)
                Tensor.blasProduct(transposeA: false, transposeB: false, m, n, k, alpha: 1, fa, k, fb, n, beta: 0, &fc, n)
                return (c, fc)
            }
            let first = product()
            for _ in 0..<5 {
                let again = product()
                XCTAssertTrue(again.0 == first.0 && again.1 == first.1, "\(m)x\(k)x\(n) on \(threads) threads, core \(BLASKernels.coreName)")
            }
        } }
    }

    func testCoreChoiceFromFlags() {
        let avx2: Set<Substring> = ["sse2", "avx", "avx2", "fma"]
        let avx512 = avx2.union(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
        XCTAssertEqual(BLASKernels.bestCore(flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASKernels.bestCore(flags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASKernels.bestCore(flags: avx512.subtracting(["avx512vl"])), "Haswell")
        XCTAssertEqual(BLASKernels.bestCore(flags: avx2), "Haswell")
        XCTAssertEqual(BLASKernels.bestCore(flags: ["avx", "sse2"]), "Sandybridge")
        XCTAssertNil(BLASKernels.bestCore(flags: ["sse2", "sse3"]))
        XCTAssertNil(BLASKernels.bestCore(flags: []))
        // a newer processor the library falls back on Prescott for
        XCTAssertEqual(BLASKernels.override(current: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASKernels.override(current: "Nehalem", flags: avx2), "Haswell")
        XCTAssertEqual(BLASKernels.override(current: "Haswell", flags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASKernels.override(current: "Zen", flags: avx512), "SkylakeX")
        // already as strong as the processor allows: nothing to do
        XCTAssertNil(BLASKernels.override(current: "Cooperlake", flags: avx512.union(["avx512_bf16"])))
        XCTAssertNil(BLASKernels.override(current: "SkylakeX", flags: avx512.union(["avx512_bf16"])))
        XCTAssertNil(BLASKernels.override(current: "Haswell", flags: avx2))
        XCTAssertNil(BLASKernels.override(current: "Prescott", flags: []))
        XCTAssertEqual(BLASKernels.level(ofCore: "SAPPHIRERAPIDS"), 3)
        XCTAssertEqual(BLASKernels.level(ofCore: "Prescott"), 0)
    }
}
