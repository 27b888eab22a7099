// float32 end to end (SingleTraining.swift, DenseSingle.swift): adam's float update
// against the formula computed by hand in float, the fused bias + activation backward
// against finite differences, and float32 training against the float64 graph.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class SingleTrainingTests: XCTestCase {
    override func setUp() { TestRandom.seed(11) }

    /// Adam's formula in float, element by element, written out here (not the code under test):
    /// constants rounded to float once from their float64 values.
    func handAdam(_ w: inout [Float], _ m: inout [Float], _ v: inout [Float], _ g: [Float], t: Int,
                  lr: Double = 0.01, b1: Double = 0.9, b2: Double = 0.999, eps: Double = 1e-7) {
        let c1 = Float(1 / (1 - pow(b1, Double(t)))), c2 = Float(1 / (1 - pow(b2, Double(t))))
        for i in w.indices {
            m[i] = Float(b1) * m[i] + Float(1 - b1) * g[i]
            v[i] = Float(b2) * v[i] + Float(1 - b2) * g[i] * g[i]
            w[i] = w[i] - Float(lr) * (m[i] * c1) / ((v[i] * c2).squareRoot() + Float(eps))
        }
    }

    func testAdamSingleStepsEqualTheFormulaInFloat() throws {
        // 13 elements: one lane of eight and a tail of five
        let start = (0..<13).map { Double($0) * 0.37 - 2.1 }
        let p = Parameter("kernel", try Tensor(start, shape: [13]))
        let opt = Adam(lr: 0.01)
        var w = start.map(Float.init), m = [Float](repeating: 0, count: 13), v = m
        for t in 1...3 {
            let g = (0..<13).map { Float(sin(Double($0 * t)) * 0.8) }
            try g.withUnsafeBufferPointer { try opt.updateSingle(p, $0.baseAddress!, count: 13) }
            handAdam(&w, &m, &v, g, t: t)
            XCTAssertTrue(p.isSingle)
            let got = p.value.scalars
            for i in 0..<13 { XCTAssertEqual(got[i], Double(w[i]), accuracy: 2 * Double(w[i].ulp), "element \(i), step \(t)") }
        }
        XCTAssertEqual(opt.iterations, 3)
    }

    /// The other optimizers' float updates against their formulas written out here in float,
    /// constants rounded to float once from their float64 values; state starts at `initial`.
    func checkSingleSteps(_ opt: Optimizer & SingleUpdate, states: Int, initial: Float = 0,
                          _ hand: (_ w: inout Float, _ s: inout [Float], _ g: Float) -> Void,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let start = (0..<13).map { Double($0) * 0.37 - 2.1 }
        let p = Parameter("kernel", try Tensor(start, shape: [13]))
        var w = start.map(Float.init), state = [[Float]](repeating: [Float](repeating: initial, count: states), count: 13)
        for t in 1...3 {
            let g = (0..<13).map { Float(sin(Double($0 * t)) * 0.8) }
            try g.withUnsafeBufferPointer { try opt.updateSingle(p, $0.baseAddress!, count: 13) }
            for i in 0..<13 { hand(&w[i], &state[i], g[i]) }
            XCTAssertTrue(p.isSingle, file: file, line: line)
            let got = p.value.scalars
            for i in 0..<13 {
                XCTAssertEqual(got[i], Double(w[i]), accuracy: 2 * Double(w[i].ulp), "\(opt.config.name) element \(i), step \(t)", file: file, line: line)
            }
        }
        XCTAssertEqual(opt.iterations, 3, file: file, line: line)
    }

    func testOtherOptimizersSingleStepsEqualTheirFormulasInFloat() throws {
        let lr: Float = 0.05, beta: Float = 0.9
        try checkSingleSteps(SGD(lr: 0.05), states: 0) { w, _, g in w -= lr * g }
        try checkSingleSteps(Momentum(lr: 0.05, beta: 0.9), states: 1) { w, v, g in
            v[0] = beta * v[0] - lr * g
            w += v[0]
        }
        try checkSingleSteps(Nesterov(lr: 0.05, beta: 0.9), states: 1) { w, v, g in
            v[0] = beta * v[0] - lr * g
            w += beta * v[0] - lr * g
        }
        try checkSingleSteps(RMSprop(lr: 0.01, rho: 0.8, eps: 1e-7), states: 1) { w, v, g in
            v[0] = Float(0.8) * v[0] + Float(1 - 0.8) * g * g
            w -= Float(0.01) * g / (v[0] + Float(1e-7)).squareRoot()
        }
        try checkSingleSteps(Adagrad(lr: 0.01, eps: 1e-7, initialAccumulator: 0.1), states: 1, initial: Float(0.1)) { w, acc, g in
            acc[0] += g * g
            w -= Float(0.01) * g / (acc[0] + Float(1e-7)).squareRoot()
        }
        try checkSingleSteps(Adadelta(rho: 0.95, eps: 1e-6, lr: 1), states: 2) { w, e, g in
            e[0] = Float(0.95) * e[0] + Float(1 - 0.95) * g * g
            let dx = -((e[1] + Float(1e-6)) / (e[0] + Float(1e-6))).squareRoot() * g
            e[1] = Float(0.95) * e[1] + Float(1 - 0.95) * dx * dx
            w += dx
        }
    }

    /// Every optimizer's float update of a parameter large enough to be split over the
    /// kernel threads gives the same numbers on 1, 2 and 3 threads.
    func testSingleUpdatesAreTheSameOnAnyThreadCount() throws {
        let n = 3 * adamSplitElements + 5
        let g = (0..<n).map { Float(sin(Double($0) * 0.01)) }
        let makers: [() -> Optimizer & SingleUpdate] = [{ Adam() }, { SGD() }, { Momentum() }, { Nesterov() },
                                                        { RMSprop() }, { Adagrad() }, { Adadelta() }]
        for make in makers {
            func run(_ threads: Int) throws -> [Double] {
                let saved = Tensor.kernelThreads
                defer { Tensor.kernelThreads = saved }
                Tensor.kernelThreads = threads
                let p = Parameter("kernel", try Tensor((0..<n).map { Double($0 % 7) * 0.1 }))
                let opt = make()
                for _ in 0..<2 { try g.withUnsafeBufferPointer { try opt.updateSingle(p, $0.baseAddress!, count: n) } }
                return p.value.scalars
            }
            let one = try run(1)
            XCTAssertNotEqual(one, (0..<n).map { Double(Float(Double($0 % 7) * 0.1)) }, make().config.name)
            XCTAssertEqual(one, try run(2), make().config.name)
            XCTAssertEqual(one, try run(3), make().config.name)
        }
    }

    /// Switching a parameter between the float64 and float32 updates carries adam's state over.
    func testAdamStateCarriesOverBetweenPrecisions() throws {
        let p = Parameter("bias", try Tensor([0.5, -0.25]))
        let opt = Adam(lr: 0.1)
        var value = p.value
        try opt.update(&value, try Tensor([1.0, -2.0]), key: .object(p))
        p.value = value
        let g: [Float] = [0.5, 0.5]
        try g.withUnsafeBufferPointer { try opt.updateSingle(p, $0.baseAddress!, count: 2) }
        // by hand: after step 1 m = 0.1 g1, V = 0.001 g1^2; step 2 in float from those
        var w = value.scalars.map(Float.init), m: [Float] = [0.1, -0.2], v: [Float] = [0.001, 0.004]
        handAdam(&w, &m, &v, g, t: 2, lr: 0.1)
        XCTAssertEqual(p.value.scalars[0], Double(w[0]), accuracy: 1e-6)
        XCTAssertEqual(p.value.scalars[1], Double(w[1]), accuracy: 1e-6)
        XCTAssertEqual(opt.iterations, 2)
    }

    /// d/dz and d/db of sum(u * act(z + b)) from the fused backward against central differences.
    func testFusedBiasActivationBackwardAgainstFiniteDifferences() throws {
        let rows = 3, cols = 11   // a lane of eight and a tail of three
        for act in [Activation.linear, .relu, .sigmoid, .tanh, .softmax] {
            var z = try Tensor.randn([rows * cols]).scalars.map(Float.init)
            if act == .relu { z = z.map { abs($0) < 0.05 ? $0 + 0.2 : $0 } }   // away from the kink
            let b = try Tensor.randn([cols]).scalars.map { Float($0) * 0.1 }
            let u = try Tensor.randn([rows * cols]).scalars.map(Float.init)
            func f(_ z: [Float], _ b: [Float]) -> Double {
                var y = z
                _ = y.withUnsafeMutableBufferPointer { yp in
                    b.withUnsafeBufferPointer { SingleDense.biasActivation(yp.baseAddress!, rows: rows, cols: cols, bias: $0.baseAddress!, act) }
                }
                return zip(y, u).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            var a = z
            _ = a.withUnsafeMutableBufferPointer { yp in
                b.withUnsafeBufferPointer { SingleDense.biasActivation(yp.baseAddress!, rows: rows, cols: cols, bias: $0.baseAddress!, act) }
            }
            var d = u, gb = [Float](repeating: .nan, count: cols)
            _ = d.withUnsafeMutableBufferPointer { dp in
                gb.withUnsafeMutableBufferPointer { gp in
                    a.withUnsafeBufferPointer { SingleDense.activationBackward(dp.baseAddress!, output: $0.baseAddress!, rows: rows, cols: cols, act, biasGrad: gp.baseAddress!) }
                }
            }
            let h: Float = 1e-2
            for i in 0..<rows * cols {
                var zp = z, zm = z
                zp[i] += h; zm[i] -= h
                let numeric = (f(zp, b) - f(zm, b)) / Double(2 * h)
                XCTAssertEqual(Double(d[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(act.name) dz[\(i)]")
            }
            for c in 0..<cols {
                var bp = b, bm = b
                bp[c] += h; bm[c] -= h
                let numeric = (f(z, bp) - f(z, bm)) / Double(2 * h)
                XCTAssertEqual(Double(gb[c]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(act.name) db[\(c)]")
            }
        }
    }

    /// Two identical models, one float64 (the graph), one float32 (native): the same losses
    /// and weights to single precision over a short training.
    func checkAgainstFloat64(_ acts: (Activation, Activation), _ loss: Loss, _ y: Tensor, _ makeOpt: () -> Optimizer,
                             steps: Int, tolerance: Double, inputs: Int = 5, hidden: Int = 7,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try Tensor.randn([y.shape[0], inputs])
        let classes = acts.1 == .softmax || loss.name == "crossentropy_logits" ? 3 : (y.shape.last ?? 1)
        let a = Sequential([try Dense(hidden, acts.0), try Dense(classes, acts.1)])
        let b = Sequential([try Dense(hidden, acts.0, dtype: .float32), try Dense(classes, acts.1, dtype: .float32)])
        _ = try a.forward(Variable(constant: x), ForwardPass())
        _ = try b.forward(Variable(constant: x), ForwardPass())
        // float64 weights that are float32 numbers: both start from the same values
        for (p, q) in zip(a.parameters, b.parameters) {
            p.value = try p.value.map { Double(Float($0)) }
            q.value = p.value
        }
        let oa = makeOpt(), ob = makeOpt()
        let name = "\(oa.config.name)"
        XCTAssertNotNil(SingleDenseTrainer.of(b), file: file, line: line)
        for s in 0..<steps {
            let ra = try Training.step(a, oa, x, y, loss, random: TestRandom.shared, communicator: SingleProcess())
            let rb = try Training.step(b, ob, x, y, loss, random: TestRandom.shared, communicator: SingleProcess())
            XCTAssertNil(rb.fault, file: file, line: line)
            XCTAssertEqual(ra.loss, rb.loss, accuracy: tolerance * max(1, abs(ra.loss)), "\(name): loss at step \(s)", file: file, line: line)
            XCTAssertLessThan(try Tensor.binary(.sub, ra.prediction, rb.prediction).map(.abs).max().scalars[0], tolerance, name, file: file, line: line)
        }
        XCTAssertTrue(b.parameters.allSatisfy(\.isSingle), "\(name): the float32 model trained natively", file: file, line: line)
        for (p, q) in zip(a.parameters, b.parameters) {
            XCTAssertLessThan(try Tensor.binary(.sub, p.value, q.value).map(.abs).max().scalars[0], tolerance, name, file: file, line: line)
        }
    }

    func testFloat32TrainingMatchesFloat64() throws {
        let labels = try Tensor((0..<16).map { Double($0 % 3) })
        try checkAgainstFloat64((.relu, .softmax), .crossentropy, labels, { Adam(lr: 0.01) }, steps: 30, tolerance: 2e-4)
        let onehot = try Tensor.onehot(labels, 3)
        try checkAgainstFloat64((.tanh, .linear), .crossentropyFromLogits, onehot, { Adam(lr: 0.01) }, steps: 30, tolerance: 2e-4)
        let targets = try Tensor.randn([16, 2])
        try checkAgainstFloat64((.sigmoid, .linear), .mse, targets, { SGD(lr: 0.05) }, steps: 30, tolerance: 2e-4)
        try checkAgainstFloat64((.relu, .tanh), .mse, targets, { Adam(lr: 0.01, clipnorm: 0.5) }, steps: 30, tolerance: 2e-4)
    }

    /// momentum, nesterov, rmsprop, adagrad and adadelta train natively too and follow the
    /// float64 graph, with a first kernel of 400 x 256 that the update splits over 1, 2
    /// and 3 kernel threads.
    func testOtherOptimizersFloat32TrainingMatchesFloat64OnOneToThreeThreads() throws {
        let labels = try Tensor((0..<16).map { Double($0 % 3) })
        let targets = try Tensor.randn([16, 2])
        let makers: [() -> Optimizer] = [{ Momentum(lr: 0.02) }, { Nesterov(lr: 0.02) }, { RMSprop(lr: 0.002) },
                                         { Adagrad(lr: 0.01) }, { Adadelta() }, { Momentum(lr: 0.02, clipnorm: 0.5) }]
        let saved = Tensor.kernelThreads
        defer { Tensor.kernelThreads = saved }
        for threads in [1, 2, 3] {
            Tensor.kernelThreads = threads
            for make in makers {
                try checkAgainstFloat64((.relu, .softmax), .crossentropy, labels, make, steps: 10, tolerance: 5e-4, inputs: 400, hidden: 256)
                try checkAgainstFloat64((.tanh, .linear), .mse, targets, make, steps: 30, tolerance: 2e-4)
            }
        }
    }

    /// body with the float32 step split over `threads` parts of the batch whatever its size
    /// (SingleDenseTrainer.splitStepWork lowered), and the products on as many threads.
    func splitting<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let (oldThreads, oldWork) = (BLASThreads.count, SingleDenseTrainer.splitStepWork)
        BLASThreads.count = threads; SingleDenseTrainer.splitStepWork = 1
        defer { BLASThreads.count = oldThreads; SingleDenseTrainer.splitStepWork = oldWork }
        return try body()
    }

    /// The step split over 2 and 3 parts of the batch (rows 17: parts of 8 and 9, of 5, 6
    /// and 6) against the float64 graph, every loss; the same numbers again on a second run.
    func testSplitStepsMatchFloat64OnTwoAndThreeThreads() throws {
        let labels = try Tensor((0..<17).map { Double($0 % 3) })
        let onehot = try Tensor.onehot(labels, 3)
        let targets = try Tensor.randn([17, 2])
        for threads in [1, 2, 3] {
            try splitting(threads) {
                try checkAgainstFloat64((.relu, .softmax), .crossentropy, labels, { Adam(lr: 0.01) }, steps: 20, tolerance: 2e-4)
                try checkAgainstFloat64((.tanh, .linear), .crossentropyFromLogits, onehot, { Adam(lr: 0.01) }, steps: 20, tolerance: 2e-4)
                try checkAgainstFloat64((.sigmoid, .linear), .mse, targets, { SGD(lr: 0.05) }, steps: 20, tolerance: 2e-4)
                try checkAgainstFloat64((.relu, .tanh), .mse, targets, { Adam(lr: 0.01, clipnorm: 0.5) }, steps: 20, tolerance: 2e-4)
            }
        }
    }

    /// A three-layer float32 chain trained on 1, 2 and 3 threads: each thread count gives the
    /// same weights on every run, and they agree with one thread's to float rounding.
    func testSplitStepsAreDeterministicPerThreadCount() throws {
        let x = try Tensor.randn([40, 30]), y = try Tensor((0..<40).map { Double($0 % 5) })
        let start = Sequential([try Dense(24, .tanh, dtype: .float32), try Dense(16, .relu, dtype: .float32),
                                try Dense(5, .softmax, dtype: .float32)])
        _ = try start.forward(Variable(constant: x), ForwardPass())
        let initial = start.parameters.map(\.value)
        func train(_ threads: Int) throws -> [[Double]] {
            try splitting(threads) {
                let net = Sequential([try Dense(24, .tanh, dtype: .float32), try Dense(16, .relu, dtype: .float32),
                                      try Dense(5, .softmax, dtype: .float32)])
                _ = try net.forward(Variable(constant: x), ForwardPass())
                for (p, v) in zip(net.parameters, initial) { p.value = v }
                let opt = Adam(lr: 0.01)
                for _ in 0..<15 {
                    let r = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess())
                    XCTAssertNil(r.fault)
                }
                XCTAssertEqual(try XCTUnwrap(SingleDenseTrainer.of(net)).partsFor(40), threads)
                return net.parameters.map(\.value.scalars)
            }
        }
        let one = try train(1)
        XCTAssertEqual(try train(1), one)
        for threads in [2, 3] {
            let got = try train(threads)
            XCTAssertEqual(try train(threads), got, "\(threads) threads, second run")
            for (a, b) in zip(one, got) {
                XCTAssertEqual(a.count, b.count)
                for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-4 * max(1, abs(a[i])), "\(threads) threads") }
            }
        }
    }

    /// Large steps split by default on two threads (W1's shape: 784-128-10, batch 64) and
    /// stay whole below `minPartRows` rows per part or with one thread.
    func testWhichStepsSplit() throws {
        let t = SingleDenseTrainer(try [Dense(128, .relu, dtype: .float32), Dense(10, .softmax, dtype: .float32)])
        t.layers[0].parameters = [Parameter("kernel", try Tensor.zeros([784, 128])), Parameter("bias", try Tensor.zeros([128]))]
        t.layers[1].parameters = [Parameter("kernel", try Tensor.zeros([128, 10])), Parameter("bias", try Tensor.zeros([10]))]
        let old = BLASThreads.count
        defer { BLASThreads.count = old }
        BLASThreads.count = 2
        XCTAssertEqual(t.partsFor(64), 2)
        XCTAssertEqual(t.partsFor(16), 2)
        XCTAssertEqual(t.partsFor(7), 1)
        BLASThreads.count = 1
        XCTAssertEqual(t.partsFor(1024), 1)
    }

    /// The batches of `train` reuse their buffer when the last one was let go.
    func testTrainBatchesReuseTheirBuffer() throws {
        let x = try Tensor.randn([10, 3])
        var keep: TensorStorage? = nil
        let a = try Training.rows(x, [4, 1, 7][...], contiguous: false, reusing: &keep)
        XCTAssertEqual(a.shape, [3, 3])
        XCTAssertEqual(a.scalars, try x.get([.indices(Tensor([4, 1, 7]))]).scalars)
        let held = ObjectIdentifier(a.storage)
        // `a` is still held: a new buffer
        let b = try Training.rows(x, [0, 2, 9][...], contiguous: false, reusing: &keep)
        XCTAssertNotEqual(ObjectIdentifier(b.storage), held)
        XCTAssertEqual(b.scalars, try x.get([.indices(Tensor([0, 2, 9]))]).scalars)
        let reused = ObjectIdentifier(b.storage)
        _ = consume b
        let c = try Training.rows(x, [3, 3, 5][...], contiguous: false, reusing: &keep)
        XCTAssertEqual(ObjectIdentifier(c.storage), reused)
        XCTAssertEqual(c.scalars, try x.get([.indices(Tensor([3, 3, 5]))]).scalars)
        XCTAssertEqual(a.scalars, try x.get([.indices(Tensor([4, 1, 7]))]).scalars)
        // a smaller last batch of an epoch, and labels (one dimension)
        let y = try Tensor((0..<10).map(Double.init))
        var keepY: TensorStorage? = nil
        XCTAssertEqual(try Training.rows(y, [9, 0][...], contiguous: false, reusing: &keepY).scalars, [9, 0])
        XCTAssertEqual(try Training.rows(x, [8][...], contiguous: false, reusing: &keep).scalars, try x.get(.at(8)).scalars)
    }

    /// Once warm, a step allocates nothing of its own: its buffers are the trainer's.
    func testStepsReuseTheirBuffers() throws {
        try stepsReuseTheirBuffers()
        try splitting(2) { try stepsReuseTheirBuffers() }
    }

    func stepsReuseTheirBuffers() throws {
        let x = try Tensor.randn([32, 20]), y = try Tensor((0..<32).map { Double($0 % 4) })
        let net = Sequential([try Dense(16, .relu, dtype: .float32), try Dense(4, .softmax, dtype: .float32)])
        _ = try net.forward(Variable(constant: x), ForwardPass())
        let opt = Adam()
        for _ in 0..<2 { _ = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess()) }
        let trainer = try XCTUnwrap(SingleDenseTrainer.of(net))
        let warm = trainer.allocations
        for _ in 0..<20 { _ = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess()) }
        XCTAssertEqual(trainer.allocations, warm)
        // a prediction the caller keeps is not written over: the next step takes a new one
        let kept = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess()).prediction
        let copy = kept.scalars
        _ = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess())
        XCTAssertEqual(kept.scalars, copy)
        XCTAssertEqual(trainer.allocations, warm + 1)
    }

    /// A loss that overflows leaves the weights untouched and comes back as the fault; inputs
    /// too large for the finiteness bound are scanned and train.
    func testFaultsAndLargeInputs() throws {
        let net = Sequential([try Dense(4, .linear, dtype: .float32), try Dense(2, .linear, dtype: .float32)])
        let x = try Tensor.randn([8, 3]), y = try Tensor.randn([8, 2])
        _ = try net.forward(Variable(constant: x), ForwardPass())
        let opt = Adam()
        let before = net.parameters.map(\.value.scalars)
        let huge = try Tensor.binary(.mul, x, 1e30)
        let r = try Training.step(net, opt, huge, y, .mse, random: TestRandom.shared, communicator: SingleProcess())
        // the second layer's kernel gradient, about 1e60, is beyond float's range
        XCTAssertEqual(r.fault, "the gradient of the kernel became inf")
        XCTAssertEqual(net.parameters.map(\.value.scalars), before)
        let large = try Tensor.binary(.mul, x, 1e20)   // squares overflow float: the gradients are scanned
        let small = try Tensor.binary(.mul, y, 1e-12)
        let net2 = Sequential([try Dense(2, .linear, dtype: .float32)])
        _ = try net2.forward(Variable(constant: large), ForwardPass())
        net2.parameters[0].value = try Tensor.zeros([3, 2])
        let r2 = try Training.step(net2, SGD(lr: 1e-30), large, small, .mse, random: TestRandom.shared, communicator: SingleProcess())
        XCTAssertNil(r2.fault)
        XCTAssertTrue(net2.parameters[0].isSingle)
    }
}
