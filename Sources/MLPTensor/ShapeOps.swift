extension Tensor {
    /// Copies a strided view into a new contiguous tensor of `outShape`:
    /// element (i0, i1, ...) comes from `src[base + sum(i_d * strides[d])]`.
    static func gather(_ src: UnsafePointer<Double>, base: Int, shape outShape: [Int], strides: [Int], _ name: String) throws -> Tensor {
        let out = try Tensor(uninitializedShape: outShape, name)
        let total = out.count
        if total == 0 { return out }
        let r = out.storage.pointer
        let k = outShape.count
        if k == 0 { r[0] = src[base]; return out }
        let n = outShape[k - 1], st = strides[k - 1]
        var idx = [Int](repeating: 0, count: k)
        var off = base, o = 0
        while o < total {
            if st == 1 {
                (r + o).update(from: src + off, count: n)
            } else {
                var j = 0
                while j < n { r[o &+ j] = src[off &+ j &* st]; j &+= 1 }
            }
            o &+= n
            var d = k - 2
            while d >= 0 {
                idx[d] &+= 1; off &+= strides[d]
                if idx[d] < outShape[d] { break }
                off &-= strides[d] &* outShape[d]; idx[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Axes reordered: result axis i is this tensor's axis `axes[i]`.
    public func permute(_ axes: [Int]) throws -> Tensor {
        guard axes.count == ndim else {
            throw TensorError("permute", "axes \(shapeString(axes)) don't match a tensor of dimension \(ndim).")
        }
        var seen = [Bool](repeating: false, count: ndim)
        var norm: [Int] = []
        for a in axes {
            let x = try normalizeAxis(a, "permute")
            if seen[x] { throw TensorError("permute", "repeated axis in \(shapeString(axes)).") }
            seen[x] = true
            norm.append(x)
        }
        let st = strides
        return try Tensor.gather(storage.pointer, base: 0, shape: norm.map { shape[$0] }, strides: norm.map { st[$0] }, "permute")
    }

    /// Reversed axes (the matrix transpose for 2-D).
    public func transposed() throws -> Tensor {
        try permute(Array((0..<ndim).reversed()))
    }

    /// Swaps two axes.
    public func swapAxes(_ a: Int, _ b: Int) throws -> Tensor {
        let x = try normalizeAxis(a, "swapaxes"), y = try normalizeAxis(b, "swapaxes")
        var p = Array(0..<ndim); p.swapAt(x, y)
        return try permute(p)
    }

    /// Removes axes of size 1 (all, or the given one).
    public func squeeze(axis: Int? = nil) throws -> Tensor {
        guard let axis else { return Tensor(storage: storage, shape: shape.filter { $0 != 1 }) }
        let a = try normalizeAxis(axis, "squeeze")
        guard shape[a] == 1 else {
            throw TensorError("squeeze", "cannot select an axis to squeeze out which has size not equal to one (axis \(axis) has size \(shape[a])).")
        }
        var s = shape; s.remove(at: a)
        return Tensor(storage: storage, shape: s)
    }

    /// Inserts an axis of size 1 at `axis` (in -(ndim+1) ... ndim).
    public func unsqueeze(axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + ndim + 1 : axis
        guard a >= 0 && a <= ndim else {
            throw TensorError("unsqueeze", "axis \(axis) is out of bounds for a result of dimension \(ndim + 1).")
        }
        var s = shape; s.insert(1, at: a)
        return Tensor(storage: storage, shape: s)
    }

    /// 1-D view of all elements.
    public func flatten() -> Tensor { Tensor(storage: storage, shape: [count]) }

    /// Joins tensors along an existing axis.
    public static func concat(_ ts: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = ts.first else { throw TensorError("concat", "need at least one tensor.") }
        guard first.ndim > 0 else { throw TensorError("concat", "zero-dimensional tensors cannot be concatenated.") }
        let a = try first.normalizeAxis(axis, "concat")
        var total = 0
        for t in ts {
            guard t.ndim == first.ndim else {
                throw TensorError("concat", "all tensors must have the same number of dimensions, got shapes \(shapeString(first.shape)) and \(shapeString(t.shape)).")
            }
            for d in 0..<first.ndim where d != a && t.shape[d] != first.shape[d] {
                throw TensorError("concat", "shapes \(shapeString(first.shape)) and \(shapeString(t.shape)) differ outside axis \(axis).")
            }
            total += t.shape[a]
        }
        var s = first.shape; s[a] = total
        let out = try Tensor(uninitializedShape: s, "concat")
        if out.count == 0 { return out }
        let (outer, _, inner) = out.lanes(a)
        var r = out.storage.pointer
        for o in 0..<outer {
            for t in ts {
                let chunk = t.shape[a] &* inner
                r.update(from: t.storage.pointer + o &* chunk, count: chunk)
                r += chunk
            }
        }
        return out
    }

    /// Joins tensors of equal shape along a new axis.
    public static func stack(_ ts: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = ts.first else { throw TensorError("stack", "need at least one tensor.") }
        for t in ts where t.shape != first.shape {
            throw TensorError("stack", "all tensors must have the same shape, got \(shapeString(first.shape)) and \(shapeString(t.shape)).")
        }
        let a = axis < 0 ? axis + first.ndim + 1 : axis
        guard a >= 0 && a <= first.ndim else {
            throw TensorError("stack", "axis \(axis) is out of bounds for a result of dimension \(first.ndim + 1).")
        }
        return try concat(ts.map { try $0.unsqueeze(axis: a) }, axis: a)
    }

    /// Elements `start ..< end` along `axis` (no checks beyond 0 <= start <= end <= size).
    func narrow(_ axis: Int, _ start: Int, _ end: Int) throws -> Tensor {
        var s = shape; s[axis] = end - start
        let st = strides
        return try Tensor.gather(storage.pointer, base: start * st[axis], shape: s, strides: st, "split")
    }

    /// Splits into `sections` equal parts along `axis`.
    public func split(sections: Int, axis: Int = 0) throws -> [Tensor] {
        let a = try normalizeAxis(axis, "split")
        guard sections > 0 else { throw TensorError("split", "number of sections must be positive, got \(sections).") }
        guard shape[a] % sections == 0 else {
            throw TensorError("split", "axis \(axis) of size \(shape[a]) does not divide into \(sections) equal sections.")
        }
        let step = shape[a] / sections
        return try split(indices: (1..<sections).map { $0 * step }, axis: axis)
    }

    /// Splits before each of the given indices along `axis` (NumPy's clamping).
    public func split(indices: [Int], axis: Int = 0) throws -> [Tensor] {
        let a = try normalizeAxis(axis, "split")
        let n = shape[a]
        var out: [Tensor] = []
        var prev = 0
        for i in indices + [n] {
            var e = i < 0 ? i + n : i
            e = Swift.min(Swift.max(e, 0), n)
            let s = Swift.min(prev, n)
            out.append(try narrow(a, s, Swift.max(e, s)))
            prev = e
        }
        return out
    }

    /// Repeats the whole tensor `reps[i]` times along each axis.
    public func tile(_ reps: [Int]) throws -> Tensor {
        for r in reps where r < 0 { throw TensorError("tile", "repetitions must be non-negative, got \(shapeString(reps)).") }
        let d = Swift.max(ndim, reps.count)
        let s = [Int](repeating: 1, count: d - ndim) + shape
        let r = [Int](repeating: 1, count: d - reps.count) + reps
        var vs: [Int] = [], bs: [Int] = [], rs: [Int] = []
        for i in 0..<d { vs += [1, s[i]]; bs += [r[i], s[i]] }
        try Tensor.checkShape(bs, "tile")
        for i in 0..<d { rs.append(r[i] * s[i]) }
        return try reshaped(vs).broadcast(to: bs).reshaped(rs)
    }

    /// Repeats each element `repeats` times along `axis` (flattened when nil).
    public func repeated(_ repeats: Int, axis: Int? = nil) throws -> Tensor {
        guard repeats >= 0 else { throw TensorError("repeat", "repeats must be non-negative, got \(repeats).") }
        guard let axis else { return try flatten().repeated(repeats, axis: 0) }
        let a = try normalizeAxis(axis, "repeat")
        var v = shape; v.insert(1, at: a + 1)
        var b = shape; b.insert(repeats, at: a + 1)
        try Tensor.checkShape(b, "repeat")
        var r = shape; r[a] *= repeats
        return try reshaped(v).broadcast(to: b).reshaped(r)
    }

    /// Reversed along one axis (all axes when nil).
    public func flip(axis: Int? = nil) throws -> Tensor {
        var st = strides
        var base = 0
        let axes = try axis.map { [try normalizeAxis($0, "flip")] } ?? Array(0..<ndim)
        for a in axes where shape[a] > 0 {
            base += (shape[a] - 1) * st[a]
            st[a] = -st[a]
        }
        return try Tensor.gather(storage.pointer, base: base, shape: shape, strides: st, "flip")
    }

    /// Periodic shift by `shift` along `axis` (of the flattened tensor when nil).
    public func roll(_ shift: Int, axis: Int? = nil) throws -> Tensor {
        guard let axis else { return try flatten().roll(shift, axis: 0).reshaped(shape) }
        let a = try normalizeAxis(axis, "roll")
        let n = shape[a]
        if n == 0 { return self }
        let s = ((shift % n) + n) % n
        return try mapLanes(a, "roll") { src, dst, n, st in
            for j in 0..<n {
                var t = j &+ s; if t >= n { t &-= n }
                dst[t &* st] = src[j &* st]
            }
        }
    }

    /// One-hot rows: shape `labels.shape + [n]`.
    public static func onehot(_ labels: Tensor, _ n: Int) throws -> Tensor {
        guard n >= 0 else { throw TensorError("onehot", "number of classes must be non-negative, got \(n).") }
        try checkShape(labels.shape + [n], "onehot")
        var out = try zeros(labels.shape + [n])
        let p = labels.storage.pointer, r = out.storage.pointer
        for i in 0..<labels.count {
            let v = p[i]
            guard v == v.rounded(), v >= 0, v < Double(n) else {
                throw TensorError("onehot", "label \(Tensor.formatNumber(v)) is not an integer in 0..<\(n).")
            }
            r[i &* n &+ Int(v)] = 1
        }
        out.setShape(labels.shape + [n])
        return out
    }
}
