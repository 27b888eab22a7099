// Restricted Boltzmann machines against exact answers: conditionals, free energy,
// log Z and the pseudo-likelihood against sums over every joint state; the CD-1
// update against a hand computation with the same random draws; the exact gradient
// against finite differences of the exact log-likelihood, training with it reaching
// the data distribution, and CD-k approaching it as k grows.
import MLPTensor
import MLPLearn
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class BoltzmannTests: XCTestCase {
    /// A machine with N(0, std^2) weights and N(0, 0.5^2) biases.
    func machine(_ nv: Int, _ nh: Int, seed: UInt64, std: Double = 1, units: VisibleUnits = .binary) throws -> RBM {
        var g = Xoshiro256(seed: seed)
        let w = try Tensor.randn([nv, nh], using: &g).scalars.map { $0 * std }
        let a = try Tensor.randn([nv], using: &g).scalars.map { $0 * 0.5 }
        let b = try Tensor.randn([nh], using: &g).scalars.map { $0 * 0.5 }
        return try RBM(weights: try Tensor(w, shape: [nv, nh]), visibleBias: try Tensor(a), hiddenBias: try Tensor(b), units: units)
    }

    /// -E(v, h) for binary units, from the definition.
    func negEnergy(_ m: RBM, _ v: [Double], _ h: [Double]) -> Double {
        let w = m.weights.scalars, a = m.visibleBias.scalars, b = m.hiddenBias.scalars
        var e = 0.0
        for i in 0..<m.visible { e += a[i] * v[i] }
        for j in 0..<m.hidden { e += b[j] * h[j] }
        for i in 0..<m.visible { for j in 0..<m.hidden { e += v[i] * w[i * m.hidden + j] * h[j] } }
        return e
    }

    func bits(_ s: Int, _ n: Int) -> [Double] { (0..<n).map { Double((s >> $0) & 1) } }

    func testFreeEnergyConditionalsAndLogZAgainstEnumeration() throws {
        // 4 visible, 3 hidden (log Z enumerates the hidden layer) and 3 visible, 4 hidden (the visible one)
        for (nv, nh) in [(4, 3), (3, 4)] {
            let m = try machine(nv, nh, seed: 11)
            var z = 0.0
            for sv in 0..<(1 << nv) {
                let v = bits(sv, nv)
                var zv = 0.0, on = [Double](repeating: 0, count: nh)
                for sh in 0..<(1 << nh) {
                    let h = bits(sh, nh), p = exp(negEnergy(m, v, h))
                    zv += p
                    for j in 0..<nh where h[j] == 1 { on[j] += p }
                }
                z += zv
                let f = try m.freeEnergy(try Tensor(v, shape: [1, nv]))[0]
                XCTAssertEqual(f, -log(zv), accuracy: 1e-12)
                let ph = try m.hiddenProbabilities(try Tensor(v, shape: [1, nv])).scalars
                for j in 0..<nh { XCTAssertEqual(ph[j], on[j] / zv, accuracy: 1e-12) }
            }
            XCTAssertEqual(try m.logPartition(), log(z), accuracy: 1e-12)
            // P(v_i = 1 | h) by enumeration over v_i alone
            let h = bits(5, nh)
            let pv = try m.visibleMeans(try Tensor(h, shape: [1, nh])).scalars
            for i in 0..<nv {
                var v1 = [Double](repeating: 0, count: nv); v1[i] = 1
                let v0 = [Double](repeating: 0, count: nv)
                let p1 = exp(negEnergy(m, v1, h)), p0 = exp(negEnergy(m, v0, h))
                XCTAssertEqual(pv[i], p1 / (p0 + p1), accuracy: 1e-12)
            }
            // the exact log-likelihood: log P(v) = -F(v) - log Z
            let data = try Tensor([1, 0, 1] + [Double](repeating: 1, count: nv - 3), shape: [1, nv])
            XCTAssertEqual(try m.logLikelihood(data), -(try m.freeEnergy(data)[0]) - log(z), accuracy: 1e-12)
        }
    }

    /// Gaussian-Bernoulli: log Z against a numerical integral over the one visible unit.
    func testGaussianLogPartitionAgainstQuadrature() throws {
        let m = try machine(1, 2, seed: 3, units: .gaussian)
        let w = m.weights.scalars, a = m.visibleBias.scalars[0], b = m.hiddenBias.scalars
        var z = 0.0
        let dx = 1e-3
        for k in -20_000...20_000 {
            let v = Double(k) * dx
            for sh in 0..<4 {
                let h = bits(sh, 2)
                let e = -(v - a) * (v - a) / 2 + b[0] * h[0] + b[1] * h[1] + v * (w[0] * h[0] + w[1] * h[1])
                z += exp(e) * dx
            }
        }
        XCTAssertEqual(try m.logPartition(), log(z), accuracy: 1e-9)
        // free energy: |v - a|^2 / 2 - sum_j softplus(b_j + v W_j)
        let v = 0.7
        let f = try m.freeEnergy(try Tensor([v], shape: [1, 1]))[0]
        let expected = (v - a) * (v - a) / 2 - log(1 + exp(b[0] + v * w[0])) - log(1 + exp(b[1] + v * w[1]))
        XCTAssertEqual(f, expected, accuracy: 1e-12)
    }

    func testPseudoLikelihoodAgainstEnumeration() throws {
        let m = try machine(5, 3, seed: 5)
        let rows: [[Double]] = [[1, 0, 1, 1, 0], [0, 0, 0, 1, 1], [1, 1, 1, 1, 1]]
        var expected = 0.0
        for v in rows {
            let f = try m.freeEnergy(try Tensor(v, shape: [1, 5]))[0]
            for i in 0..<5 {
                var flipped = v; flipped[i] = 1 - v[i]
                let ff = try m.freeEnergy(try Tensor(flipped, shape: [1, 5]))[0]
                expected += log(exp(-f) / (exp(-f) + exp(-ff)))
            }
        }
        expected /= 3
        XCTAssertEqual(try m.pseudoLogLikelihood(try Tensor(rows: rows)), expected, accuracy: 1e-12)
        // an untrained machine with zero parameters: every unit a fair coin, 5 log(1/2)
        var g = Xoshiro256(seed: 1)
        let zero = try RBM(visible: 5, hidden: 3, std: 0, using: &g)
        XCTAssertEqual(try zero.pseudoLogLikelihood(try Tensor(rows: rows)), 5 * log(0.5), accuracy: 1e-12)
    }

    /// One CD-1 step on one sample of a 2 x 1 machine, by hand with the same uniform draw.
    func testCD1UpdateAgainstHandComputation() throws {
        func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        for probabilities in [true, false] {
            let m = try RBM(weights: try Tensor([0.5, -0.3], shape: [2, 1]), visibleBias: try Tensor([0.1, -0.2]),
                            hiddenBias: try Tensor([0.2]), units: .binary)
            var o = CDOptions(); o.learningRate = 0.1; o.probabilities = probabilities
            let step = CDStep(m, o)
            let v = [1.0, 0.0]
            var g = Xoshiro256(seed: 42)
            let err = v.withUnsafeBufferPointer { step.gradient($0.baseAddress!, 1, &g) }
            try step.apply()
            // the same draws, in the kernel's order: h0, then (all sampled) v1 and h1
            var r = Xoshiro256(seed: 42)
            let ph0 = sig(0.2 + 0.5)
            let h0: Double = r.uniform() < ph0 ? 1 : 0
            var v1 = [sig(0.1 + 0.5 * h0), sig(-0.2 - 0.3 * h0)]
            let expectedErr = (1 - v1[0]) * (1 - v1[0]) + v1[1] * v1[1]
            if !probabilities { v1 = v1.map { r.uniform() < $0 ? 1 : 0 } }
            var h1 = sig(0.2 + 0.5 * v1[0] - 0.3 * v1[1])
            if !probabilities { h1 = r.uniform() < h1 ? 1 : 0 }
            let hPos = probabilities ? ph0 : h0
            let dW = [v[0] * hPos - v1[0] * h1, v[1] * hPos - v1[1] * h1]
            XCTAssertEqual(err, expectedErr, accuracy: 1e-14)
            XCTAssertEqual(m.weights.scalars[0], 0.5 + 0.1 * dW[0], accuracy: 1e-14)
            XCTAssertEqual(m.weights.scalars[1], -0.3 + 0.1 * dW[1], accuracy: 1e-14)
            XCTAssertEqual(m.visibleBias.scalars[0], 0.1 + 0.1 * (v[0] - v1[0]), accuracy: 1e-14)
            XCTAssertEqual(m.visibleBias.scalars[1], -0.2 + 0.1 * (v[1] - v1[1]), accuracy: 1e-14)
            XCTAssertEqual(m.hiddenBias.scalars[0], 0.2 + 0.1 * (hPos - h1), accuracy: 1e-14)
        }
    }

    /// PCD-1 as Tieleman (2008) and scikit-learn's BernoulliRBM._fit: the chains hold
    /// hidden samples (zeros at first); each step samples the negative visible units as
    /// 0/1 from P(v | h_chain), takes h_neg = P(h | v_neg) as probabilities into the
    /// statistics, updates with the batch means, then samples the chains from h_neg.
    /// Two steps (the second from the first's chains), in float64 and float32, against
    /// the rule computed here with the same uniforms in the kernel's order.
    func testPCD1StepsAgainstScikitLearnsRule() throws {
        func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let nv = 3, nh = 2, n = 2, lr = 0.1
        let w0 = [0.5, -0.3, 0.8, 0.2, -0.6, 0.4], a0 = [0.1, -0.2, 0.3], b0 = [0.2, -0.1]
        let data = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
        for float32 in [false, true] {
            let m = try RBM(weights: try Tensor(w0, shape: [nv, nh]), visibleBias: try Tensor(a0), hiddenBias: try Tensor(b0), units: .binary)
            var o = CDOptions(); o.learningRate = lr; o.persistent = true; o.float32 = float32
            let step = CDStep(m, o)
            var g = Xoshiro256(seed: 7), r = Xoshiro256(seed: 7)
            var w = w0, a = a0, b = b0
            var chain = [Double](repeating: 0, count: n * nh)
            for _ in 0..<2 {
                data.withUnsafeBufferPointer { _ = step.gradient($0.baseAddress!, n, &g) }
                try step.apply()
                var hPos = [Double](repeating: 0, count: n * nh), vNeg = [Double](repeating: 0, count: n * nv)
                var hNeg = hPos
                for row in 0..<n { for j in 0..<nh {
                    var x = b[j]; for i in 0..<nv { x += data[row * nv + i] * w[i * nh + j] }
                    hPos[row * nh + j] = sig(x)
                }}
                for row in 0..<n { for i in 0..<nv {
                    var x = a[i]; for j in 0..<nh { x += chain[row * nh + j] * w[i * nh + j] }
                    vNeg[row * nv + i] = r.uniform() < sig(x) ? 1 : 0
                }}
                for row in 0..<n { for j in 0..<nh {
                    var x = b[j]; for i in 0..<nv { x += vNeg[row * nv + i] * w[i * nh + j] }
                    hNeg[row * nh + j] = sig(x)
                }}
                let s = lr / Double(n)
                for i in 0..<nv { for j in 0..<nh {
                    var d = 0.0
                    for row in 0..<n { d += data[row * nv + i] * hPos[row * nh + j] - vNeg[row * nv + i] * hNeg[row * nh + j] }
                    w[i * nh + j] += s * d
                }}
                for i in 0..<nv { for row in 0..<n { a[i] += s * (data[row * nv + i] - vNeg[row * nv + i]) } }
                for j in 0..<nh { for row in 0..<n { b[j] += s * (hPos[row * nh + j] - hNeg[row * nh + j]) } }
                for k in 0..<n * nh { chain[k] = r.uniform() < hNeg[k] ? 1 : 0 }
                let tol = float32 ? 1e-6 : 1e-14
                for (x, y) in zip(m.weights.scalars, w) { XCTAssertEqual(x, y, accuracy: tol) }
                for (x, y) in zip(m.visibleBias.scalars, a) { XCTAssertEqual(x, y, accuracy: tol) }
                for (x, y) in zip(m.hiddenBias.scalars, b) { XCTAssertEqual(x, y, accuracy: tol) }
            }
            XCTAssertNotEqual(chain, [Double](repeating: 0, count: n * nh), "the test should move the chains")
        }
    }

    /// Momentum and weight decay as Hinton's guide: velocity = mu velocity + lr (g - wd W).
    func testMomentumAndWeightDecay() throws {
        let m = try RBM(weights: try Tensor([0.5, -0.3], shape: [2, 1]), visibleBias: try Tensor([0.1, -0.2]),
                        hiddenBias: try Tensor([0.2]), units: .binary)
        var o = CDOptions(); o.learningRate = 0.1; o.momentum = 0.9; o.weightDecay = 0.01
        let step = CDStep(m, o)
        var g = Xoshiro256(seed: 1)
        var w = m.weights.scalars, vel = [0.0, 0.0]
        for _ in 0..<3 {
            [1.0, 0.0].withUnsafeBufferPointer { _ = step.gradient($0.baseAddress!, 1, &g) }
            let grad = step.gradW
            try step.apply()
            for i in 0..<2 { vel[i] = 0.9 * vel[i] + 0.1 * (grad[i] - 0.01 * w[i]); w[i] += vel[i] }
            XCTAssertEqual(m.weights.scalars[0], w[0], accuracy: 1e-14)
            XCTAssertEqual(m.weights.scalars[1], w[1], accuracy: 1e-14)
        }
    }

    /// The data: three patterns with probabilities 0.5, 0.3, 0.2 (ten rows).
    func tinyData() throws -> (Tensor, [Double]) {
        let a: [Double] = [1, 1, 0, 0], b: [Double] = [0, 0, 1, 1], c: [Double] = [1, 0, 1, 0]
        let rows = Array(repeating: a, count: 5) + Array(repeating: b, count: 3) + Array(repeating: c, count: 2)
        var p = [Double](repeating: 0, count: 16)
        p[3] = 0.5; p[12] = 0.3; p[5] = 0.2   // state s has unit i = bit i of s
        return (try Tensor(rows: rows), p)
    }

    func testExactGradientAgainstFiniteDifferences() throws {
        let m = try machine(4, 3, seed: 7)
        let (x, _) = try tinyData()
        let g = try m.exactGradient(x)
        let h = 1e-6
        func ll() throws -> Double { try m.logLikelihood(x) }
        for k in [0, 4, 11] {
            var w = m.weights.scalars
            w[k] += h; m.weights = try Tensor(w, shape: [4, 3]); let up = try ll()
            w[k] -= 2 * h; m.weights = try Tensor(w, shape: [4, 3]); let down = try ll()
            w[k] += h; m.weights = try Tensor(w, shape: [4, 3])
            XCTAssertEqual(g.w[k], (up - down) / (2 * h), accuracy: 1e-7)
        }
        var a = m.visibleBias.scalars
        a[2] += h; m.visibleBias = try Tensor(a); let up = try ll()
        a[2] -= 2 * h; m.visibleBias = try Tensor(a); let down = try ll()
        XCTAssertEqual(g.a[2], (up - down) / (2 * h), accuracy: 1e-7)
    }

    /// Gradient ascent (rate 0.5) with the exact gradient on a 4 x 3 machine reaches the
    /// data distribution: total variation distance and KL(data || model) going to zero.
    func testExactGradientTrainingReachesDataDistribution() throws {
        let (x, pData) = try tinyData()
        var g = Xoshiro256(seed: 3)
        let m = try RBM(visible: 4, hidden: 3, std: 0.1, using: &g)
        let before = try m.visibleDistribution()
        func kl(_ q: [Double]) -> Double { zip(pData, q).map { $0 > 0 ? $0 * log($0 / $1) : 0 }.reduce(0, +) }
        var klAt5000 = 0.0
        for step in 1...20000 {
            let grad = try m.exactGradient(x)
            m.weights = try Tensor(zip(m.weights.scalars, grad.w).map { $0 + 0.5 * $1 }, shape: [4, 3])
            m.visibleBias = try Tensor(zip(m.visibleBias.scalars, grad.a).map { $0 + 0.5 * $1 })
            m.hiddenBias = try Tensor(zip(m.hiddenBias.scalars, grad.b).map { $0 + 0.5 * $1 })
            if step == 5000 { klAt5000 = kl(try m.visibleDistribution()) }
        }
        let p = try m.visibleDistribution()
        func tv(_ q: [Double]) -> Double { zip(pData, q).map { abs($0 - $1) }.reduce(0, +) / 2 }
        XCTAssertGreaterThan(tv(before), 0.8)
        XCTAssertLessThan(tv(p), 0.01)
        // the zero-probability states lose their mass only as the weights grow: KL falls
        // as about 1/steps towards 0 (0.0059 after 5000 steps, 0.0014 after 20000)
        XCTAssertLessThan(kl(p), 0.002)
        XCTAssertLessThan(kl(p), klAt5000 / 3)
        // the log-likelihood approaches minus the data's entropy
        let entropy = -pData.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +)
        XCTAssertEqual(try m.logLikelihood(x), -entropy, accuracy: 0.01)
    }

    /// The CD-k estimate averaged over many chains approaches the exact gradient as k
    /// grows (all units sampled: a true Gibbs chain started at the data).
    func testCDkApproachesExactGradient() throws {
        let m = try machine(4, 3, seed: 21, std: 2)
        let (x, _) = try tinyData()
        let exact = try m.exactGradient(x)
        let copies = 20_000
        var rows: [Double] = []
        for _ in 0..<copies / 10 { rows += x.scalars }
        var errors: [Int: Double] = [:]
        for k in [1, 3, 10, 100] {
            var o = CDOptions(); o.k = k; o.probabilities = false
            let step = CDStep(m, o)
            var g = Xoshiro256(seed: 9)
            _ = rows.withUnsafeBufferPointer { step.gradient($0.baseAddress!, copies, &g) }
            let diff: Double = squaredDistance(step.gradW, exact.w) + squaredDistance(step.gradA, exact.a) + squaredDistance(step.gradB, exact.b)
            errors[k] = diff.squareRoot()
        }
        // sampling noise of 20000 chains: about 0.5 / sqrt(20000) per entry, 0.015 over the 19 entries;
        // measured: 0.294 (k = 1), 0.111 (3), 0.014 (10), 0.017 (100)
        XCTAssertGreaterThan(errors[1]!, 0.1)
        XCTAssertLessThan(errors[10]!, errors[1]!)
        XCTAssertLessThan(errors[100]!, errors[3]!)
        XCTAssertLessThan(errors[100]!, 0.04)
    }

    /// The CD step multiplies 0/1 operands by adding rows: its gradient on binary data
    /// equals the dense products' (the same estimate as data that are 0/1 only nearly,
    /// which take BLAS), to rounding.
    func testBinaryOperandsGiveTheDenseGradient() throws {
        var g = Xoshiro256(seed: 8)
        let m = try machine(30, 7, seed: 4, std: 0.5)
        let rows = try Tensor.rand([20, 30], using: &g).scalars.map { $0 < 0.3 ? 1.0 : 0.0 }
        let nearly = rows.map { $0 == 1 ? 1 - 1e-15 : 1e-300 }   // not 0/1: the dense path
        for persistent in [false, true] {
            var o = CDOptions(); o.persistent = persistent; o.probabilities = !persistent
            let sparse = CDStep(m, o), dense = CDStep(m, o)
            var g1 = Xoshiro256(seed: 2), g2 = Xoshiro256(seed: 2)
            _ = rows.withUnsafeBufferPointer { sparse.gradient($0.baseAddress!, 20, &g1) }
            _ = nearly.withUnsafeBufferPointer { dense.gradient($0.baseAddress!, 20, &g2) }
            XCTAssertLessThan(squaredDistance(sparse.gradW, dense.gradW).squareRoot(), 1e-12)
            XCTAssertLessThan(squaredDistance(sparse.gradB, dense.gradB).squareRoot(), 1e-12)
        }
    }

    func squaredDistance(_ x: [Double], _ y: [Double]) -> Double {
        var s = 0.0
        for (a, b) in zip(x, y) { s += (a - b) * (a - b) }
        return s
    }

    func testErrors() throws {
        var g = Xoshiro256(seed: 1)
        XCTAssertThrowsError(try RBM(visible: 1 << 20, hidden: 1 << 20, using: &g)) { e in
            guard case .tooLarge = (e as! OperationError).kind else { return XCTFail("\(e)") }
        }
        let m = try RBM(visible: 4, hidden: 3, using: &g)
        XCTAssertThrowsError(try m.checkData(try Tensor([0, 2, 0, 1], shape: [1, 4]), nil))
        XCTAssertThrowsError(try m.checkData(try Tensor([0, 1, 0], shape: [1, 3]), nil))
        let big = try RBM(visible: 100, hidden: 60, using: &g)
        XCTAssertThrowsError(try big.logPartition())
    }
}
