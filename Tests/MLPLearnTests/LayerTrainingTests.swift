// Dense layers, activations and losses against finite differences; the training loop end to end.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

/// Plain gradient descent, enough to test the loop without the optimizer library.
final class TestDescent: ParameterUpdate {
    let lr: Double
    init(_ lr: Double) { self.lr = lr }
    func update(_ params: [Parameter], _ grads: [Tensor]) throws {
        for (p, g) in zip(params, grads) { p.value = try p.value - Tensor.binary(.mul, g, lr) }
    }
}

final class LayerTrainingTests: XCTestCase {
    override func setUp() { TestRandom.seed(7) }

    /// The gradient of a scalar function of a model's parameters, tape against central differences.
    func checkParameters(_ net: Layer, _ x: Tensor, _ loss: Loss, _ y: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try net.forward(Variable(constant: x), ForwardPass())   // build
        let params = net.parameters
        let values = params.map(\.value)
        func lossAt(_ vs: [Tensor]) throws -> Double {
            for (p, v) in zip(params, vs) { p.value = v }
            return try loss(try net.forward(Variable(constant: x), ForwardPass()), y).value.scalars[0]
        }
        let tape = Tape()
        let pass = ForwardPass(tape: tape, training: true)
        try loss(try net.forward(Variable(constant: x), pass), y).backward()
        let tapeGrads = try params.map { p in try pass.used.first { $0.0 === p }?.1.grad ?? Tensor.zeros(p.value.shape) }
        let numeric = try Autograd.numericalGrad(values) { try lossAt($0) }
        for (p, v) in zip(params, values) { p.value = v }
        XCTAssertLessThan(try Autograd.relativeError(tapeGrads, numeric), 1e-6, file: file, line: line)
    }

    func testDenseAndActivationsGradients() throws {
        let x = try Tensor.randn([4, 3])
        for act in [Activation.linear, .relu, .sigmoid, .tanh, .softplus, .elu(alpha: 1), .leakyRelu(slope: 0.2)] {
            let net = Sequential([try Dense(5, act), try Dense(2)])
            try checkParameters(net, x, .mse, try Tensor.randn([4, 2]))
        }
        let labels = try Tensor([0, 2, 1, 2])
        try checkParameters(Sequential([try Dense(3, .tanh), try Dense(3, .softmax)]), x, .crossentropy, labels)
        try checkParameters(Sequential([try Dense(3, .tanh), try Dense(3)]), x, .crossentropyFromLogits, labels)
        try checkParameters(Sequential([try Dense(1, .sigmoid)]), x, .binaryCrossentropy, Tensor([0, 1, 1, 0]))
        try checkParameters(Sequential([try Dense(2)]), x, .mae, try Tensor.randn([4, 2]))
    }

    func testDenseOnSequences() throws {
        let d = try Dense(4)
        let y = try d.forward(Variable(constant: try Tensor.randn([2, 5, 3])), ForwardPass())
        XCTAssertEqual(y.value.shape, [2, 5, 4])
        try checkParameters(Sequential([d]), try Tensor.randn([2, 5, 3]), .mse, try Tensor.randn([2, 5, 4]))
    }

    func testLossValuesByHand() throws {
        let p = Variable(constant: try Tensor([0.9, 0.1, 0.2, 0.8], shape: [2, 2]))
        // -(log 0.9 + log 0.8) / 2
        XCTAssertEqual(try Loss.crossentropy(p, Tensor([0, 1])).value.scalars[0], -(log(0.9) + log(0.8)) / 2, accuracy: 1e-15)
        XCTAssertEqual(try Loss.mse(p, try Tensor([1, 0, 0, 1], shape: [2, 2])).value.scalars[0], (0.01 + 0.01 + 0.04 + 0.04) / 4, accuracy: 1e-15)
        XCTAssertEqual(try Metric.accuracy(p.value, Tensor([0, 0])), 0.5)
        XCTAssertThrowsError(try Loss.crossentropy(p, Tensor([0, 3]))) { e in XCTAssertTrue("\(e)".contains("labels must be integers in 0..<2"), "\(e)") }
    }

    func testTrainingFitsALine() throws {
        // y = 2x - 1 with one dense unit: gradient descent converges to w = 2, b = -1
        let x = try Tensor.linspace(-1, 1, 64).reshaped([64, 1])
        let y = try Tensor.binary(.sub, try Tensor.binary(.mul, x, 2), 1)
        let net = Sequential([try Dense(1)])
        var options = TrainOptions()
        options.epochs = 200; options.batch = 16
        let h = try Training.fit(net, TestDescent(0.1), .arrays(x, y), .mse, options)
        XCTAssertEqual(h.loss.count, 200)
        XCTAssertLessThan(h.loss.last!, 1e-10)
        XCTAssertEqual(net.parameters[0].value.scalars[0], 2, accuracy: 1e-5)
        XCTAssertEqual(net.parameters[1].value.scalars[0], -1, accuracy: 1e-5)
    }

    func testFreshBatchesStepsAndStop() throws {
        let net = Sequential([try Dense(1)])
        var options = TrainOptions()
        options.steps = 50
        var calls = 0
        let h = try Training.fit(net, TestDescent(0.05), .batches {
            calls += 1
            let x = try Tensor.randn([8, 1])
            return (x, try Tensor.binary(.mul, x, 3))
        }, .mse, options, shouldStop: { calls == 20 })
        XCTAssertEqual(calls, 20)
        XCTAssertEqual(h.loss.count, 20)
        XCTAssertEqual(h.per, "step")
        XCTAssertEqual(h.stopped, "interrupted after step 20")
    }

    /// predict and evaluate poll between batches (Ctrl-C) and stop with what the poll throws.
    func testPredictPollsBetweenBatches() throws {
        let net = Sequential([try Dense(2)])
        let x = try Tensor.ones([35, 3])
        var polls = 0
        let all = try Training.predict(net, x, batch: 10) { polls += 1 }
        XCTAssertEqual(all.shape, [35, 2])
        XCTAssertEqual(polls, 3)   // 4 batches
        XCTAssertEqual(all, try Training.predict(net, x, batch: 256))
        struct Stop: Error {}
        XCTAssertThrowsError(try Training.evaluate(net, x, try Tensor.zeros([35, 2]), .mse, batch: 10) { throw Stop() }) {
            XCTAssertTrue($0 is Stop)
        }
    }

    func testNaNLossStopsAndKeepsWeights() throws {
        let net = Sequential([try Dense(1)])
        let x = try Tensor.ones([4, 1])
        _ = try net.forward(Variable(constant: x), ForwardPass())
        let before = net.parameters.map(\.value)
        var options = TrainOptions()
        options.epochs = 3
        XCTAssertThrowsError(try Training.fit(net, TestDescent(0.1), .arrays(x, Tensor([.nan, 1, 1, 1])), .mse, options)) { e in
            XCTAssertEqual("\(e)", "train: y[0] is nan; the training data must be finite.")
        }
        // an infinite loss (inputs of 1e200 squared) stops at its step and keeps the weights
        let h = try Training.fit(net, TestDescent(0.1), .arrays(Tensor.full([4, 1], 1e200), Tensor([1, 1, 1, 1])), .mse, options)
        XCTAssertEqual(h.stopped, "the loss became inf at step 1 (epoch 1)")
        XCTAssertEqual(net.parameters.map(\.value), before)
    }
}
