// Q-learning (LECTURES.md B6): the tabular update
// Q(s,a) += alpha [r + gamma max_a' Q(s',a') - Q(s,a)] with an epsilon-greedy
// behaviour policy (ties broken at random), and value iteration as the exact
// reference on grid worlds.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor

public enum QLearning {
    /// The greedy action of a row of Q, ties broken uniformly at random.
    @inline(__always)
    public static func greedy(_ q: UnsafePointer<Double>, _ n: Int, _ g: inout Xoshiro256) -> Int {
        var best = q[0], ties = 1, pick = 0
        for j in 1..<n {
            if q[j] > best { best = q[j]; pick = j; ties = 1 }
            else if q[j] == best {
                ties += 1
                if g.below(UInt64(ties)) == 0 { pick = j }
            }
        }
        return pick
    }

    /// The first greedy action (argmax).
    @inline(__always)
    public static func argmax(_ q: UnsafePointer<Double>, _ n: Int) -> Int {
        var pick = 0
        for j in 1..<n where q[j] > q[pick] { pick = j }
        return pick
    }

    public struct EpisodeResult { public let total: Double; public let steps: Int }

    /// One episode of tabular Q-learning on `env` (reset first), updating q
    /// ([states, actions] row-major) in place. A step that ends the episode
    /// bootstraps nothing. At most maxSteps steps (0: until done).
    public static func episode(_ env: Environment, _ q: UnsafeMutablePointer<Double>, alpha: Double, gamma: Double, epsilon: Double,
                               maxSteps: Int, _ g: inout Xoshiro256, poll: () throws -> Void = {}) throws -> EpisodeResult {
        let na = env.actionCount
        try env.reset(&g)
        var s = env.stateIndex, total = 0.0, steps = 0
        while maxSteps == 0 || steps < maxSteps {
            if steps & 4095 == 4095 { try poll() }
            let a = g.uniform() < epsilon ? Int(g.below(UInt64(na))) : greedy(q + s * na, na, &g)
            let (r, done) = try env.step(a, &g)
            let s2 = env.stateIndex
            var target = r
            if !done {
                var m = q[s2 * na]
                for j in 1..<na { m = Swift.max(m, q[s2 * na + j]) }
                target += gamma * m
            }
            q[s * na + a] += alpha * (target - q[s * na + a])
            total += r; steps += 1; s = s2
            if done { break }
        }
        return EpisodeResult(total: total, steps: steps)
    }

    /// Value iteration on a deterministic grid world (chests not consumed): Q* of the
    /// Bellman optimality equation for gamma < 1 (to tolerance `tol`), or, with a
    /// horizon H, the optimal H-step returns (H sweeps from 0; gamma = 1 allowed).
    public static func valueIteration(_ w: GridWorld, gamma: Double, horizon: Int?, tol: Double = 1e-12,
                                      maxSweeps: Int = 100_000, poll: () throws -> Void = {}) throws -> [Double] {
        guard !w.consume else {
            throw RLError(nil, "value iteration needs a world whose state is the position: chests that are taken away make it depend on the past (use consume=false).")
        }
        let ns = w.rows * w.cols, na = w.actionCount
        var next = [Int](repeating: 0, count: ns * na), reward = [Double](repeating: 0, count: ns * na)
        var terminal = [Bool](repeating: false, count: ns * na)
        for s in 0..<ns {
            for a in 0..<na {
                let (c, blocked) = w.target(s, a)
                next[s * na + a] = c
                reward[s * na + a] = (blocked ? -w.wallPenalty : 0) + w.chests[c] + (w.goals[c] ?? 0)
                terminal[s * na + a] = w.goals[c] != nil
            }
        }
        var q = [Double](repeating: 0, count: ns * na), v = [Double](repeating: 0, count: ns)
        let sweeps = horizon ?? maxSweeps
        for sweep in 0..<sweeps {
            if sweep & 63 == 63 { try poll() }
            var change = 0.0
            for k in 0..<ns * na {
                let nq = reward[k] + (terminal[k] ? 0 : gamma * v[next[k]])
                change = Swift.max(change, abs(nq - q[k]))
                q[k] = nq
            }
            for s in 0..<ns {
                var m = q[s * na]
                for j in 1..<na { m = Swift.max(m, q[s * na + j]) }
                v[s] = m
            }
            if horizon == nil && change < tol { break }
        }
        return q
    }

    /// The return and length of the greedy path (argmax, first on ties) from the
    /// start of a fresh copy, at most maxSteps steps.
    public static func greedyPath(_ w: GridWorld, _ q: UnsafePointer<Double>, maxSteps: Int) -> (total: Double, steps: Int, reached: Bool) {
        let c = w.observed(as: w.observationKind)
        var g = Xoshiro256(seed: 0)
        c.reset(&g)
        var total = 0.0, steps = 0
        while steps < maxSteps && !c.done {
            let (r, _) = c.step(argmax(q + c.position * c.actionCount, c.actionCount), &g)
            total += r; steps += 1
        }
        return (total, steps, c.goals[c.position] != nil)
    }

    /// The fewest moves from the start to a goal (breadth-first search), nil when none is reachable.
    public static func shortestPath(_ w: GridWorld) -> Int? {
        var dist = [Int](repeating: -1, count: w.rows * w.cols)
        dist[w.start] = 0
        var queue = [w.start], head = 0
        while head < queue.count {
            let s = queue[head]; head += 1
            if w.goals[s] != nil { return dist[s] }
            for a in 0..<w.actionCount {
                let (c, _) = w.target(s, a)
                if dist[c] < 0 { dist[c] = dist[s] + 1; queue.append(c) }
            }
        }
        return nil
    }
}
