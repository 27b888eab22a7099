// Word vectors (MLPLearn/WordVectors): word2vec training, neighbours and
// analogies, the word2vec and GloVe text formats.
import MLPLang
import MLPTensor
import MLPLearn

final class WordVectorsValue: MLPObject {
    let wv: WordVectors
    init(_ wv: WordVectors) { self.wv = wv }
    override var typeName: String { "word_vectors" }
    override func description(_ interp: Interpreter) -> String { "<word vectors: \(wv.count) words, dim \(wv.dim)>" }
    override var length: Int? { wv.count }
    override var fieldNames: [String] { ["words", "matrix", "dim"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "words": return .list(wv.words.map { .str($0) })
        case "matrix": return try LayerValue.run { .object(TensorValue(try wv.matrix())) }
        case "dim": return .number(Double(wv.dim))
        default: return nil
        }
    }
    /// wv["word"]: its vector.
    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        guard items.count == 1, case .value(.string(let s)) = items[0] else {
            throw MLPError.runtime("word vectors are indexed by a word, as wv[\"king\"].")
        }
        guard let v = wv.vector(s.s) else { throw MLPError.runtime("'\(s.s)' is not in the vocabulary (\(wv.count) words).") }
        return try LayerValue.run { .object(TensorValue(try Tensor(v.map(Double.init)))) }
    }
}

enum WordVectorLib {
    static func register(_ r: inout Registry) {
        r.fn("word2vec", [p("sentences"), Param("dim", .number(100), keywordOnly: true), Param("window", .number(5), keywordOnly: true),
                          Param("negative", .number(5), keywordOnly: true), Param("mode", .string("skipgram"), keywordOnly: true),
                          Param("min_count", .number(5), keywordOnly: true), Param("epochs", .number(1), keywordOnly: true),
                          Param("subsample", .number(1e-3), keywordOnly: true), Param("lr", .number(0.025), keywordOnly: true),
                          Param("threads", .number(1), keywordOnly: true), rngParam],
             doc: "Word vectors by word2vec (Mikolov et al.) with negative sampling from the unigram^0.75 table, frequent-word subsampling and a learning rate falling linearly to lr/10^4, as gensim: sentences are lists of words (or strings, split at spaces); mode \"skipgram\" or \"cbow\". The result wv gives wv[\"word\"], similar(wv, word), analogy(wv, a, b, c). One thread repeats exactly under seed() (or with rng=); threads=2 trains on two threads taking chunks of the corpus in turn, as gensim: the input vectors shared (Hogwild), each thread's copy of the frequent words' output vectors merged into the shared ones every few hundred words (not bit-reproducible, as gensim).",
             example: "wv = word2vec(sentences, dim=50, min_count=2); similar(wv, \"king\")") { a throws(MLPError) in
            var sentences: [[String]] = []
            for v in try a.list(0).items {
                switch v {
                case .string(let s): sentences.append(s.s.split(separator: " ").map(String.init))
                case .list(let l):
                    var words: [String] = []
                    for w in l.items {
                        guard case .string(let s) = w else { throw a.error("a sentence is a list of words (strings), got \(describeForError(w)) in one.", at: 0) }
                        words.append(s.s)
                    }
                    sentences.append(words)
                default: throw a.error("sentences must be lists of words or strings, got \(describeForError(v)).", at: 0)
                }
            }
            var o = Word2VecOptions()
            o.dim = try a.int(1); o.window = try a.int(2); o.negative = try a.int(3)
            switch try a.string(4) {
            case "skipgram": o.mode = .skipgram
            case "cbow": o.mode = .cbow
            default: throw a.error("mode must be \"skipgram\" or \"cbow\", got \"\(try a.string(4))\".", at: 4)
            }
            o.minCount = try a.int(5); o.epochs = try a.int(6); o.subsample = try a.number(7); o.lr = try a.number(8); o.threads = try a.int(9)
            o.seed = try a.generator(10).state.next()
            let poll = a.interruptPoll
            do {
                return .object(WordVectorsValue(try Word2Vec.train(sentences: sentences, options: o) { _ in try poll() }))
            } catch { throw a.nativeError(error) }
        }
        r.fn("similar", [p("wv"), p("word"), Param("n", .number(10), keywordOnly: true)],
             doc: "The n words closest to word by cosine similarity, as [word, similarity] pairs, most similar first.",
             example: "similar(wv, \"water\", n=5)") { a throws(MLPError) in
            let wv = try vectors(a, 0), word = try a.string(1), n = try a.int(2)
            return try pairs(a) { try wv.similar(word, n: n) }
        }
        r.fn("analogy", [p("wv"), p("a"), p("b"), p("c"), Param("n", .number(1), keywordOnly: true)],
             doc: "a - b + c: the word closest to vec(a) - vec(b) + vec(c), the inputs excluded (analogy(wv, \"king\", \"man\", \"woman\") is queen on good vectors); n > 1 gives [word, similarity] pairs.",
             example: "analogy(wv, \"king\", \"man\", \"woman\")") { a throws(MLPError) in
            let wv = try vectors(a, 0), x = try a.string(1), y = try a.string(2), z = try a.string(3), n = try a.int(4)
            let r = try pairs(a) { try wv.analogy(x, y, z, n: n) }
            if n == 1, case .list(let l) = r, case .list(let first)? = l.items.first { return first.items[0] }
            return r
        }
        r.fn("load_glove", [p("path")], doc: "Word vectors from a GloVe text file (one word and its numbers per line, no header).",
             example: "wv = load_glove(\"glove.6B.50d.txt\"); e = embedding(len(wv), wv.dim)") { a throws(MLPError) in
            let path = try a.string(0)
            return .object(WordVectorsValue(try a.parseFile(path) { try WordVectors.parseGloVe($0) }))
        }
    }

    static func vectors(_ a: Args, _ i: Int) throws(MLPError) -> WordVectors {
        guard case .object(let o as WordVectorsValue) = a[i] else { throw a.typeError(i, "word vectors (from word2vec or load)") }
        return o.wv
    }

    static func pairs(_ a: Args, _ body: () throws -> [(word: String, similarity: Double)]) throws(MLPError) -> Value {
        do { return .list(try body().map { .list([.str($0.word), .number($0.similarity)]) }) }
        catch { throw a.nativeError(error) }
    }
}
