// Any network (a Layer, e.g. built with >>) as a log-amplitude: log psi(s) is the
// network's output for the configuration s (a row of N spins +1 / -1), one number
// per configuration. Variational Monte Carlo with it: the chains move in lockstep
// (one batched forward pass per Metropolis step of all chains), local energies from
// one forward pass over every connected configuration, and the energy gradient
// 2 <(O - <O>)(E_loc - <E>)> from ONE backward pass (the seed 2 w_k (E_k - <E>)
// on the batch of samples: the <O> term drops out since the seeds sum to zero).
// Stochastic reconfiguration needs every sample's gradient O_k = d log psi(s_k) / d p:
// one forward and backward pass per sample (a batch of one row, on a tape of its
// own), the rows of the Jacobian, then the solvers of `VMC` (Cholesky or CG). Then
// plain SGD or adam on the direction. The exact mode enumerates every configuration
// as VMC's does.
import MLPTensor
import MLPAutograd
#if canImport(Glibc)
import Glibc
#endif

public final class NetworkVMC {
    public let model: Layer
    public let H: SpinHamiltonian
    public let settings: VMCSettings
    public let perChain: Int
    let random: RandomGenerator
    var spins: [Int8]
    var streams: [Xoshiro256]
    var logp: [Double] = []
    public private(set) var attempted = 0, accepted = 0
    var adam = VMCUpdate()
    /// Called between sweeps (an interrupt or a deadline).
    public var poll: (() throws -> Void)? = nil
    /// Rows per forward pass of connected configurations.
    static let chunk = 8192

    public init(model: Layer, H: SpinHamiltonian, streams: [Xoshiro256], start: inout Xoshiro256, random: RandomGenerator, settings: VMCSettings) throws {
        try settings.check(H, parameters: 1)
        self.model = model; self.H = H; self.settings = settings; self.random = random
        perChain = Swift.max(2, (settings.samples + Swift.max(1, streams.count) - 1) / Swift.max(1, streams.count))
        var st = streams
        spins = settings.startingSpins(sites: H.sites, streams: &st, start: &start)
        self.streams = st
    }

    public var acceptance: Double { attempted == 0 ? .nan : Double(accepted) / Double(attempted) }

    /// log psi of the B configurations in `x` (B x N, +1 / -1).
    public func logPsi(_ x: [Double], _ B: Int, pass: ForwardPass? = nil) throws -> (values: [Double], output: Variable) {
        let N = H.sites
        let out = try model.forward(Variable(constant: try Tensor(x, shape: [B, N])), pass ?? ForwardPass(random: random))
        let shape = out.value.shape
        guard shape == [B] || shape == [B, 1] else {
            throw OperationError("vmc", "a wavefunction network must give one log-amplitude per configuration: for a batch of shape [\(B), \(N)] (\(B) configurations of \(N) spins) it gave shape \(Tensor.formatShape(shape)); end it with dense(1).")
        }
        let v = out.value.scalars
        guard v.allSatisfy({ $0.isFinite }) else {
            throw OperationError("vmc", "the network's log-amplitudes are not finite; use a smaller lr=.")
        }
        return (v, out)
    }

