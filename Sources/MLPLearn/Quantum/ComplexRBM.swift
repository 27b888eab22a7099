// The RBM wavefunction of Carleo & Troyer with complex parameters: a, b, W complex,
//   log psi(s) = sum_i a_i s_i + sum_j log(2 cosh theta_j),  theta_j = b_j + sum_i W_ij s_i,
// a holomorphic function of the parameters, so that O_k = d log psi / d p_k is
// s_i, tanh theta_j, s_i tanh theta_j as in the real machine. The phase of psi lets
// it carry a sign structure (the Heisenberg antiferromagnet without the Marshall
// sign rule). Complex numbers are pairs of doubles with named functions (no
// operator overloads in MLPLearn: they slow the type checking of every expression).
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// A complex number (re, im) for the complex RBM.
public struct CDouble: Sendable, Equatable {
    public var re: Double, im: Double
    public init(_ re: Double, _ im: Double) { self.re = re; self.im = im }
}

@inline(__always) func cMul(_ a: CDouble, _ b: CDouble) -> CDouble {
    CDouble(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

@inline(__always) func cExp(_ z: CDouble) -> CDouble {
    let m = exp(z.re)
    return CDouble(m * cos(z.im), m * sin(z.im))
}

/// log(2 cosh z) for complex z, stable for any Re z: with u = +-z and Re u >= 0,
/// log(2 cosh u) = u + log(1 + e^(-2u)), |e^(-2u)| <= 1 (the imaginary part is one
/// value of the multivalued log; only differences and exp of it are used).
@inline(__always) func logTwoCosh(_ x: Double, _ y: Double) -> CDouble {
    let ux = abs(x), uy = x < 0 ? -y : y
    let m = exp(-2 * ux), wr = m * cos(2 * uy), wi = -m * sin(2 * uy)
    return CDouble(ux + 0.5 * log1p(2 * wr + m * m), uy + atan2(wi, 1 + wr))
}

/// tanh z for complex z: (1 - e^(-2u)) / (1 + e^(-2u)) with u = +-z, Re u >= 0.
@inline(__always) func complexTanh(_ x: Double, _ y: Double) -> CDouble {
    let sgn = x < 0 ? -1.0 : 1.0
    let ux = abs(x), uy = sgn * y
    let m = exp(-2 * ux), wr = m * cos(2 * uy), wi = -m * sin(2 * uy)
    // (1 - w) / (1 + w) = (1 - w)(1 + conj w) / |1 + w|^2
    let nr = 1 - wr, ni = -wi, dr = 1 + wr, di = wi
    let d = dr * dr + di * di
    return CDouble(sgn * (nr * dr + ni * di) / d, sgn * (ni * dr - nr * di) / d)
}

public final class ComplexRBMWavefunction {
    public let sites: Int, hidden: Int
    /// Real and imaginary parts of the parameters: a (N), b (M), W (N x M, row-major).
    public var re: [Double] { didSet { fastReady = false } }
    public var im: [Double] { didSet { fastReady = false } }
    public var parameterCount: Int { re.count }
    /// cosh(2 W_ih) and sinh(2 W_ih) (re, im of each: 4 doubles per weight) for the
    /// fast ratios, usable when every |Re W_ih| <= 10.
    var tables: [Double] = []
    public private(set) var fastReady = false, fastUsable = false

    public init(sites: Int, hidden: Int, re: [Double], im: [Double]) {
        self.sites = sites; self.hidden = hidden; self.re = re; self.im = im
    }

    /// Real and imaginary parts drawn from N(0, sigma^2) each.
    public static func random(sites: Int, hidden: Int, sigma: Double, rng: inout Xoshiro256) throws -> ComplexRBMWavefunction {
        guard sites >= 1, hidden >= 1 else { throw OperationError("rbm_psi", "needs at least one visible and one hidden unit.") }
        let (nm, o) = sites.multipliedReportingOverflow(by: hidden)
        guard !o, nm + sites + hidden <= RBMWavefunction.maxParameters else {
            throw OperationError("rbm_psi", "the machine may have at most \(RBMWavefunction.maxParameters) parameters.",
                                 kind: .tooLarge(count: o ? Int.max : nm + sites + hidden, limit: RBMWavefunction.maxParameters))
        }
        let P = sites + hidden + nm
        var r = [Double](repeating: 0, count: P), i = r
        for k in 0..<P { r[k] = sigma * rng.normal(); i[k] = sigma * rng.normal() }
        return ComplexRBMWavefunction(sites: sites, hidden: hidden, re: r, im: i)
    }

    /// Makes the tables of the fast ratios after the parameters changed.
    public func refresh() {
        let N = sites, M = hidden
        tables = [Double](repeating: 0, count: 4 * N * M)
        fastUsable = true
        for k in 0..<(N * M) {
            let x = 2 * re[N + M + k], y = 2 * im[N + M + k]
            if abs(x) > 20 { fastUsable = false }
            // cosh(x + iy) = cosh x cos y + i sinh x sin y, sinh(x + iy) = sinh x cos y + i cosh x sin y
            tables[4 * k] = cosh(x) * cos(y); tables[4 * k + 1] = sinh(x) * sin(y)
            tables[4 * k + 2] = sinh(x) * cos(y); tables[4 * k + 3] = cosh(x) * sin(y)
        }
        fastReady = true
    }

    /// The cache of a configuration for the fast ratios, 4M + 1 doubles: theta (re,
    /// im), tanh theta (re, im), and 1 when every |tanh theta| <= 1e4 (else the
    /// ratios are computed from the thetas: near a zero of cosh the fast form
    /// cosh(theta + d) / cosh theta = cosh d + tanh theta sinh d loses digits).
    public func fill(_ s: UnsafePointer<Int8>, _ cache: UnsafeMutablePointer<Double>) {
        thetas(s, cache)
        tanhs(cache)
    }

    func tanhs(_ c: UnsafeMutablePointer<Double>) {
        let M = hidden
        var ok = 1.0
        for h in 0..<M {
            let t = complexTanh(c[h], c[M + h])
            c[2 * M + h] = t.re; c[3 * M + h] = t.im
            if !(t.re * t.re + t.im * t.im <= 1e8) { ok = 0 }
        }
        c[4 * M] = ok
    }

    /// Updates the whole cache for the move (called before the spins change).
    public func fastMove(_ s: UnsafePointer<Int8>, _ cache: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int) {
        move(s, cache, i, j)
        tanhs(cache)
    }

    /// logRatio from the cache (after `refresh`): a product of M complex factors
    /// cosh d + tanh theta sinh d from the tables, one complex log per 8.
    @inline(__always) public func fastLogRatio(_ s: UnsafePointer<Int8>, _ cache: UnsafePointer<Double>, _ i: Int, _ j: Int) -> CDouble {
        guard fastReady && fastUsable && cache[4 * hidden] == 1 else { return logRatio(s, cache, i, j) }
        let M = hidden
        let si = Double(s[i]), sj = j >= 0 ? Double(s[j]) : 0
        var r = CDouble(-2 * si * re[i], -2 * si * im[i])
        if j >= 0 { r.re -= 2 * sj * re[j]; r.im -= 2 * sj * im[j] }
        var pr = 1.0, pi = 0.0
        tables.withUnsafeBufferPointer { tp in
            let ti = tp.baseAddress! + 4 * i * M, tj = tp.baseAddress! + 4 * Swift.max(j, 0) * M
            for h in 0..<M {
                // d = -2 s_i W_ih: cosh d = cosh 2W, sinh d = -s_i sinh 2W
                var cr = ti[4 * h], ci = ti[4 * h + 1], sr = -si * ti[4 * h + 2], sim = -si * ti[4 * h + 3]
                if j >= 0 {
                    let c2r = tj[4 * h], c2i = tj[4 * h + 1], s2r = -sj * tj[4 * h + 2], s2i = -sj * tj[4 * h + 3]
                    (cr, ci, sr, sim) = (cr * c2r - ci * c2i + sr * s2r - sim * s2i, cr * c2i + ci * c2r + sr * s2i + sim * s2r,
                                         sr * c2r - sim * c2i + cr * s2r - ci * s2i, sr * c2i + sim * c2r + cr * s2i + ci * s2r)
                }
                let tr = cache[2 * M + h], tim = cache[3 * M + h]
                let fr = cr + tr * sr - tim * sim, fi = ci + tr * sim + tim * sr
                (pr, pi) = (pr * fr - pi * fi, pr * fi + pi * fr)
                if h & 7 == 7 {
                    r.re += 0.5 * log(pr * pr + pi * pi); r.im += atan2(pi, pr)
                    pr = 1; pi = 0
                }
            }
        }
        r.re += 0.5 * log(pr * pr + pi * pi); r.im += atan2(pi, pr)
        return r
    }

    /// The thetas of a configuration: th[0..<M] real parts, th[M..<2M] imaginary parts.
    public func thetas(_ s: UnsafePointer<Int8>, _ th: UnsafeMutablePointer<Double>) {
        let N = sites, M = hidden
        for j in 0..<M { th[j] = re[N + j]; th[M + j] = im[N + j] }
        re.withUnsafeBufferPointer { rp in
            im.withUnsafeBufferPointer { ip in
                for i in 0..<N {
                    let si = Double(s[i]), wr = rp.baseAddress! + N + M + i * M, wi = ip.baseAddress! + N + M + i * M
                    for j in 0..<M { th[j] += si * wr[j]; th[M + j] += si * wi[j] }
                }
            }
        }
    }

    public func logPsi(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>) -> CDouble {
        var r = CDouble(0, 0)
        for i in 0..<sites { r.re += re[i] * Double(s[i]); r.im += im[i] * Double(s[i]) }
        for j in 0..<hidden {
            let l = logTwoCosh(th[j], th[hidden + j])
            r.re += l.re; r.im += l.im
        }
        return r
    }

    /// log psi(s') - log psi(s) for s' = s with the sites `flips` flipped.
    public func logRatio(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, _ flips: UnsafeBufferPointer<Int>) -> CDouble {
        let N = sites, M = hidden
        var r = CDouble(0, 0)
        for i in flips { r.re -= 2 * Double(s[i]) * re[i]; r.im -= 2 * Double(s[i]) * im[i] }
        re.withUnsafeBufferPointer { rp in
            im.withUnsafeBufferPointer { ip in
                for h in 0..<M {
                    var tr = th[h], ti = th[M + h]
                    for i in flips {
                        let d = 2 * Double(s[i])
                        tr -= d * rp[N + M + i * M + h]; ti -= d * ip[N + M + i * M + h]
                    }
                    let a = logTwoCosh(tr, ti), b = logTwoCosh(th[h], th[M + h])
                    r.re += a.re - b.re; r.im += a.im - b.im
                }
            }
        }
        return r
    }

    /// The same for one flip (j < 0) or two.
    @inline(__always) public func logRatio(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, _ i: Int, _ j: Int) -> CDouble {
        var f = (i, j)
        return withUnsafeBytes(of: &f) { raw in
            logRatio(s, th, UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Int.self), count: j < 0 ? 1 : 2))
        }
    }

    /// Updates the thetas for the move (called before the spins change).
    public func move(_ s: UnsafePointer<Int8>, _ th: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int) {
        let N = sites, M = hidden
        for q in (j < 0 ? [i] : [i, j]) {
            let d = -2 * Double(s[q])
            for h in 0..<M { th[h] += d * re[N + M + q * M + h]; th[M + h] += d * im[N + M + q * M + h] }
        }
    }

    /// O_k = d log psi / d p_k (complex): s_i, tanh theta_j, s_i tanh theta_j, into
    /// `or` (real parts) and `oi` (imaginary parts).
    public func logDerivatives(_ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>,
                               _ or: UnsafeMutablePointer<Double>, _ oi: UnsafeMutablePointer<Double>) {
        let N = sites, M = hidden
        for i in 0..<N { or[i] = Double(s[i]); oi[i] = 0 }
        for j in 0..<M {
            let t = complexTanh(th[j], th[M + j])
            or[N + j] = t.re; oi[N + j] = t.im
        }
        for i in 0..<N {
            let si = Double(s[i]), base = N + M + i * M
            for j in 0..<M { or[base + j] = si * or[N + j]; oi[base + j] = si * oi[N + j] }
        }
    }

    /// The local energy sum_s' H_s's psi(s') / psi(s) (complex for a complex psi), from
    /// the thetas or with `fast` from a whole cache.
    public func localEnergy(_ H: SpinHamiltonian, _ s: UnsafePointer<Int8>, _ th: UnsafePointer<Double>, fast: Bool = false) -> CDouble {
        var e = CDouble(H.diagonalElement(s), 0)
        func add(_ m: Double, _ l: CDouble) {
            let z = cExp(l)
            e.re += m * z.re; e.im += m * z.im
        }
        for t in H.offDiagonal {
            let m = t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
            if m != 0 { add(m, fast ? fastLogRatio(s, th, t.i, t.j) : logRatio(s, th, t.i, t.j)) }
        }
        for t in H.multiFlip {
            let m = t.element(s)
            if m != 0 { add(m, t.flips.withUnsafeBufferPointer { logRatio(s, th, $0) }) }
        }
        return e
    }
}
