// Statistics of Markov-chain measurement series (ALPS's and Ambegaokar-Troyer's
// recipe): a mean with an error bar from a binning analysis, the integrated
// autocorrelation time by Sokal's automatic windowing, and jackknife error bars
// for quantities derived from several means (susceptibility, specific heat, the
// Binder cumulant). Series come as `chains` independent rows of equal length,
// row-major; any sampler (Ising, a user's model, a variational wavefunction) can
// hand its measurements here.

/// One level of a binning analysis: bins of `binSize` consecutive measurements
/// (per chain), `bins` of them in all chains together, and the error of the mean
/// that their spread gives.
public struct BinningLevel: Equatable, Sendable {
    public let binSize: Int
    public let bins: Int
    public let error: Double
}

/// A mean with its error bar and the integrated autocorrelation time.
public struct MCEstimate: Sendable {
    public var mean: Double
    /// The error of the mean, from the binning level chosen by `MCStatistics.chosenLevel`.
    public var error: Double
    /// The integrated autocorrelation time (Sokal's convention: 1/2 for uncorrelated
    /// data, error^2 = 2 tau var / n), in measurements; nan when not computed.
    public var tau: Double
    /// The binning analysis, level 0 (the naive error) first.
    public var levels: [BinningLevel]
    /// Measurements in all chains together.
    public var count: Int
    public init(mean: Double, error: Double, tau: Double, levels: [BinningLevel], count: Int) {
        self.mean = mean; self.error = error; self.tau = tau; self.levels = levels; self.count = count
    }
}

public enum MCStatistics {
    /// The fewest bins (all chains together) the chosen level may have: the error of
    /// an error from 32 bins is about 1/sqrt(64) = 12%.
    public static let minimumBins = 32

    /// Checks a series of `chains` rows: an error message, or nil when it can be analysed.
    public static func check(count: Int, chains: Int) -> String? {
        guard chains >= 1 else { return "needs at least one chain, got \(chains)." }
        guard count % chains == 0 else { return "\(count) measurements do not split into \(chains) chains of equal length." }
        guard count / chains >= 2 else { return "needs at least 2 measurements per chain, got \(count / chains)." }
        return nil
    }

    public static func mean(_ x: [Double]) -> Double {
        var s = 0.0
        for v in x { s += v }
        return s / Double(x.count)
    }

    /// The binning analysis: level k averages 2^k consecutive measurements of each
    /// chain (an odd one left at a chain's end is dropped); levels go on while the
    /// chains together have at least 2 bins.
    public static func binning(_ x: [Double], chains: Int) -> [BinningLevel] {
        let n = x.count / chains
        var cur = x, per = n, size = 1
        var out: [BinningLevel] = []
        while per * chains >= 2 {
            let m = per * chains
            let mu = mean(cur)
            var ss = 0.0
            for v in cur { ss += (v - mu) * (v - mu) }
            out.append(BinningLevel(binSize: size, bins: m, error: (ss / Double(m - 1) / Double(m)).squareRoot()))
            let next = per / 2
            if next == 0 { break }
            var nx = [Double](repeating: 0, count: next * chains)
            for c in 0..<chains {
                for b in 0..<next { nx[c * next + b] = 0.5 * (cur[c * per + 2 * b] + cur[c * per + 2 * b + 1]) }
            }
            cur = nx; per = next; size *= 2
        }
        return out
    }

    /// The level whose error is reported: the last one with at least `minimumBins`
    /// bins (the first when even level 0 has fewer).
    public static func chosenLevel(_ levels: [BinningLevel]) -> Int {
        var k = 0
        for (i, l) in levels.enumerated() where l.bins >= minimumBins { k = i }
        return k
    }

