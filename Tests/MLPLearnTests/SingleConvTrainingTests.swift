// float32 end to end for convolutional nets (SingleConvTraining.swift): the native step
// against the graph's float32 step (the same model) and the float64 model, optimizer
// steps on a convolution's kernel checked by hand, the same bits on 1, 2 and 3 threads,
// no buffer allocated per step once warm, and weights read and set between steps.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class SingleConvTrainingTests: XCTestCase {
    override func setUp() { TestRandom.seed(23) }

    /// W5's shape, smaller: two float32 convolutions each pooled, flatten, a float32 softmax.
    func pooledNet(_ precision: ComputeType = .float32) throws -> Sequential {
        Sequential([try Conv2D(4, 3, .relu, padding: "same", precision: precision), try MaxPool2D(2),
                    try Conv2D(6, 3, .relu, padding: "same", precision: precision), try MaxPool2D(2),
                    Flatten(), try Dense(3, .softmax, dtype: precision)])
    }

    /// Unpooled and linear convolutions, a stride, "valid" padding and two dense layers.
    func plainNet(_ precision: ComputeType = .float32) throws -> Sequential {
        Sequential([try Conv2D(5, (3, 2), .linear, padding: "valid", stride: 2, precision: precision),
                    try Conv2D(9, 2, .relu, padding: "same", precision: precision), try MaxPool2D(3, padding: "same"),
                    Flatten(), try Dense(7, .tanh, dtype: precision), try Dense(2, .linear, dtype: precision)])
    }

    /// Builds `net` on x and gives it `weights` (when given).
    func built(_ net: Sequential, _ x: Tensor, _ weights: [Tensor]? = nil) throws -> Sequential {
        _ = try net.forward(Variable(constant: x), ForwardPass())
        if let weights { for (p, v) in zip(net.parameters, weights) { p.value = v } }
        return net
    }

    /// A step through the graph (what Training.step does when the model does not train natively).
    func graphStep(_ net: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> Double {
        let (value, _, params, grads) = try Training.gradients(net, x, y, loss, random: TestRandom.shared)
        try opt.update(params, grads)
        return value
    }

    func nativeStep(_ net: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> Double {
        let r = try Training.step(net, opt, x, y, loss, random: TestRandom.shared, communicator: SingleProcess())
        XCTAssertNil(r.fault)
        return r.loss
    }

    func maxDifference(_ a: [Parameter], _ b: [Parameter]) -> Double {
        var d = 0.0
        for (p, q) in zip(a, b) {
            for (u, v) in zip(p.value.scalars, q.value.scalars) { d = max(d, abs(u - v) / max(1, abs(v))) }
        }
        return d
    }

    /// The native step, the graph's float32 step and the float64 model from the same weights,
    /// `steps` steps each: the losses and weights agree to float32's rounding.
    func checkNative(_ make: (ComputeType) throws -> Sequential, _ x: Tensor, _ y: Tensor, _ loss: Loss,
                     _ opt: () -> Optimizer, steps: Int, graphTolerance: Double, doubleTolerance: Double,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let native = try built(make(.float32), x)
        let weights = native.parameters.map(\.value)
        let graph = try built(make(.float32), x, weights), double = try built(make(.float64), x, weights)
        let (a, b, c) = (opt(), opt(), opt())
        for s in 0..<steps {
            let la = try nativeStep(native, a, x, y, loss), lb = try graphStep(graph, b, x, y, loss)
            let lc = try nativeStep(double, c, x, y, loss)
            XCTAssertEqual(la, lb, accuracy: graphTolerance * max(1, abs(lb)), "loss at step \(s), graph", file: file, line: line)
            XCTAssertEqual(la, lc, accuracy: doubleTolerance * max(1, abs(lc)), "loss at step \(s), float64", file: file, line: line)
        }
        XCTAssertTrue(SingleDenseTrainer.native(native) is SingleConvTrainer, "the model trains natively", file: file, line: line)
        XCTAssertTrue(native.parameters.allSatisfy(\.isSingle), "the weights are stored in float32", file: file, line: line)
        XCTAssertFalse(graph.parameters.contains(where: \.isSingle), file: file, line: line)
        XCTAssertNil(SingleDenseTrainer.native(double), file: file, line: line)
        XCTAssertLessThan(maxDifference(native.parameters, graph.parameters), graphTolerance, "weights against the graph", file: file, line: line)
        XCTAssertLessThan(maxDifference(native.parameters, double.parameters), doubleTolerance, "weights against float64", file: file, line: line)
    }

    func testNativeStepsMatchTheGraphAndFloat64() throws {
        let x = LayerCheck.input([10, 8, 8, 1], 3)
        let labels = try Tensor((0..<10).map { Double($0 % 3) })
        try checkNative(pooledNet, x, labels, .crossentropy, { Adam(lr: 0.01) }, steps: 8, graphTolerance: 1e-4, doubleTolerance: 5e-4)
        try checkNative(pooledNet, x, try Tensor.onehot(labels, 3), .crossentropy, { SGD(lr: 0.1) }, steps: 8,
                        graphTolerance: 1e-5, doubleTolerance: 1e-4)
        let x2 = LayerCheck.input([17, 9, 8, 3], 5), targets = LayerCheck.input([17, 2], 6)
        try checkNative(plainNet, x2, targets, .mse, { Adam(lr: 0.01, clipnorm: 0.5) }, steps: 8, graphTolerance: 1e-4, doubleTolerance: 5e-4)
        try checkNative(plainNet, x2, targets, .mse, { Momentum(lr: 0.02) }, steps: 8, graphTolerance: 1e-5, doubleTolerance: 1e-4)
    }

    /// conv2d(1, 2) >> flatten >> dense(1): the kernel's gradient written out by hand in
    /// float64, then one sgd step and one adam step on it in float (the formulas here, not the code's).
    func testOptimizerStepsOnAConvolutionKernelByHand() throws {
        // two images 2 x 2, one channel; the convolution's one output pixel is sum(K * x) + b
        let xs: [[Double]] = [[0.5, -1, 2, 0.25], [1.5, 0.75, -0.5, 1]]
        let x = try Tensor(xs.flatMap { $0 }).reshaped([2, 2, 2, 1]), t = try Tensor([0.3, -0.2]).reshaped([2, 1])
        let k: [Double] = [0.2, -0.4, 0.1, 0.3], b = 0.05, v = 1.5, c = -0.1
        let weights = [try Tensor(k).reshaped([2, 2, 1, 1]), try Tensor([b]), try Tensor([v]).reshaped([1, 1]), try Tensor([c])]
        func make() throws -> Sequential {
            try built(Sequential([try Conv2D(1, 2, .linear, precision: .float32), Flatten(), try Dense(1, .linear, dtype: .float32)]), x, weights)
        }
        // mse over the two outputs: dL/dK = sum_i (y_i - t_i) v x_i, dL/db = sum_i (y_i - t_i) v
        var gk = [Double](repeating: 0, count: 4), gb = 0.0
        for i in 0..<2 {
            let y = v * (zip(k, xs[i]).map(*).reduce(0, +) + b) + c, e = y - t.scalars[i]
            for j in 0..<4 { gk[j] += e * v * xs[i][j] }
            gb += e * v
        }
        let lr = 0.1
        let sgdNet = try make()
        _ = try nativeStep(sgdNet, SGD(lr: lr), x, t, .mse)
        XCTAssertTrue(SingleDenseTrainer.native(sgdNet) is SingleConvTrainer)
        XCTAssertTrue(sgdNet.parameters.allSatisfy(\.isSingle), "the step ran natively")
        for j in 0..<4 {
            XCTAssertEqual(sgdNet.parameters[0].value.scalars[j], Double(Float(k[j]) - Float(lr) * Float(gk[j])), accuracy: 1e-6, "sgd, kernel \(j)")
        }
        XCTAssertEqual(sgdNet.parameters[1].value.scalars[0], Double(Float(b) - Float(lr) * Float(gb)), accuracy: 1e-6, "sgd, bias")
        // adam's first step: m = (1 - b1) g, v = (1 - b2) g^2, and the corrections give g / (|g| + eps)
        let adamNet = try make()
        _ = try nativeStep(adamNet, Adam(lr: lr), x, t, .mse)
        for j in 0..<4 {
            let g = Float(gk[j]), m = Float(1 - 0.9) * g / Float(1 - 0.9), s = Float(1 - 0.999) * g * g / Float(1 - 0.999)
            XCTAssertEqual(adamNet.parameters[0].value.scalars[j], Double(Float(k[j]) - Float(lr) * m / (s.squareRoot() + Float(1e-7))),
                           accuracy: 1e-6, "adam, kernel \(j)")
        }
    }

    /// Training with the chunks on 1, 2 and 3 threads gives the same bits.
    func testTheSameBitsOnOneTwoAndThreeThreads() throws {
        let x = LayerCheck.input([32, 12, 12, 1], 8), y = try Tensor((0..<32).map { Double($0 % 3) })
        let weights = try built(pooledNet(), x).parameters.map(\.value)
        let old = BLASThreads.count
        defer { BLASThreads.count = old }
        func train(_ threads: Int) throws -> [[Double]] {
            BLASThreads.count = threads
            let net = try built(pooledNet(), x, weights), opt = Adam(lr: 0.01)
            for _ in 0..<6 { _ = try nativeStep(net, opt, x, y, .crossentropy) }
            let trainer = try XCTUnwrap(SingleDenseTrainer.native(net) as? SingleConvTrainer)
            XCTAssertEqual(trainer.threads, threads, "the step ran on \(threads) threads")
            return net.parameters.map(\.value.scalars)
        }
        let one = try train(1)
        XCTAssertEqual(try train(2), one)
        XCTAssertEqual(try train(3), one)
    }

    /// Once warm, a step allocates nothing of its own: its buffers are the trainer's.
    func testStepsReuseTheirBuffers() throws {
        let x = LayerCheck.input([16, 8, 8, 1], 9), y = try Tensor((0..<16).map { Double($0 % 3) })
        let net = try built(pooledNet(), x), opt = Adam()
        for _ in 0..<2 { _ = try nativeStep(net, opt, x, y, .crossentropy) }
        let trainer = try XCTUnwrap(SingleDenseTrainer.native(net) as? SingleConvTrainer)
        let warm = trainer.allocations
        for _ in 0..<20 { _ = try nativeStep(net, opt, x, y, .crossentropy) }
        XCTAssertEqual(trainer.allocations, warm)
        // a prediction the caller keeps is not written over: the next step takes a new one
        let kept = try Training.step(net, opt, x, y, .crossentropy, random: TestRandom.shared, communicator: SingleProcess()).prediction
        let copy = kept.scalars
        _ = try nativeStep(net, opt, x, y, .crossentropy)
        XCTAssertEqual(kept.scalars, copy)
        XCTAssertEqual(trainer.allocations, warm + 1)
        // an epoch's smaller last batch uses the buffers of the larger one (once its prediction is made)
        let (xs, ys) = (try x.get(.slice(0, 10, nil)), try y.get(.slice(0, 10, nil)))
        _ = try nativeStep(net, opt, xs, ys, .crossentropy)
        let mixed = trainer.allocations
        for _ in 0..<5 {
            _ = try nativeStep(net, opt, x, y, .crossentropy)
            _ = try nativeStep(net, opt, xs, ys, .crossentropy)
        }
        XCTAssertEqual(trainer.allocations, mixed + 10, "only the predictions, whose shape changes each step")
    }

    /// The weights read between steps are the float32 ones; weights set between steps are
    /// what the next step starts from.
    func testWeightsReadAndSetBetweenSteps() throws {
        let x = LayerCheck.input([12, 8, 8, 1], 10), y = try Tensor((0..<12).map { Double($0 % 3) })
        let a = try built(pooledNet(), x)
        for _ in 0..<3 { _ = try nativeStep(a, SGD(lr: 0.1), x, y, .crossentropy) }
        // read: a float64 copy of the floats, exactly
        let read = try LayerCheck.readSingles(a.parameters)
        // a new model given them takes the same sgd step
        let b = try built(pooledNet(), x, read)
        XCTAssertEqual(try nativeStep(a, SGD(lr: 0.1), x, y, .crossentropy), try nativeStep(b, SGD(lr: 0.1), x, y, .crossentropy))
        XCTAssertEqual(a.parameters.map(\.value.scalars), b.parameters.map(\.value.scalars))
        // set: a kernel set on both between steps is what both step from
        let kernel = LayerCheck.input(a.parameters[2].shape, 11)
        a.parameters[2].value = kernel; b.parameters[2].value = kernel
        XCTAssertFalse(a.parameters[2].isSingle)
        _ = try nativeStep(a, SGD(lr: 0.1), x, y, .crossentropy)
        let fresh = try built(pooledNet(), x, b.parameters.map(\.value))
        _ = try graphStep(fresh, SGD(lr: 0.1), x, y, .crossentropy)
        XCTAssertLessThan(maxDifference(a.parameters, fresh.parameters), 1e-5)
    }

    /// Models that do not train natively: a float64 layer among them, a pooling first.
    func testWhichModelsTrainNatively() throws {
        XCTAssertNotNil(SingleConvTrainer.make(try pooledNet().layers))
        XCTAssertNil(SingleConvTrainer.make(try pooledNet(.float64).layers))
        let mixed = [try Conv2D(4, 3, .relu, precision: .float32), try MaxPool2D(2), Flatten(), try Dense(3, .softmax)] as [Layer]
        XCTAssertNil(SingleConvTrainer.make(mixed))
        let poolFirst = [try MaxPool2D(2), try Conv2D(4, 3, .relu, precision: .float32), Flatten(), try Dense(3, .softmax, dtype: .float32)] as [Layer]
        XCTAssertNil(SingleConvTrainer.make(poolFirst))
        let tanh = [try Conv2D(4, 3, .tanh, precision: .float32), Flatten(), try Dense(3, .softmax, dtype: .float32)] as [Layer]
        XCTAssertNil(SingleConvTrainer.make(tanh))
    }
}
