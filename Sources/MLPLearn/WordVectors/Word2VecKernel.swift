// The training loop of word2vec over raw Float32 buffers (as word2vec.c and
// gensim: float32 halves the memory traffic and doubles the SIMD width; the
// updates are noisy SGD steps, so Double would buy nothing). Rows are padded to a
// multiple of 8 floats with zeros that every update keeps at zero, so the dot
// and axpy loops run on whole SIMD8 vectors. A job owns its scratch buffers and
// random generator; it reads and writes only through the pointers of its
// `W2VJob`, never a Swift object, so two jobs can run on two threads (Hogwild).
//
// Several jobs take chunks of about 10,000 words from a shared counter, in corpus
// order (gensim's job queue), so that a thread the system delays holds up no other.
// They share the input vectors (syn0) without locks, as gensim and word2vec.c. The
// output vectors (syn1) are where two cores collide: every pair of words updates six
// of their rows (the context's target and five noise words drawn by frequency), and
// two cores writing the same rows pass the cache lines back and forth; on the 2-vCPU
// EPYC of bench/word2vec two threads sharing everything spent three times the CPU
// time of one on the same corpus (gensim as much). So each job trains its own copy
// of the output rows of the most frequent words (`hotRows`: Word2Vec.hotRows, 512 of
// the 5,278 words of the KJV Bible, which take most of the draws; the rarer words'
// rows stay shared) and adds what it changed into the shared rows every `mergeWords`
// words for the first `mergeRows` rows and every `sweepWords` words for all of them,
// taking back the shared values (with the other jobs' changes) as it does; a merge
// skips the rows that nobody changed since (a version count per shared row) and only
// reads the shared rows that the others changed. Merging less often made the
// neighbours worse (king-queen 0.68 against 0.73 with merges of all rows every 5,000
// words); copies of all 5,278 rows cost twice the merging of 1,024 and four times
// that of 512 (bench/word2vec/README.md). The last chunks of the corpus are smaller
// (Word2Vec.tailChunks), so that the threads end together.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import Synchronization

/// xoshiro256** (the same generator as MLPTensor's Xoshiro256), inlined here so
/// the hot loop does not call across modules.
struct W2VRandom {
    var s0, s1, s2, s3: UInt64
    init(seed: UInt64) {
        var sm = SplitMix64(seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }
    @inline(__always) mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }
    /// Uniform in 0..<n from the high 32 bits (Lemire's multiply; bias below 2^-32 n).
    @inline(__always) mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
    }
}

/// sigmoid on (-maxExp, maxExp) from a table of 1001 values, as word2vec.c.
enum W2VSigmoid {
    static let maxExp: Float = 6
    static let size = 1000
    static func table() -> UnsafeMutablePointer<Float> {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: size + 1)
        for i in 0...size {
            let x = (Double(i) / Double(size) * 2 - 1) * Double(maxExp)
            t[i] = Float(1 / (1 + exp(-x)))
        }
        return t
    }
}

