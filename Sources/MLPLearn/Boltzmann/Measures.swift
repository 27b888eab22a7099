// What one asks of a trained machine: the conditionals on whole tensors, free
// energy, reconstruction error, pseudo-log-likelihood, and, for small machines,
// the partition function, the exact log-likelihood and its exact gradient by
// enumerating the states of one layer.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

extension RBM {
    /// P(h = 1 | v) for data [n, visible] (or one sample [visible]).
    public func hiddenProbabilities(_ data: Tensor) throws -> Tensor {
        let n = try RBM.rows(data, visible, nil)
        var out = try Tensor(uninitializedShape: data.ndim == 1 ? [hidden] : [n, hidden], "rbm")
        try out.withUnsafeMutableBufferPointer { o in data.withUnsafeBufferPointer { x in hiddenProbabilities(x.baseAddress!, n, o.baseAddress!) } }
        return out
    }

    /// E[v | h] for hidden states [n, hidden] (or one [hidden]).
    public func visibleMeans(_ h: Tensor) throws -> Tensor {
        let n = try RBM.rows(h, hidden, nil, layer: "hidden")
        var out = try Tensor(uninitializedShape: h.ndim == 1 ? [visible] : [n, visible], "rbm")
        try out.withUnsafeMutableBufferPointer { o in h.withUnsafeBufferPointer { x in visibleMeans(x.baseAddress!, n, o.baseAddress!) } }
        return out
    }

    /// F(v) = -log sum_h exp(-E(v, h)) per sample: -a.v - sum_j softplus(b_j + (v W)_j)
    /// (gaussian: |v - a|^2 / 2 - sum_j softplus(...)).
    public func freeEnergy(_ data: Tensor) throws -> [Double] {
        let n = try RBM.rows(data, visible, nil)
        var pre = [Double](repeating: 0, count: n * hidden)
        var out = [Double](repeating: 0, count: n)
        data.withUnsafeBufferPointer { x in
            pre.withUnsafeMutableBufferPointer { p in preActivations(x.baseAddress!, n, p.baseAddress!) }
            visibleBias.withUnsafeBufferPointer { a in
                for r in 0..<n {
                    var f = 0.0
                    for i in 0..<visible {
                        let v = x[r * visible + i]
                        f += units == .binary ? -a[i] * v : 0.5 * (v - a[i]) * (v - a[i])
                    }
                    for j in 0..<hidden { f -= softplus(pre[r * hidden + j]) }
                    out[r] = f
                }
            }
        }
        return out
    }

    /// out = b + v W for n samples (no logistic).
    func preActivations(_ v: UnsafePointer<Double>, _ n: Int, _ out: UnsafeMutablePointer<Double>) {
        hiddenBias.withUnsafeBufferPointer { b in for r in 0..<n { (out + r * hidden).update(from: b.baseAddress!, count: hidden) } }
        weights.withUnsafeBufferPointer { w in
            Tensor.blasProduct(transposeA: false, transposeB: false, n, hidden, visible, alpha: 1, v, visible, w.baseAddress!, hidden, beta: 1, out, hidden)
        }
    }

    /// Mean squared difference per unit between the data and its deterministic
    /// reconstruction E[v | P(h | v)].
    public func reconstructionError(_ data: Tensor) throws -> Double {
        let n = try RBM.rows(data, visible, nil)
        if n == 0 { return .nan }
        var ph = [Double](repeating: 0, count: n * hidden), pv = [Double](repeating: 0, count: n * visible)
        var s = 0.0
        data.withUnsafeBufferPointer { x in
            ph.withUnsafeMutableBufferPointer { ph in
                pv.withUnsafeMutableBufferPointer { pv in
                    hiddenProbabilities(x.baseAddress!, n, ph.baseAddress!)
                    visibleMeans(ph.baseAddress!, n, pv.baseAddress!)
                    for i in 0..<n * visible { let d = x[i] - pv[i]; s += d * d }
                }
            }
        }
        return s / Double(n * visible)
    }

