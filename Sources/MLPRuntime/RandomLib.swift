// Random numbers: the session's default generator behind seed(), and generators as
// values (generator(seed), rng.split(n)) that every random builtin takes as rng=.
// The generator itself is MLPTensor's (Random.swift).
import MLPLang
import MLPTensor

/// A generator as a value: `rng = generator(7)`, `rand(3, rng=rng)`, `rng.split(4)`.
final class GeneratorValue: MLPObject {
    let generator: RandomGenerator
    init(_ g: RandomGenerator) { generator = g }
    override var typeName: String { "generator" }
    override func description(_ interp: Interpreter) -> String { "<generator xoshiro256**>" }
    override var fieldNames: [String] { ["split"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "split":
            return boundMethod("split", [p("n")]) { a throws(MLPError) in
                let n = try a.int(0, in: 1...1 << 20)
                return .list(ListObj(self.generator.split(n).map { .object(GeneratorValue($0)) }))
            }
        default: return nil
        }
    }
}

/// The `rng=` parameter of every random builtin (by keyword only).
let rngParam = Param("rng", DefaultValue.none, keywordOnly: true)

enum RandomLib {
    static func register(_ r: inout Registry) {
        r.fn("seed", [p("n")], doc: "Restarts the session's default generator (xoshiro256** via SplitMix64) so results repeat: rand, randn, layers' initial weights, dropout and shuffling draw from it.",
             example: "seed(42); print(rand())") { a throws(MLPError) in
            a.context.random.reseed(UInt64(try a.int(0, atLeast: 0)))
            return .nil
        }
        r.fn("generator", [opt("seed")],
             doc: "A random generator of its own (xoshiro256**): pass it as rng= to any builtin that draws (rand, randn, randint, choice, shuffle, sample, tsne, word2vec, train, predict, ...); rng.split(n) gives n independent streams (one per Markov chain, environment or process). Without a seed it is seeded from the session's generator (so seed() repeats it too).",
             example: "rng = generator(7); chains = rng.split(4); x = randn(3, rng=chains[0])") { a throws(MLPError) in
            let g = a.isNil(0) ? RandomGenerator(seed: a.context.random.state.next()) : RandomGenerator(seed: UInt64(try a.int(0, atLeast: 0)))
            return .object(GeneratorValue(g))
        }
        r.fn("rand", [rngParam], rest: "shape", doc: "A uniform random number in [0, 1), or a tensor of them with the given shape.",
             example: "x = rand(); w = rand(3, 2)") { a throws(MLPError) in
            let g = try a.generator(0)
            if a.rest.isEmpty { return .number(g.state.uniform()) }
            let shape = try a.trailingShape()
            return try a.newTensor { try Tensor.rand(shape, using: &g.state) }
        }
        r.fn("randn", [rngParam], rest: "shape", doc: "A standard normal random number (mean 0, variance 1), or a tensor of them with the given shape.",
             example: "noise = 0.1 * randn(100)") { a throws(MLPError) in
            let g = try a.generator(0)
            if a.rest.isEmpty { return .number(g.state.normal()) }
            let shape = try a.trailingShape()
            return try a.newTensor { try Tensor.randn(shape, using: &g.state) }
        }
        r.fn("randint", [p("low"), opt("high"), rngParam], rest: "shape",
             doc: "A random integer in [low, high) (NumPy's convention; randint(n) is in [0, n)), or a tensor of them when a shape follows high.",
             example: "die = randint(1, 7); labels = randint(0, 10, 64)") { a throws(MLPError) in
            var lo = try a.int(0), hi: Int
            if a.isNil(1) { hi = lo; lo = 0 } else { hi = try a.int(1) }
            guard hi > lo else { throw a.error("needs low < high, got [\(lo), \(hi)).") }
            let g = try a.generator(2)
            if a.rest.isEmpty { return .number(Double(lo + Int(g.state.below(UInt64(hi - lo))))) }
            let shape = try a.trailingShape()
            return try a.newTensor { try Tensor.randint(lo, hi, shape, using: &g.state) }
        }
        r.fn("choice", [p("xs"), rngParam], doc: "A uniformly chosen item of a list, range or string.",
             example: "choice([\"up\", \"down\"])") { a throws(MLPError) in
            let xs = try a.sequence(0)
            guard !xs.isEmpty else { throw a.error("cannot choose from an empty sequence.", at: 0) }
            return xs[Int(try a.generator(1).state.below(UInt64(xs.count)))]
        }
        r.fn("shuffle", [p("xs"), rngParam], doc: "Shuffles a list in place (Fisher-Yates) and returns it.",
             example: "shuffle([1, 2, 3, 4])") { a throws(MLPError) in
            let l = try a.list(0), g = try a.generator(1)
            g.state.shuffle(&l.items)
            return a[0]
        }
    }
}
