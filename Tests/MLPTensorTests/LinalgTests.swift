import MLPTensor
import XCTest
import MLPTestSupport

final class LinalgTests: XCTestCase {
    func randomSPD(_ n: Int) throws -> Tensor {
        let r = try Tensor.randn([n, n])
        return try Tensor.matmul(r, r.transposed()) + Tensor.eye(n) * Double(n)
    }

    func testSolveInvDet() throws {
        TestRandom.seed(10)
        for n in [1, 2, 5, 30] {
            let a = try Tensor.randn([n, n]), b = try Tensor.randn([n]), bm = try Tensor.randn([n, 3])
            let x = try Tensor.solve(a, b)
            assertClose(try Tensor.matmul(a, x), b, tol: 1e-10)
            let xm = try Tensor.solve(a, bm)
            XCTAssertEqual(xm.shape, [n, 3])
            assertClose(try Tensor.matmul(a, xm), bm, tol: 1e-10)
            let ai = try a.inv()
            assertClose(try Tensor.matmul(a, ai), try Tensor.eye(n), tol: 1e-10)
            assertClose(try Tensor.matmul(ai, a), try Tensor.eye(n), tol: 1e-10)
        }
        XCTAssertEqual(try T([1, 2, 3, 4], [2, 2]).det(), -2, accuracy: 1e-12)
        XCTAssertEqual(try T([2, 0, 0, 0, 3, 0, 0, 0, 4], [3, 3]).det(), 24, accuracy: 1e-12)
        XCTAssertEqual(try T([0, 1, 1, 0], [2, 2]).det(), -1, accuracy: 1e-12)
        XCTAssertEqual(try T([1, 2, 2, 4], [2, 2]).det(), 0, accuracy: 1e-12)
        // numpy: det of this 3x3 = -306.0
        XCTAssertEqual(try T([6, 1, 1, 4, -2, 5, 2, 8, 7], [3, 3]).det(), -306, accuracy: 1e-9)
        assertThrows("solve: matrix is singular.") { try Tensor.solve(T([1, 2, 2, 4], [2, 2]), T([1, 1], [2])) }
        assertThrows("inv: matrix is singular.") { try T([1, 2, 2, 4], [2, 2]).inv() }
        assertThrows("inv: expected a square matrix, got shape [2, 3].") { try Tensor.zeros([2, 3]).inv() }
        assertThrows("solve: shapes [2, 2] and [3] do not align.") { try Tensor.solve(Tensor.eye(2), Tensor.ones([3])) }
    }

    func testEigh() throws {
        TestRandom.seed(11)
        for n in [1, 3, 12] {
            let r = try Tensor.randn([n, n])
            let a = try (r + r.transposed()) * 0.5
            let (w, v) = try a.eigh()
            XCTAssertEqual(w.shape, [n]); XCTAssertEqual(v.shape, [n, n])
            for i in 1..<n { XCTAssertLessThanOrEqual(w[i - 1], w[i]) }
            for j in 0..<n {
                let vj = try v.get(.all, .at(j))
                assertClose(try Tensor.matmul(a, vj), try vj * w[j], tol: 1e-10)
                XCTAssertEqual(try vj.norm().item(), 1, accuracy: 1e-12)
            }
            assertClose(try Tensor.matmul(v.transposed(), v), try Tensor.eye(n), tol: 1e-10)
        }
        let (w, _) = try T([2, 1, 1, 2], [2, 2]).eigh()
        assertClose(w, T([1, 3], [2]))
    }

    func testSVD() throws {
        TestRandom.seed(12)
        for (m, n) in [(4, 3), (3, 5), (6, 6), (1, 4)] {
            let a = try Tensor.randn([m, n]), k = Swift.min(m, n)
            let (u, s, vt) = try a.svd()
            XCTAssertEqual(u.shape, [m, m]); XCTAssertEqual(s.shape, [k]); XCTAssertEqual(vt.shape, [n, n])
            let (u2, s2, vt2) = try a.svd(fullMatrices: false)
            XCTAssertEqual(u2.shape, [m, k]); XCTAssertEqual(vt2.shape, [k, n])
            let us = try u2 * s2   // scale columns
            assertClose(try Tensor.matmul(us, vt2), a, tol: 1e-10)
            assertClose(s, s2)
            for i in 1..<k { XCTAssertGreaterThanOrEqual(s[i - 1], s[i]) }
            // full: U S Vt with S padded
            var sm = try Tensor.zeros([m, n])
            for i in 0..<k { sm[i, i] = s[i] }
            assertClose(try Tensor.matmul(Tensor.matmul(u, sm), vt), a, tol: 1e-10)
            assertClose(try Tensor.matmul(u.transposed(), u), try Tensor.eye(m), tol: 1e-10)
            assertClose(try Tensor.matmul(vt, vt.transposed()), try Tensor.eye(n), tol: 1e-10)
        }
    }

    func testCholesky() throws {
        TestRandom.seed(13)
        for n in [1, 4, 20] {
            let a = try randomSPD(n)
            let l = try a.cholesky()
            for i in 0..<n { for j in (i + 1)..<n where j < n { XCTAssertEqual(l[i, j], 0) } }
            assertClose(try Tensor.matmul(l, l.transposed()), a, tol: 1e-10)
        }
        assertClose(try T([4, 2, 2, 3], [2, 2]).cholesky(), T([2, 0, 1, 1.4142135623730951], [2, 2]))
        assertThrows("cholesky: matrix is not positive definite.") { try T([1, 2, 2, 1], [2, 2]).cholesky() }
    }

    func testNonFiniteRefused() throws {
        let bad = T([1, .nan, 0, 1], [2, 2])
        assertThrows("eigh: matrix contains nan or inf.") { try bad.eigh() }
        assertThrows("svd: matrix contains nan or inf.") { try bad.svd() }
        assertThrows("cholesky: matrix contains nan or inf.") { try T([.infinity, 0, 0, 1], [2, 2]).cholesky() }
        assertThrows("lstsq: matrix contains nan or inf.") { try Tensor.lstsq(bad, T([1, 1], [2])) }
        XCTAssertTrue(try bad.inv().scalars.contains { $0.isNaN })
    }

    func testLstsq() throws {
        TestRandom.seed(14)
        // exact system
        let a = try Tensor.randn([5, 5]), b = try Tensor.randn([5])
        assertClose(try Tensor.lstsq(a, b).x, try Tensor.solve(a, b), tol: 1e-10)
        // overdetermined: normal equations A^T A x = A^T b
        let c = try Tensor.randn([10, 3]), d = try Tensor.randn([10, 2])
        let (x, rank, s) = try Tensor.lstsq(c, d)
        XCTAssertEqual(x.shape, [3, 2]); XCTAssertEqual(rank, 3); XCTAssertEqual(s.shape, [3])
        let ct = try c.transposed()
        assertClose(try Tensor.matmul(Tensor.matmul(ct, c), x), try Tensor.matmul(ct, d), tol: 1e-10)
        // line fit y = 2x + 1
        let xs = try Tensor.arange(0, 5)
        let ys = try xs * 2 + 1
        let A = try Tensor.stack([xs, Tensor.ones([5])], axis: 1)
        assertClose(try Tensor.lstsq(A, ys).x, T([2, 1], [2]), tol: 1e-10)
        // underdetermined: minimum norm
        let u = try Tensor.lstsq(T([1, 1], [1, 2]), T([2], [1]))
        assertClose(u.x, T([1, 1], [2]), tol: 1e-10)
        XCTAssertEqual(u.rank, 1)
    }
}
