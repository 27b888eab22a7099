// Recurrent layers (simple RNN, LSTM, GRU) and embedding: finite-difference
// gradients through 20 time steps, LSTM and GRU against plain reference loops
// written from Keras's equations, stateful carrying, and a timing print.
import XCTest
import Foundation
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class RecurrentTests: XCTestCase {
    override func setUp() { TestRandom.seed(11) }

    func input(_ shape: [Int], _ seed: UInt64, lo: Double = -1, hi: Double = 1) -> Tensor {
        var g = Xoshiro256(seed: seed)
        let t = try! Tensor.rand(shape, using: &g)
        return try! Tensor.binary(.add, Tensor.binary(.mul, t, hi - lo), lo)
    }

    /// f's tape gradient with respect to every input against central differences (f reduced
    /// to a scalar by a fixed random weighting).
    func check(_ xs: [Tensor], tol: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line,
               _ f: @escaping ([Variable]) throws -> Variable) {
        do {
            let probe = try f(xs.map { Variable(constant: $0) }).value
            let w = Variable(constant: input(probe.shape, 99))
            let scalar: ([Variable]) throws -> Variable = { vs in try (try f(vs) * w).reduce(.sum) }
            let (_, grads) = try Autograd.valueAndGrad(xs, scalar)
            let numeric = try Autograd.numericalGrad(xs) { ts in try scalar(ts.map { Variable(constant: $0) }).value.scalars[0] }
            for k in xs.indices {
                let err = try Autograd.relativeError([grads[k]], [numeric[k]])
                XCTAssertLessThan(err, tol, "relative error of input \(k)", file: file, line: line)
                XCTAssertGreaterThan(try grads[k].map(.abs).sumAll(), 0, "gradient \(k) is all zero", file: file, line: line)
            }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    let B = 2, T = 20, D = 3, n = 3

    /// Weights whose 20-step products neither vanish nor explode, so the gradients with
    /// respect to the initial state are far above the finite-difference noise.
    func recurrentWeights(_ n: Int, _ g: Int, _ seed: UInt64, scale: Double) throws -> Tensor {
        TestRandom.seed(seed)
        return try Tensor.binary(.mul, try Initializer.orthogonal.make([n, g], fanIn: n, fanOut: g, using: TestRandom.shared), scale)
    }

    /// A bias with the given value on one gate block (a carrying gate: LSTM forget, GRU update).
    func gateBias(_ shape: [Int], _ block: Range<Int>, _ value: Double, _ seed: UInt64) -> Tensor {
        var b = input(shape, seed, lo: -0.3, hi: 0.3)
        try! b.withUnsafeMutableBufferPointer { p in for j in block { p[j] += value } }
        return b
    }

    func testLSTMGradients() throws {
        let g = 4 * n
        let xs = [input([B, T, D], 1), input([D, g], 2, lo: -0.7, hi: 0.7), try recurrentWeights(n, g, 3, scale: 1),
                  gateBias([g], n..<(2 * n), 3, 4), input([B, n], 5), input([B, n], 6)]
        for rs in [true, false] {
            check(xs) { v in try LSTM.sequence(v[0], v[1], v[2], v[3], v[4], v[5], returnSequences: rs).0 }
        }
    }

    func testGRUGradients() throws {
        let g = 3 * n
        let xs = [input([B, T, D], 1), input([D, g], 2, lo: -0.7, hi: 0.7), try recurrentWeights(n, g, 3, scale: 1),
                  gateBias([2, g], 0..<n, 2, 4), input([B, n], 5)]
        for rs in [true, false] {
            check(xs) { v in try GRU.sequence(v[0], v[1], v[2], v[3], v[4], returnSequences: rs).0 }
        }
    }

    /// Nine units: the backward's eight-lane body and its one-unit tail.
    func testGRUGradientsEightLanes() throws {
        let n = 9, g = 3 * n
        let xs = [input([B, T, D], 1), input([D, g], 2, lo: -0.7, hi: 0.7), try recurrentWeights(n, g, 3, scale: 1),
                  gateBias([2, g], 0..<n, 2, 4), input([B, n], 5)]
        check(xs) { v in try GRU.sequence(v[0], v[1], v[2], v[3], v[4], returnSequences: true).0 }
    }

    func testSimpleRNNGradients() throws {
        let xs = [input([B, T, D], 1, lo: -0.3, hi: 0.3), input([D, n], 2, lo: -0.6, hi: 0.6), try recurrentWeights(n, n, 3, scale: 1),
                  input([n], 4, lo: -0.2, hi: 0.2), input([B, n], 5, lo: -0.5, hi: 0.5)]
        for act in [Activation.tanh, .sigmoid, .linear, .relu, .elu(alpha: 1)] {
            // sigmoid (slope <= 1/4) and relu (which zeroes units) forget the initial state within 20
            // steps: their last step only is checked where the state's gradient survives
            let settings = act == .tanh || act == .linear ? [true, false] : [true]
            for rs in settings {
                check(xs) { v in try SimpleRNN.sequence(v[0], v[1], v[2], v[3], v[4], act, returnSequences: rs).0 }
            }
        }
    }

    /// The gates' exp, sigmoid and tanh against libm.
    func testActivationAccuracy() {
        var worst = 0.0, worstAct = 0.0
        for i in 0...20000 {
            let x = -700 + 1400 * Double(i) / 20000, y = -20 + 40 * Double(i) / 20000
            worst = Swift.max(worst, Swift.abs(rnnExp(x) - Foundation.exp(x)) / Foundation.exp(x))
            worst = Swift.max(worst, Swift.abs(rnnExp(y / 20) - Foundation.exp(y / 20)) / Foundation.exp(y / 20))
            worstAct = Swift.max(worstAct, Swift.abs(rnnTanh(y) - Foundation.tanh(y)), Swift.abs(rnnSigmoid(y) - sigmoid(y)))
        }
        XCTAssertLessThan(worst, 1e-15)
        XCTAssertLessThan(worstAct, 1e-15)
        for n in [1, 6, 7] {
            let xs = (0..<n).map { 1.3 * Double($0) - 4 }
            var sg = xs, th = [Double](repeating: 0, count: n)
            sigmoidPairs(&sg, n)
            tanhPairs(xs, &th, n)
            for j in 0..<n {
                XCTAssertEqual(sg[j], sigmoid(xs[j]), accuracy: 1e-15)
                XCTAssertEqual(th[j], Foundation.tanh(xs[j]), accuracy: 1e-15)
            }
        }
        XCTAssertLessThan(rnnSigmoid(-800), 1e-300); XCTAssertEqual(rnnSigmoid(800), 1); XCTAssertEqual(rnnTanh(-400), -1)
    }

    /// Float's exp, sigmoid and tanh (scalar tails and eight-lane bodies) against Foundation's.
    func testFloatActivationAccuracy() {
        var worstExp: Float = 0
        for i in 0...20000 {
            let x = Float(-87 + 174 * Double(i) / 20000)
            let e = expf32(SIMD8<Float>(x, 0, 1, -1, x, x, x, x))
            worstExp = Swift.max(worstExp, Swift.abs(e[0] - Foundation.exp(x)) / Foundation.exp(x))
            XCTAssertEqual(e[7], e[0])
        }
        XCTAssertLessThan(worstExp, 4e-7)   // a few ulps of Float
        for n in [1, 7, 8, 19] {
            let xs = (0..<n).map { Float(7.3 * Double($0) - 60) }   // both saturated ends and the middle
            var sg = xs, th = [Float](repeating: 0, count: n)
            Float.sigmoids(&sg, n)
            Float.tanhs(xs, &th, n)
            for j in 0..<n {
                XCTAssertEqual(Double(sg[j]), sigmoid(Double(xs[j])), accuracy: 3e-7)
                XCTAssertEqual(Double(th[j]), Foundation.tanh(Double(xs[j])), accuracy: 5e-7)
            }
        }
    }

    /// Each float32 result agrees with its (nonzero) float64 counterpart to single precision.
    func assertSinglePrecision(_ single: [Tensor], _ double: [Tensor], _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        for k in double.indices {
            XCTAssertLessThan(try Autograd.relativeError([single[k]], [double[k]]), 2e-5, "result \(k), \(label)", file: file, line: line)
            XCTAssertGreaterThan(try double[k].map(.abs).sumAll(), 0, "result \(k), \(label)", file: file, line: line)
        }
    }

    /// dtype="float32": outputs, final state and every gradient agree with the float64 op
    /// to single precision, through BLAS-sized products and 20 steps.
    func testLSTMFloat32AgreesWithFloat64() throws {
        let (bs, t, d, n) = (5, 20, 7, 16), g = 4 * n
        let xs = [input([bs, t, d], 1), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                  gateBias([g], n..<(2 * n), 1, 4), input([bs, n], 5), input([bs, n], 6)]
        let seed = input([bs, t, n], 7)
        func run<S: RecurrentScalar>(_: S.Type, _ rs: Bool) throws -> [Tensor] {
            let tape = Tape(checkNaN: false)
            let vs = xs.map { Variable(leaf: $0, tape: tape) }
            let (y, h, c) = try LSTM.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], vs[5], returnSequences: rs,
                                              workspace: Workspace(), as: S.self)
            try y.backward(seed: rs ? seed : input([bs, n], 8))
            return [y.value, h, c] + vs.map { $0.grad! }
        }
        for rs in [true, false] {
            let a = try run(Double.self, rs), b = try run(Float.self, rs)
            try assertSinglePrecision(b, a, "return_sequences \(rs)")
        }
    }

    /// GRU with dtype="float32": outputs, final state and every gradient agree with
    /// the float64 op to single precision, through BLAS-sized products and 20 steps.
    func testGRUFloat32AgreesWithFloat64() throws {
        let (bs, t, d, n) = (5, 20, 7, 16), g = 3 * n
        let xs = [input([bs, t, d], 1), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                  gateBias([2, g], 0..<n, 1, 4), input([bs, n], 5)]
        let seed = input([bs, t, n], 7)
        func run<S: RecurrentScalar>(_: S.Type, _ rs: Bool) throws -> [Tensor] {
            let tape = Tape(checkNaN: false)
            let vs = xs.map { Variable(leaf: $0, tape: tape) }
            let (y, h) = try GRU.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], returnSequences: rs,
                                          workspace: Workspace(), as: S.self)
            try y.backward(seed: rs ? seed : input([bs, n], 8))
            return [y.value, h] + vs.map { $0.grad! }
        }
        for rs in [true, false] {
            let a = try run(Double.self, rs), b = try run(Float.self, rs)
            try assertSinglePrecision(b, a, "return_sequences \(rs)")
        }
    }

    /// SimpleRNN with dtype="float32" (tanh through Float's kernels, softplus through
    /// Double per element): outputs, final state and gradients agree with float64.
    func testSimpleRNNFloat32AgreesWithFloat64() throws {
        let (bs, t, d, n) = (5, 20, 7, 16)
        let xs = [input([bs, t, d], 1), input([d, n], 2, lo: -0.4, hi: 0.4), input([n, n], 3, lo: -0.3, hi: 0.3),
                  input([n], 4, lo: -0.2, hi: 0.2), input([bs, n], 5)]
        let seed = input([bs, t, n], 7)
        func run<S: RecurrentScalar>(_: S.Type, _ act: Activation, _ rs: Bool) throws -> [Tensor] {
            let tape = Tape(checkNaN: false)
            let vs = xs.map { Variable(leaf: $0, tape: tape) }
            let (y, h) = try SimpleRNN.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], act, returnSequences: rs,
                                                workspace: Workspace(), as: S.self)
            try y.backward(seed: rs ? seed : input([bs, n], 8))
            return [y.value, h] + vs.map { $0.grad! }
        }
        for act in [Activation.tanh, .softplus] {
            for rs in [true, false] {
                let a = try run(Double.self, act, rs), b = try run(Float.self, act, rs)
                try assertSinglePrecision(b, a, "\(act.name), return_sequences \(rs)")
            }
        }
    }

    /// Batch rows on two threads: the same outputs and gradients as on one thread
    /// (to rounding: the sigmoid pairs elements differently), in both precisions.
    func testLSTMRowsOnTwoThreads() throws {
        for n in [12, 16] { try checkLSTMRowsOnTwoThreads(n) }   // 16: Float's packed products
    }

    func checkLSTMRowsOnTwoThreads(_ n: Int) throws {
        let (bs, t, d) = (17, 9, 5), g = 4 * n
        let xs = [input([bs, t, d], 1), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                  input([g], 4), input([bs, n], 5), input([bs, n], 6)]
        let seed = input([bs, t, n], 7)
        func run<S: RecurrentScalar>(_: S.Type, threads: Int) throws -> [Tensor] {
            try onProductThreads(threads) {
                let tape = Tape(checkNaN: false)
                let vs = xs.map { Variable(leaf: $0, tape: tape) }
                let (y, h, c) = try LSTM.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], vs[5], returnSequences: true,
                                                  workspace: Workspace(), as: S.self)
                try y.backward(seed: seed)
                return [y.value, h, c] + vs.map { $0.grad! }
            }
        }
        try assertTwoThreadsAgree { f32, threads in f32 ? try run(Float.self, threads: threads) : try run(Double.self, threads: threads) }
    }

    /// Results on two threads against one thread: float64 to 1e-13, float32 to 1e-6.
    func assertTwoThreadsAgree(file: StaticString = #filePath, line: UInt = #line,
                               _ run: (_ float32: Bool, _ threads: Int) throws -> [Tensor]) throws {
        for (f32, tol) in [(false, 1e-13), (true, 1e-6)] {
            let one = try run(f32, 1), two = try run(f32, 2)
            for k in one.indices {
                XCTAssertLessThan(try Autograd.relativeError([two[k]], [one[k]]), tol, "result \(k), float32 \(f32)", file: file, line: line)
            }
        }
    }

    /// body with batch rows split over `threads` product threads whatever the size.
    func onProductThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let (oldThreads, oldWork, oldSplit) = (BLASThreads.count, recurrentParallelWork, splitProductWork)
        BLASThreads.count = threads; recurrentParallelWork = 0; splitProductWork = 1
        defer { BLASThreads.count = oldThreads; recurrentParallelWork = oldWork; splitProductWork = oldSplit }
        XCTAssertEqual(recurrentParts(bs: 17, work: 1), threads)
        return try body()
    }

    /// The GRU's batch rows on two threads: the same outputs and gradients as on one
    /// thread (to rounding: the sigmoid pairs elements differently), in both precisions.
    func testGRURowsOnTwoThreads() throws {
        let (bs, t, d, n) = (17, 9, 5, 12), g = 3 * n
        let xs = [input([bs, t, d], 1), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                  input([2, g], 4), input([bs, n], 5)]
        let seed = input([bs, t, n], 7)
        func run<S: RecurrentScalar>(_: S.Type, threads: Int) throws -> [Tensor] {
            try onProductThreads(threads) {
                let tape = Tape(checkNaN: false)
                let vs = xs.map { Variable(leaf: $0, tape: tape) }
                let (y, h) = try GRU.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], returnSequences: true,
                                              workspace: Workspace(), as: S.self)
                try y.backward(seed: seed)
                return [y.value, h] + vs.map { $0.grad! }
            }
        }
        try assertTwoThreadsAgree { f32, threads in f32 ? try run(Float.self, threads: threads) : try run(Double.self, threads: threads) }
    }

    /// simple_rnn's batch rows on two threads against one, with tanh and with softplus
    /// (whose backward reads the kept pre-activations), in both precisions.
    func testSimpleRNNRowsOnTwoThreads() throws {
        let (bs, t, d, n) = (17, 9, 5, 12)
        let xs = [input([bs, t, d], 1), input([d, n], 2, lo: -0.4, hi: 0.4), input([n, n], 3, lo: -0.3, hi: 0.3),
                  input([n], 4), input([bs, n], 5)]
        let seed = input([bs, t, n], 7)
        for act in [Activation.tanh, .softplus] {
            func run<S: RecurrentScalar>(_: S.Type, threads: Int) throws -> [Tensor] {
                try onProductThreads(threads) {
                    let tape = Tape(checkNaN: false)
                    let vs = xs.map { Variable(leaf: $0, tape: tape) }
                    let (y, h) = try SimpleRNN.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], act, returnSequences: true,
                                                        workspace: Workspace(), as: S.self)
                    try y.backward(seed: seed)
                    return [y.value, h] + vs.map { $0.grad! }
                }
            }
            try assertTwoThreadsAgree { f32, threads in f32 ? try run(Float.self, threads: threads) : try run(Double.self, threads: threads) }
        }
    }

    /// The packed Float product against a plain triple loop: 4-row blocks and single rows
    /// (3, 7, 11 and 20 rows), columns in groups (an LSTM's gates) and in one block, added to C
    /// or written over it.
    func testPackedProduct() {
        for m in [3, 7, 11, 20] { checkPackedProduct(m) }
    }

    func checkPackedProduct(_ m: Int) {
        let (k, n) = (19, 48)
        var rng = Xoshiro256(seed: 5)
        let a = (0..<(m * k)).map { _ in Float(Double.random(in: -1...1, using: &rng)) }
        let b = (0..<(k * n)).map { _ in Float(Double.random(in: -1...1, using: &rng)) }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        defer { packed.deallocate() }
        for (groupCols, groupStride) in [(16, m * 16), (n, 0)] {
            for transposed in [false, true] {
                // B itself, or B given as its transpose (n x k) through the strides
                let source = transposed ? (0..<(n * k)).map { b[($0 % k) * n + $0 / k] } : b
                let panels = source.withUnsafeBufferPointer {
                    packPanels($0.baseAddress!, k: k, n: n, rowStride: transposed ? 1 : n, colStride: transposed ? k : 1, into: packed)
                }
                for accumulate in [false, true] {
                    let size = groupStride == 0 ? m * n : n / groupCols * groupStride
                    var c = [Float](repeating: 0.5, count: size)
                    a.withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
                        packedProduct(m, pa.baseAddress!, k, panels, pc.baseAddress!, groupCols, groupCols: groupCols,
                                      groupStride: groupStride, accumulate: accumulate)
                    } }
                    for r in 0..<m {
                        for j in 0..<n {
                            var expected: Float = accumulate ? 0.5 : 0
                            for i in 0..<k { expected += a[r * k + i] * b[i * n + j] }
                            let at = (j / groupCols) * groupStride + r * groupCols + j % groupCols
                            XCTAssertEqual(c[at], expected, accuracy: 1e-4, "\(m) rows: row \(r) column \(j)")
                        }
                    }
                }
            }
        }
    }

    /// The zero initial state of a layer called without one (constants, no gradient asked):
    /// Float's packed path skips step 0's h0 @ U, and both precisions skip the backward's
    /// dz_0 Uᵀ (only h0's gradient needs it). float64 against central differences; float32
    /// (16 and 32 units: packed panels; 17 rows: 4-row blocks and a single row) against float64 to single
    /// precision, and on two threads against one. With 3 input features Float computes each
    /// step's x_t W inline, with 20 as one product of all steps.
    func testLSTMZeroInitialStateSkipsProducts() throws {
        for (n, d) in [(16, 3), (32, 3), (16, 20)] {
            let (bs, t) = (17, 6), g = 4 * n
            let xs = [input([bs, t, d], 1), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                      gateBias([g], n..<(2 * n), 1, 4)]
            let zero = try Tensor.zeros([bs, n])
            func op<S: RecurrentScalar>(_ v: [Variable], _: S.Type, _ rs: Bool) throws -> (Variable, Tensor, Tensor) {
                try LSTM.sequence(v[0], v[1], v[2], v[3], Variable(constant: zero), Variable(constant: zero),
                                  returnSequences: rs, workspace: Workspace(), as: S.self)
            }
            if n == 16 && d == 3 { check(xs) { v in try op(v, Double.self, true).0 } }
            let seed = input([bs, t, n], 7)
            func run<S: RecurrentScalar>(_: S.Type, threads: Int) throws -> [Tensor] {
                try onProductThreads(threads) {
                    let tape = Tape(checkNaN: false)
                    let vs = xs.map { Variable(leaf: $0, tape: tape) }
                    let (y, h, c) = try op(vs, S.self, true)
                    try y.backward(seed: seed)
                    return [y.value, h, c] + vs.map { $0.grad! }
                }
            }
            for threads in [1, 2] {
                try assertSinglePrecision(try run(Float.self, threads: threads), try run(Double.self, threads: threads),
                                          "\(n) units, \(d) features, \(threads) threads")
            }
            try assertTwoThreadsAgree { f32, threads in f32 ? try run(Float.self, threads: threads) : try run(Double.self, threads: threads) }
        }
    }

    /// One-hot input rows take the gather path: the same outputs and gradients as the product.
    func testLSTMOneHotInput() throws {
        let (bs, t, d, n) = (3, 7, 6, 5), g = 4 * n
        var hot = [Double](repeating: 0, count: bs * t * d)
        for r in 0..<(bs * t) { hot[r * d + (r * 7 + 2) % d] = 1 }
        let x = try Tensor(hot, shape: [bs, t, d])
        let cols = try XCTUnwrap(oneHotColumns(x))
        XCTAssertEqual((0..<4).map { Int(cols.base[$0]) }, [2, 3, 4, 5])
        for bad in [0.0, 2.0] {   // a row of zeros; a 2 in a row
            var v = hot; v[d + 3] = bad; if bad == 0 { for j in 0..<d { v[d + j] = 0 } }
            XCTAssertNil(try oneHotColumns(try Tensor(v, shape: [bs, t, d])))
        }
        var two = hot; two[(two[0] == 1 ? 1 : 0)] = 1
        XCTAssertNil(try oneHotColumns(try Tensor(two, shape: [bs, t, d])))
        let xs = [x, input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                  input([g], 4), input([bs, n], 5), input([bs, n], 6)]
        let seed = input([bs, t, n], 7)
        func run(gather: Bool) throws -> [Tensor] {
            recurrentOneHot = gather
            defer { recurrentOneHot = true }
            let tape = Tape(checkNaN: false)
            let vs = xs.map { Variable(leaf: $0, tape: tape) }
            let (y, h, c) = try LSTM.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], vs[5], returnSequences: true)
            try y.backward(seed: seed)
            return [y.value, h, c] + vs.map { $0.grad! }
        }
        let a = try run(gather: true), b = try run(gather: false)
        XCTAssertEqual(a[0].scalars, b[0].scalars)   // a gather is the product exactly
        for k in a.indices { XCTAssertLessThan(try Autograd.relativeError([a[k]], [b[k]]), 1e-13, "result \(k)") }
    }

    /// Float with one-hot input sums dW and db per thread as the rows are processed: against
    /// the float64 product path, on one thread and on two (n = 4: plain products; 16: packed).
    func testLSTMOneHotFloat32WeightGradients() throws {
        for n in [4, 16] {
            let (bs, t, d) = (17, 6, 5), g = 4 * n   // 17 rows: two threads take 8 and 9
            var hot = [Double](repeating: 0, count: bs * t * d)
            for r in 0..<(bs * t) { hot[r * d + (r * 3 + 1) % d] = 1 }
            let xs = [try Tensor(hot, shape: [bs, t, d]), input([d, g], 2, lo: -0.4, hi: 0.4), input([n, g], 3, lo: -0.3, hi: 0.3),
                      input([g], 4), input([bs, n], 5), input([bs, n], 6)]
            let seed = input([bs, t, n], 7)
            func run<S: RecurrentScalar>(_: S.Type, threads: Int, gather: Bool) throws -> [Tensor] {
                let (oldThreads, oldWork) = (BLASThreads.count, recurrentParallelWork)
                BLASThreads.count = threads; recurrentParallelWork = 0; recurrentOneHot = gather
                defer { BLASThreads.count = oldThreads; recurrentParallelWork = oldWork; recurrentOneHot = true }
                let tape = Tape(checkNaN: false)
                let vs = xs.map { Variable(leaf: $0, tape: tape) }
                let (y, _, _) = try LSTM.sequence(vs[0], vs[1], vs[2], vs[3], vs[4], vs[5], returnSequences: true,
                                                  workspace: Workspace(), as: S.self)
                try y.backward(seed: seed)
                return [y.value] + vs.map { $0.grad! }
            }
            let reference = try run(Double.self, threads: 1, gather: false)
            for threads in [1, 2] {
                let single = try run(Float.self, threads: threads, gather: true)
                for k in reference.indices {
                    XCTAssertLessThan(try Autograd.relativeError([single[k]], [reference[k]]), 2e-5, "n \(n), \(threads) threads, result \(k)")
                }
            }
        }
    }

    /// The Swift product kernel against plain sums, every transposition, odd sizes, leading dimensions.
    func testSmallProductKernel() {
        for (m, n, k) in [(1, 1, 1), (3, 5, 2), (7, 13, 9), (20, 20, 5), (4, 8, 3), (5, 17, 11)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3
                    let a = input([(ta ? k : m) * lda], 81).scalars, b = input([(tb ? n : k) * ldb], 82).scalars
                    for acc in [false, true] {
                        var c = input([m * ldc], 83).scalars
                        var expect = c
                        for i in 0..<m {
                            for j in 0..<n {
                                var s = acc ? expect[i * ldc + j] : 0
                                for p in 0..<k { s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]) }
                                expect[i * ldc + j] = s
                            }
                        }
                        smallGemm(ta, tb, m, n, k, a, lda, b, ldb, &c, ldc, acc)
                        for i in 0..<m { for j in 0..<n { XCTAssertEqual(c[i * ldc + j], expect[i * ldc + j], accuracy: 1e-12) } }
                        XCTAssertEqual(c[ldc - 1], expect[ldc - 1])   // padding untouched
                    }
                }
            }
        }
    }

    /// Larger than the small-product limit: the BLAS path with leading dimensions.
    func testLSTMGradientsThroughBLAS() {
        let old = recurrentSmallGemm
        recurrentSmallGemm = 0
        defer { recurrentSmallGemm = old }
        let g = 4 * n
        let xs = [input([B, 6, D], 1), input([D, g], 2, lo: -0.7, hi: 0.7), input([n, g], 3, lo: -0.7, hi: 0.7),
                  input([g], 4, lo: -0.5, hi: 0.5), input([B, n], 5), input([B, n], 6)]
        for rs in [true, false] {
            check(xs) { v in try LSTM.sequence(v[0], v[1], v[2], v[3], v[4], v[5], returnSequences: rs).0 }
        }
        let xg = [xs[0], input([D, 3 * n], 2), input([n, 3 * n], 3), input([2, 3 * n], 4), xs[4]]
        check(xg) { v in try GRU.sequence(v[0], v[1], v[2], v[3], v[4], returnSequences: true).0 }
        let xr = [xs[0], input([D, n], 2), input([n, n], 3), input([n], 4), xs[4]]
        check(xr) { v in try SimpleRNN.sequence(v[0], v[1], v[2], v[3], v[4], .tanh, returnSequences: true).0 }
    }

    /// Through the layers: parameters and initial states as leaves of one differentiation.
    func testLayerGradientsWithInitialState() throws {
        for rs in [true, false] {
            let layer = try LSTM(n, returnSequences: rs)
            let x = input([B, T, D], 8)
            _ = try layer.forward(Variable(constant: x), ForwardPass())
            let ps = layer.parameters
            check([x] + ps.map(\.value) + [input([B, n], 9), input([B, n], 10)]) { v in
                for (p, t) in zip(ps, v[1...3]) { p.value = t.value }
                return try LSTM.sequence(v[0], v[1], v[2], v[3], v[4], v[5], returnSequences: rs).0
            }
            // the layer's own entry point agrees with the op
            let h0 = input([B, n], 9), c0 = input([B, n], 10)
            for (p, t) in zip(ps, [input([D, 4 * n], 2), input([n, 4 * n], 3), input([4 * n], 4)]) { p.value = t }
            let a = try layer.forward(Variable(constant: x), initialState: [Variable(constant: h0), Variable(constant: c0)], ForwardPass()).value
            let b = try LSTM.sequence(Variable(constant: x), Variable(constant: ps[0].value), Variable(constant: ps[1].value),
                                      Variable(constant: ps[2].value), Variable(constant: h0), Variable(constant: c0), returnSequences: rs).0.value
            XCTAssertEqual(a, b)
        }
    }

    /// The layers reuse their scratch buffers between calls: repeated steps, and two calls on
    /// one tape (whose buffers must not be shared), give the gradients of separate calls.
    func testWorkspaceReuse() throws {
        for layer in [try LSTM(3) as RecurrentLayer & Layer, try GRU(3), try SimpleRNN(3, .relu), try SimpleRNN(3)] {
            let x1 = input([2, 6, 3], 91), x2 = input([2, 6, 3], 92), w = Variable(constant: input([2, 6, 3], 93))
            func grads(_ xs: [Tensor]) throws -> [Tensor] {
                let pass = ForwardPass(tape: Tape(), training: true)
                var total: Variable? = nil
                for x in xs {
                    let l = try (try layer.forward(Variable(constant: x), pass) * w).reduce(.sum)
                    total = try total.map { try $0 + l } ?? l
                }
                try total!.backward()
                return pass.used.map { $0.1.grad! }
            }
            let g1 = try grads([x1]), g2 = try grads([x2]), both = try grads([x1, x2]), again = try grads([x1])
            for k in g1.indices {
                XCTAssertEqual(again[k], g1[k])
                assertClose(both[k], try g1[k] + g2[k])
            }
        }
    }

    /// A scratch buffer goes back to the workspace once nothing holds it, and only then.
    func testWorkspaceHandsOutFreedScratch() {
        let ws = Workspace()
        var a: Scratch<Float>? = try! ws.scratch(100, Float.self)
        let first = ObjectIdentifier(a!)
        let b = try! ws.scratch(100, Float.self)
        XCTAssertNotEqual(ObjectIdentifier(b), first, "a held buffer was handed out again")
        XCTAssertNotEqual(ObjectIdentifier(try ws.scratch(100, Double.self)), first, "a buffer of another type")
        a = nil
        XCTAssertEqual(ObjectIdentifier(try ws.scratch(100, Float.self)), first, "a freed buffer was not reused")
        withExtendedLifetime(b) {}
    }

    // MARK: - against Keras's equations, written as plain loops

    func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }

    /// Keras LSTM: z = x W + h U + b split as [i | f | c | o]; c = f c + i tanh(z_c); h = o tanh(c).
    func referenceLSTM(_ x: Tensor, _ w: Tensor, _ u: Tensor, _ b: Tensor, _ h0: Tensor, _ c0: Tensor) -> (out: [[[Double]]], c: [[Double]]) {
        let bs = x.shape[0], steps = x.shape[1], d = x.shape[2], units = u.shape[0]
        var out = [[[Double]]](repeating: [], count: bs)
        var cFinal: [[Double]] = []
        for bi in 0..<bs {
            var h = (0..<units).map { h0[bi, $0] }, c = (0..<units).map { c0[bi, $0] }
            for t in 0..<steps {
                var z = [Double](repeating: 0, count: 4 * units)
                for k in 0..<(4 * units) {
                    var s = b[k]
                    for i in 0..<d { s += x[bi, t, i] * w[i, k] }
                    for i in 0..<units { s += h[i] * u[i, k] }
                    z[k] = s
                }
                var hNew = [Double](repeating: 0, count: units)
                for j in 0..<units {
                    let ig = sigmoid(z[j]), fg = sigmoid(z[units + j]), cg = Foundation.tanh(z[2 * units + j]), og = sigmoid(z[3 * units + j])
                    c[j] = fg * c[j] + ig * cg
                    hNew[j] = og * Foundation.tanh(c[j])
                }
                h = hNew
                out[bi].append(h)
            }
            cFinal.append(c)
        }
        return (out, cFinal)
    }

    func testLSTMMatchesKerasEquations() throws {
        let layer = try LSTM(4)
        let x = input([3, 7, 2], 21)
        let h0 = input([3, 4], 22), c0 = input([3, 4], 23)
        let y0 = try layer.forward(Variable(constant: x), ForwardPass())   // builds
        XCTAssertEqual(y0.shape, [3, 7, 4])
        let ps = layer.parameters
        XCTAssertEqual(ps.map(\.name), ["kernel", "recurrent_kernel", "bias"])
        XCTAssertEqual(ps.map(\.value.shape), [[2, 16], [4, 16], [16]])
        // unit_forget_bias: the forget block (the second quarter) is 1, the rest 0
        XCTAssertEqual(ps[2].value.scalars, [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        // orthogonal recurrent kernel [4, 16]: orthonormal rows
        let uut = try Tensor.matmul(ps[1].value, ps[1].value.transposed())
        for i in 0..<4 { for j in 0..<4 { XCTAssertEqual(uut[i, j], i == j ? 1 : 0, accuracy: 1e-12) } }
        // glorot uniform kernel: limit sqrt(6 / (2 + 16))
        XCTAssertLessThanOrEqual(try ps[0].value.map(.abs).scalars.max()!, (6.0 / 18).squareRoot())

        ps[2].value = input([16], 24, lo: -0.5, hi: 0.5)   // a distinct bias per gate
        ps[0].value = input([2, 16], 25)
        layer.initialState = [h0, c0]
        let y = try layer.forward(Variable(constant: x), ForwardPass()).value
        let ref = referenceLSTM(x, ps[0].value, ps[1].value, ps[2].value, h0, c0)
        for bi in 0..<3 { for t in 0..<7 { for j in 0..<4 { XCTAssertEqual(y[bi, t, j], ref.out[bi][t][j], accuracy: 1e-13) } } }
        let fs = try XCTUnwrap(layer.finalState)
        for bi in 0..<3 {
            for j in 0..<4 {
                XCTAssertEqual(fs[0][bi, j], ref.out[bi][6][j], accuracy: 1e-13)
                XCTAssertEqual(fs[1][bi, j], ref.c[bi][j], accuracy: 1e-13)
            }
        }
        // last step only
        let last = try LSTM(4, returnSequences: false)
        _ = try last.forward(Variable(constant: x), ForwardPass())
        for (p, q) in zip(last.parameters, ps) { p.value = q.value }
        last.initialState = [h0, c0]
        let yl = try last.forward(Variable(constant: x), ForwardPass()).value
        XCTAssertEqual(yl.shape, [3, 4])
        for bi in 0..<3 { for j in 0..<4 { XCTAssertEqual(yl[bi, j], ref.out[bi][6][j], accuracy: 1e-13) } }
        // an odd batch x units (the paired activations' last element alone)
        let odd = try LSTM(3)
        let xo = input([3, 5, 2], 26), ho = input([3, 3], 27), co = input([3, 3], 28)
        _ = try odd.forward(Variable(constant: xo), ForwardPass())
        odd.parameters[2].value = input([12], 29)
        odd.initialState = [ho, co]
        let yo = try odd.forward(Variable(constant: xo), ForwardPass()).value
        let op = odd.parameters.map(\.value)
        let ro = referenceLSTM(xo, op[0], op[1], op[2], ho, co)
        for bi in 0..<3 { for t in 0..<5 { for j in 0..<3 { XCTAssertEqual(yo[bi, t, j], ro.out[bi][t][j], accuracy: 1e-13) } } }
    }

    func testGRUMatchesKerasEquations() throws {
        let layer = try GRU(3)
        let x = input([3, 5, 2], 31), h0 = input([3, 3], 32)   // batch x units odd
        _ = try layer.forward(Variable(constant: x), ForwardPass())
        let ps = layer.parameters
        XCTAssertEqual(ps.map(\.value.shape), [[2, 9], [3, 9], [2, 9]])
        ps[2].value = input([2, 9], 33)
        layer.initialState = [h0]
        let y = try layer.forward(Variable(constant: x), ForwardPass()).value
        let w = ps[0].value, u = ps[1].value, b = ps[2].value, n = 3
        for bi in 0..<3 {
            var h = (0..<n).map { h0[bi, $0] }
            for t in 0..<5 {
                var a = [Double](repeating: 0, count: 3 * n), q = a
                for k in 0..<(3 * n) {
                    a[k] = b[0, k]; q[k] = b[1, k]
                    for i in 0..<2 { a[k] += x[bi, t, i] * w[i, k] }
                    for i in 0..<n { q[k] += h[i] * u[i, k] }
                }
                var hNew = h
                for j in 0..<n {
                    let z = sigmoid(a[j] + q[j]), r = sigmoid(a[n + j] + q[n + j])
                    let hh = Foundation.tanh(a[2 * n + j] + r * q[2 * n + j])
                    hNew[j] = z * h[j] + (1 - z) * hh
                }
                h = hNew
                for j in 0..<n { XCTAssertEqual(y[bi, t, j], h[j], accuracy: 1e-13) }
            }
        }
    }

    func testSimpleRNNMatchesEquations() throws {
        let layer = try SimpleRNN(3, .relu, returnSequences: false)
        let x = input([2, 4, 2], 41)
        _ = try layer.forward(Variable(constant: x), ForwardPass())
        let ps = layer.parameters
        ps[2].value = input([3], 42)
        let y = try layer.forward(Variable(constant: x), ForwardPass()).value
        XCTAssertEqual(y.shape, [2, 3])
        for bi in 0..<2 {
            var h = [0.0, 0, 0]
            for t in 0..<4 {
                var hNew = h
                for k in 0..<3 {
                    var s = ps[2].value[k]
                    for i in 0..<2 { s += x[bi, t, i] * ps[0].value[i, k] }
                    for i in 0..<3 { s += h[i] * ps[1].value[i, k] }
                    hNew[k] = Swift.max(s, 0)
                }
                h = hNew
            }
            for j in 0..<3 { XCTAssertEqual(y[bi, j], h[j], accuracy: 1e-13) }
        }
        XCTAssertEqual(layer.description, "simple_rnn(3, relu, return_sequences=false)")
    }

    // MARK: - state

    func testStatefulCarriesStateBetweenCalls() throws {
        let x = input([2, 10, 3], 51)
        let first = try x.split(indices: [6], axis: 1)[0], second = try x.split(indices: [6], axis: 1)[1]
        for make in [{ s in try LSTM(4, stateful: s) as RecurrentLayer & Layer },
                     { s in try GRU(4, stateful: s) },
                     { s in try SimpleRNN(4, stateful: s) }] as [(Bool) throws -> RecurrentLayer & Layer] {
            let whole = try make(true), parts = try make(true)
            _ = try whole.forward(Variable(constant: x), ForwardPass())
            whole.resetStates()
            _ = try parts.forward(Variable(constant: first), ForwardPass())
            for (p, q) in zip(parts.parameters, whole.parameters) { p.value = q.value }
            parts.resetStates()
            let all = try whole.forward(Variable(constant: x), ForwardPass()).value
            let a = try parts.forward(Variable(constant: first), ForwardPass()).value
            let b = try parts.forward(Variable(constant: second), ForwardPass()).value
            // equal up to rounding: BLAS may sum in another order for another number of rows
            assertClose(try Tensor.concat([a, b], axis: 1), all)
            for (p, q) in zip(parts.finalState!, whole.finalState!) { assertClose(p, q) }
            // another batch size keeps its own state
            _ = try parts.forward(Variable(constant: try x.split(indices: [1], axis: 0)[0]), ForwardPass())
            XCTAssertEqual(parts.carriedStates.count, 2)
            // after a reset the second part starts from zeros again
            parts.resetStates()
            let fresh = try parts.forward(Variable(constant: second), ForwardPass()).value
            XCTAssertNotEqual(fresh, b)
            // a non-stateful layer starts from its initial state every call
            let plain = try make(false)
            _ = try plain.forward(Variable(constant: first), ForwardPass())
            for (p, q) in zip(plain.parameters, whole.parameters) { p.value = q.value }
            let p1 = try plain.forward(Variable(constant: first), ForwardPass()).value
            let p2 = try plain.forward(Variable(constant: first), ForwardPass()).value
            XCTAssertEqual(p1, p2)
            XCTAssertEqual(p1, a)
        }
        // initialState given explicitly continues a sequence as well
        let l = try LSTM(4), m = try LSTM(4)
        let all = try l.forward(Variable(constant: x), ForwardPass()).value
        _ = try m.forward(Variable(constant: first), ForwardPass())
        for (p, q) in zip(m.parameters, l.parameters) { p.value = q.value }
        _ = try m.forward(Variable(constant: first), ForwardPass())
        m.initialState = m.finalState
        let b = try m.forward(Variable(constant: second), ForwardPass()).value
        assertClose(b, try second2(all))
        XCTAssertThrowsError(try m.forward(Variable(constant: try x.split(indices: [1], axis: 0)[0]), ForwardPass()))   // wrong batch
    }

    func assertClose(_ a: Tensor, _ b: Tensor, _ tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        guard a.shape == b.shape else { return }
        let d = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(d, tol, file: file, line: line)
    }

    func second2(_ t: Tensor) throws -> Tensor { try t.split(indices: [6], axis: 1)[1] }

    // MARK: - embedding

    func testEmbedding() throws {
        let e = try Embedding(7, 3)
        let idx = try Tensor([1, 4, 1, 6, 0, 4], shape: [2, 3])
        let y = try e.forward(Variable(constant: idx), ForwardPass())
        XCTAssertEqual(y.shape, [2, 3, 3])
        let table = e.parameters[0].value
        XCTAssertEqual(table.shape, [7, 3])
        XCTAssertLessThanOrEqual(try table.map(.abs).scalars.max()!, 0.05)
        for k in 0..<3 { XCTAssertEqual(y.value[1, 2, k], table[4, k]) }
        // gradient: rows scattered and added
        check([table]) { v in try Embedding.lookup(idx, v[0], count: 2 * 3, index: [1, 4, 1, 6, 0, 4]) }
        XCTAssertThrowsError(try e.forward(Variable(constant: try Tensor([7], shape: [1, 1])), ForwardPass()))
        XCTAssertThrowsError(try e.forward(Variable(constant: try Tensor([0.5], shape: [1, 1])), ForwardPass()))
    }
}