    /// The pseudo-log-likelihood summed over all visible units, averaged over the
    /// samples: mean_v sum_i log P(v_i | v_-i) with log P(v_i | v_-i) =
    /// -softplus(F(v) - F(v with unit i flipped)). Binary units and 0/1 data only.
    public func pseudoLogLikelihood(_ data: Tensor) throws -> Double {
        guard units == .binary else { throw OperationError(nil, "the pseudo-likelihood is for binary visible units (this machine's are gaussian).") }
        let n = try RBM.rows(data, visible, nil)
        guard n > 0 else { return .nan }
        let bad = data.withUnsafeBufferPointer { x in x.firstIndex { $0 != 0 && $0 != 1 } }
        if let k = bad {
            throw OperationError(nil, "the pseudo-likelihood flips units, so the data must be 0 or 1; got \(describe(data.withUnsafeBufferPointer { $0[k] })) at [\(k / visible), \(k % visible)] (binarise it first, e.g. x > 0.5).")
        }
        var pre = [Double](repeating: 0, count: n * hidden)
        var perSample = [Double](repeating: 0, count: n)
        let nv = visible, nh = hidden
        data.withUnsafeBufferPointer { x in
            pre.withUnsafeMutableBufferPointer { p in preActivations(x.baseAddress!, n, p.baseAddress!) }
            weights.withUnsafeBufferPointer { w in
            visibleBias.withUnsafeBufferPointer { a in
            pre.withUnsafeBufferPointer { pre in
            perSample.withUnsafeMutableBufferPointer { out in
                let parts = Swift.max(1, Swift.min(Tensor.kernelThreads, n / 16))
                let x = x.baseAddress!, w = w.baseAddress!, a = a.baseAddress!, pre = pre.baseAddress!, out = out.baseAddress!
                onThreads(parts) { t in
                    var base = [Double](repeating: 0, count: nh)
                    for r in (n * t / parts)..<(n * (t + 1) / parts) {
                        let p = pre + r * nh
                        var sumBase = 0.0
                        for j in 0..<nh { base[j] = softplus(p[j]); sumBase += base[j] }
                        var total = 0.0
                        for i in 0..<nv {
                            let s = 1 - 2 * x[r * nv + i], wi = w + i * nh
                            var diff = a[i] * s - sumBase
                            for j in 0..<nh { diff += softplus(p[j] + s * wi[j]) }
                            total -= softplus(diff)
                        }
                        out[r] = total
                    }
                }
            }}}}
        }
        return perSample.reduce(0, +) / Double(n)
    }

    /// The layer whose states log Z enumerates: the smaller one (only the hidden
    /// layer for gaussian visible units), and the number of states; an error when
    /// there are too many.
    func enumeratedLayer() throws -> (hidden: Bool, units: Int) {
        let useHidden = units == .gaussian || hidden <= visible
        let count = useHidden ? hidden : visible, other = useHidden ? visible : hidden
        guard count <= 30, (1 << count) * (other + 1) <= 1 << 34 else {
            throw OperationError(nil, "enumerating the \(useHidden ? "hidden" : "visible") layer (\(count) units, 2^\(count) states) is too much work; exact values are for machines whose smaller layer has at most about 20 units (use the pseudo-likelihood for large ones).",
                                 kind: .tooLarge(count: count >= 63 ? Int.max : 1 << count, limit: 1 << 30))
        }
        return (useHidden, count)
    }

    /// log Z = log sum_{v,h} exp(-E(v, h)), summing the other layer out analytically
    /// and enumerating the smaller one (in blocks of states, products by BLAS).
    public func logPartition() throws -> Double {
        let (useHidden, count) = try enumeratedLayer()
        let width = useHidden ? hidden : visible, other = useHidden ? visible : hidden
        let states = 1 << count, block = Swift.min(states, 4096)
        var s = [Double](repeating: 0, count: block * width), act = [Double](repeating: 0, count: block * other)
        var terms = [Double](repeating: 0, count: states)
        let halfLog2Pi = 0.5 * log(2 * Double.pi)
        weights.withUnsafeBufferPointer { w in
        visibleBias.withUnsafeBufferPointer { a in
        hiddenBias.withUnsafeBufferPointer { b in
            var start = 0
            while start < states {
                let rows = Swift.min(block, states - start)
                for r in 0..<rows { for u in 0..<width { s[r * width + u] = ((start + r) >> u) & 1 == 1 ? 1 : 0 } }
                s.withUnsafeBufferPointer { sp in act.withUnsafeMutableBufferPointer { ap in
                    // hidden enumerated: act = h W^T ([rows, visible]); visible: act = v W
                    Tensor.blasProduct(transposeA: false, transposeB: useHidden, rows, other, width, alpha: 1, sp.baseAddress!, width,
                                w.baseAddress!, hidden, beta: 0, ap.baseAddress!, other)
                }}
                for r in 0..<rows {
                    var t = 0.0
                    let st = r * width, at = r * other
                    if useHidden {
                        for j in 0..<hidden { t += b[j] * s[st + j] }
                        for i in 0..<visible {
                            let c = act[at + i]
                            t += units == .binary ? softplus(a[i] + c) : a[i] * c + 0.5 * c * c + halfLog2Pi
                        }
                    } else {
                        for i in 0..<visible { t += a[i] * s[st + i] }
                        for j in 0..<hidden { t += softplus(b[j] + act[at + j]) }
                    }
                    terms[start + r] = t
                }
                start += rows
            }
        }}}
        return logSumExp(terms)
    }

