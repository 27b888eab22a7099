// Benchmark P2 (bench/word2vec/run.sh), skipped unless MLP_W2V_CORPUS names a
// corpus (one sentence a line, words separated by spaces). Prints the words per
// second over the corpus's tokens (times the epochs), vocabulary building included (and per CPU
// second of the process, all threads: less sensitive to a loaded machine), and saves the
// vectors in the word2vec text format to MLP_W2V_OUT when set.
// Also MLP_W2V_THREADS (1), MLP_W2V_SEED (1), MLP_W2V_MODE (skipgram or cbow),
// MLP_W2V_LR, MLP_W2V_INIT and MLP_W2V_EPOCHS (Word2VecOptions.lr, .initRange, .epochs).
//   MLP_W2V_CORPUS=... MLP_W2V_THREADS=2 swift test -c release -Xswiftc -enable-testing --filter Word2VecBench
import XCTest
import MLPLearn

final class Word2VecBench: XCTestCase {
    func testWord2VecBench() throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env["MLP_W2V_CORPUS"] else { throw XCTSkip("set MLP_W2V_CORPUS to run the word2vec benchmark") }
        let threads = Int(env["MLP_W2V_THREADS"] ?? "1") ?? 1
        let mode: Word2VecMode = env["MLP_W2V_MODE"] == "cbow" ? .cbow : .skipgram
        let seed = UInt64(env["MLP_W2V_SEED"] ?? "1") ?? 1
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let sentences = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let tokens = sentences.reduce(0) { $0 + $1.count }
        func cpu() -> Double {
            var u = rusage()
            getrusage(RUSAGE_SELF.rawValue, &u)
            return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
        }
        let c0 = cpu()
        let t0 = DispatchTime.now().uptimeNanoseconds
        var o = Word2VecOptions()
        o.mode = mode; o.threads = threads; o.seed = seed   // the rest: gensim's defaults
        if let r = env["MLP_W2V_INIT"].flatMap(Double.init) { o.initRange = r }
        if let lr = env["MLP_W2V_LR"].flatMap(Double.init) { o.lr = lr }
        if let e = env["MLP_W2V_EPOCHS"].flatMap(Int.init) { o.epochs = e }
        let wv = try Word2Vec.train(sentences: sentences, options: o)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let cpuSeconds = cpu() - c0
        print(String(format: "word2vec mlp: threads %d, %d tokens, vocabulary %d, %.3f s, %.0f words/s, cpu %.3f s, %.0f words/cpu-s",
                     threads, tokens, wv.count, seconds, Double(tokens * o.epochs) / seconds, cpuSeconds,
                     Double(tokens * o.epochs) / cpuSeconds))
        for (a, b) in [("king", "queen"), ("god", "lord"), ("water", "waters")] where wv.contains(a) && wv.contains(b) {
            print(String(format: "word2vec mlp: similarity %@-%@ %.3f", a, b, try wv.similarity(a, b)))
        }
        let v0 = DispatchTime.now().uptimeNanoseconds
        _ = Word2Vec.vocabulary(sentences, minCount: 5)
        print(String(format: "word2vec mlp: (of which about %.3f s the vocabulary pass)",
                     Double(DispatchTime.now().uptimeNanoseconds - v0) / 1e9))
        if let out = env["MLP_W2V_OUT"] { try wv.save(word2vecText: out) }
    }
}
