// Variational Monte Carlo for the complex RBM. Sampling of |psi|^2 =
// exp(2 Re log psi) by Metropolis (flips, or exchanges in the zero-magnetization
// sector; chains on threads as in `VMC`), complex local energies and log-derivatives.
// For holomorphic parameters p = x + i y the energy gradient is
//   dE/dx + i dE/dy = G = 2 (<O* E_loc> - <O*><E_loc>),
// and SR solves (S + shift) d = G with the Hermitian S = <O* O> - <O*><O>. S is
// solved in its real form R(S) = [[Re S, -Im S], [Im S, Re S]] = R(X)^T R(X), X the
// centred sqrt(w) (O - <O>): a real batch of 2n rows [Re X, -Im X] and [Im X, Re X]
// and 2P columns, so that the real solvers of `VMC` (Cholesky, or CG with S never
// formed) serve unchanged. Then p -= lr d (sgd) or adam on the 2P real numbers.
import CBLAS
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// Complex local energies and log-derivatives of a set of configurations (weights
/// as in `VMCBatch`).
public struct ComplexVMCBatch {
    public var Er: [Double], Ei: [Double]
    public var Or: [Double], Oi: [Double]
    public var weights: [Double]?
    public let chains: Int, parameters: Int
    public var count: Int { Er.count }
}

extension VMCSettings {
    /// The checks every VMC makes of its settings against the Hamiltonian.
    func check(_ H: SpinHamiltonian, parameters P: Int) throws {
        if zeroMagnetization {
            guard H.conservesMagnetization else {
                throw OperationError("vmc", "the zero-magnetization sector needs a Hamiltonian that conserves the magnetization (heisenberg), got \(H.name).")
            }
            guard H.sites % 2 == 0 else { throw OperationError("vmc", "the zero-magnetization sector needs an even number of sites, got \(H.sites).") }
        }
        if exact {
            guard H.sites <= VMC.maxExactSites else {
                throw OperationError("vmc", "the exact mode enumerates at most 2^\(VMC.maxExactSites) configurations (\(VMC.maxExactSites) sites), got \(H.sites) sites.",
                                     kind: .tooLarge(count: H.sites, limit: VMC.maxExactSites))
            }
            let (m, o) = (1 << H.sites).multipliedReportingOverflow(by: Swift.max(P, 1))
            guard !o, m <= 1 << 27 else {
                throw OperationError("vmc", "the exact mode needs 2^\(H.sites) x \(P) log-derivatives, more than \(1 << 27).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 27))
            }
        }
    }

    /// SR's direction: (S + diagShift 1 + diagScale diag(S)) d = g by Cholesky or
    /// conjugate gradients as `solver` says (with the CG steps taken).
    func srDirection(_ b: VMCBatch, meanO: [Double], _ g: [Double]) throws -> (d: [Double], cg: Int) {
        let P = g.count
        guard solver == .cholesky || (solver == .auto && P <= VMC.choleskyUpTo) else {
            let r = VMC.cgSolve(b, meanO: meanO, g, shift: diagShift, scale: diagScale)
            return (r.d, r.steps)
        }
        guard P <= VMC.maxSRParameters else {
            throw OperationError("vmc", "stochastic reconfiguration by Cholesky forms the P x P matrix S: at most \(VMC.maxSRParameters) parameters, the wavefunction has \(P); use solver=\"cg\" (S never formed).",
                                 kind: .tooLarge(count: P, limit: VMC.maxSRParameters))
        }
        return (try VMC.srSolve(VMC.sMatrix(b, meanO: meanO), g, shift: diagShift, scale: diagScale), 0)
    }

    /// The chains' first configurations: random spins, or in the zero-magnetization
    /// sector half up and half down, shuffled from `start` (Fisher-Yates).
    func startingSpins(sites N: Int, streams: inout [Xoshiro256], start: inout Xoshiro256) -> [Int8] {
        var spins = [Int8](repeating: 1, count: streams.count * N)
        for c in 0..<streams.count {
            if zeroMagnetization {
                var s = (0..<N).map { $0 < N / 2 ? Int8(1) : Int8(-1) }
                for i in stride(from: N - 1, to: 0, by: -1) { s.swapAt(i, Int(start.below(UInt64(i + 1)))) }
                for i in 0..<N { spins[c * N + i] = s[i] }
            } else {
                for i in 0..<N { spins[c * N + i] = streams[c].next() >> 63 == 0 ? 1 : -1 }
            }
        }
        return spins
    }
}

/// The update p -= lr d (sgd) or adam's on the direction d, with adam's moments.
struct VMCUpdate {
    var m: [Double] = [], v: [Double] = [], t = 0

