// Keras's text utilities: a word tokenizer with a frequency-ranked index,
// padding of sequences, character vocabularies and temperature sampling.
import MLPTensor

/// Keras's Tokenizer: words split on whitespace after removing `filters`
/// characters (and lower-casing); indices from 1, most frequent first, ties in
/// order of first appearance. With an `oovToken`, it takes index 1 (the words
/// move up by one) and stands for every word not in the index or ranked at or
/// beyond numWords, as Keras's.
public struct Tokenizer {
    public static let defaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"
    public let numWords: Int?
    public let oovToken: String?
    /// The words in order of first appearance (Keras's word_counts order).
    public private(set) var firstSeen: [String] = []
    public let lower: Bool
    public let filters: Set<Character>
    /// word -> index (1 = most frequent).
    public private(set) var wordIndex: [String: Int] = [:]
    /// index - 1 -> word.
    public private(set) var words: [String] = []
    public private(set) var counts: [String: Int] = [:]

    public init(_ texts: [String], numWords: Int? = nil, lower: Bool = true, filters: String = Tokenizer.defaultFilters, oovToken: String? = nil) {
        self.numWords = numWords; self.lower = lower; self.filters = Set(filters); self.oovToken = oovToken
        var order: [String] = []
        for t in texts {
            for w in split(t) {
                if counts[w] == nil { order.append(w) }
                counts[w, default: 0] += 1
            }
        }
        let first = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        firstSeen = order
        words = order.sorted { a, b in counts[a]! != counts[b]! ? counts[a]! > counts[b]! : first[a]! < first[b]! }
        if let oov = oovToken { words.removeAll { $0 == oov }; words.insert(oov, at: 0) }
        for (i, w) in words.enumerated() { wordIndex[w] = i + 1 }
    }

    /// The index unknown words take (1 with an oov token), or nil (they are dropped).
    public var oovIndex: Int? { oovToken == nil ? nil : 1 }

    /// The words of a text as the tokenizer sees them.
    public func split(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in lower ? text.lowercased() : text {
            if filters.contains(ch) || ch.isWhitespace {
                if !cur.isEmpty { out.append(cur); cur = "" }
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Word indices of a text; unknown words and those ranked at or beyond numWords are dropped,
    /// or with an oov token become its index (as Keras).
    public func encode(_ text: String) -> [Int] {
        split(text).compactMap { w in
            guard let i = wordIndex[w] else { return oovIndex }
            if let n = numWords, i >= n { return oovIndex }
            return i
        }
    }

    /// The words of a sequence of indices, joined by spaces (0 and unknown indices skipped).
    public func decode(_ seq: [Int]) -> String {
        seq.compactMap { i in i >= 1 && i <= words.count && (numWords.map { i < $0 } ?? true) ? words[i - 1] : nil }.joined(separator: " ")
    }
}

public enum TextTools {
    /// Keras's pad_sequences: each sequence cut or padded to maxlen (the longest when nil),
    /// padding and truncating at the front ("pre") or back ("post").
    public static func pad(_ seqs: [[Double]], maxlen: Int?, padding: String = "pre", truncating: String = "pre", value: Double = 0) throws -> Tensor {
        for (name, v) in [("padding", padding), ("truncating", truncating)] where v != "pre" && v != "post" {
            throw LearnError("pad_sequences", "\(name) must be \"pre\" or \"post\", got \"\(v)\".")
        }
        let n = maxlen ?? (seqs.map(\.count).max() ?? 0)
        guard n >= 0 else { throw LearnError("pad_sequences", "maxlen must be non-negative, got \(n).") }
        var out = [Double](repeating: value, count: seqs.count * n)
        for (r, s0) in seqs.enumerated() {
            let s = s0.count > n ? (truncating == "pre" ? Array(s0.suffix(n)) : Array(s0.prefix(n))) : s0
            let start = padding == "pre" ? n - s.count : 0
            for (k, x) in s.enumerated() { out[r * n + start + k] = x }
        }
        return try Tensor(out, shape: [seqs.count, n])
    }

    /// An index drawn from probabilities p sharpened (T < 1) or flattened (T > 1) by
    /// temperature: p^(1/T), renormalised; T = 0 takes the most probable.
    public static func sample(_ p: [Double], temperature: Double, using g: inout Xoshiro256) throws -> Int {
        guard !p.isEmpty else { throw LearnError("sample", "the probabilities are empty.") }
        guard temperature >= 0 else { throw LearnError("sample", "temperature must be non-negative, got \(Tensor.formatNumber(temperature)).") }
        for x in p where x < 0 || !x.isFinite { throw LearnError("sample", "probabilities must be finite and non-negative, got \(Tensor.formatNumber(x)).") }
        if temperature == 0 { return p.indices.max { p[$0] < p[$1] }! }
        // work in logs, shifted by the largest, so small temperatures do not underflow
        let logs = p.map { $0 > 0 ? Foundation_log($0) : -Double.infinity }
        guard let top = logs.max(), top > -Double.infinity else { throw LearnError("sample", "the probabilities are all zero.") }
        var scaled = logs.map { $0 / temperature }, m = scaled.max()!
        // a temperature so small that log p / T overflows (1e-320): shift before dividing
        // (exponents at most 0, the most probable weighs 1) instead of inf - inf
        if !m.isFinite { scaled = logs.map { ($0 - top) / temperature }; m = 0 }
        let w = scaled.map { exp_($0 - m) }
        var u = g.uniform() * w.reduce(0, +)
        for (i, x) in w.enumerated() {
            u -= x
            if u < 0 { return i }
        }
        return w.lastIndex { $0 > 0 }!
    }
}

/// A character vocabulary (char-RNN style): the distinct characters of a text, sorted.
public struct Vocabulary {
    public let chars: [Character]
    let index: [Character: Int]
    public init(_ text: String) {
        chars = Array(Set(text)).sorted()
        index = Dictionary(uniqueKeysWithValues: chars.enumerated().map { ($1, $0) })
    }
    public var count: Int { chars.count }
    public func encode(_ text: String) throws -> [Int] {
        try text.map { ch in
            guard let i = index[ch] else { throw LearnError("encode", "the character \(String(reflecting: String(ch))) is not in the vocabulary.") }
            return i
        }
    }
    public func decode(_ idx: [Int]) throws -> String {
        var s = ""
        for i in idx {
            guard i >= 0 && i < chars.count else { throw LearnError("decode", "index \(i) is outside the vocabulary of \(chars.count) characters.") }
            s.append(chars[i])
        }
        return s
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
@inline(__always) func Foundation_log(_ x: Double) -> Double { Darwin.log(x) }
#endif
