// The sampler's RBM kernel (MLPLearn/Quantum/RBMKernel.swift) against exact answers:
// its ratios against differences of log psi computed from scratch, its cache after
// thousands of moves against a fresh fill, its local energies against the dense
// Hamiltonian applied to the enumerated wavefunction, and the in-place Cholesky
// direction of SR against srSolve(sMatrix). Machines with large thetas (the
// recomputed sigmas and the log fallback) and with |W| > 10 (no tables) included.
import MLPTensor
import MLPLearn
import XCTest

final class RBMKernelTests: XCTestCase {
    func machine(_ N: Int, _ M: Int, sigma: Double, seed: UInt64, bias: Double = 0, bigW: Bool = false, signedW: Double = 0) throws -> RBMWavefunction {
        var g = Xoshiro256(seed: seed)
        let psi = try RBMWavefunction.random(sites: N, hidden: M, sigma: sigma, rng: &g)
        var p = psi.parameters
        for h in 0..<M { p[N + h] += h % 2 == 0 ? bias : -bias }
        if signedW != 0 { for k in 0..<(N * M) { p[N + M + k] = p[N + M + k] >= 0 ? signedW : -signedW } }
        if bigW { p[N + M + 3] = 12 }
        psi.parameters = p
        return psi
    }

    func logPsi(_ psi: RBMWavefunction, _ s: [Int8]) -> Double {
        var th = [Double](repeating: 0, count: psi.hidden)
        return s.withUnsafeBufferPointer { sp in
            psi.thetas(sp.baseAddress!, &th)
            return psi.logPsi(sp.baseAddress!, th)
        }
    }

    /// Random flips and exchanges, accepted at random: every ratio against exp of the
    /// difference of log psi, the cache against a fresh fill, the log-derivatives
    /// against RBMWavefunction's from the thetas.
    func checkMoves(_ psi: RBMWavefunction, fast: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let N = psi.sites, M = psi.hidden, P = psi.parameterCount
        let k = RBMKernel(psi)
        XCTAssertEqual(k.fast, fast, file: file, line: line)
        var g = Xoshiro256(seed: 17)
        var s = (0..<N).map { _ in g.next() >> 63 == 0 ? Int8(1) : Int8(-1) }
        var cache = [Double](repeating: 0, count: 3 * M), fresh = cache
        s.withUnsafeBufferPointer { psi.fill($0.baseAddress!, &cache) }
        var worstRatio = 0.0, worstCache = 0.0, worstO = 0.0, compared = 0
        var o = [Double](repeating: 0, count: P), o2 = o
        for trial in 0..<3000 {
            let i = Int(g.below(UInt64(N)))
            let j = trial % 3 == 0 ? (i + 1 + Int(g.below(UInt64(N - 1)))) % N : -1
            var s2 = s
            s2[i] = -s2[i]; if j >= 0 { s2[j] = -s2[j] }
            let exact = logPsi(psi, s2) - logPsi(psi, s)
            let r = s.withUnsafeBufferPointer { sp in cache.withUnsafeBufferPointer { k.ratio(sp.baseAddress!, $0.baseAddress!, i, j) } }
            // (a ratio beyond the doubles' range is inf or 0, as exp of the exact log)
            if abs(exact) < 700 { worstRatio = max(worstRatio, abs(log(r) - exact) / max(1, abs(exact))); compared += 1 }
            else if r.isInfinite { XCTAssertGreaterThan(exact, 709, file: file, line: line) }
            else if r == 0 { XCTAssertLessThan(exact, -744, file: file, line: line) }
            else { XCTAssertEqual(log(r), exact, accuracy: 1e-9 * abs(exact), file: file, line: line) }
            if g.uniform() < 0.5 {
                s.withUnsafeBufferPointer { sp in cache.withUnsafeMutableBufferPointer { k.move(sp.baseAddress!, $0.baseAddress!, i, j) } }
                s = s2
            }
            if trial % 50 == 49 {
                s.withUnsafeBufferPointer { psi.fill($0.baseAddress!, &fresh) }
                for h in 0..<M {
                    worstCache = max(worstCache, abs(cache[h] - fresh[h]) / max(1, abs(fresh[h])))
                    worstCache = max(worstCache, abs(cache[M + h] - fresh[M + h]), abs(cache[2 * M + h] - fresh[2 * M + h]))
                }
                s.withUnsafeBufferPointer { sp in
                    cache.withUnsafeBufferPointer { k.logDerivatives(sp.baseAddress!, $0.baseAddress!, &o) }
                    fresh.withUnsafeBufferPointer { psi.logDerivatives(sp.baseAddress!, $0.baseAddress!, &o2) }
                }
                for p in 0..<P { worstO = max(worstO, abs(o[p] - o2[p])) }
            }
        }
        XCTAssertGreaterThan(compared, 1000, file: file, line: line)
        XCTAssertLessThan(worstRatio, 1e-9, "log ratio", file: file, line: line)
        XCTAssertLessThan(worstCache, 1e-10, "cache after moves", file: file, line: line)
        XCTAssertLessThan(worstO, 1e-10, "log-derivatives", file: file, line: line)
    }

