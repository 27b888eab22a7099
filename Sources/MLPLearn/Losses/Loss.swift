// Losses (Keras's names and reductions: the mean over the batch) and metrics.
// A loss is any function of (prediction, target) giving a scalar variable, so
// a user's own loss written in the language fits the same slot.
import MLPTensor
import MLPAutograd

public struct Loss {
    public let name: String
    let f: (Variable, Tensor) throws -> Variable
    public init(_ name: String, _ f: @escaping (Variable, Tensor) throws -> Variable) { self.name = name; self.f = f }
    public func callAsFunction(_ prediction: Variable, _ target: Tensor) throws -> Variable { try f(prediction, target) }

    /// The built-in losses by name.
    public static func named(_ name: String) -> Loss? {
        switch name {
        case "mse": return mse
        case "mae": return mae
        case "crossentropy": return crossentropy
        case "crossentropy_logits": return crossentropyFromLogits
        case "binary_crossentropy": return binaryCrossentropy
        default: return nil
        }
    }

    public static let names = ["mse", "mae", "crossentropy", "crossentropy_logits", "binary_crossentropy"]

    /// Mean squared error over all elements.
    public static var mse: Loss { Loss("mse") { p, t in
        let target = try Loss.matching(t, p.value, "mse")
        let d = try p - Variable(constant: target)
        return try Variable.binary(.pow, d, 2).reduce(.mean)
    } }

    /// Mean absolute error over all elements.
    public static var mae: Loss { Loss("mae") { p, t in
        let target = try Loss.matching(t, p.value, "mae")
        return try (try p - Variable(constant: target)).unary(.abs).reduce(.mean)
    } }

    /// Categorical cross-entropy of probabilities (a softmax output): -mean over samples of
    /// sum(t log p); targets one-hot rows or integer labels. p is clipped to [1e-7, 1 - 1e-7] as Keras does.
    public static var crossentropy: Loss { Loss("crossentropy") { p, t in
        // the output of a softmax (a classifier's last layer): from its logits, as Keras's
        // TensorFlow backend does; exact where the clipped form is not, and one fused op
        if let z = p.softmaxInput {
            return try z.softmaxCrossEntropy(try Loss.classTargets(t, z.value, "crossentropy"), softmax: p.value)
        }
        let target = try Loss.oneHot(t, p.value, "crossentropy")
        let logp = try p.clip(1e-7, 1 - 1e-7).unary(.log)
        return try Loss.meanOverSamples(try (logp * Variable(constant: target)).reduce(.sum, axis: -1)).unary(.negate)
    } }

    /// Categorical cross-entropy of logits (softmax folded in, computed stably).
    public static var crossentropyFromLogits: Loss { Loss("crossentropy_logits") { z, t in
        try z.softmaxCrossEntropy(try Loss.classTargets(t, z.value, "crossentropy_logits"))
    } }

    /// Binary cross-entropy of probabilities (a sigmoid output), clipped as Keras does.
    public static var binaryCrossentropy: Loss { Loss("binary_crossentropy") { p, t in
        let target = try Loss.matching(t, p.value, "binary_crossentropy")
        let q = try p.clip(1e-7, 1 - 1e-7)
        let y = Variable(constant: target), notY = Variable(constant: try Tensor.binary(.sub, 1, target))
        let terms = try (try y * q.unary(.log)) + (try notY * Variable.binary(.sub, q, 1, reversed: true).unary(.log))
        return try terms.reduce(.mean).unary(.negate)
    } }

    static func meanOverSamples(_ perSample: Variable) throws -> Variable { try perSample.reduce(.mean) }

    /// The target in the prediction's shape (a trailing axis of 1 may be missing).
    static func matching(_ t: Tensor, _ p: Tensor, _ name: String) throws -> Tensor {
        if t.shape == p.shape { return t }
        if t.count == p.count, (t.shape + [1] == p.shape || p.shape + [1] == t.shape) { return try t.reshaped(p.shape) }
        throw LearnError(name, "the target has shape \(Tensor.formatShape(t.shape)), the prediction \(Tensor.formatShape(p.shape)).")
    }

