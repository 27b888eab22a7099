// The corpus of Word2Vec.train as word ids: the vocabulary (words seen at least
// minCount times, most frequent first, ties in order of first appearance, gensim's
// order) and each sentence's in-vocabulary words as ids in one buffer. Every word of
// the corpus is hashed once: pieces of the corpus (one a thread) number their words
// in order of first appearance and keep each token's number; the pieces' numbers are
// then mapped to the vocabulary's ids. (Counting first and looking every word up
// again after hashed each twice, one thread: 10% of a one-thread training on the KJV
// Bible, and more of a two-thread one.)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor

final class W2VCorpus {
    let words: [String]
    let counts: [Int]
    /// The in-vocabulary words of all sentences as ids, sentence after sentence.
    let ids: UnsafeMutablePointer<Int32>
    /// Sentence i is ids[starts[i] ..< starts[i + 1]] (sentences.count + 1 entries).
    let starts: UnsafeMutablePointer<Int>
    /// The most in-vocabulary words of one sentence.
    let longest: Int

    /// The words of one piece of the corpus in order of first appearance, their counts.
    struct Piece {
        var index: [String: Int32] = [:]
        var words: [String] = []
        var counts: [Int] = []
    }

    /// Numbers the words of sentences lo..<hi in order of first appearance; token k of the
    /// piece gets its number in tokens[k] when tokens is given.
    static func count(_ sentences: UnsafeBufferPointer<[String]>, _ lo: Int, _ hi: Int,
                      _ tokens: UnsafeMutablePointer<Int32>?) -> Piece {
        var piece = Piece()
        var k = 0
        for s in lo..<hi {
            for w in sentences[s] {
                let i: Int32
                if let known = piece.index[w] {
                    i = known
                    piece.counts[Int(i)] += 1
                } else {
                    i = Int32(truncatingIfNeeded: piece.words.count)
                    piece.index[w] = i
                    piece.words.append(w)
                    piece.counts.append(1)
                }
                tokens?[k] = i
                k &+= 1
            }
        }
        return piece
    }

    /// The vocabulary's word numbers (among counts, numbered in order of first appearance)
    /// in vocabulary order: count >= minCount, most frequent first, ties by first appearance.
    static func order(_ counts: [Int], minCount: Int) -> [Int] {
        (0..<counts.count).filter { counts[$0] >= minCount }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    }

    /// The sentences as ids, counted in up to `threads` pieces at once.
    init(_ sentences: [[String]], minCount: Int, threads: Int) throws {
        let count = sentences.count
        var raw = [Int](repeating: 0, count: count + 1)   // sentence s's tokens start at raw[s]
        for s in 0..<count { raw[s + 1] = raw[s] + sentences[s].count }
        let tokens = try Word2Vec.allocateAligned(raw[count], Int32.self)
        defer { free(tokens) }
        // pieces of about equal numbers of words, each of whole sentences
        let parts = Swift.max(1, Swift.min(threads, raw[count] / 50_000, count))
        var bounds = [0]
        for p in 1..<parts {
            let target = raw[count] * p / parts
            var s = bounds[p - 1]
            while s < count && raw[s] < target { s += 1 }
            bounds.append(s)
        }
        bounds.append(count)
        let pieces = UnsafeMutablePointer<Piece>.allocate(capacity: parts)
        defer { pieces.deinitialize(count: parts); pieces.deallocate() }
        sentences.withUnsafeBufferPointer { sb in
            // Swift values on worker threads: this module counts references atomically, and
            // the caller waits here, touching none of them
            onThreads(parts) { p in
                (pieces + p).initialize(to: W2VCorpus.count(sb, bounds[p], bounds[p + 1], tokens + raw[bounds[p]]))
            }
        }

        // all words numbered in order of first appearance: piece 0's, then piece 1's new ones, ...
        var index = pieces[0].index, counts = pieces[0].counts
        var all = pieces[0].words
        var local: [[Int32]] = [Array(0..<Int32(truncatingIfNeeded: all.count))]
        for p in 1..<parts {
            var map = [Int32](repeating: 0, count: pieces[p].words.count)
            for (l, w) in pieces[p].words.enumerated() {
                if let g = index[w] {
                    map[l] = g
                    counts[Int(g)] += pieces[p].counts[l]
                } else {
                    let g = Int32(truncatingIfNeeded: all.count)
                    index[w] = g; all.append(w); counts.append(pieces[p].counts[l])
                    map[l] = g
                }
            }
            local.append(map)
        }
        let order = W2VCorpus.order(counts, minCount: minCount)
        var id = [Int32](repeating: -1, count: all.count)
        for (i, g) in order.enumerated() { id[g] = Int32(truncatingIfNeeded: i) }
        words = order.map { all[$0] }
        self.counts = order.map { counts[$0] }

        // each piece's numbers as ids (-1: not in the vocabulary), and where its ids go
        var outStart = [0]
        for p in 0..<parts {
            for l in local[p].indices {
                local[p][l] = id[Int(local[p][l])]
            }
            var kept = 0
            for l in local[p].indices where local[p][l] >= 0 { kept += pieces[p].counts[l] }
            outStart.append(outStart[p] + kept)
        }
        let total = outStart[parts]
        ids = try Word2Vec.allocateAligned(Swift.max(total, 1), Int32.self)
        do {
            starts = try Word2Vec.allocateAligned(count + 1, Int.self)
        } catch {
            free(ids)
            throw error
        }
        let ids = self.ids, starts = self.starts
        var longestOf = [Int](repeating: 0, count: parts)
        local.withUnsafeBufferPointer { maps in
            longestOf.withUnsafeMutableBufferPointer { longestOf in
                onThreads(parts) { p in
                    maps[p].withUnsafeBufferPointer { map in
                        var pos = outStart[p], longest = 0
                        for s in bounds[p]..<bounds[p + 1] {
                            starts[s] = pos
                            for k in raw[s]..<raw[s + 1] {
                                let i = map[Int(tokens[k])]
                                if i >= 0 { ids[pos] = i; pos &+= 1 }
                            }
                            longest = Swift.max(longest, pos - starts[s])
                        }
                        longestOf[p] = longest
                    }
                }
            }
        }
        starts[count] = total
        longest = longestOf.max() ?? 0
    }

    /// Frees ids and starts (the owner calls it when training is done).
    func deallocate() { free(ids); free(starts) }
}
