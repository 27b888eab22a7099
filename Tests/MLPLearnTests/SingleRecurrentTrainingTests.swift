// float32 end to end for recurrent nets (SingleRecurrentTraining.swift): the native step
// against the graph's float32 step of the same model (losses, predictions, weights, for
// adam, sgd and momentum, on 1 and 2 threads; lstm and gru layers), the LSTM core's
// gradients against central differences (in float64 through the core, and the native
// float32 step's, all three, against the float64 model's loss), no buffer allocated per step once warm, and the weights
// read after native training.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class SingleRecurrentTrainingTests: XCTestCase {
    override func setUp() { TestRandom.seed(31) }

    /// lstm(32) (packed products, the input's x W inline: 4 features) >> dense(3), mse.
    func small(_ p: ComputeType = .float32) throws -> Sequential {
        Sequential([try LSTM(32, dtype: p), try Dense(3, .linear, dtype: p)])
    }
    /// Two lstm layers (16 packed, 12 through BLAS) >> dense(5, softmax).
    func stacked(_ p: ComputeType = .float32) throws -> Sequential {
        Sequential([try LSTM(16, dtype: p), try LSTM(12, dtype: p), try Dense(5, .softmax, dtype: p)])
    }
    /// 20 features (one product of all steps), the last h only, two dense layers.
    func lastStep(_ p: ComputeType = .float32) throws -> Sequential {
        Sequential([try LSTM(32, returnSequences: false, dtype: p), try Dense(6, .tanh, dtype: p), try Dense(2, .linear, dtype: p)])
    }

    /// gru(16) >> lstm(16) >> dense(2, softmax): a GRU first (no one-hot gather), then an LSTM.
    func gated(_ p: ComputeType = .float32) throws -> Sequential {
        Sequential([try GRU(16, dtype: p), try LSTM(16, dtype: p), try Dense(2, .softmax, dtype: p)])
    }
    /// gru(8) returning its last step only >> dense(3).
    func gruLast(_ p: ComputeType = .float32) throws -> Sequential {
        Sequential([try GRU(8, returnSequences: false, dtype: p), try Dense(3, .linear, dtype: p)])
    }

    func built(_ net: Sequential, _ x: Tensor, _ weights: [Tensor]? = nil) throws -> Sequential {
        _ = try net.forward(Variable(constant: x), ForwardPass())
        if let weights { for (p, v) in zip(net.parameters, weights) { p.value = v } }
        return net
    }

    /// A step through the graph (what Training.step does when the model does not train natively).
    func graphStep(_ net: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> (Double, Tensor) {
        let (value, prediction, params, grads) = try Training.gradients(net, x, y, loss, random: TestRandom.shared)
        try opt.update(params, grads)
        return (value, prediction)
    }

    func nativeStep(_ net: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> (Double, Tensor) {
        let r = try Training.step(net, opt, x, y, loss, random: TestRandom.shared, communicator: SingleProcess())
        XCTAssertNil(r.fault)
        return (r.loss, r.prediction)
    }

    func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }

    /// The native steps and the graph's float32 steps from the same weights agree to
    /// float32's rounding: loss and prediction at every step, the weights after.
    func checkNative(_ make: (ComputeType) throws -> Sequential, _ x: Tensor, _ y: Tensor, _ loss: Loss,
                     _ opt: () -> Optimizer, steps: Int = 5, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let native = try built(make(.float32), x)
        let graph = try built(make(.float32), x, native.parameters.map(\.value))
        let (a, b) = (opt(), opt())
        for s in 0..<steps {
            let (la, pa) = try nativeStep(native, a, x, y, loss), (lb, pb) = try graphStep(graph, b, x, y, loss)
            XCTAssertEqual(la, lb, accuracy: tolerance * max(1, abs(lb)), "loss at step \(s)", file: file, line: line)
            XCTAssertEqual(pa.shape, pb.shape, file: file, line: line)
            XCTAssertLessThan(maxDifference(pa.scalars, pb.scalars), tolerance, "prediction at step \(s)", file: file, line: line)
        }
        XCTAssertTrue(SingleDenseTrainer.native(native) is SingleRecurrentTrainer, "the model trains natively", file: file, line: line)
        XCTAssertTrue(native.parameters.allSatisfy(\.isSingle), "the weights are stored in float32", file: file, line: line)
        XCTAssertFalse(graph.parameters.contains(where: \.isSingle), file: file, line: line)
        XCTAssertLessThan(maxDifference(native.parameters.flatMap(\.value.scalars), graph.parameters.flatMap(\.value.scalars)),
                          tolerance, "weights", file: file, line: line)
        XCTAssertEqual(native.layers.map(\.lastOutputShape), graph.layers.map(\.lastOutputShape), file: file, line: line)
    }

    func checkAll(threads: Int) throws {
        let (oldThreads, oldWork, oldSplit) = (BLASThreads.count, recurrentParallelWork, SingleDenseTrainer.splitStepWork)
        BLASThreads.count = threads; recurrentParallelWork = 0; SingleDenseTrainer.splitStepWork = 1
        defer { BLASThreads.count = oldThreads; recurrentParallelWork = oldWork; SingleDenseTrainer.splitStepWork = oldSplit }
        let x = LayerCheck.input([16, 7, 4], 1), y = LayerCheck.input([16, 7, 3], 2)
        try checkNative(small, x, y, .mse, { Adam(lr: 0.01) }, tolerance: 1e-4)
        try checkNative(small, x, y, .mse, { SGD(lr: 0.1) }, tolerance: 1e-5)
        try checkNative(small, x, y, .mse, { Momentum(lr: 0.05) }, tolerance: 1e-5)
        // one-hot input (the kernel's rows gathered, dW summed by thread), class labels per step
        let ids: [Double] = (0..<96).map { (i: Int) -> Double in Double((i * 7 + i / 5) % 9) }
        let hot = try Tensor.onehot(try Tensor(ids).reshaped([16, 6]), 9)
        let labels = try Tensor(ids.map { (v: Double) -> Double in Double(Int(v) % 5) }).reshaped([16, 6])
        try checkNative(stacked, hot, labels, .crossentropy, { Adam(lr: 0.01) }, tolerance: 1e-4)
        try checkNative(stacked, hot, labels, .crossentropy, { SGD(lr: 0.5) }, tolerance: 1e-5)
        let x2 = LayerCheck.input([17, 5, 20], 3), y2 = LayerCheck.input([17, 2], 4)
        try checkNative(lastStep, x2, y2, .mse, { Adam(lr: 0.01) }, tolerance: 1e-4)
        try checkNative(lastStep, x2, y2, .mse, { Momentum(lr: 0.05) }, tolerance: 1e-5)
        // GRU: one-hot input given as values, classes per step; the last step only
        let classes = try Tensor(ids.map { (v: Double) -> Double in Double(Int(v) % 2) }).reshaped([16, 6])
        try checkNative(gated, hot, classes, .crossentropy, { Adam(lr: 0.01) }, tolerance: 1e-4)
        try checkNative(gated, hot, classes, .crossentropy, { SGD(lr: 0.5) }, tolerance: 1e-5)
        try checkNative(gruLast, x2, LayerCheck.input([17, 3], 5), .mse, { Adam(lr: 0.01) }, tolerance: 1e-4)
        // simple_rnn: tanh (derivative from the output), relu (from the pre-activation), stacked on an lstm
        let plain = { (p: ComputeType) in
            Sequential([try SimpleRNN(12, dtype: p), try SimpleRNN(8, .relu, dtype: p), try LSTM(16, dtype: p), try Dense(3, .linear, dtype: p)])
        }
        try checkNative(plain, x, y, .mse, { Adam(lr: 0.01) }, tolerance: 1e-4)
        try checkNative(plain, x, y, .mse, { Momentum(lr: 0.05) }, tolerance: 1e-5)
    }

    func testNativeStepsMatchTheGraphOnOneThread() throws { try checkAll(threads: 1) }
    func testNativeStepsMatchTheGraphOnTwoThreads() throws { try checkAll(threads: 2) }

    /// The core's backward in float64 (the generic code the native step runs in Float)
    /// against central differences of sum(R * out), with respect to
    /// W, U, b and x, for each of its paths: BLAS products, one-hot input, the last h only.
    func testCoreGradientsAgainstCentralDifferences() throws {
        for (hotInput, sequences) in [(false, true), (true, true), (false, false)] {
            let bs = 3, T = 4, D = 5, n = 3, g = 4 * n
            var x = LayerCheck.input([bs, T, D], 11)
            var hot: [Int32] = []
            if hotInput {
                hot = (0..<(bs * T)).map { Int32(($0 * 3) % D) }
                x = try Tensor.onehot(try Tensor(hot.map(Double.init)).reshaped([bs, T]), D)
            }
            // x, W, U, b: what the loss is a function of
            var values = [x.scalars, LayerCheck.input([D, g], 12).scalars, LayerCheck.input([n, g], 13).scalars,
                          LayerCheck.input([g], 14).scalars]
            let outCount = sequences ? bs * T * n : bs * n
            let r = LayerCheck.input([outCount], 15).scalars
            /// The core on `values`: forward, and with `grads` the backward from dL/dout = r into them.
            func run(_ grads: UnsafeMutablePointer<Double>?...) throws -> Double {
                let buffers = try LSTMBuffers<Double>(bs: bs, T: T, D: D, n: n, hot: hotInput, workspace: nil)
                buffers.hst.base.update(repeating: 0, count: bs * n); buffers.cst.base.update(repeating: 0, count: bs * n)
                let xs = values[0], w = values[1], u = values[2], b = values[3]
                var out = [Double](repeating: 0, count: outCount)
                var xt = [Double](repeating: 0, count: bs * T * D), scratch = xt
                try xs.withUnsafeBufferPointer { X in try w.withUnsafeBufferPointer { W in try u.withUnsafeBufferPointer { U in
                    try b.withUnsafeBufferPointer { B in try hot.withUnsafeBufferPointer { H in try r.withUnsafeBufferPointer { R in
                        let core = LSTMCore(buffers, X: hotInput ? nil : X.baseAddress, hot: hotInput ? H.baseAddress : nil,
                                            W: W.baseAddress!, U: U.baseAddress!, bias: B.baseAddress!, returnSequences: sequences)
                        core.forward(out: &out, hT: nil, cT: nil)
                        guard grads.count == 4, let dx = grads[0], let dw = grads[1], let du = grads[2], let db = grads[3] else { return }
                        try core.backward(R.baseAddress!, buffers, needH0: false)
                        core.inputGradients(buffers, dw: dw, db: db, xt: &xt, sScratch: nil, dScratch: nil)
                        core.recurrentGradient(buffers, du: du, sScratch: nil)
                        core.inputGradient(buffers, dx: dx, scratch: &scratch)
                    } } } } } }
                return zip(out, r).reduce(0) { $0 + $1.0 * $1.1 }
            }
            var (gx, gw, gu, gb) = (values[0].map { _ in 0.0 }, values[1].map { _ in 0.0 }, values[2].map { _ in 0.0 }, values[3].map { _ in 0.0 })
            _ = try run(&gx, &gw, &gu, &gb)
            let grads = [gx, gw, gu, gb]
            let h = 1e-6
            for (k, name) in ["x", "W", "U", "b"].enumerated() where !(hotInput && k == 0) {
                var worst = 0.0
                for i in values[k].indices {
                    let v = values[k][i]
                    values[k][i] = v + h; let up = try run()
                    values[k][i] = v - h; let down = try run()
                    values[k][i] = v
                    worst = max(worst, abs((up - down) / (2 * h) - grads[k][i]) / max(1, abs(grads[k][i])))
                }
                XCTAssertLessThan(worst, 1e-7, "\(name), one-hot \(hotInput), sequences \(sequences)")
            }
        }
    }

    /// The native float32 step's gradients (sgd with lr 1: each weight moves by its
    /// gradient) against central differences of the float64 model's loss.
    func testNativeGradientsAgainstCentralDifferencesOfTheFloat64Loss() throws {
        let x = LayerCheck.input([4, 5, 3], 21), y = LayerCheck.input([4, 5, 2], 22)
        let make = { (p: ComputeType) in
            Sequential([try LSTM(4, dtype: p), try GRU(5, dtype: p), try SimpleRNN(3, .sigmoid, dtype: p), try LSTM(16, dtype: p),
                        try Dense(2, .linear, dtype: p)])
        }
        let native = try built(make(.float32), x)
        let start = native.parameters.map(\.value)
        let double = try built(make(.float64), x, start)
        _ = try nativeStep(native, SGD(lr: 1), x, y, .mse)
        XCTAssertTrue(native.parameters.allSatisfy(\.isSingle), "the step ran natively")
        let h = 1e-5
        for (k, p) in double.parameters.enumerated() {
            let after = native.parameters[k].value.scalars
            var worst = 0.0
            for i in 0..<p.value.count {
                let v = start[k].scalars[i]
                func lossAt(_ value: Double) throws -> Double {
                    var t = start[k]
                    try t.withUnsafeMutableBufferPointer { $0[i] = value }
                    p.value = t
                    return try Training.gradients(double, x, y, .mse, random: TestRandom.shared).0
                }
                let fd = (try lossAt(v + h) - lossAt(v - h)) / (2 * h)
                p.value = start[k]
                // the float weight minus the float step, read back: the gradient to float32's rounding of v
                worst = max(worst, abs((Double(Float(v)) - after[i]) - fd) / max(0.1, abs(fd)))
            }
            XCTAssertLessThan(worst, 1e-4, "\(p.name) of parameter \(k)")
        }
    }

    /// Once warm, a step allocates nothing of its own: its buffers are the trainer's.
    func testStepsReuseTheirBuffers() throws {
        let ids: [Double] = (0..<48).map { (i: Int) -> Double in Double((i * 5) % 7) }
        let hot = try Tensor.onehot(try Tensor(ids).reshaped([8, 6]), 7)
        let labels = try Tensor(ids.map { (v: Double) -> Double in Double(Int(v) % 5) }).reshaped([8, 6])
        let x = LayerCheck.input([8, 6, 4], 5), y = LayerCheck.input([8, 6, 3], 6)
        for (net, xs, ys, loss) in [(try small(), x, y, Loss.mse), (try stacked(), hot, labels, Loss.crossentropy)] {
            _ = try built(net, xs)
            let opt = Adam()
            for _ in 0..<2 { _ = try nativeStep(net, opt, xs, ys, loss) }
            let trainer = try XCTUnwrap(SingleDenseTrainer.native(net) as? SingleRecurrentTrainer)
            let warm = trainer.allocations
            for _ in 0..<20 { _ = try nativeStep(net, opt, xs, ys, loss) }
            XCTAssertEqual(trainer.allocations, warm)
            // an epoch's smaller last batch keeps buffers of its own: made once
            let (xa, ya) = (try xs.get(.slice(0, 5, nil)), try ys.get(.slice(0, 5, nil)))
            _ = try nativeStep(net, opt, xa, ya, loss)
            let mixed = trainer.allocations
            for _ in 0..<5 {
                _ = try nativeStep(net, opt, xs, ys, loss)
                _ = try nativeStep(net, opt, xa, ya, loss)
            }
            XCTAssertEqual(trainer.allocations, mixed + 10, "only the predictions, whose shape changes each step")
        }
    }

    /// The weights read after native training are the float32 ones; predict and the final
    /// state give what a float32 model given them gives.
    func testWeightsReadAfterNativeTraining() throws {
        let x = LayerCheck.input([6, 5, 4], 7), y = LayerCheck.input([6, 5, 3], 8)
        let a = try built(small(), x)
        for _ in 0..<3 { _ = try nativeStep(a, Adam(lr: 0.01), x, y, .mse) }
        let read = try LayerCheck.readSingles(a.parameters)
        let b = try built(small(), x, read)
        XCTAssertEqual(try Training.predict(a, x, random: TestRandom.shared).scalars,
                       try Training.predict(b, x, random: TestRandom.shared).scalars)
        // the final state the native step left is the forward pass's on the weights it started from
        let c = try built(small(), x, read)
        _ = try nativeStep(c, SGD(lr: 0), x, y, .mse)
        let lstm = try XCTUnwrap(c.layers[0] as? LSTM), reference = try XCTUnwrap(b.layers[0] as? LSTM)
        let states = try XCTUnwrap(lstm.finalState), expected = try XCTUnwrap(reference.finalState)
        XCTAssertEqual(states.map(\.shape), expected.map(\.shape))
        XCTAssertLessThan(maxDifference(states.flatMap(\.scalars), expected.flatMap(\.scalars)), 1e-6)
    }

    /// Models that do not train natively: a float64 layer among them, a carried state, a
    /// dense layer first, a middle layer returning its last step only.
    func testWhichModelsTrainNatively() throws {
        XCTAssertNotNil(SingleRecurrentTrainer.make(try stacked().layers))
        XCTAssertNotNil(SingleRecurrentTrainer.make(try lastStep().layers))
        XCTAssertNil(SingleRecurrentTrainer.make(try stacked(.float64).layers))
        XCTAssertNotNil(SingleRecurrentTrainer.make(try gated().layers))
        XCTAssertNotNil(SingleRecurrentTrainer.make([try SimpleRNN(4, dtype: .float32), try Dense(3, .linear, dtype: .float32)]))
        XCTAssertNil(SingleRecurrentTrainer.make([try SimpleRNN(4, dtype: .float32), try Dense(3, .linear)]))
        XCTAssertNil(SingleRecurrentTrainer.make([try LSTM(4, dtype: .float32), try Dense(3, .linear)]))
        XCTAssertNil(SingleRecurrentTrainer.make([try LSTM(4, returnSequences: false, dtype: .float32), try LSTM(4, dtype: .float32),
                                                  try Dense(3, .linear, dtype: .float32)]))
        XCTAssertNil(SingleRecurrentTrainer.make([try Dense(3, .linear, dtype: .float32), try LSTM(4, dtype: .float32)]))
        // a stateful layer is a trainer's, but its step goes through the graph
        let x = LayerCheck.input([4, 3, 2], 9), y = LayerCheck.input([4, 3, 1], 10)
        let net = try built(Sequential([try LSTM(4, stateful: true, dtype: .float32), try Dense(1, .linear, dtype: .float32)]), x)
        _ = try nativeStep(net, SGD(), x, y, .mse)
        XCTAssertFalse(net.parameters[0].isSingle)
    }
}