    /// The samples (rows of spins) of one iteration.
    func sample() throws -> [Double] {
        let N = H.sites, C = streams.count, n = perChain, thin = Swift.max(1, settings.thin)
        var rows = [Double](repeating: 0, count: C * n * N)
        var x = spins.map(Double.init)
        if logp.count != C { logp = try logPsi(x, C).values }
        var prop = x
        var moves = [(Int, Int)](repeating: (-1, -1), count: C)
        for k in 0..<(settings.discard + n * thin) {
            try poll?()
            for _ in 0..<N {
                prop = x
                for c in 0..<C {
                    let i = Int(streams[c].below(UInt64(N)))
                    var j = -1
                    if settings.zeroMagnetization {
                        j = Int(streams[c].below(UInt64(N)))
                        if x[c * N + i] == x[c * N + j] { moves[c] = (-1, -1); continue }
                        prop[c * N + j] = -prop[c * N + j]
                    }
                    prop[c * N + i] = -prop[c * N + i]
                    moves[c] = (i, j)
                }
                let lp = try logPsi(prop, C).values
                for c in 0..<C where moves[c].0 >= 0 {
                    let r = 2 * (lp[c] - logp[c])
                    if r >= 0 || streams[c].uniform() < exp(r) {
                        for q in 0..<N { x[c * N + q] = prop[c * N + q] }
                        logp[c] = lp[c]
                        accepted += 1
                    }
                }
                attempted += C
            }
            if k < settings.discard || (k - settings.discard + 1) % thin != 0 { continue }
            let r = (k - settings.discard) / thin
            for c in 0..<C { for q in 0..<N { rows[((c * n) + r) * N + q] = x[c * N + q] } }
        }
        for q in spins.indices { spins[q] = x[q] > 0 ? 1 : -1 }
        return rows
    }

    /// Every configuration (zero magnetization in that sector) and its weight |psi|^2 / Z.
    func enumerate() throws -> (rows: [Double], weights: [Double]) {
        let N = H.sites
        var rows: [Double] = []
        for x in 0..<(1 << N) where !settings.zeroMagnetization || x.nonzeroBitCount * 2 == N {
            for i in 0..<N { rows.append((x >> i) & 1 == 1 ? 1 : -1) }
        }
        let B = rows.count / N
        let lp = try logPsi(rows, B).values
        let top = lp.max() ?? 0
        var w = lp.map { exp(2 * ($0 - top)) }
        let z = w.reduce(0, +)
        for i in w.indices { w[i] /= z }
        return (rows, w)
    }

    /// Local energies of the rows: every connected configuration through the network.
    func localEnergies(_ rows: [Double]) throws -> [Double] {
        let N = H.sites, B = rows.count / N
        let lp = try logPsi(rows, B).values
        var E = [Double](repeating: 0, count: B)
        var batch: [Double] = [], owner: [Int] = [], element: [Double] = []
        func flush() throws {
            if owner.isEmpty { return }
            let l = try logPsi(batch, owner.count).values
            for (q, k) in owner.enumerated() { E[k] += element[q] * exp(l[q] - lp[k]) }
            batch.removeAll(keepingCapacity: true); owner.removeAll(keepingCapacity: true); element.removeAll(keepingCapacity: true)
        }
        var s = [Int8](repeating: 0, count: N)
        for k in 0..<B {
            for i in 0..<N { s[i] = rows[k * N + i] > 0 ? 1 : -1 }
            E[k] = s.withUnsafeBufferPointer { H.diagonalElement($0.baseAddress!) }
            func add(_ flips: [Int], _ e: Double) {
                if e == 0 { return }
                let base = batch.count
                batch.append(contentsOf: rows[(k * N)..<((k + 1) * N)])
                for i in flips { batch[base + i] = -batch[base + i] }
                owner.append(k); element.append(e)
            }
            for t in H.offDiagonal { add(t.j >= 0 ? [t.i, t.j] : [t.i], t.element(s[t.i], t.j >= 0 ? s[t.j] : 1)) }
            for t in H.multiFlip { add(t.flips, s.withUnsafeBufferPointer { t.element($0.baseAddress!) }) }
            if owner.count >= NetworkVMC.chunk { try flush() }
        }
        try flush()
        return E
    }

