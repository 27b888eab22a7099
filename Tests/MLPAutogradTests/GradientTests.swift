// Every differentiable op against central finite differences (relative error < 1e-6).
import XCTest
import MLPTensor
@testable import MLPAutograd
import MLPTestSupport

final class GradientTests: XCTestCase {
    /// Seeded inputs away from the ops' singular points.
    func input(_ shape: [Int], _ seed: UInt64, lo: Double = -1, hi: Double = 1) -> Tensor {
        Tensor.uniform(shape, seed: seed, lo: lo, hi: hi)
    }

    /// Checks f's tape gradient against finite differences. f gives any tensor; it is
    /// reduced to a scalar by a fixed random weighting so every output element matters.
    func check(_ xs: [Tensor], tol: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line,
               _ f: @escaping ([Variable]) throws -> Variable) {
        do {
            let probe = try f(xs.map { Variable(constant: $0) }).value
            let w = Variable(constant: input(probe.shape, 99))
            let scalar: ([Variable]) throws -> Variable = { vs in try (try f(vs) * w).reduce(.sum) }
            let (err, size) = try Autograd.gradientError(xs, scalar)
            XCTAssertLessThan(err, tol, "relative error", file: file, line: line)
            XCTAssertGreaterThan(size, 0, "gradient is all zero", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Every binary op of the table (Derivatives.swift), both operands broadcast, so
    /// that a new op is checked as soon as it has a derivative.
    func testEveryBinaryOpWithBroadcasting() {
        let a = input([3, 4], 1, lo: 0.5, hi: 2), b = input([4], 2, lo: 0.5, hi: 2), c = input([3, 1], 3, lo: 0.5, hi: 2)
        var checked = 0
        for op in Tensor.BinaryOp.allCases where op.partials != nil {
            check([a, b]) { v in try Variable.binary(op, v[0], v[1]) }
            check([c, a]) { v in try Variable.binary(op, v[0], v[1]) }
            checked += 1
        }
        XCTAssertEqual(checked, 9)   // + - * / ^ % minimum maximum atan2
    }

    func testEveryBinaryOpWithAScalarOperand() {
        let a = input([2, 3], 5, lo: 0.5, hi: 2)
        for op in Tensor.BinaryOp.allCases where op.partials != nil {
            check([a]) { v in try Variable.binary(op, v[0], 1.7) }
            check([a]) { v in try Variable.binary(op, v[0], 1.3, reversed: true) }
        }
        check([a]) { v in try Variable.binary(.pow, v[0], 2) }
    }

    func testComparisonsGiveConstants() throws {
        let x = Variable(leaf: input([3], 8), tape: Tape())
        for op in Tensor.BinaryOp.allCases where op.partials == nil {
            XCTAssertFalse(try Variable.binary(op, x, x).requiresGrad, op.rawValue)
        }
    }

    /// Every unary op of the table with a derivative, on positive inputs (inside every
    /// op's domain) and on inputs of both signs where the op is defined there.
    func testEveryUnaryOp() throws {
        let positive = input([2, 5], 7, lo: 0.2, hi: 0.9)
        let mixed = try positive * Tensor((0..<10).map { $0 % 2 == 0 ? 1.0 : -1.0 }, shape: [2, 5])
        for op in Tensor.UnaryOp.allCases where op.derivative != nil {
            check([positive]) { v in try v[0].unary(op) }
            if try mixed.map(op).withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
                check([mixed]) { v in try v[0].unary(op) }
            }
        }
        // a new op without a derivative is a decision, not an omission
        XCTAssertEqual(Variable.nonDifferentiable, [.floor, .ceil, .round, .sign])
    }

    func testNonDifferentiableOpsThrow() throws {
        let tape = Tape()
        let x = Variable(leaf: try Tensor.ones([2]), tape: tape)
        for op in Variable.nonDifferentiable {
            XCTAssertThrowsError(try x.unary(op)) { e in
                XCTAssertTrue("\(e)".contains("\(op.rawValue) is not differentiable"), "\(e)")
            }
        }
    }

    func testReductions() {
        let x = input([3, 4], 8, lo: 0.3, hi: 1.5)
        for op in [Tensor.ReduceOp.sum, .mean, .var, .std, .prod, .min, .max, .logsumexp, .norm] {
            check([x]) { v in try v[0].reduce(op) }
            check([x]) { v in try v[0].reduce(op, axis: 0) }
            check([x]) { v in try v[0].reduce(op, axis: -1, keepdims: true) }
        }
    }

    func testProdWithZerosIsExact() throws {
        let x = try Tensor([2, 0, 3, 0, 5, 4], shape: [2, 3])
        let (_, g) = try Autograd.valueAndGrad([x]) { v in try v[0].reduce(.prod, axis: 1).reduce(.sum) }
        XCTAssertEqual(g[0].scalars, [0, 6, 0, 20, 0, 0])
    }

    func testSoftmaxFamily() {
        let x = input([3, 5], 9)
        check([x]) { v in try v[0].softmax() }
        check([x]) { v in try v[0].softmax(axis: 0) }
        check([x]) { v in try v[0].logSoftmax() }
        check([x]) { v in try v[0].cumsum(axis: 1) }
        check([x]) { v in try v[0].cumsum() }
    }

    /// The fused softmax cross-entropy: its gradient against finite differences, and its
    /// value against -mean(sum(t * log_softmax(z))) written with separate ops.
    func testSoftmaxCrossEntropy() throws {
        let z = try Tensor.binary(.mul, input([2, 3, 5], 21), 4)
        let labels = [4, 0, 2, 2, 1, 3]
        let soft = try input([2, 3, 5], 22, lo: 0, hi: 1).softmax()   // rows summing to 1
        let heavy = try Tensor.binary(.mul, soft, 1.5)                    // rows summing to 1.5
        let onehot = try Tensor.onehot(Tensor(labels.map(Double.init)).reshaped([2, 3]), 5)
        for target in [ClassTargets.labels(labels), .rows(soft), .rows(heavy)] {
            check([z]) { v in try v[0].softmaxCrossEntropy(target) }
        }
        for (target, rows) in [(ClassTargets.labels(labels), onehot), (.rows(soft), soft), (.rows(heavy), heavy)] {
            let fused = try Variable(constant: z).softmaxCrossEntropy(target).value.scalars[0]
            let plain = try (try Variable(constant: z).logSoftmax() * Variable(constant: rows)).reduce(.sum, axis: -1).reduce(.mean).unary(.negate)
            XCTAssertEqual(fused, plain.value.scalars[0], accuracy: 1e-13)
        }
        // given the softmax (a softmax layer's output), the same loss and gradient without an exp
        for target in [ClassTargets.labels(labels), .rows(soft)] {
            let p = try z.softmax()
            let (_, g1) = try Autograd.valueAndGrad([z]) { v in try v[0].softmaxCrossEntropy(target) }
            let (_, g2) = try Autograd.valueAndGrad([z]) { v in try v[0].softmaxCrossEntropy(target, softmax: p) }
            XCTAssertLessThan(try Autograd.relativeError(g2, g1), 1e-15)
            let l1 = try Variable(constant: z).softmaxCrossEntropy(target).value.scalars[0]
            let l2 = try Variable(constant: z).softmaxCrossEntropy(target, softmax: p).value.scalars[0]
            XCTAssertEqual(l1, l2, accuracy: 1e-14)
        }
        // logits far apart: exact where exp overflows or the probabilities round to 0 and 1
        let far = try Tensor([800, 0, -800, 0, 1000, 0], shape: [2, 3])
        let loss = try Variable(constant: far).softmaxCrossEntropy(.labels([1, 1])).value.scalars[0]
        XCTAssertEqual(loss, 400, accuracy: 1e-9)
        let given = try Variable(constant: far).softmaxCrossEntropy(.labels([1, 1]), softmax: try far.softmax()).value.scalars[0]
        XCTAssertEqual(given, 400, accuracy: 1e-9)
    }

    /// Softmax over the last axis (rows on threads when many) against the strided code of
    /// another axis, for few and for many rows.
    func testSoftmaxRows() throws {
        for rows in [3, 5000] {
            let x = try Tensor.binary(.mul, input([rows, 13], 24), 30)
            let byRows = try x.softmax(), byColumns = try x.transposed().softmax(axis: 0).transposed()
            XCTAssertLessThan(try Autograd.relativeError([byRows], [byColumns]), 1e-15)
            for r in [0, rows - 1] {
                let row = try byRows.reshaped([-1]).scalars[(r * 13)..<(r * 13 + 13)].reduce(0, +)
                XCTAssertEqual(row, 1, accuracy: 1e-15)
            }
        }
    }

    /// Products in Float: the Double product and its gradients to single precision.
    func testMatmulFloat32() throws {
        let a = input([5, 7], 31), at = input([7, 5], 32), b = input([7, 3], 33), bt = input([3, 7], 34)
        for (x, y, ta, tb) in [(a, b, false, false), (at, b, true, false), (a, bt, false, true), (at, bt, true, true)] {
            let single = try Tensor.matmulFloat32(x, y, transposeA: ta, transposeB: tb)
            let double = try Tensor.matmul(x, y, transposeA: ta, transposeB: tb)
            XCTAssertEqual(single.shape, [5, 3])
            XCTAssertLessThan(try Autograd.relativeError([single], [double]), 1e-6)
        }
        XCTAssertThrowsError(try Tensor.matmulFloat32(a, a)) { XCTAssertTrue("\($0)".contains("do not align (7 != 5)"), "\($0)") }
        let w = Variable(constant: input([5, 3], 35))
        let (_, g32) = try Autograd.valueAndGrad([a, b]) { v in try (try Variable.matmulFloat32(v[0], v[1]) * w).reduce(.sum) }
        let (_, g64) = try Autograd.valueAndGrad([a, b]) { v in try (try Variable.matmul(v[0], v[1]) * w).reduce(.sum) }
        XCTAssertLessThan(try Autograd.relativeError(g32, g64), 1e-6)
    }

    /// Only a softmax over the last axis hands its logits to a loss.
    func testSoftmaxInput() throws {
        let x = Variable(leaf: input([3, 4], 23), tape: Tape())
        XCTAssertTrue(try x.softmax().softmaxInput === x)
        XCTAssertTrue(try x.softmax(axis: 1).softmaxInput === x)
        XCTAssertNil(try x.softmax(axis: 0).softmaxInput)
        XCTAssertNil(try x.logSoftmax().softmaxInput)
    }

    func testShapeOps() {
        let x = input([2, 3, 4], 10)
        check([x]) { v in try v[0].reshaped([6, 4]) }
        check([x]) { v in try v[0].permute([2, 0, 1]) }
        check([x]) { v in try v[0].reshaped("squeeze", try v[0].value.unsqueeze(axis: 1).squeeze(axis: 1)) }
        check([input([3, 1], 11)]) { v in try v[0].broadcast(to: [2, 3, 4]) }
        check([x, input([2, 1, 4], 12)]) { v in try Variable.concat([v[0], v[1]], axis: 1) }
        check([x, input([2, 3, 4], 13)]) { v in try Variable.stack([v[0], v[1]], axis: 2) }
        check([x]) { v in try v[0].gather("tile") { try $0.tile([2, 1, 1]) } }
        check([x]) { v in try v[0].gather("repeat") { try $0.repeated(3, axis: 1) } }
        check([x]) { v in try v[0].gather("flip") { try $0.flip(axis: 2) } }
        check([x]) { v in try v[0].gather("roll") { try $0.roll(2, axis: 2) } }
    }

    func testIndexing() throws {
        let x = input([4, 5], 14)
        check([x]) { v in try v[0].get([.at(1)]) }
        check([x]) { v in try v[0].get([.slice(nil, nil, -2), .slice(1, 4, nil)]) }
        // repeated integer indices accumulate
        let idx = try Tensor([0, 2, 2, 3])
        check([x]) { v in try v[0].get([.indices(idx)]) }
        check([x]) { v in try v[0].get([.mask(Tensor.binary(.gt, x, 0))]) }
        check([x, input([5], 15)]) { v in try v[0].setting([.at(2)], v[1]) }
        check([x, input([1], 16)]) { v in try v[0].setting([.slice(1, 3, nil)], v[1]) }
    }

    func testWhereAndClip() throws {
        let x = input([3, 4], 17), y = input([4], 18)
        let cond = try Tensor.binary(.gt, x, 0)
        check([x, y]) { v in try Variable.where(cond, v[0], v[1]) }
        check([x]) { v in try v[0].clip(-0.5, 0.5) }
    }

    func testProducts() {
        let a = input([3, 4], 19), b = input([4, 2], 20), v4 = input([4], 21), v3 = input([3], 22)
        check([a, b]) { v in try Variable.matmul(v[0], v[1]) }
        check([a, v4]) { v in try Variable.matmul(v[0], v[1]) }
        check([v3, a]) { v in try Variable.matmul(v[0], v[1]) }
        check([v4, input([4], 23)]) { v in try Variable.matmul(v[0], v[1]) }
        // batched, with the second operand broadcast over the batch
        check([input([2, 3, 4], 24), b]) { v in try Variable.matmul(v[0], v[1]) }
        check([input([2, 3, 4], 25), input([2, 4, 5], 26)]) { v in try Variable.matmul(v[0], v[1]) }
        check([a, b]) { v in try Variable.dot(v[0], v[1]) }
        check([v3, v4]) { v in try Variable.outer(v[0], v[1]) }
    }

    func testLinearAlgebra() throws {
        // well-conditioned: identity plus a small random matrix
        let m = try Tensor.eye(3) + Tensor.binary(.mul, input([3, 3], 27), 0.3)
        check([m]) { v in try v[0].inv() }
        check([m]) { v in try v[0].det() }
        check([m, input([3], 28)]) { v in try Variable.solve(v[0], v[1]) }
        check([m, input([3, 2], 29)]) { v in try Variable.solve(v[0], v[1]) }
    }

    func testComposite() {
        // a small network's loss: tanh(x W + b), softmax cross-entropy
        let x = input([5, 3], 30), w = input([3, 4], 31), b = input([4], 32)
        let labels = try! Tensor.onehot(Tensor([0, 1, 3, 2, 1]), 4)
        check([w, b]) { v in
            let h = try (try Variable.matmul(Variable(constant: x), v[0]) + v[1]).unary(.tanh)
            return try (try h.logSoftmax() * Variable(constant: labels)).reduce(.sum).unary(.negate)
        }
    }
}

final class TapeTests: XCTestCase {
    func testGradientOfAReusedVariableAccumulates() throws {
        // f(x) = x*x + x  ->  2x + 1
        let (value, g) = try Autograd.valueAndGrad([Tensor([3])]) { v in try (try v[0] * v[0] + v[0]).reduce(.sum) }
        XCTAssertEqual(value, 12)
        XCTAssertEqual(g[0].scalars, [7])
    }

    func testSecondUseOfATapeThrows() throws {
        let tape = Tape()
        let x = Variable(leaf: try Tensor([1, 2]), tape: tape)
        let y = try x.unary(.exp).reduce(.sum)
        try y.backward()
        XCTAssertThrowsError(try y.backward()) { e in XCTAssertTrue("\(e)".contains("already used"), "\(e)") }
        XCTAssertThrowsError(try x.unary(.exp)) { e in XCTAssertTrue("\(e)".contains("already finished"), "\(e)") }
    }

    func testNaNGradientNamesTheOp() throws {
        // d/dx (0 * sqrt(x)) at 0 is 0 * inf
        XCTAssertThrowsError(try Autograd.valueAndGrad([Tensor([0, 1])]) { v in try Variable.binary(.mul, v[0].unary(.sqrt), 0).reduce(.sum) }) { e in
            XCTAssertTrue("\(e)".contains("through sqrt is nan"), "\(e)")
        }
    }

    func testNonScalarResultIsAnError() {
        XCTAssertThrowsError(try Autograd.valueAndGrad([Tensor([1, 2])]) { v in v[0] }) { e in
            XCTAssertTrue("\(e)".contains("must return a scalar"), "\(e)")
        }
    }

    func testConstantResultHasZeroGradient() throws {
        let (_, g) = try Autograd.valueAndGrad([Tensor([1, 2])]) { _ in Variable(constant: Tensor(scalar: 5)) }
        XCTAssertEqual(g[0].scalars, [0, 0])
    }

    func testDeepChainDoesNotOverflowTheStack() throws {
        let (_, g) = try Autograd.valueAndGrad([Tensor([1])]) { v in
            var y = v[0]
            for _ in 0..<100_000 { y = try Variable.binary(.mul, y, 1.0) }
            return try y.reduce(.sum)
        }
        XCTAssertEqual(g[0].scalars, [1])
    }
}
