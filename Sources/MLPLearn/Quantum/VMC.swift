// Variational Monte Carlo for the RBM: Metropolis sampling of |psi|^2 (single flips,
// or exchanges of opposite spins in the zero-magnetization sector; many chains, each
// with its own stream and raw memory, run on several threads with the same numbers
// for any thread count; burn-in and thinning), local energies, the energy gradient
// 2 <(O - <O>) (E_loc - <E>)> and stochastic reconfiguration: (S + shift 1) d =
// gradient with S = <O O> - <O><O>, solved by Cholesky (S formed) or by conjugate
// gradients with S v = X^T (X v) (S never formed; X the centred log-derivatives);
// then plain SGD or adam on d. In the exact mode every configuration is enumerated
// with its weight |psi|^2 / Z, so sampled results can be checked against exact ones.
import CBLAS
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public enum VMCOptimizer: String, Sendable { case sgd, adam }
public enum SRSolver: String, Sendable { case auto, cholesky, cg }

public struct VMCSettings: Sendable {
    public var samples = 1000, chains = 16, discard = 10, thin = 1, threads = 1
    public var diagShift = 0.1, learningRate = 0.1
    /// SR's shift relative to S's diagonal: S_kk (1 + diagScale) + diagShift (NetKet's diag_scale).
    public var diagScale = 0.0
    public var sr = true, zeroMagnetization = false, exact = false
    public var solver = SRSolver.auto, optimizer = VMCOptimizer.sgd
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
    /// Conjugate-gradient steps of the SR solve (0: Cholesky or no SR).
    public let cgSteps: Int
    /// The energy gradient over the trained parameters.
    public let gradient: [Double]
}

public final class VMC {
    public let psi: RBMWavefunction
    public let H: SpinHamiltonian
    public let settings: VMCSettings
    public let perChain: Int
    /// One chain per stream.
    public let chains: Int
    /// chains x sites spins, the chains' streams and move counts (raw per-chain state).
    public private(set) var spins: [Int8]
    var streams: [Xoshiro256]
    public private(set) var attempted: [Int], accepted: [Int]
    var adamM: [Double] = [], adamV: [Double] = [], adamT = 0
    /// Called between groups of chains and every 4096 enumerated configurations (an
    /// interrupt or a deadline); what it throws ends the step.
    public var poll: (() throws -> Void)? = nil
    public internal(set) var pollError: Error? = nil

