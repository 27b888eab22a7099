// Reductions (over all elements or one axis), softmax and running sums with their gradients.
import MLPTensor

extension Variable {
    /// A reduction's output gradient spread back over the input's shape.
    static func expand(_ g: Tensor, _ shape: [Int], _ axis: Int?, _ keepdims: Bool) throws -> Tensor {
        var g = g
        if let axis, !keepdims { g = try g.unsqueeze(axis: axis < 0 ? axis + shape.count : axis) }
        else if axis == nil { g = try g.reshaped(Array(repeating: 1, count: shape.count)) }
        return try g.broadcast(to: shape)
    }

    /// sum, mean, var, std, prod, min, max, logsumexp or norm, of all elements or along `axis`.
    /// argmax and argmin give constants.
    public func reduce(_ op: Tensor.ReduceOp, axis: Int? = nil, keepdims: Bool = false) throws -> Variable {
        let x = value, shape = x.shape
        let out = try x.reduce(op, axis: axis, keepdims: keepdims)
        let n = Double(axis.map { shape[try! x.normalizeAxis($0, "reduce")] } ?? x.count)
        func spread(_ t: Tensor) throws -> Tensor { try Variable.expand(t, shape, axis, keepdims) }
        let d: (Tensor) throws -> Tensor
        switch op {
        case .sum: d = { g in try spread(g) }
        case .mean: d = { g in try Tensor.binary(.div, try spread(g), n) }
        case .var:
            d = { g in
                let centred = try x - x.mean(axis: axis, keepdims: true)
                return try spread(g) * Tensor.binary(.mul, centred, 2 / n)
            }
        case .std:
            d = { g in
                let centred = try x - x.mean(axis: axis, keepdims: true)
                return try spread(g) * centred / Tensor.binary(.mul, try spread(out), n)
            }
        case .logsumexp: d = { g in try spread(g) * (try x - spread(out)).map(.exp) }
        case .norm: d = { g in try spread(g) * x / spread(out) }
        case .min, .max:
            // ties share the gradient equally (as PyTorch's full reductions)
            d = { g in
                let hit = try Tensor.binary(.eq, x, try spread(out))
                let count = try hit.sum(axis: axis, keepdims: true)
                return try spread(g) * hit / count.broadcast(to: shape)
            }
        case .prod: d = { g in try spread(g) * Variable.productOfOthers(x, axis) }
        case .argmax, .argmin: return Variable(constant: out)
        }
        return try Variable.make(op.rawValue, out, [self]) { g in [try d(g)] }
    }

    /// For each element, the product of the other elements of its lane (exact at zeros, unlike prod/x).
    static func productOfOthers(_ x: Tensor, _ axis: Int?) throws -> Tensor {
        guard let axis else { return try productOfOthers(x.reshaped([-1]), 0).reshaped(x.shape) }
        // exclusive prefix product times exclusive suffix product along the axis (no division: exact at zeros)
        let a = try x.normalizeAxis(axis, "prod")
        var prefix = try Tensor.ones(x.shape), suffix = try Tensor.ones(x.shape)
        let m = x.shape[a]
        if m > 1 {
            let head = try x.narrowCopy(a, 0, m - 1).cumprod(axis: a)
            let tail = try x.narrowCopy(a, 1, m).flip(axis: a).cumprod(axis: a).flip(axis: a)
            prefix = try Tensor.concat([try Tensor.ones(shapeWith(x.shape, a, 1)), head], axis: a)
            suffix = try Tensor.concat([tail, try Tensor.ones(shapeWith(x.shape, a, 1))], axis: a)
        }
        return try prefix * suffix
    }

    static func shapeWith(_ s: [Int], _ axis: Int, _ n: Int) -> [Int] { var s = s; s[axis] = n; return s }

    /// Softmax along `axis`.
    public func softmax(axis: Int = -1) throws -> Variable {
        let out = try value.softmax(axis: axis)
        // "softmax" names the last axis's only: losses read such a node's input as logits
        let last = value.ndim == 0 || axis == -1 || axis == value.ndim - 1
        return try Variable.make(last ? "softmax" : "softmax (axis \(axis))", out, [self]) { g in
            let inner = try (try g * out).sum(axis: axis, keepdims: true)
            return [try out * (try g - inner.broadcast(to: g.shape))]
        }
    }

    /// The logits of a softmax over the last axis that made this variable, else nil.
    public var softmaxInput: Variable? { op == "softmax" && value.ndim > 0 ? inputs.first : nil }

    /// The mean over rows of the softmax cross-entropy of these logits (classes on the
    /// last axis) against `target`, as one op: its gradient is (softmax - target) / rows.
    /// `softmax`: these logits' softmax when already computed.
    public func softmaxCrossEntropy(_ target: ClassTargets, softmax: Tensor? = nil) throws -> Variable {
        let (loss, probs) = try value.softmaxCrossEntropy(target, softmax: softmax)
        let rows = loss.count, c = value.shape.last ?? 1
        let mean = Tensor(scalar: rows == 0 ? .nan : loss.sumAll() / Double(rows))
        return try Variable.make("softmax_crossentropy", mean, [self]) { g in
            let scale = g.scalars[0] / Double(rows)
            let d = try Tensor(uninitializedShape: probs.shape, "softmax")
            let p = probs.storage.pointer, dp = d.storage.pointer
            switch target {
            case .labels(let y):
                for i in 0..<probs.count { dp[i] = p[i] * scale }
                for r in 0..<rows { dp[r * c + y[r]] -= scale }
            case .rows(let t):
                let tp = t.storage.pointer
                for r in 0..<rows {
                    var mass = 0.0
                    for j in 0..<c { mass += tp[r * c + j] }
                    for j in 0..<c { let k = r * c + j; dp[k] = (p[k] * mass - tp[k]) * scale }
                }
            }
            return [d]
        }
    }

    /// log(softmax) along `axis`, computed stably.
    public func logSoftmax(axis: Int = -1) throws -> Variable {
        let out = try value.logSoftmax(axis: axis)
        return try Variable.make("log_softmax", out, [self]) { g in
            let total = try g.sum(axis: axis, keepdims: true).broadcast(to: g.shape)
            return [try g - (try out.map(.exp) * total)]
        }
    }

    /// Running sums along `axis` (of the flattened tensor when nil).
    public func cumsum(axis: Int? = nil) throws -> Variable {
        let shape = value.shape
        return try Variable.make("cumsum", try value.cumsum(axis: axis), [self]) { g in
            guard let axis else { return [try g.flip(axis: 0).cumsum(axis: 0).flip(axis: 0).reshaped(shape)] }
            return [try g.flip(axis: axis).cumsum(axis: axis).flip(axis: axis)]
        }
    }
}

extension Tensor {
    /// Elements start..<end along `axis`, copied.
    func narrowCopy(_ axis: Int, _ start: Int, _ end: Int) throws -> Tensor {
        var idx = [TensorIndex](repeating: .slice(nil, nil, nil), count: ndim)
        idx[axis] = .slice(start, end, nil)
        return try get(idx)
    }
}
