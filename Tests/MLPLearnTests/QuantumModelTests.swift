// Pauli-string Hamiltonians and open boundaries against Kronecker products built
// here from the 2x2 Pauli matrices, the translation-symmetric RBM (invariance, and
// its exact gradient against finite differences of the exact energy), SR by
// conjugate gradients against Cholesky, and chains on threads (the same samples for
// any thread count).
import MLPTensor
import MLPLearn
import XCTest

final class QuantumModelTests: XCTestCase {
    /// The 2x2 matrix m[out][in] of a Pauli letter in the basis bit 0 = down, 1 = up
    /// (Y as iY, real; the factor (-i)^nY is applied by the caller).
    func letter(_ c: Character) -> [[Double]] {
        switch c {
        case "X": return [[0, 1], [1, 0]]
        case "Y": return [[0, -1], [1, 0]]   // iY: iY|up> = -|down>, iY|down> = |up>
        case "Z": return [[-1, 0], [0, 1]]
        default: return [[1, 0], [0, 1]]
        }
    }

    /// The dense matrix of sum_k c_k P_k from Kronecker products.
    func kron(_ N: Int, _ terms: [(c: Double, ops: [Character], on: [Int])]) throws -> Tensor {
        let dim = 1 << N
        var m = [Double](repeating: 0, count: dim * dim)
        for t in terms {
            let ny = t.ops.filter { $0 == "Y" }.count
            let phase = ny % 4 == 0 ? 1.0 : -1.0   // (-i)^ny for even ny
            for x in 0..<dim {
                for y in 0..<dim {
                    var e = t.c * phase
                    var other = (x ^ y)
                    for (op, i) in zip(t.ops, t.on) {
                        e *= letter(op)[(y >> i) & 1][(x >> i) & 1]
                        other &= ~(1 << i)
                    }
                    if other == 0 { m[y * dim + x] += e }
                }
            }
        }
        return try Tensor(m, shape: [dim, dim])
    }

    func lowest(_ t: Tensor) throws -> Double { try t.eigh().values.scalars[0] }

    func testPauliStringsAgainstKroneckerProducts() throws {
        let N = 5
        let terms: [(c: Double, ops: [Character], on: [Int])] = [
            (-1, ["Z", "Z"], [0, 1]), (0.7, ["X", "X"], [1, 2]), (0.7, ["Y", "Y"], [1, 2]), (-0.3, ["X"], [4]),
            (0.4, ["X", "Z", "X"], [0, 2, 4]), (0.25, ["Z", "Z", "Z"], [1, 3, 4]), (0.5, ["Y", "X", "Y"], [3, 0, 2]),
            (0.2, ["Z", "X"], [3, 1]), (1.5, [], []), (0.3, ["Z"], [2]), (0.1, ["Y", "Z", "Y"], [0, 1, 4]),
        ]
        let H = try SpinHamiltonian.pauli(sites: N, terms)
        XCTAssertEqual(try Lanczos.groundState(H).energy, try lowest(try kron(N, terms)), accuracy: 1e-9)
        XCTAssertFalse(H.conservesMagnetization)
        // an odd number of Y is refused (imaginary elements)
        XCTAssertThrowsError(try SpinHamiltonian.pauli(sites: 2, [(1, ["X", "Y"], [0, 1])]))
        XCTAssertThrowsError(try SpinHamiltonian.pauli(sites: 2, [(1, ["X", "Q"], [0, 1])]))
        // the TFIM and Heisenberg written as Pauli strings are the builtins
        var t: [(c: Double, ops: [Character], on: [Int])] = []
        for i in 0..<6 { t.append((-1, ["Z", "Z"], [i, (i + 1) % 6])); t.append((-0.8, ["X"], [i])) }
        XCTAssertEqual(try Lanczos.groundState(try SpinHamiltonian.pauli(sites: 6, t)).energy,
                       try Lanczos.groundState(try SpinHamiltonian.tfim([6], h: 0.8)).energy, accuracy: 1e-10)
        var hb: [(c: Double, ops: [Character], on: [Int])] = []
        for i in 0..<8 { for op in ["X", "Y", "Z"] as [Character] { hb.append((1, [op, op], [i, (i + 1) % 8])) } }
        let Hp = try SpinHamiltonian.pauli(sites: 8, hb)
        XCTAssertTrue(Hp.conservesMagnetization)
        XCTAssertEqual(Hp.offDiagonal.count, 8)   // XX + YY merged per bond
        XCTAssertEqual(try Lanczos.groundState(Hp, magnetization: 0).energy,
                       try Lanczos.groundState(try SpinHamiltonian.heisenberg([8], marshall: false)).energy, accuracy: 1e-10)
    }

