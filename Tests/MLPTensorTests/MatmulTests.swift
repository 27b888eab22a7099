import MLPTensor
import XCTest
import MLPTestSupport

final class MatmulTests: XCTestCase {
    func testAgainstNaive() throws {
        TestRandom.seed(1)
        for (m, k, n) in [(1, 1, 1), (2, 3, 4), (7, 5, 3), (8, 8, 8), (17, 33, 9), (64, 70, 65), (3, 100, 2)] {
            let a = try Tensor.randn([m, k]), b = try Tensor.randn([k, n])
            assertClose(try Tensor.matmul(a, b), naiveMatmul(a, b), tol: 1e-12)
        }
    }

    func testVectorCases() throws {
        TestRandom.seed(2)
        let a = try Tensor.randn([20, 30]), v = try Tensor.randn([30]), w = try Tensor.randn([20])
        let mv = try Tensor.matmul(a, v)
        XCTAssertEqual(mv.shape, [20])
        assertClose(mv, try naiveMatmul(a, v.reshaped([30, 1])).reshaped([20]))
        let vm = try Tensor.matmul(w, a)
        XCTAssertEqual(vm.shape, [30])
        assertClose(vm, try naiveMatmul(w.reshaped([1, 20]), a).reshaped([30]))
        let d = try Tensor.matmul(T([1, 2, 3], [3]), T([4, 5, 6], [3]))
        XCTAssertEqual(d, Tensor(scalar: 32))
        XCTAssertEqual(try Tensor.dot(T([1, 2, 3], [3]), T([4, 5, 6], [3])), Tensor(scalar: 32))
        XCTAssertEqual(try Tensor.matmul(T([1, 2, 3, 4], [2, 2]), T([1, 1], [2])), T([3, 7], [2]))
    }

    func testBatched() throws {
        TestRandom.seed(3)
        let a = try Tensor.randn([2, 3, 4, 5]), b = try Tensor.randn([3, 5, 6])
        let c = try Tensor.matmul(a, b)
        XCTAssertEqual(c.shape, [2, 3, 4, 6])
        for i in 0..<2 { for j in 0..<3 {
            let ai = try a.get(.at(i), .at(j)), bj = try b.get(.at(j))
            assertClose(try c.get(.at(i), .at(j)), naiveMatmul(ai, bj))
        } }
        // (..., m, k) @ (k, n)
        let w = try Tensor.randn([5, 2])
        let d = try Tensor.matmul(a, w)
        XCTAssertEqual(d.shape, [2, 3, 4, 2])
        assertClose(try d.get(.at(1), .at(2)), naiveMatmul(try a.get(.at(1), .at(2)), w))
        // broadcast the left operand's batch
        let e = try Tensor.matmul(try Tensor.randn([4, 5]), b)
        XCTAssertEqual(e.shape, [3, 4, 6])
        // batched with a vector
        XCTAssertEqual(try Tensor.matmul(b, try Tensor.ones([6])).shape, [3, 5])
        XCTAssertEqual(try Tensor.matmul(try Tensor.ones([5]), b).shape, [3, 6])
    }

    func testErrors() throws {
        assertThrows("matmul: shapes [2, 3] and [2, 3] do not align (3 != 2).") { try Tensor.matmul(Tensor.ones([2, 3]), Tensor.ones([2, 3])) }
        assertThrows("matmul: shapes [3] and [4] do not align (3 != 4).") { try Tensor.matmul(Tensor.ones([3]), Tensor.ones([4])) }
        assertThrows("matmul: batch shapes [2] and [3] cannot be broadcast.") { try Tensor.matmul(Tensor.ones([2, 2, 2]), Tensor.ones([3, 2, 2])) }
        assertThrows("matmul: operands must have at least one dimension, got shapes [] and [2].") { try Tensor.matmul(Tensor(scalar: 1), Tensor.ones([2])) }
        assertThrows("dot: shapes [3] and [4] do not align (3 != 4).") { try Tensor.dot(Tensor.ones([3]), Tensor.ones([4])) }
        XCTAssertEqual(try Tensor.matmul(Tensor.ones([2, 0]), Tensor.ones([0, 3])), try Tensor.zeros([2, 3]))
    }

    func testTransposedOperands() throws {
        TestRandom.seed(5)
        let a = try Tensor.randn([7, 5]), b = try Tensor.randn([6, 5]), c = try Tensor.randn([7, 4])
        assertClose(try Tensor.matmul(a, b, transposeA: false, transposeB: true), naiveMatmul(a, try b.transposed()))
        assertClose(try Tensor.matmul(a, c, transposeA: true, transposeB: false), naiveMatmul(try a.transposed(), c))
        let d = try Tensor.randn([3, 7])
        assertClose(try Tensor.matmul(a, d, transposeA: true, transposeB: true), naiveMatmul(try a.transposed(), try d.transposed()))
        assertThrows("matmul: shapes [7, 5] and [6, 5] do not align (5 != 6).") {
            try Tensor.matmul(a, b, transposeA: false, transposeB: false)
        }
        assertThrows("matmul: shapes [5, 7] and [6, 5] do not align (7 != 6).") {
            try Tensor.matmul(a, b, transposeA: true, transposeB: false)
        }
    }

    func testDotOuterKron() throws {
        let A = try Tensor.arange(0, 24).reshaped([2, 3, 4]), B = try Tensor.arange(0, 12).reshaped([3, 4])
        let d = try Tensor.dot(A, B.transposed())
        XCTAssertEqual(d.shape, [2, 3, 3])
        XCTAssertEqual(d, try Tensor.matmul(A, B.transposed()))
        XCTAssertEqual(try Tensor.dot(A, Tensor.arange(0, 8).reshaped([2, 4, 1])).shape, [2, 3, 2, 1])
        XCTAssertEqual(try Tensor.dot(Tensor(scalar: 2), T([1, 2], [2])), T([2, 4], [2]))
        XCTAssertEqual(try Tensor.outer(T([1, 2], [2]), T([1, 10, 100], [3])), T([1, 10, 100, 2, 20, 200], [2, 3]))
        XCTAssertEqual(try Tensor.kron(T([1, 2, 3, 4], [2, 2]), T([0, 1, 1, 0], [2, 2])),
                       try Tensor(rows: [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]))
    }
}
