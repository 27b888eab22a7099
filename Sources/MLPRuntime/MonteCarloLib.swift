// Monte Carlo (lectures 9-10, MLPLearn/MonteCarlo): the Ising model by checkerboard
// Metropolis or Wolff updates, a Metropolis chain for a model written in mlp, exact
// references (Onsager, Kaufman, enumeration), and the statistics of measurement
// series (binning error bars, autocorrelation times, jackknife) for any series.
import MLPLang
import MLPTensor
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

/// A mean with its error bar: `e.mean`, `e.error`, `e.tau`; prints as `-1.7453 ± 0.0012 (tau 2.1)`.
final class EstimateValue: MLPObject {
    let e: MCEstimate
    init(_ e: MCEstimate) { self.e = e }
    override var typeName: String { "estimate" }
    override func description(_ interp: Interpreter) -> String { EstimateValue.text(e) }
    override var fieldNames: [String] { ["mean", "error", "tau", "count", "levels"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "mean": return .number(e.mean)
        case "error": return .number(e.error)
        case "tau": return .number(e.tau)
        case "count": return .number(Double(e.count))
        case "levels": return .dict(MonteCarloLib.levelsDict(e.levels))
        default: return nil
        }
    }

    /// The mean to the error's second significant digit.
    static func text(_ e: MCEstimate) -> String {
        var s: String
        if e.error > 0 && e.error.isFinite {
            let digits = Swift.max(0, Swift.min(12, 1 - Int(floor(log10(e.error)))))
            s = cFormat("%.\(digits)f", e.mean) + " ± " + cFormat("%.\(digits)f", e.error)
        } else {
            s = formatNumber(e.mean) + " ± " + formatNumber(e.error)
        }
        if e.tau.isFinite { s += " (tau " + cFormat("%.3g", e.tau) + ")" }
        return s
    }
}

enum MonteCarloLib {
    static func kw(_ name: String, _ d: DefaultValue) -> Param { Param(name, d, keywordOnly: true) }

    static func levelsDict(_ levels: [BinningLevel]) -> DictObj {
        let d = DictObj()
        d["bin_size"] = .list(levels.map { .number(Double($0.binSize)) })
        d["bins"] = .list(levels.map { .number(Double($0.bins)) })
        d["error"] = .list(levels.map { .number($0.error) })
        return d
    }

    static func estimate(_ x: [Double], chains: Int) -> Value { .object(EstimateValue(MCStatistics.estimate(x, chains: chains))) }

    /// A quantity derived from several series' means, with its jackknife error (no tau).
    static func derived(_ series: [[Double]], chains: Int, _ f: ([Double]) -> Double) -> Value {
        let j = MCStatistics.jackknife(series, chains: chains, f)
        return .object(EstimateValue(MCEstimate(mean: j.value, error: j.error, tau: .nan, levels: [], count: series[0].count)))
    }

    /// A measurement series from argument i: a list or 1-D tensor (one chain) or a
    /// 2-D tensor [chains, n].
    static func series(_ a: Args, _ i: Int) throws(MLPError) -> (x: [Double], chains: Int) {
        let t = try a.tensor(i)
        guard t.ndim == 1 || t.ndim == 2 else { throw a.error("expected a series (a list or 1-D tensor) or a tensor [chains, n], got shape \(Tensor.formatShape(t.shape)).", at: i) }
        let chains = t.ndim == 2 ? t.shape[0] : 1
        if let msg = MCStatistics.check(count: t.count, chains: chains) { throw a.error(msg, at: i) }
        let x = t.scalars
        guard x.allSatisfy({ $0.isFinite }) else { throw a.error("the series holds a nan or infinite value.", at: i) }
        return (x, chains)
    }