    /// The most parameters SR by Cholesky takes (S is P x P: 512 MB).
    public static let maxSRParameters = 8192
    /// With solver auto, Cholesky up to this many parameters, conjugate gradients above.
    public static let choleskyUpTo = 1024

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
        let P = psi.trainableCount
        if settings.exact {
            guard H.sites <= VMC.maxExactSites else {
                throw OperationError("vmc", "the exact mode enumerates at most 2^\(VMC.maxExactSites) configurations (\(VMC.maxExactSites) sites), got \(H.sites) sites.",
                                     kind: .tooLarge(count: H.sites, limit: VMC.maxExactSites))
            }
            let (m, o) = (1 << H.sites).multipliedReportingOverflow(by: Swift.max(P, psi.parameterCount))
            guard !o, m <= 1 << 27 else {
                throw OperationError("vmc", "the exact mode needs 2^\(H.sites) x \(P) log-derivatives, more than \(1 << 27).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 27))
            }
        }
        if settings.sr && settings.solver == .cholesky && settings.learningRate != 0 && P > VMC.maxSRParameters {
            throw OperationError("vmc", "stochastic reconfiguration by Cholesky forms the P x P matrix S: at most \(VMC.maxSRParameters) parameters, the wavefunction has \(P); use solver=\"cg\" (S never formed).",
                                 kind: .tooLarge(count: P, limit: VMC.maxSRParameters))
        }
        self.psi = psi; self.H = H; self.settings = settings
        chains = Swift.max(1, streams.count)
        perChain = Swift.max(2, (settings.samples + chains - 1) / chains)
        let (m, o) = (perChain * chains).multipliedReportingOverflow(by: Swift.max(P, 1))
        guard !o, m <= 1 << 26 else {
            throw OperationError("vmc", "\(perChain * chains) samples of \(P) log-derivatives are too many (at most \(1 << 26) numbers).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 26))
        }
        let N = H.sites
        self.streams = streams
        spins = [Int8](repeating: 1, count: streams.count * N)
        attempted = [Int](repeating: 0, count: streams.count); accepted = attempted
        if settings.zeroMagnetization {
            // half up, half down, shuffled (Fisher-Yates)
            for c in 0..<streams.count {
                var s = (0..<N).map { $0 < N / 2 ? Int8(1) : Int8(-1) }
                for i in stride(from: N - 1, to: 0, by: -1) { s.swapAt(i, Int(start.below(UInt64(i + 1)))) }
                for i in 0..<N { spins[c * N + i] = s[i] }
            }
        } else {
            for c in 0..<streams.count { for i in 0..<N { spins[c * N + i] = self.streams[c].next() >> 63 == 0 ? 1 : -1 } }
        }
    }

    public var acceptance: Double {
        let n = attempted.reduce(0, +)
        return n == 0 ? .nan : Double(accepted.reduce(0, +)) / Double(n)
    }

    /// Samples of |psi|^2: per chain `discard` sweeps, then one sample every `thin`
    /// sweeps; chains split over `threads` threads (each chain's numbers depend on
    /// its own stream only).
    public func sample() -> VMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.trainableCount, Pf = psi.parameterCount, C = chains, n = perChain
        let discard = settings.discard, thin = Swift.max(1, settings.thin)
        var E = [Double](repeating: 0, count: C * n)
        // every row is written below (an interrupted batch is thrown away), so O is not zeroed
        var O = [Double](unsafeUninitializedCapacity: C * n * P) { _, count in count = C * n * P }
        let move: SpinMove = settings.zeroMagnetization ? .exchange : .flip
        let psi = self.psi, H = self.H, tied = psi.tied != nil
        let kernel = RBMKernel(psi)
        let T = Swift.max(1, Swift.min(settings.threads, C))
        spins.withUnsafeMutableBufferPointer { sp in
        streams.withUnsafeMutableBufferPointer { gp in
        attempted.withUnsafeMutableBufferPointer { atp in
        accepted.withUnsafeMutableBufferPointer { acp in
        E.withUnsafeMutableBufferPointer { ep in
        O.withUnsafeMutableBufferPointer { op in
            let sb = sp.baseAddress!, gb = gp.baseAddress!, atb = atp.baseAddress!, acb = acp.baseAddress!
            let eb = ep.baseAddress!, ob = op.baseAddress!
            // groups of T x k chains, k per thread (thread t: chains first + t, first + t + T,
            // ...), with a poll between groups; k as large as keeps a group under about
            // 2^23 multiply-adds of moves per thread (one group per iteration for P4's
            // 16 chains of 63 samples: one barrier, not 8)
            let perChainWork = Swift.max(1, (discard + n * thin) * N * Swift.max(M, 1))
            let k = Swift.max(1, Swift.min((C + T - 1) / T, (1 << 23) / perChainWork))
            for first in stride(from: 0, to: C, by: T * k) {
            if pollError == nil, let poll { do { try poll() } catch { pollError = error } }
            if pollError != nil { break }
            let last = Swift.min(C, first + T * k)
            onThreads(Swift.min(T, last - first)) { t in
                let cache = UnsafeMutablePointer<Double>.allocate(capacity: 3 * M)
                let full = UnsafeMutablePointer<Double>.allocate(capacity: tied ? Pf : 1)
                defer { cache.deallocate(); full.deallocate() }
                for c in stride(from: first + t, to: last, by: T) {
                    let s = sb + c * N
                    psi.fill(s, cache)
                    var g = gb[c], acc = 0
                    for k in 0..<(discard + n * thin) {
                        acc += kernel.sweep(s, cache, &g, move: move)
                        if k < discard || (k - discard + 1) % thin != 0 { continue }
                        let row = c * n + (k - discard) / thin
                        eb[row] = kernel.localEnergy(H, s, cache)
                        if tied { kernel.logDerivatives(s, cache, full); psi.reduce(full, ob + row * P) }
                        else { kernel.logDerivatives(s, cache, ob + row * P) }
                    }
                    gb[c] = g
                    atb[c] += N * (discard + n * thin); acb[c] += acc
                }
            }
            }
        }}}}}}
        return VMCBatch(E: E, O: O, weights: nil, chains: C, parameters: P)
    }

