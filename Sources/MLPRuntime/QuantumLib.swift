// Neural quantum states (lecture 10, MLPLearn/Quantum): spin-1/2 Hamiltonians on
// periodic chains and square lattices, exact ground states by Lanczos, the RBM
// wavefunction of Carleo & Troyer (real parameters) and variational Monte Carlo
// with stochastic reconfiguration, with an exact mode that enumerates every
// configuration.
import MLPLang
import MLPTensor
import MLPLearn

/// A spin Hamiltonian: `H.sites`, `H.shape`, `H.connected(s)`.
final class HamiltonianValue: MLPObject {
    let H: SpinHamiltonian
    init(_ H: SpinHamiltonian) { self.H = H }
    override var typeName: String { "hamiltonian" }
    override func description(_ interp: Interpreter) -> String { H.name }
    override var fieldNames: [String] { ["sites", "shape", "conserves_magnetization", "connected"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "sites": return .number(Double(H.sites))
        case "shape": return .list(ListObj(H.shape.map { .number(Double($0)) }))
        case "conserves_magnetization": return .bool(H.conservesMagnetization)
        case "connected":
            return boundMethod("connected", [p("s")]) { a throws(MLPError) in
                let s = try QuantumLib.configuration(a, 0, sites: self.H.sites)
                var configs: [Double] = [], elements: [Double] = []
                configs += s.map(Double.init)
                elements.append(s.withUnsafeBufferPointer { self.H.diagonalElement($0.baseAddress!) })
                for t in self.H.offDiagonal {
                    let e = t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)
                    if e == 0 { continue }
                    var s2 = s
                    s2[t.i] = -s2[t.i]; if t.j >= 0 { s2[t.j] = -s2[t.j] }
                    configs += s2.map(Double.init); elements.append(e)
                }
                let d = DictObj()
                d["configurations"] = .object(TensorValue(try MonteCarloLib.tensor(configs, [elements.count, self.H.sites])))
                d["elements"] = .object(TensorValue(try MonteCarloLib.tensor(elements, [elements.count])))
                return .dict(d)
            }
        default: return nil
        }
    }
}

/// An RBM wavefunction: `psi.a`, `psi.b`, `psi.W`, `psi.log_psi(s)`.
final class WavefunctionValue: MLPObject {
    let psi: RBMWavefunction
    init(_ psi: RBMWavefunction) { self.psi = psi }
    override var typeName: String { "rbm_psi" }
    override func description(_ interp: Interpreter) -> String {
        "<rbm_psi: \(psi.sites) visible, \(psi.hidden) hidden, \(psi.parameterCount) real parameters>"
    }
    override var fieldNames: [String] { ["sites", "hidden", "alpha", "parameters", "a", "b", "W", "log_psi"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let N = psi.sites, M = psi.hidden, pr = psi.parameters
        switch name {
        case "sites": return .number(Double(N))
        case "hidden": return .number(Double(M))
        case "alpha": return .number(Double(M) / Double(N))
        case "parameters": return .number(Double(pr.count))
        case "a": return .object(TensorValue(try MonteCarloLib.tensor(Array(pr[0..<N]), [N])))
        case "b": return .object(TensorValue(try MonteCarloLib.tensor(Array(pr[N..<(N + M)]), [M])))
        case "W": return .object(TensorValue(try MonteCarloLib.tensor(Array(pr[(N + M)...]), [N, M])))
        case "log_psi":
            return boundMethod("log_psi", [p("s")]) { a throws(MLPError) in
                let s = try QuantumLib.configuration(a, 0, sites: N)
                var th = [Double](repeating: 0, count: M)
                return .number(s.withUnsafeBufferPointer { sp in
                    self.psi.thetas(sp.baseAddress!, &th)
                    return self.psi.logPsi(sp.baseAddress!, th)
                })
            }
        default: return nil
        }
    }
}

enum QuantumLib {
    static func kw(_ name: String, _ d: DefaultValue) -> Param { Param(name, d, keywordOnly: true) }

