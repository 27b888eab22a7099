// Numerics/: einsum against explicit loops, the ODE integrators against exact
// solutions and their orders, percentile/histogram against hand-computed values.
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import MLPTensor
import MLPAutograd
@testable import MLPLearn

final class NumericsTests: XCTestCase {
    func testEinsumMatchesLoops() throws {
        let a = try Tensor((0..<6).map { Double($0) * 0.5 - 1 }, shape: [2, 3])
        let b = try Tensor((0..<12).map { Double($0 * $0 % 7) - 3 }, shape: [3, 4])
        let c = try Tensor.einsum("ij,jk->ik", [a, b])
        for i in 0..<2 { for k in 0..<4 {
            var s = 0.0
            for j in 0..<3 { s += a.scalars[i * 3 + j] * b.scalars[j * 4 + k] }
            XCTAssertEqual(c.scalars[i * 4 + k], s, accuracy: 1e-12)
        } }
        // trace, transpose, outer, implicit output (alphabetical)
        let m = try Tensor([1, 2, 3, 4], shape: [2, 2])
        XCTAssertEqual(try Tensor.einsum("ii", [m]).scalars, [5])
        XCTAssertEqual(try Tensor.einsum("ij->ji", [m]).scalars, [1, 3, 2, 4])
        XCTAssertEqual(try Tensor.einsum("ji", [m]).scalars, [1, 3, 2, 4])
        XCTAssertEqual(try Tensor.einsum("i,j", [try Tensor([1, 2]), try Tensor([3, 4, 5])]).shape, [2, 3])
        XCTAssertThrowsError(try Tensor.einsum("ij,jk", [a, a]))
    }

    func testEinsumGradientMatchesFiniteDifferences() throws {
        let a = try Tensor([0.3, -1, 2, 0.5, 1.5, -0.7], shape: [2, 3])
        let b = try Tensor([1, 0.2, -0.4, 0.9, 0.1, 2], shape: [3, 2])
        let f: ([Variable]) throws -> Variable = { v in try Variable.einsum("ij,jk->ik", v).reduce(.sum) }
        let (_, grads) = try Autograd.valueAndGrad([a, b], f)
        let numeric = try Autograd.numericalGrad([a, b]) { ts in try f(ts.map { Variable(constant: $0) }).value.scalars[0] }
        XCTAssertLessThan(try Autograd.relativeError(grads, numeric), 1e-7)
    }

    func testDormandPrinceOnDecayAndOscillator() throws {
        var stats = ODE.Stats()
        let t = (0...10).map { Double($0) * 0.5 }
        let ys = try ODE.dopri5({ y, _ in y.map { -$0 } }, [1], t, rtol: 1e-10, atol: 1e-12, stats: &stats)
        for (ti, y) in zip(t, ys) { XCTAssertEqual(y[0], exp(-ti), accuracy: 1e-9) }
        XCTAssertGreaterThan(stats.steps, 5)
        var s2 = ODE.Stats()
        let tt = (0...40).map { Double($0) * Double.pi / 4 }
        let osc = try ODE.dopri5({ y, _ in [y[1], -y[0]] }, [1, 0], tt, rtol: 1e-9, atol: 1e-12, stats: &s2)
        for (ti, y) in zip(tt, osc) {
            XCTAssertEqual(y[0], cos(ti), accuracy: 1e-7)
            XCTAssertEqual(y[1], -sin(ti), accuracy: 1e-7)
        }
    }

    func testRK4IsFourthOrder() throws {
        func err(_ n: Int) throws -> Double {
            let t = (0...n).map { Double($0) / Double(n) }
            let y = try ODE.rk4({ y, _ in y.map { -$0 } }, [1], t)
            return abs(y[n][0] - exp(-1))
        }
        let ratio = try err(10) / err(20)
        XCTAssertEqual(ratio, 16, accuracy: 1.5)
    }

    /// The selection behind percentile against a full sort, on data with many ties.
    func testPercentileBySelectionMatchesSorting() throws {
        var g = Xoshiro256(seed: 5)
        for n in [1, 2, 3, 10, 101, 1000] {
            let xs = (0..<n).map { _ in Double(g.below(7)) + (g.uniform() < 0.5 ? 0 : g.uniform()) }
            let sorted = xs.sorted()
            let qs = [0, 12.5, 25, 50, 62.5, 99, 100.0]
            let (v, _, _) = try Tensor(xs).percentile(qs, axis: nil, name: "percentile")
            for (k, q) in qs.enumerated() {
                let pos = q / 100 * Double(n - 1), lo = Int(pos.rounded(.down)), hi = Swift.min(lo + 1, n - 1), t = pos - Double(lo)
                let a = sorted[lo], b = sorted[hi], d = b - a
                XCTAssertEqual(v[k], t >= 0.5 ? b - d * (1 - t) : a + d * t, "n \(n) q \(q)")
            }
            let med = try Tensor(xs).percentile(nil, axis: nil, name: "median").values[0]
            XCTAssertEqual(med, n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        }
    }

    func testPercentileAndHistogramByHand() throws {
        let x = try Tensor([3, 1, 4, 1, 5])
        // sorted 1 1 3 4 5: 25% at position 1 -> 1; 60% at 2.4 -> 3 + 0.4 * 1
        let (v, _, _) = try x.percentile([25, 60], axis: nil, name: "percentile")
        XCTAssertEqual(v[0], 1); XCTAssertEqual(v[1], 3.4, accuracy: 1e-15)
        XCTAssertEqual(try x.percentile(nil, axis: nil, name: "median").values, [3])
        let (c, e) = try Tensor.histogram(try Tensor([0, 1, 1, 2, 4]), bins: 4, edges: nil, range: nil)
        XCTAssertEqual(c.scalars, [1, 2, 1, 1])   // [0,1) [1,2) [2,3) [3,4]
        XCTAssertEqual(e.scalars, [0, 1, 2, 3, 4])
    }
}

