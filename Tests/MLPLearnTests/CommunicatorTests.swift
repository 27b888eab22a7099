// The communicator seam: every training step passes its gradients and its loss
// through the communicator between backward and update, and evaluate its
// measurements. A stand-in for two processes whose partner has zero gradients and
// zero loss halves both, which the update must then show.
import MLPTensor
import MLPAutograd
import MLPLearn
import MLPTestSupport
import XCTest

final class HalvingCommunicator: Communicator {
    var gradientCalls = 0, averageCalls = 0
    var rank: Int { 0 }
    var size: Int { 2 }
    func averageGradients(_ grads: inout [Tensor]) throws {
        gradientCalls += 1
        grads = try grads.map { try Tensor.binary(.mul, $0, 0.5) }
    }
    func average(_ values: inout [Double]) throws {
        averageCalls += 1
        values = values.map { $0 / 2 }
    }
}

final class CommunicatorTests: XCTestCase {
    /// y = w x with w = 0, x = 1, target 1: mse gradient dL/dw = -2; sgd with rate 0.1.
    func model() throws -> (Dense, Tensor, Tensor) {
        let net = try Dense(1, useBias: false)
        _ = try net.forward(Variable(constant: try Tensor.ones([1, 1])), ForwardPass())
        net.parameters[0].value = try Tensor.zeros([1, 1])
        return (net, try Tensor.ones([1, 1]), try Tensor.ones([1, 1]))
    }

    func testAStepAveragesGradientsAndLossBeforeTheUpdate() throws {
        let (net, x, y) = try model()
        let c = HalvingCommunicator()
        let (loss, _, fault) = try Training.step(net, TestDescent(0.1), x, y, .mse, random: TestRandom.shared, communicator: c)
        XCTAssertNil(fault)
        XCTAssertEqual(loss, 0.5)                                       // (1 + 0) / 2
        XCTAssertEqual(net.parameters[0].value.scalars[0], 0.1, accuracy: 1e-15)   // 0 - 0.1 * (-2 / 2)
        XCTAssertEqual(c.gradientCalls, 1)
        XCTAssertEqual(c.averageCalls, 1)
    }

    func testFitAndEvaluateGoThroughTheCommunicator() throws {
        let (net, x, y) = try model()
        let c = HalvingCommunicator()
        var options = TrainOptions()
        options.communicator = c
        options.steps = 3
        _ = try Training.fit(net, TestDescent(0.1), .arrays(x, y), .mse, options)
        XCTAssertEqual(c.gradientCalls, 3)
        let before = c.averageCalls
        let (l, _) = try Training.evaluate(net, x, y, .mse, random: TestRandom.shared, communicator: c)
        XCTAssertEqual(c.averageCalls, before + 1)
        let w = net.parameters[0].value.scalars[0]
        XCTAssertEqual(l, (1 - w) * (1 - w) / 2, accuracy: 1e-15)
    }

    func testTheSingleProcessCommunicatorChangesNothing() throws {
        let (a, x, y) = try model(), (b, _, _) = try model()
        try Training.step(a, TestDescent(0.1), x, y, .mse)
        try Training.step(b, TestDescent(0.1), x, y, .mse, random: TestRandom.shared, communicator: SingleProcess())
        XCTAssertEqual(a.parameters[0].value.scalars, b.parameters[0].value.scalars)
        XCTAssertEqual(a.parameters[0].value.scalars[0], 0.2, accuracy: 1e-15)
    }
}