    /// A configuration of `sites` spins, each +1 or -1 (a list or a 1-D tensor).
    static func configuration(_ a: Args, _ i: Int, sites: Int) throws(MLPError) -> [Int8] {
        let t = try a.tensor(i)
        guard t.ndim == 1 && t.count == sites else {
            throw a.error("a configuration must be \(sites) spins (+1 or -1), got shape \(Tensor.formatShape(t.shape)).", at: i)
        }
        var s: [Int8] = []
        for (k, v) in t.scalars.enumerated() {
            guard v == 1 || v == -1 else { throw a.error("spins are +1 or -1, got \(formatNumber(v)) at site \(k).", at: i) }
            s.append(v == 1 ? 1 : -1)
        }
        return s
    }

    /// A lattice: N (a chain) or [Lx, Ly].
    static func lattice(_ a: Args, _ i: Int) throws(MLPError) -> [Int] {
        let shape = try a.intList(i)
        guard shape.count == 1 || shape.count == 2 else {
            throw a.error("the lattice must be N (a chain) or [Lx, Ly] (a square lattice), got \(shape.count) sides.", at: i)
        }
        for L in shape where L < 3 {
            throw a.error("each side of the periodic lattice must have at least 3 sites, got \(L).", at: i)
        }
        return shape
    }

    static func latticeText(_ shape: [Int]) -> String { shape.count == 1 ? "\(shape[0])" : "[\(shape[0]), \(shape[1])]" }

    static func hamiltonian(_ a: Args, _ i: Int) throws(MLPError) -> SpinHamiltonian {
        guard case .object(let o as HamiltonianValue) = a[i] else { throw a.typeError(i, "a Hamiltonian (made by tfim or heisenberg)") }
        return o.H
    }

    static func finite(_ a: Args, _ i: Int, _ name: String) throws(MLPError) -> Double {
        let x = try a.number(i)
        guard x.isFinite else { throw a.error("'\(name)' must be finite, got \(formatNumber(x)).", at: i) }
        return x
    }

