// Neural quantum states against exact answers: Lanczos against the free-fermion
// formula (TFIM) and dense diagonalisation (Heisenberg), the RBM's log-ratios
// against direct differences, and sampled energies and gradients against complete
// enumeration of |psi|^2. Sizes are small enough for a debug build.
import MLPTensor
import MLPLearn
import XCTest

final class QuantumTests: XCTestCase {
    func freeFermion(_ N: Int, _ h: Double) -> Double {
        var e = 0.0
        for n in 0..<N {
            let k = Double.pi * Double(2 * n + 1) / Double(N)
            e -= (1 + h * h - 2 * h * cos(k)).squareRoot()
        }
        return e
    }

    /// The dense matrix of H in the 2^N basis, from its terms.
    func dense(_ H: SpinHamiltonian) throws -> Tensor {
        let N = H.sites, dim = 1 << N
        var m = [Double](repeating: 0, count: dim * dim)
        for x in 0..<dim {
            let s = (0..<N).map { (x >> $0) & 1 == 1 ? Int8(1) : Int8(-1) }
            m[x * dim + x] = s.withUnsafeBufferPointer { H.diagonalElement($0.baseAddress!) }
            for t in H.offDiagonal {
                let y = x ^ (1 << t.i) ^ (t.j >= 0 ? 1 << t.j : 0)
                m[y * dim + x] += t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
            }
        }
        return try Tensor(m, shape: [dim, dim])
    }

    func testTFIMGroundStateAgainstFreeFermions() throws {
        for h in [0.5, 1.0, 2.0] {
            let g = try Lanczos.groundState(try SpinHamiltonian.tfim([10], h: h))
            XCTAssertEqual(g.energy, freeFermion(10, h), accuracy: 1e-9, "h = \(h)")
        }
        let g = try Lanczos.groundState(try SpinHamiltonian.tfim([12], h: 1), threads: 2)
        XCTAssertEqual(g.energy, freeFermion(12, 1), accuracy: 1e-9)
    }

    func testHeisenbergGroundStateAgainstDenseDiagonalisation() throws {
        for N in [8, 10] {
            for marshall in [true, false] {
                let H = try SpinHamiltonian.heisenberg([N], marshall: marshall)
                let g = try Lanczos.groundState(H, wantState: true)
                let D = try dense(H)
                let exact = try D.eigh().values.scalars[0]
                XCTAssertEqual(g.energy, exact, accuracy: 1e-9, "N = \(N), marshall \(marshall)")
                // the state is an eigenvector: <x|H|x> = E, norm 1
                let x = try XCTUnwrap(g.state)
                let hx = try Tensor.matmul(D, try Tensor(x, shape: [x.count, 1])).scalars
                var r = 0.0, n = 0.0
                for i in x.indices { r += (hx[i] - g.energy * x[i]) * (hx[i] - g.energy * x[i]); n += x[i] * x[i] }
                XCTAssertEqual(n, 1, accuracy: 1e-10)
                XCTAssertLessThan(r.squareRoot(), 1e-6)
            }
        }
        // the zero-magnetization sector: the same ground state (a singlet), and the
        // sector's state is an eigenvector in the full basis
        for N in [8, 10] {
            let H = try SpinHamiltonian.heisenberg([N], marshall: true)
            let full = try Lanczos.groundState(H, wantState: true)
            let sec = try Lanczos.groundState(H, magnetization: 0, wantState: true, threads: 2)
            XCTAssertEqual(sec.energy, full.energy, accuracy: 1e-9)
            let x = try XCTUnwrap(sec.state), y = try XCTUnwrap(full.state)
            var overlap = 0.0
            for i in x.indices { overlap += x[i] * y[i] }
            XCTAssertEqual(abs(overlap), 1, accuracy: 1e-8)
        }
        // a sector with one spin flipped: the lowest triplet, above the singlet, against dense
        let H8 = try SpinHamiltonian.heisenberg([8], marshall: false)
        let D8 = try dense(H8).eigh().values.scalars
        let t = try Lanczos.groundState(H8, magnetization: 2).energy
        XCTAssertGreaterThan(t, D8[0] + 0.1)
        XCTAssertTrue(D8.contains { abs($0 - t) < 1e-9 }, "the sector's energy \(t) is an eigenvalue")
        XCTAssertThrowsError(try Lanczos.groundState(try SpinHamiltonian.tfim([8], h: 1), magnetization: 0))
        XCTAssertThrowsError(try Lanczos.groundState(H8, magnetization: 1))
        // the known ring values (S.S units times 4)
        XCTAssertEqual(try Lanczos.groundState(try SpinHamiltonian.heisenberg([8], marshall: true)).energy, -4 * 3.651093408937, accuracy: 1e-9)
        // a 2D lattice: 3 x 3 (frustrated, no Marshall rule) against dense
        let H2 = try SpinHamiltonian.heisenberg([3, 3], marshall: false)
        XCTAssertEqual(try Lanczos.groundState(H2).energy, try dense(H2).eigh().values.scalars[0], accuracy: 1e-9)
    }

