// The lecture's convolutional network on MNIST-sized inputs (the W5 workload): training
// steps of batch 64, forward only, and each conv's forward and forward + backward, in CPU
// seconds of this thread (run with OPENBLAS_NUM_THREADS=1 so that all the work is on it).
// MLP_CONV_BLOCK=n sets the im2col block (elements).
import MLPTensor
import MLPAutograd
import MLPLearn

final class PlainSGD: ParameterUpdate {
    let rate: Double
    init(_ rate: Double) { self.rate = rate }
    func update(_ params: [Parameter], _ grads: [Tensor]) throws {
        for (p, g) in zip(params, grads) { p.value = try p.value - Tensor.binary(.mul, g, rate) }
    }
}

func benchConvNet() throws {
    let saved = Conv2D.blockElements
    if let b = environment("MLP_CONV_BLOCK").flatMap({ Int($0) }) { Conv2D.blockElements = b }
    defer { Conv2D.blockElements = saved }
    let g = RandomGenerator(seed: 0)
    let model = Sequential([try Conv2D(8, 3, .relu, padding: "same"), try MaxPool2D(2),
                            try Conv2D(16, 3, .relu, padding: "same"), try MaxPool2D(2),
                            Flatten(), try Dense(10)])
    let x = try Tensor.rand([64, 28, 28, 1], using: &g.state)
    let y = try Tensor.randint(0, 10, [64], using: &g.state)
    let opt = PlainSGD(0.01)
    func step() throws { try Training.step(model, opt, x, y, .crossentropyFromLogits, random: g, communicator: SingleProcess()) }
    for _ in 0..<5 { try step() }
    let steps = 200
    let t = try threadSeconds { for _ in 0..<steps { try step() } }
    print(String(format: "W5 conv net, batch 64: %.2f ms/step, %.0f steps/s", t / Double(steps) * 1e3, Double(steps) / t))

    // the parts: forward only, and each conv's forward + backward
    let f = try threadSeconds { for _ in 0..<steps { _ = try model.forward(Variable(constant: x), ForwardPass(random: g)) } }
    print(String(format: "  forward only (inference): %.2f ms", f / Double(steps) * 1e3))
    let conv1 = model.layers[0], conv2 = model.layers[2]
    let h = try Tensor.rand([64, 14, 14, 8], using: &g.state)
    for (name, layer, input) in [("conv1 28x28x1->8", conv1, x), ("conv2 14x14x8->16", conv2, h)] {
        let fw = try threadSeconds { for _ in 0..<steps { _ = try layer.forward(Variable(constant: input), ForwardPass(random: g)) } }
        let fb = try threadSeconds {
            for _ in 0..<steps {
                let tape = Tape(checkNaN: false)
                let pass = ForwardPass(tape: tape, training: true, random: g)
                let out = try layer.forward(Variable(leaf: input, tape: tape), pass)
                try out.backward(seed: out.value)
            }
        }
        print(String(format: "  %@: forward %.2f ms, forward + backward %.2f ms", name, fw / Double(steps) * 1e3, fb / Double(steps) * 1e3))
    }
}
