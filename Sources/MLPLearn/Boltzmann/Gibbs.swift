// Block Gibbs sampling of an RBM: v -> h ~ P(h | v) -> v' ~ P(v | h), all chains
// (the rows of the start) at once.
import MLPTensor

extension RBM {
    /// Runs `steps` Gibbs steps from each row of `start` ([chains, visible] or one
    /// [visible]). Returns the last state, or with `every` the states after every
    /// `every`-th step, [steps / every, chains, visible]. With `means` what is
    /// returned is E[v | h] of that step (smoother pictures); the chain itself
    /// always continues from the sample.
    public func gibbs(_ start: Tensor, steps: Int, every: Int?, means: Bool, random: inout Xoshiro256) throws -> Tensor {
        let n = try checkData(start, nil)
        guard steps >= 0 else { throw OperationError(nil, "steps must be at least 0, got \(steps).") }
        let nv = visible, nh = hidden
        let snaps = every.map { steps / $0 } ?? 0
        var v = start.scalars, h = [Double](repeating: 0, count: n * nh), pv = v
        var out = [Double]()
        if snaps > 0 {
            try Tensor.checkShape([snaps, n, nv], "gibbs")
            out.reserveCapacity(snaps * n * nv)
        }
        v.withUnsafeMutableBufferPointer { v in h.withUnsafeMutableBufferPointer { h in pv.withUnsafeMutableBufferPointer { pv in
            let v = v.baseAddress!, h = h.baseAddress!, pv = pv.baseAddress!
            for s in 0..<steps {
                hiddenProbabilities(v, n, h)
                sampleBinary(h, n * nh, &random)
                visibleMeans(h, n, pv)
                v.update(from: pv, count: n * nv)
                sampleVisible(v, n * nv, &random)
                if let e = every, (s + 1) % e == 0 {
                    out.append(contentsOf: UnsafeBufferPointer(start: means ? pv : v, count: n * nv))
                }
            }
        }}}
        let one = start.ndim == 1
        if every != nil { return try Tensor(out, shape: one ? [snaps, nv] : [snaps, n, nv]) }
        return try Tensor(means && steps > 0 ? pv : v, shape: one ? [nv] : [n, nv])
    }
}
