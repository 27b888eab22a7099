import MLPTensor
import XCTest

/// Every operation on awkward inputs either returns or throws a TensorError; nothing traps.
final class RobustnessTests: XCTestCase {
    let samples: [Tensor] = [
        Tensor(scalar: 2), T([], [0]), T([], [0, 3]), T([], [3, 0]), T([], [2, 0, 2]), T([5], [1]),
        T([1, .nan, -.infinity, .infinity], [4]), T([1, 2, 3, 4, 5, 6], [2, 3]), T([1, 2, 3, 4], [2, 2]),
        T([0, 1, 2, 3, 4, 5, 6, 7], [2, 1, 4]), T([1], [1, 1, 1]),
    ]

    var attempts = 0, failures = 0

    func attempt(_ body: () throws -> Any) {
        attempts += 1
        do { _ = try body() } catch is TensorError { failures += 1; return } catch { XCTFail("unexpected error type \(error)") }
    }

    func testNoTraps() throws {
        let axes: [Int?] = [nil, 0, 1, -1, 2, -3, 5]
        for a in samples {
            _ = a.description
            for op in Tensor.UnaryOp.allCases { attempt { try a.map(op) } }
            for op in Tensor.ReduceOp.allCases { for ax in axes { for k in [false, true] { attempt { try a.reduce(op, axis: ax, keepdims: k) } } } }
            for ax in [0, 1, -1, 3] {
                attempt { try a.softmax(axis: ax) }; attempt { try a.logSoftmax(axis: ax) }
                attempt { try a.sort(axis: ax) }; attempt { try a.argsort(axis: ax) }
                attempt { try a.cumsum(axis: ax) }; attempt { try a.flip(axis: ax) }; attempt { try a.roll(-7, axis: ax) }
                attempt { try a.squeeze(axis: ax) }; attempt { try a.unsqueeze(axis: ax) }
                attempt { try a.split(sections: 2, axis: ax) }; attempt { try a.split(indices: [-1, 5, 1], axis: ax) }
                attempt { try a.repeated(2, axis: ax) }; attempt { try Tensor.concat([a, a], axis: ax) }
                attempt { try Tensor.stack([a, a], axis: ax) }
            }
            attempt { try a.cumsum() }; attempt { try a.flip() }; attempt { try a.roll(3) }; attempt { try a.repeated(0) }
            attempt { try a.tile([2, 0]) }; attempt { try a.reshaped([-1]) }; attempt { try a.reshaped([-1, 0]) }
            attempt { try a.transposed() }; attempt { try a.permute([1, 0]) }; _ = a.flatten(); attempt { try a.squeeze() }
            attempt { try a.inv() }; attempt { try a.det() }; attempt { try a.eigh() }; attempt { try a.svd() }
            attempt { try a.svd(fullMatrices: false) }; attempt { try a.cholesky() }; attempt { try a.diag() }; attempt { try a.trace() }
            attempt { try Tensor.onehot(a, 3) }; attempt { try a.item() }; attempt { try a.row(0) }
            for idx: [TensorIndex] in [[.at(0)], [.at(-1), .at(0)], [.slice(nil, nil, -1)], [.slice(5, -5, 2), .all],
                                       [.indices(T([0, -1], [2]))], [.mask(try Tensor.binary(.gt, a, 1))], [.all, .indices(T([1], [1]))],
                                       [.mask(T([1], [1]))], [.indices(T([], [0]))]] {
                attempt { try a.get(idx) }
                var b = a
                attempt { try b.set(idx, 9) }
                attempt { try b.set(idx, T([1, 2], [2])) }
            }
            for b in samples {
                for op in Tensor.BinaryOp.allCases { attempt { try Tensor.binary(op, a, b) } }
                attempt { try Tensor.matmul(a, b) }; attempt { try Tensor.dot(a, b) }; attempt { try Tensor.outer(a, b) }
                attempt { try Tensor.kron(a, b) }; attempt { try Tensor.solve(a, b) }; attempt { try Tensor.lstsq(a, b) }
                attempt { try Tensor.where(a, b, a) }; attempt { try a.sum(to: b.shape) }
                attempt { try Tensor.matmul(a, b, transposeA: true, transposeB: false) }
                attempt { try Tensor.matmul(a, b, transposeA: false, transposeB: true) }
                var c = a
                attempt { try c.apply(.add, b) }
                _ = a.allClose(b)
            }
        }
        XCTAssertGreaterThan(attempts, 5000)
        XCTAssertGreaterThan(failures, 1000)
        XCTAssertLessThan(failures, attempts - 1000)
    }
}
