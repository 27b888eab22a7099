// The complex RBM (log cosh and tanh of complex arguments, log-derivatives and the
// exact gradient against finite differences, sampled energy and gradient against
// enumeration, the real form of the Hermitian S, exact SR reaching Lanczos for the
// Heisenberg chain WITHOUT the Marshall sign rule), SR for networks (per-sample
// log-derivatives against finite differences, exact SR reaching Lanczos) and the
// SR shift relative to S's diagonal.
import MLPTensor
import MLPAutograd
import MLPLearn
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class QuantumComplexTests: XCTestCase {
    func complexRBM(_ N: Int, _ M: Int, sigma: Double, seed: UInt64) throws -> ComplexRBMWavefunction {
        var g = Xoshiro256(seed: seed)
        return try ComplexRBMWavefunction.random(sites: N, hidden: M, sigma: sigma, rng: &g)
    }

    func logPsi(_ psi: ComplexRBMWavefunction, _ s: [Int8]) -> CDouble {
        var th = [Double](repeating: 0, count: 2 * psi.hidden)
        return s.withUnsafeBufferPointer { sp in
            psi.thetas(sp.baseAddress!, &th)
            return psi.logPsi(sp.baseAddress!, th)
        }
    }

    func spins(_ x: Int, _ N: Int) -> [Int8] { (0..<N).map { (x >> $0) & 1 == 1 ? 1 : -1 } }

    func exactVMC(_ psi: ComplexRBMWavefunction, _ H: SpinHamiltonian, zero: Bool = false) throws -> ComplexVMC {
        var st = VMCSettings()
        st.exact = true; st.zeroMagnetization = zero
        var start = Xoshiro256(seed: 5)
        return try ComplexVMC(psi: psi, H: H, streams: [Xoshiro256(seed: 2)], start: &start, settings: st)
    }

    /// H v in the basis bit i set = s_i up, from the matrix elements (flip terms of one or two spins).
    func apply(_ H: SpinHamiltonian, _ v: [Double]) -> [Double] {
        let N = H.sites
        var out = [Double](repeating: 0, count: v.count)
        for x in 0..<v.count {
            let s = spins(x, N)
            out[x] += s.withUnsafeBufferPointer { H.diagonalElement($0.baseAddress!) } * v[x]
            for t in H.offDiagonal {
                let m = t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
                let y = x ^ (1 << t.i) ^ (t.j >= 0 ? 1 << t.j : 0)
                out[y] += m * v[x]
            }
        }
        return out
    }

    /// psi(s) = exp(sum a s) prod 2 cosh(theta) computed directly (small parameters,
    /// no overflow), against exp(log psi).
    func testComplexLogPsiAgainstDirectProduct() throws {
        let psi = try complexRBM(5, 7, sigma: 0.4, seed: 3)
        for x in [0, 5, 19, 31] {
            let s = spins(x, 5)
            var pr = 0.0, pi = 0.0
            for i in 0..<5 { pr += psi.re[i] * Double(s[i]); pi += psi.im[i] * Double(s[i]) }
            var zr = exp(pr) * cos(pi), zi = exp(pr) * sin(pi)
            for j in 0..<7 {
                var tr = psi.re[5 + j], ti = psi.im[5 + j]
                for i in 0..<5 { tr += Double(s[i]) * psi.re[12 + i * 7 + j]; ti += Double(s[i]) * psi.im[12 + i * 7 + j] }
                // 2 cosh(tr + i ti) = 2 (cosh tr cos ti + i sinh tr sin ti)
                let cr = 2 * cosh(tr) * cos(ti), ci = 2 * sinh(tr) * sin(ti)
                (zr, zi) = (zr * cr - zi * ci, zr * ci + zi * cr)
            }
            let l = logPsi(psi, s)
            let m = exp(l.re)
            XCTAssertEqual(m * cos(l.im), zr, accuracy: 1e-12 * Swift.max(1, abs(zr) + abs(zi)))
            XCTAssertEqual(m * sin(l.im), zi, accuracy: 1e-12 * Swift.max(1, abs(zr) + abs(zi)))
        }
        // large real parts: log(2 cosh z) = |Re z| + i sign(Re z) Im z up to e^-2|Re z|
        let big = ComplexRBMWavefunction(sites: 1, hidden: 1, re: [0, 0, 800], im: [0, 0, 0.3])
        let l = logPsi(big, [-1])
        XCTAssertEqual(l.re, 800, accuracy: 1e-9)
        XCTAssertEqual(l.im, 0.3, accuracy: 1e-12)   // cosh(-z) = cosh(z)
    }

    /// The fast ratios (tables of cosh 2W, sinh 2W and cached tanh theta) against
    /// log psi(s') - log psi(s) (mod 2 pi in the phase), for flips and exchanges, along
    /// a walk of accepted moves that updates the cache.
    func testComplexFastRatiosAgainstLogPsi() throws {
        let N = 7, M = 9
        let psi = try complexRBM(N, M, sigma: 0.6, seed: 12)
        psi.refresh()
        XCTAssertTrue(psi.fastUsable)
        var s: [Int8] = [1, -1, -1, 1, 1, -1, 1]
        var cache = [Double](repeating: 0, count: 4 * M + 1)
        s.withUnsafeBufferPointer { psi.fill($0.baseAddress!, &cache) }
        var g = Xoshiro256(seed: 4)
        for step in 0..<60 {
            let i = Int(g.below(UInt64(N))), j = step % 3 == 0 ? -1 : Int(g.below(UInt64(N)))
            if j == i { continue }
            var s2 = s
            s2[i] = -s2[i]; if j >= 0 { s2[j] = -s2[j] }
            let want = (logPsi(psi, s2).re - logPsi(psi, s).re, logPsi(psi, s2).im - logPsi(psi, s).im)
            let got = s.withUnsafeBufferPointer { psi.fastLogRatio($0.baseAddress!, cache, i, j) }
            XCTAssertEqual(got.re, want.0, accuracy: 1e-10)
            let dphi = remainder(got.im - want.1, 2 * Double.pi)
            XCTAssertEqual(dphi, 0, accuracy: 1e-10)
            s.withUnsafeBufferPointer { psi.fastMove($0.baseAddress!, &cache, i, j) }
            s = s2
        }
    }

    /// O_k = d log psi / d p_k against central differences in the real direction and
    /// i O_k in the imaginary direction (holomorphic), every parameter.
    func testComplexLogDerivativesAgainstFiniteDifferences() throws {
        let N = 4, M = 3
        let psi = try complexRBM(N, M, sigma: 0.5, seed: 9)
        let s: [Int8] = [1, -1, -1, 1]
        var th = [Double](repeating: 0, count: 2 * M)
        var or = [Double](repeating: 0, count: psi.parameterCount), oi = or
        s.withUnsafeBufferPointer { sp in
            psi.thetas(sp.baseAddress!, &th)
            psi.logDerivatives(sp.baseAddress!, th, &or, &oi)
        }
        let h = 1e-6
        for k in 0..<psi.parameterCount {
            let r0 = psi.re[k]
            psi.re[k] = r0 + h; let up = logPsi(psi, s)
            psi.re[k] = r0 - h; let dn = logPsi(psi, s)
            psi.re[k] = r0
            XCTAssertEqual((up.re - dn.re) / (2 * h), or[k], accuracy: 1e-8)
            XCTAssertEqual((up.im - dn.im) / (2 * h), oi[k], accuracy: 1e-8)
            let i0 = psi.im[k]
            psi.im[k] = i0 + h; let iu = logPsi(psi, s)
            psi.im[k] = i0 - h; let id = logPsi(psi, s)
            psi.im[k] = i0
            // d/d(Im p) log psi = i O
            XCTAssertEqual((iu.re - id.re) / (2 * h), -oi[k], accuracy: 1e-8)
            XCTAssertEqual((iu.im - id.im) / (2 * h), or[k], accuracy: 1e-8)
        }
    }

    /// The exact gradient G = dE/d Re p + i dE/d Im p against finite differences of
    /// the exact energy, and the local energies against <s|H|psi>/<s|psi> from the
    /// dense matrix.
    func testComplexExactGradientAgainstFiniteDifferences() throws {
        let H = try SpinHamiltonian.heisenberg([6], marshall: false)
        let psi = try complexRBM(6, 4, sigma: 0.3, seed: 4)
        let vmc = try exactVMC(psi, H)
        let g = ComplexVMC.gradient(vmc.enumerate())
        func energy() -> Double { ComplexVMC.gradient(vmc.enumerate()).energy.mean }
        let h = 1e-5
        for k in [0, 3, 6, 8, 10, 17, 30, psi.parameterCount - 1] {
            let r0 = psi.re[k]
            psi.re[k] = r0 + h; let up = energy()
            psi.re[k] = r0 - h; let dn = energy()
            psi.re[k] = r0
            XCTAssertEqual((up - dn) / (2 * h), g.gradient.re[k], accuracy: 1e-7, "Re p_\(k)")
            let i0 = psi.im[k]
            psi.im[k] = i0 + h; let iu = energy()
            psi.im[k] = i0 - h; let id = energy()
            psi.im[k] = i0
            XCTAssertEqual((iu - id) / (2 * h), g.gradient.im[k], accuracy: 1e-7, "Im p_\(k)")
        }
        // the energy against <psi|H|psi>/<psi|psi> with psi as a vector and H by Lanczos's matrix-vector product
        let dim = 1 << 6
        var vr = [Double](repeating: 0, count: dim), vi = vr
        for x in 0..<dim { let l = logPsi(psi, spins(x, 6)); vr[x] = exp(l.re) * cos(l.im); vi[x] = exp(l.re) * sin(l.im) }
        let hr = apply(H, vr), hi = apply(H, vi)
        var num = 0.0, den = 0.0
        for x in 0..<dim { num += vr[x] * hr[x] + vi[x] * hi[x]; den += vr[x] * vr[x] + vi[x] * vi[x] }
        XCTAssertEqual(g.energy.mean, num / den, accuracy: 1e-10)
    }

    /// Sampled energy and gradient of |psi|^2 samples within 5 error bars of enumeration.
    func testComplexSampledEnergyAndGradientAgainstEnumeration() throws {
        for (H, zero) in [(try SpinHamiltonian.tfim([6], h: 1), false), (try SpinHamiltonian.heisenberg([6], marshall: false), true)] {
            let psi = try complexRBM(6, 6, sigma: 0.3, seed: 11)
            let exact = ComplexVMC.gradient(try exactVMC(psi, H, zero: zero).enumerate())
            var st = VMCSettings()
            st.samples = 40000; st.chains = 8; st.zeroMagnetization = zero; st.threads = 2
            var start = Xoshiro256(seed: 5)
            let mc = try ComplexVMC(psi: psi, H: H, streams: RandomGenerator(seed: 21).split(8).map { $0.state }, start: &start, settings: st)
            let b = mc.sample()
            let s = ComplexVMC.gradient(b)
            XCTAssertLessThan(abs(s.energy.mean - exact.energy.mean), 5 * s.energy.error, "\(H.name): \(s.energy.mean) ± \(s.energy.error) vs \(exact.energy.mean)")
            XCTAssertGreaterThan(mc.acceptance, 0.05)
            let P = b.parameters
            var worst = 0.0
            for p in 0..<P {
                // per-sample series of the real and imaginary parts of 2 conj(O - <O>)(E - <E>)
                var sr = [Double](), si = [Double]()
                for k in 0..<b.count {
                    let orr = b.Or[k * P + p] - s.meanO.re[p], oii = b.Oi[k * P + p] - s.meanO.im[p]
                    let er = b.Er[k] - s.energy.mean, ei = b.Ei[k]
                    sr.append(2 * (orr * er + oii * ei)); si.append(2 * (orr * ei - oii * er))
                }
                let erR = MCStatistics.estimate(sr, chains: b.chains).error, erI = MCStatistics.estimate(si, chains: b.chains).error
                worst = Swift.max(worst, abs(s.gradient.re[p] - exact.gradient.re[p]) / Swift.max(erR, 1e-12),
                                  abs(s.gradient.im[p] - exact.gradient.im[p]) / Swift.max(erI, 1e-12))
            }
            XCTAssertLessThan(worst, 5, "\(H.name): worst gradient component deviation in error bars")
        }
    }

    /// R(S) from the real form equals the Hermitian S = <O* O> - <O*><O> computed here.
    func testRealFormOfTheHermitianS() throws {
        let H = try SpinHamiltonian.tfim([4], h: 0.7)
        let psi = try complexRBM(4, 2, sigma: 0.4, seed: 8)
        let b = try exactVMC(psi, H).enumerate()
        let g = ComplexVMC.gradient(b)
        let P = b.parameters, R = ComplexVMC.sMatrix(b, meanO: g.meanO), w = b.weights!
        for k in 0..<P {
            for l in 0..<P {
                var sr = 0.0, si = 0.0
                for n in 0..<b.count {
                    // conj(O_k) O_l
                    let ar = b.Or[n * P + k], ai = b.Oi[n * P + k], cr = b.Or[n * P + l], ci = b.Oi[n * P + l]
                    sr += w[n] * (ar * cr + ai * ci); si += w[n] * (ar * ci - ai * cr)
                }
                sr -= g.meanO.re[k] * g.meanO.re[l] + g.meanO.im[k] * g.meanO.im[l]
                si -= g.meanO.re[k] * g.meanO.im[l] - g.meanO.im[k] * g.meanO.re[l]
                XCTAssertEqual(R[k * 2 * P + l], sr, accuracy: 1e-12)
                XCTAssertEqual(R[(P + k) * 2 * P + l], si, accuracy: 1e-12)
                XCTAssertEqual(R[(P + k) * 2 * P + P + l], sr, accuracy: 1e-12)
                XCTAssertEqual(R[k * 2 * P + P + l], -si, accuracy: 1e-12)
            }
        }
    }

    /// The Heisenberg chain without the Marshall sign rule: the ground state has signs
    /// (-1)^(number of up spins on odd sites), which a real positive RBM cannot give; the
    /// complex RBM reaches Lanczos's energy by exact SR.
    func testComplexRBMReachesHeisenbergWithoutMarshallSign() throws {
        let H = try SpinHamiltonian.heisenberg([6], marshall: false)
        let e0 = try Lanczos.groundState(H, magnetization: 0).energy
        let psi = try complexRBM(6, 12, sigma: 0.05, seed: 1)
        var st = VMCSettings()
        st.exact = true; st.zeroMagnetization = true; st.learningRate = 0.05; st.diagShift = 0.01
        var start = Xoshiro256(seed: 5)
        let vmc = try ComplexVMC(psi: psi, H: H, streams: [Xoshiro256(seed: 2)], start: &start, settings: st)
        var last = 0.0
        for _ in 0..<400 {
            last = try vmc.step().energy.mean
            XCTAssertGreaterThanOrEqual(last, e0 - 1e-9)   // the variational bound
        }
        XCTAssertLessThan(abs((last - e0) / e0), 1e-4, "E = \(last), exact \(e0)")
        // a real RBM (same size, exact SR) stays far above: the sign structure is out of its reach
        var g = Xoshiro256(seed: 1)
        let real = try RBMWavefunction.random(sites: 6, hidden: 12, sigma: 0.05, rng: &g)
        let rv = try VMC(psi: real, H: H, streams: [Xoshiro256(seed: 2)], start: &start, settings: st)
        var lr = 0.0
        for _ in 0..<400 { lr = try rv.step().energy.mean }
        XCTAssertGreaterThan(abs((lr - e0) / e0), 1e-2, "real RBM E = \(lr), exact \(e0)")
    }

    /// Cholesky with sr_scale against the explicit shifted matrix, and CG with it agreeing.
    func testRelativeDiagonalShift() throws {
        let H = try SpinHamiltonian.tfim([5], h: 1)
        var g = Xoshiro256(seed: 3)
        let psi = try RBMWavefunction.random(sites: 5, hidden: 5, sigma: 0.3, rng: &g)
        var st = VMCSettings()
        st.exact = true
        var start = Xoshiro256(seed: 5)
        let b = try VMC(psi: psi, H: H, streams: [Xoshiro256(seed: 2)], start: &start, settings: st).enumerate()
        let gr = VMC.gradient(b)
        let S = VMC.sMatrix(b, meanO: gr.meanO), P = gr.gradient.count
        let d = try VMC.srSolve(S, gr.gradient, shift: 1e-3, scale: 0.5)
        // (S + 1e-3 + 0.5 diag S) d = g
        for i in 0..<P {
            var r = (1e-3 + 0.5 * S[i * P + i]) * d[i]
            for j in 0..<P { r += S[i * P + j] * d[j] }
            XCTAssertEqual(r, gr.gradient[i], accuracy: 1e-9)
        }
        let c = VMC.cgSolve(b, meanO: gr.meanO, gr.gradient, shift: 1e-3, scale: 0.5, tolerance: 1e-12, maxSteps: 500)
        for i in 0..<P { XCTAssertEqual(c.d[i], d[i], accuracy: 1e-6 * Swift.max(1, abs(d[i]))) }
    }

    // MARK: networks

    func network(_ N: Int, _ H: SpinHamiltonian, zero: Bool = false, exact: Bool = true, lr: Double = 0.05) throws -> NetworkVMC {
        let model = Sequential([try Dense(2 * N, .tanh), try Dense(1)])
        var st = VMCSettings()
        st.exact = exact; st.zeroMagnetization = zero; st.learningRate = lr; st.diagShift = 0.01
        var start = Xoshiro256(seed: 5)
        return try NetworkVMC(model: model, H: H, streams: RandomGenerator(seed: 2).split(4).map { $0.state }, start: &start,
                              random: RandomGenerator(seed: 7), settings: st)
    }

    /// Per-sample log-derivatives (one backward pass per row) against central differences.
    func testNetworkLogDerivativesAgainstFiniteDifferences() throws {
        let N = 5
        let vmc = try network(N, try SpinHamiltonian.tfim([N], h: 1))
        var rows: [Double] = []
        for x in [0, 7, 21, 31] { rows += spins(x, N).map(Double.init) }
        // build the network, then its parameters in order of use
        let pass = ForwardPass(tape: Tape(), training: false, random: RandomGenerator(seed: 1))
        _ = try vmc.logPsi(rows, 4, pass: pass)
        let params = pass.used.map { $0.0 }
        let O = try vmc.logDerivatives(rows, parameters: params)
        let P = params.reduce(0) { $0 + $1.value.count }
        XCTAssertEqual(O.count, 4 * P)
        let h = 1e-6
        var at = 0
        for p in params {
            for q in 0..<p.value.count {
                var v = p.value.scalars
                let v0 = v[q]
                v[q] = v0 + h; p.value = try Tensor(v, shape: p.value.shape); let up = try vmc.logPsi(rows, 4).values
                v[q] = v0 - h; p.value = try Tensor(v, shape: p.value.shape); let dn = try vmc.logPsi(rows, 4).values
                v[q] = v0; p.value = try Tensor(v, shape: p.value.shape)
                for k in 0..<4 { XCTAssertEqual((up[k] - dn[k]) / (2 * h), O[k * P + at + q], accuracy: 1e-7) }
            }
            at += p.value.count
        }
    }

    /// A network with exact SR on the TFIM N=6 reaches Lanczos's energy; the variational bound holds.
    func testNetworkStochasticReconfigurationReachesGroundState() throws {
        let H = try SpinHamiltonian.tfim([6], h: 1)
        let e0 = try Lanczos.groundState(H).energy
        let vmc = try network(6, H)
        var last = 0.0
        for _ in 0..<200 {
            last = try vmc.step().iteration.energy.mean
            XCTAssertGreaterThanOrEqual(last, e0 - 1e-9)
        }
        XCTAssertLessThan(abs((last - e0) / e0), 1e-3, "E = \(last), exact \(e0)")
    }
}