    static func register(_ r: inout Registry) {
        r.fn("tfim", [p("lattice"), p("h"), p("J", 1)],
             doc: "The transverse-field Ising Hamiltonian H = -J sum_<ij> sz_i sz_j - h sum_i sx_i (Pauli matrices, as Carleo & Troyer) on a periodic chain of N spins (lattice=N) or a periodic Lx x Ly square lattice (lattice=[Lx, Ly]), each side at least 3. Stored as its diagonal and spin-flip terms: H.connected(s) gives the configurations s' with <s'|H|s> != 0 and the elements. Real matrix elements; open boundaries and Pauli-string Hamiltonians come later.",
             example: "H = tfim(20, 1); print(\"{ground_state(H).energy:.6f}\")   # -25.490990") { a throws(MLPError) in
            let shape = try lattice(a, 0), h = try finite(a, 1, "h"), J = try finite(a, 2, "J")
            var H = try a.native(at: 0) { try SpinHamiltonian.tfim(shape, h: h, J: J) }
            H.name = "tfim(\(latticeText(shape)), h=\(formatNumber(h)), J=\(formatNumber(J)))"
            return .object(HamiltonianValue(H))
        }
        r.fn("heisenberg", [p("lattice"), p("J", 1), kw("marshall", .bool(true))],
             doc: "The antiferromagnetic Heisenberg Hamiltonian H = J sum_<ij> (sx sx + sy sy + sz sz) (Pauli matrices: 4 S.S) on a periodic chain (lattice=N) or square lattice (lattice=[Lx, Ly]), each side at least 3. marshall=true (the default) applies the Marshall sign rule (a rotation of one sublattice: same spectrum, a ground state of one sign, which a real wavefunction can represent); it needs even sides. It conserves the magnetization: vmc(..., magnetization=0) samples the zero-magnetization sector by exchange moves.",
             example: "H = heisenberg(10); print(ground_state(H).energy / 10)") { a throws(MLPError) in
            let shape = try lattice(a, 0), J = try finite(a, 1, "J"), marshall = try a.bool(2)
            var H = try a.native(at: 0) { try SpinHamiltonian.heisenberg(shape, J: J, marshall: marshall) }
            H.name = "heisenberg(\(latticeText(shape)), J=\(formatNumber(J))\(marshall ? ", marshall=true" : ""))"
            return .object(HamiltonianValue(H))
        }
        r.fn("ground_state", [p("H"), kw("state", .bool(false)), kw("magnetization", .none)],
             doc: "The exact ground state of a Hamiltonian by Lanczos (matrix-free, in the full 2^N basis, or with magnetization=m in the sector of total magnetization sum_i s_i = m for a Hamiltonian that conserves it (heisenberg); up to \(Lanczos.maxSites) spins, checked before anything is allocated). Gives a dict: energy, energy_per_site, iterations, residual (||H x - E x||) and, with state=true, state (a tensor of 2^N amplitudes; basis index bit i set means s_i = +1; the largest amplitude positive).",
             example: "g = ground_state(tfim(10, 0.5)); print(g.energy, g.iterations); print(ground_state(heisenberg([4, 4]), magnetization=0).energy)") { a throws(MLPError) in
            let H = try hamiltonian(a, 0), want = try a.bool(1)
            let m = a.isNil(2) ? nil : try a.int(2, in: -SpinHamiltonian.maxSites...SpinHamiltonian.maxSites)
            let g = try a.native(at: m == nil ? 0 : 2) {
                try Lanczos.groundState(H, magnetization: m, wantState: want, threads: Tensor.kernelThreads, poll: a.interruptPoll)
            }
            let d = DictObj()
            d["energy"] = .number(g.energy)
            d["energy_per_site"] = .number(g.energy / Double(H.sites))
            d["iterations"] = .number(Double(g.iterations))
            d["residual"] = .number(g.residual)
            if let x = g.state { d["state"] = .object(TensorValue(try MonteCarloLib.tensor(x, [x.count]))) }
            return .dict(d)
        }
        r.fn("rbm_psi", [p("N"), p("alpha", 1), kw("sigma", .number(0.01)), rngParam],
             doc: "The restricted Boltzmann machine wavefunction of Carleo & Troyer with real parameters: log psi(s) = sum_i a_i s_i + sum_j log(2 cosh(b_j + sum_i W_ij s_i)) (computed stably), N visible spins and M = alpha N hidden units, parameters drawn from N(0, sigma^2) with rng=. Fields a, b, W (copies), sites, hidden, alpha, parameters; psi.log_psi(s) for a configuration of +1/-1. vmc() trains it in place. Complex parameters and the translation-symmetric RBM come later.",
             example: "psi = rbm_psi(20, alpha=1, rng=generator(1)); print(psi, psi.log_psi(ones(20)))") { a throws(MLPError) in
            let N = try a.int(0, in: 1...SpinHamiltonian.maxSites)
            let alpha = try finite(a, 1, "alpha")
            guard alpha > 0 else { throw a.error("'alpha' (hidden units per spin) must be positive, got \(formatNumber(alpha)).", at: 1) }
            let Mf = (alpha * Double(N)).rounded()
            guard Mf >= 1, Mf <= Double(RBMWavefunction.maxParameters) else {
                throw a.error("alpha N = \(formatNumber(alpha * Double(N))) must give between 1 and \(RBMWavefunction.maxParameters) hidden units.", at: 1)
            }
            let sigma = try finite(a, 2, "sigma")
            guard sigma >= 0 else { throw a.error("'sigma' must be at least 0, got \(formatNumber(sigma)).", at: 2) }
            var g = try a.generator(3).split(1)[0].state
            let psi = try a.native(at: 1) { try RBMWavefunction.random(sites: N, hidden: Int(Mf), sigma: sigma, rng: &g) }
            return .object(WavefunctionValue(psi))
        }
        registerVMC(&r)
    }

