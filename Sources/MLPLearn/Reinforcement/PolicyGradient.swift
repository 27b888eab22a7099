// REINFORCE (LECTURES.md B1-B5): the update theta += eta * (1/B) sum over episodes
// and steps of (G - b) grad log pi(a_t|s_t), for tabular softmax policies (the
// analytic gradient onehot(a) - pi(s), in place) and for networks (through the
// categorical cross-entropy with target w * onehot(a), whose plain-SGD step is
// exactly this update). Baselines: none, the running mean of earlier returns, and
// the lecture's optimal baseline b_k = E[G_k^2 R] / E[G_k^2] per parameter, with
// G_k = sum_t d ln pi(a_t|s_t) / d theta_k over the episode, estimated on the batch.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import MLPAutograd

public enum Baseline: String, CaseIterable { case none, mean, optimal }

public final class Reinforce {
    public let policy: Policy
    public let optimizer: Optimizer
    public let gamma: Double
    public let rewardToGo: Bool
    public let baseline: Baseline
    /// Sum and count of the returns of earlier batches (the running-mean baseline).
    private var seenSum = 0.0, seenCount = 0
    /// The baseline of the last update (one value, or one per parameter for `optimal`).
    public private(set) var lastBaseline: [Double] = []
    /// The ascent direction of the last update, flattened over the parameters.
    public private(set) var lastDirection: [Double] = []

    public init(policy: Policy, optimizer: Optimizer, gamma: Double, rewardToGo: Bool, baseline: Baseline) throws {
        if baseline == .optimal && rewardToGo {
            throw RLError(nil, "the optimal baseline is defined for whole-episode returns; use reward_to_go=false with baseline=\"optimal\".")
        }
        self.policy = policy; self.optimizer = optimizer; self.gamma = gamma; self.rewardToGo = rewardToGo; self.baseline = baseline
    }

    /// The weight of each step: the discounted return of the episode, or the reward-to-go.
    public func weights(_ ep: Episode) -> [Double] {
        var g = [Double](repeating: 0, count: ep.length)
        guard ep.length > 0 else { return g }
        ep.rewards.withUnsafeBufferPointer { r in
            g.withUnsafeMutableBufferPointer { o in
                RLSampling.returns(r.baseAddress!, o.baseAddress!, episodes: 1, length: ep.length, gamma: gamma)
            }
        }
        return rewardToGo ? g : Array(repeating: g[0], count: ep.length)
    }

    /// One update from a batch of episodes.
    public func update(_ episodes: [Episode], random: RandomGenerator) throws {
        let eps = episodes.filter { $0.length > 0 }
        guard !eps.isEmpty else { return }
        var w = eps.map(weights)
        var b = 0.0
        if baseline == .mean {
            b = seenCount > 0 ? seenSum / Double(seenCount) : 0
            lastBaseline = [b]
            for e in 0..<w.count { for t in 0..<w[e].count { w[e][t] -= b } }
        }
        for (e, ep) in eps.enumerated() {
            if rewardToGo { seenSum += w[e].reduce(0, +) + b * Double(ep.length); seenCount += ep.length }
            else { seenSum += w[e][0] + b; seenCount += 1 }
        }
        if let tab = policy as? TabularPolicy {
            try updateTable(tab, eps, w)
        } else if let net = policy as? NetworkPolicy {
            try updateNetwork(net, eps, w, random: random)
        }
    }