    func testRatiosAndCacheUpdatesAgainstLogPsi() throws {
        try checkMoves(machine(8, 12, sigma: 0.7, seed: 1), fast: true)
        // thetas near +-60 and +-400: the product leaves [1e-280, 1e280] (log fallback)
        // and sigma(-2 theta) underflows (recomputed from theta)
        try checkMoves(machine(8, 12, sigma: 0.5, seed: 2, bias: 60), fast: true)
        try checkMoves(machine(8, 12, sigma: 0.5, seed: 3, bias: 400), fast: true)
        try checkMoves(machine(8, 12, sigma: 2, seed: 4), fast: true)
        // weights +-9 on 48 hidden units: log-ratios of several hundred, products that
        // leave the checked range part-way (the log fallback)
        try checkMoves(machine(8, 48, sigma: 1, seed: 10, signedW: 9), fast: true)
        // a weight above 10: no tables, log-ratios from the thetas
        try checkMoves(machine(8, 12, sigma: 0.5, seed: 5, bigW: true), fast: false)
    }

    /// E_loc(s) = (H psi)(s) / psi(s) with H the dense matrix built from the terms.
    func checkLocalEnergy(_ H: SpinHamiltonian, _ psi: RBMWavefunction, file: StaticString = #filePath, line: UInt = #line) {
        let N = H.sites, dim = 1 << N, M = psi.hidden
        let config = { (x: Int) in (0..<N).map { (x >> $0) & 1 == 1 ? Int8(1) : Int8(-1) } }
        let amp = (0..<dim).map { exp(logPsi(psi, config($0))) }
        let k = RBMKernel(psi)
        var cache = [Double](repeating: 0, count: 3 * M), worst = 0.0
        for x in 0..<dim {
            let s = config(x)
            var hx = amp[x] * s.withUnsafeBufferPointer { H.diagonalElement($0.baseAddress!) }
            for t in H.offDiagonal {
                let y = x ^ (1 << t.i) ^ (t.j >= 0 ? 1 << t.j : 0)
                hx += t.element(s[t.i], t.j >= 0 ? s[t.j] : 1) * amp[y]
            }
            let e = s.withUnsafeBufferPointer { sp -> Double in
                psi.fill(sp.baseAddress!, &cache)
                return cache.withUnsafeBufferPointer { k.localEnergy(H, sp.baseAddress!, $0.baseAddress!) }
            }
            worst = max(worst, abs(e - hx / amp[x]) / max(1, abs(hx / amp[x])))
        }
        XCTAssertLessThan(worst, 1e-11, file: file, line: line)
    }

    func testLocalEnergiesAgainstTheDenseHamiltonian() throws {
        checkLocalEnergy(try SpinHamiltonian.tfim([8], h: 0.7), try machine(8, 8, sigma: 0.6, seed: 6))
        checkLocalEnergy(try SpinHamiltonian.heisenberg([8], marshall: true), try machine(8, 16, sigma: 0.6, seed: 7))
        checkLocalEnergy(try SpinHamiltonian.heisenberg([8], marshall: false), try machine(8, 8, sigma: 0.5, seed: 8, bigW: true))
    }

    func testInPlaceCholeskyDirectionIsSrSolveOfSMatrix() throws {
        let H = try SpinHamiltonian.tfim([10], h: 1)
        var g = Xoshiro256(seed: 8)
        let psi = try RBMWavefunction.random(sites: 10, hidden: 10, sigma: 0.3, rng: &g)
        var st = VMCSettings()
        st.samples = 400; st.chains = 4
        var start = Xoshiro256(seed: 5)
        let vmc = try VMC(psi: psi, H: H, streams: RandomGenerator(seed: 3).split(4).map { $0.state }, start: &start, settings: st)
        var b = vmc.sample()
        let gr = VMC.gradient(b)
        let ref = try VMC.srSolve(VMC.sMatrix(b, meanO: gr.meanO), gr.gradient, shift: 0.1)
        let d = try VMC.choleskyDirection(&b, meanO: gr.meanO, gr.gradient, shift: 0.1)
        XCTAssertEqual(d, ref)   // the same operations on the same numbers
        // and it solves (S + 0.1) d = g: S d from the centred rows
        let P = psi.parameterCount, n = b.count
        var Sd = [Double](repeating: 0, count: P)
        for r in 0..<n {
            var x = 0.0
            for p in 0..<P { x += b.O[r * P + p] * d[p] }
            for p in 0..<P { Sd[p] += b.O[r * P + p] * x }
        }
        let scale = gr.gradient.map { abs($0) }.max()!
        for p in 0..<P { XCTAssertEqual(Sd[p] + 0.1 * d[p], gr.gradient[p], accuracy: 1e-10 * scale) }
    }
}