    /// The mean log-likelihood of the data: mean(-F(v)) - log Z (for gaussian units a density).
    public func logLikelihood(_ data: Tensor) throws -> Double {
        let logZ = try logPartition()
        let f = try freeEnergy(data)
        return -f.reduce(0, +) / Double(Swift.max(f.count, 1)) - logZ
    }

    /// P(v) for every visible state v (binary units; state s has v_i = bit i of s).
    public func visibleDistribution() throws -> [Double] {
        guard units == .binary, visible <= 20 else {
            throw OperationError(nil, "the distribution over visible states is enumerated for binary machines of at most 20 visible units, this one has \(visible) \(units.rawValue) units.")
        }
        let states = try allStates(visible)
        let f = try freeEnergy(states)
        let logZ = logSumExp(f.map { -$0 })
        return f.map { exp(-$0 - logZ) }
    }

    /// The exact gradient of the mean log-likelihood (binary units, visible layer
    /// enumerated): <v h>_data - <v h>_model, <v>_data - <v>_model, <h>_data - <h>_model
    /// with P(h | v) summed analytically.
    public func exactGradient(_ data: Tensor) throws -> (w: [Double], a: [Double], b: [Double]) {
        let p = try visibleDistribution()
        let states = try allStates(visible)
        func moments(_ x: Tensor, _ weight: [Double]) throws -> ([Double], [Double], [Double]) {
            let ph = try hiddenProbabilities(x)
            var w = [Double](repeating: 0, count: visible * hidden), a = [Double](repeating: 0, count: visible), b = [Double](repeating: 0, count: hidden)
            let n = weight.count
            x.withUnsafeBufferPointer { x in ph.withUnsafeBufferPointer { ph in
                for r in 0..<n {
                    for i in 0..<visible {
                        let v = x[r * visible + i] * weight[r]
                        a[i] += v
                        for j in 0..<hidden { w[i * hidden + j] += v * ph[r * hidden + j] }
                    }
                    for j in 0..<hidden { b[j] += weight[r] * ph[r * hidden + j] }
                }
            }}
            return (w, a, b)
        }
        let n = try RBM.rows(data, visible, nil)
        let (dw, da, db) = try moments(data, [Double](repeating: 1 / Double(n), count: n))
        let (mw, ma, mb) = try moments(states, p)
        return (zip(dw, mw).map { $0 - $1 }, zip(da, ma).map { $0 - $1 }, zip(db, mb).map { $0 - $1 })
    }
}

/// Every binary state of n units, [2^n, n], state s with unit i = bit i of s.
public func allStates(_ n: Int) throws -> Tensor {
    let count = 1 << n
    var t = try Tensor(uninitializedShape: [count, n], "states")
    try t.withUnsafeMutableBufferPointer { p in
        for s in 0..<count { for i in 0..<n { p[s * n + i] = (s >> i) & 1 == 1 ? 1 : 0 } }
    }
    return t
}

func logSumExp(_ xs: [Double]) -> Double {
    guard let m = xs.max(), m.isFinite else { return xs.max() ?? -.infinity }
    var s = 0.0
    for x in xs { s += exp(x - m) }
    return m + log(s)
}

extension RBM {
    static func rows(_ data: Tensor, _ width: Int, _ op: String?, layer: String) throws -> Int {
        if data.ndim == 1 && data.shape[0] == width { return 1 }
        guard data.ndim == 2, data.shape[1] == width else {
            throw OperationError(op, "expected \(layer) states [samples, \(width)], got shape \(Tensor.formatShape(data.shape)).", kind: .shapes([data.shape, [width]]))
        }
        return data.shape[0]
    }
}
