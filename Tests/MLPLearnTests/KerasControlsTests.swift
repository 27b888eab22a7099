import XCTest
import MLPTensor
import MLPAutograd
import MLPTestSupport
@testable import MLPLearn

/// Keras's training controls (issue 15, items 1 and 3): early stopping, learning-rate
/// schedules, metrics, freezing, 1-D data, optimizer options and state keys, pooling
/// with "same" padding, the tokenizer's oov token. Expected values by hand.
final class KerasControlsTests: XCTestCase {
    /// A History whose loss curve (or the metric `name`'s) is `xs`.
    func history(_ xs: [Double], _ name: String = "loss") -> History {
        var h = History()
        h.loss = xs
        if name != "loss" { h.metrics[name] = xs; h.metricNames = [name] }
        return h
    }

    /// Feeds a sequence of the monitored curve to an EarlyStopping; returns the entry it stopped after (from 1) or nil.
    func stopsAfter(_ seq: [Double], _ stopper: EarlyStopping, model: Layer = try! Dense(1)) throws -> Int? {
        stopper.begin()
        for e in seq.indices {
            if try stopper.entryEnd(model, e, history(Array(seq[...e]), stopper.tracker.monitor)) != nil { return e + 1 }
        }
        return nil
    }

    func testEarlyStoppingPatienceAsKeras() throws {
        let seq: [Double] = [5, 4, 3, 3.5, 3.2, 3.1, 2.9, 3.0, 3.3, 3.4]
        // best 3 at epoch 3; epochs 4, 5, 6 do not improve
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 0)), 4)
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 1)), 4)
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 2)), 5)
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 3)), 6)
        // 2.9 at epoch 7 resets the count: then 8, 9, 10 without improvement
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 4)), nil)
        // min_delta 0.5: 2.9 is not better than 3 by more than 0.5
        XCTAssertEqual(try stopsAfter(seq, EarlyStopping(monitor: "loss", patience: 4, minDelta: 0.5)), 7)
        // an accuracy improves upwards ("auto")
        XCTAssertEqual(try stopsAfter([0.5, 0.6, 0.55, 0.58], EarlyStopping(monitor: "accuracy", patience: 2)), 4)
    }

    func testEarlyStoppingRestoresTheBestWeights() throws {
        let net = try Dense(1)
        _ = try net.forward(Variable(constant: try Tensor([1.0], shape: [1, 1])), ForwardPass())
        let stopper = try EarlyStopping(monitor: "loss", patience: 1, restoreBest: true)
        stopper.begin()
        for (e, (w, loss)) in [(1.0, 3.0), (2.0, 1.0), (3.0, 2.0)].enumerated() {
            net.parameters[0].value = try Tensor([w], shape: [1, 1])
            _ = try stopper.entryEnd(net, e, history(Array([3.0, 1.0, 2.0].prefix(e + 1))))
            _ = loss
        }
        XCTAssertEqual(stopper.end(net), 1)
        XCTAssertEqual(net.parameters[0].value.scalars, [2.0])
    }

    func testMissingMonitorNamesTheCurves() throws {
        let stopper = try EarlyStopping(monitor: "val_loss")
        XCTAssertThrowsError(try stopper.entryEnd(try Dense(1), 0, history([1]))) { e in
            XCTAssertTrue("\(e)".contains("has 'loss'"), "\(e)")
        }
    }

    func testScheduleFormulas() {
        let lr0 = 0.8
        let step = LearningRateSchedule.step(every: 3, factor: 0.1)
        XCTAssertEqual((0..<7).map { step.rate(epoch: $0, initial: lr0) }, [0.8, 0.8, 0.8, 0.8 * 0.1, 0.8 * 0.1, 0.8 * 0.1, 0.8 * 0.1 * 0.1])
        let exp = LearningRateSchedule.exponential(rate: 0.5)
        XCTAssertEqual(exp.rate(epoch: 3, initial: lr0), 0.1, accuracy: 1e-15)
        let cos = LearningRateSchedule.cosine(epochs: 10, minLR: 0.0)
        XCTAssertEqual(cos.rate(epoch: 0, initial: lr0), 0.8, accuracy: 1e-15)
        XCTAssertEqual(cos.rate(epoch: 5, initial: lr0), 0.4, accuracy: 1e-15)      // half way: the mean
        XCTAssertEqual(cos.rate(epoch: 10, initial: lr0), 0, accuracy: 1e-15)
        XCTAssertEqual(cos.rate(epoch: 25, initial: lr0), 0, accuracy: 1e-15)       // flat after
        // (1 + cos(pi/5)) / 2 = 0.9045084971874737
        XCTAssertEqual(cos.rate(epoch: 2, initial: 1), 0.9045084971874737, accuracy: 1e-15)
    }

    func testTopKAccuracy() throws {
        let p = try Tensor([0.5, 0.3, 0.2, 0.1, 0.2, 0.7], shape: [2, 3])
        XCTAssertEqual(try Metric.topKAccuracy(p, try Tensor([1, 2]), k: 1), 0.5)
        XCTAssertEqual(try Metric.topKAccuracy(p, try Tensor([1, 0]), k: 2), 0.5)
        XCTAssertEqual(try Metric.topKAccuracy(p, try Tensor([2, 0]), k: 3), 1)
        XCTAssertEqual(try Metric.meanError(p, p, squared: false, "mae"), 0)
        XCTAssertEqual(try Metric.meanError(try Tensor([1, 2], shape: [2, 1]), try Tensor([0, 0]), squared: true, "mse"), 2.5)
    }

    func testFitRecordsMetricsAndCallsTheHooks() throws {
        let net = try Dense(1)
        let x = try Tensor([1, 2, 3, 4])   // 1-D: one feature per sample
        let y = try Tensor([2, 4, 6, 8])
        var options = TrainOptions()
        options.epochs = 5
        options.batch = 4
        options.metrics = [NamedMetric("mae") { try Metric.meanError($0, $1, squared: false, "mae") }]
        var begun: [Int] = []
        options.entryBegin = { begun.append($0) }
        options.entryEnd = { e, h in e == 2 ? "enough" : nil }
        var shown: [[String]] = []
        let h = try Training.fit(net, SGD(lr: 0), .arrays(x, y), .mse, options, report: { p in shown.append(p.figures.map(\.0)) })
        XCTAssertEqual(begun, [0, 1, 2])
        // the bar's figures: none during the first epoch, then the last epoch's mae
        XCTAssertEqual(shown, [[], ["mae"], ["mae"]])
        XCTAssertEqual(h.loss.count, 3)
        XCTAssertEqual(h.keys, ["loss", "mae"])
        XCTAssertTrue(h.stoppedEarly)
        XCTAssertEqual(h.stopped, "enough")
        // sgd(0): the weights stay, so each epoch measures the same
        XCTAssertEqual(h.metrics["mae"]![0], h.metrics["mae"]![2])
        XCTAssertEqual(try Training.predict(net, x).shape, [4, 1])
    }

    func testFrozenLayerIsNotUpdated() throws {
        let a = try Dense(2), b = try Dense(1)
        let net = Sequential([a, b])
        a.trainable = false   // before it is built
        let x = try Tensor([0.5, -1, 2], shape: [3, 1]), y = try Tensor([1, 2, 3], shape: [3, 1])
        try Training.step(net, SGD(lr: 0.1), x, y, .mse)
        let wa = a.parameters[0].value.scalars, wb = b.parameters[0].value.scalars
        try Training.step(net, SGD(lr: 0.1), x, y, .mse)
        XCTAssertEqual(a.parameters[0].value.scalars, wa)
        XCTAssertNotEqual(b.parameters[0].value.scalars, wb)
        XCTAssertTrue(a.parameters.allSatisfy(\.frozen))
        a.trainable = true
        try Training.step(net, SGD(lr: 0.1), x, y, .mse)
        XCTAssertNotEqual(a.parameters[0].value.scalars, wa)
    }

    func testOptimizerStateMovesWithRekey() throws {
        let opt = Momentum(lr: 0.1, beta: 0.9)
        final class Box {}
        let k1 = Box(), k2 = Box(), k3 = Box()
        var w = try Tensor([5.0])
        try opt.update(&w, try Tensor([1.0]), key: .object(k1))    // v = -0.1
        opt.rekey(.object(k1), .object(k2))
        try opt.update(&w, try Tensor([1.0]), key: .object(k2))    // v = -0.19
        XCTAssertEqual(w.scalars[0], 4.71, accuracy: 1e-12)
        var u = try Tensor([5.0])
        try opt.update(&u, try Tensor([1.0]), key: .object(k3))    // fresh: v = -0.1
        XCTAssertEqual(u.scalars[0], 4.9, accuracy: 1e-12)
    }

    func testAdadeltaLearningRateAndAdagradAccumulator() throws {
        // Keras's Adadelta: lr 0.001, eps 1e-7; one step with g = 2: E[g^2] = 0.05 * 4 = 0.2,
        // dw = -sqrt(1e-7 / 0.2000001) * 2, w += 0.001 dw
        var p = [try Tensor([1.0])]
        try Adadelta(rho: 0.95, eps: 1e-7, lr: 0.001).step(&p, [try Tensor([2.0])])
        XCTAssertEqual(p[0].scalars[0], 1 - 0.001 * 2 * (1e-7 / 0.2000001).squareRoot(), accuracy: 1e-15)
        // adagrad from an accumulator of 1: G = 1 + 9 = 10
        var q = [try Tensor([1.0])]
        try Adagrad(lr: 0.1, eps: 0, initialAccumulator: 1).step(&q, [try Tensor([3.0])])
        XCTAssertEqual(q[0].scalars[0], 1 - 0.3 / 10.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Adagrad(values: [0.1, 0, 0.5], clipnorm: nil).initialAccumulator, 0.5)
    }

    func testPoolingSamePadding() throws {
        let x = try Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 3, 3, 1])
        let pass = ForwardPass()
        // 3x3 -> 2x2, the padding (1 row, 1 column) after the image: windows {0,1} and {2}
        let m = try MaxPool2D(2, padding: "same").forward(Variable(constant: x), pass).value
        XCTAssertEqual(m.shape, [1, 2, 2, 1])
        XCTAssertEqual(m.scalars, [5, 6, 8, 9])
        let a = try AvgPool2D(2, padding: "same").forward(Variable(constant: x), pass).value
        XCTAssertEqual(a.scalars, [3, 4.5, 7.5, 9])     // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9
        // 4 wide at k 3: 2 windows, padding 2 split 1 before, 1 after: columns {0, 1} and {2, 3}
        let row = try Tensor([1, 5, 2, 3], shape: [1, 1, 4, 1])
        XCTAssertEqual(try MaxPool2D(3, padding: "same").forward(Variable(constant: row), pass).value.scalars, [5, 3])
        XCTAssertEqual(try AvgPool2D(3, padding: "same").forward(Variable(constant: row), pass).value.scalars, [3, 2.5])
        // an image smaller than the window still pools
        XCTAssertEqual(try MaxPool2D(4, padding: "same").forward(Variable(constant: x), pass).value.scalars, [9])
        XCTAssertThrowsError(try MaxPool2D(2, padding: "full"))
        // gradients through the clipped windows
        let input = LayerCheck.input([2, 5, 5, 3], 7)
        LayerCheck.check(try MaxPool2D(2, padding: "same"), input)
        LayerCheck.check(try AvgPool2D(2, padding: "same"), input)
        LayerCheck.check(try AvgPool2D(3, padding: "same"), input)
    }

    func testTokenizerOOV() {
        let tok = Tokenizer(["the cat sat", "the dog sat down"], numWords: 4, oovToken: "<OOV>")
        XCTAssertEqual(tok.words, ["<OOV>", "the", "sat", "cat", "dog", "down"])
        XCTAssertEqual(tok.encode("the cat a sat"), [2, 1, 1, 3])
        XCTAssertEqual(tok.firstSeen, ["the", "cat", "sat", "dog", "down"])
        XCTAssertEqual(Tokenizer(["a b a"]).encode("a c b"), [1, 2])
    }

    func testOneDimensionalSamples() throws {
        XCTAssertEqual(try Training.samples(try Tensor([1, 2, 3])).shape, [3, 1])
        XCTAssertEqual(try Training.samples(try Tensor.zeros([3, 2])).shape, [3, 2])
        XCTAssertThrowsError(try Dense(1).forward(Variable(constant: try Tensor([1, 2, 3])), ForwardPass())) { e in
            XCTAssertTrue("\(e)".contains("reshape(x, [3, 1])"), "\(e)")
        }
    }
}
