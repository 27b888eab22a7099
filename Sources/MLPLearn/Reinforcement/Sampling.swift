// Sampling for policies and the returns of episodes, over raw buffers.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor

public enum RLSampling {
    /// An index drawn from the probabilities p[0..<n] (need not be normalised: the
    /// cumulative sum is scaled by the total). One uniform per draw.
    @inline(__always)
    public static func categorical(_ p: UnsafePointer<Double>, _ n: Int, _ g: inout Xoshiro256) -> Int {
        var total = 0.0
        for j in 0..<n { total += p[j] }
        let u = g.uniform() * total
        var acc = 0.0
        for j in 0..<(n - 1) {
            acc += p[j]
            if u < acc { return j }
        }
        // the last index with a positive weight (rounding may leave u just above the sum)
        var j = n - 1
        while j > 0 && p[j] <= 0 { j -= 1 }
        return j
    }

    /// Checks one row of probabilities: finite, non-negative, a positive sum.
    public static func checkProbabilities(_ p: UnsafePointer<Double>, _ n: Int, row: Int?) throws {
        var total = 0.0
        for j in 0..<n {
            guard p[j].isFinite && p[j] >= 0 else {
                let at = row.map { "row \($0), " } ?? ""
                throw RLError(nil, "probabilities must be finite and non-negative, got \(Tensor.formatNumber(p[j])) at \(at)index \(j).")
            }
            total += p[j]
        }
        guard total > 0 else { throw RLError(nil, "the probabilities\(row.map { " of row \($0)" } ?? "") sum to 0.") }
    }

    /// One index per row of a [rows, n] buffer.
    public static func categoricalRows(_ p: UnsafePointer<Double>, rows: Int, n: Int, _ g: inout Xoshiro256) throws -> [Int] {
        var out = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            try checkProbabilities(p + r * n, n, row: rows > 1 ? r : nil)
            out[r] = categorical(p + r * n, n, &g)
        }
        return out
    }

    /// The cumulative distribution of Binomial(n, p) (n + 1 values): the pmf at the
    /// mode from lgamma, then the ratio recurrence outwards (the tails underflow to 0
    /// harmlessly), summed and normalised: exact to rounding for every n and p.
    public static func binomialCDF(_ n: Int, _ p: Double) -> [Double] {
        var cdf = [Double](repeating: 1, count: n + 1)
        if p <= 0 { return cdf }
        if p >= 1 { for k in 0..<n { cdf[k] = 0 }; return cdf }
        let q = 1 - p, ratio = p / q
        let mode = Swift.min(n, Int((Double(n + 1) * p).rounded(.down)))
        let logMode = lgamma(Double(n + 1)) - lgamma(Double(mode + 1)) - lgamma(Double(n - mode + 1))
            + Double(mode) * log(p) + Double(n - mode) * log1p(-p)
        cdf.withUnsafeMutableBufferPointer { c in
            c[mode] = exp(logMode)
            var k = mode
            while k < n { c[k + 1] = c[k] * (Double(n - k) / Double(k + 1)) * ratio; k += 1 }
            k = mode
            while k > 0 { c[k - 1] = c[k] * (Double(k) / Double(n - k + 1)) / ratio; k -= 1 }
            var acc = 0.0
            for i in 0...n { acc += c[i]; c[i] = acc }
            let total = acc
            for i in 0...n { c[i] /= total }
            c[n] = 1
        }
        return cdf
    }

    /// k ~ Binomial(n, p) by inversion of a prepared CDF (binary search).
    @inline(__always)
    public static func binomial(cdf: [Double], _ g: inout Xoshiro256) -> Int {
        let u = g.uniform()
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if u < cdf[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// k ~ Binomial(n, p) for one draw: counts of Bernoulli trials for small n, else inversion.
    public static func binomial(_ n: Int, _ p: Double, _ g: inout Xoshiro256) -> Int {
        if n <= 32 {
            var k = 0
            for _ in 0..<n where g.uniform() < p { k += 1 }
            return k
        }
        return binomial(cdf: binomialCDF(n, p), &g)
    }

    /// Discounted returns G_t = sum_{t' >= t} gamma^(t'-t) r_t' along the last axis of
    /// [episodes, T] rewards (reward-to-go); with `done` masks, an episode ends where
    /// done is nonzero (later rewards belong to the next episode).
    public static func returns(_ r: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, episodes: Int, length: Int,
                               gamma: Double, done: UnsafePointer<Double>? = nil) {
        for e in 0..<episodes {
            var acc = 0.0
            var t = length - 1
            while t >= 0 {
                let i = e * length + t
                if let done, done[i] != 0 { acc = 0 }
                acc = r[i] + gamma * acc
                out[i] = acc
                t -= 1
            }
        }
    }
}