    private func updateTable(_ tab: TabularPolicy, _ eps: [Episode], _ w: [[Double]]) throws {
        let na = tab.actions, size = tab.states * na
        let scale = 1 / Double(eps.count)
        var d = [Double](repeating: 0, count: size)
        var p = [Double](repeating: 0, count: na)
        if baseline == .optimal {
            // per episode score vectors G^e, then b_k and the direction per parameter
            var num = [Double](repeating: 0, count: size), den = num
            var scores: [[Double]] = []
            for ep in eps {
                var g = [Double](repeating: 0, count: size)
                for t in 0..<ep.length {
                    let s = ep.states[t]
                    p.withUnsafeMutableBufferPointer { tab.probs(s, $0.baseAddress!) }
                    for j in 0..<na { g[s * na + j] += (j == ep.actions[t] ? 1 : 0) - p[j] }
                }
                scores.append(g)
            }
            for (e, g) in scores.enumerated() {
                let r = w[e][0]
                for k in 0..<size where g[k] != 0 { num[k] += g[k] * g[k] * r; den[k] += g[k] * g[k] }
            }
            lastBaseline = (0..<size).map { den[$0] > 0 ? num[$0] / den[$0] : 0 }
            for (e, g) in scores.enumerated() {
                let r = w[e][0]
                for k in 0..<size where g[k] != 0 { d[k] += g[k] * (r - lastBaseline[k]) * scale }
            }
        } else {
            for (e, ep) in eps.enumerated() {
                for t in 0..<ep.length {
                    let s = ep.states[t], wt = w[e][t] * scale
                    p.withUnsafeMutableBufferPointer { tab.probs(s, $0.baseAddress!) }
                    for j in 0..<na { d[s * na + j] += wt * ((j == ep.actions[t] ? 1 : 0) - p[j]) }
                }
            }
        }
        lastDirection = d
        let grad = try Tensor(d.map { -$0 }, shape: [tab.states, na])
        try optimizer.update(&tab.logits, grad, key: .object(tab))
    }

    /// Observations and actions of episodes as a batch for the network.
    private func batch(_ net: NetworkPolicy, _ eps: [Episode], _ w: [[Double]], scale: Double) throws -> (Tensor, Tensor) {
        let rows = eps.reduce(0) { $0 + $1.length }, na = net.actions
        var obs: [Double] = [], target = [Double](repeating: 0, count: rows * na)
        obs.reserveCapacity(rows * eps[0].observations.count / Swift.max(1, eps[0].length))
        var r = 0
        for (e, ep) in eps.enumerated() {
            obs.append(contentsOf: ep.observations)
            for t in 0..<ep.length { target[r * na + ep.actions[t]] = w[e][t] * scale; r += 1 }
        }
        let x = try Tensor(obs, shape: [rows] + (net.stateShape.isEmpty ? [1] : net.stateShape))
        return (x, try Tensor(target, shape: [rows, na]))
    }

    private func updateNetwork(_ net: NetworkPolicy, _ eps: [Episode], _ w: [[Double]], random: RandomGenerator) throws {
        if baseline != .optimal {
            // crossentropy is a mean over rows: scale the targets by rows / B
            let rows = Double(eps.reduce(0) { $0 + $1.length })
            let (x, y) = try batch(net, eps, w, scale: rows / Double(eps.count))
            let (_, _, params, grads) = try Training.gradients(net.model, x, y, Loss.crossentropy, random: random)
            lastDirection = grads.flatMap { $0.scalars.map { -$0 } }
            try optimizer.update(params, grads)
            return
        }
        // the score of each episode: minus the gradient of -sum_t log pi(a_t|s_t)
        var params: [Parameter] = []
        var scores: [[Double]] = []
        for ep in eps {
            let ones = [Array(repeating: 1.0, count: ep.length)]
            let (x, y) = try batch(net, [ep], ones, scale: Double(ep.length))
            let (_, _, ps, grads) = try Training.gradients(net.model, x, y, Loss.crossentropy, random: random)
            params = ps
            scores.append(grads.flatMap { $0.scalars.map { -$0 } })
        }
        let size = scores[0].count
        var num = [Double](repeating: 0, count: size), den = num, d = num
        for (e, g) in scores.enumerated() {
            let r = w[e][0]
            for k in 0..<size { num[k] += g[k] * g[k] * r; den[k] += g[k] * g[k] }
        }
        lastBaseline = (0..<size).map { den[$0] > 0 ? num[$0] / den[$0] : 0 }
        let scale = 1 / Double(eps.count)
        for (e, g) in scores.enumerated() {
            let r = w[e][0]
            for k in 0..<size { d[k] += g[k] * (r - lastBaseline[k]) * scale }
        }
        lastDirection = d
        var grads: [Tensor] = [], k = 0
        for p in params {
            let n = p.value.count
            grads.append(try Tensor(d[k..<k + n].map { -$0 }, shape: p.value.shape))
            k += n
        }
        try optimizer.update(params, grads)
    }
}