    mutating func update(_ p: inout [Double], _ d: [Double], lr: Double, optimizer: VMCOptimizer) {
        guard optimizer == .adam else {
            for k in 0..<d.count { p[k] -= lr * d[k] }
            return
        }
        if m.count != d.count { m = [Double](repeating: 0, count: d.count); v = m; t = 0 }
        t += 1
        let c1 = 1 - pow(0.9, Double(t)), c2 = 1 - pow(0.999, Double(t))
        for k in 0..<d.count {
            m[k] = 0.9 * m[k] + 0.1 * d[k]
            v[k] = 0.999 * v[k] + 0.001 * d[k] * d[k]
            p[k] -= lr * (m[k] / c1) / ((v[k] / c2).squareRoot() + 1e-8)
        }
    }
}

public final class ComplexVMC {
    public let psi: ComplexRBMWavefunction
    public let H: SpinHamiltonian
    public let settings: VMCSettings
    public let perChain: Int, chains: Int
    public private(set) var spins: [Int8]
    var streams: [Xoshiro256]
    public private(set) var attempted: [Int], accepted: [Int]
    var adam = VMCUpdate()
    public var poll: (() throws -> Void)? = nil
    public internal(set) var pollError: Error? = nil

    public init(psi: ComplexRBMWavefunction, H: SpinHamiltonian, streams: [Xoshiro256], start: inout Xoshiro256, settings: VMCSettings) throws {
        guard psi.sites == H.sites else {
            throw OperationError("vmc", "the wavefunction has \(psi.sites) sites and the Hamiltonian \(H.sites).")
        }
        let P = psi.parameterCount
        try settings.check(H, parameters: 2 * P)
        if settings.sr && settings.solver == .cholesky && settings.learningRate != 0 && 2 * P > VMC.maxSRParameters {
            throw OperationError("vmc", "stochastic reconfiguration by Cholesky forms the 2P x 2P real form of S: at most \(VMC.maxSRParameters / 2) complex parameters, the wavefunction has \(P); use solver=\"cg\" (S never formed).",
                                 kind: .tooLarge(count: P, limit: VMC.maxSRParameters / 2))
        }
        self.psi = psi; self.H = H; self.settings = settings
        chains = Swift.max(1, streams.count)
        perChain = Swift.max(2, (settings.samples + chains - 1) / chains)
        let (m, o) = (perChain * chains).multipliedReportingOverflow(by: 4 * P)
        guard !o, m <= 1 << 26 else {
            throw OperationError("vmc", "\(perChain * chains) samples of \(P) complex log-derivatives are too many (at most \(1 << 26) numbers).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 26))
        }
        var st = streams
        spins = settings.startingSpins(sites: H.sites, streams: &st, start: &start)
        self.streams = st
        attempted = [Int](repeating: 0, count: streams.count); accepted = attempted
    }

    public var acceptance: Double {
        let n = attempted.reduce(0, +)
        return n == 0 ? .nan : Double(accepted.reduce(0, +)) / Double(n)
    }

    /// Samples of |psi|^2, chains split over threads (each chain's numbers depend on
    /// its own stream only).
    public func sample() -> ComplexVMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.parameterCount, C = chains, n = perChain
        let discard = settings.discard, thin = Swift.max(1, settings.thin)
        var Er = [Double](repeating: 0, count: C * n), Ei = Er
        var Or = [Double](repeating: 0, count: C * n * P), Oi = Or
        let move: SpinMove = settings.zeroMagnetization ? .exchange : .flip
        let psi = self.psi, H = self.H
        let T = Swift.max(1, Swift.min(settings.threads, C))
        psi.refresh()
        spins.withUnsafeMutableBufferPointer { sp in
        streams.withUnsafeMutableBufferPointer { gp in
        attempted.withUnsafeMutableBufferPointer { atp in
        accepted.withUnsafeMutableBufferPointer { acp in
        Er.withUnsafeMutableBufferPointer { erp in
        Ei.withUnsafeMutableBufferPointer { eip in
        Or.withUnsafeMutableBufferPointer { orp in
        Oi.withUnsafeMutableBufferPointer { oip in
            let sb = sp.baseAddress!, gb = gp.baseAddress!, atb = atp.baseAddress!, acb = acp.baseAddress!
            let er = erp.baseAddress!, ei = eip.baseAddress!, orb = orp.baseAddress!, oib = oip.baseAddress!
            for first in stride(from: 0, to: C, by: T) {
                if pollError == nil, let poll { do { try poll() } catch { pollError = error } }
                if pollError != nil { break }
                onThreads(Swift.min(T, C - first)) { t in
                    let th = UnsafeMutablePointer<Double>.allocate(capacity: 4 * M + 1)
                    defer { th.deallocate() }
                    let c = first + t, s = sb + c * N
                    psi.fill(s, th)
                    var g = gb[c], acc = 0
                    for k in 0..<(discard + n * thin) {
                        acc += SpinChains.sweep(s, sites: N, &g, move: move,
                                                logRatio: { s, i, j in 2 * psi.fastLogRatio(s, th, i, j).re },
                                                accept: { s, i, j in psi.fastMove(s, th, i, j) })
                        if k < discard || (k - discard + 1) % thin != 0 { continue }
                        let row = c * n + (k - discard) / thin
                        let e = psi.localEnergy(H, s, th, fast: true)
                        er[row] = e.re; ei[row] = e.im
                        psi.logDerivatives(s, th, orb + row * P, oib + row * P)
                    }
                    gb[c] = g
                    atb[c] += N * (discard + n * thin); acb[c] += acc
                }
            }
        }}}}}}}}
        return ComplexVMCBatch(Er: Er, Ei: Ei, Or: Or, Oi: Oi, weights: nil, chains: C, parameters: P)
    }