    /// The Jacobian of log psi over the rows (B x P, row-major): one forward and
    /// backward pass per row, the parameters in the order of `parameters` (one not
    /// used by a row's pass gets 0).
    public func logDerivatives(_ rows: [Double], parameters: [Parameter]) throws -> [Double] {
        let N = H.sites, B = rows.count / N
        var offset: [ObjectIdentifier: Int] = [:], P = 0
        for p in parameters { offset[ObjectIdentifier(p)] = P; P += p.value.count }
        let (m, o) = B.multipliedReportingOverflow(by: Swift.max(P, 1))
        guard !o, m <= 1 << 26 else {
            throw OperationError("vmc", "\(B) samples of \(P) log-derivatives are too many for stochastic reconfiguration (at most \(1 << 26) numbers).", kind: .tooLarge(count: o ? Int.max : m, limit: 1 << 26))
        }
        var O = [Double](repeating: 0, count: B * P)
        let one = try Tensor([1], shape: [1])
        for k in 0..<B {
            if k & 255 == 255 { try poll?() }
            let pass = ForwardPass(tape: Tape(), training: false, random: random)
            let out = try logPsi(Array(rows[(k * N)..<((k + 1) * N)]), 1, pass: pass).output
            try out.backward(seed: try one.reshaped(out.value.shape))
            for (p, v) in pass.used {
                guard let at = offset[ObjectIdentifier(p)], let g = v.grad else { continue }
                let gs = g.scalars
                for q in gs.indices { O[k * P + at + q] = gs[q] }
            }
        }
        return O
    }

    /// Exact or sampled energy, variance and the gradient over the model's parameters
    /// (one backward pass); with lr != 0 the update: p -= lr d (or adam), d the gradient
    /// or with SR the solution of (S + shift) d = gradient.
    public func step(lr rate: Double? = nil) throws -> (iteration: VMCIteration, gradient: [(Parameter, Tensor)]) {
        let lr = rate ?? settings.learningRate
        let N = H.sites
        let a0 = attempted, c0 = accepted
        var rows: [Double], w: [Double]? = nil
        if settings.exact { (rows, w) = try enumerate() } else { rows = try sample() }
        let B = rows.count / N
        let E = try localEnergies(rows)
        let weights = w ?? [Double](repeating: 1 / Double(B), count: B)
        var e = 0.0, e2 = 0.0
        for k in 0..<B { e += weights[k] * E[k]; e2 += weights[k] * E[k] * E[k] }
        guard e.isFinite else { throw OperationError("vmc", "the local energies are not finite (the network's amplitudes overflowed); use a smaller lr=.") }
        let est = w == nil ? MCStatistics.estimate(E, chains: streams.count) : MCEstimate(mean: e, error: 0, tau: .nan, levels: [], count: B)
        // one backward pass: seed 2 w_k (E_k - <E>)
        let tape = Tape()
        let pass = ForwardPass(tape: tape, training: false, random: random)
        let out = try logPsi(rows, B, pass: pass).output
        let seed = (0..<B).map { 2 * weights[$0] * (E[$0] - e) }
        try out.backward(seed: try Tensor(seed, shape: out.value.shape))
        var grads: [(Parameter, Tensor)] = []
        for (p, v) in pass.used { grads.append((p, try v.grad ?? Tensor.zeros(p.value.shape))) }
        let flat = grads.flatMap { $0.1.scalars }
        var cg = 0
        if lr != 0 {
            var d = flat
            if settings.sr {
                let params = grads.map { $0.0 }
                let b = VMCBatch(E: E, O: try logDerivatives(rows, parameters: params), weights: w, chains: streams.count, parameters: flat.count)
                (d, cg) = try settings.srDirection(b, meanO: VMC.gradient(b).meanO, flat)
            }
            var pv = grads.flatMap { $0.0.value.scalars }
            adam.update(&pv, d, lr: lr, optimizer: settings.optimizer)
            var at = 0
            for (p, _) in grads {
                let n = p.value.count
                p.value = try Tensor(Array(pv[at..<(at + n)]), shape: p.value.shape)
                at += n
            }
            logp = []   // the chains' amplitudes changed
        }
        let att = attempted - a0, acc = accepted - c0
        return (VMCIteration(energy: est, variance: e2 - e * e, acceptance: att == 0 ? .nan : Double(acc) / Double(att), cgSteps: cg, gradient: flat), grads)
    }
}