    func testSizeLimitIsCheckedFirst() throws {
        XCTAssertThrowsError(try Lanczos.groundState(try SpinHamiltonian.tfim([25], h: 1))) { e in
            XCTAssertEqual((e as? OperationError)?.kind, .tooLarge(count: 25, limit: 24))
        }
        XCTAssertThrowsError(try SpinHamiltonian.tfim([2], h: 1))
        XCTAssertThrowsError(try SpinHamiltonian.heisenberg([5], marshall: true))
    }

    func randomRBM(_ N: Int, _ M: Int, sigma: Double, seed: UInt64) throws -> RBMWavefunction {
        var g = Xoshiro256(seed: seed)
        return try RBMWavefunction.random(sites: N, hidden: M, sigma: sigma, rng: &g)
    }

    func testRBMLogRatiosAndThetaUpdates() throws {
        let N = 7, M = 9, psi = try randomRBM(N, M, sigma: 0.7, seed: 3)
        var g = Xoshiro256(seed: 9)
        var s = (0..<N).map { _ in g.next() >> 63 == 0 ? Int8(1) : Int8(-1) }
        var th = [Double](repeating: 0, count: M), th2 = th
        for trial in 0..<40 {
            let i = Int(g.below(UInt64(N))), j = trial % 2 == 0 ? -1 : (i + 1 + Int(g.below(UInt64(N - 1)))) % N
            var s2 = s
            s2[i] = -s2[i]; if j >= 0 { s2[j] = -s2[j] }
            s.withUnsafeBufferPointer { psi.thetas($0.baseAddress!, &th) }
            s2.withUnsafeBufferPointer { psi.thetas($0.baseAddress!, &th2) }
            let l1 = s.withUnsafeBufferPointer { psi.logPsi($0.baseAddress!, th) }
            let l2 = s2.withUnsafeBufferPointer { psi.logPsi($0.baseAddress!, th2) }
            let r = s.withUnsafeBufferPointer { psi.logRatio($0.baseAddress!, th, i, j) }
            XCTAssertEqual(r, l2 - l1, accuracy: 1e-12)
            // the fast ratio from a cache, and its update
            var cache = [Double](repeating: 0, count: 3 * M), cache2 = cache
            psi.refresh()
            XCTAssertTrue(psi.fastUsable)
            s.withUnsafeBufferPointer { psi.fill($0.baseAddress!, &cache) }
            s2.withUnsafeBufferPointer { psi.fill($0.baseAddress!, &cache2) }
            XCTAssertEqual(s.withUnsafeBufferPointer { psi.fastLogRatio($0.baseAddress!, cache, i, j) }, l2 - l1, accuracy: 1e-12)
            s.withUnsafeBufferPointer { psi.fastMove($0.baseAddress!, &cache, i, j) }
            for h in 0..<(3 * M) { XCTAssertEqual(cache[h], cache2[h], accuracy: 1e-12) }
            s.withUnsafeBufferPointer { psi.move($0.baseAddress!, &th, i, j) }
            for h in 0..<M { XCTAssertEqual(th[h], th2[h], accuracy: 1e-12) }
            s = s2
        }
        // log(2 cosh) is stable: a huge theta gives a finite log-amplitude
        let big = RBMWavefunction(sites: 1, hidden: 1, parameters: [0, 0, 1000])
        let one: [Int8] = [1]
        var t = [0.0]
        one.withUnsafeBufferPointer { big.thetas($0.baseAddress!, &t) }
        XCTAssertEqual(one.withUnsafeBufferPointer { big.logPsi($0.baseAddress!, t) }, 1000, accuracy: 1e-9)
    }

