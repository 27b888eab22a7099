// The Monte Carlo samplers against exact results: Onsager's and Kaufman's formulas,
// complete enumeration of small lattices (energy levels, every observable, the
// state histogram of a 3 x 3 lattice), Wolff against Metropolis, and the statistics
// (binning, autocorrelation time, jackknife) on a process with a known answer.
// Sizes are small enough for a debug build (a few seconds in all).
import MLPTensor
import MLPLearn
import XCTest

final class MonteCarloTests: XCTestCase {
    func streams(_ n: Int, seed: UInt64) -> [Xoshiro256] { RandomGenerator(seed: seed).split(n).map { $0.state } }
    let tc = IsingExact.criticalTemperature()

    /// |a - b| within k error bars (and the error bar itself finite and small).
    func assertWithin(_ e: MCEstimate, _ exact: Double, sigmas k: Double = 4, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssert(e.error.isFinite && e.error > 0, "\(what): error bar \(e.error)", file: file, line: line)
        XCTAssertLessThan(abs(e.mean - exact), k * e.error, "\(what): \(e.mean) ± \(e.error) against \(exact)", file: file, line: line)
    }

    // MARK: exact formulas

    func testOnsagerValues() {
        XCTAssertEqual(IsingExact.onsagerEnergy(T: 2.0), -1.7456, accuracy: 5e-5)
        XCTAssertEqual(IsingExact.onsagerEnergy(T: tc), -2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(IsingExact.onsagerMagnetization(T: 2.0), 0.911319, accuracy: 1e-6)
        XCTAssertEqual(IsingExact.onsagerMagnetization(T: 2.3), 0)
        // the energy is continuous through T_c
        XCTAssertEqual(IsingExact.onsagerEnergy(T: tc * (1 + 1e-9)), -2.0.squareRoot(), accuracy: 1e-6)
    }

    func testKaufmanMatchesEnumeration() {
        for L in [2, 4] {
            for T in [1.5, tc, 3.0] {
                let k = IsingExact.kaufman(L: L, T: T), e = IsingExact.enumerate(L: L, T: T)
                XCTAssertEqual(k.energy, e.e, accuracy: 1e-7, "L=\(L) T=\(T)")
                XCTAssertEqual(k.specificHeat, e.specificHeat, accuracy: 1e-5, "L=\(L) T=\(T)")
            }
        }
        // large lattices approach Onsager away from T_c
        XCTAssertEqual(IsingExact.kaufman(L: 64, T: 2.0).energy, IsingExact.onsagerEnergy(T: 2.0), accuracy: 1e-7)
    }

    // MARK: the checkerboard Metropolis sweep

    func testMetropolisEnergyAgainstOnsagerAtT2() throws {
        // L = 16 at T = 2: the finite-size correction is 3e-5 (Kaufman), far below the error
        // bar (Tests/golden/montecarlo checks L = 64 in a release build)
        let chains = try IsingChains(model: IsingModel(L: 16, T: 2.0), streams: streams(4, seed: 1))
        let s = try chains.run(update: .metropolis, burnIn: 200, measure: 1200)
        let e = MCStatistics.estimate(s.energy, chains: 4)
        assertWithin(e, -1.7456, "energy at T=2 against Onsager")
        XCTAssertLessThan(e.error, 0.004)
        let m = MCStatistics.estimate(s.magnetization.map { abs($0) }, chains: 4)
        assertWithin(m, IsingExact.onsagerMagnetization(T: 2.0), sigmas: 5, "|m| at T=2 against Yang")
    }

    func testMetropolisAtCriticalPoint() throws {
        // at T_c the finite lattice differs from -sqrt 2 by 0.078 (L = 8): compare with
        // Kaufman's exact finite-L energy; |m| far above T_c is small, far below near 1
        let L = 8
        let chains = try IsingChains(model: IsingModel(L: L, T: tc), streams: streams(4, seed: 2))
        let s = try chains.run(update: .metropolis, burnIn: 500, measure: 5000)
        let e = MCStatistics.estimate(s.energy, chains: 4)
        assertWithin(e, IsingExact.kaufman(L: L, T: tc).energy, "energy at T_c against Kaufman L=32")
        XCTAssertGreaterThan(abs(e.mean + 2.0.squareRoot()), 0.01, "a finite lattice lies above -sqrt 2")
        chains.setTemperature(5)
        let hot = try chains.run(update: .metropolis, burnIn: 200, measure: 1000)
        XCTAssertLessThan(MCStatistics.mean(hot.magnetization.map { abs($0) }), 0.2)
        chains.setTemperature(1.5)
        let cold = try chains.run(update: .metropolis, burnIn: 200, measure: 1000)
        assertWithin(MCStatistics.estimate(cold.magnetization.map { abs($0) }, chains: 4), IsingExact.onsagerMagnetization(T: 1.5), sigmas: 5, "|m| at T=1.5")
    }

    /// Every observable of a 4 x 4 lattice, with and without a field, against enumeration.
    func testAllObservablesAgainstEnumeration4x4() throws {
        for (J, h, update) in [(1.0, 0.0, IsingUpdate.metropolis), (1, 0.3, .metropolis), (1, 0, .wolff), (-1, 0, .wolff), (-1, 0.5, .metropolis)] {
            let T = 2.4, n = 16.0
            let x = IsingExact.enumerate(L: 4, T: T, J: J, h: h)
            let chains = try IsingChains(model: IsingModel(L: 4, J: J, h: h, T: T), streams: streams(4, seed: 3))
            let s = try chains.run(update: update, burnIn: 200, measure: 10000)
            let absM = s.magnetization.map { abs($0) }, m2 = s.magnetization.map { $0 * $0 }
            let what = "J=\(J) h=\(h) \(update)"
            assertWithin(MCStatistics.estimate(s.energy, chains: 4), x.e, "energy \(what)")
            assertWithin(MCStatistics.estimate(absM, chains: 4), x.absM, "|m| \(what)")
            assertWithin(MCStatistics.estimate(s.magnetization, chains: 4), x.m, "m \(what)")
            let c = MCStatistics.jackknife([s.energy, s.energy.map { $0 * $0 }], chains: 4) { n * ($0[1] - $0[0] * $0[0]) / (T * T) }
            XCTAssertLessThan(abs(c.value - x.specificHeat), 4 * c.error, "C \(what): \(c) against \(x.specificHeat)")
            let u = MCStatistics.jackknife([m2, m2.map { $0 * $0 }], chains: 4) { 1 - $0[1] / (3 * $0[0] * $0[0]) }
            XCTAssertLessThan(abs(u.value - x.binder), 4 * u.error, "Binder \(what): \(u) against \(x.binder)")
        }
    }

    /// The distribution of energies the checkerboard sweep visits on 4 x 4 against
    /// exp(-E/T)/Z summed over each level (total variation < 0.01).
    func testEnergyHistogramAgainstEnumeration() throws {
        let T = 2.0
        let x = IsingExact.enumerate(L: 4, T: T, keepProbabilities: true)
        var exact: [Int: Double] = [:]
        let bonds = IsingExact.bonds(L: 4, dimension: 2)
        for (cfg, p) in x.probabilities.enumerated() {
            var b = 0
            for (i, j) in bonds { b += ((cfg >> i) ^ (cfg >> j)) & 1 == 0 ? 1 : -1 }
            exact[b, default: 0] += p
        }
        let chains = try IsingChains(model: IsingModel(L: 4, T: T), streams: streams(2, seed: 4))
        let s = try chains.run(update: .metropolis, burnIn: 100, measure: 40000)
        var seen: [Int: Double] = [:]
        for e in s.energy { seen[Int((-e * 16).rounded()), default: 0] += 1 / Double(s.energy.count) }
        let tv = 0.5 * Set(exact.keys).union(seen.keys).reduce(0) { $0 + abs(exact[$1, default: 0] - seen[$1, default: 0]) }
        XCTAssertLessThan(tv, 0.01)
    }

    /// Detailed balance on the 3 x 3 lattice (odd: SpinChains, single flips at random
    /// sites): the histogram of all 512 states against exp(-E/T)/Z.
    func testDetailedBalance3x3ByEnumeration() {
        let T = 2.0, L = 3
        let x = IsingExact.enumerate(L: L, T: T, keepProbabilities: true)
        var neighbours = [[Int]](repeating: [], count: 9)
        for (i, j) in IsingExact.bonds(L: L, dimension: 2) { neighbours[i].append(j); neighbours[j].append(i) }
        let chains = SpinChains(streams: streams(4, seed: 5), sites: 9)
        var counts = [Double](repeating: 0, count: 512)
        let sweeps = 150_000
        for c in 0..<4 {
            for t in 0..<sweeps + 100 {
                chains.sweep(c, logRatio: { s, i, _ in
                    var sum = 0
                    for j in neighbours[i] { sum += Int(s[j]) }
                    return -2 * Double(Int(s[i]) * sum) / T   // -dE/T for flipping s_i (J = 1)
                })
                guard t >= 100 else { continue }
                var cfg = 0
                for (i, v) in chains.configuration(c).enumerated() where v < 0 { cfg |= 1 << i }
                counts[cfg] += 1
            }
        }
        var tv = 0.0
        for k in 0..<512 { tv += abs(counts[k] / Double(4 * sweeps) - x.probabilities[k]) }
        tv /= 2
        XCTAssertLessThan(tv, 0.01)
        XCTAssertGreaterThan(chains.acceptance, 0.02)   // it moves (about 0.08 at T = 2)
    }

    /// Exchange moves keep the magnetization and sample the zero-magnetization sector:
    /// a ring of 6 spins against its 20 states with M = 0, enumerated.
    func testExchangeMovesSampleTheFixedMagnetizationSector() {
        let n = 6, T = 1.5
        func energy(_ cfg: Int) -> Double {
            var b = 0
            for i in 0..<n { b += ((cfg >> i) ^ (cfg >> ((i + 1) % n))) & 1 == 0 ? 1 : -1 }
            return -Double(b)
        }
        let sector = (0..<(1 << n)).filter { $0.nonzeroBitCount == n / 2 }
        let z = sector.reduce(0.0) { $0 + exp(-energy($1) / T) }
        let chains = SpinChains(streams: streams(1, seed: 13), sites: n, hot: false)
        for i in 0..<n { chains.spins[i] = i < n / 2 ? -1 : 1 }
        var counts = [Int: Double](), sweeps = 60_000
        for _ in 0..<sweeps {
            chains.sweep(0, move: .exchange, logRatio: { s, i, j in
                // swapping opposite s_i and s_j flips both: the two single-flip changes, less
                // the bond between them (counted in both, unchanged): -4 s_i s_j = +4 if adjacent
                let ni = Int(s[(i + 1) % n]) + Int(s[(i + n - 1) % n]), nj = Int(s[(j + 1) % n]) + Int(s[(j + n - 1) % n])
                let adjacent = abs(i - j) == 1 || abs(i - j) == n - 1
                let dE = 2 * Double(Int(s[i]) * ni + Int(s[j]) * nj) + (adjacent ? 4 : 0)
                return -dE / T
            })
            var cfg = 0
            for (i, v) in chains.configuration(0).enumerated() where v < 0 { cfg |= 1 << i }
            XCTAssertEqual(cfg.nonzeroBitCount, n / 2)
            counts[cfg, default: 0] += 1
        }
        var tv = 0.0
        for cfg in sector { tv += abs(counts[cfg, default: 0] / Double(sweeps) - exp(-energy(cfg) / T) / z) }
        XCTAssertLessThan(tv / 2, 0.01)
    }

    func testChainAgainstExact() throws {
        let x = IsingExact.enumerate(L: 8, dimension: 1, T: 1.5)
        let chains = try IsingChains(model: IsingModel(L: 8, dimension: 1, T: 1.5), streams: streams(2, seed: 6))
        let s = try chains.run(update: .metropolis, burnIn: 200, measure: 20000)
        assertWithin(MCStatistics.estimate(s.energy, chains: 2), x.e, "chain energy")
        XCTAssertEqual(x.e, -tanh(1 / 1.5) * (1 + pow(tanh(1 / 1.5), 6)) / (1 + pow(tanh(1 / 1.5), 8)), accuracy: 1e-12)
    }

    /// Wolff and Metropolis agree at T_c, and Wolff's autocorrelation time of |m| is far shorter.
    func testWolffAgainstMetropolisAtTc() throws {
        let L = 12
        let met = try IsingChains(model: IsingModel(L: L, T: tc), streams: streams(4, seed: 7))
        let wolff = try IsingChains(model: IsingModel(L: L, T: tc), streams: streams(4, seed: 8))
        let sm = try met.run(update: .metropolis, burnIn: 500, measure: 6000)
        let sw = try wolff.run(update: .wolff, burnIn: 100, measure: 3000)
        let em = MCStatistics.estimate(sm.energy, chains: 4), ew = MCStatistics.estimate(sw.energy, chains: 4)
        XCTAssertLessThan(abs(em.mean - ew.mean), 3 * (em.error * em.error + ew.error * ew.error).squareRoot())
        let exact = IsingExact.kaufman(L: L, T: tc).energy
        assertWithin(ew, exact, "Wolff energy at T_c")
        let tm = MCStatistics.autocorrelationTime(sm.magnetization.map { abs($0) }, chains: 4)
        let tw = MCStatistics.autocorrelationTime(sw.magnetization.map { abs($0) }, chains: 4)
        XCTAssertLessThan(tw * 4, tm, "tau(|m|): Wolff \(tw), Metropolis \(tm)")
    }

    func testThreadCountDoesNotChangeResults() throws {
        var runs: [[Double]] = []
        for (threads, update) in [(1, IsingUpdate.metropolis), (2, .metropolis), (1, .wolff), (2, .wolff)] {
            let chains = try IsingChains(model: IsingModel(L: 16, T: 2.3), streams: streams(3, seed: 9))
            let s = try chains.run(update: update, burnIn: 10, measure: 50, threads: threads)
            runs.append(s.energy + s.magnetization)
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(runs[2], runs[3])
        XCTAssertNotEqual(runs[0], runs[2])
    }

    /// The incrementally kept M and B equal a recount from the spins.
    func testKeptEnergyMatchesRecount() throws {
        for h in [0.0, -0.7] {
            let chains = try IsingChains(model: IsingModel(L: 24, h: h, T: 2.2), streams: streams(2, seed: 10))
            _ = try chains.run(update: .metropolis, burnIn: 0, measure: 37)
            for c in 0..<2 {
                let m = chains.magnetization(c), b = chains.bondSum(c)
                var mm = 0, bb = 0
                for i in 0..<24 {
                    for j in 0..<24 {
                        let s = chains.spin(c, i, j)
                        mm += s; bb += s * (chains.spin(c, i, (j + 1) % 24) + chains.spin(c, (i + 1) % 24, j))
                    }
                }
                XCTAssertEqual(m, mm); XCTAssertEqual(b, bb)
            }
        }
    }

    func testLimitsAreCheckedBeforeAllocating() {
        XCTAssertThrowsError(try IsingChains(model: IsingModel(L: 1 << 20, T: 2), streams: streams(1, seed: 1))) { e in
            guard case .tooLarge = (e as? OperationError)?.kind else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try IsingChains(model: IsingModel(L: 7, T: 2), streams: streams(1, seed: 1)))
        XCTAssertThrowsError(try IsingChains(model: IsingModel(L: 8, T: 0), streams: streams(1, seed: 1)))
        XCTAssertThrowsError(try IsingChains(model: IsingModel(L: 2, T: 1), streams: streams(1, seed: 1)))
        let f = try? IsingChains(model: IsingModel(L: 8, h: 1, T: 2), streams: streams(1, seed: 1))
        XCTAssertThrowsError(try f?.run(update: .wolff, burnIn: 0, measure: 2))
    }

    // MARK: statistics

    /// An AR(1) process x_t = a x_{t-1} + noise: tau = (1 + a) / (2 (1 - a)) = 4.5 for
    /// a = 0.8, variance 1 / (1 - a^2), so the error of the mean is sqrt(2 tau var / n).
    func testStatisticsOnAR1() {
        var g = Xoshiro256(seed: 11)
        let a = 0.8, n = 1 << 17, chains = 2
        var x = [Double](repeating: 0, count: n * chains)
        for c in 0..<chains {
            var v = g.normal() / (1 - a * a).squareRoot()
            for t in 0..<n { v = a * v + g.normal(); x[c * n + t] = v }
        }
        let e = MCStatistics.estimate(x, chains: chains)
        XCTAssertEqual(e.tau, 4.5, accuracy: 0.45)
        let expected = (2 * 4.5 / (1 - a * a) / Double(n * chains)).squareRoot()
        XCTAssertEqual(e.error, expected, accuracy: 0.2 * expected)
        XCTAssertLessThan(abs(e.mean), 4 * expected)
        XCTAssertEqual(e.levels[0].error, (1 / (1 - a * a) / Double(n * chains)).squareRoot(), accuracy: 0.05 * e.levels[0].error)
        // independent data
        let iid = (0..<40000).map { _ in g.normal() }
        XCTAssertEqual(MCStatistics.autocorrelationTime(iid, chains: 1), 0.5, accuracy: 0.05)
        XCTAssertEqual(MCStatistics.autocorrelationTime([1, 1, 1, 1], chains: 1), 0.5)
    }

    /// The jackknife of the mean itself is the standard error of the chosen bins.
    func testJackknifeOfTheMeanIsTheBinningError() {
        var g = Xoshiro256(seed: 12)
        let x = (0..<3000).map { _ in g.uniform() }
        let j = MCStatistics.jackknife([x], chains: 3) { $0[0] }
        let levels = MCStatistics.binning(x, chains: 3)
        let k = MCStatistics.chosenLevel(levels)
        XCTAssertEqual(j.error, levels[k].error, accuracy: 1e-12)
        XCTAssertGreaterThanOrEqual(levels[k].bins, MCStatistics.minimumBins)
        XCTAssertEqual(levels[0].bins, 3000)
        XCTAssertEqual(levels[1].bins, 3 * 500)   // 1000 per chain halve to 500
    }
}
