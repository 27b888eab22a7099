// A deep belief net (Hinton, Osindero & Teh 2006): RBMs stacked greedily, each
// trained on the hidden probabilities of the one below. The top two layers form
// an RBM; the layers below generate top-down through P(v | h).
import MLPTensor

public final class DBN {
    public let sizes: [Int]
    public private(set) var layers: [RBM]

    /// sizes [visible, hidden1, hidden2, ...]; the first layer's visible units are
    /// `units`, every layer above reads probabilities (binary). All the weights are
    /// checked against the memory before any is allocated.
    public init(sizes: [Int], units: VisibleUnits, std: Double, using random: inout Xoshiro256) throws {
        guard sizes.count >= 2 else {
            throw OperationError("dbn", "a deep belief net needs at least two layer sizes [visible, hidden, ...], got \(sizes.count).")
        }
        for s in sizes where s < 1 { throw OperationError("dbn", "every layer needs at least one unit, got sizes \(sizes).") }
        var total = 0
        for i in 0..<sizes.count - 1 {
            try RBM.checkSize(sizes[i], sizes[i + 1])
            total += sizes[i] * sizes[i + 1]
        }
        try RBM.checkSize(total, 1)
        self.sizes = sizes
        layers = []
        for i in 0..<sizes.count - 1 {
            layers.append(try RBM(visible: sizes[i], hidden: sizes[i + 1], units: i == 0 ? units : .binary, std: std, using: &random))
        }
    }

    /// A net of trained machines, each layer's visible units the hidden ones below.
    public init(layers: [RBM]) throws {
        guard !layers.isEmpty else { throw OperationError("dbn", "a deep belief net needs at least one RBM.") }
        for i in 1..<layers.count where layers[i].visible != layers[i - 1].hidden {
            throw OperationError("dbn", "layer \(i) has \(layers[i].visible) visible units, the layer below \(layers[i - 1].hidden) hidden ones.")
        }
        self.layers = layers
        sizes = [layers[0].visible] + layers.map(\.hidden)
    }

    /// The hidden probabilities of layer `count - 1` (the data passed up `count` layers).
    public func up(_ data: Tensor, through count: Int) throws -> Tensor {
        var x = data
        for l in layers.prefix(count) { x = try l.hiddenProbabilities(x) }
        return x
    }

    /// Greedy layer-wise training: each layer with the same options, on the layer
    /// below's hidden probabilities. One history per layer.
    public func train(_ data: Tensor, _ options: CDOptions, epochs: Int, batch: Int, steps: Int?, shuffle: Bool,
                      random: inout Xoshiro256, report: (Int, Progress) -> Void = { _, _ in },
                      shouldStop: () throws -> Bool = { false }) throws -> [History] {
        _ = try layers[0].checkData(data, nil)
        var x = data, histories: [History] = []
        for (i, l) in layers.enumerated() {
            let h = try l.train(x, options, epochs: epochs, batch: batch, steps: steps, shuffle: shuffle, random: &random,
                                report: { report(i, $0) }, shouldStop: shouldStop)
            histories.append(h)
            if h.stopped != nil { break }
            if i + 1 < layers.count { x = try l.hiddenProbabilities(x) }
        }
        return histories
    }

    /// n samples: a Gibbs chain of `steps` steps in the top RBM from random states,
    /// then down through P(v | h) of each layer below (sampled; the bottom layer's
    /// means are returned).
    public func sample(_ n: Int, steps: Int, random: inout Xoshiro256) throws -> Tensor {
        guard n >= 1 else { throw OperationError(nil, "n must be at least 1, got \(n).") }
        let top = layers[layers.count - 1]
        var start = try Tensor.rand([n, top.visible], using: &random)
        try start.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = p[i] < 0.5 ? 1 : 0 } }
        if layers.count == 1 { return try top.gibbs(start, steps: steps, every: nil, means: true, random: &random) }
        var x = try top.gibbs(start, steps: steps, every: nil, means: false, random: &random)
        for i in stride(from: layers.count - 2, through: 0, by: -1) {
            x = try layers[i].visibleMeans(x)
            if i > 0 { try x.withUnsafeMutableBufferPointer { p in sampleBinary(p.baseAddress!, p.count, &random) } }
        }
        return x
    }
}
