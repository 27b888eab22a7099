// The generator the tests draw from. Library code takes its generator as an
// argument (a session owns its own); tests that only need "some random data,
// the same every run" use these shorthands over one shared test generator.
import MLPTensor
import MLPAutograd
import MLPLearn

public enum TestRandom {
    nonisolated(unsafe) public static let shared = RandomGenerator(seed: 0)
    public static func seed(_ n: UInt64) { shared.reseed(n) }
}

extension Tensor {
    public static func rand(_ shape: [Int]) throws -> Tensor { try rand(shape, using: &TestRandom.shared.state) }
    public static func randn(_ shape: [Int]) throws -> Tensor { try randn(shape, using: &TestRandom.shared.state) }
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int]) throws -> Tensor {
        try randint(low, high, shape, using: &TestRandom.shared.state)
    }
    /// Uniform in [lo, hi) from its own seed (the same whatever other tests drew).
    public static func uniform(_ shape: [Int], seed: UInt64, lo: Double = -1, hi: Double = 1) -> Tensor {
        var g = Xoshiro256(seed: seed)
        let t = try! Tensor.rand(shape, using: &g)
        return try! Tensor.binary(.add, Tensor.binary(.mul, t, hi - lo), lo)
    }
}

extension ForwardPass {
    public convenience init(tape: Tape? = nil, training: Bool = false, poll: (() throws -> Void)? = nil) {
        self.init(tape: tape, training: training, random: TestRandom.shared, poll: poll)
    }
}

extension TrainOptions {
    public init() { self.init(random: TestRandom.shared) }
}

extension Training {
    @discardableResult
    public static func step(_ model: Layer, _ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws
        -> (loss: Double, prediction: Tensor, fault: String?) {
        try step(model, opt, x, y, loss, random: TestRandom.shared, communicator: SingleProcess())
    }
    public static func predict(_ model: Layer, _ x: Tensor, batch: Int = 256, poll: (() throws -> Void)? = nil) throws -> Tensor {
        try predict(model, x, batch: batch, random: TestRandom.shared, poll: poll)
    }
    public static func evaluate(_ model: Layer, _ x: Tensor, _ y: Tensor, _ loss: Loss, batch: Int = 256,
                                poll: (() throws -> Void)? = nil) throws -> (loss: Double, accuracy: Double) {
        try evaluate(model, x, y, loss, batch: batch, random: TestRandom.shared, poll: poll)
    }
}

/// t-SNE started from the test generator.
public func tsne(_ x: Tensor, dim: Int = 2, perplexity: Double = 30, iterations: Int = 1000,
                 learningRate: Double = 200, initial: Tensor? = nil, check: () throws -> Void = {}) throws -> TSNEResult {
    try tsne(x, dim: dim, perplexity: perplexity, iterations: iterations, learningRate: learningRate,
             initial: initial, generator: &TestRandom.shared.state, check: check)
}
