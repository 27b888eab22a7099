// Convolution, pooling and upsampling layers: forward values against hand-computed
// cases (numbers from numpy / TensorFlow's padding rule), a naive reference
// convolution, gradients against finite differences, messages and descriptions.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class ConvLayerTests: XCTestCase {
    /// A conv2d layer with the given kernel [kh, kw, cin, f] and bias, built.
    func conv(_ kernel: Tensor, bias: [Double]? = nil, padding: String, stride: Int = 1, _ act: Activation = .linear) throws -> Conv2D {
        let s = kernel.shape
        let layer = try Conv2D(s[3], (s[0], s[1]), act, padding: padding, stride: stride)
        try layer.build(s[2], TestRandom.shared)
        layer.parameters[0].value = kernel
        layer.parameters[1].value = try Tensor(bias ?? [Double](repeating: 0, count: s[3]))
        return layer
    }

    func forward(_ layer: Layer, _ x: Tensor, training: Bool = false) throws -> Tensor {
        try layer.forward(Variable(constant: x), ForwardPass(training: training)).value
    }

    let sobel = try! Tensor([1, 0, -1, 2, 0, -2, 1, 0, -1], shape: [3, 3, 1, 1])

    func testConvOnA3x3ImageWithAKnownKernel() throws {
        let x = try Tensor.arange(1, 10).reshaped([1, 3, 3, 1])
        // cross-correlation, as Keras and PyTorch compute it (numpy reference)
        LayerCheck.assertClose(try forward(conv(sobel, padding: "valid"), x), try Tensor([-8], shape: [1, 1, 1, 1]))
        LayerCheck.assertClose(try forward(conv(sobel, padding: "same"), x),
                               try Tensor([-9, -6, 9, -20, -8, 20, -21, -6, 21], shape: [1, 3, 3, 1]))
        // the bias is added to every pixel; the activation after it
        LayerCheck.assertClose(try forward(conv(sobel, bias: [10], padding: "same", .relu), x),
                               try Tensor([1, 4, 19, 0, 2, 30, 0, 4, 31], shape: [1, 3, 3, 1]))
    }

    func testSamePaddingWithStrideFollowsTensorFlow() throws {
        // 4x4, kernel 3, stride 2, "same": output 2x2, padding 0 before and 1 after (TensorFlow's rule)
        let x = try Tensor.arange(0, 16).reshaped([1, 4, 4, 1])
        let y = try forward(conv(sobel, padding: "same", stride: 2), x)
        LayerCheck.assertClose(y, try Tensor([-8, 24, -6, 38], shape: [1, 2, 2, 1]))
        // valid, stride 1: 2x2 of -8
        LayerCheck.assertClose(try forward(conv(sobel, padding: "valid"), x), try Tensor([-8, -8, -8, -8], shape: [1, 2, 2, 1]))
    }

    /// The convolution by its definition, loop by loop.
    func referenceConv(_ x: Tensor, _ k: Tensor, _ b: Tensor, padding: String, stride: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, f) = (k.shape[0], k.shape[1], k.shape[3])
        let ho, wo, pt, pl: Int
        if padding == "same" {
            ho = (h + stride - 1) / stride; wo = (w + stride - 1) / stride
            pt = max((ho - 1) * stride + kh - h, 0) / 2; pl = max((wo - 1) * stride + kw - w, 0) / 2
        } else {
            ho = (h - kh) / stride + 1; wo = (w - kw) / stride + 1; pt = 0; pl = 0
        }
        var out = try! Tensor.zeros([n, ho, wo, f])
        for bi in 0..<n { for oy in 0..<ho { for ox in 0..<wo { for fi in 0..<f {
            var s = b[fi]
            for i in 0..<kh { for j in 0..<kw {
                let iy = oy * stride - pt + i, ix = ox * stride - pl + j
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                for ci in 0..<c { s += x[bi, iy, ix, ci] * k[i, j, ci, fi] }
            } }
            out[bi, oy, ox, fi] = s
        } } } }
        return out
    }

    /// Runs body with the im2col + GEMM in one block and in blocks of a few pixels.
    func withEachBlocking(_ body: () throws -> Void) rethrows {
        let blockElements = convBlockElements
        defer { convBlockElements = blockElements }
        for block in [blockElements, 100] {
            convBlockElements = block
            try body()
        }
    }

    func testConvAgainstTheDefinition() throws { try withEachBlocking(convAgainstTheDefinition) }

    func convAgainstTheDefinition() throws {
        var seed: UInt64 = 10
        for (h, w, kh, kw, cin) in [(5, 5, 3, 3, 3), (6, 7, 3, 2, 3), (4, 4, 1, 1, 3), (7, 5, 4, 4, 3), (3, 3, 3, 3, 3),
                                    (5, 5, 3, 3, 1), (6, 7, 2, 3, 1), (7, 5, 4, 4, 1), (5, 5, 3, 3, 4), (6, 7, 2, 3, 8)] {
            for padding in ["same", "valid"] {
                for stride in [1, 2, 3] {
                    seed += 1
                    let x = LayerCheck.input([2, h, w, cin], seed)
                    let k = LayerCheck.input([kh, kw, cin, 4], seed + 100)
                    let b = LayerCheck.input([4], seed + 200)
                    let layer = try conv(k, bias: b.scalars, padding: padding, stride: stride)
                    let expected = referenceConv(x, k, b, padding: padding, stride: stride)
                    LayerCheck.assertClose(try forward(layer, x), expected, tol: 1e-12)
                    let withRelu = try conv(k, bias: b.scalars, padding: padding, stride: stride, .relu)
                    LayerCheck.assertClose(try forward(withRelu, x), try expected.map(.relu), tol: 1e-12)
                }
            }
        }
    }

    func testConvGradients() throws { try withEachBlocking(convGradients) }

    func convGradients() throws {
        var seed: UInt64 = 40
        for padding in ["same", "valid"] {
            for stride in [1, 2] {
                for (kh, kw) in [(3, 3), (2, 3), (1, 1)] {
                    seed += 1
                    TestRandom.seed(seed)
                    // relu is fused into the op; tanh follows it
                    let act: Activation = seed % 2 == 0 ? .relu : .tanh
                    let layer = try Conv2D(4, (kh, kw), act, padding: padding, stride: stride)
                    _ = try forward(layer, LayerCheck.input([2, 5, 5, 3], seed))
                    // a non-zero bias so that its gradient is not trivial
                    layer.parameters[1].value = LayerCheck.input([4], seed + 1)
                    LayerCheck.check(layer, LayerCheck.input([2, 5, 5, 3], seed + 2))
                }
            }
        }
        // one input channel and a multiple of 4 (their own im2col loops)
        for cin in [1, 4] {
            for (padding, stride) in [("same", 2), ("valid", 1), ("same", 1)] {
                LayerCheck.check(try Conv2D(3, 3, .tanh, padding: padding, stride: stride),
                                 LayerCheck.input([2, 5, 6, cin], 60 + UInt64(stride * cin)))
            }
        }
        // relu and no bias
        let layer = try Conv2D(2, 3, .relu, padding: "same", stride: 2, useBias: false)
        LayerCheck.check(layer, LayerCheck.input([2, 5, 5, 3], 77))
        XCTAssertEqual(layer.parameters.count, 1)
    }

    func testFusedReluKeepsNaN() throws {
        let x = try Tensor([1, .nan, 3, 4, 5, 6, 7, 8, 9], shape: [1, 3, 3, 1])
        let one = try Tensor([1], shape: [1, 1, 1, 1])
        let y = try forward(conv(one, bias: [-5], padding: "valid", .relu), x)
        XCTAssertEqual(y.scalars[0], 0)
        XCTAssertTrue(y.scalars[1].isNaN)
        XCTAssertEqual(y.scalars[8], 4)
    }

    func testConvBuildsKerasShapes() throws {
        TestRandom.seed(1)
        let layer = try Conv2D(8, 3, .relu, padding: "same")
        let y = try forward(layer, try Tensor.zeros([4, 28, 28, 1]))
        XCTAssertEqual(y.shape, [4, 28, 28, 8])
        XCTAssertEqual(layer.parameters.map(\.name), ["kernel", "bias"])
        XCTAssertEqual(layer.parameters[0].value.shape, [3, 3, 1, 8])
        XCTAssertEqual(layer.parameters[1].value.scalars, [Double](repeating: 0, count: 8))
        // glorot_uniform: limit sqrt(6 / (9 * 1 + 9 * 8))
        let limit = (6.0 / 81).squareRoot()
        XCTAssertLessThanOrEqual(try layer.parameters[0].value.map(.abs).scalars.max()!, limit)
        XCTAssertEqual(layer.lastOutputShape, [4, 28, 28, 8])
        XCTAssertEqual(try forward(Conv2D(2, (3, 2), padding: "valid", stride: 2), try Tensor.zeros([1, 7, 6, 3])).shape, [1, 3, 3, 2])
    }

    func testConvMessagesAndDescriptions() throws {
        XCTAssertEqual(try Conv2D(8, 3, .relu, padding: "same").description, "conv2d(8, 3, relu, padding=\"same\")")
        XCTAssertEqual(try Conv2D(16, (3, 5)).description, "conv2d(16, [3, 5])")
        XCTAssertEqual(try Conv2D(4, 3, .tanh, stride: 2).description, "conv2d(4, 3, tanh, stride=2)")
        XCTAssertEqual(try Conv2D(4, 3).kind, "conv2d")
        LayerCheck.expectError(["conv2d", "padding", "\"full\""]) { _ = try Conv2D(4, 3, padding: "full") }
        LayerCheck.expectError(["conv2d", "filters", "0"]) { _ = try Conv2D(0, 3) }
        LayerCheck.expectError(["conv2d", "stride"]) { _ = try Conv2D(2, 3, stride: 0) }
        let layer = try Conv2D(8, 3, .relu, padding: "same")
        LayerCheck.expectError(["conv2d(8, 3, relu, padding=\"same\")", "4-D", "[64, 784]"]) {
            _ = try self.forward(layer, try Tensor.zeros([64, 784]))
        }
        _ = try forward(layer, try Tensor.zeros([2, 5, 5, 3]))
        LayerCheck.expectError(["conv2d", "3 channels", "[2, 5, 5, 1]"]) { _ = try self.forward(layer, try Tensor.zeros([2, 5, 5, 1])) }
        LayerCheck.expectError(["conv2d", "smaller than the kernel", "[1, 2, 4, 1]"]) {
            _ = try self.forward(try Conv2D(1, 3), try Tensor.zeros([1, 2, 4, 1]))
        }
    }

    // MARK: - pooling and upsampling

    func testMaxAndAveragePoolValues() throws {
        let x = try Tensor([1, 2, 3, 4, 5,
                            6, 7, 8, 9, 10,
                            -1, -2, -3, -4, -5,
                            0, 5, 0, 6, 7,
                            9, 9, 9, 9, 9], shape: [1, 5, 5, 1])
        // 5x5 -> 2x2: the last row and column are dropped (Keras floors)
        LayerCheck.assertClose(try forward(MaxPool2D(2), x), try Tensor([7, 9, 5, 6], shape: [1, 2, 2, 1]))
        LayerCheck.assertClose(try forward(AvgPool2D(2), x), try Tensor([4, 6, 0.5, -0.25], shape: [1, 2, 2, 1]))
        LayerCheck.assertClose(try forward(MaxPool2D(3), x), try Tensor([8], shape: [1, 1, 1, 1]))
        // channels pool separately
        let two = try Tensor([1, -1, 2, -2, 3, -3, 4, -4], shape: [1, 2, 2, 2])
        LayerCheck.assertClose(try forward(MaxPool2D(2), two), try Tensor([4, -1], shape: [1, 1, 1, 2]))
        LayerCheck.assertClose(try forward(AvgPool2D(2), two), try Tensor([2.5, -2.5], shape: [1, 1, 1, 2]))
    }

    func testUpsampleValues() throws {
        let x = try Tensor([1, 2, 3, 4], shape: [1, 2, 2, 1])
        LayerCheck.assertClose(try forward(UpSample2D(2), x),
                               try Tensor([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], shape: [1, 4, 4, 1]))
        XCTAssertEqual(try forward(UpSample2D(3), try Tensor.zeros([2, 2, 3, 5])).shape, [2, 6, 9, 5])
    }

    func testPoolingGradients() throws {
        let x = LayerCheck.input([2, 5, 5, 3], 5)
        LayerCheck.check(try MaxPool2D(2), x)
        LayerCheck.check(try MaxPool2D(3), x)
        LayerCheck.check(try AvgPool2D(2), x)
        LayerCheck.check(try AvgPool2D(5), x)
        LayerCheck.check(try UpSample2D(2), LayerCheck.input([2, 3, 2, 3], 6))
        // max pooling's gradient goes to the maximum only
        let (_, grads) = try Autograd.valueAndGrad([try Tensor([1, 5, 2, 3], shape: [1, 2, 2, 1])]) { v in
            try MaxPool2D(2).forward(v[0], ForwardPass()).reduce(.sum)
        }
        XCTAssertEqual(grads[0].scalars, [0, 1, 0, 0])
    }

    func testPoolingMessagesAndDescriptions() throws {
        XCTAssertEqual(try MaxPool2D(2).description, "maxpool(2)")
        XCTAssertEqual(try AvgPool2D(3).description, "avgpool(3)")
        XCTAssertEqual(try UpSample2D(2).description, "upsample(2)")
        XCTAssertEqual([try MaxPool2D(2).kind, try AvgPool2D(2).kind, try UpSample2D(2).kind], ["maxpool", "avgpool", "upsample"])
        LayerCheck.expectError(["maxpool", "positive", "0"]) { _ = try MaxPool2D(0) }
        LayerCheck.expectError(["maxpool(2)", "4-D", "[3, 4]"]) { _ = try self.forward(try MaxPool2D(2), try Tensor.zeros([3, 4])) }
        LayerCheck.expectError(["avgpool(3)", "smaller than the 3 x 3 window", "[1, 2, 5, 1]"]) {
            _ = try self.forward(try AvgPool2D(3), try Tensor.zeros([1, 2, 5, 1]))
        }
        LayerCheck.expectError(["upsample(2)", "4-D", "[2, 3, 4]"]) { _ = try self.forward(try UpSample2D(2), try Tensor.zeros([2, 3, 4])) }
    }
}
