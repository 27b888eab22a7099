// Deep Q-learning at small scale (Mnih et al.'s recipe): an epsilon-greedy
// behaviour policy on the network's Q values, experience replay, a target network
// (a snapshot of the weights, refreshed every `targetEvery` steps), the Huber loss
// on the temporal difference r + gamma max_a' Q_target(s', a') - Q(s, a), and the
// optimizer's clipnorm for gradient clipping.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import MLPAutograd

public final class DeepQ {
    public let model: Layer
    public let optimizer: Optimizer
    public let gamma: Double, huber: Bool
    public let batch: Int, targetEvery: Int
    let capacity: Int, size: Int, stateShape: [Int], actions: Int
    var obs: [Double], next: [Double], acts: [Int], rewards: [Double], ends: [Bool]
    public private(set) var stored = 0
    var cursor = 0
    var target: [Tensor] = []
    public private(set) var steps = 0
    /// The mean loss of the training steps since the last call of takeLoss().
    var lossSum = 0.0, lossCount = 0

    public init(model: Layer, optimizer: Optimizer, stateShape: [Int], actions: Int, gamma: Double, huber: Bool,
                buffer: Int, batch: Int, targetEvery: Int) {
        self.model = model; self.optimizer = optimizer; self.gamma = gamma; self.huber = huber
        self.batch = batch; self.targetEvery = targetEvery; self.capacity = buffer
        self.stateShape = stateShape; self.actions = actions
        size = stateShape.reduce(1, *)
        obs = Array(repeating: 0, count: buffer * size); next = obs
        acts = Array(repeating: 0, count: buffer); rewards = Array(repeating: 0, count: buffer)
        ends = Array(repeating: false, count: buffer)
    }

    func input(_ x: [Double], rows: Int) throws -> Tensor {
        try Tensor(x, shape: [rows] + (stateShape.isEmpty ? [1] : stateShape))
    }

    /// Q values of rows of observations, with the current or the target weights.
    public func q(_ x: [Double], rows: Int, useTarget: Bool = false, random: RandomGenerator) throws -> [Double] {
        var saved: [Tensor] = []
        if useTarget && !target.isEmpty {
            saved = model.parameters.map(\.value)
            for (p, t) in zip(model.parameters, target) { p.value = t }
        }
        defer { if !saved.isEmpty { for (p, t) in zip(model.parameters, saved) { p.value = t } } }
        let y = try model.forward(Variable(constant: try input(x, rows: rows)), ForwardPass(random: random)).value
        guard y.shape == [rows, actions] else {
            throw RLError(nil, "the Q network gives shape \(Tensor.formatShape(y.shape)) for \(rows) state\(rows == 1 ? "" : "s"); it must give [\(rows), \(actions)] (one Q value per action: end it with dense(\(actions))).")
        }
        return y.scalars
    }

    func refreshTarget() { target = model.parameters.map { (try? Tensor($0.value.scalars, shape: $0.value.shape)) ?? $0.value } }

    /// Stores one transition and trains on a replayed batch once enough are stored.
    public func observe(_ s: [Double], _ a: Int, _ r: Double, _ s2: [Double], _ done: Bool, random: RandomGenerator) throws {
        let i = cursor
        for k in 0..<size { obs[i * size + k] = s[k]; next[i * size + k] = s2[k] }
        acts[i] = a; rewards[i] = r; ends[i] = done
        cursor = (cursor + 1) % capacity
        stored = Swift.min(stored + 1, capacity)
        steps += 1
        if target.isEmpty { refreshTarget() }
        if stored >= batch { try train(random: random) }
        if steps % targetEvery == 0 { refreshTarget() }
    }

    func train(random: RandomGenerator) throws {
        var idx = [Int](repeating: 0, count: batch)
        for b in 0..<batch { idx[b] = Int(random.state.below(UInt64(stored))) }
        var x = [Double](repeating: 0, count: batch * size), x2 = x
        for (b, i) in idx.enumerated() {
            for k in 0..<size { x[b * size + k] = obs[i * size + k]; x2[b * size + k] = next[i * size + k] }
        }
        let q2 = try q(x2, rows: batch, useTarget: true, random: random)
        let tape = Tape(checkNaN: false)
        let pass = ForwardPass(tape: tape, training: true, random: random)
        let out = try model.forward(Variable(constant: try input(x, rows: batch)), pass)
        let qv = out.value.scalars
        var seed = [Double](repeating: 0, count: batch * actions)
        var loss = 0.0
        for (b, i) in idx.enumerated() {
            var m = q2[b * actions]
            for j in 1..<actions { m = Swift.max(m, q2[b * actions + j]) }
            let y = rewards[i] + (ends[i] ? 0 : gamma * m)
            let d = qv[b * actions + acts[i]] - y
            // Huber (delta 1): d^2/2 inside [-1, 1], |d| - 1/2 outside; its derivative is d clipped to [-1, 1]
            if huber && abs(d) > 1 { loss += abs(d) - 0.5; seed[b * actions + acts[i]] = (d > 0 ? 1 : -1) / Double(batch) }
            else { loss += huber ? 0.5 * d * d : d * d; seed[b * actions + acts[i]] = (huber ? d : 2 * d) / Double(batch) }
        }
        lossSum += loss / Double(batch); lossCount += 1
        try out.backward(seed: try Tensor(seed, shape: [batch, actions]))
        let used = pass.used
        let grads = try used.map { p, v in try v.grad ?? Tensor.zeros(p.value.shape) }
        try optimizer.update(used.map(\.0), grads)
    }

    /// The mean training loss since the last call (nan when no step trained).
    public func takeLoss() -> Double {
        defer { lossSum = 0; lossCount = 0 }
        return lossCount > 0 ? lossSum / Double(lossCount) : .nan
    }
}
