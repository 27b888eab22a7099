// Text utilities as Keras has them (MLPLearn/Text): tokenizer, pad_sequences,
// character vocabularies and temperature sampling.
import MLPLang
import MLPTensor
import MLPLearn

enum TextLib {
    static func register(_ r: inout Registry) {
        r.fn("tokenizer", [p("texts"), Param("num_words", DefaultValue.none, keywordOnly: true), Param("lower", .bool(true), keywordOnly: true),
                           Param("filters", .string(Tokenizer.defaultFilters), keywordOnly: true), Param("oov_token", DefaultValue.none, keywordOnly: true)],
             doc: "A word tokenizer fitted on a list of texts (Keras's Tokenizer, fit_on_texts done): tok.word_index maps words to indices from 1, most frequent first (tok.index_word the reverse, tok.word_counts each word's count in order of first appearance); tok.encode(text or texts) (Keras's texts_to_sequences) gives index lists, words unknown or ranked at or beyond num_words dropped, or with oov_token= given, that token's index 1; tok.decode(seq or seqs) (sequences_to_texts) the words back.",
             example: "tok = tokenizer([\"the cat\", \"the dog\"]); tok.encode(\"the dog\")   # [1, 3]") { a throws(MLPError) in
            let texts = try strings(a, 0)
            let n = try a.optionalInt(1)
            let oov = a.isNil(4) ? nil : try a.string(4)
            return .object(TokenizerValue(Tokenizer(texts, numWords: n, lower: try a.bool(2), filters: try a.string(3), oovToken: oov)))
        }
        r.fn("pad_sequences", [p("seqs"), Param("maxlen", DefaultValue.none, keywordOnly: true), Param("padding", .string("pre"), keywordOnly: true),
                               Param("truncating", .string("pre"), keywordOnly: true), Param("value", .number(0), keywordOnly: true)],
             doc: "Sequences (lists of numbers) as one [n, maxlen] tensor, padded with value and cut to maxlen (the longest when not given) at the front (\"pre\", Keras's default) or back (\"post\").",
             example: "pad_sequences([[1, 2], [3]], maxlen=3)   # tensor([[0, 1, 2],\n                                         #         [0, 0, 3]])") { a throws(MLPError) in
            var seqs: [[Double]] = []
            for v in try a.list(0).items {
                guard case .list(let l) = v else { throw a.error("each sequence must be a list of numbers, got \(describeForError(v)).", at: 0) }
                var s: [Double] = []
                for x in l.items {
                    guard case .number(let d) = x else { throw a.error("each sequence must be a list of numbers, got \(describeForError(x)) in one.", at: 0) }
                    s.append(d)
                }
                seqs.append(s)
            }
            let maxlen = try a.optionalInt(1)
            let (padding, truncating, value) = (try a.string(2), try a.string(3), try a.number(4))
            return try a.native { .object(TensorValue(try TextTools.pad(seqs, maxlen: maxlen, padding: padding, truncating: truncating, value: value))) }
        }
        r.fn("chars", [p("text")],
             doc: "The character vocabulary of a text (its distinct characters, sorted): v.chars, v.size, v.encode(text) (a tensor of indices), v.decode(indices).",
             example: "v = chars(\"hello\"); v.encode(\"hell\")   # tensor([1, 0, 2, 2])") { a throws(MLPError) in
            .object(VocabularyValue(Vocabulary(try a.string(0))))
        }
        r.fn("sample", [p("probs"), Param("temperature", .number(1), keywordOnly: true), rngParam],
             doc: "A random index drawn from the probabilities probs, sharpened by temperature < 1 or flattened by > 1 (p^(1/T) renormalised; 0 takes the most probable). For an [n, k] tensor (a policy's action probabilities for n states), one index per row, as a tensor.",
             example: "i = sample(tensor([0.1, 0.7, 0.2]), temperature=0.5); actions = sample(tensor([[0.5, 0.5], [0.9, 0.1]]))") { a throws(MLPError) in
            let p = try a.tensor(0), t = try a.number(1), g = try a.generator(2)
            if p.ndim == 2 {
                let (rows, k) = (p.shape[0], p.shape[1])
                guard k > 0 else { throw a.error("each row needs at least one probability, got shape \(Tensor.formatShape(p.shape)).", at: 0) }
                let values = p.scalars
                let picks: [Double] = try a.native(at: 0) {
                    if t == 1 {
                        return try values.withUnsafeBufferPointer { b in try RLSampling.categoricalRows(b.baseAddress!, rows: rows, n: k, &g.state).map(Double.init) }
                    }
                    return try (0..<rows).map { r in Double(try TextTools.sample(Array(values[r * k..<(r + 1) * k]), temperature: t, using: &g.state)) }
                }
                return try a.newTensor { try Tensor(picks) }
            }
            guard p.ndim <= 1 else { throw a.error("probs must be a vector or an [n, k] tensor of rows, got shape \(Tensor.formatShape(p.shape)).", at: 0) }
            return try a.native { .number(Double(try TextTools.sample(p.scalars, temperature: t, using: &g.state))) }
        }
    }

