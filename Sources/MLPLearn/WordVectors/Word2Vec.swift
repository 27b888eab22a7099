// word2vec (Mikolov et al. 2013) with negative sampling, skip-gram or CBOW, as
// word2vec.c and gensim 4 train it: vocabulary at minCount, frequent-word
// subsampling, a reduced window drawn per centre word, unigram^0.75 noise,
// linearly decaying learning rate, input vectors uniform in (-r/dim, r/dim) with
// r = 1 as gensim 4 (word2vec.c and gensim 3: r = 0.5), output vectors zero.
// Float32 throughout, as both. The loop itself is in Word2VecKernel.swift;
// bench/word2vec compares speed and neighbours with gensim.
//
// Determinism: with threads = 1 the vectors depend only on the corpus, the
// options and the seed. With threads > 1 the workers update the shared vectors
// without locks (Hogwild, as gensim and word2vec.c), so results vary from run to
// run in the last bits, as gensim's do.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import Synchronization

public enum Word2Vec {
    /// Trains word vectors on tokenised sentences (see `Word2VecOptions`).
    public static func train(sentences: [[String]], dim: Int = 100, window: Int = 5, negative: Int = 5,
                             mode: Word2VecMode = .skipgram, minCount: Int = 5, epochs: Int = 1,
                             subsample: Double = 1e-3, lr: Double = 0.025, threads: Int = 1,
                             seed: UInt64 = 1) throws -> WordVectors {
        var o = Word2VecOptions()
        o.dim = dim; o.window = window; o.negative = negative; o.mode = mode; o.minCount = minCount
        o.epochs = epochs; o.subsample = subsample; o.lr = lr; o.threads = threads; o.seed = seed
        return try train(sentences: sentences, options: o)
    }

    /// Words with count >= minCount, most frequent first, ties in order of first
    /// appearance (gensim's order), with their counts.
    public static func vocabulary(_ sentences: [[String]], minCount: Int) -> (words: [String], counts: [Int]) {
        let piece = sentences.withUnsafeBufferPointer { W2VCorpus.count($0, 0, $0.count, nil) }
        let order = W2VCorpus.order(piece.counts, minCount: minCount)
        return (order.map { piece.words[$0] }, order.map { piece.counts[$0] })
    }

