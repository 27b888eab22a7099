// Policies that REINFORCE trains: a table of softmax logits per discrete state
// (LECTURES.md B3), or a network whose output rows are action probabilities.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPTensor
import MLPAutograd

public protocol Policy: AnyObject {
    /// Action probabilities for a batch of observations ([n, obs...] flattened) or
    /// discrete states, as [n, actions] row-major.
    func probabilities(_ observations: [Double], states: [Int], count: Int, random: RandomGenerator) throws -> [Double]
}

/// pi(a|s) = softmax(z[s, :]); z starts at 0 (uniform).
public final class TabularPolicy: Policy {
    public var logits: Tensor
    public let states: Int, actions: Int
    public init(states: Int, actions: Int) throws {
        self.states = states; self.actions = actions
        logits = try Tensor.zeros([states, actions])
    }

    /// pi(.|s) written to out.
    @inline(__always)
    public func probs(_ s: Int, _ out: UnsafeMutablePointer<Double>) {
        let z = logits.storage.pointer + s * actions
        var m = -Double.infinity
        for j in 0..<actions { m = Swift.max(m, z[j]) }
        var total = 0.0
        for j in 0..<actions { out[j] = exp(z[j] - m); total += out[j] }
        for j in 0..<actions { out[j] /= total }
    }

    public func probabilities(_ observations: [Double], states: [Int], count: Int, random: RandomGenerator) throws -> [Double] {
        var out = [Double](repeating: 0, count: count * actions)
        out.withUnsafeMutableBufferPointer { b in
            for (i, s) in states.enumerated() { probs(s, b.baseAddress! + i * actions) }
        }
        return out
    }

    /// The table of probabilities [states, actions].
    public func table() throws -> Tensor {
        var out = [Double](repeating: 0, count: states * actions)
        out.withUnsafeMutableBufferPointer { b in for s in 0..<states { probs(s, b.baseAddress! + s * actions) } }
        return try Tensor(out, shape: [states, actions])
    }
}

/// A model whose output is [n, actions] probabilities (a softmax last layer).
public final class NetworkPolicy: Policy {
    public let model: Layer
    public let stateShape: [Int], actions: Int
    public init(model: Layer, stateShape: [Int], actions: Int) { self.model = model; self.stateShape = stateShape; self.actions = actions }

    public func probabilities(_ observations: [Double], states: [Int], count: Int, random: RandomGenerator) throws -> [Double] {
        let x = try Tensor(observations, shape: [count] + (stateShape.isEmpty ? [1] : stateShape))
        let y = try model.forward(Variable(constant: x), ForwardPass(random: random)).value
        guard y.shape == [count, actions] else {
            throw RLError(nil, "the policy network gives shape \(Tensor.formatShape(y.shape)) for \(count) state\(count == 1 ? "" : "s"); it must give [\(count), \(actions)] probabilities (one per action; end it with dense(\(actions), softmax)).")
        }
        let p = y.scalars
        for r in 0..<count {
            var total = 0.0
            for j in 0..<actions { let v = p[r * actions + j]; guard v >= 0 && v.isFinite else { total = .nan; break }; total += v }
            guard abs(total - 1) < 1e-6 else {
                throw RLError(nil, "the policy network must output probabilities (non-negative, summing to 1 per row; end it with dense(\(actions), softmax)), got a row summing to \(Tensor.formatNumber(total)).")
            }
        }
        return p
    }
}