    /// A string or a list of strings, as a list.
    static func strings(_ a: Args, _ i: Int) throws(MLPError) -> [String] {
        if case .string(let s) = a[i] { return [s.s] }
        var out: [String] = []
        for v in try a.list(i).items {
            guard case .string(let s) = v else { throw a.error("expected strings, got \(describeForError(v)).", at: i) }
            out.append(s.s)
        }
        return out
    }

    /// A list of index numbers (a list or tensor).
    static func indices(_ a: Args, _ v: Value) throws(MLPError) -> [Int] {
        let t: Tensor
        do throws(MLPError) { t = try TensorValue.fromNested(v) } catch { throw a.error(error.message, at: 0) }
        return t.scalars.map { Int($0) }
    }
}

final class TokenizerValue: MLPObject {
    let tok: Tokenizer
    init(_ tok: Tokenizer) { self.tok = tok }
    override var typeName: String { "tokenizer" }
    override func description(_ interp: Interpreter) -> String { "<tokenizer: \(tok.words.count) words>" }
    override var fieldNames: [String] {
        ["word_index", "index_word", "word_counts", "words", "oov_token", "num_words", "encode", "decode", "texts_to_sequences", "sequences_to_texts"]
    }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let tok = self.tok
        switch name {
        case "word_index":
            let d = DictObj()
            for (i, w) in tok.words.enumerated() { d[w] = .number(Double(i + 1)) }
            return .dict(d)
        case "index_word":
            let d = DictObj()
            for (i, w) in tok.words.enumerated() { d[.number(Double(i + 1))] = .str(w) }
            return .dict(d)
        case "word_counts":
            let d = DictObj()
            for w in tok.firstSeen { d[w] = .number(Double(tok.counts[w] ?? 0)) }
            return .dict(d)
        case "words": return .list(tok.words.map { .str($0) })
        case "oov_token": return tok.oovToken.map { .str($0) } ?? .nil
        case "num_words": return tok.numWords.map { .number(Double($0)) } ?? .nil
        case "encode", "texts_to_sequences":
            return boundMethod(name, [p("texts")]) { a throws(MLPError) in
                func seq(_ s: String) -> Value { .list(tok.encode(s).map { .number(Double($0)) }) }
                if case .string(let s) = a[0] { return seq(s.s) }
                return .list(try TextLib.strings(a, 0).map(seq))
            }
        case "decode", "sequences_to_texts":
            return boundMethod(name, [p("seqs")]) { a throws(MLPError) in
                // one sequence of numbers, or a list of them / a 2-D tensor
                if case .object(let o as TensorValue) = a[0], o.t.ndim == 2 {
                    return .list((0..<o.t.shape[0]).map { i in .str(tok.decode((try? o.t.row(i))?.scalars.map { Int($0) } ?? [])) })
                }
                if case .list(let l) = a[0], l.items.contains(where: { if case .list = $0 { return true }; return false }) {
                    var out: [Value] = []
                    for s in l.items { out.append(.str(tok.decode(try TextLib.indices(a, s)))) }
                    return .list(out)
                }
                return .str(tok.decode(try TextLib.indices(a, a[0])))
            }
        default: return nil
        }
    }
}

final class VocabularyValue: MLPObject {
    let vocab: Vocabulary
    init(_ vocab: Vocabulary) { self.vocab = vocab }
    override var typeName: String { "vocabulary" }
    override func description(_ interp: Interpreter) -> String { "<vocabulary: \(vocab.count) characters>" }
    override var fieldNames: [String] { ["chars", "size", "encode", "decode"] }
    override var length: Int? { vocab.count }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let vocab = self.vocab
        switch name {
        case "chars": return .list(vocab.chars.map { .str(String($0)) })
        case "size": return .number(Double(vocab.count))
        case "encode":
            return boundMethod("encode", [p("text")]) { a throws(MLPError) in
                let s = try a.string(0)
                return try a.native { .object(TensorValue(try Tensor(try vocab.encode(s).map(Double.init)))) }
            }
        case "decode":
            return boundMethod("decode", [p("indices")]) { a throws(MLPError) in
                let idx = try TextLib.indices(a, a[0])
                return try a.native { .str(try vocab.decode(idx)) }
            }
        default: return nil
        }
    }
}
