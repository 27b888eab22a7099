// flatten, reshape, dropout, gaussian_dropout and batchnorm: values, statistics in
// training and inference, gradients against finite differences, messages.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class RegularizationLayerTests: XCTestCase {
    func forward(_ layer: Layer, _ x: Tensor, training: Bool = false) throws -> Tensor {
        try layer.forward(Variable(constant: x), ForwardPass(training: training)).value
    }

    // MARK: - flatten and reshape

    func testFlattenAndReshape() throws {
        let x = try Tensor.arange(0, 24).reshaped([2, 3, 2, 2])
        let f = try forward(Flatten(), x)
        XCTAssertEqual(f.shape, [2, 12])
        XCTAssertEqual(f.scalars, x.scalars)
        XCTAssertEqual(try forward(Flatten(), try Tensor.zeros([5])).shape, [5, 1])
        XCTAssertEqual(try forward(Reshape([3, 4]), x).shape, [2, 3, 4])
        XCTAssertEqual(try forward(Reshape([-1, 2]), x).shape, [2, 6, 2])
        XCTAssertEqual(try forward(Reshape([2, 3, 2, 2]).self, try Tensor.zeros([7, 24])).shape, [7, 2, 3, 2, 2])
        XCTAssertEqual(try forward(Reshape([2, -1]), x).scalars, x.scalars)
        LayerCheck.check(Flatten(), LayerCheck.input([2, 3, 2, 2], 1))
        LayerCheck.check(try Reshape([6, -1]), LayerCheck.input([2, 3, 2, 2], 2))
    }

    func testFlattenAndReshapeMessages() throws {
        XCTAssertEqual(Flatten().description, "flatten()")
        XCTAssertEqual(try Reshape([7, 7, -1]).description, "reshape([7, 7, -1])")
        XCTAssertEqual([Flatten().kind, try Reshape([1]).kind], ["flatten", "reshape"])
        LayerCheck.expectError(["reshape([-1, -1])", "one dimension may be -1"]) { _ = try Reshape([-1, -1]) }
        LayerCheck.expectError(["reshape([0, 3])", "positive"]) { _ = try Reshape([0, 3]) }
        LayerCheck.expectError(["reshape([7, 7, 16])", "expected 784 values per sample, got 100", "[4, 100]"]) {
            _ = try self.forward(try Reshape([7, 7, 16]), try Tensor.zeros([4, 100]))
        }
        LayerCheck.expectError(["reshape([7, -1])", "50 values per sample", "[4, 50]"]) {
            _ = try self.forward(try Reshape([7, -1]), try Tensor.zeros([4, 50]))
        }
        LayerCheck.expectError(["flatten()", "scalar"]) { _ = try self.forward(Flatten(), Tensor(scalar: 1)) }
    }

    // MARK: - dropout

    func testDropoutStatistics() throws {
        let n = 200_000
        let x = try Tensor.ones([n / 100, 100])
        let layer = try Dropout(0.3)
        // inference: the identity
        XCTAssertEqual(try forward(layer, x), x)
        TestRandom.seed(3)
        let y = try forward(layer, x, training: true)
        let zeros = y.scalars.filter { $0 == 0 }.count
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(zeros) / Double(n), 0.3, accuracy: 0.005)
        for v in kept.prefix(100) { XCTAssertEqual(v, 1 / 0.7, accuracy: 1e-15) }
        // inverted dropout keeps the mean
        XCTAssertEqual(y.sumAll() / Double(n), 1, accuracy: 0.01)
        // the same seed gives the same mask
        TestRandom.seed(3)
        XCTAssertEqual(try forward(layer, x, training: true), y)
        // rate 0 is the identity in training too
        XCTAssertEqual(try forward(try Dropout(0), x, training: true), x)
    }

    func testGaussianDropoutStatistics() throws {
        let n = 200_000
        let x = try Tensor.full([n / 100, 100], 2)
        let layer = try GaussianDropout(0.2)
        XCTAssertEqual(try forward(layer, x), x)
        TestRandom.seed(4)
        let y = try forward(layer, x, training: true)
        let noise = y.scalars.map { $0 / 2 }
        let mean = noise.reduce(0, +) / Double(n)
        let variance = noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 1, accuracy: 0.005)
        XCTAssertEqual(variance, 0.2 / 0.8, accuracy: 0.005)
    }

    func testDropoutGradients() throws {
        let x = LayerCheck.input([4, 6], 8)
        LayerCheck.check(try Dropout(0.5), x, training: true, seed: 11)
        LayerCheck.check(try GaussianDropout(0.3), x, training: true, seed: 12)
        LayerCheck.check(try Dropout(0.5), x, training: false)
        // the gradient is the mask: zero where the value was dropped
        TestRandom.seed(11)
        let (_, grads) = try Autograd.valueAndGrad([x]) { v in try Dropout(0.5).forward(v[0], ForwardPass(training: true)).reduce(.sum) }
        TestRandom.seed(11)
        let y = try forward(try Dropout(0.5), x, training: true)
        for (g, v) in zip(grads[0].scalars, y.scalars) { XCTAssertEqual(g, v == 0 ? 0 : 2) }
    }

    func testDropoutMessages() throws {
        XCTAssertEqual(try Dropout(0.5).description, "dropout(0.5)")
        XCTAssertEqual(try GaussianDropout(0.25).description, "gaussian_dropout(0.25)")
        XCTAssertEqual([try Dropout(0.5).kind, try GaussianDropout(0.5).kind], ["dropout", "gaussian_dropout"])
        LayerCheck.expectError(["dropout", "[0, 1)", "1"]) { _ = try Dropout(1) }
        LayerCheck.expectError(["gaussian_dropout", "[0, 1)", "-0.1"]) { _ = try GaussianDropout(-0.1) }
    }

    // MARK: - batchnorm

    func testBatchNormTrainingUsesBatchStatistics() throws {
        let x = try Tensor([1, 10, 2, 20, 3, 30, 6, 60], shape: [4, 2])
        let layer = try BatchNorm()
        let y = try forward(layer, x, training: true)
        // feature 0: mean 3, biased variance 3.5; feature 1: mean 30, variance 350
        let expected = try Tensor([1, 10, 2, 20, 3, 30, 6, 60].enumerated().map { i, v in
            i % 2 == 0 ? (v - 3) / (3.5 + 1e-3).squareRoot() : (v - 30) / (350 + 1e-3).squareRoot()
        }, shape: [4, 2])
        LayerCheck.assertClose(y, expected, tol: 1e-12)
        XCTAssertEqual(layer.parameters.map(\.name), ["gamma", "beta", "moving_mean", "moving_variance"])
        XCTAssertEqual(layer.parameters.map(\.trainable), [true, true, false, false])
        // moving = 0.99 moving + 0.01 batch
        LayerCheck.assertClose(layer.parameters[2].value, try Tensor([0.03, 0.3]), tol: 1e-15)
        LayerCheck.assertClose(layer.parameters[3].value, try Tensor([0.99 + 0.035, 0.99 + 3.5]), tol: 1e-12)
        // an inference pass leaves the moving statistics alone
        _ = try forward(layer, x)
        LayerCheck.assertClose(layer.parameters[2].value, try Tensor([0.03, 0.3]), tol: 1e-15)
    }

    func testBatchNormInferenceUsesMovingStatistics() throws {
        let layer = try BatchNorm(momentum: 0.9, epsilon: 0.01)
        _ = try forward(layer, try Tensor.zeros([1, 2]))
        layer.parameters[0].value = try Tensor([2, 3])       // gamma
        layer.parameters[1].value = try Tensor([0.5, -1])    // beta
        layer.parameters[2].value = try Tensor([1, -2])      // moving mean
        layer.parameters[3].value = try Tensor([4, 0.25])    // moving variance
        let x = try Tensor([3, 0, -1, 1], shape: [2, 2])
        let y = try forward(layer, x)
        let e0 = { (v: Double) in 2 * (v - 1) / (4.01).squareRoot() + 0.5 }
        let e1 = { (v: Double) in 3 * (v + 2) / (0.26).squareRoot() - 1 }
        LayerCheck.assertClose(y, try Tensor([e0(3), e1(0), e0(-1), e1(1)], shape: [2, 2]), tol: 1e-12)
        XCTAssertEqual(layer.description, "batchnorm(momentum=0.9, epsilon=0.01)")
    }

    func testBatchNormOverImagesNormalisesPerChannel() throws {
        let x = LayerCheck.input([3, 4, 5, 2], 21, lo: -3, hi: 7)
        let y = try forward(try BatchNorm(), x, training: true)
        let flat = try y.reshaped([-1, 2])
        for ch in 0..<2 {
            let v = (0..<flat.shape[0]).map { flat[$0, ch] }
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-12)
            XCTAssertEqual(variance, 1, accuracy: 2e-3)   // var / (var + epsilon)
        }
    }

    func testBatchNormGradients() throws {
        for training in [true, false] {
            let layer = try BatchNorm()
            _ = try forward(layer, LayerCheck.input([5, 3], 30), training: true)
            layer.parameters[0].value = LayerCheck.input([3], 31, lo: 0.5, hi: 2)
            layer.parameters[1].value = LayerCheck.input([3], 32)
            LayerCheck.check(layer, LayerCheck.input([5, 3], 33), training: training)
            let images = try BatchNorm()
            _ = try forward(images, LayerCheck.input([2, 3, 3, 4], 34), training: true)
            images.parameters[0].value = LayerCheck.input([4], 35, lo: 0.5, hi: 2)
            LayerCheck.check(images, LayerCheck.input([2, 3, 3, 4], 36), training: training)
        }
    }

    func testBatchNormMessages() throws {
        XCTAssertEqual(try BatchNorm().description, "batchnorm()")
        XCTAssertEqual(try BatchNorm().kind, "batchnorm")
        LayerCheck.expectError(["batchnorm", "momentum", "1.5"]) { _ = try BatchNorm(momentum: 1.5) }
        LayerCheck.expectError(["batchnorm", "epsilon"]) { _ = try BatchNorm(epsilon: 0) }
        let layer = try BatchNorm()
        LayerCheck.expectError(["batchnorm()", "at least 2 axes", "[5]"]) { _ = try self.forward(layer, try Tensor.zeros([5])) }
        _ = try forward(layer, try Tensor.zeros([2, 3]))
        LayerCheck.expectError(["batchnorm()", "3 features", "[2, 4]"]) { _ = try self.forward(layer, try Tensor.zeros([2, 4])) }
    }
}
