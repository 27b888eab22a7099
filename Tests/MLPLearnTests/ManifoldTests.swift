import XCTest
import MLPTensor
@testable import MLPLearn
import MLPTestSupport

final class PCATests: XCTestCase {
    /// Points on the line (1, 2, 2)/3 · t through (1, 1, 1): one component with
    /// all the variance, the line's direction (sign: largest entry positive).
    func testPointsOnALine() throws {
        let ts = [-2.0, -1, 0, 1, 2, 4]
        var rows: [[Double]] = []
        for t in ts { rows.append([1 + t / 3, 1 + 2 * t / 3, 1 + 2 * t / 3]) }
        let r = try pca(Tensor(rows: rows), k: 1)
        let c = r.components.scalars
        XCTAssertEqual(r.components.shape, [1, 3])
        // (1,2,2)/3 has its largest entries positive: no flip
        for (a, b) in zip(c, [1.0 / 3, 2.0 / 3, 2.0 / 3]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // projections: t minus the mean of t (2/3)
        for (a, t) in zip(r.projected.scalars, ts) { XCTAssertEqual(a, t - 2.0 / 3, accuracy: 1e-12) }
        // variance of t with 1/(n−1): Σ(t − 2/3)² / 5 = (Σt² − 6·(2/3)²)/5 = (26 − 8/3)/5
        XCTAssertEqual(try r.explainedVariance.item(), (26 - 8.0 / 3) / 5, accuracy: 1e-12)
        XCTAssertEqual(try r.explainedVarianceRatio.item(), 1, accuracy: 1e-12)
        XCTAssertEqual(r.mean.scalars[0], 1 + 2.0 / 9, accuracy: 1e-12)
    }

    /// Axis-aligned data: the covariance is diagonal, so the components are the
    /// axes by decreasing variance and the variances are its entries.
    func testVariancesAreCovarianceEigenvalues() throws {
        // x varies ±3, y ±1, z ±2, independently (a 2×2×2 grid is balanced)
        var rows: [[Double]] = []
        for a in [-3.0, 3] { for b in [-1.0, 1] { for cc in [-2.0, 2] { rows.append([a, b, cc]) } } }
        let r = try pca(Tensor(rows: rows), k: 3)
        // variances: 8·9/7, 8·4/7, 8·1/7 ordered x, z, y
        let v = r.explainedVariance.scalars
        XCTAssertEqual(v[0], 72.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(v[1], 32.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(v[2], 8.0 / 7, accuracy: 1e-12)
        let expected: [Double] = [1, 0, 0, 0, 0, 1, 0, 1, 0]
        for (a, b) in zip(r.components.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // and they agree with eigh of the covariance (ascending there)
        let xc = try Tensor(rows: rows)
        let cov = try Tensor.binary(.div, Tensor.matmul(xc, xc, transposeA: true, transposeB: false), 7.0)
        let ev = try cov.eigh().values.scalars
        for (a, b) in zip(v, ev.reversed()) { XCTAssertEqual(a, b, accuracy: 1e-10) }
    }

    func testSignConventionFlipsNegativeLeadingEntry() throws {
        // the line along (−3, 1)/√10: the component is (3, −1)/√10 (largest |entry| positive)
        let rows = [[-3.0, 1], [0, 0], [3, -1], [6, -2]]
        let r = try pca(Tensor(rows: rows), k: 1)
        let s = 10.0.squareRoot()
        XCTAssertEqual(r.components.scalars[0], 3 / s, accuracy: 1e-12)
        XCTAssertEqual(r.components.scalars[1], -1 / s, accuracy: 1e-12)
    }

    func testErrors() {
        XCTAssertThrowsError(try pca(Tensor([1.0, 2, 3]), k: 1))
        XCTAssertThrowsError(try pca(Tensor(rows: [[1.0, 2], [3, 4]]), k: 3))
        XCTAssertThrowsError(try pca(Tensor(rows: [[1.0, 2]]), k: 1))
    }
}

final class TSNETests: XCTestCase {
    /// Three Gaussian clouds (σ = 1) in 10 dimensions, centres 20 apart.
    func clouds(perCloud: Int, seed: UInt64) throws -> (Tensor, [Int]) {
        var g = Xoshiro256(seed: seed)
        var values: [Double] = [], labels: [Int] = []
        for c in 0..<3 {
            for _ in 0..<perCloud {
                for k in 0..<10 { values.append((k == c ? 20 : 0) + g.normal()) }
                labels.append(c)
            }
        }
        return (try Tensor(values, shape: [3 * perCloud, 10]), labels)
    }

    func testPerplexityCalibration() throws {
        var g = Xoshiro256(seed: 3)
        let x = try Tensor.randn([80, 5], using: &g)
        for perplexity in [5.0, 20.0, 50.0] {
            let p = try tsneConditionalProbabilities(squaredDistances: squaredDistances(x), perplexity: perplexity)
            let pp = p.scalars
            for i in 0..<80 {
                var sum = 0.0, h = 0.0
                for j in 0..<80 {
                    let v = pp[i * 80 + j]
                    sum += v
                    if v > 0 { h -= v * log(v) }
                }
                XCTAssertEqual(pp[i * 80 + i], 0)
                XCTAssertEqual(sum, 1, accuracy: 1e-12)
                XCTAssertEqual(h, log(perplexity), accuracy: 1e-5, "row \(i), perplexity \(perplexity)")
            }
        }
        XCTAssertThrowsError(try tsneConditionalProbabilities(squaredDistances: squaredDistances(x), perplexity: 80))
    }

    func testSquaredDistances() throws {
        let d = try squaredDistances(Tensor(rows: [[0.0, 0], [3, 4], [1, 1]]))
        XCTAssertEqual(d.scalars, [0, 25, 2, 25, 0, 13, 2, 13, 0])
    }

    func testSeparatesThreeClouds() throws {
        let (x, labels) = try clouds(perCloud: 40, seed: 1)
        var g = Xoshiro256(seed: 7)
        let r = try tsne(x, perplexity: 20, iterations: 500, generator: &g)
        XCTAssertEqual(r.embedding.shape, [120, 2])
        // nearest neighbour in the embedding has the same label
        let y = r.embedding.scalars
        var agree = 0
        for i in 0..<120 {
            var best = -1, bd = Double.infinity
            for j in 0..<120 where j != i {
                let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
                if dx * dx + dy * dy < bd { bd = dx * dx + dy * dy; best = j }
            }
            if labels[best] == labels[i] { agree += 1 }
        }
        XCTAssertGreaterThan(Double(agree) / 120, 0.95)
        // KL falls from the random start, and keeps falling after the exaggeration ends
        let h = r.klHistory
        XCTAssertEqual(h.first?.iteration, 0)
        XCTAssertEqual(h.last?.iteration, 500)
        XCTAssertEqual(h.last?.kl, r.kl)
        let at300 = h.first { $0.iteration == 300 }!.kl
        XCTAssertLessThan(r.kl, at300)
        XCTAssertLessThan(r.kl, h[0].kl / 2)
        XCTAssertGreaterThan(r.kl, 0)
    }

    func testSeedRepeats() throws {
        let (x, _) = try clouds(perCloud: 10, seed: 2)
        var g1 = Xoshiro256(seed: 5), g2 = Xoshiro256(seed: 5)
        let a = try tsne(x, perplexity: 5, iterations: 60, generator: &g1)
        let b = try tsne(x, perplexity: 5, iterations: 60, generator: &g2)
        XCTAssertEqual(a.embedding.scalars, b.embedding.scalars)
        TestRandom.seed(5)
        let c = try tsne(x, perplexity: 5, iterations: 60)
        XCTAssertEqual(a.embedding.scalars, c.embedding.scalars)
    }

    /// The symmetrised P of `x` as a raw buffer (the caller deallocates).
    func jointP(_ x: Tensor, perplexity: Double) throws -> UnsafeMutablePointer<Double> {
        let n = x.shape[0]
        let c = try tsneConditionalProbabilities(squaredDistances: squaredDistances(x), perplexity: perplexity).scalars
        let p = UnsafeMutablePointer<Double>.allocate(capacity: n * n)
        for i in 0..<n { for j in 0..<n { p[i * n + j] = (c[i * n + j] + c[j * n + i]) / (2 * Double(n)) } }
        return p
    }

    /// The analytic gradient against central differences of the KL (no
    /// exaggeration), in 2-D (the SIMD path) and 3-D (the pairwise path).
    func testGradientMatchesFiniteDifferences() throws {
        let (x, _) = try clouds(perCloud: 5, seed: 4)
        let n = 15
        let p = try jointP(x, perplexity: 3)
        defer { p.deallocate() }
        var g = Xoshiro256(seed: 9)
        for dim in [2, 3] {
            let y = UnsafeMutablePointer<Double>.allocate(capacity: dim * n)
            defer { y.deallocate() }
            for k in 0..<(dim * n) { y[k] = g.normal() }
            let work = TSNEWork(n: n, dim: dim)
            work.gradient(p, y, exaggeration: 1)
            let analytic = Array(UnsafeBufferPointer(start: work.grad, count: dim * n))
            let h = 1e-6
            for k in 0..<(dim * n) {
                let y0 = y[k]
                y[k] = y0 + h; let fp = work.kl(p, y)
                y[k] = y0 - h; let fm = work.kl(p, y)
                y[k] = y0
                XCTAssertEqual(analytic[k], (fp - fm) / (2 * h), accuracy: 1e-7, "dim \(dim), k \(k)")
            }
        }
    }

    /// The 2-D one-pass SIMD gradient equals the pairwise one (with exaggeration, n not a multiple of 4).
    func testSIMDGradientMatchesPairwise() throws {
        let (x, _) = try clouds(perCloud: 7, seed: 6)
        let n = 21
        let p = try jointP(x, perplexity: 5)
        defer { p.deallocate() }
        var g = Xoshiro256(seed: 2)
        let y = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        defer { y.deallocate() }
        for k in 0..<(2 * n) { y[k] = 3 * g.normal() }
        let work = TSNEWork(n: n, dim: 2)
        work.gradient2(p, y, exaggeration: 12)
        let simd = Array(UnsafeBufferPointer(start: work.grad, count: 2 * n))
        work.gradientPairs(p, y, exaggeration: 12)
        for k in 0..<(2 * n) { XCTAssertEqual(simd[k], work.grad[k], accuracy: 1e-13 * Swift.max(1, Swift.abs(simd[k]))) }
    }

    func testErrors() throws {
        let (x, _) = try clouds(perCloud: 3, seed: 1)
        var g = Xoshiro256(seed: 1)
        XCTAssertThrowsError(try tsne(x, perplexity: 30, generator: &g))      // perplexity ≥ n
        XCTAssertThrowsError(try tsne(x, perplexity: 2, initial: Tensor([1.0]), generator: &g))
        XCTAssertThrowsError(try tsne(Tensor(rows: [[1.0, 2]]), perplexity: 0.5, generator: &g))   // one point
        XCTAssertThrowsError(try tsne(Tensor(rows: [[1.0, 2], [.nan, 0], [3, 4]]), perplexity: 1, generator: &g))
        XCTAssertThrowsError(try tsne(x, dim: 0, perplexity: 2, generator: &g))
    }
}
