// Variational Monte Carlo for the RBM: Metropolis sampling of |psi|^2 through
// SpinChains (single flips, or exchanges of opposite spins in the zero-magnetization
// sector), local energies, the energy gradient 2 <(O - <O>) (E_loc - <E>)> and
// stochastic reconfiguration: (S + shift 1) d = gradient with S = <O O> - <O><O>,
// solved by Cholesky; then p -= lr d (plain SGD on the SR direction). In the exact
// mode every configuration is enumerated with its weight |psi|^2 / Z, so sampled
// results can be checked against exact ones. Real parameters only.
import CBLAS
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public struct VMCSettings: Sendable {
    public var samples = 1000, chains = 16, discard = 10
    public var diagShift = 0.1, learningRate = 0.1
    public var sr = true, zeroMagnetization = false, exact = false
    public init() {}
}

/// Local energies and log-derivatives of a set of configurations: `weights` nil for
/// Monte Carlo samples (chain-major rows, equal weights), |psi|^2 / Z when enumerated.
public struct VMCBatch {
    public var E: [Double]
    public var O: [Double]
    public var weights: [Double]?
    public let chains: Int, parameters: Int
    public var count: Int { E.count }
}

public struct VMCIteration: Sendable {
    public let energy: MCEstimate
    /// <E_loc^2> - <E_loc>^2.
    public let variance: Double
    public let acceptance: Double
}

public final class VMC {
    public let psi: RBMWavefunction
    public let H: SpinHamiltonian
    public let settings: VMCSettings
    public let sampler: SpinChains
    public let perChain: Int

    /// The most parameters SR takes (S is P x P: 512 MB).
    public static let maxSRParameters = 8192

    /// The most configurations the exact mode enumerates (2^20).
    public static let maxExactSites = 20

