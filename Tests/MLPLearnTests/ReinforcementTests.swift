// The update rules of MLPLearn/Reinforcement against hand-computed values: the
// tabular REINFORCE step of LECTURES.md B3, the optimal baseline computed
// directly, the cross-entropy trick of a network policy against the analytic
// REINFORCE step, returns, the tabular Q-learning update, value iteration's exact
// corridor values, the binomial distribution and the walker-target optimum.
import MLPTensor
import MLPAutograd
import MLPLearn
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ReinforcementTests: XCTestCase {
    func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func episode(_ states: [Int], _ actions: [Int], _ rewards: [Double], obs: [[Double]] = []) -> Episode {
        var e = Episode()
        e.states = states; e.actions = actions; e.rewards = rewards; e.observations = obs.flatMap { $0 }
        return e
    }

    func randomLogits(_ p: TabularPolicy, seed: UInt64) throws {
        var g = Xoshiro256(seed: seed)
        p.logits = try Tensor((0..<p.states * p.actions).map { _ in g.normal() }, shape: [p.states, p.actions])
    }

    /// z[s] += eta R (onehot(a) - pi(s)) for every visited (s, a), pi from the logits before the update.
    func testTabularUpdateIsTheCoursesRule() throws {
        let pol = try TabularPolicy(states: 3, actions: 4)
        try randomLogits(pol, seed: 1)
        let z0 = pol.logits.scalars
        let eta = 0.01
        let ep = episode([0, 1, 0, 2], [1, 3, 2, 0], [0, 1, 0, 2])
        let learner = try Reinforce(policy: pol, optimizer: SGD(lr: eta), gamma: 1, rewardToGo: false, baseline: .none)
        try learner.update([ep], random: RandomGenerator(seed: 0))
        var expected = z0
        let R = 3.0
        for (s, a) in zip(ep.states, ep.actions) {
            let p = softmax(Array(z0[s * 4..<(s + 1) * 4]))
            for j in 0..<4 { expected[s * 4 + j] += eta * R * ((j == a ? 1 : 0) - p[j]) }
        }
        for (x, y) in zip(pol.logits.scalars, expected) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        XCTAssertNotEqual(pol.logits.scalars, z0)
    }

    /// b_k = sum_e G_k^2 R / sum_e G_k^2, direction (1/B) sum_e G_k (R - b_k), computed directly here.
    func testOptimalBaselineAgainstDirectComputation() throws {
        let pol = try TabularPolicy(states: 2, actions: 3)
        try randomLogits(pol, seed: 2)
        let z0 = pol.logits.scalars
        let eps = [episode([0, 1, 1], [2, 0, 1], [1, 0, 2]), episode([1, 0], [2, 2], [-1, 0.5]), episode([0, 0, 1, 0], [0, 1, 1, 2], [0, 0, 0, 4])]
        let learner = try Reinforce(policy: pol, optimizer: SGD(lr: 0.1), gamma: 1, rewardToGo: false, baseline: .optimal)
        try learner.update(eps, random: RandomGenerator(seed: 0))
        var G = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 3)
        var R = [Double](repeating: 0, count: 3)
        for (e, ep) in eps.enumerated() {
            R[e] = ep.rewards.reduce(0, +)
            for (s, a) in zip(ep.states, ep.actions) {
                let p = softmax(Array(z0[s * 3..<(s + 1) * 3]))
                for j in 0..<3 { G[e][s * 3 + j] += (j == a ? 1 : 0) - p[j] }
            }
        }
        for k in 0..<6 {
            let num = (0..<3).reduce(0.0) { $0 + G[$1][k] * G[$1][k] * R[$1] }
            let den = (0..<3).reduce(0.0) { $0 + G[$1][k] * G[$1][k] }
            let b = num / den
            XCTAssertEqual(learner.lastBaseline[k], b, accuracy: 1e-12)
            let d = (0..<3).reduce(0.0) { $0 + G[$1][k] * (R[$1] - b) } / 3
            XCTAssertEqual(learner.lastDirection[k], d, accuracy: 1e-12)
            XCTAssertEqual(pol.logits.scalars[k], z0[k] + 0.1 * d, accuracy: 1e-12)
        }
        // the optimal baseline differs from the plain mean of the returns for some parameter
        XCTAssertTrue(learner.lastBaseline.contains { abs($0 - R.reduce(0, +) / 3) > 1e-3 })
    }

    /// A dense softmax policy trained through the categorical cross-entropy with target
    /// R onehot(a) and plain SGD moves W by lr (1/B) sum R x^T (onehot(a) - pi(x)): the REINFORCE step.
    func testCrossEntropyTrickEqualsReinforceStep() throws {
        let net = try Dense(3, .softmax)
        let random = RandomGenerator(seed: 5)
        let obs: [[Double]] = [[0.5, -1], [1, 0.25], [-0.3, 0.8], [2, 1]]
        _ = try net.forward(Variable(constant: try Tensor(rows: obs)), ForwardPass(random: random))   // builds the weights
        let W0 = net.parameters[0].value.scalars, b0 = net.parameters[1].value.scalars
        let policy = NetworkPolicy(model: net, stateShape: [2], actions: 3)
        let eps = [episode([0, 0], [2, 0], [1, 2], obs: [obs[0], obs[1]]), episode([0, 0], [1, 1], [-1, 0.5], obs: [obs[2], obs[3]])]
        let lr = 0.05
        let learner = try Reinforce(policy: policy, optimizer: SGD(lr: lr), gamma: 1, rewardToGo: false, baseline: .none)
        try learner.update(eps, random: random)
        var W = W0, b = b0
        for ep in eps {
            let R = ep.rewards.reduce(0, +)
            for t in 0..<ep.length {
                let x = Array(ep.observations[t * 2..<(t + 1) * 2])
                var z = b0
                for j in 0..<3 { for i in 0..<2 { z[j] += x[i] * W0[i * 3 + j] } }
                let p = softmax(z)
                for j in 0..<3 {
                    let d = (j == ep.actions[t] ? 1 : 0) - p[j]
                    for i in 0..<2 { W[i * 3 + j] += lr / 2 * R * x[i] * d }
                    b[j] += lr / 2 * R * d
                }
            }
        }
        for (x, y) in zip(net.parameters[0].value.scalars, W) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        for (x, y) in zip(net.parameters[1].value.scalars, b) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        XCTAssertGreaterThan(zip(W, W0).map { abs($0 - $1) }.max()!, 1e-3)
    }

    func testReturnsAndRewardToGo() {
        let r: [Double] = [1, 2, 3, 0, 5, 1], done: [Double] = [0, 0, 1, 0, 0, 0]
        var out = [Double](repeating: 0, count: 6)
        RLSampling.returns(r, &out, episodes: 2, length: 3, gamma: 0.5)
        XCTAssertEqual(out, [2.75, 3.5, 3, 2.75, 5.5, 1])
        RLSampling.returns(r, &out, episodes: 1, length: 6, gamma: 0.5, done: done)
        XCTAssertEqual(out, [2.75, 3.5, 3, 2.75, 5.5, 1])
    }

    /// Two greedy steps on a 3-cell corridor: Q(0,right) += a (0 + g Q(1,right) - Q(0,right)), then the goal.
    func testQLearningUpdateByHand() throws {
        let env = GridWorld.corridor(3, maxSteps: 0)
        var q: [Double] = [0, 0.5, 0, 0.25, 0, 0]
        var g = Xoshiro256(seed: 1)
        let res = try q.withUnsafeMutableBufferPointer { try QLearning.episode(env, $0.baseAddress!, alpha: 0.3, gamma: 0.9, epsilon: 0, maxSteps: 0, &g) }
        XCTAssertEqual(res.steps, 2); XCTAssertEqual(res.total, 1)
        XCTAssertEqual(q[1], 0.5 + 0.3 * (0.9 * 0.25 - 0.5), accuracy: 1e-15)
        XCTAssertEqual(q[3], 0.25 + 0.3 * (1 - 0.25), accuracy: 1e-15)
    }

    func testValueIterationGivesTheCorridorsExactQ() throws {
        let n = 7, gamma = 0.8
        let q = try QLearning.valueIteration(GridWorld.corridor(n, maxSteps: 0), gamma: gamma, horizon: nil)
        for s in 0..<(n - 1) {
            let d = Double(n - 1 - s)
            XCTAssertEqual(q[s * 2 + 1], pow(gamma, d - 1), accuracy: 1e-12)
            XCTAssertEqual(q[s * 2], pow(gamma, s == 0 ? d : d + 1), accuracy: 1e-12)
        }
    }

    func testBinomialDistribution() {
        let n = 10, p = 0.3
        let cdf = RLSampling.binomialCDF(n, p)
        var acc = 0.0
        for k in 0...n {
            var c = 1.0
            for i in 0..<k { c = c * Double(n - i) / Double(i + 1) }
            acc += c * pow(p, Double(k)) * pow(1 - p, Double(n - k))
            XCTAssertEqual(cdf[k], acc, accuracy: 1e-12)
        }
        var g = Xoshiro256(seed: 3)
        let draws = (0..<200_000).map { _ in Double(RLSampling.binomial(100, 0.7, &g)) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        XCTAssertEqual(mean, 70, accuracy: 0.05)      // se 0.01
        XCTAssertEqual(variance, 21, accuracy: 0.5)  // se about 0.07
    }

    /// The optimal policy (move off the target, stay on it) earns 14.95 on average under the course's protocol.
    func testWalkerTargetOptimumIs14_95() throws {
        let env = WalkerTarget(steps: 20, targetMax: 10)
        var g = Xoshiro256(seed: 9)
        var total = 0.0
        let n = 100_000
        for _ in 0..<n {
            env.reset(&g)
            while !env.done { total += env.step(env.stateIndex == 1 ? 0 : 1, &g).reward }
        }
        XCTAssertEqual(total / Double(n), 14.95, accuracy: 0.08)   // se about 0.02
    }

    func testMazeShapeAndChecks() throws {
        var g = Xoshiro256(seed: 4)
        let (rows, cols, walls) = MazeGenerator.walls(height: 11, width: 11, &g)
        XCTAssertEqual(rows, 11); XCTAssertEqual(cols, 11)
        for i in 0..<11 { XCTAssertTrue(walls[i]); XCTAssertTrue(walls[i * 11]); XCTAssertTrue(walls[120 - i]) }
        // odd cells are never walls: the start (1, 1) is free
        for r in stride(from: 1, to: 11, by: 2) { for c in stride(from: 1, to: 11, by: 2) { XCTAssertFalse(walls[r * 11 + c]) } }
        let w = GridWorld(name: "maze", rows: 11, cols: 11, walls: walls, chests: Array(repeating: 0, count: 121), goals: [:], start: 12,
                          moves: GridWorld.courseMoves, actionNames: GridWorld.courseMoveNames, consume: false, wallPenalty: 0.5,
                          maxSteps: 2, observation: .position)
        w.reset(&g)
        XCTAssertThrowsError(try w.checkedStep(4, &g))
        _ = try w.checkedStep(3, &g)   // up from (1, 1): the border wall, stay and pay the penalty
        XCTAssertEqual(w.position, 12)
        _ = try w.checkedStep(3, &g)
        XCTAssertTrue(w.done)
        XCTAssertThrowsError(try w.checkedStep(0, &g))
    }

    /// The running-mean baseline: the second update subtracts the mean return of the first batch.
    func testRunningMeanBaseline() throws {
        let pol = try TabularPolicy(states: 1, actions: 2)
        let learner = try Reinforce(policy: pol, optimizer: SGD(lr: 0.5), gamma: 1, rewardToGo: false, baseline: .mean)
        try learner.update([episode([0], [1], [3]), episode([0], [0], [1])], random: RandomGenerator(seed: 0))
        XCTAssertEqual(learner.lastBaseline, [0])
        let z0 = pol.logits.scalars
        try learner.update([episode([0, 0], [1, 1], [2, 2])], random: RandomGenerator(seed: 0))
        XCTAssertEqual(learner.lastBaseline, [2])   // (3 + 1) / 2
        let p = softmax(z0)
        // R - b = 4 - 2 = 2, two visits of (0, action 1)
        XCTAssertEqual(pol.logits.scalars[1], z0[1] + 0.5 * 2 * 2 * (1 - p[1]), accuracy: 1e-12)
        XCTAssertEqual(pol.logits.scalars[0], z0[0] + 0.5 * 2 * 2 * (0 - p[0]), accuracy: 1e-12)
    }

    /// One deep-Q step on a linear Q network with one stored transition: the Huber gradient is the
    /// temporal difference d clipped to [-1, 1], so W[:, a] -= lr clip(d) x and b[a] -= lr clip(d).
    func testDeepQHuberStepByHand() throws {
        for (target, clipped) in [(0.5, false), (-3.0, true)] {
            let net = try Dense(2)
            let random = RandomGenerator(seed: 11)
            let x: [Double] = [0.5, -1, 2], x2: [Double] = [1, 0.5, -0.5]
            _ = try net.forward(Variable(constant: try Tensor(x, shape: [1, 3])), ForwardPass(random: random))
            let W0 = net.parameters[0].value.scalars, b0 = net.parameters[1].value.scalars
            func q(_ v: [Double]) -> [Double] { (0..<2).map { j in b0[j] + (0..<3).reduce(0.0) { $0 + v[$1] * W0[$1 * 2 + j] } } }
            let gamma = 0.9, lr = 0.1, a = 1
            // the reward that makes the temporal difference d = Q(s, a) - y equal `target`
            let reward = q(x)[a] - gamma * q(x2).max()! - target
            let y = reward + gamma * q(x2).max()!
            let d = q(x)[a] - y
            XCTAssertEqual(abs(d) > 1, clipped)
            let g = Swift.max(-1, Swift.min(1, d))
            let learner = DeepQ(model: net, optimizer: SGD(lr: lr), stateShape: [3], actions: 2, gamma: gamma, huber: true,
                                buffer: 10, batch: 1, targetEvery: 100)
            try learner.observe(x, a, reward, x2, false, random: random)
            let W = net.parameters[0].value.scalars, b = net.parameters[1].value.scalars
            for i in 0..<3 {
                XCTAssertEqual(W[i * 2 + a], W0[i * 2 + a] - lr * g * x[i], accuracy: 1e-12)
                XCTAssertEqual(W[i * 2], W0[i * 2], accuracy: 1e-15)
            }
            XCTAssertEqual(b[a], b0[a] - lr * g, accuracy: 1e-12)
            XCTAssertEqual(learner.takeLoss(), clipped ? abs(d) - 0.5 : 0.5 * d * d, accuracy: 1e-12)
        }
    }
}
