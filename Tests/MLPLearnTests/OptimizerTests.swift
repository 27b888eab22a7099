import XCTest
import MLPTensor
@testable import MLPLearn

/// Expected values are derived by hand from each optimizer's formula and
/// written out here; the code under test is never used to make them.
final class OptimizerTests: XCTestCase {
    let g1 = [0.5, -1.0], g2 = [0.1, 0.2]

    /// Two steps from θ = [1, -2] with gradients g1 then g2; returns θ after each.
    func twoSteps(_ opt: Optimizer) throws -> ([Double], [Double]) {
        var params = [try Tensor([1.0, -2.0])]
        try opt.step(&params, [Tensor(g1)])
        let first = params[0].scalars
        try opt.step(&params, [Tensor(g2)])
        return (first, params[0].scalars)
    }

    func assertClose(_ a: [Double], _ b: [Double], tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tol, "\(a) vs \(b)", file: file, line: line) }
    }

    func testSGD() throws {
        let (s1, s2) = try twoSteps(SGD(lr: 0.1))
        assertClose(s1, [0.95, -1.9])            // θ − 0.1 g1
        assertClose(s2, [0.94, -1.92])           // − 0.1 g2
    }

    func testClipnormScalesEachTensorToItsNorm() throws {
        // g = [3, 4] has norm 5 > 1: clipped to [0.6, 0.8]; the second tensor's norm 0.5 is kept.
        var params = [try Tensor([0.0, 0.0]), try Tensor([0.0])]
        try SGD(lr: 0.1, clipnorm: 1).step(&params, [Tensor([3.0, 4.0]), Tensor([0.5])])
        assertClose(params[0].scalars, [-0.06, -0.08])
        assertClose(params[1].scalars, [-0.05])
        // the clipped gradient also feeds the accumulators: Adagrad's sees [0.36, 0.64], not [9, 16]
        let opt = Adagrad(lr: 1, eps: 0, initialAccumulator: 0, clipnorm: 1)
        var p = [try Tensor([0.0, 0.0])]
        try opt.step(&p, [Tensor([3.0, 4.0])])
        assertClose(p[0].scalars, [-1, -1])      // −0.6/√0.36, −0.8/√0.64
        try opt.step(&p, [Tensor([0.0, 0.6])])   // G = [0.36, 1.0]: −0.6/1
        assertClose(p[0].scalars, [-1, -1.6])
    }

    func testMomentum() throws {
        let (s1, s2) = try twoSteps(Momentum(lr: 0.1, beta: 0.9))
        // v1 = −0.1 g1 = [−0.05, 0.1]
        assertClose(s1, [0.95, -1.9])
        // v2 = 0.9 v1 − 0.1 g2 = [−0.045 − 0.01, 0.09 − 0.02] = [−0.055, 0.07]
        assertClose(s2, [0.895, -1.83])
    }

    func testNesterov() throws {
        let (s1, s2) = try twoSteps(Nesterov(lr: 0.1, beta: 0.9))
        // v1 = [−0.05, 0.1]; θ += 0.9 v1 − 0.1 g1 = [−0.095, 0.19]
        assertClose(s1, [0.905, -1.81])
        // v2 = [−0.055, 0.07]; θ += 0.9 v2 − 0.1 g2 = [−0.0595, 0.043]
        assertClose(s2, [0.8455, -1.767])
    }

    func testAdagradLectureForm() throws {
        // initialAccumulator 0, eps 0: G = 9 then 9 + 16 = 25
        var p = [try Tensor([1.0])]
        let opt = Adagrad(lr: 0.1, eps: 0, initialAccumulator: 0)
        try opt.step(&p, [Tensor([3.0])])
        assertClose(p[0].scalars, [0.9])         // 1 − 0.1·3/3
        try opt.step(&p, [Tensor([4.0])])
        assertClose(p[0].scalars, [0.82])        // − 0.1·4/5
    }

    func testAdagradKerasDefaults() throws {
        let (s1, s2) = try twoSteps(Adagrad(lr: 0.1))
        // G1 = 0.1 + g1² = [0.35, 1.1]; G2 = G1 + g2² = [0.36, 1.14]
        let a1 = 1 - 0.1 * 0.5 / (0.35 + 1e-7).squareRoot()
        let b1 = -2 + 0.1 * 1.0 / (1.1 + 1e-7).squareRoot()
        assertClose(s1, [a1, b1])
        assertClose(s2, [a1 - 0.1 * 0.1 / (0.36 + 1e-7).squareRoot(), b1 - 0.1 * 0.2 / (1.14 + 1e-7).squareRoot()])
    }

    func testRMSprop() throws {
        let (s1, s2) = try twoSteps(RMSprop(lr: 0.01, rho: 0.9, eps: 1e-7))
        // V1 = 0.1 g1² = [0.025, 0.1]; V2 = 0.9 V1 + 0.1 g2² = [0.0225 + 0.001, 0.09 + 0.004]
        let a1 = 1 - 0.01 * 0.5 / (0.025 + 1e-7).squareRoot()
        let b1 = -2 + 0.01 * 1.0 / (0.1 + 1e-7).squareRoot()
        assertClose(s1, [a1, b1])
        assertClose(s2, [a1 - 0.01 * 0.1 / (0.0235 + 1e-7).squareRoot(), b1 - 0.01 * 0.2 / (0.094 + 1e-7).squareRoot()])
    }

    func testRMSpropFirstStepIsScaleFree() throws {
        // eps 0: the first step is −lr·g/√(0.1 g²) = −lr·√10·sign(g), whatever |g|
        var p = [try Tensor([0.0])]
        try RMSprop(lr: 0.01, rho: 0.9, eps: 0).step(&p, [Tensor([7.0])])
        assertClose(p[0].scalars, [-0.01 * 10.0.squareRoot()])
    }

    func testAdadelta() throws {
        var p = [try Tensor([1.0])]
        let opt = Adadelta(rho: 0.95, eps: 1e-6)
        try opt.step(&p, [Tensor([0.5])])
        // E[g²] = 0.05·0.25 = 0.0125; Δ = −√(0 + 1e-6)/√(0.0125 + 1e-6)·0.5; E[Δ²] = 0.05 Δ²
        let d1 = -(1e-6).squareRoot() / (0.0125 + 1e-6).squareRoot() * 0.5
        assertClose(p[0].scalars, [1 + d1])
        try opt.step(&p, [Tensor([0.1])])
        // E[g²] = 0.95·0.0125 + 0.05·0.01 = 0.012375
        let d2 = -(0.05 * d1 * d1 + 1e-6).squareRoot() / (0.012375 + 1e-6).squareRoot() * 0.1
        assertClose(p[0].scalars, [1 + d1 + d2])
    }

    func testAdamBiasCorrection() throws {
        // eps 0: the first step is −lr·sign(g) (m̂ = g, V̂ = g²)
        let (s1, s2) = try twoSteps(Adam(lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0))
        assertClose(s1, [0.9, -1.9])
        // m2 = 0.9·0.1·g1 + 0.1·g2 = [0.045 + 0.01, −0.09 + 0.02]; m̂ = m2 / (1 − 0.81)
        // V2 = 0.999·0.001·g1² + 0.001·g2² = [0.00024975 + 0.00001, 0.000999 + 0.00004]; V̂ = V2 / (1 − 0.998001)
        let ma = 0.055 / 0.19, mb = -0.07 / 0.19
        let va = 0.00025975 / 0.001999, vb = 0.001039 / 0.001999
        assertClose(s2, [0.9 - 0.1 * ma / va.squareRoot(), -1.9 - 0.1 * mb / vb.squareRoot()])
    }

    /// A parameter large enough to be split over the kernel threads (100,003 elements, no
    /// multiple of the four lanes): the same numbers on 1, 2 and 3 threads, bit for bit,
    /// and each element as the formula computed for it alone.
    func testAdamLargeParameterSplitOverThreads() throws {
        let n = 100_003
        let p0 = (0..<n).map { sin(Double($0)) }, ga = (0..<n).map { cos(0.7 * Double($0)) }, gb = (0..<n).map { sin(0.3 * Double($0) + 1) }
        let saved = Tensor.kernelThreads
        defer { Tensor.kernelThreads = saved }
        var results: [[Double]] = []
        for threads in [1, 2, 3] {
            Tensor.kernelThreads = threads
            var params = [try Tensor(p0)]
            let adam = Adam(lr: 0.01)
            try adam.step(&params, [Tensor(ga)])
            try adam.step(&params, [Tensor(gb)])
            results.append(params[0].scalars)
        }
        XCTAssertEqual(results[0], results[1], "1 and 2 threads")
        XCTAssertEqual(results[0], results[2], "1 and 3 threads")
        // the formula, element by element: two steps, bias-corrected
        let (b1, b2, lr, eps) = (0.9, 0.999, 0.01, 1e-7)
        var worst = 0.0
        for i in Array(stride(from: 0, to: n, by: 997)) + [n - 1] {
            var m = (1 - b1) * ga[i], v = (1 - b2) * ga[i] * ga[i]
            var w = p0[i] - lr * (m / (1 - b1)) / ((v / (1 - b2)).squareRoot() + eps)
            m = b1 * m + (1 - b1) * gb[i]; v = b2 * v + (1 - b2) * gb[i] * gb[i]
            w -= lr * (m / (1 - b1 * b1)) / ((v / (1 - b2 * b2)).squareRoot() + eps)
            worst = max(worst, abs(w - results[0][i]))
        }
        XCTAssertLessThan(worst, 1e-14)
    }

    func testAdamEpsilonOutsideTheRoot() throws {
        var p = [try Tensor([0.0])]
        try Adam().step(&p, [Tensor([0.001])])
        // m̂ = 0.001, V̂ = 1e-6: θ = −0.001·0.001/(√1e-6 + 1e-7), as Keras and Kingma & Ba
        assertClose(p[0].scalars, [-0.001 * 0.001 / (0.001 + 1e-7)])
    }

    func testDefaultsAndConfig() {
        XCTAssertEqual(SGD().config.description, "sgd(lr=0.01, clipnorm=nil)")
        XCTAssertEqual(Momentum().config.description, "momentum(lr=0.01, beta=0.9, clipnorm=nil)")
        XCTAssertEqual(Nesterov().config.description, "nesterov(lr=0.01, beta=0.9, clipnorm=nil)")
        XCTAssertEqual(Adagrad().config.description, "adagrad(lr=0.001, eps=1e-07, initial_accumulator=0.1, clipnorm=nil)")
        XCTAssertEqual(RMSprop().config.description, "rmsprop(lr=0.001, rho=0.9, eps=1e-07, clipnorm=nil)")
        XCTAssertEqual(Adadelta().config.description, "adadelta(rho=0.95, eps=1e-06, lr=1.0, clipnorm=nil)")
        XCTAssertEqual(Adam().config.description, "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-07, clipnorm=nil)")
        XCTAssertEqual(Adam().config["beta2"], 0.999)
        XCTAssertEqual(Adadelta().config["lr"], 1)   // Zeiler's: no learning rate, i.e. 1
        XCTAssertEqual(SGD(clipnorm: 1).config["clipnorm"], 1)
    }

    func testStateByObjectKeyAndReset() throws {
        final class Owner {}
        let a = Owner(), b = Owner()
        let opt = Momentum(lr: 0.1, beta: 0.5)
        var x = try Tensor([0.0]), y = try Tensor([0.0])
        try opt.update(&x, Tensor([1.0]), key: .object(a))   // v = −0.1
        try opt.update(&y, Tensor([1.0]), key: .object(b))
        try opt.update(&x, Tensor([1.0]), key: .object(a))   // v = −0.05 − 0.1
        assertClose(x.scalars, [-0.25])
        assertClose(y.scalars, [-0.1])
        XCTAssertEqual(opt.iterations, 2)
        opt.reset()
        XCTAssertEqual(opt.iterations, 0)
        try opt.update(&x, Tensor([1.0]), key: .object(a))   // fresh v = −0.1
        assertClose(x.scalars, [-0.35])
    }

    func testUpdatesInPlace() throws {
        var params = [try Tensor([1.0, 2.0, 3.0])]
        let before = params[0].storage.pointer
        let opt = Adam()
        for _ in 0..<3 { try opt.step(&params, [Tensor([1.0, 1.0, 1.0])]) }
        XCTAssertEqual(params[0].storage.pointer, before)
    }

    func testErrors() throws {
        var params = [try Tensor([1.0, 2.0])]
        XCTAssertThrowsError(try SGD().step(&params, []))
        XCTAssertThrowsError(try SGD().step(&params, [Tensor([1.0])]))
        XCTAssertThrowsError(try SGD(clipnorm: 0).step(&params, [Tensor([1.0, 1.0])]))
        let opt = Adam()
        try opt.step(&params, [Tensor([1.0, 1.0])])
        var other = [try Tensor([1.0, 2.0, 3.0])]
        XCTAssertThrowsError(try opt.step(&other, [Tensor([1.0, 1.0, 1.0])])) { e in
            XCTAssertTrue("\(e)".contains("reset()"))
        }
        opt.reset()
        XCTAssertNoThrow(try opt.step(&other, [Tensor([1.0, 1.0, 1.0])]))
    }

    /// f(θ) = ½ (θ₁² + 10 θ₂²), a bowl ten times steeper along θ₂: every
    /// optimizer comes near the minimum from [1, 1]. RMSprop ends in a cycle of
    /// steps of size ~lr (its steps do not shrink with g), and Adadelta, whose
    /// step grows from √ε, gets close by 1000 steps and then wanders along the
    /// steep axis, so they get looser bounds.
    func testConvergenceOnQuadraticBowl() throws {
        let cases: [(Optimizer, Int, Double)] = [
            (SGD(lr: 0.05), 500, 1e-8), (Momentum(lr: 0.02), 500, 1e-8), (Nesterov(lr: 0.02), 500, 1e-8),
            (Adagrad(lr: 0.5), 2000, 1e-8), (RMSprop(lr: 0.001), 2000, 1e-5), (Adadelta(), 1000, 1e-3),
            (Adam(lr: 0.05), 2000, 1e-8),
        ]
        for (opt, steps, tol) in cases {
            var p = [try Tensor([1.0, 1.0])]
            for _ in 0..<steps {
                let t = p[0].scalars
                try opt.step(&p, [Tensor([t[0], 10 * t[1]])])
            }
            let t = p[0].scalars
            let f = 0.5 * (t[0] * t[0] + 10 * t[1] * t[1])
            XCTAssertLessThan(f, tol, "\(opt.config): θ = \(t)")
        }
    }
}
