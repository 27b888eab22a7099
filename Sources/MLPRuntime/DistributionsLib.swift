// Random draws from named distributions (NumPy's Generator methods under mlp's
// names): normal, exponential, poisson and permutation. Each takes rng= as the
// other random builtins; numbers with a shape give that many draws, tensor
// parameters one draw per element (broadcast together).
import MLPLang
import MLPTensor
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

enum DistributionsLib {
    static func register(_ r: inout Registry) {
        r.fn("normal", [p("mean", 0), p("std", 1), rngParam], rest: "shape",
             doc: "Normal (Gaussian) draws with the given mean and standard deviation: a number, a tensor of the given shape, or one per element when mean or std is a tensor.",
             example: "mean(normal(5, 2, 1000, rng=generator(1)))   # 5.037383708222043") { a throws(MLPError) in
            try draws(a, [0, 1], rng: 2, check: { i, v throws(MLPError) in
                if i == 1 && !(v >= 0 && v.isFinite) { throw a.error("'std' must be finite and at least 0, got \(formatNumber(v)).", at: 1) }
                if i == 0 && !v.isFinite { throw a.error("'mean' must be finite, got \(formatNumber(v)).", at: 0) }
            }) { ps, g in ps[0] + ps[1] * g.normal() }
        }
        r.fn("exponential", [p("scale", 1), rngParam], rest: "shape",
             doc: "Exponential draws with mean scale (rate 1/scale, NumPy's parameter): a number, a tensor of the given shape, or one per element of a tensor scale.",
             example: "mean(exponential(2, 1000, rng=generator(1)))   # 1.992925292799755") { a throws(MLPError) in
            try draws(a, [0], rng: 1, check: { _, v throws(MLPError) in
                if !(v >= 0 && v.isFinite) { throw a.error("'scale' must be finite and at least 0, got \(formatNumber(v)).", at: 0) }
            }) { ps, g in -Glibc.log1p(-g.uniform()) * ps[0] }
        }
        r.fn("poisson", [p("lam", 1), rngParam], rest: "shape",
             doc: "Poisson counts with mean lam: a number, a tensor of the given shape, or one per element of a tensor lam (NumPy's algorithms: multiplication of uniforms below 10, Hormann's PTRS above).",
             example: "mean(poisson(3.5, 1000, rng=generator(1)))   # 3.473") { a throws(MLPError) in
            try draws(a, [0], rng: 1, check: { _, v throws(MLPError) in
                if !(v >= 0 && v <= 1e10) { throw a.error("'lam' must be between 0 and 1e10, got \(formatNumber(v)).", at: 0) }
            }) { ps, g in Distributions.poisson(ps[0], &g) }
        }
        r.fn("permutation", [p("x"), rngParam],
             doc: "A random permutation: of 0..n-1 for a number n (a tensor), of a tensor's rows (along its first axis), or of a list's items (a new list).",
             example: "permutation(5, rng=generator(3))   # tensor([4, 1, 0, 2, 3])") { a throws(MLPError) in
            let g = try a.generator(1)
            switch a[0] {
            case .number:
                let n = try a.int(0, atLeast: 0)
                return try a.newTensor(at: 0) {
                    let t = try Tensor(uninitializedShape: [n], "permutation")   // checked before allocating
                    let o = t.storage.pointer
                    for i in 0..<n { o[i] = Double(i) }
                    for i in stride(from: n - 1, to: 0, by: -1) {   // Fisher-Yates, as the generator's shuffle
                        let j = Int(g.state.below(UInt64(i + 1)))
                        (o[i], o[j]) = (o[j], o[i])
                    }
                    return t
                }
            case .list(let l):
                var items = l.items
                g.state.shuffle(&items)
                return .list(ListObj(items))
            case .object(let o as TensorValue):
                guard let n = o.t.shape.first else { throw a.error("cannot permute a 0-d tensor.", at: 0) }
                var idx = (0..<n).map(Double.init)
                g.state.shuffle(&idx)
                let order = try TensorValue.vector(idx)
                if let node = o.node { return try TensorLib.track(a) { try node.get([.indices(order)]) } }
                return try a.newTensor(at: 0) { try o.t.get([.indices(order)]) }
            default: throw a.typeError(0, "a number, list or tensor")
            }
        }
    }

    /// Draws of a distribution with parameters at `params`: all numbers give one draw, or
    /// one per element of the trailing shape; tensors give one per element of their
    /// broadcast shape. `check` sees every parameter value before anything is drawn.
    static func draws(_ a: Args, _ params: [Int], rng: Int, check: (Int, Double) throws(MLPError) -> Void,
                      _ draw: @escaping ([Double], inout Xoshiro256) -> Double) throws(MLPError) -> Value {
        let g = try a.generator(rng)
        if params.allSatisfy({ if case .number = a[$0] { return true }; return false }) {
            var ps: [Double] = []
            for i in params { let v = try a.number(i); try check(i, v); ps.append(v) }
            if a.rest.isEmpty { return .number(draw(ps, &g.state)) }
            let shape = try a.trailingShape()
            return try a.newTensor {
                let t = try Tensor(uninitializedShape: shape, a.fn.name)
                let o = t.storage.pointer
                for k in 0..<t.count { o[k] = draw(ps, &g.state) }
                return t
            }
        }
        guard a.rest.isEmpty else {
            throw a.error("a shape goes with number parameters; tensor parameters give one draw per element.", at: params[0])
        }
        var ts: [Tensor] = []
        for i in params { ts.append(try a.untrackedTensor(i)) }
        let shape: [Int] = try a.native { try ts.dropFirst().reduce(ts[0].shape) { try Tensor.broadcastShape($0, $1.shape) } }
        let full = try a.native { try ts.map { try $0.broadcast(to: shape).scalars } }
        for (k, i) in params.enumerated() { for v in full[k] { try check(i, v) } }
        return try a.newTensor {
            let t = try Tensor(uninitializedShape: shape, a.fn.name)
            let o = t.storage.pointer
            var ps = [Double](repeating: 0, count: params.count)
            for e in 0..<t.count {
                for k in params.indices { ps[k] = full[k][e] }
                o[e] = draw(ps, &g.state)
            }
            return t
        }
    }
}
