import MLPTensor
import XCTest
import MLPTestSupport

final class ReduceTests: XCTestCase {
    let x = T([1, 5, 2, 4, 0, 6], [2, 3])

    func check(_ op: Tensor.ReduceOp, _ all: Double, _ ax0: [Double], _ ax1: [Double], file: StaticString = #filePath, line: UInt = #line) throws {
        assertClose(try x.reduce(op), Tensor(scalar: all), file: file, line: line)
        assertClose(try x.reduce(op, axis: 0), T(ax0, [3]), file: file, line: line)
        assertClose(try x.reduce(op, axis: 1), T(ax1, [2]), file: file, line: line)
        assertClose(try x.reduce(op, axis: -1), T(ax1, [2]), file: file, line: line)
        assertClose(try x.reduce(op, axis: -2, keepdims: true), T(ax0, [1, 3]), file: file, line: line)
        assertClose(try x.reduce(op, axis: 1, keepdims: true), T(ax1, [2, 1]), file: file, line: line)
        assertClose(try x.reduce(op, keepdims: true), T([all], [1, 1]), file: file, line: line)
    }

    func testAlongEachAxis() throws {
        try check(.sum, 18, [5, 5, 8], [8, 10])
        try check(.mean, 3, [2.5, 2.5, 4], [2.6666666666666665, 3.3333333333333335])
        try check(.var, 4.666666666666667, [2.25, 6.25, 4], [2.8888888888888893, 6.222222222222222])
        try check(.std, 2.160246899469287, [1.5, 2.5, 2], [1.699673171197595, 2.494438257849294])
        try check(.min, 0, [1, 0, 2], [1, 0])
        try check(.max, 6, [4, 5, 6], [5, 6])
        try check(.argmax, 5, [1, 0, 1], [1, 2])
        try check(.argmin, 4, [0, 1, 0], [0, 1])
        try check(.prod, 0, [4, 0, 12], [10, 0])
        try check(.logsumexp, 6.42575589236219, [4.048587351573742, 5.006715348489118, 6.0181499279178094], [5.065883903757429, 6.129108908829851])
        try check(.norm, 9.055385138137417, [4.123105625617661, 5.0, 6.324555320336759], [5.477225575051661, 7.211102550927978])
    }

    func testThreeDimensional() throws {
        let t = try Tensor.arange(0, 24).reshaped([2, 3, 4])
        XCTAssertEqual(try t.sum(axis: 0), T([12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34], [3, 4]))
        XCTAssertEqual(try t.sum(axis: 1), T([12, 15, 18, 21, 48, 51, 54, 57], [2, 4]))
        XCTAssertEqual(try t.sum(axis: 2), T([6, 22, 38, 54, 70, 86], [2, 3]))
        XCTAssertEqual(try t.max(axis: 1), T([8, 9, 10, 11, 20, 21, 22, 23], [2, 4]))
        XCTAssertEqual(try t.sum().shape, [])
        XCTAssertEqual(t.sumAll(), 276)
        let big = try Tensor.arange(0, 1001)
        XCTAssertEqual(big.sumAll(), 500500)
        XCTAssertEqual(try big.mean().item(), 500)
    }

    func testEdgeCases() throws {
        assertThrows("sum: axis 2 is out of bounds for a tensor of dimension 2.") { try self.x.sum(axis: 2) }
        assertThrows("max: zero-size tensor has no max.") { try Tensor.zeros([0]).max() }
        XCTAssertEqual(try Tensor.zeros([0, 3]).sum(axis: 0), T([0, 0, 0], [3]))
        XCTAssertEqual(try Tensor.zeros([0]).sum().item(), 0)
        XCTAssertTrue(try T([1, .nan, 3], [3]).max().item().isNaN)
        XCTAssertEqual(try T([1, .nan, 3], [3]).argmax().item(), 1)
        XCTAssertEqual(try T([-.infinity, -.infinity], [2]).logsumexp().item(), -.infinity)
        XCTAssertEqual(try T([1000, 1000], [2]).logsumexp().item(), 1000 + 0.6931471805599453, accuracy: 1e-12)
        XCTAssertEqual(try Tensor(scalar: 3).sum().item(), 3)
    }

    func testSoftmaxCumsumSort() throws {
        assertClose(try x.softmax(), T([0.01714782554552039, 0.9362395518765058, 0.0466126225779739, 0.11894323591065209, 0.002178521357197023, 0.8788782427321509], [2, 3]))
        assertClose(try x.softmax(axis: 0), T([0.04742587317756679, 0.9933071490757153, 0.017986209962091555, 0.9525741268224334, 0.006692850924284856, 0.9820137900379085], [2, 3]))
        let s = try T([1000, 1001, 1002], [3]).softmax()
        assertClose(s, T([0.09003057317038046, 0.24472847105479764, 0.6652409557748219], [3]))
        assertClose(try x.logSoftmax(), try x.softmax().log())
        TestRandom.seed(3)
        let big = try Tensor.randn([3, 37]) * 5
        let sm = try big.softmax()
        let ref = try big.softmax(axis: 0).transposed()   // strided path on the transpose
        assertClose(try big.transposed().softmax(axis: 0).transposed(), sm, tol: 1e-14)
        XCTAssertEqual(ref.shape, [37, 3])
        assertClose(try sm.sum(axis: 1), try Tensor.ones([3]), tol: 1e-14)
        XCTAssertEqual(try x.cumsum(axis: 1), T([1, 6, 8, 4, 4, 10], [2, 3]))
        XCTAssertEqual(try x.cumsum(axis: 0), T([1, 5, 2, 5, 5, 8], [2, 3]))
        XCTAssertEqual(try x.cumsum(), T([1, 6, 8, 12, 12, 18], [6]))
        XCTAssertEqual(try x.sort(), T([1, 2, 5, 0, 4, 6], [2, 3]))
        XCTAssertEqual(try x.sort(axis: 0), T([1, 0, 2, 4, 5, 6], [2, 3]))
        XCTAssertEqual(try x.argsort(), T([0, 2, 1, 1, 0, 2], [2, 3]))
        XCTAssertEqual(try x.argsort(axis: 0), T([0, 1, 0, 1, 0, 1], [2, 3]))
        XCTAssertEqual(try T([2, 1, 2, 1], [4]).argsort(), T([1, 3, 0, 2], [4]))
        let n = try T([3, .nan, 1], [3]).sort()
        XCTAssertEqual(Array(n.scalars.prefix(2)), [1, 3]); XCTAssertTrue(n[flat: 2].isNaN)
    }
}
