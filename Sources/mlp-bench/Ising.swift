// P3 (bench/physics): spin-flip attempts per second of the checkerboard Metropolis
// sweep on one thread, L = 64 at T = 2.269 and 1.5, and Wolff cluster updates per
// second at T = 2.269 (CPU time of this thread, best of 5).
import MLPTensor
import MLPLearn

func benchIsing() throws {
    for T in [2.269, 1.5] {
        let chains = try IsingChains(model: IsingModel(L: 64, T: T), streams: [Xoshiro256(seed: 1)])
        _ = try chains.run(update: .metropolis, burnIn: 1000, measure: 0)
        var best = Double.infinity
        let sweeps = 4000
        for _ in 0..<5 {
            let t0 = Clock.thread()
            _ = try chains.run(update: .metropolis, burnIn: 0, measure: sweeps)
            best = min(best, Clock.thread() - t0)
        }
        let rate = Double(sweeps * 64 * 64) / best
        print("mlp metropolis L=64 T=\(T): \(String(format: "%.1f", rate / 1e6)) million attempts/s (acceptance \(String(format: "%.3f", chains.acceptance)))")
    }
    let chains = try IsingChains(model: IsingModel(L: 64, T: 2.269), streams: [Xoshiro256(seed: 1)])
    _ = try chains.run(update: .wolff, burnIn: 200, measure: 0)
    var best = Double.infinity, clusters = 0.0, flipped = 0.0
    for _ in 0..<5 {
        let t0 = Clock.thread()
        let s = try chains.run(update: .wolff, burnIn: 0, measure: 2000)
        let dt = Clock.thread() - t0
        if dt < best { best = dt; clusters = s.clusters.reduce(0, +); flipped = s.flipped.reduce(0, +) }
    }
    print("mlp wolff L=64 T=2.269: \(String(format: "%.0f", clusters / best)) clusters/s, \(String(format: "%.1f", flipped / best / 1e6)) million spins flipped/s, mean cluster \(String(format: "%.1f", flipped / clusters))")
}
