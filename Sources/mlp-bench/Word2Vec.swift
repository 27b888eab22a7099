// Benchmark P2 (bench/word2vec/run.sh): Word2Vec.train over MLP_W2V_CORPUS (one sentence
// a line, words separated by spaces). Prints the words per second over the corpus's
// tokens (times the epochs), vocabulary building included (and per CPU second of the
// process, all threads: less sensitive to a loaded machine), and saves the vectors in the
// word2vec text format to MLP_W2V_OUT when set.
// Also MLP_W2V_THREADS (1), MLP_W2V_SEED (1), MLP_W2V_MODE (skipgram or cbow),
// MLP_W2V_LR, MLP_W2V_INIT and MLP_W2V_EPOCHS (Word2VecOptions.lr, .initRange, .epochs);
// MLP_W2V_PHASES=1 also prints the seconds of each phase of the call (corpus, tables, ...).
import Foundation
import MLPLearn

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

func benchWord2Vec() throws {
    guard let path = environment("MLP_W2V_CORPUS") else {
        throw BenchError(description: "set MLP_W2V_CORPUS to a corpus file (bench/word2vec/corpus.sh makes one)")
    }
    let threads = Int(environment("MLP_W2V_THREADS") ?? "1") ?? 1
    let mode: Word2VecMode = environment("MLP_W2V_MODE") == "cbow" ? .cbow : .skipgram
    let seed = UInt64(environment("MLP_W2V_SEED") ?? "1") ?? 1
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let sentences = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    let tokens = sentences.reduce(0) { $0 + $1.count }
    let c0 = Clock.process()
    let t0 = Clock.wall()
    var o = Word2VecOptions()
    o.mode = mode; o.threads = threads; o.seed = seed   // the rest: gensim's defaults
    if let r = environment("MLP_W2V_INIT").flatMap(Double.init) { o.initRange = r }
    if let lr = environment("MLP_W2V_LR").flatMap(Double.init) { o.lr = lr }
    if let e = environment("MLP_W2V_EPOCHS").flatMap(Int.init) { o.epochs = e }
    // MLP_W2V_PHASES=1: the seconds of each phase of the call (Word2Vec.train's `phase`)
    var phases: [(String, Double)] = []
    var last = t0
    let wv = try Word2Vec.train(sentences: sentences, options: o, phase: environment("MLP_W2V_PHASES") == "1" ? { name in
        let now = Clock.wall(); phases.append((name, now - last)); last = now
    } : nil)
    let seconds = Clock.wall() - t0
    let cpuSeconds = Clock.process() - c0
    print(String(format: "word2vec mlp: threads %d, %d tokens, vocabulary %d, %.3f s, %.0f words/s, cpu %.3f s, %.0f words/cpu-s",
                 threads, tokens, wv.count, seconds, Double(tokens * o.epochs) / seconds, cpuSeconds,
                 Double(tokens * o.epochs) / cpuSeconds))
    if !phases.isEmpty {
        print("word2vec mlp: phases " + phases.map { String(format: "%@ %.4f s", $0.0, $0.1) }.joined(separator: ", "))
    }
    for (a, b) in [("king", "queen"), ("god", "lord"), ("water", "waters")] where wv.contains(a) && wv.contains(b) {
        print(String(format: "word2vec mlp: similarity %@-%@ %.3f", a, b, try wv.similarity(a, b)))
    }
    let v0 = Clock.wall()
    _ = Word2Vec.vocabulary(sentences, minCount: 5)
    print(String(format: "word2vec mlp: (of which about %.3f s the vocabulary pass)", Clock.wall() - v0))
    if let out = environment("MLP_W2V_OUT") { try wv.save(word2vecText: out) }
}
