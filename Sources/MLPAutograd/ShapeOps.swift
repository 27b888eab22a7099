// Ops that move elements without arithmetic: reshapes, permutations, joins,
// indexing and the copying ops (tile, repeat, flip, roll). Their gradients
// route each output gradient back to the element it came from.
import MLPTensor

extension Variable {
    /// A reshape of the same elements (reshape, squeeze, unsqueeze, flatten).
    public func reshaped(_ op: String, _ out: Tensor) throws -> Variable {
        let shape = value.shape
        return try Variable.make(op, out, [self]) { g in [try g.reshaped(shape)] }
    }

    public func reshaped(_ shape: [Int]) throws -> Variable { try reshaped("reshape", try value.reshaped(shape)) }

    /// Axes reordered: result axis i is axis axes[i].
    public func permute(_ axes: [Int]) throws -> Variable {
        let out = try value.permute(axes)
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in axes.enumerated() { inverse[a < 0 ? a + axes.count : a] = i }
        return try Variable.make("permute", out, [self]) { g in [try g.permute(inverse)] }
    }

    /// The value broadcast to `shape`.
    public func broadcast(to shape: [Int]) throws -> Variable {
        let own = value.shape
        return try Variable.make("broadcast", try value.broadcast(to: shape), [self]) { g in [try g.sum(to: own)] }
    }

    /// Any op whose result elements are copies of input elements (indexing, tile,
    /// repeat, flip, roll, ...). `rearrange` is applied to the flat offsets of the
    /// input to learn where each result element came from; the gradient is then
    /// added back at those offsets (so repeated picks accumulate).
    public func gather(_ op: String, _ rearrange: @escaping (Tensor) throws -> Tensor) throws -> Variable {
        let shape = value.shape, count = value.count
        return try Variable.make(op, try rearrange(value), [self]) { g in
            let offsets = try rearrange(try Tensor.arange(0, Double(count)).reshaped(shape))
            var grad = try Tensor.zeros(shape)
            try grad.withUnsafeMutableBufferPointer { r in
                g.withUnsafeBufferPointer { gp in
                    offsets.withUnsafeBufferPointer { o in
                        for i in 0..<o.count { r[Int(o[i])] += gp[i] }
                    }
                }
            }
            return [grad]
        }
    }

    /// self[index] with NumPy semantics.
    public func get(_ index: [TensorIndex]) throws -> Variable {
        try gather("index") { t in try t.get(index) }
    }

    /// A copy of self with self[index] = v (v broadcast to the selection).
    public func setting(_ index: [TensorIndex], _ v: Variable) throws -> Variable {
        var out = value
        try out.set(index, v.value)
        let vs = v.value.shape
        let nx = requiresGrad, nv = v.requiresGrad
        return try Variable.make("index assignment", out, [self, v]) { g in
            var gx: Tensor? = nil
            if nx { var c = g; try c.set(index, 0); gx = c }
            return [gx, nv ? try g.get(index).sum(to: vs) : nil]
        }
    }

    /// Joins along an existing axis.
    public static func concat(_ xs: [Variable], axis: Int = 0) throws -> Variable {
        let out = try Tensor.concat(xs.map(\.value), axis: axis)
        let a = try out.normalizeAxis(axis, "concat")
        var cuts: [Int] = [], at = 0
        for x in xs.dropLast() { at += x.value.shape[a]; cuts.append(at) }
        return try make("concat", out, xs) { g in try g.split(indices: cuts, axis: a) }
    }

    /// Stacks along a new axis.
    public static func stack(_ xs: [Variable], axis: Int = 0) throws -> Variable {
        let out = try Tensor.stack(xs.map(\.value), axis: axis)
        let a = axis < 0 ? axis + out.ndim : axis
        return try make("stack", out, xs) { g in
            try g.split(sections: xs.count, axis: a).map { try $0.squeeze(axis: a) }
        }
    }
}
