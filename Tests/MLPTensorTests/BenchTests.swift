#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MLPTensor
import XCTest
import MLPTestSupport

/// Timings, run only with MLP_BENCH=1 (release: `swift test -c release --filter BenchTests`).
final class BenchTests: XCTestCase {
    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func best(_ reps: Int = 5, _ body: () throws -> Void) rethrows -> Double {
        var b = Double.infinity
        for _ in 0..<reps { let t0 = now(); try body(); b = Swift.min(b, now() - t0) }
        return b
    }

    func testBench() throws {
        guard getenv("MLP_BENCH") != nil else { return }
        TestRandom.seed(0)
        let n = 1024
        let a = try Tensor.randn([n, n]), b = try Tensor.randn([n, n])
        var c = a
        let tm = try best { c = try Tensor.matmul(a, b) }
        print(String(format: "BENCH matmul 1024: %.2f GFLOP/s (%.4f s)", 2.0 * Double(n * n * n) / tm / 1e9, tm), c.count)
        let x = try Tensor.randn([10_000_000]), y = try Tensor.randn([10_000_000]), z = try Tensor.randn([10_000_000])
        var r = x
        let te = try best { r = try x.map(.exp) }
        print(String(format: "BENCH exp 1e7: %.4f s", te), r.count)
        let tf = try best { r = try x * y + z }
        print(String(format: "BENCH a*b+c 1e7: %.4f s", tf), r.count)
        let tm1 = try best { r = try x * y }
        print(String(format: "BENCH a*b 1e7: %.4f s", tm1), r.count)
        let tc = try best { r = try x * 2.0 }
        print(String(format: "BENCH a*2 1e7: %.4f s", tc), r.count)
        var s = 0.0
        let ts = try best { s = try x.sum().item() }
        print(String(format: "BENCH sum 1e7: %.4f s", ts), s)
        // small matmul: Swift loop vs BLAS
        for m in [2, 4, 8, 12, 16, 24, 32] {
            let p = try Tensor.randn([m, m]), q = try Tensor.randn([m, m])
            let iters = 20000
            Tensor.smallGemmLimit = 1 << 40
            let tl = try best(3) { for _ in 0..<iters { c = try Tensor.matmul(p, q) } }
            Tensor.smallGemmLimit = 0
            let tb = try best(3) { for _ in 0..<iters { c = try Tensor.matmul(p, q) } }
            Tensor.smallGemmLimit = 64
            print(String(format: "BENCH small matmul %d: loop %.3f us, blas %.3f us", m, tl / Double(iters) * 1e6, tb / Double(iters) * 1e6))
        }
    }
}
