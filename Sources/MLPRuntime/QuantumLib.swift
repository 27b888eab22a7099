// Neural quantum states (lecture 10, MLPLearn/Quantum): spin-1/2 Hamiltonians on
// periodic chains and square lattices, exact ground states by Lanczos, the RBM
// wavefunction of Carleo & Troyer (real parameters) and variational Monte Carlo
// with stochastic reconfiguration, with an exact mode that enumerates every
// configuration.
import MLPLang
import MLPTensor
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

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
                for t in self.H.multiFlip {
                    let e = s.withUnsafeBufferPointer { t.element($0.baseAddress!) }
                    var s2 = s
                    for i in t.flips { s2[i] = -s2[i] }
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
        psi.tied == nil ? "<rbm_psi: \(psi.sites) visible, \(psi.hidden) hidden, \(psi.parameterCount) real parameters>"
            : "<rbm_psi: \(psi.sites) visible, \(psi.features) features x \(psi.hidden / psi.features) translations, \(psi.trainableCount) real parameters (symmetric)>"
    }
    override var fieldNames: [String] { ["sites", "hidden", "alpha", "parameters", "a", "b", "W", "log_psi"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let N = psi.sites, M = psi.hidden, pr = psi.parameters
        switch name {
        case "sites": return .number(Double(N))
        case "hidden": return .number(Double(M))
        case "alpha": return .number(Double(M) / Double(N))
        case "parameters": return .number(Double(psi.trainableCount))
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

/// An RBM wavefunction with complex parameters: `psi.a`, `psi.b`, `psi.W` (complex
/// tensors), `psi.log_psi(s)` (a complex number).
final class ComplexWavefunctionValue: MLPObject {
    let psi: ComplexRBMWavefunction
    init(_ psi: ComplexRBMWavefunction) { self.psi = psi }
    override var typeName: String { "rbm_psi" }
    override func description(_ interp: Interpreter) -> String {
        "<rbm_psi: \(psi.sites) visible, \(psi.hidden) hidden, \(psi.parameterCount) complex parameters>"
    }
    override var fieldNames: [String] { ["sites", "hidden", "alpha", "parameters", "a", "b", "W", "log_psi"] }
    func part(_ range: Range<Int>, _ shape: [Int]) throws(MLPError) -> Value {
        var v: [Double] = []
        for k in range { v.append(psi.re[k]); v.append(psi.im[k]) }
        return .object(ComplexTensorValue(try QuantumLib.complexTensor(v, shape)))
    }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let N = psi.sites, M = psi.hidden
        switch name {
        case "sites": return .number(Double(N))
        case "hidden": return .number(Double(M))
        case "alpha": return .number(Double(M) / Double(N))
        case "parameters": return .number(Double(psi.parameterCount))
        case "a": return try part(0..<N, [N])
        case "b": return try part(N..<(N + M), [M])
        case "W": return try part((N + M)..<psi.parameterCount, [N, M])
        case "log_psi":
            return boundMethod("log_psi", [p("s")]) { a throws(MLPError) in
                let s = try QuantumLib.configuration(a, 0, sites: N)
                var th = [Double](repeating: 0, count: 2 * M)
                let l = s.withUnsafeBufferPointer { sp in
                    self.psi.thetas(sp.baseAddress!, &th)
                    return self.psi.logPsi(sp.baseAddress!, th)
                }
                return .object(ComplexValue(l.re, l.im))
            }
        default: return nil
        }
    }
}

enum QuantumLib {
    static func kw(_ name: String, _ d: DefaultValue) -> Param { Param(name, d, keywordOnly: true) }

    /// A complex tensor of the given shape from interleaved (re, im) values.
    static func complexTensor(_ interleaved: [Double], _ shape: [Int]) throws(MLPError) -> ComplexTensor {
        do { return try ComplexTensor(interleaved: try Tensor(interleaved, shape: shape + [2])) } catch { throw MLPError.runtime(message(of: error)) }
    }

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
    static func lattice(_ a: Args, _ i: Int, periodic: Bool = true) throws(MLPError) -> [Int] {
        let shape = try a.intList(i)
        guard shape.count == 1 || shape.count == 2 else {
            throw a.error("the lattice must be N (a chain) or [Lx, Ly] (a square lattice), got \(shape.count) sides.", at: i)
        }
        for L in shape where L < (periodic ? 3 : 2) {
            throw a.error(periodic ? "each side of the periodic lattice must have at least 3 sites, got \(L)."
                                   : "each side of the open lattice must have at least 2 sites, got \(L).", at: i)
        }
        return shape
    }

    /// hamiltonian(terms): each term [coefficient, "PAULI", [sites]].
    static func pauliTerms(_ a: Args, sites given: Int?) throws(MLPError) -> (sites: Int, terms: [(c: Double, ops: [Character], on: [Int])]) {
        let list = try a.list(0).items
        guard !list.isEmpty else { throw a.error("a Hamiltonian needs at least one term [coefficient, \"XX\", [i, j]].", at: 0) }
        var terms: [(c: Double, ops: [Character], on: [Int])] = [], top = -1
        for (k, item) in list.enumerated() {
            guard case .list(let t) = item, t.items.count == 3, case .number(let c) = t.items[0], case .string(let str) = t.items[1] else {
                throw a.error("term \(k) must be [coefficient, \"PAULI\", [sites]] (e.g. [0.5, \"XX\", [0, 1]]), got \(item.typeName == "list" ? "a list of another form" : "a \(item.typeName)").", at: 0)
            }
            guard c.isFinite else { throw a.error("term \(k): the coefficient must be finite, got \(formatNumber(c)).", at: 0) }
            var on: [Int] = []
            switch t.items[2] {
            case .number(let x) where x == x.rounded(): on = [Int(x)]
            case .list(let l):
                for v in l.items {
                    guard case .number(let x) = v, x == x.rounded(), abs(x) < 1e9 else { throw a.error("term \(k): sites are whole numbers, got \(v.typeName).", at: 0) }
                    on.append(Int(x))
                }
            default: throw a.error("term \(k): the sites must be a list of site indices, got \(t.items[2].typeName).", at: 0)
            }
            let ops = Array(str.s)
            guard ops.count == on.count else {
                throw a.error("term \(k): the Pauli string \"\(str.s)\" has \(ops.count) letters for \(on.count) sites \(on).", at: 0)
            }
            for i in on {
                let limit = given ?? SpinHamiltonian.maxSites
                guard i >= 0 && i < limit else {
                    throw a.error(given == nil ? "term \(k): site \(i) is outside the lattice (sites are 0 to \(limit - 1))."
                                               : "term \(k): site \(i) is outside the lattice of \(limit) sites (0 to \(limit - 1)).", at: 0)
                }
                top = Swift.max(top, i)
            }
            terms.append((c, ops, on))
        }
        return (given ?? top + 1, terms)
    }

    static func latticeText(_ shape: [Int]) -> String { shape.count == 1 ? "\(shape[0])" : "[\(shape[0]), \(shape[1])]" }

    static func hamiltonian(_ a: Args, _ i: Int) throws(MLPError) -> SpinHamiltonian {
        guard case .object(let o as HamiltonianValue) = a[i] else { throw a.typeError(i, "a Hamiltonian (made by tfim, heisenberg or hamiltonian)") }
        return o.H
    }

    static func finite(_ a: Args, _ i: Int, _ name: String) throws(MLPError) -> Double {
        let x = try a.number(i)
        guard x.isFinite else { throw a.error("'\(name)' must be finite, got \(formatNumber(x)).", at: i) }
        return x
    }

    static func register(_ r: inout Registry) {
        r.fn("tfim", [p("lattice"), p("h"), p("J", 1), kw("periodic", .bool(true))],
             doc: "The transverse-field Ising Hamiltonian H = -J sum_<ij> sz_i sz_j - h sum_i sx_i (Pauli matrices, as Carleo & Troyer) on a chain of N spins (lattice=N) or an Lx x Ly square lattice (lattice=[Lx, Ly]; site (x, y) is y Lx + x), periodic (each side at least 3) or with periodic=false open (each side at least 2). Stored as its diagonal and spin-flip terms: H.connected(s) gives the configurations s' with <s'|H|s> != 0 and the elements.",
             example: "H = tfim(20, 1); print(\"{ground_state(H).energy:.6f}\")   # -25.490990") { a throws(MLPError) in
            let periodic = try a.bool(3)
            let shape = try lattice(a, 0, periodic: periodic), h = try finite(a, 1, "h"), J = try finite(a, 2, "J")
            var H = try a.native(at: 0) { try SpinHamiltonian.tfim(shape, h: h, J: J, periodic: periodic) }
            H.name = "tfim(\(latticeText(shape)), h=\(formatNumber(h)), J=\(formatNumber(J))\(periodic ? "" : ", periodic=false"))"
            return .object(HamiltonianValue(H))
        }
        r.fn("heisenberg", [p("lattice"), p("J", 1), kw("marshall", .bool(true)), kw("periodic", .bool(true))],
             doc: "The antiferromagnetic Heisenberg Hamiltonian H = J sum_<ij> (sx sx + sy sy + sz sz) (Pauli matrices: 4 S.S) on a chain (lattice=N) or square lattice (lattice=[Lx, Ly]), periodic (each side at least 3) or with periodic=false open (at least 2). marshall=true (the default) applies the Marshall sign rule (a rotation of one sublattice: same spectrum, a ground state of one sign, which a real wavefunction can represent); periodic, it needs even sides. It conserves the magnetization: vmc(..., magnetization=0) samples the zero-magnetization sector by exchange moves.",
             example: "H = heisenberg(10); print(ground_state(H).energy / 10)") { a throws(MLPError) in
            let periodic = try a.bool(3)
            let shape = try lattice(a, 0, periodic: periodic), J = try finite(a, 1, "J"), marshall = try a.bool(2)
            var H = try a.native(at: 0) { try SpinHamiltonian.heisenberg(shape, J: J, marshall: marshall, periodic: periodic) }
            H.name = "heisenberg(\(latticeText(shape)), J=\(formatNumber(J))\(marshall ? ", marshall=true" : "")\(periodic ? "" : ", periodic=false"))"
            return .object(HamiltonianValue(H))
        }
        r.fn("hamiltonian", [p("terms"), kw("sites", .none)],
             doc: "A spin-1/2 Hamiltonian written as a sum of Pauli strings: terms is a list of [coefficient, \"PAULI\", [sites]], the string made of I, X, Y, Z with one letter per site (e.g. [-1, \"ZZ\", [0, 1]], [-0.5, \"X\", [3]]). sites= the number of spins (default: the largest index + 1). Terms with the same flips are merged; real Hamiltonians only (an even number of Y per string). Works with ground_state, vmc and H.connected like tfim and heisenberg.",
             example: "H = hamiltonian([[-1, \"ZZ\", [0, 1]], [-1, \"ZZ\", [1, 2]], [-1, \"X\", [0]], [-1, \"X\", [1]], [-1, \"X\", [2]]]); print(ground_state(H).energy)") { a throws(MLPError) in
            let given = a.isNil(1) ? nil : try a.int(1, in: 1...SpinHamiltonian.maxSites)
            let (n, terms) = try pauliTerms(a, sites: given)
            var H = try a.native(at: 0) { try SpinHamiltonian.pauli(sites: n, terms) }
            H.name = "hamiltonian(\(n) sites, \(terms.count) Pauli strings)"
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
        r.fn("rbm_psi", [p("N"), p("alpha", 1), kw("sigma", .number(0.01)), kw("symmetric", .bool(false)), rngParam, kw("complex", .bool(false))],
             doc: "The restricted Boltzmann machine wavefunction of Carleo & Troyer: log psi(s) = sum_i a_i s_i + sum_j log(2 cosh(b_j + sum_i W_ij s_i)) (computed stably), N visible spins and M = alpha N hidden units, parameters drawn from N(0, sigma^2) with rng=. Real parameters by default; complex=true: a, b, W complex (real and imaginary parts each from N(0, sigma^2)), log psi complex (its phase carries a sign structure, e.g. heisenberg(N, marshall=false)), vmc samples |psi|^2 = exp(2 Re log psi) and SR treats the parameters as holomorphic. symmetric=true (real parameters): the translation-symmetric RBM of the paper on the periodic lattice N or [Lx, Ly]: alpha (a whole number) filters w_f, one hidden unit per filter and translation T, theta = b_f + sum_i w_f[i] s_T(i), one visible bias; 1 + alpha + alpha N parameters. Fields a, b, W (the full machine, copies; complex tensors for complex=true), sites, hidden, alpha, parameters (the number trained); psi.log_psi(s) for a configuration of +1/-1 (a complex number for complex=true). vmc() trains it in place.",
             example: "psi = rbm_psi(20, alpha=1, rng=generator(1)); print(psi, psi.log_psi(ones(20))); z = rbm_psi(4, complex=true, rng=generator(1)); print(z, z.log_psi([1, -1, 1, -1]))") { a throws(MLPError) in
            let isComplex = try a.bool(5)
            if try a.bool(3) {
                guard !isComplex else { throw a.error("the translation-symmetric RBM has real parameters only; use symmetric=false with complex=true.", at: 5) }
                let shape = try lattice(a, 0)
                let alpha = try a.int(1, in: 1...(1 << 20))
                let sigma = try finite(a, 2, "sigma")
                guard sigma >= 0 else { throw a.error("'sigma' must be at least 0, got \(formatNumber(sigma)).", at: 2) }
                var g = try a.generator(4).split(1)[0].state
                let psi = try a.native(at: 1) { try RBMWavefunction.symmetric(shape: shape, features: alpha, sigma: sigma, rng: &g) }
                return .object(WavefunctionValue(psi))
            }
            let N = try a.int(0, in: 1...SpinHamiltonian.maxSites)
            let alpha = try finite(a, 1, "alpha")
            guard alpha > 0 else { throw a.error("'alpha' (hidden units per spin) must be positive, got \(formatNumber(alpha)).", at: 1) }
            let Mf = (alpha * Double(N)).rounded()
            guard Mf >= 1, Mf <= Double(RBMWavefunction.maxParameters) else {
                throw a.error("alpha N = \(formatNumber(alpha * Double(N))) must give between 1 and \(RBMWavefunction.maxParameters) hidden units.", at: 1)
            }
            let sigma = try finite(a, 2, "sigma")
            guard sigma >= 0 else { throw a.error("'sigma' must be at least 0, got \(formatNumber(sigma)).", at: 2) }
            var g = try a.generator(4).split(1)[0].state
            if isComplex {
                let psi = try a.native(at: 1) { try ComplexRBMWavefunction.random(sites: N, hidden: Int(Mf), sigma: sigma, rng: &g) }
                return .object(ComplexWavefunctionValue(psi))
            }
            let psi = try a.native(at: 1) { try RBMWavefunction.random(sites: N, hidden: Int(Mf), sigma: sigma, rng: &g) }
            return .object(WavefunctionValue(psi))
        }
        registerVMC(&r)
    }

    static func wavefunction(_ a: Args, _ i: Int) throws(MLPError) -> RBMWavefunction {
        guard case .object(let pv as WavefunctionValue) = a[i] else { throw a.typeError(i, "a wavefunction (made by rbm_psi, or a network built with >>)") }
        return pv.psi
    }

    static func zeroMagnetization(_ a: Args, _ i: Int) throws(MLPError) -> Bool {
        if a.isNil(i) { return false }
        let m = try a.number(i)
        guard m == 0 else { throw a.error("'magnetization' can only be 0 (the zero-magnetization sector) for now, got \(formatNumber(m)).", at: i) }
        return true
    }

    /// lr=: a number, or one learning rate per iteration (a list or tensor).
    static func learningRates(_ a: Args, _ i: Int, iterations: Int) throws(MLPError) -> [Double] {
        var rates: [Double]
        if case .number = a[i] { rates = [try finite(a, i, "lr")] }
        else {
            let t = try a.tensor(i)
            guard t.ndim == 1 && t.count == iterations else {
                throw a.error("'lr' is a number or one learning rate per iteration (\(iterations)), got shape \(Tensor.formatShape(t.shape)).", at: i)
            }
            rates = t.scalars
        }
        for x in rates where !(x >= 0 && x.isFinite) {
            throw a.error("'lr' must be at least 0 (0: measure only) and finite, got \(formatNumber(x)).", at: i)
        }
        return rates
    }

    static func registerVMC(_ r: inout Registry) {
        r.fn("expectation", [p("psi"), p("H"), kw("magnetization", .none)],
             doc: "The exact energy <psi|H|psi>/<psi|psi> of a wavefunction (rbm_psi, real or complex, or a network as in vmc), its variance <E_loc^2> - <E_loc>^2 and the exact energy gradient 2 <(O - <O>)(E_loc - <E>)> over its trained parameters (for complex=true a complex tensor 2 <O* (E_loc - <E>)>: dE/d Re p + i dE/d Im p), by enumerating every configuration (N <= 20; magnetization=0: the zero-magnetization sector only): the check of sampled results in the same script. Gives a dict energy, variance, gradient (a tensor), configurations.",
             example: "H = tfim(8, 1); psi = rbm_psi(8, rng=generator(1)); x = expectation(psi, H); print(x.energy, vmc(psi, H, lr=0, iterations=1, samples=20000, rng=generator(2)).energy)") { a throws(MLPError) in
            let H = try hamiltonian(a, 1)
            var st = VMCSettings()
            st.exact = true; st.zeroMagnetization = try zeroMagnetization(a, 2); st.chains = 1; st.samples = 2
            var g = Xoshiro256(seed: 1)
            let d = DictObj()
            if case .object(let lv as LayerValue) = a[0] {
                st.sr = false
                let it = try a.native(at: 0) {
                    try NetworkVMC(model: lv.layer, H: H, streams: [g], start: &g, random: RandomGenerator(seed: 1), settings: st).step(lr: 0).iteration
                }
                d["energy"] = .number(it.energy.mean)
                d["variance"] = .number(it.variance)
                d["gradient"] = .object(TensorValue(try MonteCarloLib.tensor(it.gradient, [it.gradient.count])))
                return .dict(d)
            }
            if case .object(let cv as ComplexWavefunctionValue) = a[0] {
                guard cv.psi.sites == H.sites else { throw a.error("the wavefunction has \(cv.psi.sites) spins and the Hamiltonian \(H.sites).", at: 0) }
                let vmc = try a.native { try ComplexVMC(psi: cv.psi, H: H, streams: [g], start: &g, settings: st) }
                vmc.poll = a.interruptPoll
                let b = vmc.enumerate()
                if let e = vmc.pollError { throw (e as? MLPError) ?? a.error("\(e)") }
                let gr = ComplexVMC.gradient(b)
                var G: [Double] = []
                for k in 0..<b.parameters { G.append(gr.gradient.re[k]); G.append(gr.gradient.im[k]) }
                d["energy"] = .number(gr.energy.mean)
                d["variance"] = .number(gr.variance)
                d["gradient"] = .object(ComplexTensorValue(try complexTensor(G, [b.parameters])))
                d["configurations"] = .number(Double(b.count))
                return .dict(d)
            }
            let psi = try wavefunction(a, 0)
            guard psi.sites == H.sites else { throw a.error("the wavefunction has \(psi.sites) spins and the Hamiltonian \(H.sites).", at: 0) }
            let vmc = try a.native { try VMC(psi: psi, H: H, streams: [g], start: &g, settings: st) }
            vmc.poll = a.interruptPoll
            let b = vmc.enumerate()
            if let e = vmc.pollError { throw (e as? MLPError) ?? a.error("\(e)") }
            let gr = VMC.gradient(b)
            d["energy"] = .number(gr.energy)
            d["variance"] = .number(gr.variance)
            d["gradient"] = .object(TensorValue(try MonteCarloLib.tensor(gr.gradient, [gr.gradient.count])))
            d["configurations"] = .number(Double(b.count))
            return .dict(d)
        }
        r.fn("vmc", [p("psi"), p("H"), kw("samples", .number(1000)), kw("iterations", .number(100)), kw("sr", .number(0.1)),
                     kw("lr", .number(0.1)), kw("chains", .number(16)), kw("discard", .none), kw("magnetization", .none),
                     kw("exact", .bool(false)), rngParam, kw("thin", .number(1)), kw("optimizer", .string("sgd")),
                     kw("solver", .string("auto")), kw("threads", .none), kw("sr_scale", .number(0))],
             doc: "Variational Monte Carlo: trains the wavefunction psi (rbm_psi with real or complex parameters, or any network, e.g. built with >>, whose output is log psi: one number per configuration row of N spins +1/-1; for networks the chains move in lockstep, one batched forward pass per move of all chains, the gradient by one backward pass, and SR's per-sample log-derivatives by one forward and backward pass per sample) in place towards the ground state of H. Each iteration samples |psi|^2 by Metropolis: `chains` chains, one stream of rng= each, kept from one iteration to the next, run on `threads` threads (default: the kernel threads; the same numbers for any count); per chain `discard` sweeps of burn-in (default a tenth of its samples, at least 5), then one sample every `thin` sweeps of N single-spin flips (magnetization=0: exchange moves of opposite spins in the zero-magnetization sector, for a Hamiltonian that conserves it). It computes local energies and the gradient 2 <(O - <O>)(E_loc - <E>)>, the direction d from stochastic reconfiguration (S + sr 1) d = gradient, S = <O O> - <O><O> (complex parameters: S = <O* O> - <O*><O>, gradient 2 <O* (E_loc - <E>)> whose real and imaginary parts are dE/d Re p and dE/d Im p; sr_scale=c adds c S_kk to the diagonal as well, a shift relative to S's diagonal like NetKet's diag_scale; solver=\"cholesky\": S formed, at most 8192 parameters; \"cg\": conjugate gradients with S v = X^T (X v), S never formed; \"auto\": Cholesky up to 1024 parameters) or sr=false: d = gradient; then optimizer=\"sgd\" p -= lr d, or \"adam\". lr is a number or one rate per iteration (a schedule); lr=0 only measures. exact=true enumerates every configuration instead of sampling (N <= 20). Gives a dict: energy (the last iteration's estimate: mean ± binning error), energies, errors, variances, acceptance (per iteration, tensors), acceptance_rate (overall), gradient (the last one), cg_steps (per iteration), seconds (wall time of the run), iterations. Energies are those of the parameters before each update; plot(r.energies) draws the history.",
             example: "H = tfim(10, 1); psi = rbm_psi(10, rng=generator(1)); r = vmc(psi, H, iterations=50, rng=generator(2)); print(r.energy, ground_state(H).energy)") { a throws(MLPError) in
            var network: Layer? = nil, complexPsi: ComplexRBMWavefunction? = nil
            if case .object(let lv as LayerValue) = a[0] { network = lv.layer }
            if case .object(let cv as ComplexWavefunctionValue) = a[0] { complexPsi = cv.psi }
            let psi = network == nil && complexPsi == nil ? try wavefunction(a, 0) : nil
            let H = try hamiltonian(a, 1)
            if let sites = psi?.sites ?? complexPsi?.sites, sites != H.sites {
                throw a.error("the wavefunction has \(sites) spins and the Hamiltonian \(H.sites).", at: 0)
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
            let rates = try learningRates(a, 5, iterations: iterations)
            st.learningRate = rates.contains { $0 != 0 } ? rates.first { $0 != 0 }! : 0
            st.chains = try a.int(6, in: 1...(1 << 16))
            let perChain = Swift.max(2, (st.samples + st.chains - 1) / st.chains)
            st.discard = a.isNil(7) ? Swift.max(5, perChain / 10) : try a.int(7, in: 0...(1 << 24))
            st.zeroMagnetization = try zeroMagnetization(a, 8)
            st.exact = try a.bool(9)
            let g = try a.generator(10)
            st.thin = try a.int(11, in: 1...(1 << 20))
            let opt = try a.string(12), solver = try a.string(13)
            guard let o = VMCOptimizer(rawValue: opt) else { throw a.error("'optimizer' is \"sgd\" or \"adam\", got \"\(opt)\".", at: 12) }
            guard let so = SRSolver(rawValue: solver) else { throw a.error("'solver' is \"auto\", \"cholesky\" or \"cg\", got \"\(solver)\".", at: 13) }
            st.optimizer = o; st.solver = so
            st.threads = a.isNil(14) ? Tensor.kernelThreads : try a.int(14, in: 1...256)
            st.diagScale = try finite(a, 15, "sr_scale")
            guard st.diagScale >= 0 else { throw a.error("'sr_scale' (the SR shift relative to S's diagonal) must be at least 0, got \(formatNumber(st.diagScale)).", at: 15) }
            let gens = g.split(st.chains + 2)
            let streams = gens.map { $0.state }
            var start = streams[st.chains]
            let run: (Double) throws -> VMCIteration, rate: () -> Double
            if let psi {
                let vmc = try a.native { try VMC(psi: psi, H: H, streams: Array(streams.prefix(st.chains)), start: &start, settings: st) }
                vmc.poll = a.interruptPoll
                run = { try vmc.step(lr: $0) }; rate = { vmc.acceptance }
            } else if let complexPsi {
                let vmc = try a.native { try ComplexVMC(psi: complexPsi, H: H, streams: Array(streams.prefix(st.chains)), start: &start, settings: st) }
                vmc.poll = a.interruptPoll
                run = { try vmc.step(lr: $0) }; rate = { vmc.acceptance }
            } else {
                let vmc = try a.native(at: 0) { try NetworkVMC(model: network!, H: H, streams: Array(streams.prefix(st.chains)), start: &start, random: gens[st.chains + 1], settings: st) }
                vmc.poll = a.interruptPoll
                run = { try vmc.step(lr: $0).iteration }; rate = { vmc.acceptance }
            }
            var energies: [Double] = [], errors: [Double] = [], variances: [Double] = [], acceptance: [Double] = [], cg: [Double] = []
            var last: VMCIteration? = nil
            let bar = ProgressBar(enabled: true, sink: a.context.display)
            defer { bar.clear() }
            let t0 = clockSeconds(CLOCK_MONOTONIC)
            for k in 0..<iterations {
                try a.interp.pollInterrupt(a.callLoc)
                let lr = rates.count == 1 ? rates[0] : rates[k]
                let it = try a.native(at: 0) { try run(lr) }
                energies.append(it.energy.mean); errors.append(it.energy.error)
                variances.append(it.variance); acceptance.append(it.acceptance); cg.append(Double(it.cgSteps))
                last = it
                bar.show("iteration", k + 1, iterations)
            }
            let seconds = clockSeconds(CLOCK_MONOTONIC) - t0
            let d = DictObj()
            if let it = last {
                d["energy"] = .object(EstimateValue(it.energy))
                d["gradient"] = complexPsi == nil ? .object(TensorValue(try MonteCarloLib.tensor(it.gradient, [it.gradient.count])))
                    : .object(ComplexTensorValue(try complexTensor(it.gradient, [it.gradient.count / 2])))
            }
            d["energies"] = .object(TensorValue(try MonteCarloLib.tensor(energies, [iterations])))
            d["errors"] = .object(TensorValue(try MonteCarloLib.tensor(errors, [iterations])))
            d["variances"] = .object(TensorValue(try MonteCarloLib.tensor(variances, [iterations])))
            d["acceptance"] = .object(TensorValue(try MonteCarloLib.tensor(acceptance, [iterations])))
            d["cg_steps"] = .object(TensorValue(try MonteCarloLib.tensor(cg, [iterations])))
            d["acceptance_rate"] = .number(rate())
            d["seconds"] = .number(seconds)
            d["iterations"] = .number(Double(iterations))
            return .dict(d)
        }
    }
}
