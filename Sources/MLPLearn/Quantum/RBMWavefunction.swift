// The restricted Boltzmann machine wavefunction of Carleo & Troyer with real
// parameters (complex ones come later):
//   log psi(s) = sum_i a_i s_i + sum_j log(2 cosh(theta_j)),  theta_j = b_j + sum_i W_ij s_i,
// with log(2 cosh x) = |x| + log1p(exp(-2|x|)) (no overflow for any x). The
// parameters are one flat array: a (N), b (M), W (N x M, row-major). Ratios for
// one flip or the exchange of two spins use the configuration's cached thetas.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

@inline(__always) func logTwoCosh(_ x: Double) -> Double {
    let y = abs(x)
    return y + log1p(exp(-2 * y))
}

public final class RBMWavefunction {
    public let sites: Int, hidden: Int
    public var parameters: [Double] { didSet { fastReady = false } }
    public var parameterCount: Int { parameters.count }
    /// exp(2 W_ij) and exp(-2 W_ij) for the fast ratios (`refresh`), usable when every
    /// |W_ij| <= 10 (16 factors of at most e^40 stay finite).
    var expPlus: [Double] = [], expMinus: [Double] = []
    public private(set) var fastReady = false, fastUsable = false

    /// The most parameters a machine may have.
    public static let maxParameters = 1 << 24

    public init(sites: Int, hidden: Int, parameters: [Double]) {
        self.sites = sites; self.hidden = hidden; self.parameters = parameters
    }

    /// Parameters drawn from N(0, sigma^2).
    public static func random(sites: Int, hidden: Int, sigma: Double, rng: inout Xoshiro256) throws -> RBMWavefunction {
        guard sites >= 1, hidden >= 1 else { throw OperationError("rbm_psi", "needs at least one visible and one hidden unit.") }
        let (nm, o) = sites.multipliedReportingOverflow(by: hidden)
        guard !o, nm + sites + hidden <= maxParameters else {
            throw OperationError("rbm_psi", "the machine may have at most \(maxParameters) parameters.", kind: .tooLarge(count: o ? Int.max : nm + sites + hidden, limit: maxParameters))
        }
        let p = (0..<(sites + hidden + nm)).map { _ in sigma * rng.normal() }
        return RBMWavefunction(sites: sites, hidden: hidden, parameters: p)
    }

    /// Makes the tables of the fast ratios after the parameters changed.
    public func refresh() {
        let W = parameters[(sites + hidden)...]
        fastUsable = W.allSatisfy { abs($0) <= 10 }
        expPlus = W.map { exp(2 * $0) }; expMinus = W.map { exp(-2 * $0) }
        fastReady = true
    }

    /// The cache of a configuration, 3M doubles: theta, then sigma(2 theta) =
    /// (1 + tanh theta)/2 and sigma(-2 theta) (each accurate on its own, so that
    /// cosh(theta + d)/cosh(theta) = e^d sigma(2 theta) + e^-d sigma(-2 theta) is a sum
    /// of two positive terms, without cancellation).
    public func fill(_ s: UnsafePointer<Int8>, _ cache: UnsafeMutablePointer<Double>) {
        thetas(s, cache)
        for h in 0..<hidden { RBMWavefunction.sigmas(cache, h, hidden) }
    }

    @inline(__always) static func sigmas(_ c: UnsafeMutablePointer<Double>, _ h: Int, _ M: Int) {
        let x = 2 * c[h]
        if x >= 0 { let e = exp(-x); c[M + h] = 1 / (1 + e); c[2 * M + h] = e / (1 + e) }
        else { let e = exp(x); c[M + h] = e / (1 + e); c[2 * M + h] = 1 / (1 + e) }
    }

