// conv2d(..., precision="float32") against the float64 layer (whose values and gradients
// ConvLayerTests checks against the definition and finite differences), on odd sizes,
// strides, both paddings, one and several channels, whole-image and part-image blocks;
// the same bits on 1 and 2 threads; and max pooling's recorded maxima (its gradient
// against finite differences, ties and nan).
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

final class ConvSingleTests: XCTestCase {
    /// The output of sum(w * layer(x)) and its tape gradients with respect to x and every parameter.
    func outputAndGradients(_ layer: Layer, _ x: Tensor, _ w: Tensor) throws -> (Tensor, [Tensor]) {
        let tape = Tape()
        let xv = Variable(leaf: x, tape: tape)
        let pass = ForwardPass(tape: tape, training: true)
        let y = try layer.forward(xv, pass)
        try (y * Variable(constant: w)).reduce(.sum).backward()
        var grads = [try xv.grad ?? Tensor.zeros(x.shape)]
        for p in layer.parameters {
            grads.append(try pass.used.first { $0.0 === p }?.1.grad ?? Tensor.zeros(p.value.shape))
        }
        return (y.value, grads)
    }

    /// Largest |a - b| over the largest |b|: float32's relative error of a whole tensor.
    func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = b.scalars.map { Swift.abs($0) }.max() ?? 0
        let diff = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
        return scale == 0 ? diff : diff / scale
    }

    /// A float32 layer and a float64 one with the same (random, non-zero bias) weights.
    func pair(_ filters: Int, _ kernel: (Int, Int), _ act: Activation, padding: String, stride: Int, bias: Bool,
              channels: Int, seed: UInt64) throws -> (single: Conv2D, double: Conv2D) {
        let single = try Conv2D(filters, kernel, act, padding: padding, stride: stride, useBias: bias, precision: .float32)
        let double = try Conv2D(filters, kernel, act, padding: padding, stride: stride, useBias: bias)
        try double.build(channels, TestRandom.shared)
        try single.build(channels, TestRandom.shared)
        single.parameters[0].value = LayerCheck.input(double.parameters[0].value.shape, seed)
        double.parameters[0].value = single.parameters[0].value
        if bias {
            single.parameters[1].value = LayerCheck.input([filters], seed + 1)
            double.parameters[1].value = single.parameters[1].value
        }
        return (single, double)
    }

    /// Runs body with the float32 blocks at their size, a few images, and part of one image.
    func withEachSingleBlocking(_ body: () throws -> Void) rethrows {
        let saved = convSingleBlockElements
        defer { convSingleBlockElements = saved }
        for block in [saved, 1000, 30] {
            convSingleBlockElements = block
            try body()
        }
    }

    func testSingleMatchesDoubleForwardAndBackward() throws {
        try withEachSingleBlocking {
            var seed: UInt64 = 500
            for (h, w, kh, kw, cin) in [(5, 5, 3, 3, 1), (7, 6, 3, 2, 3), (6, 9, 3, 3, 8), (9, 7, 4, 4, 2), (4, 4, 1, 1, 5), (3, 3, 3, 3, 4)] {
                for padding in ["same", "valid"] {
                    for stride in [1, 2, 3] {
                        for act in [Activation.relu, .linear, .tanh] {
                            seed += 3
                            let bias = seed % 2 == 0
                            let (single, double) = try pair(5, (kh, kw), act, padding: padding, stride: stride, bias: bias,
                                                           channels: cin, seed: seed)
                            let x = LayerCheck.input([3, h, w, cin], seed + 7)
                            let probe = try double.forward(Variable(constant: x), ForwardPass()).value
                            let wt = LayerCheck.input(probe.shape, seed + 8)
                            let (ys, gs) = try outputAndGradients(single, x, wt)
                            let (yd, gd) = try outputAndGradients(double, x, wt)
                            let what = "\(single.description) on \(x.shape)"
                            XCTAssertEqual(ys.shape, yd.shape, what)
                            XCTAssertLessThan(relativeDifference(ys, yd), 1e-6, "\(what): output")
                            XCTAssertEqual(gs.count, bias ? 3 : 2)
                            for (i, (a, b)) in zip(gs, gd).enumerated() {
                                XCTAssertEqual(a.shape, b.shape)
                                XCTAssertLessThan(relativeDifference(a, b), 1e-5, "\(what): gradient \(i)")
                                XCTAssertGreaterThan(try b.map(.abs).sumAll(), 0, "\(what): gradient \(i) all zero")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Float32 differs from float64 by rounding: it rounds (the test above would pass for a
    /// float64 computation too), in the range float32's 24 bits give.
    func testSingleRoundsAsFloat32() throws {
        let (single, double) = try pair(4, (3, 3), .linear, padding: "same", stride: 1, bias: true, channels: 3, seed: 3)
        let x = LayerCheck.input([2, 6, 6, 3], 4)
        let ys = try single.forward(Variable(constant: x), ForwardPass()).value
        let yd = try double.forward(Variable(constant: x), ForwardPass()).value
        let d = relativeDifference(ys, yd)
        XCTAssertGreaterThan(d, 1e-10)
        XCTAssertLessThan(d, 1e-6)
        XCTAssertEqual(single.description, "conv2d(4, 3, padding=\"same\", precision=\"float32\")")
    }

    /// The same bits on one thread and two (blocks fixed by the geometry; the kernel-gradient
    /// parts added in block order), including part-image blocks.
    func testSingleSameBitsOnOneAndTwoThreads() throws {
        let (savedThreads, savedBlock) = (BLASThreads.count, convSingleBlockElements)
        defer { BLASThreads.count = savedThreads; convSingleBlockElements = savedBlock }
        for (block, n, h, cin) in [(savedBlock, 16, 28, 1), (savedBlock, 8, 14, 8), (200, 12, 19, 3)] {
            convSingleBlockElements = block
            let (single, _) = try pair(6, (3, 3), .relu, padding: "same", stride: 1, bias: true, channels: cin, seed: 9)
            let x = LayerCheck.input([n, h, h, cin], 10)
            let wt = LayerCheck.input([n, h, h, 6], 11)
            var results: [(Tensor, [Tensor])] = []
            for threads in [1, 2] {
                BLASThreads.count = threads
                results.append(try outputAndGradients(single, x, wt))
            }
            XCTAssertEqual(results[0].0.scalars, results[1].0.scalars, "output, block \(block)")
            for (a, b) in zip(results[0].1, results[1].1) { XCTAssertEqual(a.scalars, b.scalars, "gradient, block \(block)") }
        }
    }

    func testBlocksCoverEveryLineOnce() throws {
        for (n, h, budget) in [(5, 11, 200), (4, 7, 100_000), (3, 9, 1), (7, 4, 250)] {
            let geo = try XCTUnwrap(WindowGeometry(n: n, h: h, w: h, c: 2, kh: 3, kw: 3, sh: 1, sw: 1, padding: .same))
            let blocks = ConvBlocks(geo, budget: budget)
            var seen = [Int](repeating: 0, count: n * h)
            for b in 0..<blocks.count {
                let (first, count) = blocks.block(b)
                XCTAssertGreaterThan(count, 0)
                // a block never straddles an image unless it holds whole images
                if blocks.images == 0 { XCTAssertEqual(first / h, (first + count - 1) / h) }
                for l in first..<(first + count) { seen[l] += 1 }
            }
            XCTAssertEqual(seen, [Int](repeating: 1, count: n * h), "n \(n), h \(h), budget \(budget)")
            XCTAssertEqual(blocks.units * blocks.unitBlocks, blocks.count)
        }
    }

    // MARK: - max pooling's recorded maxima

    func testMaxPoolGradientsAgainstFiniteDifferences() throws {
        // odd sizes (a dropped remainder), "same" windows over the edge, several channels
        LayerCheck.check(try MaxPool2D(2), LayerCheck.input([2, 7, 5, 3], 21))
        LayerCheck.check(try MaxPool2D(3), LayerCheck.input([2, 7, 8, 2], 22))
        LayerCheck.check(try MaxPool2D(2, padding: "same"), LayerCheck.input([2, 5, 7, 3], 23))
        LayerCheck.check(try MaxPool2D(3, padding: "same"), LayerCheck.input([1, 7, 5, 4], 24))
        LayerCheck.check(try MaxPool2D(2), LayerCheck.input([3, 6, 6, 8], 25))
    }

    func testMaxPoolGradientGoesToTheFirstMaximumAndNotToNaN() throws {
        // window 1: a tie (1st and 4th); window 2: a nan first (the max is nan, no gradient);
        // window 3: a nan later (ignored: the max of the rest); a remainder column of 9s
        let x = try Tensor([5, 1, .nan, 2, 1, .nan, 9,
                            0, 5, 7, 1, 4, 2, 9], shape: [1, 2, 7, 1])
        let (y, grads) = try Autograd.valueAndGrad([x]) { v in
            let out = try MaxPool2D(2).forward(v[0], ForwardPass())
            return try (out * Variable(constant: try Tensor([10, 20, 30], shape: [1, 1, 3, 1]))).reduce(.sum)
        }
        XCTAssertTrue(y.isNaN)
        let g = grads[0].scalars
        XCTAssertEqual(g[0], 10); XCTAssertEqual(g[8], 0)
        XCTAssertEqual(Array(g[2...3]) + Array(g[9...10]), [0, 0, 0, 0])
        XCTAssertEqual(Array(g[4...5]) + Array(g[11...12]), [0, 0, 30, 0])
        XCTAssertEqual([g[6], g[13]], [0, 0])
        let out = try MaxPool2D(2).forward(Variable(constant: x), ForwardPass()).value.scalars
        XCTAssertEqual(out[0], 5); XCTAssertTrue(out[1].isNaN); XCTAssertEqual(out[2], 4)
    }

    // MARK: - conv2d(float32) >> maxpool fused

    /// The pair run as a chain (fused) and layer by layer (not fused): output, gradients.
    func fusedAndApart(_ conv: Conv2D, _ pool: MaxPool2D, _ x: Tensor, seed: UInt64) throws -> (fused: (Tensor, [Tensor]), apart: (Tensor, [Tensor])) {
        let chain = Sequential([conv, pool])
        let probe = try chain.forward(Variable(constant: x), ForwardPass()).value
        let wt = LayerCheck.input(probe.shape, seed)
        let fused = try outputAndGradients(chain, x, wt)
        let tape = Tape()
        let xv = Variable(leaf: x, tape: tape)
        let pass = ForwardPass(tape: tape, training: true)
        let y = try pool.forward(conv.forward(xv, pass), pass)
        try (y * Variable(constant: wt)).reduce(.sum).backward()
        var grads = [try xv.grad ?? Tensor.zeros(x.shape)]
        for p in conv.parameters { grads.append(try pass.used.first { $0.0 === p }?.1.grad ?? Tensor.zeros(p.value.shape)) }
        return (fused, (y.value, grads))
    }

    func testFusedConvPoolMatchesTheLayersApart() throws {
        try withEachSingleBlocking {
            var seed: UInt64 = 900
            for (h, w, cin, k, kernel) in [(8, 8, 1, 2, 3), (9, 7, 3, 2, 3), (7, 10, 8, 3, 2), (6, 6, 2, 2, 1), (11, 5, 4, 3, 3)] {
                for (padding, poolPadding) in [("same", "valid"), ("valid", "same"), ("same", "same")] {
                    for act in [Activation.relu, .linear] {
                        seed += 2
                        let (conv, _) = try pair(6, (kernel, kernel), act, padding: padding, stride: 1, bias: true, channels: cin, seed: seed)
                        let pool = try MaxPool2D(k, padding: poolPadding)
                        let x = LayerCheck.input([3, h, w, cin], seed + 1)
                        let (fused, apart) = try fusedAndApart(conv, pool, x, seed: seed + 2)
                        let what = "\(conv.description) >> \(pool.description) on \(x.shape), block \(convSingleBlockElements)"
                        // the same values: relu, then the first maximum, as the layers apart
                        XCTAssertEqual(fused.0.scalars, apart.0.scalars, "\(what): output")
                        XCTAssertEqual(fused.1[0].scalars, apart.1[0].scalars, "\(what): input gradient")
                        XCTAssertEqual(fused.1[1].scalars, apart.1[1].scalars, "\(what): kernel gradient")
                        // the bias gradient adds the same terms in another order
                        XCTAssertLessThan(relativeDifference(fused.1[2], apart.1[2]), 1e-12, "\(what): bias gradient")
                        XCTAssertGreaterThan(try fused.1[1].map(.abs).sumAll(), 0)
                        XCTAssertEqual(conv.lastOutputShape, [3, padding == "same" ? h : h - kernel + 1, padding == "same" ? w : w - kernel + 1, 6])
                        XCTAssertEqual(pool.lastOutputShape, fused.0.shape)
                    }
                }
            }
        }
    }

    /// A nan in a window: the fused op's output is nan there (or the max of the rest), as the
    /// layers apart (the gradient of a nan input is refused by the tape either way).
    func testFusedConvPoolWithNaN() throws {
        for act in [Activation.relu, .linear] {
            let (conv, _) = try pair(8, (1, 1), act, padding: "valid", stride: 1, bias: false, channels: 1, seed: 3)
            conv.parameters[0].value = try Tensor([1, -1, 2, -2, 0.5, -0.5, 3, -3], shape: [1, 1, 1, 8])
            let pool = try MaxPool2D(2)
            let x = try Tensor([.nan, 1, 2, 3, -1, .nan, 5, 0], shape: [1, 2, 4, 1])
            let fused = try Sequential([conv, pool]).forward(Variable(constant: x), ForwardPass()).value
            let apart = try pool.forward(conv.forward(Variable(constant: x), ForwardPass()), ForwardPass()).value
            XCTAssertEqual(fused.scalars.map(\.isNaN), apart.scalars.map(\.isNaN))
            XCTAssertEqual(fused.scalars.filter { !$0.isNaN }, apart.scalars.filter { !$0.isNaN })
            XCTAssertEqual(fused.scalars.filter(\.isNaN).count, 8)   // the first window's
        }
    }

    /// Fused on one thread and two: the same bits.
    func testFusedConvPoolSameBitsOnOneAndTwoThreads() throws {
        let savedThreads = BLASThreads.count
        defer { BLASThreads.count = savedThreads }
        let (conv, _) = try pair(8, (3, 3), .relu, padding: "same", stride: 1, bias: true, channels: 1, seed: 12)
        let x = LayerCheck.input([32, 28, 28, 1], 13)
        var results: [(Tensor, [Tensor])] = []
        for threads in [1, 2] {
            BLASThreads.count = threads
            results.append(try fusedAndApart(conv, try MaxPool2D(2), x, seed: 14).fused)
        }
        XCTAssertEqual(results[0].0.scalars, results[1].0.scalars)
        for (a, b) in zip(results[0].1, results[1].1) { XCTAssertEqual(a.scalars, b.scalars) }
    }
}
