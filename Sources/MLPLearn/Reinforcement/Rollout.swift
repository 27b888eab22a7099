// Episodes: running a policy in copies of an environment in lockstep.
import MLPTensor

public struct Episode {
    public var states: [Int] = []
    /// Observations, flattened (observationSize each).
    public var observations: [Double] = []
    public var actions: [Int] = []
    public var rewards: [Double] = []
    public var length: Int { actions.count }
    public var total: Double { rewards.reduce(0, +) }
    public init() {}
}

public enum Rollout {
    /// One episode in each environment, stepped together; each ends when its
    /// environment is done or after maxSteps. `epsilon`: the probability per step
    /// that every environment takes a uniformly random action (the course's
    /// creative_epsilon). `poll` between steps (Ctrl-C).
    public static func run(_ envs: [Environment], _ policy: Policy, maxSteps: Int, epsilon: Double = 0,
                           random: RandomGenerator, poll: () throws -> Void = {}) throws -> [Episode] {
        guard let first = envs.first else { return [] }
        let size = first.observationSize, na = first.actionCount
        var episodes = [Episode](repeating: Episode(), count: envs.count)
        var active = Array(0..<envs.count)
        for e in envs { try e.reset(&random.state) }
        var obs = [Double](repeating: 0, count: envs.count * size)
        var states = [Int](repeating: 0, count: envs.count)
        var t = 0
        while !active.isEmpty && t < maxSteps {
            try poll()
            let n = active.count
            obs.withUnsafeMutableBufferPointer { b in
                for (i, e) in active.enumerated() { envs[e].observe(b.baseAddress! + i * size) }
            }
            for (i, e) in active.enumerated() { states[i] = first.stateCount == nil ? 0 : envs[e].stateIndex }
            let p = try policy.probabilities(Array(obs[0..<n * size]), states: Array(states[0..<n]), count: n, random: random)
            let explore = epsilon > 0 && random.state.uniform() < epsilon
            var still: [Int] = []
            try p.withUnsafeBufferPointer { pb in
                for (i, e) in active.enumerated() {
                    let a = explore ? Int(random.state.below(UInt64(na))) : RLSampling.categorical(pb.baseAddress! + i * na, na, &random.state)
                    episodes[e].states.append(states[i])
                    episodes[e].observations.append(contentsOf: obs[i * size..<(i + 1) * size])
                    episodes[e].actions.append(a)
                    let (r, done) = try envs[e].step(a, &random.state)
                    episodes[e].rewards.append(r)
                    if !done { still.append(e) }
                }
            }
            active = still
            t += 1
        }
        return episodes
    }
}
