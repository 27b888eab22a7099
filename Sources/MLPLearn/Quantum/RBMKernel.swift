// The hot loop of VMC with the real RBM: Metropolis sweeps, local energies and
// log-derivatives of sampled configurations from raw tables of one parameter set,
// with no exponential or logarithm per move in the usual case. The cache of a
// configuration is RBMWavefunction's (theta, sigma(2 theta), sigma(-2 theta)); a
// move of spin i (and j) changes theta_h by d_h and multiplies psi by
//   r = e^(-2 a_i s_i) prod_h f_h,  f_h = e^(d_h) sigma(2 theta_h) + e^(-d_h) sigma(-2 theta_h),
// a product of positive terms from the tables exp(+-2 W). An accepted move updates
// the sigmas by the same terms, sigma' = e^(d_h) sigma / f_h and sigma-' = e^(-d_h)
// sigma- / f_h (one division; no cancellation), recomputed from theta when one of
// them falls below 1e-250; the caches are refilled exactly at every batch. The
// product is checked every 16 factors and the final ratio must lie within
// [1e-280, 1e280]; outside, the log-ratio from the thetas is used (exact, slower).
// A machine with some |W_ij| > 10 (RBMWavefunction.fastUsable false) uses the
// log-ratios from the thetas throughout.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public final class RBMKernel: @unchecked Sendable {
    let psi: RBMWavefunction
    let N: Int, M: Int
    /// exp(-2 W) then exp(2 W) (N x M each), then exp(-2 a) and exp(2 a) (N each).
    let table: UnsafeMutablePointer<Double>
    public let fast: Bool

    /// Tables of psi's current parameters (immutable while the kernel is used).
    public init(_ psi: RBMWavefunction) {
        self.psi = psi
        let N = psi.sites, M = psi.hidden, NM = N * M
        self.N = N; self.M = M
        let table = UnsafeMutablePointer<Double>.allocate(capacity: 2 * NM + 2 * N)
        self.table = table
        fast = psi.parameters.withUnsafeBufferPointer { p in
            let W = p.baseAddress! + N + M
            var ok = true
            for k in 0..<NM {
                if !(abs(W[k]) <= 10) { ok = false }
                table[k] = exp(-2 * W[k]); table[NM + k] = exp(2 * W[k])
            }
            for i in 0..<N { table[2 * NM + i] = exp(-2 * p[i]); table[2 * NM + N + i] = exp(2 * p[i]) }
            return ok
        }
    }

    deinit { table.deallocate() }

    /// psi(s') / psi(s) for the flip of i (j = -1) or the exchange of i and j.
    @inline(__always) public func ratio(_ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>, _ i: Int, _ j: Int) -> Double {
        guard fast else { return exp(psi.logRatio(s, cache, i, j)) }
        let M = self.M, NM = N * M
        let up = cache + M, dn = cache + 2 * M
        // e^(d) and e^(-d) rows for spin i: d = -2 W_ih s_i
        let ei = table + (s[i] > 0 ? 0 : NM) + i * M, fi = table + (s[i] > 0 ? NM : 0) + i * M
        var prod = table[2 * NM + (s[i] > 0 ? 0 : N) + i]
        if j < 0 {
            for h in 0..<M {
                prod *= ei[h] * up[h] + fi[h] * dn[h]
                if h & 15 == 15 && !(prod > 1e-280 && prod < 1e280) { return exp(psi.logRatio(s, cache, i, j)) }
            }
        } else {
            let ej = table + (s[j] > 0 ? 0 : NM) + j * M, fj = table + (s[j] > 0 ? NM : 0) + j * M
            prod *= table[2 * NM + (s[j] > 0 ? 0 : N) + j]
            for h in 0..<M {
                prod *= ei[h] * ej[h] * up[h] + fi[h] * fj[h] * dn[h]
                if h & 15 == 15 && !(prod > 1e-280 && prod < 1e280) { return exp(psi.logRatio(s, cache, i, j)) }
            }
        }
        return prod > 1e-280 && prod < 1e280 ? prod : exp(psi.logRatio(s, cache, i, j))
    }

    /// Updates the cache for the move (called before the spins change).
    @inline(__always) public func move(_ s: UnsafePointer<Int8>, _ cache: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int) {
        let M = self.M
        psi.move(s, cache, i, j)
        guard fast else {
            for h in 0..<M { RBMWavefunction.sigmas(cache, h, M) }
            return
        }
        let NM = N * M, up = cache + M, dn = cache + 2 * M
        let ei = table + (s[i] > 0 ? 0 : NM) + i * M, fi = table + (s[i] > 0 ? NM : 0) + i * M
        if j < 0 {
            for h in 0..<M {
                let x = ei[h] * up[h], y = fi[h] * dn[h], inv = 1 / (x + y)
                up[h] = x * inv; dn[h] = y * inv
                if !(up[h] > 1e-250 && dn[h] > 1e-250) { RBMWavefunction.sigmas(cache, h, M) }
            }
        } else {
            let ej = table + (s[j] > 0 ? 0 : NM) + j * M, fj = table + (s[j] > 0 ? NM : 0) + j * M
            for h in 0..<M {
                let x = ei[h] * ej[h] * up[h], y = fi[h] * fj[h] * dn[h], inv = 1 / (x + y)
                up[h] = x * inv; dn[h] = y * inv
                if !(up[h] > 1e-250 && dn[h] > 1e-250) { RBMWavefunction.sigmas(cache, h, M) }
            }
        }
    }

    /// `sites` Metropolis moves of the configuration s (the random numbers of
    /// SpinChains.sweep: a site, a second site for an exchange, a uniform number when
    /// |psi(s')/psi(s)|^2 < 1); the number accepted.
    @inline(__always) public func sweep(_ s: UnsafeMutablePointer<Int8>, _ cache: UnsafeMutablePointer<Double>, _ g: inout Xoshiro256, move kind: SpinMove) -> Int {
        var acc = 0
        let n = UInt64(N)
        for _ in 0..<N {
            let i = Int(g.below(n))
            var j = -1
            if kind == .exchange {
                j = Int(g.below(n))
                if s[i] == s[j] { continue }
            }
            let r = ratio(s, cache, i, j)
            let q = r * r
            if q >= 1 || g.uniform() < q {
                move(s, cache, i, j)
                if j < 0 { s[i] = -s[i] } else { let t = s[i]; s[i] = s[j]; s[j] = t }
                acc += 1
            }
        }
        return acc
    }

    /// The local energy sum_s' H_s's psi(s') / psi(s).
    @inline(__always) public func localEnergy(_ H: SpinHamiltonian, _ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>) -> Double {
        var e = H.diagonalElement(s)
        for t in H.offDiagonal {
            let m = t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
            if m != 0 { e += m * ratio(s, cache, t.i, t.j) }
        }
        for t in H.multiFlip { e += t.element(s) * exp(psi.logRatio(s, cache, flips: t.flips)) }
        return e
    }

    /// The log-derivatives s_i, tanh(theta_h), s_i tanh(theta_h), with tanh(theta) =
    /// sigma(2 theta) - sigma(-2 theta) from the cache.
    @inline(__always) public func logDerivatives(_ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>, _ o: UnsafeMutablePointer<Double>) {
        let N = self.N, M = self.M, up = cache + M, dn = cache + 2 * M
        for i in 0..<N { o[i] = Double(s[i]) }
        let t = o + N
        for h in 0..<M { t[h] = up[h] - dn[h] }
        for i in 0..<N {
            let row = o + N + M + i * M
            if s[i] > 0 { for h in 0..<M { row[h] = t[h] } } else { for h in 0..<M { row[h] = -t[h] } }
        }
    }
}