/// Everything one worker needs, as plain values and pointers.
struct W2VJob {
    var syn0: UnsafeMutablePointer<Float>       // input vectors, n x stride (shared)
    var syn1: UnsafeMutablePointer<Float>       // output vectors, n x stride (shared)
    var hotRows: Int                            // output rows 0..<hotRows are trained in the job's own copies
    var syn1Own: UnsafeMutablePointer<Float>    // the job's copies of those rows, hotRows x stride
    var syn1Base: UnsafeMutablePointer<Float>   // their values at the last merge
    var changed: UnsafeMutablePointer<UInt8>    // hotRows flags: the row was used since its last merge
    var version: UnsafeMutablePointer<UInt32>   // hotRows counters (shared): merges into each shared row so far
    var seen: UnsafeMutablePointer<UInt32>      // hotRows: the version of each row when the job last took it
    var mergeRows: Int, mergeWords: Int         // the first mergeRows rows are merged every mergeWords words,
    var sweepWords: Int                         // all hot rows every sweepWords words
    var mergeLock: UnsafeMutablePointer<Atomic<Int>>   // one merge at a time
    var stride: Int                             // floats from row to row (whole cache lines)
    var rowLen: Int                             // floats of a row the loops run over (dim padded to 8)
    var sigmoid: UnsafeMutablePointer<Float>
    var aliasProb: UnsafeMutablePointer<UInt32> // noise distribution (Walker's alias method)
    var aliasOther: UnsafeMutablePointer<Int32>
    var vocabSize: Int
    var keep: UnsafeMutablePointer<UInt32>      // keep probability * 2^32 (saturated)
    var keepAll: UnsafeMutablePointer<Bool>     // keep probability >= 1
    var ids: UnsafeMutablePointer<Int32>        // the corpus as word ids (in-vocabulary only)
    var starts: UnsafeMutablePointer<Int>       // sentence i is ids[starts[i] ..< starts[i + 1]]
    var chunks: UnsafeMutablePointer<Int>       // chunk c is sentences chunks[c] ..< chunks[c + 1]
    var chunkCount: Int
    var next: UnsafeMutablePointer<Atomic<Int>> // the next chunk to train, counting on over the epochs
    var corpusWords: Int                        // words of one epoch
    var epochs: Int
    var window: Int, negative: Int
    var cbow: Bool
    var lr: Double, minLrFraction: Double
    var seed: UInt64
    var sentence: UnsafeMutablePointer<Int32>   // scratch: the subsampled sentence
    var neu1: UnsafeMutablePointer<Float>       // scratch rows
    var neu1e: UnsafeMutablePointer<Float>
    var ctx: UnsafeMutablePointer<Int32>        // scratch: CBOW context ids
    var stop: UnsafeMutablePointer<Atomic<Int>> // set to 1: every job stops at its next chunk
}

@inline(__always) private func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// a . b over n floats (n a multiple of 8).
@inline(__always) func w2vDot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
    var i = 0
    while i &+ 16 <= n {
        s0 += load8(a + i) * load8(b + i)
        s1 += load8(a + (i &+ 8)) * load8(b + (i &+ 8))
        i &+= 16
    }
    if i < n { s0 += load8(a + i) * load8(b + i) }
    return (s0 + s1).sum()
}

/// y += g x over n floats (n a multiple of 8).
@inline(__always) func w2vAxpy(_ g: Float, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let gv = SIMD8<Float>(repeating: g)
    var i = 0
    while i < n {
        store8(y + i, load8(y + i) + gv * load8(x + i))
        i &+= 8
    }
}

/// Output row `id`: the job's own copy for the hot rows (marked as changed), else the shared one.
@inline(__always) private func w2vRow(_ shared: UnsafeMutablePointer<Float>, _ own: UnsafeMutablePointer<Float>,
                                      _ changed: UnsafeMutablePointer<UInt8>, _ id: Int, _ hot: Int,
                                      _ stride: Int) -> UnsafeMutablePointer<Float> {
    if id >= hot { return shared + id &* stride }
    changed[id] = 1
    return own + id &* stride
}

/// Adds what the job changed in its first `rows` own output rows since their last
/// merge to the shared rows, and takes the shared rows' values, which hold the other
/// jobs' merged changes too: for every row that changed since the job last took it
/// (`all`), or only for those it changed itself. One merge at a time, so that none is
/// lost. A row that neither this job nor another changed since this job last took it
/// is skipped (its merge would change nothing), and a row that only the others changed
/// is copied without writing the shared row, whose cache line then stays shared.
func w2vMerge(_ j: UnsafeMutablePointer<W2VJob>, rows: Int, all: Bool) {
    if rows == 0 { return }
    let stride = j.pointee.stride, rowLen = j.pointee.rowLen, changed = j.pointee.changed
    let own = j.pointee.syn1Own, base = j.pointee.syn1Base, shared = j.pointee.syn1, lock = j.pointee.mergeLock
    let version = j.pointee.version, seen = j.pointee.seen
    while !lock.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged { sched_yield() }
    for r in 0..<rows {
        let at = r &* stride
        if changed[r] != 0 {
            changed[r] = 0
            w2vMergeRows(own: own + at, base: base + at, shared: shared + at, rowLen)
            version[r] &+= 1
            seen[r] = version[r]
        } else if all && seen[r] != version[r] {
            w2vTakeRow(own: own + at, base: base + at, shared: shared + at, rowLen)
            seen[r] = version[r]
        }
    }
    lock.pointee.store(0, ordering: .releasing)
}

