// word2vec's settings and the formulas of its schedule, as in Mikolov's C code
// (word2vec.c) and gensim 4, so that tests can check them by hand.

/// skip-gram (predict each context word from the centre word) or CBOW (predict
/// the centre word from the mean of its context vectors).
public enum Word2VecMode: String, Sendable {
    case skipgram, cbow
}

/// The settings of `Word2Vec.train`; the defaults are gensim's and the C code's.
public struct Word2VecOptions: Sendable {
    /// Vector size.
    public var dim = 100
    /// Largest distance of a context word; each centre word draws its own window
    /// uniformly from 1...window (the C code's "reduced window").
    public var window = 5
    /// Noise words per positive pair, drawn from the unigram^0.75 distribution.
    public var negative = 5
    public var mode = Word2VecMode.skipgram
    /// Words seen fewer times are dropped before training.
    public var minCount = 5
    public var epochs = 1
    /// Frequent-word subsampling threshold s (0 turns it off).
    public var subsample = 1e-3
    /// Starting learning rate: 0.025 for both modes, as gensim 4. (word2vec.c starts
    /// CBOW at 0.05; after one epoch on the KJV Bible that gave neighbour lists far
    /// from gensim's, top-10 overlap 1.9 against 4.3 at 0.025, and king-queen 0.63.)
    public var lr = 0.025
    /// The rate decays linearly to lr * minLrFraction over all words of all epochs.
    public var minLrFraction = 1e-4
    /// Worker threads (Hogwild: the corpus is cut into chunks of 10,000 words dealt
    /// to the threads in turn, which update the shared vectors without locks).
    /// Only 1 thread is reproducible.
    public var threads = 1
    public var seed: UInt64 = 1
    /// Input vectors start uniform in (-initRange/dim, initRange/dim): 1 as gensim 4
    /// (keyedvectors.prep_vectors), 0.5 as word2vec.c and gensim 3. After one epoch
    /// on the KJV Bible, 1 gives neighbour lists closer to gensim 4's.
    public var initRange = 1.0

    public init() {}

}

extension Word2Vec {
    /// Probability of keeping one occurrence of a word seen `count` times among
    /// `total` training words: (sqrt(f / (s total)) + 1) (s total) / f with f = count,
    /// capped at 1 (word2vec.c and gensim). s = 0 keeps everything.
    public static func keepProbability(count: Int, total: Int, subsample s: Double) -> Double {
        guard s > 0, count > 0 else { return 1 }
        let threshold = s * Double(total), f = Double(count)
        return Swift.min(1, ((f / threshold).squareRoot() + 1) * threshold / f)
    }

    /// Learning rate after a fraction `progress` (0...1) of all words of all epochs:
    /// linear from lr down to lr * minFraction (gensim's schedule, with min_alpha = lr * 1e-4).
    public static func learningRate(start lr: Double, progress: Double, minFraction: Double = 1e-4) -> Double {
        let p = Swift.min(Swift.max(progress, 0), 1)
        return lr - (lr - lr * minFraction) * p
    }
}