    /// The integrated autocorrelation time, 1/2 + sum_{t=1}^{W} rho(t), with rho
    /// averaged over the chains (deviations from the mean of all chains) and the window
    /// W the smallest with W >= c tau(W) (Sokal's automatic windowing, c = 6). A
    /// constant series gives 0.5 (no fluctuation, nothing correlated).
    public static func autocorrelationTime(_ x: [Double], chains: Int, c: Double = 6) -> Double {
        let n = x.count / chains
        let mu = mean(x)
        var d = x
        for i in d.indices { d[i] -= mu }
        var c0 = 0.0
        for v in d { c0 += v * v }
        c0 /= Double(x.count)
        guard c0 > 0 else { return 0.5 }
        var tau = 0.5
        // direct sums while the window is short, all lags by FFT once it grows
        var lagSums: [Double]? = nil
        for t in 1..<n {
            if lagSums == nil && t > 64 {
                var acc = [Double](repeating: 0, count: n)
                for ch in 0..<chains {
                    let l = FFT.lagProducts(d[(ch * n)..<((ch + 1) * n)])
                    for k in 0..<n { acc[k] += l[k] }
                }
                lagSums = acc
            }
            let s = lagSums?[t] ?? d.withUnsafeBufferPointer { p in
                var s = 0.0
                for ch in 0..<chains { s += lagProduct(p.baseAddress! + ch * n, n - t, t) }
                return s
            }
            tau += s / Double(chains * (n - t)) / c0
            if Double(t) >= c * tau { break }
        }
        return Swift.max(tau, 0.5)
    }

    /// sum_{i < count} x[i] x[i + lag], eight products per step (four partial sums,
    /// which the compiler may not make of a plain loop, would reorder the additions).
    @inline(__always) static func lagProduct(_ x: UnsafePointer<Double>, _ count: Int, _ lag: Int) -> Double {
        var a = SIMD4<Double>(), b = SIMD4<Double>()
        var i = 0
        while i + 8 <= count {
            let p = UnsafeRawPointer(x + i), q = UnsafeRawPointer(x + i + lag)
            let p0 = p.loadUnaligned(as: SIMD4<Double>.self), q0 = q.loadUnaligned(as: SIMD4<Double>.self)
            let p1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self), q1 = q.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
            a += p0 * q0
            b += p1 * q1
            i += 8
        }
        var s = (a + b).sum()
        while i < count { s += x[i] * x[i + lag]; i += 1 }
        return s
    }

    /// Mean, binning error and autocorrelation time of one series.
    public static func estimate(_ x: [Double], chains: Int) -> MCEstimate {
        let levels = binning(x, chains: chains)
        let k = chosenLevel(levels)
        return MCEstimate(mean: mean(x), error: levels[k].error, tau: autocorrelationTime(x, chains: chains),
                          levels: levels, count: x.count)
    }

    /// The bins of the chosen level of several series measured together (each
    /// `chains` rows of `n`): per series, `chains * (n / size)` bin means.
    public static func bins(_ series: [[Double]], chains: Int, size: Int) -> [[Double]] {
        series.map { x in
            let n = x.count / chains, per = n / size
            var out = [Double](repeating: 0, count: chains * per)
            for c in 0..<chains {
                for b in 0..<per {
                    var s = 0.0
                    for i in 0..<size { s += x[c * n + b * size + i] }
                    out[c * per + b] = s / Double(size)
                }
            }
            return out
        }
    }

    /// A quantity derived from the means of several series measured together
    /// (f(<e>, <e^2>) for the specific heat, ...): its value at the full means and
    /// the jackknife error over the bins of the level chosen for the first series.
    public static func jackknife(_ series: [[Double]], chains: Int, _ f: ([Double]) -> Double) -> (value: Double, error: Double, bins: Int) {
        let means = series.map(mean)
        let value = f(means)
        let levels = binning(series[0], chains: chains)
        let size = levels[chosenLevel(levels)].binSize
        let b = bins(series, chains: chains, size: size)
        let m = b[0].count
        guard m >= 2 else { return (value, .nan, m) }
        let sums = b.map { $0.reduce(0, +) }
        var fs = [Double](repeating: 0, count: m)
        var leaveOut = [Double](repeating: 0, count: series.count)
        for i in 0..<m {
            for q in series.indices { leaveOut[q] = (sums[q] - b[q][i]) / Double(m - 1) }
            fs[i] = f(leaveOut)
        }
        let fm = mean(fs)
        var ss = 0.0
        for v in fs { ss += (v - fm) * (v - fm) }
        return (value, (ss * Double(m - 1) / Double(m)).squareRoot(), m)
    }
}
