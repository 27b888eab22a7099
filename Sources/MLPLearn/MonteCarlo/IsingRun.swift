// Running IsingChains and recording, after every sweep, each chain's energy and
// magnetization per site: the series that MCStatistics turns into estimates.
import MLPTensor

/// The per-sweep series of a run, `chains` rows of `sweeps`, row-major.
public struct IsingSeries {
    public var chains: Int, sweeps: Int
    /// Energy per site E / N.
    public var energy: [Double]
    /// Magnetization per site M / N.
    public var magnetization: [Double]
    /// Clusters per sweep and spins they flipped (Wolff), or 0.
    public var clusters: [Double]
    public var flipped: [Double]
}

extension IsingChains {
    /// Runs `burnIn` sweeps of every chain without recording (for Wolff at least 20:
    /// the second half gives the mean cluster size that fixes the clusters per sweep),
    /// then `measure` sweeps recording after each. Chains run on up to `threads` threads
    /// (each chain draws from its own streams, so the numbers do not depend on the
    /// thread count). `poll` is called between blocks of sweeps (Ctrl-C).
    /// `progress(done, total)` is told of the sweeps done after each block.
    public func run(update: IsingUpdate, burnIn: Int, measure: Int, threads: Int = 1,
                    poll: (() throws -> Void)? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> IsingSeries {
        if update == .wolff && model.h != 0 {
            throw OperationError(nil, "the Wolff update needs h = 0 (got h = \(model.h)); use update=\"metropolis\" in a field.")
        }
        let n = Double(model.sites)
        var series = IsingSeries(chains: chains, sweeps: measure,
                                 energy: [Double](repeating: 0, count: chains * measure),
                                 magnetization: [Double](repeating: 0, count: chains * measure),
                                 clusters: [Double](repeating: 0, count: chains * measure),
                                 flipped: [Double](repeating: 0, count: chains * measure))
        let parts = Swift.max(1, Swift.min(threads, chains))
        let stacks = UnsafeMutablePointer<Int32>.allocate(capacity: update == .wolff ? parts * 2 * model.sites : 1)
        defer { stacks.deallocate() }
        // Wolff: clusters per measured sweep, per chain, from the mean cluster size over the
        // second half of the burn-in, which is at least 20 sweeps (each flipping L^d spins)
        // (raw memory: the chains' threads write their own entries)
        let burnIn = update == .wolff ? Swift.max(burnIn, 20) : burnIn
        let counters = UnsafeMutablePointer<Int>.allocate(capacity: 3 * chains)
        counters.initialize(repeating: 0, count: 3 * chains)
        defer { counters.deallocate() }
        let perSweep = counters, burnClusters = counters + chains, burnFlipped = counters + 2 * chains
        // Wolff works on each chain's spins in natural order (one byte a site)
        let natural = UnsafeMutablePointer<Int8>.allocate(capacity: update == .wolff ? chains * model.sites : 1)
        defer { natural.deallocate() }
        if update == .wolff { for c in 0..<chains { unpack(c, into: natural + c * model.sites) } }
        defer { if update == .wolff { for c in 0..<chains { pack(c, from: natural + c * model.sites) } } }
        let block = Swift.max(1, 20_000_000 / Swift.max(model.sites * chains, 1))
        let total = burnIn + measure
        var done = 0
        try series.energy.withUnsafeMutableBufferPointer { ep in
            try series.magnetization.withUnsafeMutableBufferPointer { mp in
                try series.clusters.withUnsafeMutableBufferPointer { cp in
                  try series.flipped.withUnsafeMutableBufferPointer { fp in
                    let e = ep.baseAddress!, m = mp.baseAddress!, cl = cp.baseAddress!, fl = fp.baseAddress!
                    while done < total {
                        let upto = Swift.min(total, done + block), from = done
                        onThreads(parts) { part in
                            let stack = stacks + (update == .wolff ? part * 2 * self.model.sites : 0)
                            var c = part
                            while c < self.chains {
                                for t in from..<upto {
                                    var clusters = 0, flips = 0
                                    switch update {
                                    case .metropolis: self.metropolisSweep(c)
                                    case .wolff:
                                        if t == burnIn {
                                            let mean = Double(burnFlipped[c]) / Double(Swift.max(burnClusters[c], 1))
                                            perSweep[c] = Swift.max(1, Int((Double(self.model.sites) / mean).rounded()))
                                        }
                                        let (k, f) = self.wolffSweep(c, natural + c * self.model.sites, stack, clusters: perSweep[c])
                                        clusters = k; flips = f
                                        if t < burnIn && 2 * t >= burnIn { burnClusters[c] += k; burnFlipped[c] += f }
                                    }
                                    if t >= burnIn {
                                        let at = c * measure + t - burnIn
                                        e[at] = self.model.energy(bonds: self.B[c], magnetization: self.M[c]) / n
                                        m[at] = Double(self.M[c]) / n
                                        cl[at] = Double(clusters); fl[at] = Double(flips)
                                    }
                                }
                                c += parts
                            }
                        }
                        done = upto
                        progress?(done, total)
                        try poll?()
                    }
                  }
                }
            }
        }
        return series
    }

    /// The spins of chain c as doubles, [L, L] (or [L]) row-major.
    public func configuration(_ c: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(model.sites)
        for i in 0..<rows { for j in 0..<model.L { out.append(Double(spin(c, i, j))) } }
        return out
    }
}