    /// `progress`, when given, is called on the calling thread before each chunk of
    /// about 10,000 words it takes with the fraction of the corpus (all epochs) handed
    /// out to the threads so far; whatever it throws (an interrupt, a deadline) stops
    /// every thread and is rethrown. `phase`, when given, is called on the calling
    /// thread with the name of each phase as it ends ("corpus", "tables", "vectors",
    /// "threads", "train", "result"; the benchmark times them).
    public static func train(sentences: [[String]], options o: Word2VecOptions,
                             progress: ((Double) throws -> Void)? = nil,
                             phase: ((String) -> Void)? = nil) throws -> WordVectors {
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw LearnError("word2vec", "\(what)") } }
        try check(o.dim >= 1, "dim must be positive, got \(o.dim).")
        try check(o.window >= 1, "window must be positive, got \(o.window).")
        try check(o.negative >= 1, "negative must be positive, got \(o.negative).")
        try check(o.minCount >= 1, "min_count must be positive, got \(o.minCount).")
        try check(o.epochs >= 1, "epochs must be positive, got \(o.epochs).")
        try check(o.subsample >= 0 && o.subsample.isFinite, "subsample must be >= 0, got \(o.subsample).")
        try check(o.lr > 0 && o.lr.isFinite, "lr must be positive, got \(o.lr).")
        try check(o.initRange >= 0 && o.initRange.isFinite, "init_range must be >= 0, got \(o.initRange).")
        try check(o.threads >= 1 && o.threads <= 64, "threads must be in 1...64, got \(o.threads).")

        // The corpus as ids in raw buffers; out-of-vocabulary words dropped (as gensim).
        let corpus = try W2VCorpus(sentences, minCount: o.minCount, threads: o.threads)
        defer { corpus.deallocate() }
        let words = corpus.words, counts = corpus.counts
        try check(!words.isEmpty, "no word occurs min_count = \(o.minCount) times.")
        let n = words.count
        let total = counts.reduce(0, +)
        let ids = corpus.ids, starts = corpus.starts, longest = corpus.longest
        phase?("corpus")

        // Subsampling thresholds.
        let keep = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        let keepAll = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        defer { keep.deallocate(); keepAll.deallocate() }
        for i in 0..<n {
            let p = keepProbability(count: counts[i], total: total, subsample: o.subsample)
            keepAll[i] = p >= 1
            keep[i] = p >= 1 ? UInt32.max : UInt32(p * 4294967296.0)
        }

        // Noise distribution unigram^0.75 by Walker's alias method: exact, O(1) a draw,
        // and small enough (8 bytes a word) to stay in cache, unlike a 1e8-entry table.
        let aliasProb = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        let aliasOther = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { aliasProb.deallocate(); aliasOther.deallocate() }
        buildAlias(counts.map { pow(Double($0), 0.75) }, aliasProb, aliasOther)
        phase?("tables")

        // Vectors: rows of `rowLen` floats (dim padded with zeros to a multiple of 8, the
        // loops' SIMD width), each starting a 64-byte cache line (`stride` a multiple of
        // 16 floats), so that threads writing neighbouring rows never share a line.
        let dim = o.dim, rowLen = (dim + 7) / 8 * 8, stride = (dim + 15) / 16 * 16
        let (cells, overflow) = n.multipliedReportingOverflow(by: stride)
        if overflow { throw LearnError("word2vec", "\(n) words of dim \(dim) are too many values.") }
        // freed early below, so that the result's arrays take their room
        var syn0Block: UnsafeMutablePointer<Float>? = try allocateFloats(cells)
        var syn1Block: UnsafeMutablePointer<Float>? = try allocateFloats(cells)
        defer { free(syn0Block); free(syn1Block) }
        let syn0 = syn0Block!, syn1 = syn1Block!
        syn1.initialize(repeating: 0, count: n * stride)
        syn0.initialize(repeating: 0, count: n * stride)
        var initRng = W2VRandom(seed: o.seed)
        let halfWidth = Float(o.initRange / Double(dim))
        for r in 0..<n {
            for c in 0..<dim {
                let u = Float(Double(initRng.next() >> 40) * 0x1.0p-24)   // [0, 1)
                syn0[r * stride + c] = (2 * u - 1) * halfWidth
            }
        }

        let sigmoid = W2VSigmoid.table()
        defer { sigmoid.deallocate() }
        phase?("vectors")

        // Chunks of about 10,000 words (gensim's batch_words) taken by the threads in
        // turn from a shared counter, so that all threads move through the corpus in order
        // as gensim's job queue hands out jobs (two contiguous halves gave visibly
        // different neighbours), and a thread the system delays holds up no other.
        let chunkList = chunkSentences(starts, sentences.count, words: chunkWords)
        let chunks = UnsafeMutablePointer<Int>.allocate(capacity: chunkList.count)
        defer { chunks.deallocate() }
        for (i, c) in chunkList.enumerated() { chunks[i] = c }
        let chunkCount = chunkList.count - 1
        let jobCount = Swift.max(1, Swift.min(o.threads, chunkCount))
        // With several threads each trains its own copy of the most frequent words' output
        // rows (hotRows of them, at most privateBytes), merged into the shared rows as it goes
        // (Word2VecKernel.swift); `version` counts the merges into each shared row.
        let hot = jobCount > 1 ? Swift.min(n, hotRows, Swift.max(1, privateBytes / (stride * 4))) : 0
        let version = try allocateAligned(hot, UInt32.self)
        version.initialize(repeating: 0, count: hot)
        defer { free(version) }
        let jobs = UnsafeMutablePointer<W2VJob>.allocate(capacity: jobCount)
        defer { jobs.deallocate() }
        // stop, next chunk, merge lock: each on its own cache line
        let flags = try allocateAligned(24, Int.self).withMemoryRebound(to: Atomic<Int>.self, capacity: 24) { $0 }
        for f in [0, 8, 16] { (flags + f).initialize(to: Atomic(0)) }
        defer { for f in [0, 8, 16] { (flags + f).deinitialize(count: 1) }; free(flags) }
        var scratch: [UnsafeMutableRawPointer] = []
        defer { for p in scratch { free(p) } }
        var seeder = SplitMix64(o.seed ^ 0x5EED_0F_3A11)
        for k in 0..<jobCount {
            let sentence = try allocateAligned(longest + 1, Int32.self)
            let ctx = try allocateAligned(2 * o.window + 1, Int32.self)
            let neu1 = try allocateFloats(rowLen), neu1e = try allocateFloats(rowLen)
            neu1.initialize(repeating: 0, count: rowLen); neu1e.initialize(repeating: 0, count: rowLen)
            // the job's copies of the hot output rows and their values at the last merge, the
            // rows it changed since, and the versions of the shared rows it last took: set to
            // zero by the job itself (on its own thread), as the shared rows start
            let own = try allocateFloats(2 * hot * stride), changed = try allocateAligned(hot, UInt8.self)
            let seen = try allocateAligned(hot, UInt32.self)
            scratch += [UnsafeMutableRawPointer(sentence), UnsafeMutableRawPointer(ctx),
                        UnsafeMutableRawPointer(neu1), UnsafeMutableRawPointer(neu1e), UnsafeMutableRawPointer(own),
                        UnsafeMutableRawPointer(changed), UnsafeMutableRawPointer(seen)]
            (jobs + k).initialize(to: W2VJob(
                syn0: syn0, syn1: syn1, hotRows: hot, syn1Own: own, syn1Base: own + hot * stride, changed: changed,
                version: version, seen: seen,
                mergeRows: Swift.min(hot, mergeRows), mergeWords: mergeWords, sweepWords: sweepWords, mergeLock: flags + 16,
                stride: stride, rowLen: rowLen, sigmoid: sigmoid,
                aliasProb: aliasProb, aliasOther: aliasOther, vocabSize: n,
                keep: keep, keepAll: keepAll, ids: ids, starts: starts,
                chunks: chunks, chunkCount: chunkCount, next: flags + 8, corpusWords: starts[sentences.count],
                epochs: o.epochs, window: o.window, negative: o.negative, cbow: o.mode == .cbow,
                lr: o.lr, minLrFraction: o.minLrFraction, seed: seeder.next(),
                sentence: sentence, neu1: neu1, neu1e: neu1e, ctx: ctx, stop: flags))
        }
        phase?("threads")
        var thrown: Error? = nil
        if let progress {
            runJobs(jobs, jobCount) { fraction in
                do { try progress(fraction); return true } catch { thrown = error; return false }
            }
        } else {
            runJobs(jobs, jobCount, check: nil)
        }
        if let thrown { throw thrown }
        phase?("train")

        // Swift's arrays stop the process when memory runs out: each takes the room of
        // a block just freed (syn0 and syn1 fitted, so the vectors and their unit copy do)
        free(syn1Block); syn1Block = nil
        var out = [Float](repeating: 0, count: n * dim)
        for r in 0..<n { for c in 0..<dim { out[r * dim + c] = syn0[r * stride + c] } }
        free(syn0Block); syn0Block = nil
        let result = try WordVectors(words: words, vectors: out, dim: dim, counts: counts)
        phase?("result")
        return result
    }

    /// 64-byte aligned floats (free with `free`).
    static func allocateFloats(_ count: Int) throws -> UnsafeMutablePointer<Float> { try allocateAligned(count, Float.self) }

    /// 64-byte aligned, uninitialised memory for `count` values (free with `free`),
    /// or an "out of memory" error: the sizes come from the corpus and `dim`.
    static func allocateAligned<T>(_ count: Int, _ type: T.Type) throws -> UnsafeMutablePointer<T> {
        var raw: UnsafeMutableRawPointer? = nil
        let (bytes, overflow) = Swift.max(count, 16).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        if overflow || bytes > Int.max - 63 || posix_memalign(&raw, 64, (bytes + 63) / 64 * 64) != 0 || raw == nil {
            let asked = Double(count) * Double(MemoryLayout<T>.stride)
            throw LearnError("word2vec", TensorStorage.outOfMemory(bytes: asked, "for its buffers"), kind: .outOfMemory(bytes: Int(Swift.min(asked, 9e18))))
        }
        return raw!.bindMemory(to: T.self, capacity: count)
    }

    static let chunkWords = 10_000
    /// The last tailChunks * chunkWords words of the corpus (at most an eighth of it) go in
    /// chunks tailSplit times smaller, so that the threads end together (the last thread
    /// to end waited for half a chunk on average: 5 ms of a 0.4 s two-thread run on the
    /// KJV Bible).
    static let tailChunks = 4, tailSplit = 8
    /// With several threads: the output rows each thread trains in copies of its own (the
    /// hotRows most frequent words, at most privateBytes of them; twice that with their
    /// values at the last merge; the other rows are shared, Hogwild, as gensim's), and how
    /// often it merges them (Word2VecKernel.swift): the first mergeRows every mergeWords
    /// words, all every sweepWords words. Chosen on the KJV Bible (bench/word2vec/README.md):
    /// merging all rows every 1,000 words gave king-queen 0.71 (mean of 6 seeds), these
    /// 0.735, as all rows shared (gensim 0.726). Copies of all 5,278 rows (until 2026-12-07)
    /// spent 0.065 s of a 0.40 s two-thread run merging, 1,024 rows 0.033 s, 512 rows 0.017 s,
    /// with the neighbours as good (6 seeds: king-queen 0.738, 0.724, 0.752; top-10 overlap
    /// with gensim's 6.41, 6.48, 6.44 of 10).
    static let privateBytes = 4 << 20
    static let hotRows = 512
    static let mergeRows = 512, mergeWords = 250, sweepWords = 2000

    /// Sentence indices that cut sentences 0..<count into chunks of at least `words`
    /// words, those of the corpus's tail of at least words / tailSplit (the last may be
    /// shorter): 0, ..., count.
    static func chunkSentences(_ starts: UnsafeMutablePointer<Int>, _ count: Int, words: Int) -> [Int] {
        var out = [0]
        var s = 0
        let total = starts[count], tail = Swift.min(tailChunks &* words, total / 8)
        while s < count {
            let from = starts[s]
            let size = total &- from <= tail ? Swift.max(1, words / tailSplit) : words
            while s < count && starts[s] - from < size { s += 1 }
            out.append(s)
        }
        if out.count == 1 { out.append(count) }
        return out
    }

    /// Walker's alias tables for weights w (normalised here): slot i holds i with
    /// probability prob[i] / 2^32, else other[i].
    static func buildAlias(_ w: [Double], _ prob: UnsafeMutablePointer<UInt32>, _ other: UnsafeMutablePointer<Int32>) {
        let n = w.count, sum = w.reduce(0, +)
        var scaled = w.map { $0 * Double(n) / sum }
        var small: [Int] = [], large: [Int] = []
        for i in 0..<n { if scaled[i] < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast() {
            guard let l = large.last else { scaled[s] = 1; other[s] = Int32(s); prob[s] = UInt32.max; continue }
            prob[s] = UInt32(scaled[s] * 4294967296.0); other[s] = Int32(l)
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        for l in large { prob[l] = UInt32.max; other[l] = Int32(l) }
    }

    /// The probability with which the noise sampler draws each word, for counts in
    /// vocabulary order (exact up to 2^-32; it should be count^0.75 normalised).
    public static func noiseDistribution(counts: [Int]) -> [Double] {
        let w = counts.map { pow(Double($0), 0.75) }, n = w.count
        let prob = UnsafeMutablePointer<UInt32>.allocate(capacity: n), other = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { prob.deallocate(); other.deallocate() }
        buildAlias(w, prob, other)
        var p = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let a = Double(prob[i]) / 4294967296.0
            p[i] += a / Double(n); p[Int(other[i])] += (1 - a) / Double(n)
        }
        return p
    }

    /// Runs job 0 on this thread and the others on new threads (pthreads: the
    /// workers see only the raw job records), then waits for all.
    static func runJobs(_ jobs: UnsafeMutablePointer<W2VJob>, _ count: Int, check: ((Double) -> Bool)?) {
        var tids: [pthread_t] = []
        // Workers start with every signal blocked, so that Ctrl-C still reaches the
        // calling (interpreter) thread; the mask is restored before job 0 runs here.
        var all = sigset_t(), saved = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &saved)
        for k in 1..<Swift.max(count, 1) {
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                w2vRunJob(arg!.assumingMemoryBound(to: W2VJob.self))
                return nil
            }, UnsafeMutableRawPointer(jobs + k))
            if rc == 0 { tids.append(tid) } else { w2vRunJob(jobs + k) }
        }
        pthread_sigmask(SIG_SETMASK, &saved, nil)
        w2vRunJob(jobs, check: check)
        for t in tids { pthread_join(t, nil) }
    }
}