    /// Every measurement of an Ising run, as estimates.
    static func isingResults(_ s: IsingSeries, _ model: IsingModel, _ sampler: IsingChains, update: IsingUpdate) throws(MLPError) -> DictObj {
        let d = DictObj(), c = s.chains, n = Double(model.sites), T = model.T
        let absM = s.magnetization.map { abs($0) }, m2 = s.magnetization.map { $0 * $0 }
        let m4 = m2.map { $0 * $0 }, e2 = s.energy.map { $0 * $0 }
        d["L"] = .number(Double(model.L)); d["T"] = .number(T)
        d["energy"] = estimate(s.energy, chains: c)
        d["magnetization"] = estimate(s.magnetization, chains: c)
        d["abs_magnetization"] = estimate(absM, chains: c)
        d["susceptibility"] = derived([absM, m2], chains: c) { n * ($0[1] - $0[0] * $0[0]) / T }
        d["specific_heat"] = derived([s.energy, e2], chains: c) { n * ($0[1] - $0[0] * $0[0]) / (T * T) }
        d["binder"] = derived([m2, m4], chains: c) { 1 - $0[1] / (3 * $0[0] * $0[0]) }
        switch update {
        case .metropolis: d["acceptance"] = .number(sampler.acceptance)
        case .wolff:
            d["clusters_per_sweep"] = .number(MCStatistics.mean(s.clusters))
            d["mean_cluster_size"] = .number(s.flipped.reduce(0, +) / s.clusters.reduce(0, +))
        }
        let ser = DictObj()
        ser["energy"] = .object(TensorValue(try tensor(s.energy, [c, s.sweeps])))
        ser["magnetization"] = .object(TensorValue(try tensor(s.magnetization, [c, s.sweeps])))
        d["series"] = .dict(ser)
        var spins: [Double] = []
        for k in 0..<c { spins += sampler.configuration(k) }
        d["spins"] = .object(TensorValue(try tensor(spins, model.dimension == 2 ? [c, model.L, model.L] : [c, model.L])))
        d["chains"] = .number(Double(c)); d["sweeps"] = .number(Double(s.sweeps)); d["update"] = .str(update.rawValue)
        return d
    }

