// Exact results for the Ising model, to check samplers against: Onsager's energy
// and Yang's spontaneous magnetization of the infinite square lattice, Kaufman's
// partition function of the finite L x L torus (Ferdinand & Fisher 1969), and
// complete enumeration of small lattices (any L, chain or square).
#if canImport(Glibc)
import Glibc
#endif

public enum IsingExact {
    /// T_c = 2J / ln(1 + sqrt 2) of the square lattice.
    public static func criticalTemperature(J: Double = 1) -> Double { 2 * J / log(1 + 2.0.squareRoot()) }

    /// The complete elliptic integral of the first kind K(k) (modulus k < 1), by the
    /// arithmetic-geometric mean.
    public static func ellipticK(_ k: Double) -> Double {
        var a = 1.0, b = (1 - k * k).squareRoot()
        for _ in 0..<60 where abs(a - b) > 1e-16 * a { (a, b) = ((a + b) / 2, (a * b).squareRoot()) }
        return Double.pi / (2 * a)
    }

    /// Onsager's energy per site of the infinite square lattice (J > 0, h = 0).
    public static func onsagerEnergy(T: Double, J: Double = 1) -> Double {
        let K = J / T
        let t = tanh(2 * K), k = 2 * sinh(2 * K) / (cosh(2 * K) * cosh(2 * K))
        let f = 2 * t * t - 1
        let ell = abs(f) < 1e-15 ? 0 : f * ellipticK(Swift.min(k, 1 - 1e-16))
        return -J / t * (1 + 2 / Double.pi * ell)
    }

    /// Yang's spontaneous magnetization per site (0 at and above T_c).
    public static func onsagerMagnetization(T: Double, J: Double = 1) -> Double {
        let s = sinh(2 * J / T)
        let x = 1 - pow(s, -4)
        return x > 0 ? pow(x, 0.125) : 0
    }

    /// ln Z of the periodic L x L lattice at coupling K = J / T (Kaufman 1949; the
    /// form of Ferdinand & Fisher 1969): Z = 1/2 (2 sinh 2K)^(L^2/2) (Z1 + Z2 + Z3 + Z4).
    public static func kaufmanLogZ(L: Int, K: Double) -> Double {
        let n = Double(L)
        let c = cosh(2 * K) / tanh(2 * K)
        func gamma(_ l: Int) -> Double {
            l == 0 ? 2 * K + log(tanh(K)) : acosh(c - cos(Double.pi * Double(l) / n))
        }
        // log|2 cosh x| and log|2 sinh x| with the sign of sinh
        func logCosh2(_ x: Double) -> Double { abs(x) + log1p(exp(-2 * abs(x))) }
        func logSinh2(_ x: Double) -> (Double, Double) {
            x == 0 ? (-Double.infinity, 0) : (abs(x) + log(-expm1(-2 * abs(x))), x > 0 ? 1 : -1)
        }
        var terms: [(Double, Double)] = [(0, 1), (0, 1), (0, 1), (0, 1)]
        for r in 0..<L {
            let odd = n * gamma(2 * r + 1) / 2, even = n * gamma(2 * r) / 2
            terms[0].0 += logCosh2(odd)
            let s2 = logSinh2(odd); terms[1].0 += s2.0; terms[1].1 *= s2.1
            terms[2].0 += logCosh2(even)
            let s4 = logSinh2(even); terms[3].0 += s4.0; terms[3].1 *= s4.1
        }
        let top = terms.map { $0.0 }.max()!
        var sum = 0.0
        for (l, s) in terms where s != 0 && l > -Double.infinity { sum += s * exp(l - top) }
        return log(0.5) + n * n / 2 * log(2 * sinh(2 * K)) + top + log(sum)
    }

    /// The exact energy and specific heat per site of the L x L torus (J > 0, h = 0),
    /// from Kaufman's ln Z by central differences in K.
    public static func kaufman(L: Int, T: Double, J: Double = 1) -> (energy: Double, specificHeat: Double) {
        let K = J / T, d = 1e-4 * K, n = Double(L * L)
        let f0 = kaufmanLogZ(L: L, K: K), fp = kaufmanLogZ(L: L, K: K + d), fm = kaufmanLogZ(L: L, K: K - d)
        let d1 = (fp - fm) / (2 * d), d2 = (fp - 2 * f0 + fm) / (d * d)
        return (-J * d1 / n, K * K * d2 / n)
    }

    /// Exact averages by enumerating all 2^N configurations (N <= 24).
    public struct Averages: Sendable {
        /// Per site: <e>, <e^2>, <|m|>, <m^2>, <m^4>, <m>.
        public var e = 0.0, e2 = 0.0, absM = 0.0, m2 = 0.0, m4 = 0.0, m = 0.0
        /// The probability of each configuration (bit i set: spin i down), when asked for.
        public var probabilities: [Double] = []
        public var specificHeat = 0.0, susceptibility = 0.0, binder = 0.0
    }

    /// The neighbours (+x and +y only, each bond once) of every site of the periodic
    /// chain (dim 1) or L x L lattice (dim 2). On a side of 2 both bonds to the same
    /// neighbour count, as in the samplers.
    public static func bonds(L: Int, dimension: Int) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        if dimension == 1 { for j in 0..<L { out.append((j, (j + 1) % L)) }; return out }
        for i in 0..<L {
            for j in 0..<L {
                out.append((i * L + j, i * L + (j + 1) % L))
                out.append((i * L + j, ((i + 1) % L) * L + j))
            }
        }
        return out
    }

    public static func enumerate(L: Int, dimension: Int = 2, T: Double, J: Double = 1, h: Double = 0,
                                 keepProbabilities: Bool = false) -> Averages {
        let n = dimension == 2 ? L * L : L
        precondition(n <= 24)
        let bs = bonds(L: L, dimension: dimension)
        var energies = [Double](repeating: 0, count: 1 << n), mags = [Int](repeating: 0, count: 1 << n)
        var emin = Double.infinity
        for cfg in 0..<(1 << n) {
            var b = 0, m = 0
            for (i, j) in bs { b += ((cfg >> i) ^ (cfg >> j)) & 1 == 0 ? 1 : -1 }
            for i in 0..<n { m += (cfg >> i) & 1 == 0 ? 1 : -1 }
            let e = -J * Double(b) - h * Double(m)
            energies[cfg] = e; mags[cfg] = m
            emin = Swift.min(emin, e)
        }
        var a = Averages(), z = 0.0
        let N = Double(n)
        var probs = [Double](repeating: 0, count: keepProbabilities ? 1 << n : 0)
        for cfg in 0..<(1 << n) {
            let w = exp(-(energies[cfg] - emin) / T)
            z += w
            let e = energies[cfg] / N, m = Double(mags[cfg]) / N
            a.e += w * e; a.e2 += w * e * e; a.absM += w * abs(m); a.m2 += w * m * m; a.m4 += w * m * m * m * m; a.m += w * m
            if keepProbabilities { probs[cfg] = w }
        }
        a.e /= z; a.e2 /= z; a.absM /= z; a.m2 /= z; a.m4 /= z; a.m /= z
        if keepProbabilities { a.probabilities = probs.map { $0 / z } }
        a.specificHeat = N * (a.e2 - a.e * a.e) / (T * T)
        a.susceptibility = N * (a.m2 - a.absM * a.absM) / T
        a.binder = 1 - a.m4 / (3 * a.m2 * a.m2)
        return a
    }
}
