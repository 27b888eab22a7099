// The restricted Boltzmann machine wavefunction of Carleo & Troyer with real
// parameters, and its translation-symmetric form (tied parameters):
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
    /// |W_ij| <= 10 (a factor lies between e^-40 and 2 e^40 for an exchange, so a
    /// product of 16 stays within the range of doubles).
    var expPlus: [Double] = [], expMinus: [Double] = []
    public private(set) var fastReady = false, fastUsable = false

    /// The most parameters a machine may have.
    public static let maxParameters = 1 << 24

    /// The translation-symmetric RBM: `tied[k]` is the trainable parameter that full
    /// parameter k copies; `features` hidden units per translation.
    public private(set) var tied: [Int32]? = nil
    public private(set) var features = 0
    public private(set) var trainable: [Double] = []

    public init(sites: Int, hidden: Int, parameters: [Double]) {
        self.sites = sites; self.hidden = hidden; self.parameters = parameters
    }

    /// The parameters an optimizer changes (the tied ones for the symmetric RBM).
    public var trainableCount: Int { tied == nil ? parameters.count : trainable.count }
    public var trainableParameters: [Double] {
        get { tied == nil ? parameters : trainable }
        set {
            guard let t = tied else { parameters = newValue; return }
            trainable = newValue
            parameters = t.map { newValue[Int($0)] }
        }
    }

    /// The translations of a periodic chain (shape [N]) or Lx x Ly lattice: the
    /// site that site i goes to under translation g.
    public static func translations(_ shape: [Int]) -> [[Int]] {
        if shape.count == 1 { let n = shape[0]; return (0..<n).map { g in (0..<n).map { ($0 + g) % n } } }
        let Lx = shape[0], Ly = shape[1]
        var out: [[Int]] = []
        for gy in 0..<Ly {
            for gx in 0..<Lx {
                out.append((0..<(Lx * Ly)).map { i in ((i / Lx + gy) % Ly) * Lx + (i % Lx + gx) % Lx })
            }
        }
        return out
    }

    /// The translation-symmetric RBM of Carleo & Troyer: `features` filters w_f
    /// (N each), hidden biases b_f and one visible bias a; hidden unit (f, g) sees
    /// theta = b_f + sum_i w_f[i] s_{T_g(i)}. Parameters: 1 + features + features N.
    public static func symmetric(shape: [Int], features: Int, sigma: Double, rng: inout Xoshiro256) throws -> RBMWavefunction {
        let T = translations(shape)
        let N = T[0].count, G = T.count
        let (M, o) = features.multipliedReportingOverflow(by: G)
        let (nm, o2) = N.multipliedReportingOverflow(by: o ? 0 : M)
        guard features >= 1, !o, !o2, nm + N + M <= maxParameters else {
            throw OperationError("rbm_psi", "the machine may have at most \(maxParameters) parameters.", kind: .tooLarge(count: Int.max, limit: maxParameters))
        }
        var tie = [Int32](repeating: 0, count: N + M + nm)
        for f in 0..<features {
            for g in 0..<G {
                let h = f * G + g
                tie[N + h] = Int32(1 + f)
                for i in 0..<N { tie[N + M + T[g][i] * M + h] = Int32(1 + features + f * N + i) }
            }
        }
        let psi = RBMWavefunction(sites: N, hidden: M, parameters: [])
        psi.tied = tie; psi.features = features
        psi.trainableParameters = (0..<(1 + features + features * N)).map { _ in sigma * rng.normal() }
        return psi
    }

    /// Sums full log-derivatives into the trainable ones (the symmetric RBM).
    @inline(__always) public func reduce(_ full: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        guard let t = tied else { return }
        for k in 0..<trainable.count { out[k] = 0 }
        t.withUnsafeBufferPointer { tp in
            for k in 0..<tp.count { out[Int(tp[k])] += full[k] }
        }
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

    /// logRatio from the cache (after `refresh`): a product of M factors per move
    /// (single flips and exchanges), from the exp(+-2 W) tables, one log per 16.
    @inline(__always) public func fastLogRatio(_ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>, _ i: Int, _ j: Int) -> Double {
        guard fastReady && fastUsable else { return logRatio(s, cache, i, j) }
        let M = hidden
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
                // e^d = e^(-2 W_ih s_i) e^(-2 W_jh s_j), both from the tables
                r -= 2 * p[j] * Double(s[j])
                expPlus.withUnsafeBufferPointer { ep in
                    expMinus.withUnsafeBufferPointer { em in
                        let ei = (s[i] > 0 ? em.baseAddress! : ep.baseAddress!) + i * M
                        let fi = (s[i] > 0 ? ep.baseAddress! : em.baseAddress!) + i * M
                        let ej = (s[j] > 0 ? em.baseAddress! : ep.baseAddress!) + j * M
                        let fj = (s[j] > 0 ? ep.baseAddress! : em.baseAddress!) + j * M
                        for h in 0..<M {
                            prod *= ei[h] * ej[h] * up[h] + fi[h] * fj[h] * dn[h]
                            if h & 15 == 15 { r += log(prod); prod = 1 }
                        }
                    }
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

    /// log psi(s') - log psi(s) for s' = s with every site of `flips` flipped.
    public func logRatio(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, flips: [Int]) -> Double {
        let N = sites, M = hidden
        return parameters.withUnsafeBufferPointer { p -> Double in
            let W = p.baseAddress! + N + M
            var r = 0.0
            for i in flips { r -= 2 * Double(s[i]) * p[i] }
            for h in 0..<M {
                var t = th[h]
                for i in flips { t -= 2 * Double(s[i]) * W[i * M + h] }
                r += logTwoCosh(t) - logTwoCosh(th[h])
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
        for t in H.multiFlip { e += t.element(s) * exp(logRatio(s, th, flips: t.flips)) }
        return e
    }
}