    static func registerVMC(_ r: inout Registry) {
        r.fn("vmc", [p("psi"), p("H"), kw("samples", .number(1000)), kw("iterations", .number(100)), kw("sr", .number(0.1)),
                     kw("lr", .number(0.1)), kw("chains", .number(16)), kw("discard", .none), kw("magnetization", .none),
                     kw("exact", .bool(false)), rngParam],
             doc: "Variational Monte Carlo: trains the wavefunction psi (rbm_psi) in place towards the ground state of H. Each iteration samples |psi|^2 by Metropolis (`chains` chains, one stream of rng= each; per chain `discard` sweeps (default a tenth of its samples, at least 5), then one sample per sweep of N single-spin flips; magnetization=0: exchange moves in the zero-magnetization sector, for a Hamiltonian that conserves it), computes local energies and the gradient 2 <(O - <O>)(E_loc - <E>)>, then p -= lr d (lr=0: measure only) with d from stochastic reconfiguration (S + sr 1) d = gradient, S = <O O> - <O><O> solved by Cholesky (sr=false: plain SGD, d = gradient). exact=true enumerates every configuration instead of sampling (N <= 20: exact expectation values and gradients). Gives a dict: energy (the last iteration's estimate: mean ± binning error), energies, errors, variances and acceptance (per iteration, tensors), iterations. Energies are those of the parameters before each update.",
             example: "H = tfim(10, 1); psi = rbm_psi(10, rng=generator(1)); r = vmc(psi, H, iterations=50, rng=generator(2)); print(r.energy, ground_state(H).energy)") { a throws(MLPError) in
            guard case .object(let pv as WavefunctionValue) = a[0] else { throw a.typeError(0, "a wavefunction (made by rbm_psi)") }
            let H = try hamiltonian(a, 1)
            guard pv.psi.sites == H.sites else {
                throw a.error("the wavefunction has \(pv.psi.sites) spins and the Hamiltonian \(H.sites).", at: 0)
            }
            var st = VMCSettings()
            st.samples = try a.int(2, in: 2...(1 << 24))
            let iterations = try a.int(3, in: 1...(1 << 24))
            if case .bool(let b) = a[4] {
                guard !b else { throw a.error("'sr' is the diagonal shift (a number >= 0), or false for plain SGD; got true.", at: 4) }
                st.sr = false
            } else {
                st.diagShift = try finite(a, 4, "sr")
                guard st.diagShift >= 0 else { throw a.error("'sr' (the diagonal shift) must be at least 0, got \(formatNumber(st.diagShift)).", at: 4) }
            }
            st.learningRate = try finite(a, 5, "lr")
            guard st.learningRate >= 0 else { throw a.error("'lr' must be at least 0 (0: measure only), got \(formatNumber(st.learningRate)).", at: 5) }
            st.chains = try a.int(6, in: 1...(1 << 16))
            let perChain = Swift.max(2, (st.samples + st.chains - 1) / st.chains)
            st.discard = a.isNil(7) ? Swift.max(5, perChain / 10) : try a.int(7, in: 0...(1 << 24))
            if !a.isNil(8) {
                let m = try a.number(8)
                guard m == 0 else { throw a.error("'magnetization' can only be 0 (the zero-magnetization sector) for now, got \(formatNumber(m)).", at: 8) }
                st.zeroMagnetization = true
            }
            st.exact = try a.bool(9)
            let g = try a.generator(10)
            let streams = g.split(st.chains + 1).map { $0.state }
            var start = streams[st.chains]
            let vmc = try a.native { try VMC(psi: pv.psi, H: H, streams: Array(streams.prefix(st.chains)), start: &start, settings: st) }
            var energies: [Double] = [], errors: [Double] = [], variances: [Double] = [], acceptance: [Double] = []
            var last: MCEstimate? = nil
            let bar = ProgressBar(enabled: true, sink: a.context.display)
            defer { bar.clear() }
            for k in 0..<iterations {
                try a.interp.pollInterrupt(a.callLoc)
                let it = try a.native { try vmc.step() }
                energies.append(it.energy.mean); errors.append(it.energy.error)
                variances.append(it.variance); acceptance.append(it.acceptance)
                last = it.energy
                bar.show("iteration", k + 1, iterations)
            }
            let d = DictObj()
            if let e = last { d["energy"] = .object(EstimateValue(e)) }
            d["energies"] = .object(TensorValue(try MonteCarloLib.tensor(energies, [iterations])))
            d["errors"] = .object(TensorValue(try MonteCarloLib.tensor(errors, [iterations])))
            d["variances"] = .object(TensorValue(try MonteCarloLib.tensor(variances, [iterations])))
            d["acceptance"] = .object(TensorValue(try MonteCarloLib.tensor(acceptance, [iterations])))
            d["iterations"] = .number(Double(iterations))
            return .dict(d)
        }
    }
}
