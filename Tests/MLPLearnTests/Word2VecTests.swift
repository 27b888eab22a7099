import XCTest
@testable import MLPLearn
import MLPTensor

final class Word2VecTests: XCTestCase {
    // MARK: formulas

    func testLearningRateScheduleIsLinearToLrTimes1e4() {
        XCTAssertEqual(Word2Vec.learningRate(start: 0.025, progress: 0), 0.025)
        XCTAssertEqual(Word2Vec.learningRate(start: 0.025, progress: 1), 0.025e-4, accuracy: 1e-15)
        XCTAssertEqual(Word2Vec.learningRate(start: 0.025, progress: 0.5), 0.025 - (0.025 - 2.5e-6) / 2, accuracy: 1e-15)
        XCTAssertEqual(Word2Vec.learningRate(start: 0.05, progress: 0.25), 0.05 - 0.25 * (0.05 - 5e-6), accuracy: 1e-15)
        XCTAssertEqual(Word2Vec.learningRate(start: 0.025, progress: 2), 0.025e-4, accuracy: 1e-15)  // clamped
        XCTAssertEqual(Word2VecOptions().lr, 0.025)   // both modes, as gensim
    }

    func testSubsamplingKeepProbability() {
        // s = 1e-3, 1e6 words: threshold s * total = 1000.
        XCTAssertEqual(Word2Vec.keepProbability(count: 10_000, total: 1_000_000, subsample: 1e-3),
                       (10.0.squareRoot() + 1) * 1000 / 10_000, accuracy: 1e-12)   // 0.41623
        XCTAssertEqual(Word2Vec.keepProbability(count: 100_000, total: 1_000_000, subsample: 1e-3),
                       (100.0.squareRoot() + 1) * 1000 / 100_000, accuracy: 1e-12) // 0.11
        XCTAssertEqual(Word2Vec.keepProbability(count: 1000, total: 1_000_000, subsample: 1e-3), 1)  // 2, capped
        XCTAssertEqual(Word2Vec.keepProbability(count: 50, total: 1_000_000, subsample: 1e-3), 1)
        XCTAssertEqual(Word2Vec.keepProbability(count: 100_000, total: 1_000_000, subsample: 0), 1)
    }

    func testNoiseDistributionIsUnigramToThe075() {
        let counts = [1000, 300, 20, 5, 5, 1]
        let w = counts.map { pow(Double($0), 0.75) }, sum = w.reduce(0, +)
        let p = Word2Vec.noiseDistribution(counts: counts)
        for i in 0..<counts.count { XCTAssertEqual(p[i], w[i] / sum, accuracy: 1e-8) }
    }

    func testVocabularyOrderAndMinCount() {
        let (words, counts) = Word2Vec.vocabulary([["b", "a", "c", "a"], ["c", "d", "b", "a"]], minCount: 2)
        XCTAssertEqual(words, ["a", "b", "c"])   // a 3; b and c 2, b seen first
        XCTAssertEqual(counts, [3, 2, 2])
    }

    // MARK: training

    /// Two topics whose words only co-occur with each other.
    func topicCorpus(seed: UInt64, sentences: Int = 1500) -> [[String]] {
        var rng = SplitMix64(seed)
        var out: [[String]] = []
        for _ in 0..<sentences {
            let topic = rng.next() % 2 == 0 ? "a" : "b"
            out.append((0..<8).map { _ in "\(topic)\(rng.next() % 10)" })
        }
        return out
    }

    func testNeighboursFollowPlantedTopics() throws {
        for mode in [Word2VecMode.skipgram, .cbow] {
            let wv = try Word2Vec.train(sentences: topicCorpus(seed: 3, sentences: 1000), dim: 20, window: 3, negative: 5, mode: mode,
                                        minCount: 1, epochs: 5, subsample: 0, seed: 11)
            XCTAssertEqual(wv.count, 20)
            XCTAssertEqual(wv.dim, 20)
            for t in ["a", "b"] {
                for k in 0..<10 {
                    let near = try wv.similar("\(t)\(k)", n: 9).map(\.word)
                    XCTAssertEqual(near.filter { $0.hasPrefix(t) }.count, 9, "\(mode) \(t)\(k): \(near)")
                }
            }
            XCTAssertGreaterThan(try wv.similarity("a1", "a2"), try wv.similarity("a1", "b2") + 0.3, "\(mode)")
        }
    }