    /// logRatio from the cache (after `refresh`): a product of M factors per move,
    /// one exponential per hidden unit only for an exchange.
    @inline(__always) public func fastLogRatio(_ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>, _ i: Int, _ j: Int) -> Double {
        guard fastReady && fastUsable else { return logRatio(s, cache, i, j) }
        let N = sites, M = hidden
        let up = cache + M, dn = cache + 2 * M
        return parameters.withUnsafeBufferPointer { p -> Double in
            let si = Double(s[i])
            var r = -2 * p[i] * si, prod = 1.0
            if j < 0 {
                // e^d with d = -2 W_ih s_i
                expPlus.withUnsafeBufferPointer { ep in
                    expMinus.withUnsafeBufferPointer { em in
                        let e = (s[i] > 0 ? em.baseAddress! : ep.baseAddress!) + i * M
                        let f = (s[i] > 0 ? ep.baseAddress! : em.baseAddress!) + i * M
                        for h in 0..<M {
                            prod *= e[h] * up[h] + f[h] * dn[h]
                            if h & 15 == 15 { r += log(prod); prod = 1 }
                        }
                    }
                }
            } else {
                let sj = Double(s[j]), W = p.baseAddress! + N + M
                r -= 2 * p[j] * sj
                let wi = W + i * M, wj = W + j * M
                for h in 0..<M {
                    let e = exp(-2 * (wi[h] * si + wj[h] * sj))
                    prod *= e * up[h] + dn[h] / e
                    if h & 15 == 15 { r += log(prod); prod = 1 }
                }
            }
            return r + log(prod)
        }
    }

    /// Updates the cache for the move (called before the spins change).
    @inline(__always) public func fastMove(_ s: UnsafePointer<Int8>, _ cache: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int) {
        move(s, cache, i, j)
        for h in 0..<hidden { RBMWavefunction.sigmas(cache, h, hidden) }
    }

    /// theta_j = b_j + sum_i W_ij s_i.
    public func thetas(_ s: UnsafePointer<Int8>, _ th: UnsafeMutablePointer<Double>) {
        let N = sites, M = hidden
        parameters.withUnsafeBufferPointer { p in
            let b = p.baseAddress! + N, W = p.baseAddress! + N + M
            for j in 0..<M { th[j] = b[j] }
            for i in 0..<N {
                let si = Double(s[i]), row = W + i * M
                for j in 0..<M { th[j] += si * row[j] }
            }
        }
    }

    public func logPsi(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>) -> Double {
        var r = 0.0
        parameters.withUnsafeBufferPointer { p in
            for i in 0..<sites { r += p[i] * Double(s[i]) }
        }
        for j in 0..<hidden { r += logTwoCosh(th[j]) }
        return r
    }

    /// log psi(s') - log psi(s) for s' = s with i flipped (j = -1) or i and j flipped.
    @inline(__always) public func logRatio(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, _ i: Int, _ j: Int) -> Double {
        let N = sites, M = hidden
        return parameters.withUnsafeBufferPointer { p -> Double in
            let W = p.baseAddress! + N + M
            let di = -2 * Double(s[i]), wi = W + i * M
            var r = p[i] * di
            if j < 0 {
                for h in 0..<M { r += logTwoCosh(th[h] + di * wi[h]) - logTwoCosh(th[h]) }
            } else {
                let dj = -2 * Double(s[j]), wj = W + j * M
                r += p[j] * dj
                for h in 0..<M { r += logTwoCosh(th[h] + di * wi[h] + dj * wj[h]) - logTwoCosh(th[h]) }
            }
            return r
        }
    }

    /// Updates the thetas for the move (called before the spins change).
    @inline(__always) public func move(_ s: UnsafePointer<Int8>, _ th: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int) {
        let N = sites, M = hidden
        parameters.withUnsafeBufferPointer { p in
            let W = p.baseAddress! + N + M
            let di = -2 * Double(s[i]), wi = W + i * M
            for h in 0..<M { th[h] += di * wi[h] }
            if j >= 0 {
                let dj = -2 * Double(s[j]), wj = W + j * M
                for h in 0..<M { th[h] += dj * wj[h] }
            }
        }
    }

    /// The log-derivatives O_k = d log psi / d p_k: s_i, tanh(theta_j), s_i tanh(theta_j).
    public func logDerivatives(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, _ o: UnsafeMutablePointer<Double>) {
        let N = sites, M = hidden
        for i in 0..<N { o[i] = Double(s[i]) }
        for j in 0..<M { o[N + j] = tanh(th[j]) }
        for i in 0..<N {
            let si = Double(s[i]), row = o + N + M + i * M
            for j in 0..<M { row[j] = si * o[N + j] }
        }
    }

    /// The local energy sum_s' H_s's psi(s') / psi(s) (from thetas, or from a whole
    /// cache with `fast`).
    public func localEnergy(_ H: SpinHamiltonian, _ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, fast: Bool = false) -> Double {
        var e = H.diagonalElement(s)
        for t in H.offDiagonal {
            let m = t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
            if m != 0 { e += m * exp(fast ? fastLogRatio(s, th, t.i, t.j) : logRatio(s, th, t.i, t.j)) }
        }
        return e
    }
}