/// shared += own - base, then own = base = shared, over `count` floats (a multiple of 8).
@inline(__always)
func w2vMergeRows(own: UnsafeMutablePointer<Float>, base: UnsafeMutablePointer<Float>, shared: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
        let v = load8(shared + i) + (load8(own + i) - load8(base + i))
        store8(shared + i, v); store8(own + i, v); store8(base + i, v)
        i &+= 8
    }
}

/// own = base = shared over `count` floats (a multiple of 8).
@inline(__always)
func w2vTakeRow(own: UnsafeMutablePointer<Float>, base: UnsafeMutablePointer<Float>, shared: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
        let v = load8(shared + i)
        store8(own + i, v); store8(base + i, v)
        i &+= 8
    }
}

/// One step of negative sampling: input row l1 against the output row of `word`
/// (label 1) and `negative` noise words (label 0); output rows updated, the input's
/// gradient added to neu1e.
@inline(__always)
private func w2vNegativeStep(_ j: UnsafeMutablePointer<W2VJob>, _ rng: inout W2VRandom,
                             _ l1: UnsafeMutablePointer<Float>, _ word: Int, _ alpha: Float) {
    let stride = j.pointee.stride, rowLen = j.pointee.rowLen, neu1e = j.pointee.neu1e
    let syn1 = j.pointee.syn1, own = j.pointee.syn1Own, hot = j.pointee.hotRows, changed = j.pointee.changed
    let sig = j.pointee.sigmoid, n = j.pointee.vocabSize
    let prob = j.pointee.aliasProb, other = j.pointee.aliasOther
    let scale = Float(W2VSigmoid.size) / (2 * W2VSigmoid.maxExp)
    var d = 0
    let neg = j.pointee.negative
    while d <= neg {
        var target = word
        var label: Float = 1
        if d > 0 {
            let r = rng.next()
            let i = Int(truncatingIfNeeded: ((r >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
            target = UInt32(truncatingIfNeeded: r) < prob[i] ? i : Int(other[i])
            label = 0
            if target == word { d &+= 1; continue }
        }
        let l2 = w2vRow(syn1, own, changed, target, hot, stride)
        let f = w2vDot(l1, l2, rowLen)
        let g: Float
        if f > W2VSigmoid.maxExp { g = (label - 1) * alpha }
        else if f < -W2VSigmoid.maxExp { g = label * alpha }
        else { g = (label - sig[Int((f + W2VSigmoid.maxExp) * scale)]) * alpha }
        w2vAxpy(g, l2, neu1e, rowLen)
        w2vAxpy(g, l1, l2, rowLen)
        d &+= 1
    }
}

/// Runs one job: chunks taken in turn from the shared counter until all epochs are
/// done. `check` (job 0 only, on the calling thread) is called before the job takes
/// each chunk with the fraction of all words handed out so far; false stops all jobs.
func w2vRunJob(_ j: UnsafeMutablePointer<W2VJob>, check: ((Double) -> Bool)? = nil) {
    var rng = W2VRandom(seed: j.pointee.seed)
    let stride = j.pointee.stride, rowLen = j.pointee.rowLen
    let syn0 = j.pointee.syn0, hot = j.pointee.hotRows
    let neu1 = j.pointee.neu1, neu1e = j.pointee.neu1e, ctx = j.pointee.ctx
    let ids = j.pointee.ids, starts = j.pointee.starts, sent = j.pointee.sentence
    let keep = j.pointee.keep, keepAll = j.pointee.keepAll
    let window = j.pointee.window, cbow = j.pointee.cbow
    let epochs = j.pointee.epochs, words = j.pointee.corpusWords, chunkCount = j.pointee.chunkCount
    let totalWords = Double(Swift.max(1, epochs &* words)), totalChunks = epochs &* chunkCount
    let next = j.pointee.next, stop = j.pointee.stop
    var sinceMerge = 0, sinceSweep = 0
    if hot > 0 {
        // the shared output rows start at zero, and so do this job's copies of them
        j.pointee.syn1Own.initialize(repeating: 0, count: 2 &* hot &* stride)
        j.pointee.changed.initialize(repeating: 0, count: hot)
        j.pointee.seen.initialize(repeating: 0, count: hot)
    }
    defer { w2vMerge(j, rows: hot, all: true) }
    var first = true
    while true {
        if let check {
            // at least once, even when the other jobs took every chunk before this one began
            let upcoming = next.pointee.load(ordering: .relaxed)
            if upcoming >= totalChunks && !first { return }
            first = false
            let at = Swift.min(upcoming, totalChunks &- 1)
            let done = (at / chunkCount) &* words &+ starts[j.pointee.chunks[at % chunkCount]]
            if !check(upcoming >= totalChunks ? 1 : Double(done) / totalWords) { stop.pointee.store(1, ordering: .relaxed) }
        }
        if stop.pointee.load(ordering: .relaxed) != 0 { return }
        let taken = next.pointee.add(1, ordering: .relaxed).oldValue
        if taken >= totalChunks { return }
        let epoch = taken / chunkCount, chunk = taken % chunkCount
        for s in j.pointee.chunks[chunk] ..< j.pointee.chunks[chunk &+ 1] {
            // the rate falls with the position in the corpus (gensim: with the words handed out)
            let progress = Double(epoch &* words &+ starts[s]) / totalWords
            let alpha = Float(Word2Vec.learningRate(start: j.pointee.lr, progress: progress,
                                                    minFraction: j.pointee.minLrFraction))
            let a = starts[s], b = starts[s &+ 1]
            if hot > 0 {
                sinceMerge &+= b &- a; sinceSweep &+= b &- a
                if sinceSweep >= j.pointee.sweepWords { w2vMerge(j, rows: hot, all: true); sinceSweep = 0; sinceMerge = 0 }
                else if sinceMerge >= j.pointee.mergeWords { w2vMerge(j, rows: j.pointee.mergeRows, all: false); sinceMerge = 0 }
            }
            // frequent-word subsampling
            var len = 0
            for k in a..<b {
                let w = Int(ids[k])
                if keepAll[w] || UInt32(truncatingIfNeeded: rng.next() >> 32) < keep[w] {
                    sent[len] = Int32(truncatingIfNeeded: w); len &+= 1
                }
            }
            if len < 2 { continue }
            for i in 0..<len {
                let word = Int(sent[i])
                let reduced = window &- rng.below(window)   // 1...window
                let lo = Swift.max(0, i &- reduced), hi = Swift.min(len &- 1, i &+ reduced)
                if cbow {
                    var cw = 0
                    neu1.update(repeating: 0, count: rowLen)
                    for c in lo...hi where c != i {
                        ctx[cw] = sent[c]; cw &+= 1
                        w2vAxpy(1, syn0 + Int(sent[c]) &* stride, neu1, rowLen)
                    }
                    if cw == 0 { continue }
                    let inv = 1 / Float(cw)
                    var q = 0
                    while q < rowLen { store8(neu1 + q, load8(neu1 + q) * inv); q &+= 8 }
                    neu1e.update(repeating: 0, count: rowLen)
                    w2vNegativeStep(j, &rng, neu1, word, alpha)
                    for c in 0..<cw { w2vAxpy(1, neu1e, syn0 + Int(ctx[c]) &* stride, rowLen) }
                } else {
                    for c in lo...hi where c != i {
                        let l1 = syn0 + Int(sent[c]) &* stride
                        neu1e.update(repeating: 0, count: rowLen)
                        w2vNegativeStep(j, &rng, l1, word, alpha)
                        w2vAxpy(1, neu1e, l1, rowLen)
                    }
                }
            }
        }
    }
}