    /// Every configuration (of zero magnetization in that sector) with weight |psi|^2 / Z.
    public func enumerate() -> VMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.trainableCount, tied = psi.tied != nil
        var configs: [Int] = []
        for x in 0..<(1 << N) where !settings.zeroMagnetization || x.nonzeroBitCount * 2 == N { configs.append(x) }
        var E = [Double](repeating: 0, count: configs.count), O = [Double](repeating: 0, count: configs.count * P)
        var logw = E
        var s = [Int8](repeating: 0, count: N), th = [Double](repeating: 0, count: M), full = [Double](repeating: 0, count: psi.parameterCount)
        for (r, x) in configs.enumerated() {
            if r & 4095 == 4095, pollError == nil, let poll { do { try poll() } catch { pollError = error } }
            if pollError != nil { break }
            for i in 0..<N { s[i] = (x >> i) & 1 == 1 ? 1 : -1 }
            s.withUnsafeBufferPointer { sp in
                th.withUnsafeMutableBufferPointer { tb in
                    psi.thetas(sp.baseAddress!, tb.baseAddress!)
                    logw[r] = 2 * psi.logPsi(sp.baseAddress!, tb.baseAddress!)
                    E[r] = psi.localEnergy(H, sp.baseAddress!, tb.baseAddress!)
                    O.withUnsafeMutableBufferPointer { ob in
                        if tied {
                            full.withUnsafeMutableBufferPointer { psi.logDerivatives(sp.baseAddress!, tb.baseAddress!, $0.baseAddress!) }
                            full.withUnsafeBufferPointer { psi.reduce($0.baseAddress!, ob.baseAddress! + r * P) }
                        } else {
                            psi.logDerivatives(sp.baseAddress!, tb.baseAddress!, ob.baseAddress! + r * P)
                        }
                    }
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

    static func weights(_ b: VMCBatch) -> [Double] { b.weights ?? [Double](repeating: 1 / Double(b.count), count: b.count) }

    /// The mean local energy, its variance, <O> and the gradient 2 <(O - <O>)(E - <E>)>
    /// (= 2 O^T (w (E - <E>)), two matrix-vector products).
    public static func gradient(_ b: VMCBatch) -> (energy: Double, variance: Double, meanO: [Double], gradient: [Double]) {
        let P = b.parameters, n = b.count, w = weights(b)
        var e = 0.0, e2 = 0.0
        for k in 0..<n { e += w[k] * b.E[k]; e2 += w[k] * b.E[k] * b.E[k] }
        let d = (0..<n).map { 2 * w[$0] * (b.E[$0] - e) }
        var mo = [Double](repeating: 0, count: P), g = mo
        if P > 0 && n > 0 {
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(P), 1, b.O, Int32(P), w, 1, 0, &mo, 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(P), 1, b.O, Int32(P), d, 1, 0, &g, 1)
        }
        return (e, e2 - e * e, mo, g)
    }

    /// X: the rows sqrt(w_k) (O_k - <O>), so that S = X^T X.
    static func centred(_ b: VMCBatch, meanO: [Double]) -> [Double] {
        let P = b.parameters, n = b.count, w = weights(b)
        var oc = [Double](repeating: 0, count: n * P)
        for k in 0..<n {
            let sw = w[k].squareRoot()
            for p in 0..<P { oc[k * P + p] = sw * (b.O[k * P + p] - meanO[p]) }
        }
        return oc
    }

    /// The S matrix <O O> - <O><O> (P x P, symmetric, row-major).
    public static func sMatrix(_ b: VMCBatch, meanO: [Double]) -> [Double] {
        let P = b.parameters, n = b.count
        let oc = centred(b, meanO: meanO)
        var S = [Double](repeating: 0, count: P * P)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(P), Int32(n), 1, oc, Int32(P), 0, &S, Int32(P))
        for i in 0..<P { for j in 0..<i { S[i * P + j] = S[j * P + i] } }
        return S
    }

    /// Solves (S + shift 1 + scale diag(S)) d = g by Cholesky.
    public static func srSolve(_ S: [Double], _ g: [Double], shift: Double, scale: Double = 0) throws -> [Double] {
        let P = g.count
        var A = S
        for i in 0..<P { A[i * P + i] += shift + scale * S[i * P + i] }
        return try choleskySolve(&A, g)
    }

    /// Solves A d = g for A (P x P, symmetric positive definite) of which the
    /// column-major lower (row-major upper) triangle is read; A is overwritten.
    static func choleskySolve(_ A: inout [Double], _ g: [Double]) throws -> [Double] {
        var uplo = CChar(UInt8(ascii: "L")), n = Int32(g.count), lda = Int32(g.count), info: Int32 = 0
        dpotrf_(&uplo, &n, &A, &lda, &info, 1)
        if info != 0 {
            throw OperationError("vmc", "the S matrix plus the diagonal shift is not positive definite; use a larger sr= shift.")
        }
        var d = g
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, A, lda, &d, 1)
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, n, A, lda, &d, 1)
        return d
    }

    /// srSolve(sMatrix(b), g) with the same numbers and less memory traffic: the rows of
    /// b.O are centred in place (b.O becomes X), S + shift 1 + scale diag(S) is formed by one dsyrk into
    /// the triangle dpotrf reads (row-major upper = column-major lower; the other
    /// triangle is never touched, so it is neither zeroed nor mirrored).
    public static func choleskyDirection(_ b: inout VMCBatch, meanO: [Double], _ g: [Double], shift: Double, scale: Double = 0) throws -> [Double] {
        let P = b.parameters, n = b.count, w = weights(b)
        guard P > 0 else { return g }
        b.O.withUnsafeMutableBufferPointer { op in
            meanO.withUnsafeBufferPointer { mp in
                let o = op.baseAddress!, m = mp.baseAddress!
                for k in 0..<n {
                    let sw = w[k].squareRoot(), row = o + k * P
                    for p in 0..<P { row[p] = sw * (row[p] - m[p]) }
                }
            }
        }
        var A = [Double](unsafeUninitializedCapacity: P * P) { _, count in count = P * P }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(P), Int32(n), 1, b.O, Int32(P), 0, &A, Int32(P))
        for i in 0..<P { A[i * P + i] += shift + scale * A[i * P + i] }
        return try choleskySolve(&A, g)
    }

    /// Solves (S + shift 1 + scale diag(S)) d = g by conjugate gradients, S v = X^T (X v)
    /// (S is never formed: 2 n P multiply-adds per step), to a relative residual `tolerance`.
    public static func cgSolve(_ b: VMCBatch, meanO: [Double], _ g: [Double], shift: Double, scale: Double = 0,
                               tolerance: Double = 1e-8, maxSteps: Int? = nil) -> (d: [Double], steps: Int) {
        let P = g.count, n = b.count
        let X = centred(b, meanO: meanO)
        var t = [Double](repeating: 0, count: n)
        // the diagonal shift: shift + scale S_kk (S_kk = sum_n X_nk^2)
        var diag = [Double](repeating: 0, count: scale == 0 ? 0 : P)
        if scale != 0 { for r in 0..<n { for k in 0..<P { diag[k] += scale * X[r * P + k] * X[r * P + k] } } }
        func apply(_ v: [Double], _ out: inout [Double]) {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(P), 1, X, Int32(P), v, 1, 0, &t, 1)
            out = v
            var beta = shift
            if scale != 0 { for k in 0..<P { out[k] = (shift + diag[k]) * v[k] }; beta = 1 }
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(P), 1, X, Int32(P), t, 1, beta, &out, 1)
        }
        var x = [Double](repeating: 0, count: P), r = g, p = g, q = x
        var rr = Lanczos.dot(r, r)
        let stop = tolerance * tolerance * Swift.max(rr, 1e-300)
        var steps = 0
        let limit = maxSteps ?? Swift.max(10, Swift.min(P, 2000))
        while rr > stop && steps < limit {
            apply(p, &q)
            let pq = Lanczos.dot(p, q)
            guard pq > 0 else { break }
            let a = rr / pq
            for k in 0..<P { x[k] += a * p[k]; r[k] -= a * q[k] }
            let rr2 = Lanczos.dot(r, r)
            let beta = rr2 / rr
            rr = rr2
            for k in 0..<P { p[k] = r[k] + beta * p[k] }
            steps += 1
        }
        return (x, steps)
    }

    /// One iteration: the energy of the current parameters, then the update with the
    /// learning rate `lr` (the settings' when nil).
    public func step(lr rate: Double? = nil) throws -> VMCIteration {
        let lr = rate ?? settings.learningRate
        let att0 = attempted.reduce(0, +), acc0 = accepted.reduce(0, +)
        var b = batch()
        if let e = pollError { pollError = nil; throw e }
        let att = attempted.reduce(0, +) - att0, acc = accepted.reduce(0, +) - acc0
        let est = VMC.energy(b)
        let gr = VMC.gradient(b)
        guard gr.energy.isFinite, gr.gradient.allSatisfy({ $0.isFinite }) else {
            throw OperationError("vmc", "the local energies or the gradient are not finite (the wavefunction's amplitudes overflowed); use a smaller lr=.")
        }
        var d = gr.gradient, cg = 0
        if settings.sr && lr != 0 {
            let P = d.count
            if settings.solver == .cholesky || (settings.solver == .auto && P <= VMC.choleskyUpTo) {
                d = try VMC.choleskyDirection(&b, meanO: gr.meanO, gr.gradient, shift: settings.diagShift, scale: settings.diagScale)
            } else {
                (d, cg) = VMC.cgSolve(b, meanO: gr.meanO, gr.gradient, shift: settings.diagShift, scale: settings.diagScale)
            }
        }
        if lr != 0 {
            var p = psi.trainableParameters
            switch settings.optimizer {
            case .sgd:
                for k in 0..<d.count { p[k] -= lr * d[k] }
            case .adam:
                if adamM.count != d.count { adamM = [Double](repeating: 0, count: d.count); adamV = adamM; adamT = 0 }
                adamT += 1
                let b1 = 0.9, b2 = 0.999, c1 = 1 - pow(b1, Double(adamT)), c2 = 1 - pow(b2, Double(adamT))
                for k in 0..<d.count {
                    adamM[k] = b1 * adamM[k] + (1 - b1) * d[k]
                    adamV[k] = b2 * adamV[k] + (1 - b2) * d[k] * d[k]
                    p[k] -= lr * (adamM[k] / c1) / ((adamV[k] / c2).squareRoot() + 1e-8)
                }
            }
            psi.trainableParameters = p
        }
        return VMCIteration(energy: est, variance: gr.variance, acceptance: att == 0 ? .nan : Double(acc) / Double(att), cgSteps: cg, gradient: gr.gradient)
    }
}