    /// Sampled energy and every gradient component within 5 error bars of enumeration.
    func checkSampledAgainstExact(_ H: SpinHamiltonian, zero: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let N = H.sites
        let psi = try randomRBM(N, N, sigma: 0.3, seed: 11)
        var st = VMCSettings()
        st.samples = 40000; st.chains = 8; st.zeroMagnetization = zero
        var start = Xoshiro256(seed: 5)
        let mc = try VMC(psi: psi, H: H, streams: RandomGenerator(seed: 21).split(8).map { $0.state }, start: &start, settings: st)
        st.exact = true
        let ex = try VMC(psi: psi, H: H, streams: RandomGenerator(seed: 21).split(8).map { $0.state }, start: &start, settings: st)
        let eb = ex.enumerate(), exact = VMC.gradient(eb)
        let b = mc.sample()
        let e = VMC.energy(b)
        XCTAssertLessThan(abs(e.mean - exact.energy), 5 * e.error, "energy \(e.mean) ± \(e.error) vs \(exact.energy)", file: file, line: line)
        XCTAssertLessThan(e.error, 0.05 * abs(exact.energy), file: file, line: line)
        let sampled = VMC.gradient(b)
        let P = psi.parameterCount
        var worst = 0.0
        for p in 0..<P {
            // the series of 2 (O - <O>)(E - <E>) per sample, its binning error
            let series = (0..<b.count).map { k in 2 * (b.O[k * P + p] - sampled.meanO[p]) * (b.E[k] - sampled.energy) }
            let est = MCStatistics.estimate(series, chains: b.chains)
            let dev = abs(sampled.gradient[p] - exact.gradient[p]) / Swift.max(est.error, 1e-12)
            worst = Swift.max(worst, dev)
        }
        XCTAssertLessThan(worst, 5, "worst gradient component deviation in error bars", file: file, line: line)
        // and the exact mode's energy is the weighted mean of enumerated local energies
        XCTAssertEqual(VMC.energy(eb).mean, exact.energy, accuracy: 1e-12, file: file, line: line)
    }

    func testSampledEnergyAndGradientAgainstEnumeration() throws {
        try checkSampledAgainstExact(try SpinHamiltonian.tfim([6], h: 1), zero: false)
        try checkSampledAgainstExact(try SpinHamiltonian.heisenberg([6], marshall: true), zero: true)
    }

    func testExactStochasticReconfigurationApproachesGroundState() throws {
        let H = try SpinHamiltonian.tfim([6], h: 1)
        let e0 = try Lanczos.groundState(H).energy
        let psi = try randomRBM(6, 6, sigma: 0.01, seed: 1)
        var st = VMCSettings()
        st.exact = true
        var start = Xoshiro256(seed: 5)
        let vmc = try VMC(psi: psi, H: H, streams: RandomGenerator(seed: 2).split(1).map { $0.state }, start: &start, settings: st)
        var last = 0.0
        for _ in 0..<300 {
            last = try vmc.step().energy.mean
            XCTAssertGreaterThanOrEqual(last, e0 - 1e-9)   // the variational bound
        }
        XCTAssertLessThan(abs((last - e0) / e0), 1e-3, "E = \(last), exact \(e0)")
    }
}
