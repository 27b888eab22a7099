// Builtins over the one global generator (MLPTensor/Random.swift).
import MLPLang
import MLPTensor

enum RandomLib {
    static func register(_ r: inout Registry) {
        r.fn("seed", [p("n")], doc: "Resets the global generator (xoshiro256** via SplitMix64) so results repeat.",
             example: "seed(42); print(rand())") { a throws(MLPError) in
            let n = try a.int(0)
            guard n >= 0 else { throw a.error("seed must be a non-negative integer, got \(n).", at: 0) }
            GlobalRandom.seed(UInt64(n))
            return .nil
        }
        r.fn("rand", [], rest: "shape", doc: "A uniform random number in [0, 1), or a tensor of them with the given shape.",
             example: "x = rand(); w = rand(3, 2)") { a throws(MLPError) in
            if a.rest.isEmpty { return .number(GlobalRandom.generator.uniform()) }
            let shape = try TensorLib.shapeOf(a, a.rest.count == 1 ? a.rest[0] : .list(a.rest), at: 0)
            return try TensorLib.make(a) { try Tensor.rand(shape) }
        }
        r.fn("randn", [], rest: "shape", doc: "A standard normal random number (mean 0, variance 1), or a tensor of them with the given shape.",
             example: "noise = 0.1 * randn(100)") { a throws(MLPError) in
            if a.rest.isEmpty { return .number(GlobalRandom.generator.normal()) }
            let shape = try TensorLib.shapeOf(a, a.rest.count == 1 ? a.rest[0] : .list(a.rest), at: 0)
            return try TensorLib.make(a) { try Tensor.randn(shape) }
        }
        r.fn("randint", [p("low"), opt("high")], rest: "shape",
             doc: "A random integer in [low, high) (NumPy's convention; randint(n) is in [0, n)), or a tensor of them when a shape follows high.",
             example: "die = randint(1, 7); labels = randint(0, 10, 64)") { a throws(MLPError) in
            var lo = try a.int(0), hi: Int
            if a.isNil(1) { hi = lo; lo = 0 } else { hi = try a.int(1) }
            guard hi > lo else { throw a.error("needs low < high, got [\(lo), \(hi)).") }
            if a.rest.isEmpty { return .number(Double(lo + Int(GlobalRandom.generator.below(UInt64(hi - lo))))) }
            let shape = try TensorLib.shapeOf(a, a.rest.count == 1 ? a.rest[0] : .list(a.rest), at: 2)
            return try TensorLib.make(a) { try Tensor.randint(lo, hi, shape) }
        }
        r.fn("choice", [p("xs")], doc: "A uniformly chosen item of a list, range or string.",
             example: "choice([\"up\", \"down\"])") { a throws(MLPError) in
            let xs = try a.sequence(0)
            guard !xs.isEmpty else { throw a.error("cannot choose from an empty sequence.", at: 0) }
            return xs[Int(GlobalRandom.generator.below(UInt64(xs.count)))]
        }
        r.fn("shuffle", [p("xs")], doc: "Shuffles a list in place (Fisher-Yates) and returns it.",
             example: "shuffle([1, 2, 3, 4])") { a throws(MLPError) in
            let l = try a.list(0)
            var i = l.items.count - 1
            while i > 0 {
                let j = Int(GlobalRandom.generator.below(UInt64(i + 1)))
                l.items.swapAt(i, j)
                i -= 1
            }
            return a[0]
        }
    }
}