    /// Every configuration (of zero magnetization in that sector) with weight |psi|^2 / Z.
    public func enumerate() -> ComplexVMCBatch {
        let N = H.sites, M = psi.hidden, P = psi.parameterCount
        let configs = (0..<(1 << N)).filter { !settings.zeroMagnetization || $0.nonzeroBitCount * 2 == N }
        let B = configs.count
        var Er = [Double](repeating: 0, count: B), Ei = Er, logw = Er
        var Or = [Double](repeating: 0, count: B * P), Oi = Or
        var s = [Int8](repeating: 0, count: N), th = [Double](repeating: 0, count: 2 * M)
        for (r, x) in configs.enumerated() {
            if r & 4095 == 4095, pollError == nil, let poll { do { try poll() } catch { pollError = error } }
            if pollError != nil { break }
            for i in 0..<N { s[i] = (x >> i) & 1 == 1 ? 1 : -1 }
            s.withUnsafeBufferPointer { sp in
                th.withUnsafeMutableBufferPointer { tb in
                    let sv = sp.baseAddress!, tv = tb.baseAddress!
                    psi.thetas(sv, tv)
                    logw[r] = 2 * psi.logPsi(sv, tv).re
                    let e = psi.localEnergy(H, sv, tv)
                    Er[r] = e.re; Ei[r] = e.im
                    Or.withUnsafeMutableBufferPointer { ob in
                        Oi.withUnsafeMutableBufferPointer { ib in psi.logDerivatives(sv, tv, ob.baseAddress! + r * P, ib.baseAddress! + r * P) }
                    }
                }
            }
        }
        let top = logw.max() ?? 0
        var w = logw.map { exp($0 - top) }
        let z = w.reduce(0, +)
        for i in w.indices { w[i] /= z }
        return ComplexVMCBatch(Er: Er, Ei: Ei, Or: Or, Oi: Oi, weights: w, chains: 1, parameters: P)
    }

    public func batch() -> ComplexVMCBatch { settings.exact ? enumerate() : sample() }

    static func weights(_ b: ComplexVMCBatch) -> [Double] { b.weights ?? [Double](repeating: 1 / Double(b.count), count: b.count) }