    public init(psi: RBMWavefunction, H: SpinHamiltonian, streams: [Xoshiro256], start: inout Xoshiro256, settings: VMCSettings) throws {
        guard psi.sites == H.sites else {
            throw OperationError("vmc", "the wavefunction has \(psi.sites) sites and the Hamiltonian \(H.sites).")
        }
        if settings.zeroMagnetization {
            guard H.conservesMagnetization else {
                throw OperationError("vmc", "the zero-magnetization sector needs a Hamiltonian that conserves the magnetization (heisenberg), got \(H.name).")
            }
            guard H.sites % 2 == 0 else { throw OperationError("vmc", "the zero-magnetization sector needs an even number of sites, got \(H.sites).") }
        }
        if settings.exact {
            guard H.sites <= VMC.maxExactSites else {
                throw OperationError("vmc", "the exact mode enumerates at most 2^\(VMC.maxExactSites) configurations (\(VMC.maxExactSites) sites), got \(H.sites) sites.",
                                     kind: .tooLarge(count: H.sites, limit: VMC.maxExactSites))
            }
            let (m, o) = (1 << H.sites).multipliedReportingOverflow(by: psi.parameterCount)
            guard !o, m <= 1 << 27 else {
                throw OperationError("vmc", "the exact mode needs 2^\(H.sites) x \(psi.parameterCount) log-derivatives, more than \(1 << 27).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 27))
            }
        }
        if settings.sr && settings.learningRate != 0 && psi.parameterCount > VMC.maxSRParameters {
            throw OperationError("vmc", "stochastic reconfiguration forms the P x P matrix S: at most \(VMC.maxSRParameters) parameters, the wavefunction has \(psi.parameterCount); use sr=false.",
                                 kind: .tooLarge(count: psi.parameterCount, limit: VMC.maxSRParameters))
        }
        self.psi = psi; self.H = H; self.settings = settings
        perChain = Swift.max(2, (settings.samples + settings.chains - 1) / settings.chains)
        let (m, o) = (perChain * settings.chains).multipliedReportingOverflow(by: psi.parameterCount)
        guard !o, m <= 1 << 26 else {
            throw OperationError("vmc", "\(perChain * settings.chains) samples of \(psi.parameterCount) log-derivatives are too many (at most \(1 << 26) numbers).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 26))
        }
        sampler = SpinChains(streams: streams, sites: H.sites, hot: !settings.zeroMagnetization)
        if settings.zeroMagnetization {
            // half up, half down, shuffled (Fisher-Yates)
            let N = H.sites
            for c in 0..<settings.chains {
                var s = (0..<N).map { $0 < N / 2 ? Int8(1) : Int8(-1) }
                for i in stride(from: N - 1, to: 0, by: -1) { s.swapAt(i, Int(start.below(UInt64(i + 1)))) }
                for i in 0..<N { sampler.spins[c * N + i] = s[i] }
            }
        }
    }

    /// Samples of |psi|^2: per chain, `discard` sweeps, then one sample per sweep.
    public func sample() -> VMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.parameterCount, C = settings.chains, n = perChain
        var E = [Double](repeating: 0, count: C * n), O = [Double](repeating: 0, count: C * n * P)
        var cache = [Double](repeating: 0, count: 3 * M)
        let move: SpinMove = settings.zeroMagnetization ? .exchange : .flip
        let psi = self.psi
        psi.refresh()
        cache.withUnsafeMutableBufferPointer { cb in
            let t = cb.baseAddress!
            for c in 0..<C {
                sampler.spins.withUnsafeBufferPointer { psi.fill($0.baseAddress! + c * N, t) }
                for k in 0..<(settings.discard + n) {
                    sampler.sweep(c, move: move, logRatio: { s, i, j in 2 * psi.fastLogRatio(s, t, i, j) },
                                  accept: { s, i, j in psi.fastMove(s, t, i, j) })
                    if k < settings.discard { continue }
                    let row = c * n + k - settings.discard
                    sampler.spins.withUnsafeBufferPointer { sp in
                        let s = sp.baseAddress! + c * N
                        E[row] = psi.localEnergy(H, s, t, fast: true)
                        O.withUnsafeMutableBufferPointer { psi.logDerivatives(s, t, $0.baseAddress! + row * P) }
                    }
                }
            }
        }
        return VMCBatch(E: E, O: O, weights: nil, chains: C, parameters: P)
    }

    /// Every configuration (of zero magnetization in that sector) with weight |psi|^2 / Z.
    public func enumerate() -> VMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.parameterCount
        var configs: [Int] = []
        for x in 0..<(1 << N) where !settings.zeroMagnetization || x.nonzeroBitCount * 2 == N { configs.append(x) }
        var E = [Double](repeating: 0, count: configs.count), O = [Double](repeating: 0, count: configs.count * P)
        var logw = E
        var s = [Int8](repeating: 0, count: N), th = [Double](repeating: 0, count: M)
        for (r, x) in configs.enumerated() {
            for i in 0..<N { s[i] = (x >> i) & 1 == 1 ? 1 : -1 }
            s.withUnsafeBufferPointer { sp in
                th.withUnsafeMutableBufferPointer { tb in
                    psi.thetas(sp.baseAddress!, tb.baseAddress!)
                    logw[r] = 2 * psi.logPsi(sp.baseAddress!, tb.baseAddress!)
                    E[r] = psi.localEnergy(H, sp.baseAddress!, tb.baseAddress!)
                    O.withUnsafeMutableBufferPointer { psi.logDerivatives(sp.baseAddress!, tb.baseAddress!, $0.baseAddress! + r * P) }
                }
            }
        }
        let top = logw.max() ?? 0
        var w = logw.map { exp($0 - top) }
        let z = w.reduce(0, +)
        for i in w.indices { w[i] /= z }
        return VMCBatch(E: E, O: O, weights: w, chains: 1, parameters: P)
    }

    public func batch() -> VMCBatch { settings.exact ? enumerate() : sample() }

