// The layers' products split over product threads against one thread and a plain
// loop: the recurrent layers' all-steps GEMM (bigGemm, both precisions, every
// transpose) and a dense layer's forward and backward passes with m < n and m > n.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class ThreadedLayerProductTests: XCTestCase {
    func onThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let (oldThreads, oldWork) = (BLASThreads.count, splitProductWork)
        BLASThreads.count = threads; splitProductWork = 1
        defer { BLASThreads.count = oldThreads; splitProductWork = oldWork }
        return try body()
    }

    /// bigGemm writes C with leading dimension ldc > n (a block of a wider matrix, as
    /// the recurrent layers' projections do); the columns beyond n stay untouched.
    func bigGemmCase<S: RecurrentScalar & BinaryFloatingPoint>(_: S.Type, _ m: Int, _ n: Int, _ k: Int, threads: Int,
                                                               transA: Bool, transB: Bool, tol: Double) {
        var g = Xoshiro256(seed: UInt64(m * 1000 + n * 10 + k))
        let (lda, ldb, ldc) = ((transA ? m : k) + 3, (transB ? k : n) + 2, n + 5)
        let aRows = transA ? k : m, bRows = transB ? n : k
        let a = (0..<(aRows * lda)).map { _ in S(Double(g.next() % 2001) / 1000 - 1) }
        let b = (0..<(bRows * ldb)).map { _ in S(Double(g.next() % 2001) / 1000 - 1) }
        var c = [S](repeating: -7, count: m * ldc)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            onThreads(threads) { bigGemm(transA, transB, m, n, k, pa.baseAddress!, lda, pb.baseAddress!, ldb, pc.baseAddress!, ldc) }
        } } }
        for i in 0..<m {
            for j in 0..<ldc {
                let got = Double(c[i * ldc + j])
                if j >= n { if got != -7 { XCTFail("bigGemm wrote past column n at [\(i), \(j)]"); return }; continue }
                var want = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p], y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    want += Double(x) * Double(y)
                }
                if abs(got - want) > tol * max(1, abs(want)) {
                    XCTFail("\(S.self) \(m)x\(k)x\(n) on \(threads) threads, transposes \(transA) \(transB): [\(i), \(j)] \(got) != \(want)")
                    return
                }
            }
        }
    }

    func testBigGemmOnOneTwoAndThreeThreads() {
        for (m, k, n) in [(20, 50, 120), (120, 50, 20), (40, 40, 40), (17, 31, 93)] {
            for threads in [1, 2, 3] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    bigGemmCase(Double.self, m, n, k, threads: threads, transA: ta, transB: tb, tol: 1e-12)
                    bigGemmCase(Float.self, m, n, k, threads: threads, transA: ta, transB: tb, tol: 1e-4)
                }
            }
        }
    }

    /// A dense layer on 2 and 3 threads: the same output and gradients as on one thread,
    /// for a batch narrower than the layer (the column split) and wider (the row split).
    func testDenseForwardAndBackwardOnThreads() throws {
        for (batch, inWidth, units) in [(16, 300, 200), (200, 300, 16)] {
            for dtype in [ComputeType.float64, .float32] {
                let x = LayerCheck.input([batch, inWidth], 3)
                let kernel = LayerCheck.input([inWidth, units], 4), bias = LayerCheck.input([units], 5)
                let seed = LayerCheck.input([batch, units], 6)
                func run(_ threads: Int) throws -> [Tensor] {
                    try onThreads(threads) {
                        let layer = try Dense(units, .tanh, dtype: dtype)
                        _ = try layer.forward(Variable(constant: x), ForwardPass())
                        layer.parameters[0].value = kernel; layer.parameters[1].value = bias
                        let tape = Tape(), xv = Variable(leaf: x, tape: tape)
                        let pass = ForwardPass(tape: tape, training: true)
                        let y = try layer.forward(xv, pass)
                        try y.backward(seed: seed)
                        return [y.value, xv.grad!] + pass.used.map { $0.1.grad! }
                    }
                }
                let one = try run(1)
                // the plain-loop reference for the pre-activation
                let z = naive(x, kernel)
                for i in 0..<batch { for j in 0..<units {
                    XCTAssertEqual(one[0][i, j], tanh(z[i * units + j] + bias[j]), accuracy: dtype == .float32 ? 1e-4 : 1e-12)
                } }
                for threads in [2, 3] {
                    let many = try run(threads)
                    XCTAssertEqual(many.count, one.count)
                    for (p, q) in zip(many, one) {
                        XCTAssertLessThan(try Autograd.relativeError([p], [q]), dtype == .float32 ? 1e-6 : 1e-13,
                                          "\(batch)x\(inWidth) -> \(units), \(dtype), \(threads) threads")
                    }
                }
            }
        }
    }

    func naive(_ a: Tensor, _ b: Tensor) -> [Double] {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for p in 0..<k { let x = a[i, p]; for j in 0..<n { c[i * n + j] += x * b[p, j] } } }
        return c
    }
}