    /// The energy <Re E_loc> (binning error for samples, 0 when enumerated), the
    /// variance <|E_loc - <E>|^2>, <O> (re, im) and G = 2 <O* (E_loc - <E>)> (re, im).
    public static func gradient(_ b: ComplexVMCBatch) -> (energy: MCEstimate, variance: Double, meanO: (re: [Double], im: [Double]), gradient: (re: [Double], im: [Double])) {
        let P = b.parameters, n = b.count, w = weights(b)
        var er = 0.0, ei = 0.0
        for k in 0..<n { er += w[k] * b.Er[k]; ei += w[k] * b.Ei[k] }
        var variance = 0.0
        var dr = [Double](repeating: 0, count: n), di = dr
        for k in 0..<n {
            let a = b.Er[k] - er, c = b.Ei[k] - ei
            variance += w[k] * (a * a + c * c)
            dr[k] = 2 * w[k] * a; di[k] = 2 * w[k] * c
        }
        var mr = [Double](repeating: 0, count: P), mi = mr, gr = mr, gi = mr
        if P > 0 && n > 0 {
            let ld = Int32(P)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, 1, b.Or, ld, w, 1, 0, &mr, 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, 1, b.Oi, ld, w, 1, 0, &mi, 1)
            // conj(O) d = (Or d_r + Oi d_i) + i (Or d_i - Oi d_r)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, 1, b.Or, ld, dr, 1, 0, &gr, 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, 1, b.Oi, ld, di, 1, 1, &gr, 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, 1, b.Or, ld, di, 1, 0, &gi, 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), ld, -1, b.Oi, ld, dr, 1, 1, &gi, 1)
        }
        let est = b.weights == nil ? MCStatistics.estimate(b.Er, chains: b.chains)
            : MCEstimate(mean: er, error: 0, tau: .nan, levels: [], count: n)
        return (est, variance, (mr, mi), (gr, gi))
    }

    /// The real form of the SR problem: a batch of 2n rows [Re X, -Im X], [Im X, Re X]
    /// (X = sqrt(w) (O - <O>), already centred: its <O> is zero and its weights one),
    /// whose S is R(S) = [[Re S, -Im S], [Im S, Re S]].
    public static func realForm(_ b: ComplexVMCBatch, meanO: (re: [Double], im: [Double])) -> VMCBatch {
        let P = b.parameters, n = b.count, w = weights(b), Q = 2 * P
        var X = [Double](repeating: 0, count: 2 * n * Q)
        for k in 0..<n {
            let sw = w[k].squareRoot(), top = k * Q, bottom = (n + k) * Q
            for p in 0..<P {
                let xr = sw * (b.Or[k * P + p] - meanO.re[p]), xi = sw * (b.Oi[k * P + p] - meanO.im[p])
                X[top + p] = xr; X[top + P + p] = -xi
                X[bottom + p] = xi; X[bottom + P + p] = xr
            }
        }
        return VMCBatch(E: [Double](repeating: 0, count: 2 * n), O: X, weights: [Double](repeating: 1, count: 2 * n), chains: 1, parameters: Q)
    }

    /// The Hermitian S matrix as its real form R(S) (2P x 2P).
    public static func sMatrix(_ b: ComplexVMCBatch, meanO: (re: [Double], im: [Double])) -> [Double] {
        VMC.sMatrix(realForm(b, meanO: meanO), meanO: [Double](repeating: 0, count: 2 * b.parameters))
    }

    /// One iteration (as `VMC.step`); the gradient in the result is G interleaved
    /// (re, im per parameter).
    public func step(lr rate: Double? = nil) throws -> VMCIteration {
        let lr = rate ?? settings.learningRate
        let att0 = attempted.reduce(0, +), acc0 = accepted.reduce(0, +)
        let b = batch()
        if let e = pollError { pollError = nil; throw e }
        let att = attempted.reduce(0, +) - att0, acc = accepted.reduce(0, +) - acc0
        let gr = ComplexVMC.gradient(b)
        let P = b.parameters
        var d = gr.gradient.re + gr.gradient.im, cg = 0
        guard gr.energy.mean.isFinite, d.allSatisfy({ $0.isFinite }) else {
            throw OperationError("vmc", "the local energies or the gradient are not finite (the wavefunction's amplitudes overflowed); use a smaller lr=.")
        }
        if settings.sr && lr != 0 {
            (d, cg) = try settings.srDirection(ComplexVMC.realForm(b, meanO: gr.meanO), meanO: [Double](repeating: 0, count: 2 * P), d)
        }
        if lr != 0 {
            var p = psi.re + psi.im
            adam.update(&p, d, lr: lr, optimizer: settings.optimizer)
            psi.re = Array(p[0..<P]); psi.im = Array(p[P...])
        }
        var g = [Double](repeating: 0, count: 2 * P)
        for k in 0..<P { g[2 * k] = gr.gradient.re[k]; g[2 * k + 1] = gr.gradient.im[k] }
        return VMCIteration(energy: gr.energy, variance: gr.variance, acceptance: att == 0 ? .nan : Double(acc) / Double(att), cgSteps: cg, gradient: g)
    }
}