    /// The energy: a binning estimate of the samples, or the exact weighted mean (error 0).
    public static func energy(_ b: VMCBatch) -> MCEstimate {
        guard let w = b.weights else { return MCStatistics.estimate(b.E, chains: b.chains) }
        var e = 0.0
        for k in 0..<b.count { e += w[k] * b.E[k] }
        return MCEstimate(mean: e, error: 0, tau: .nan, levels: [], count: b.count)
    }

    static func weight(_ b: VMCBatch, _ k: Int) -> Double { b.weights?[k] ?? 1 / Double(b.count) }

    /// The mean local energy, its variance, <O> and the gradient 2 <(O - <O>)(E - <E>)>.
    public static func gradient(_ b: VMCBatch) -> (energy: Double, variance: Double, meanO: [Double], gradient: [Double]) {
        let P = b.parameters
        var e = 0.0, e2 = 0.0, mo = [Double](repeating: 0, count: P), g = mo
        for k in 0..<b.count { let w = weight(b, k); e += w * b.E[k]; e2 += w * b.E[k] * b.E[k] }
        b.O.withUnsafeBufferPointer { op in
            for k in 0..<b.count {
                let w = weight(b, k), d = w * (b.E[k] - e), row = op.baseAddress! + k * P
                for p in 0..<P { mo[p] += w * row[p]; g[p] += 2 * d * row[p] }
            }
        }
        return (e, e2 - e * e, mo, g)
    }

    /// The S matrix <O O> - <O><O> (P x P, symmetric, row-major).
    public static func sMatrix(_ b: VMCBatch, meanO: [Double]) -> [Double] {
        let P = b.parameters, n = b.count
        var oc = [Double](repeating: 0, count: n * P)
        for k in 0..<n {
            let sw = weight(b, k).squareRoot()
            for p in 0..<P { oc[k * P + p] = sw * (b.O[k * P + p] - meanO[p]) }
        }
        var S = [Double](repeating: 0, count: P * P)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(P), Int32(n), 1, oc, Int32(P), 0, &S, Int32(P))
        for i in 0..<P { for j in 0..<i { S[i * P + j] = S[j * P + i] } }
        return S
    }

    /// Solves (S + shift 1) d = g by Cholesky.
    public static func srSolve(_ S: [Double], _ g: [Double], shift: Double) throws -> [Double] {
        let P = g.count
        var A = S
        for i in 0..<P { A[i * P + i] += shift }
        var uplo = CChar(UInt8(ascii: "L")), n = Int32(P), lda = Int32(P), info: Int32 = 0
        dpotrf_(&uplo, &n, &A, &lda, &info, 1)
        if info != 0 {
            throw OperationError("vmc", "the S matrix plus the diagonal shift is not positive definite; use a larger sr= shift.")
        }
        var d = g
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, A, lda, &d, 1)
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, n, A, lda, &d, 1)
        return d
    }

    /// One iteration: the energy of the current parameters, then the update.
    public func step() throws -> VMCIteration {
        let att0 = sampler.attempted.reduce(0, +), acc0 = sampler.accepted.reduce(0, +)
        let b = batch()
        let att = sampler.attempted.reduce(0, +) - att0, acc = sampler.accepted.reduce(0, +) - acc0
        let est = VMC.energy(b)
        let gr = VMC.gradient(b)
        guard gr.energy.isFinite, gr.gradient.allSatisfy({ $0.isFinite }) else {
            throw OperationError("vmc", "the local energies or the gradient are not finite (the wavefunction's amplitudes overflowed); use a smaller lr=.")
        }
        var d = gr.gradient
        if settings.sr && settings.learningRate != 0 { d = try VMC.srSolve(VMC.sMatrix(b, meanO: gr.meanO), gr.gradient, shift: settings.diagShift) }
        for p in 0..<d.count { psi.parameters[p] -= settings.learningRate * d[p] }
        return VMCIteration(energy: est, variance: gr.variance, acceptance: att == 0 ? .nan : Double(acc) / Double(att))
    }
}