    /// One-hot targets: as given, or made from integer labels (Keras's sparse form).
    static func oneHot(_ t: Tensor, _ p: Tensor, _ name: String) throws -> Tensor {
        switch try classTargets(t, p, name) {
        case .rows(let rows): return rows
        case .labels: return try Tensor.onehot(try t.reshaped(Array(p.shape.dropLast())), p.shape.last!)
        }
    }

    /// Targets over the classes of p's last axis: rows of p's shape, or integer labels.
    static func classTargets(_ t: Tensor, _ p: Tensor, _ name: String) throws -> ClassTargets {
        if t.shape == p.shape && p.ndim > 0 { return .rows(t) }
        guard let classes = p.shape.last, t.shape == Array(p.shape.dropLast()) || t.shape == Array(p.shape.dropLast()) + [1] else {
            throw LearnError(name, "the target has shape \(Tensor.formatShape(t.shape)); expected one-hot rows of shape \(Tensor.formatShape(p.shape)) or integer labels of shape \(Tensor.formatShape(Array(p.shape.dropLast()))).")
        }
        var labels = [Int]()
        labels.reserveCapacity(t.count)
        for x in t.scalars {
            guard x == x.rounded() && x >= 0 && x < Double(classes) else {
                throw LearnError(name, "labels must be integers in 0..<\(classes), got \(Tensor.formatNumber(x)).")
            }
            labels.append(Int(x))
        }
        return .labels(labels)
    }
}

public enum Metric {
    /// The fraction of samples whose largest output is the target class (one-hot rows or labels);
    /// for a single output per sample, whether it is on the right side of 0.5.
    public static func accuracy(_ p: Tensor, _ t: Tensor) throws -> Double {
        if p.shape.last == 1 || p.ndim == 1 {
            let target = try Loss.matching(t, p, "accuracy")
            let hits = try Tensor.binary(.eq, Tensor.binary(.gt, p, 0.5), Tensor.binary(.gt, target, 0.5))
            return hits.sumAll() / Double(Swift.max(hits.count, 1))
        }
        let target = try Loss.oneHot(t, p, "accuracy")
        let hits = try Tensor.binary(.eq, try p.argmax(axis: -1), try target.argmax(axis: -1))
        return hits.sumAll() / Double(Swift.max(hits.count, 1))
    }
}

extension Metric {
    /// Top-k accuracy (Keras's top_k_categorical_accuracy): the fraction of samples whose target
    /// class is among the k largest outputs (ties counted as Keras's in_top_k: a class whose
    /// output equals the k-th largest is in). t: one-hot rows or integer labels.
    public static func topKAccuracy(_ p: Tensor, _ t: Tensor, k: Int) throws -> Double {
        guard k > 0 else { throw LearnError("top_k_accuracy", "k must be positive, got \(k).") }
        guard p.ndim >= 1, let classes = p.shape.last, classes > 0 else {
            throw LearnError("top_k_accuracy", "expected a prediction with a class axis, got shape \(Tensor.formatShape(p.shape)).")
        }
        let labels: [Int]
        switch try Loss.classTargets(t, p, "top_k_accuracy") {
        case .labels(let l): labels = l
        case .rows(let rows): labels = try rows.argmax(axis: -1).scalars.map { Int($0) }
        }
        let values = p.scalars
        var hits = 0
        for (i, label) in labels.enumerated() {
            let row = values[i * classes..<(i + 1) * classes]
            let target = row[row.startIndex + label]
            // in the top k when fewer than k outputs are strictly larger
            if row.lazy.filter({ $0 > target }).count < k { hits += 1 }
        }
        return Double(hits) / Double(Swift.max(labels.count, 1))
    }

    /// Mean absolute and squared errors as metrics (the target in the prediction's shape, as the losses take it).
    public static func meanError(_ p: Tensor, _ t: Tensor, squared: Bool, _ name: String) throws -> Double {
        let d = try Tensor.binary(.sub, p, try Loss.matching(t, p, name))
        var s = 0.0
        for x in d.scalars { s += squared ? x * x : Swift.abs(x) }
        return s / Double(Swift.max(d.count, 1))
    }
}