    func testTwoAndThreeThreadsTrainToo() throws {
        for threads in [2, 3] {
            let wv = try Word2Vec.train(sentences: topicCorpus(seed: 4, sentences: 3000), dim: 16, window: 3, minCount: 1,
                                        epochs: 3, subsample: 0, threads: threads, seed: 1)
            for word in ["a2", "b5"] {
                let near = try wv.similar(word, n: 9).map(\.word)
                XCTAssertEqual(near.filter { $0.first == word.first }.count, 9, "\(threads) threads, \(word): \(near)")
            }
        }
    }

    /// With several threads each trains its own copy of the frequent words' output rows and
    /// merges: shared += own - base, own = base = shared. Two threads' changes both arrive,
    /// and each takes the other's at its next merge (values exact in float).
    func testMergeAddsEveryThreadsChanges() {
        let n = 16
        let shared = UnsafeMutablePointer<Float>.allocate(capacity: n), rows = UnsafeMutablePointer<Float>.allocate(capacity: 4 * n)
        defer { shared.deallocate(); rows.deallocate() }
        let ownA = rows, baseA = rows + n, ownB = rows + 2 * n, baseB = rows + 3 * n
        for i in 0..<n {
            shared[i] = Float(i)
            baseA[i] = Float(i); baseB[i] = Float(i)
            ownA[i] = Float(i) + 0.5          // thread A changed every value by +0.5
            ownB[i] = Float(i) - Float(i % 4)  // thread B by -(i mod 4)
        }
        w2vMergeRows(own: ownA, base: baseA, shared: shared, n)
        for i in 0..<n { XCTAssertEqual(shared[i], Float(i) + 0.5); XCTAssertEqual(ownA[i], shared[i]); XCTAssertEqual(baseA[i], shared[i]) }
        w2vMergeRows(own: ownB, base: baseB, shared: shared, n)
        for i in 0..<n {
            let both = Float(i) + 0.5 - Float(i % 4)
            XCTAssertEqual(shared[i], both); XCTAssertEqual(ownB[i], both); XCTAssertEqual(baseB[i], both)
        }
        ownA[3] += 2   // A changes one value, then merges: it gets B's changes and adds its own
        w2vMergeRows(own: ownA, base: baseA, shared: shared, n)
        for i in 0..<n { XCTAssertEqual(ownA[i], Float(i) + 0.5 - Float(i % 4) + (i == 3 ? 2 : 0), "\(i)") }
    }

