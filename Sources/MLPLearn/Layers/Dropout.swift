// dropout(p) and gaussian_dropout(p): Keras's Dropout (inverted: the kept values
// are scaled by 1/(1-p), so inference is the identity) and GaussianDropout
// (multiplicative noise N(1, p/(1-p))). Active only in training passes; the noise
// comes from the forward pass's generator (the session's), drawn in row-major order.
import MLPTensor
import MLPAutograd

func checkRate(_ p: Double, _ name: String) throws {
    guard p >= 0, p < 1 else {
        throw LearnError(name, "the rate must be in [0, 1), got \(Tensor.formatNumber(p)).")
    }
}

/// x * mask as one op (the mask a constant).
func multiplyByMask(_ x: Variable, _ mask: Tensor, _ op: String) throws -> Variable {
    let out = try Tensor(uninitializedShape: x.value.shape, "dropout")
    let xp = x.value.rawPointer, mp = mask.rawPointer, o = out.rawPointer
    for i in 0..<out.count { o[i] = xp[i] * mp[i] }
    return try Variable.make(op, out, [x]) { g in
        let d = try Tensor(uninitializedShape: g.shape, "dropout")
        let gp = g.rawPointer, dp = d.rawPointer, mp = mask.rawPointer
        for i in 0..<d.count { dp[i] = gp[i] * mp[i] }
        return [d]
    }
}

/// dropout(p): in training, each element is zeroed with probability p and the others divided by 1 - p.
public final class Dropout: LayerBase, Layer {
    public let rate: Double
    public init(_ rate: Double) throws {
        try checkRate(rate, "dropout")
        self.rate = rate
    }
    public var kind: String { "dropout" }
    public var description: String { "dropout(\(Tensor.formatNumber(rate)))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        guard pass.training, rate > 0 else { return finish(x, pass, self, from: x) }
        let mask = try Tensor(uninitializedShape: x.value.shape, "dropout")
        let mp = mask.rawPointer, keep = 1 / (1 - rate), p = rate
        let g = pass.random
        for i in 0..<mask.count { mp[i] = g.state.uniform() < p ? 0 : keep }
        return finish(try multiplyByMask(x, mask, "dropout"), pass, self, from: x)
    }
}

/// gaussian_dropout(p): in training, each element is multiplied by a normal number of mean 1 and variance p/(1-p).
public final class GaussianDropout: LayerBase, Layer {
    public let rate: Double
    public init(_ rate: Double) throws {
        try checkRate(rate, "gaussian_dropout")
        self.rate = rate
    }
    public var kind: String { "gaussian_dropout" }
    public var description: String { "gaussian_dropout(\(Tensor.formatNumber(rate)))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        guard pass.training, rate > 0 else { return finish(x, pass, self, from: x) }
        let mask = try Tensor(uninitializedShape: x.value.shape, "dropout")
        let mp = mask.rawPointer, std = (rate / (1 - rate)).squareRoot()
        let g = pass.random
        for i in 0..<mask.count { mp[i] = 1 + std * g.state.normal() }
        return finish(try multiplyByMask(x, mask, "gaussian_dropout"), pass, self, from: x)
    }
}
