// Every matrix-product path against a plain reference loop at 1, 2 and 3 product
// threads, over shapes with fewer rows than columns, more, as many, and odd sizes.
// A block split by columns once handed its own width to BLAS as the leading
// dimension: every entry was wrong on 2 threads while all tests ran on one.
import MLPTensor
import XCTest
import MLPTestSupport

final class ThreadedProductTests: XCTestCase {
    /// (m, k, n): m < n, m > n, m = n, odd, and the shape of the outside report.
    static let shapes = [(64, 300, 128), (128, 300, 64), (96, 96, 96), (17, 33, 91), (91, 33, 17), (37, 41, 37), (3, 100, 250)]

    /// body on `threads` product threads, splitting whatever the size when `always`.
    static func onThreads<R>(_ threads: Int, always: Bool, _ body: () throws -> R) rethrows -> R {
        let (oldThreads, oldWork) = (BLASThreads.count, splitProductWork)
        BLASThreads.count = threads
        if always { splitProductWork = 1 }
        defer { BLASThreads.count = oldThreads; splitProductWork = oldWork }
        return try body()
    }

    func transposed(_ t: Tensor) throws -> Tensor { try t.transposed() }

    func testEveryPathAtOneTwoAndThreeThreads() throws {
        TestRandom.seed(12)
        for (m, k, n) in Self.shapes {
            let a = try Tensor.randn([m, k]), b = try Tensor.randn([k, n])
            let want = naiveMatmul(a, b)
            let at = try transposed(a), bt = try transposed(b)
            for threads in [1, 2, 3] {
                for always in [false, true] {
                    try Self.onThreads(threads, always: always) {
                        let tag = "\(m)x\(k)x\(n) on \(threads) threads\(always ? ", always split" : "")"
                        assertClose(try Tensor.matmul(a, b), want, tol: 1e-12, message: tag)
                        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                            let x = ta ? at : a, y = tb ? bt : b
                            assertClose(try Tensor.matmul(x, y, transposeA: ta, transposeB: tb), want, tol: 1e-12,
                                        message: "\(tag), transposes \(ta) \(tb)")
                            // float32: relative to the size of the terms (sqrt(k) for unit normals)
                            assertClose(try Tensor.matmulFloat32(x, y, transposeA: ta, transposeB: tb), want,
                                        tol: 1e-5 * Double(k).squareRoot(), message: "float32 \(tag), transposes \(ta) \(tb)")
                        }
                    }
                }
            }
        }
    }

    /// Batched operands go through the same GEMM per matrix and through one GEMM for (..., m, k) @ (k, n).
    func testBatchedProductsOnThreeThreads() throws {
        TestRandom.seed(13)
        let a = try Tensor.randn([2, 17, 40]), w = try Tensor.randn([40, 90]), b = try Tensor.randn([2, 40, 90])
        try Self.onThreads(3, always: true) {
            let c = try Tensor.matmul(a, w), d = try Tensor.matmul(a, b)
            for i in 0..<2 {
                let ai = try a.get(.at(i))
                assertClose(try c.get(.at(i)), naiveMatmul(ai, w), tol: 1e-12)
                assertClose(try d.get(.at(i)), naiveMatmul(ai, try b.get(.at(i))), tol: 1e-12)
            }
        }
    }

    /// A polled product runs in blocks of rows (and per batch matrix) with the same
    /// result, calls the poll between blocks, and stops with what the poll throws.
    func testPolledProductsRunInBlocks() throws {
        TestRandom.seed(14)
        let old = pollProductWork
        pollProductWork = 5000
        defer { pollProductWork = old }
        let a = try Tensor.randn([2, 37, 40]), w = try Tensor.randn([40, 30]), b = try Tensor.randn([2, 40, 30])
        var polls = 0
        assertClose(try Tensor.matmul(a, w) { polls += 1 }, try Tensor.matmul(a, w), tol: 1e-13)
        XCTAssertEqual(polls, 18)   // 74 rows of 1200 multiply-adds, 4 rows a block: 19 blocks, 18 polls between
        polls = 0
        assertClose(try Tensor.matmul(a, b) { polls += 1 }, try Tensor.matmul(a, b), tol: 1e-13)
        XCTAssertEqual(polls, 1)    // between the two matrices of the batch
        struct Stop: Error {}
        XCTAssertThrowsError(try Tensor.matmul(a, w) { throw Stop() }) { XCTAssertTrue($0 is Stop) }
    }
}
