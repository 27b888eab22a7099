// batchnorm(): Keras's BatchNormalization over the last axis (the features or
// channels): y = gamma (x - mean) / sqrt(var + epsilon) + beta. Training passes use
// the batch's mean and (biased) variance over all other axes and update the moving
// statistics, moving = momentum * moving + (1 - momentum) * batch; inference passes
// use the moving statistics. One op with its own backward.
import MLPTensor
import MLPAutograd

public final class BatchNorm: LayerBase, Layer {
    public let momentum: Double
    public let epsilon: Double

    public init(momentum: Double = 0.99, epsilon: Double = 1e-3) throws {
        guard momentum >= 0, momentum <= 1 else {
            throw LearnError("batchnorm", "momentum must be in [0, 1], got \(Tensor.formatNumber(momentum)).")
        }
        guard epsilon > 0 else { throw LearnError("batchnorm", "epsilon must be positive, got \(Tensor.formatNumber(epsilon)).") }
        self.momentum = momentum; self.epsilon = epsilon
    }

    public var kind: String { "batchnorm" }
    public var description: String {
        var opts: [String] = []
        if momentum != 0.99 { opts.append("momentum=\(Tensor.formatNumber(momentum))") }
        if epsilon != 1e-3 { opts.append("epsilon=\(Tensor.formatNumber(epsilon))") }
        return "batchnorm(\(opts.joined(separator: ", ")))"
    }

    func build(_ features: Int) throws {
        parameters = [
            Parameter("gamma", try Tensor.ones([features])),
            Parameter("beta", try Tensor.zeros([features])),
            Parameter("moving_mean", try Tensor.zeros([features]), trainable: false),
            Parameter("moving_variance", try Tensor.ones([features]), trainable: false),
        ]
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let s = x.value.shape
        guard s.count >= 2, let c = s.last else {
            throw LearnError(nil, "\(description): expected an input [batch, ..., features] with at least 2 axes, got shape \(Tensor.formatShape(s)).")
        }
        // before the build: an empty input would build a layer of 0 features (and divide by them)
        guard x.value.count > 0 else { throw LearnError(nil, "\(description): the input is empty (shape \(Tensor.formatShape(s))).") }
        if parameters.isEmpty { try build(c) }
        let built = parameters[0].value.count
        guard c == built else {
            throw LearnError(nil, "\(description): expected inputs with \(built) features on the last axis (the layer was built for that), got shape \(Tensor.formatShape(s)).")
        }
        let m = x.value.count / c
        let gamma = pass.variable(parameters[0]), beta = pass.variable(parameters[1])
        let mean = try Tensor(uninitializedShape: [c], "batchnorm"), invStd = try Tensor(uninitializedShape: [c], "batchnorm")
        let xp = x.value.rawPointer, mp = mean.rawPointer, ip = invStd.rawPointer
        if pass.training {
            let v = try Tensor(uninitializedShape: [c], "batchnorm")
            let vp = v.rawPointer
            for j in 0..<c { mp[j] = 0; vp[j] = 0 }
            for r in 0..<m { let row = xp + r &* c; for j in 0..<c { mp[j] += row[j] } }
            for j in 0..<c { mp[j] /= Double(m) }
            for r in 0..<m {
                let row = xp + r &* c
                for j in 0..<c { let d = row[j] - mp[j]; vp[j] += d * d }
            }
            for j in 0..<c { vp[j] /= Double(m); ip[j] = 1 / (vp[j] + epsilon).squareRoot() }
            // the moving statistics follow the batch's (Keras uses the biased variance here too)
            let mom = momentum
            parameters[2].value = try Tensor.binary(.add, Tensor.binary(.mul, parameters[2].value, mom), Tensor.binary(.mul, mean, 1 - mom))
            parameters[3].value = try Tensor.binary(.add, Tensor.binary(.mul, parameters[3].value, mom), Tensor.binary(.mul, v, 1 - mom))
        } else {
            let mm = parameters[2].value.rawPointer, mv = parameters[3].value.rawPointer
            for j in 0..<c { mp[j] = mm[j]; ip[j] = 1 / (mv[j] + epsilon).squareRoot() }
        }
        // xhat = (x - mean) * invStd, y = gamma * xhat + beta
        let xhat = try Tensor(uninitializedShape: s, "batchnorm"), out = try Tensor(uninitializedShape: s, "batchnorm")
        let hp = xhat.rawPointer, op = out.rawPointer, gp = gamma.value.rawPointer, bp = beta.value.rawPointer
        for r in 0..<m {
            let o = r &* c
            for j in 0..<c {
                let h = (xp[o &+ j] - mp[j]) * ip[j]
                hp[o &+ j] = h
                op[o &+ j] = gp[j] * h + bp[j]
            }
        }
        withExtendedLifetime(mean) {}   // written and read through mp only
        let training = pass.training
        let needX = x.requiresGrad, needG = gamma.requiresGrad, needB = beta.requiresGrad
        let gammaValue = gamma.value
        let y = try Variable.make("batchnorm", out, [x, gamma, beta]) { g in
            // pointers from the tensors the closure holds (the forward's pointers may be gone)
            let gr = g.rawPointer, hp = xhat.rawPointer, ip = invStd.rawPointer, gp = gammaValue.rawPointer
            // per feature: sum(g) and sum(g * xhat)
            let sg = try Tensor(uninitializedShape: [c], "batchnorm"), sgh = try Tensor(uninitializedShape: [c], "batchnorm")
            let sgp = sg.rawPointer, sghp = sgh.rawPointer
            for j in 0..<c { sgp[j] = 0; sghp[j] = 0 }
            for r in 0..<m {
                let o = r &* c
                for j in 0..<c { sgp[j] += gr[o &+ j]; sghp[j] += gr[o &+ j] * hp[o &+ j] }
            }
            var dx: Tensor? = nil
            if needX {
                let d = try Tensor(uninitializedShape: s, "batchnorm")
                let dp = d.rawPointer
                if training {
                    // the batch statistics depend on x: dx = gamma invStd (g - mean(g) - xhat mean(g xhat))
                    let inv = 1 / Double(m)
                    for r in 0..<m {
                        let o = r &* c
                        for j in 0..<c {
                            dp[o &+ j] = gp[j] * ip[j] * (gr[o &+ j] - sgp[j] * inv - hp[o &+ j] * sghp[j] * inv)
                        }
                    }
                } else {
                    for r in 0..<m {
                        let o = r &* c
                        for j in 0..<c { dp[o &+ j] = gp[j] * ip[j] * gr[o &+ j] }
                    }
                }
                dx = d
            }
            return [dx, needG ? sgh : nil, needB ? sg : nil]
        }
        return finish(y, pass, self, from: x)
    }
}