    func testOpenBoundariesAgainstKroneckerProducts() throws {
        // open chain of 6 and open 2x3 lattice, TFIM and Heisenberg (Marshall signs on an open lattice)
        for shape in [[6], [2, 3]] {
            let N = shape.reduce(1, *)
            let b = try SpinHamiltonian.bonds(shape, periodic: false).bonds
            XCTAssertEqual(b.count, shape.count == 1 ? 5 : 7)
            var t: [(c: Double, ops: [Character], on: [Int])] = [], hb = t
            for (i, j) in b {
                t.append((-1, ["Z", "Z"], [i, j]))
                for op in ["X", "Y", "Z"] as [Character] { hb.append((1, [op, op], [i, j])) }
            }
            for i in 0..<N { t.append((-0.9, ["X"], [i])) }
            XCTAssertEqual(try Lanczos.groundState(try SpinHamiltonian.tfim(shape, h: 0.9, periodic: false)).energy, try lowest(try kron(N, t)), accuracy: 1e-9)
            let e = try lowest(try kron(N, hb))
            XCTAssertEqual(try Lanczos.groundState(try SpinHamiltonian.heisenberg(shape, marshall: true, periodic: false)).energy, e, accuracy: 1e-9)
            XCTAssertEqual(try Lanczos.groundState(try SpinHamiltonian.heisenberg(shape, marshall: false, periodic: false), magnetization: 0).energy, e, accuracy: 1e-9)
        }
        // the open chain of 2 is allowed, the periodic one is not
        XCTAssertNoThrow(try SpinHamiltonian.tfim([2], h: 1, periodic: false))
        XCTAssertThrowsError(try SpinHamiltonian.tfim([2], h: 1))
    }

    func testSymmetricRBMIsInvariantAndItsGradientIsExact() throws {
        var g = Xoshiro256(seed: 4)
        for shape in [[6], [3, 2]] {
            let psi = try RBMWavefunction.symmetric(shape: shape == [3, 2] ? [3, 3] : shape, features: 2, sigma: 0.3, rng: &g)
            let N = psi.sites, M = psi.hidden
            XCTAssertEqual(psi.trainableCount, 1 + 2 + 2 * N)
            XCTAssertEqual(M, 2 * N)
            let T = RBMWavefunction.translations(shape == [3, 2] ? [3, 3] : shape)
            var th = [Double](repeating: 0, count: M)
            for _ in 0..<10 {
                let s = (0..<N).map { _ in g.next() >> 63 == 0 ? Int8(1) : Int8(-1) }
                let l0 = s.withUnsafeBufferPointer { sp in psi.thetas(sp.baseAddress!, &th); return psi.logPsi(sp.baseAddress!, th) }
                for perm in T {
                    var s2 = s
                    for i in 0..<N { s2[perm[i]] = s[i] }
                    let l = s2.withUnsafeBufferPointer { sp in psi.thetas(sp.baseAddress!, &th); return psi.logPsi(sp.baseAddress!, th) }
                    XCTAssertEqual(l, l0, accuracy: 1e-12)
                }
            }
        }
        // the exact gradient over the tied parameters against central differences of the exact energy
        let H = try SpinHamiltonian.tfim([6], h: 0.7)
        let psi = try RBMWavefunction.symmetric(shape: [6], features: 2, sigma: 0.3, rng: &g)
        var st = VMCSettings()
        st.exact = true
        var start = Xoshiro256(seed: 1)
        let vmc = try VMC(psi: psi, H: H, streams: [start], start: &start, settings: st)
        let grad = VMC.gradient(vmc.enumerate()).gradient
        let p0 = psi.trainableParameters
        for k in 0..<p0.count {
            var p = p0
            p[k] += 1e-5; psi.trainableParameters = p
            let ep = VMC.gradient(vmc.enumerate()).energy
            p[k] -= 2e-5; psi.trainableParameters = p
            let em = VMC.gradient(vmc.enumerate()).energy
            XCTAssertEqual(grad[k], (ep - em) / 2e-5, accuracy: 1e-6, "parameter \(k)")
        }
        psi.trainableParameters = p0
        // and exact-mode SR with the symmetric machine approaches the ground state from above
        let e0 = try Lanczos.groundState(H).energy
        var last = 0.0
        for _ in 0..<600 {
            last = try vmc.step().energy.mean
            XCTAssertGreaterThanOrEqual(last, e0 - 1e-9)
        }
        XCTAssertLessThan(abs((last - e0) / e0), 1e-3, "E = \(last), exact \(e0)")
    }

