// The lecture's convolutional network on MNIST-sized inputs (the W5 workload), timed.
// Runs only with MLP_BENCH=1 (numbers mean something in release builds):
//   OPENBLAS_NUM_THREADS=1 MLP_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter ConvSpeedTests
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
#if canImport(Glibc)
import Glibc
import MLPTestSupport
#endif

final class ConvSpeedTests: XCTestCase {
    final class PlainSGD: ParameterUpdate {
        let rate: Double
        init(_ rate: Double) { self.rate = rate }
        func update(_ params: [Parameter], _ grads: [Tensor]) throws {
            for (p, g) in zip(params, grads) { p.value = try p.value - Tensor.binary(.mul, g, rate) }
        }
    }

    /// CPU seconds of this thread (steadier than wall time on a shared machine; run with
    /// OPENBLAS_NUM_THREADS=1 so that all the work is on this thread).
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        let start = now()
        try body()
        return now() - start
    }

    func testW5ConvNetStepsPerSecond() throws {
        try XCTSkipUnless(getenv("MLP_BENCH") != nil, "set MLP_BENCH=1 to time the W5 network")
        // MLP_CONV_BLOCK=n sets the im2col block (elements)
        let saved = convBlockElements
        if let b = getenv("MLP_CONV_BLOCK").flatMap({ Int(String(cString: $0)) }) { convBlockElements = b }
        defer { convBlockElements = saved }
        TestRandom.seed(0)
        let model = Sequential([try Conv2D(8, 3, .relu, padding: "same"), try MaxPool2D(2),
                                try Conv2D(16, 3, .relu, padding: "same"), try MaxPool2D(2),
                                Flatten(), try Dense(10)])
        let x = try Tensor.rand([64, 28, 28, 1])
        let y = try Tensor.randint(0, 10, [64])
        let opt = PlainSGD(0.01)
        for _ in 0..<5 { try Training.step(model, opt, x, y, .crossentropyFromLogits) }
        let steps = 200
        let t = try seconds { for _ in 0..<steps { try Training.step(model, opt, x, y, .crossentropyFromLogits) } }
        print(String(format: "W5 conv net, batch 64: %.2f ms/step, %.0f steps/s", t / Double(steps) * 1e3, Double(steps) / t))

        // the parts: forward only, and each conv's forward + backward
        let f = try seconds { for _ in 0..<steps { _ = try model.forward(Variable(constant: x), ForwardPass()) } }
        print(String(format: "  forward only (inference): %.2f ms", f / Double(steps) * 1e3))
        let conv1 = model.layers[0], conv2 = model.layers[2]
        let h = try Tensor.rand([64, 14, 14, 8])
        for (name, layer, input) in [("conv1 28x28x1->8", conv1, x), ("conv2 14x14x8->16", conv2, h)] {
            let fw = try seconds { for _ in 0..<steps { _ = try layer.forward(Variable(constant: input), ForwardPass()) } }
            let fb = try seconds {
                for _ in 0..<steps {
                    let tape = Tape(checkNaN: false)
                    let pass = ForwardPass(tape: tape, training: true)
                    let out = try layer.forward(Variable(leaf: input, tape: tape), pass)
                    try out.backward(seed: out.value)
                }
            }
            print(String(format: "  %@: forward %.2f ms, forward + backward %.2f ms", name, fw / Double(steps) * 1e3, fb / Double(steps) * 1e3))
        }
    }
}
