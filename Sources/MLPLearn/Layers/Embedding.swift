// embedding(vocab, dim): Keras's Embedding. Integer indices [batch, time] (any
// shape) -> their rows of embeddings [vocab, dim], shape [..., dim]; the
// gradient is scattered (added) into the rows used. Initialised uniform(-0.05, 0.05).
import MLPTensor
import MLPAutograd

public final class Embedding: LayerBase, Layer {
    public let vocabulary: Int
    public let dimension: Int
    public let initializer: Initializer

    public init(_ vocabulary: Int, _ dimension: Int, initializer: Initializer = .uniform(-0.05, 0.05)) throws {
        guard vocabulary > 0 else { throw LearnError("embedding", "the vocabulary size must be positive, got \(vocabulary).") }
        guard dimension > 0 else { throw LearnError("embedding", "the dimension must be positive, got \(dimension).") }
        self.vocabulary = vocabulary; self.dimension = dimension; self.initializer = initializer
        super.init()
    }

    public var kind: String { "embedding" }
    public var description: String { "embedding(\(vocabulary), \(dimension))" }

    func build(_ random: RandomGenerator) throws {
        parameters = [Parameter("embeddings", try initializer.make([vocabulary, dimension], fanIn: vocabulary, fanOut: dimension, using: random))]
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        if parameters.isEmpty { try build(pass.random) }
        let xv = x.value
        let count = xv.count, d = dimension, v = vocabulary
        var index = [Int](repeating: 0, count: count)
        try xv.withUnsafeBufferPointer { p in
            for k in 0..<count {
                let f = p[k]
                guard f == f.rounded(), f >= 0, f < Double(v) else {
                    throw LearnError(nil, "embedding(\(v), \(d)): indices must be integers in 0..<\(v), got \(Tensor.formatNumber(f)).")
                }
                index[k] = Int(f)
            }
        }
        let y = try Embedding.lookup(xv, pass.variable(parameters[0]), count: count, index: index)
        return finish(y, pass, self, from: x)
    }

    /// The fused op: rows `index` of e, shaped as `indices` plus the row axis.
    static func lookup(_ indices: Tensor, _ e: Variable, count: Int, index: [Int]) throws -> Variable {
        let ev = e.value
        let v = ev.shape[0], d = ev.shape[1]
        let out = try Tensor(uninitializedShape: indices.shape + [d], "embedding")
        let E = ev.base, O = out.base
        for k in 0..<count { (O + k * d).update(from: E + index[k] * d, count: d) }
        return try Variable.make("embedding", out, [e]) { gy in
            let de = try Tensor.zeros([v, d])
            let G = gy.base, DE = de.base
            for k in 0..<count {
                let src = G + k * d, dst = DE + index[k] * d
                for j in 0..<d { dst[j] += src[j] }
            }
            return [de]
        }
    }
}