    func testConjugateGradientsAgreeWithCholeskyAndThreadsDoNotChangeSamples() throws {
        let H = try SpinHamiltonian.heisenberg([10], marshall: true)
        var g = Xoshiro256(seed: 8)
        let psi = try RBMWavefunction.random(sites: 10, hidden: 20, sigma: 0.2, rng: &g)
        var runs: [VMCBatch] = []
        for threads in [1, 2, 3] {
            var st = VMCSettings()
            st.samples = 600; st.chains = 6; st.zeroMagnetization = true; st.threads = threads; st.thin = 2
            var start = Xoshiro256(seed: 5)
            let vmc = try VMC(psi: psi, H: H, streams: RandomGenerator(seed: 3).split(6).map { $0.state }, start: &start, settings: st)
            runs.append(vmc.sample())
            XCTAssertGreaterThan(vmc.acceptance, 0.01)
        }
        XCTAssertEqual(runs[0].E, runs[1].E)
        XCTAssertEqual(runs[0].E, runs[2].E)
        XCTAssertEqual(runs[0].O, runs[2].O)
        let b = runs[0], gr = VMC.gradient(b)
        let chol = try VMC.srSolve(VMC.sMatrix(b, meanO: gr.meanO), gr.gradient, shift: 0.01)
        let cg = VMC.cgSolve(b, meanO: gr.meanO, gr.gradient, shift: 0.01, tolerance: 1e-12)
        XCTAssertGreaterThan(cg.steps, 1)
        let scale = chol.map { abs($0) }.max()!
        for k in chol.indices { XCTAssertEqual(cg.d[k], chol[k], accuracy: 1e-7 * scale) }
    }

    func testAdamAndPlainSGDLowerTheExactEnergy() throws {
        let H = try SpinHamiltonian.tfim([6], h: 1)
        let e0 = try Lanczos.groundState(H).energy
        for opt in [VMCOptimizer.adam, .sgd] {
            var g = Xoshiro256(seed: 2)
            let psi = try RBMWavefunction.random(sites: 6, hidden: 6, sigma: 0.05, rng: &g)
            var st = VMCSettings()
            st.exact = true; st.sr = false; st.optimizer = opt; st.learningRate = opt == .adam ? 0.02 : 0.05
            var start = Xoshiro256(seed: 1)
            let vmc = try VMC(psi: psi, H: H, streams: [start], start: &start, settings: st)
            let first = try vmc.step().energy.mean
            var last = first
            for _ in 0..<300 { last = try vmc.step().energy.mean; XCTAssertGreaterThanOrEqual(last, e0 - 1e-9) }
            XCTAssertLessThan(last, first - 0.5 * (first - e0), "\(opt): \(first) -> \(last), exact \(e0)")
        }
    }
}
