// The recurrent workloads of bench/nn natively (no interpreter): training steps
// per second of W3 (lstm(5) >> lstm(2)), W2 (lstm(64) >> lstm(64) >> dense(8)) and
// W4 (lstm(128) >> dense(65, softmax) on one-hot input), in CPU seconds of this
// thread; run with OPENBLAS_NUM_THREADS=1 so that all the work is on it.
import MLPTensor
import MLPAutograd
import MLPLearn

func benchRecurrent() throws {
    let g = RandomGenerator(seed: 0)
    func steps(_ layers: [Layer], _ x: Tensor, _ y: Tensor, _ loss: Loss = .mse, seconds: Double = 0.5) throws -> Double {
        let net = Sequential(layers), opt = PlainSGD(0.01)
        func step() throws { try Training.step(net, opt, x, y, loss, random: g, communicator: SingleProcess()) }
        try step()
        var n = 0
        let t = try threadSeconds { repeat { try step(); n += 1 } while Clock.thread() - start < seconds }
        return Double(n) / t
    }
    var start = Clock.thread()
    func timed(_ body: () throws -> Double) rethrows -> Double { start = Clock.thread(); return try body() }
    let w3 = try timed { try steps([try LSTM(5), try LSTM(2)], try Tensor.rand([20, 20, 3], using: &g.state), try Tensor.rand([20, 20, 2], using: &g.state)) }
    print(String(format: "W3 lstm(5) >> lstm(2), batch 20, 20 steps, mse, sgd: %.0f steps/s (%.1f us/step)", w3, 1e6 / w3))
    let w2 = try timed { try steps([try LSTM(64), try LSTM(64), try Dense(8)], try Tensor.rand([32, 50, 8], using: &g.state), try Tensor.rand([32, 50, 8], using: &g.state)) }
    print(String(format: "W2 lstm(64) >> lstm(64) >> dense(8), batch 32, 50 steps: %.0f steps/s (%.2f ms/step)", w2, 1e3 / w2))
    var onehot = try Tensor.zeros([32, 64, 65])
    try onehot.withUnsafeMutableBufferPointer { p in for r in 0..<(32 * 64) { p[r * 65 + (r * 7) % 65] = 1 } }
    let w4 = try timed { try steps([try LSTM(128), try Dense(65, .softmax)], onehot, onehot, .crossentropy) }
    print(String(format: "W4 lstm(128) >> dense(65, softmax), batch 32, 64 steps: %.0f steps/s (%.2f ms/step)", w4, 1e3 / w4))
}