    static func tensor(_ x: [Double], _ shape: [Int]) throws(MLPError) -> Tensor {
        do { return try Tensor(x, shape: shape) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// A number from an mlp function's result (a number or a one-element tensor).
    static func number(_ a: Args, _ v: Value, _ what: String) throws(MLPError) -> Double {
        switch v {
        case .number(let d): return d
        case .object(let o as TensorValue) where o.t.count == 1: return o.t.scalars[0]
        default: throw a.error("\(what) must return a number, got \(describeForError(v)).")
        }
    }

    static func register(_ r: inout Registry) {
        registerIsing(&r)
        registerUserChains(&r)
        registerStatistics(&r)
        registerExact(&r)
    }

    static func registerIsing(_ r: inout Registry) {
        r.fn("ising", [p("L"), p("T"), p("J", 1), p("h", 0), kw("dim", .number(2)), kw("sweeps", .number(10000)),
                       kw("burnin", .number(1000)), kw("chains", .number(1)), kw("update", .string("metropolis")),
                       kw("start", .string("hot")), kw("threads", .none), rngParam],
             doc: "Monte Carlo of the Ising model H = -J sum_<ij> s_i s_j - h sum_i s_i on a periodic L x L lattice (dim=1: a ring of L spins), L even. update=\"metropolis\": checkerboard single-spin-flip sweeps (native, vectorised); update=\"wolff\": cluster updates (h=0; a sweep is a fixed number of clusters, L^dim over the mean cluster size in the second half of the burn-in, which is then at least 20 sweeps). On a chain (dim=1) Metropolis visits random sites (a checkerboard sweep of a ring is not ergodic). Runs `chains` independent chains (one stream of rng= each, so results do not depend on threads=), burnin sweeps, then sweeps measured sweeps. Gives a dict: energy, magnetization, abs_magnetization (per site), susceptibility N(<m^2>-<|m|>^2)/T, specific_heat N(<e^2>-<e>^2)/T^2, binder 1-<m^4>/(3<m^2>^2), each an estimate (mean ± binning error, tau), acceptance (or clusters_per_sweep), series (per-sweep energy and magnetization [chains, sweeps]) and spins [chains, L, L]. T may be a list: the chains then go through the temperatures in order, a dict for each.",
             example: "r = ising(16, 2.269, sweeps=5000, chains=4); print(r.energy, r.binder)") { a throws(MLPError) in
            let L = try a.int(0), dim = try a.int(4), J = try a.number(2), h = try a.number(3)
            var temps: [Double]
            if case .number(let t) = a[1] { temps = [t] } else { temps = try a.tensor(1).scalars }
            guard !temps.isEmpty else { throw a.error("needs at least one temperature.", at: 1) }
            for t in temps where !(t > 0 && t.isFinite) {
                throw a.error("the temperature T must be positive, got \(formatNumber(t)).", at: 1)
            }
            guard dim == 1 || dim == 2 else { throw a.error("'dim' must be 1 (a chain) or 2 (a square lattice), got \(dim).", at: 4) }
            guard L >= (dim == 2 ? 4 : 2) else { throw a.error("'L' must be at least \(dim == 2 ? 4 : 2)\(dim == 2 ? " on the square lattice" : ""), got \(L).", at: 0) }
            guard L % 2 == 0 else { throw a.error("'L' must be even: the checkerboard update splits the periodic lattice into two sublattices, got \(L).", at: 0) }
            guard J.isFinite else { throw a.error("'J' must be finite.", at: 2) }
            guard h.isFinite else { throw a.error("'h' must be finite.", at: 3) }
            let sweeps = try a.int(5, atLeast: 2), burnin = try a.int(6, atLeast: 0), chains = try a.int(7, in: 1...(1 << 20))
            let updateName = try a.string(8)
            guard let update = IsingUpdate(rawValue: updateName) else { throw a.error("'update' must be \"metropolis\" or \"wolff\", got \"\(updateName)\".", at: 8) }
            if update == .wolff && h != 0 { throw a.error("the Wolff update needs h = 0, got h = \(formatNumber(h)); use update=\"metropolis\" in a field.", at: 3) }
            let start = try a.string(9)
            guard start == "hot" || start == "cold" else { throw a.error("'start' must be \"hot\" or \"cold\", got \"\(start)\".", at: 9) }
            let threads = a.isNil(10) ? Tensor.kernelThreads : try a.int(10, in: 1...64)
            let model = IsingModel(L: L, dimension: dim, J: J, h: h, T: temps[0])
            do { try IsingLimits.check(model, chains: chains) } catch { throw a.nativeError(error, at: 0) }
            // the series and the statistics' copies of them: about 80 bytes a measurement
            let phys = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
            let (n, o) = chains.multipliedReportingOverflow(by: sweeps)
            guard !o, n <= Int(Int32.max), phys <= 0 || n.multipliedReportingOverflow(by: 80).partialValue <= phys / 2 else {
                throw a.error("\(chains) chain\(chains == 1 ? "" : "s") of \(sweeps) measured sweeps give series too large for memory (about 80 bytes a measurement).", at: 5)
            }
            let g = try a.generator(11)
            let streams = g.split(chains).map { $0.state }
            let sampler: IsingChains
            do { sampler = try IsingChains(model: model, streams: streams, hot: start == "hot") } catch { throw a.nativeError(error, at: 0) }
            var out: [Value] = []
            // a progress bar on a terminal (none when the output is a file or a pipe)
            let bar = ProgressBar(enabled: true, sink: a.context.display)
            defer { bar.clear() }
            for (k, T) in temps.enumerated() {
                sampler.setTemperature(T)
                var m = model; m.T = T
                let s: IsingSeries, label = temps.count > 1 ? "T \(k + 1)/\(temps.count): sweep" : "sweep"
                do {
                    s = try sampler.run(update: update, burnIn: burnin, measure: sweeps, threads: threads, poll: a.interruptPoll,
                                        progress: { bar.show(label, $0, $1) })
                } catch { throw a.nativeError(error) }
                out.append(.dict(try isingResults(s, m, sampler, update: update)))
            }
            if case .number = a[1] { return out[0] }
            return .list(ListObj(out))
        }
    }

    static func registerUserChains(_ r: inout Registry) {
        r.fn("metropolis", [p("energy"), p("state"), p("propose"), p("T"), kw("sweeps", .number(1000)), kw("burnin", .number(100)),
                            kw("steps", .number(1)), kw("measure", .none), rngParam],
             doc: "A Metropolis chain for a model written in mlp: energy(state) gives a number, propose(state) a new candidate state (a new value: do not change the old one; it may draw with rand()). Each sweep makes `steps` proposals, each accepted with probability min(1, exp(-(E' - E)/T)) (draws from rng=); after burnin sweeps, sweeps sweeps are measured. Gives a dict: energy (an estimate: mean ± binning error, tau), measure (an estimate, or a dict of them, of what measure(state) returns: a number or a dict of numbers), acceptance, state (the last), series (per-sweep energy and measurements). A symmetric proposal is assumed.",
             example: "r = metropolis(x -> x^2 / 2, 0, x -> x + randn(), 1, sweeps=20000); print(r.energy)   # ~ <x^2/2> = T/2 = 0.5 within the error bar") { a throws(MLPError) in
            let energyFn = try a.callable(0), proposeFn = try a.callable(2)
            let T = try a.number(3)
            guard T > 0 && T.isFinite else { throw a.error("the temperature T must be positive, got \(formatNumber(T)).", at: 3) }
            let sweeps = try a.int(4, atLeast: 2), burnin = try a.int(5, atLeast: 0), steps = try a.int(6, atLeast: 1)
            guard sweeps <= 1 << 28 else { throw a.error("'sweeps' must be at most \(1 << 28), got \(sweeps).", at: 4) }
            let measureFn: Value? = a.isNil(7) ? nil : try a.callable(7)
            let g = try a.generator(8)
            var state = a[1]
            var E = try number(a, try a.call(energyFn, [state]), "energy")
            guard E.isFinite else { throw a.error("energy of the starting state is \(formatNumber(E)); it must be finite.", at: 1) }
            var energies: [Double] = [], measured: [String: [Double]] = [:], keys: [String] = [], single = true
            energies.reserveCapacity(sweeps)
            var accepted = 0, proposed = 0
            for t in 0..<(burnin + sweeps) {
                for _ in 0..<steps {
                    let candidate = try a.call(proposeFn, [state])
                    let E2 = try number(a, try a.call(energyFn, [candidate]), "energy")
                    proposed += 1
                    let dE = E2 - E
                    if dE.isNaN { throw a.error("energy returned nan.") }
                    if dE <= 0 || g.state.uniform() < exp(-dE / T) { state = candidate; E = E2; accepted += 1 }
                }
                guard t >= burnin else { continue }
                energies.append(E)
                guard let mf = measureFn else { continue }
                let v = try a.call(mf, [state])
                if case .dict(let dd) = v {
                    if t == burnin { single = false; keys = dd.keys.map { k in switch k { case .string(let t): t; case .number(let x): formatNumber(x); case .bool(let b): "\(b)" } } }
                    guard !single, dd.count == keys.count else { throw a.error("measure must return the same kind of value (a number or a dict with the same keys) every time.", at: 7) }
                    for (k, key) in keys.enumerated() { measured[key, default: []].append(try number(a, dd.values[k], "measure")) }
                } else {
                    guard single else { throw a.error("measure must return the same kind of value (a number or a dict with the same keys) every time.", at: 7) }
                    measured["measure", default: []].append(try number(a, v, "measure"))
                }
            }
            let d = DictObj(), ser = DictObj()
            d["energy"] = estimate(energies, chains: 1)
            ser["energy"] = .object(TensorValue(try tensor(energies, [sweeps])))
            if measureFn != nil {
                if single {
                    d["measure"] = estimate(measured["measure"]!, chains: 1)
                    ser["measure"] = .object(TensorValue(try tensor(measured["measure"]!, [sweeps])))
                } else {
                    let md = DictObj(), sd = DictObj()
                    for key in keys {
                        md[key] = estimate(measured[key]!, chains: 1)
                        sd[key] = .object(TensorValue(try tensor(measured[key]!, [sweeps])))
                    }
                    d["measure"] = .dict(md); ser["measure"] = .dict(sd)
                }
            }
            d["acceptance"] = .number(Double(accepted) / Double(proposed))
            d["state"] = state
            d["series"] = .dict(ser)
            return .dict(d)
        }
    }

    static func registerStatistics(_ r: inout Registry) {
        r.fn("estimate", [p("series")],
             doc: "The mean of a measurement series with its error bar from a binning analysis (bins doubled while at least 32 remain; the last such level's error) and the integrated autocorrelation time tau (Sokal's windowing, 1/2 for independent data): an estimate with fields mean, error, tau, count, levels. A tensor [chains, n] holds independent chains.",
             example: "x = cumsum(randn(10000)) * 0.01; e = estimate(x); print(e.mean, e.error, e.tau)") { a throws(MLPError) in
            let (x, c) = try series(a, 0)
            return estimate(x, chains: c)
        }
        r.fn("autocorr_time", [p("series")],
             doc: "The integrated autocorrelation time of a series, tau = 1/2 + sum_t rho(t) summed to the smallest window W >= 6 tau (Sokal): the error of the mean is sqrt(2 tau var / n). A tensor [chains, n] holds independent chains.",
             example: "autocorr_time(randn(10000))   # ~ about 0.5 (independent samples)") { a throws(MLPError) in
            let (x, c) = try series(a, 0)
            return .number(MCStatistics.autocorrelationTime(x, chains: c))
        }
        r.fn("binning", [p("series")],
             doc: "The binning analysis of a series: a dict with bin_size (1, 2, 4, ...), bins and error (the error of the mean that bins of that size give); the error grows with the bin size until the bins are longer than the autocorrelation time, then stays. A tensor [chains, n] holds independent chains.",
             example: "b = binning(ising(8, 2.3, sweeps=4096).series.energy); plot(log(tensor(b.bin_size)) / log(2), b.error)") { a throws(MLPError) in
            let (x, c) = try series(a, 0)
            return .dict(levelsDict(MCStatistics.binning(x, chains: c)))
        }
        r.fn("jackknife", [p("f"), p("series")],
             doc: "A quantity derived from the means of several series measured together, f(mean1, mean2, ...), with its jackknife error over the bins that estimate chooses for the first series: an estimate. series is a list of equally long series (or tensors [chains, n]).",
             example: "r = ising(8, 2.3, sweeps=4000); e = r.series.energy; c = jackknife((a, b) -> 64 * (b - a^2) / 2.3^2, [e, e^2])") { a throws(MLPError) in
            let f = try a.callable(0)
            let items = try a.sequence(1)
            guard !items.isEmpty else { throw a.error("needs at least one series.", at: 1) }
            var xs: [[Double]] = [], chains = 1
            for (k, v) in items.enumerated() {
                let t: Tensor
                do { t = try TensorValue.fromNested(v) } catch {
                    if case .object(let o as TensorValue) = v { t = o.t } else { throw a.error("series \(k) is not a list or tensor of numbers.", at: 1) }
                }
                let c = t.ndim == 2 ? t.shape[0] : 1
                if k == 0 { chains = c }
                guard t.count == (xs.first?.count ?? t.count), c == chains else { throw a.error("the series must have the same length and chains; series \(k) differs from series 0.", at: 1) }
                if let msg = MCStatistics.check(count: t.count, chains: c) { throw a.error(msg, at: 1) }
                xs.append(t.scalars)
            }
            var failure: MLPError? = nil
            let j = MCStatistics.jackknife(xs, chains: chains) { means in
                if failure != nil { return .nan }
                do { return try number(a, try a.call(f, means.map { .number($0) }), "f") } catch let e as MLPError { failure = e; return .nan } catch { return .nan }
            }
            if let failure { throw failure }
            return .object(EstimateValue(MCEstimate(mean: j.value, error: j.error, tau: .nan, levels: [], count: xs[0].count)))
        }
    }

    static func registerExact(_ r: inout Registry) {
        r.fn("onsager_energy", [p("T"), p("J", 1)],
             doc: "Onsager's exact energy per site of the infinite square-lattice Ising model (h = 0) at temperature T (a number or a tensor): -J coth(2K) [1 + (2/pi)(2 tanh^2(2K) - 1) K1(k)], K = J/T.",
             example: "round(onsager_energy(2.0), 4)   # -1.7456") { a throws(MLPError) in
            try exactCurve(a) { IsingExact.onsagerEnergy(T: $0, J: $1) }
        }
        r.fn("onsager_magnetization", [p("T"), p("J", 1)],
             doc: "The exact spontaneous magnetization per site of the infinite square lattice (Yang): (1 - sinh(2J/T)^-4)^(1/8) below T_c = 2J/ln(1+sqrt 2), 0 above; T a number or a tensor.",
             example: "round(onsager_magnetization(2.0), 4)   # 0.9113") { a throws(MLPError) in
            try exactCurve(a) { IsingExact.onsagerMagnetization(T: $0, J: $1) }
        }
        r.fn("ising_exact", [p("L"), p("T"), p("J", 1), p("h", 0), kw("dim", .number(2))],
             doc: "Exact Ising averages of a finite periodic lattice (the same model as ising()). Up to 20 spins by enumerating every configuration: a dict of energy, abs_magnetization, m2, m4 (per site), specific_heat, susceptibility and binder; larger square lattices with h = 0 by Kaufman's partition function: energy and specific_heat.",
             example: "ising_exact(4, 2.269).binder; ising_exact(32, 2.269).energy") { a throws(MLPError) in
            let L = try a.int(0, atLeast: 2), T = try a.number(1), J = try a.number(2), h = try a.number(3), dim = try a.int(4)
            guard T > 0 && T.isFinite else { throw a.error("the temperature T must be positive, got \(formatNumber(T)).", at: 1) }
            guard dim == 1 || dim == 2 else { throw a.error("'dim' must be 1 (a chain) or 2 (a square lattice), got \(dim).", at: 4) }
            guard J.isFinite, h.isFinite else { throw a.error("J and h must be finite.", at: 2) }
            let n = dim == 2 ? (L <= 1 << 15 ? L * L : Int.max) : L
            let d = DictObj()
            if n <= 20 {
                let x = IsingExact.enumerate(L: L, dimension: dim, T: T, J: J, h: h)
                d["energy"] = .number(x.e); d["abs_magnetization"] = .number(x.absM); d["m2"] = .number(x.m2); d["m4"] = .number(x.m4)
                d["specific_heat"] = .number(x.specificHeat); d["susceptibility"] = .number(x.susceptibility); d["binder"] = .number(x.binder)
                return .dict(d)
            }
            guard dim == 2, h == 0, J > 0, L <= 4096 else {
                throw a.error("is exact by enumeration up to 20 spins, and for larger square lattices (up to 4096 x 4096) with h = 0 and J > 0 (Kaufman); got \(dim == 2 ? "\(L) x \(L)" : "\(L) spins")\(h != 0 ? " with h != 0" : "").", at: 0)
            }
            let k = IsingExact.kaufman(L: L, T: T, J: J)
            d["energy"] = .number(k.energy); d["specific_heat"] = .number(k.specificHeat)
            return .dict(d)
        }
    }

    /// A function of T (number or tensor) and J.
    static func exactCurve(_ a: Args, _ f: (Double, Double) -> Double) throws(MLPError) -> Value {
        let J = try a.number(1)
        guard J > 0 && J.isFinite else { throw a.error("'J' must be positive (a ferromagnet), got \(formatNumber(J)).", at: 1) }
        func check(_ t: Double) throws(MLPError) {
            guard t > 0 && t.isFinite else { throw a.error("the temperature T must be positive, got \(formatNumber(t)).", at: 0) }
        }
        if case .number(let t) = a[0] { try check(t); return .number(f(t, J)) }
        let ts = try a.tensor(0)
        for t in ts.scalars { try check(t) }
        return .object(TensorValue(try tensor(ts.scalars.map { f($0, J) }, ts.shape)))
    }
}
