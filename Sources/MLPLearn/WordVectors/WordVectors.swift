// Word vectors: a vocabulary (most frequent first when trained here) and an
// n x dim Float32 matrix, with cosine-similarity neighbours and analogies as
// gensim's KeyedVectors. Files: WordVectorsIO.swift.

import MLPTensor

public struct WordVectors {
    public let words: [String]
    /// Training counts (empty when loaded from a file).
    public let counts: [Int]
    public let dim: Int
    /// Row-major, words.count x dim.
    public let vectors: [Float]
    let index: [String: Int]
    /// Rows scaled to unit length (zero rows stay zero).
    let unit: [Float]

    public init(words: [String], vectors: [Float], dim: Int, counts: [Int] = []) throws {
        guard dim >= 1 else { throw LearnError(nil, "word vectors: dim must be positive, got \(dim).") }
        guard vectors.count == words.count * dim else {
            throw LearnError(nil, "word vectors: \(words.count) words need \(words.count * dim) values, got \(vectors.count).")
        }
        guard counts.isEmpty || counts.count == words.count else {
            throw LearnError(nil, "word vectors: \(words.count) words but \(counts.count) counts.")
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(words.count)
        for (i, w) in words.enumerated() {
            if index[w] != nil { throw LearnError(nil, "word vectors: the word \"\(w)\" occurs twice.") }
            index[w] = i
        }
        var unit = vectors
        for r in 0..<words.count {
            var s: Double = 0
            for c in 0..<dim { let x = Double(vectors[r * dim + c]); s += x * x }
            if s > 0 {
                let inv = Float(1 / s.squareRoot())
                for c in 0..<dim { unit[r * dim + c] *= inv }
            }
        }
        self.words = words; self.vectors = vectors; self.dim = dim; self.counts = counts
        self.index = index; self.unit = unit
    }

    public var count: Int { words.count }

    public func index(of word: String) -> Int? { index[word] }

    public func contains(_ word: String) -> Bool { index[word] != nil }

    /// The vector of a word, nil when it is not in the vocabulary.
    public func vector(_ word: String) -> [Float]? {
        guard let i = index[word] else { return nil }
        return Array(vectors[i * dim ..< (i + 1) * dim])
    }

    /// The matrix as a [count, dim] tensor of doubles.
    public func matrix() throws -> Tensor {
        // the vectors are in memory already, so no size limit applies, but the doubles
        // take twice their memory, which the machine may not have
        let out = try Tensor(uninitializedBounded: [words.count, dim])
        let p = out.storage.pointer
        for i in vectors.indices { p[i] = Double(vectors[i]) }
        return out
    }

    func row(_ word: String) throws -> Int {
        guard let i = index[word] else { throw LearnError(nil, "word vectors: \"\(word)\" is not in the vocabulary.") }
        return i
    }

    /// Cosine similarity of two words.
    public func similarity(_ a: String, _ b: String) throws -> Double {
        let i = try row(a), j = try row(b)
        var s: Double = 0
        for c in 0..<dim { s += Double(unit[i * dim + c]) * Double(unit[j * dim + c]) }
        return s
    }

    /// The n words most similar to `word` by cosine similarity, itself excluded.
    public func similar(_ word: String, n: Int = 10) throws -> [(word: String, similarity: Double)] {
        let i = try row(word)
        return nearest(Array(unit[i * dim ..< (i + 1) * dim]), n: n, excluding: [i])
    }

    /// Analogy a - b + c: analogy("king", "man", "woman") looks for queen (king - man
    /// + woman). As gensim's most_similar(positive: [a, c], negative: [b]): the sum of
    /// the unit vectors, normalised, against every word but the three inputs.
    public func analogy(_ a: String, _ b: String, _ c: String, n: Int = 1) throws -> [(word: String, similarity: Double)] {
        let ia = try row(a), ib = try row(b), ic = try row(c)
        var q = [Float](repeating: 0, count: dim)
        for k in 0..<dim { q[k] = unit[ia * dim + k] - unit[ib * dim + k] + unit[ic * dim + k] }
        return nearest(q, n: n, excluding: [ia, ib, ic])
    }

    /// The n words whose vectors have the largest cosine similarity with `query`.
    public func nearest(_ query: [Float], n: Int, excluding: Set<Int> = []) -> [(word: String, similarity: Double)] {
        precondition(query.count == dim, "word vectors: query of \(query.count) values, dim is \(dim)")
        var norm: Double = 0
        for x in query { norm += Double(x) * Double(x) }
        let inv = norm > 0 ? 1 / norm.squareRoot() : 0
        var best: [(Int, Double)] = []
        let k = Swift.max(0, Swift.min(n, words.count))
        if k == 0 { return [] }
        for r in 0..<words.count where !excluding.contains(r) {
            var s: Double = 0
            for c in 0..<dim { s += Double(unit[r * dim + c]) * Double(query[c]) }
            s *= inv
            if best.count < k || s > best[best.count - 1].1 {
                var at = best.count
                while at > 0 && best[at - 1].1 < s { at -= 1 }
                best.insert((r, s), at: at)
                if best.count > k { best.removeLast() }
            }
        }
        return best.map { (words[$0.0], $0.1) }
    }
}