    /// The corpus as ids, counted in one piece or in three on three threads: the same
    /// vocabulary, ids and sentence starts, and the same as counting by hand.
    func testCorpusIdsAreTheSameInPieces() throws {
        var corpus = topicCorpus(seed: 9, sentences: 20_000)   // 160,000 words: three pieces
        for i in Swift.stride(from: 0, to: corpus.count, by: 997) { corpus[i].append("rare\(i % 3)"); corpus[i].insert("once\(i)", at: 0) }
        corpus[5] = []
        var counts: [String: Int] = [:], first: [String: Int] = [:]
        for s in corpus { for w in s { counts[w, default: 0] += 1; if first[w] == nil { first[w] = first.count } } }
        let vocab = counts.keys.filter { counts[$0]! >= 3 }.sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : first[$0]! < first[$1]! }
        XCTAssertEqual(vocab.count, 23)   // a0...b9 and rare0...rare2; the once words dropped
        let id = Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($1, Int32($0)) })
        let expected = corpus.map { $0.compactMap { id[$0] } }
        XCTAssertEqual(Word2Vec.vocabulary(corpus, minCount: 3).words, vocab)
        for threads in [1, 3] {
            let c = try W2VCorpus(corpus, minCount: 3, threads: threads)
            defer { c.deallocate() }
            XCTAssertEqual(c.words, vocab)
            XCTAssertEqual(c.counts, vocab.map { counts[$0]! })
            XCTAssertEqual(c.longest, expected.map(\.count).max())
            for (s, ids) in expected.enumerated() {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: c.ids + c.starts[s], count: c.starts[s + 1] - c.starts[s])), ids, "sentence \(s)")
            }
            XCTAssertEqual(c.starts[corpus.count], expected.reduce(0) { $0 + $1.count })
        }
    }

    func testSameSeedSameVectors() throws {
        let corpus = topicCorpus(seed: 5, sentences: 400)
        for mode in [Word2VecMode.skipgram, .cbow] {
            let a = try Word2Vec.train(sentences: corpus, dim: 12, mode: mode, minCount: 1, epochs: 2, seed: 42)
            let b = try Word2Vec.train(sentences: corpus, dim: 12, mode: mode, minCount: 1, epochs: 2, seed: 42)
            let c = try Word2Vec.train(sentences: corpus, dim: 12, mode: mode, minCount: 1, epochs: 2, seed: 43)
            XCTAssertEqual(a.words, b.words)
            XCTAssertEqual(a.vectors, b.vectors)
            XCTAssertNotEqual(a.vectors, c.vectors)
        }
    }

    func testInitialVectorsAreGensimsRange() throws {
        // With a tiny learning rate the vectors stay where they started: uniform in
        // (-1/dim, 1/dim) as gensim 4, or (-0.5/dim, 0.5/dim) as word2vec.c.
        var o = Word2VecOptions()
        o.dim = 10; o.minCount = 1; o.lr = 1e-12; o.seed = 2
        for (range, bound) in [(1.0, Float(0.1)), (0.5, Float(0.05))] {
            o.initRange = range
            let wv = try Word2Vec.train(sentences: topicCorpus(seed: 6, sentences: 20), options: o)
            XCTAssertTrue(wv.vectors.allSatisfy { abs($0) <= bound })
            XCTAssertGreaterThan(wv.vectors.map { abs($0) }.max()!, 0.8 * bound)
        }
    }

    func testProgressIsReportedAndItsErrorStopsTraining() throws {
        var o = Word2VecOptions()
        o.minCount = 1; o.dim = 8; o.epochs = 3
        let corpus = topicCorpus(seed: 8, sentences: 3000)   // 24,000 words: 3 chunks an epoch
        var seen: [Double] = []
        _ = try Word2Vec.train(sentences: corpus, options: o) { seen.append($0) }
        XCTAssertEqual(seen.count, 9)
        XCTAssertEqual(seen.first, 0)
        XCTAssertEqual(seen, seen.sorted())
        XCTAssertLessThan(seen.last!, 1)
        // threads take chunks as they come, so the calling thread may see only one chunk
        // of three; it is called at least once
        for (threads, stopAt) in [(1, 2), (2, 1), (3, 1)] {
            o.threads = threads
            var calls = 0
            XCTAssertThrowsError(try Word2Vec.train(sentences: corpus, options: o) { _ in
                calls += 1
                if calls == stopAt { throw LearnError(nil, "interrupted") }
            }) { e in XCTAssertEqual("\(e)", "interrupted") }
            XCTAssertEqual(calls, stopAt)
        }
    }

    /// Chunks of 10,000 words, those of the last 40,000 words (at most an eighth of the
    /// corpus) of 1,250, so that the threads end together.
    func testChunksAreSmallerAtTheEnd() {
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: 401)
        defer { starts.deallocate() }
        for s in 0...400 { starts[s] = 1000 * s }   // 400 sentences of 1,000 words
        let big = Array(Swift.stride(from: 0, to: 360, by: 10)), small = Array(Swift.stride(from: 360, to: 400, by: 2))
        XCTAssertEqual(Word2Vec.chunkSentences(starts, 400, words: 10_000), big + small + [400])
        // 24 sentences: the tail is 3,000 words, inside the last chunk of 10,000
        XCTAssertEqual(Word2Vec.chunkSentences(starts, 24, words: 10_000), [0, 10, 20, 24])
        XCTAssertEqual(Word2Vec.chunkSentences(starts, 0, words: 10_000), [0, 0])
    }

    func testBadOptionsAreRejected() {
        let s = [["a", "b"]]
        XCTAssertThrowsError(try Word2Vec.train(sentences: s, dim: 0, minCount: 1))
        XCTAssertThrowsError(try Word2Vec.train(sentences: s, window: 0, minCount: 1))
        XCTAssertThrowsError(try Word2Vec.train(sentences: s, minCount: 1, threads: 0))
        XCTAssertThrowsError(try Word2Vec.train(sentences: s, minCount: 5)) { e in
            XCTAssertTrue("\(e)".contains("min_count"), "\(e)")
        }
    }

    // MARK: similarity and analogies

    func toyVectors() throws -> WordVectors {
        // royal, male, female, fruit
        try WordVectors(words: ["king", "queen", "man", "woman", "apple"],
                        vectors: [1, 1, 0, 0,  1, 0, 1, 0,  0, 1, 0, 0.1,  0, 0, 1, 0.1,  0, 0, 0, 1], dim: 4)
    }

    func testAnalogyIsAMinusBPlusC() throws {
        let wv = try toyVectors()
        XCTAssertEqual(try wv.analogy("king", "man", "woman").first?.word, "queen")   // king - man + woman
        XCTAssertEqual(try wv.analogy("queen", "woman", "man").first?.word, "king")
        XCTAssertEqual(try wv.similar("king", n: 2).map(\.word), ["man", "queen"])   // 0.70, 0.5
        XCTAssertEqual(try wv.similarity("king", "queen"), 0.5, accuracy: 1e-6)
        XCTAssertEqual(wv.vector("man")!, [0, 1, 0, 0.1])
        XCTAssertNil(wv.vector("pear"))
        XCTAssertThrowsError(try wv.similar("pear")) { e in XCTAssertTrue("\(e)".contains("not in the vocabulary")) }
        XCTAssertEqual(try wv.matrix().shape, [5, 4])
    }

    // MARK: files

    func testWord2VecTextRoundTrip() throws {
        let wv = try WordVectors(words: ["the", "λόγος", "x1"],
                                 vectors: [0.1, -2.5, 1e-7,  3.1415927, 0, -0.33333334,  1e20, -1e-30, 42], dim: 3)
        let text = String(decoding: wv.word2vecText(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("3 3\nthe 0.1 -2.5 1e-07\n"), text)
        let back = try WordVectors.parseWord2VecText(wv.word2vecText())
        XCTAssertEqual(back.words, wv.words)
        XCTAssertEqual(back.vectors, wv.vectors)
        let path = "/tmp/mlp-w2v-test-\(getpid()).txt"
        defer { unlink(path) }
        try wv.save(word2vecText: path)
        XCTAssertEqual(try WordVectors.load(word2vecText: path).vectors, wv.vectors)
        // gensim's files end lines with a space sometimes; tabs and CRLF are tolerated.
        let loose = try WordVectors.parseWord2VecText(Array("2 2\r\na 1 2 \r\nb\t3 4\r\n".utf8))
        XCTAssertEqual(loose.vectors, [1, 2, 3, 4])
    }

    func rejects(_ text: String, _ needle: String, glove: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try glove ? WordVectors.parseGloVe(Array(text.utf8)) : WordVectors.parseWord2VecText(Array(text.utf8)),
                             file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(needle), "\(e)", file: file, line: line)
        }
    }

    func testBadWord2VecFilesAreRejected() {
        rejects("", "empty")
        rejects("3 2\na 1 2\nb 3 4\n", "truncated")
        rejects("2 2\na 1 2\nb 3\n", "line 3 has 1 values after the word, expected 2")
        rejects("2 2\na 1 2\nb 3 4 5\n", "line 3 has 3 values")
        rejects("1 2\na 1 2\nb 3 4\n", "promises 1 vectors but the file has 2")
        // sizes the file cannot hold are refused before anything is allocated for them
        rejects("1 1000000\nw 1\n", "the header promises 1 vectors of 1000000 values, more than the 14-byte file can hold")
        rejects("a 1 2\nb 3 4\n", "line 1 must be \"count dim\"")
        rejects("<html><body>not found</body></html>\n", "line 1 must be")
        rejects("2 2\na 1 2\na 3 4\n", "occurs twice")
        rejects("1 2\na 1 x\n", "\"x\" is not a finite number")
        rejects("1 2\na 1 nan\n", "not a finite number")
        XCTAssertThrowsError(try WordVectors.parseWord2VecText([0x31, 0x20, 0x32, 0x0A, 0x61, 0x20, 0x00, 0x00, 0x80, 0x3F]))
        { e in XCTAssertTrue("\(e)".contains("NUL"), "\(e)") }
        XCTAssertThrowsError(try WordVectors.parseWord2VecText([0x1f, 0x8b, 0x08, 0x00])) { e in XCTAssertTrue("\(e)".contains("gzip")) }
        XCTAssertThrowsError(try WordVectors.parseWord2VecText([0x31, 0xff, 0xfe])) { e in XCTAssertTrue("\(e)".contains("UTF-8")) }
        XCTAssertThrowsError(try WordVectors.load(word2vecText: "/nonexistent/w2v.txt")) { e in XCTAssertTrue("\(e)".contains("cannot open")) }
    }

    func testGloVe() throws {
        let wv = try WordVectors.parseGloVe(Array("the 0.5 -1 2\n, 1 1 1\nof 0 0 3e-3\n".utf8))
        XCTAssertEqual(wv.words, ["the", ",", "of"])
        XCTAssertEqual(wv.dim, 3)
        XCTAssertEqual(wv.vector("of")!, [0, 0, 0.003])
        rejects("2 3\nthe 1 2 3\nof 4 5 6\n", "looks like a word2vec header", glove: true)
        rejects("the 1 2 3\nof 4 5\n", "line 2 has 2 values after the word, expected 3", glove: true)
        rejects("", "empty", glove: true)
    }
}
