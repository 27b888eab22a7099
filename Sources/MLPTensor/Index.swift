/// One component of an index expression `a[i, 1:3, idx, mask]`.
public enum TensorIndex {
    /// A single position (negative counts from the end); removes the axis.
    case at(Int)
    /// Python slice start:stop:step (nil for defaults).
    case slice(Int?, Int?, Int?)
    /// Integer-array indexing along one axis (result axes: the array's shape).
    case indices(Tensor)
    /// Boolean mask (non-zero = true) over the next `mask.ndim` axes; one result axis.
    case mask(Tensor)
    /// `...`: as many full slices as the other indices leave axes (at most one).
    case ellipsis

    /// The full slice `:`.
    public static var all: TensorIndex { .slice(nil, nil, nil) }
}

extension Tensor {
    /// Python's `slice.indices(n)`: (start, step, count) of the selected positions.
    public static func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int?, size n: Int) throws -> (start: Int, step: Int, count: Int) {
        try MLPTensor.sliceIndices(start, stop, step, size: n)
    }
}

func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int?, size n: Int) throws -> (start: Int, step: Int, count: Int) {
    var st = step ?? 1
    guard st != 0 else { throw TensorError(nil, "slice step cannot be zero.") }
    if st == Int.min { st = -Int.max }
    var b: Int, e: Int
    if st > 0 {
        b = start.map { $0 < 0 ? Swift.max($0 + n, 0) : Swift.min($0, n) } ?? 0
        e = stop.map { $0 < 0 ? Swift.max($0 + n, 0) : Swift.min($0, n) } ?? n
        let c = e > b ? (e - b - 1) / st + 1 : 0
        return (b, st, c)
    } else {
        b = start.map { $0 < 0 ? Swift.max($0 + n, -1) : Swift.min($0, n - 1) } ?? (n - 1)
        e = stop.map { $0 < 0 ? Swift.max($0 + n, -1) : Swift.min($0, n - 1) } ?? -1
        let c = b > e ? (b - e - 1) / (-st) + 1 : 0
        return (b, st, c)
    }
}

extension Tensor {
    /// A resolved index: result shape plus, per result group, the element offsets.
    struct Selection {
        var base = 0
        var groups: [(dims: [Int], offsets: [Int])] = []
        var shape: [Int] { groups.flatMap { $0.dims } }
    }

    /// The index with `...` replaced by full slices (NumPy: one ellipsis at most).
    func expandEllipsis(_ index: [TensorIndex]) throws -> [TensorIndex] {
        guard let at = index.firstIndex(where: { if case .ellipsis = $0 { return true }; return false }) else { return index }
        var used = 0, ellipses = 0
        for i in index {
            switch i {
            case .ellipsis: ellipses += 1
            case .mask(let m): used += Swift.max(m.ndim, 1)
            default: used += 1
            }
        }
        guard ellipses == 1 else { throw TensorError(nil, "an index can only have a single ellipsis ('...').") }
        guard used <= ndim else {
            throw TensorError(nil, "too many indices for tensor: tensor is \(ndim)-dimensional, but \(used) were indexed.")
        }
        var out = index
        out.replaceSubrange(at...at, with: [TensorIndex](repeating: .all, count: ndim - used))
        return out
    }

    func select(_ index: [TensorIndex]) throws -> Selection {
        var consumed = 0
        var arrays = 0
        for i in index {
            switch i {
            case .mask(let m): consumed += Swift.max(m.ndim, 1); arrays += 1
            case .indices: consumed += 1; arrays += 1
            case .ellipsis: throw TensorError(nil, "internal: an ellipsis must be expanded before selecting.")
            default: consumed += 1
            }
        }
        guard consumed <= ndim else {
            throw TensorError(nil, "too many indices for tensor: tensor is \(ndim)-dimensional, but \(consumed) were indexed.")
        }
        // several integer arrays (NumPy's advanced indexing, `a[rows, cols]`): broadcast
        // together, they pick one element each; the result has their common shape
        var arrayShape: [Int]? = nil
        if arrays > 1 {
            var common: [Int] = []
            for i in index {
                switch i {
                case .mask: throw TensorError(nil, "a boolean mask cannot be combined with another array index; index with one mask, or with integer arrays only.")
                case .indices(let t):
                    do { common = try broadcastShapes(common, t.shape) } catch {
                        throw TensorError(nil, "index arrays could not be broadcast together: shapes \(index.compactMap { if case .indices(let u) = $0 { return shapeString(u.shape) }; return nil }.joined(separator: " ")).")
                    }
                default: break
                }
            }
            arrayShape = common
        }
        var combinedAt: Int? = nil   // the group holding the combined arrays' offsets
        let st = strides
        var sel = Selection()
        // (group index, is advanced) to decide NumPy's placement of array dims
        var kinds: [Int] = []   // 0 slice, 1 at, 2 array
        var groups: [(dims: [Int], offsets: [Int])] = []
        var axis = 0
        for i in index {
            switch i {
            case .at(let k):
                let n = shape[axis]
                let j = k < 0 ? k + n : k
                guard j >= 0 && j < n else {
                    throw TensorError(nil, "index \(k) is out of bounds for axis \(axis) with size \(n).")
                }
                sel.base += j * st[axis]
                kinds.append(1)
                groups.append(([], [0]))
                axis += 1
            case .slice(let b, let e, let s):
                let (start, step, c) = try Tensor.sliceIndices(b, e, s, size: shape[axis])
                let stride = st[axis]
                groups.append(([c], (0..<c).map { (start + $0 * step) * stride }))
                kinds.append(0)
                axis += 1
            case .indices(let given):
                let n = shape[axis], stride = st[axis]
                let t = try arrayShape.map { try given.broadcast(to: $0) } ?? given
                var offs = [Int](repeating: 0, count: t.count)
                let p = t.storage.pointer
                for q in 0..<t.count {
                    let v = p[q]
                    guard v == v.rounded(), Swift.abs(v) < 1e15 else {
                        throw TensorError(nil, "index arrays must hold integers, got \(Tensor.formatNumber(v)).")
                    }
                    let k = Int(v), j = k < 0 ? k + n : k
                    guard j >= 0 && j < n else {
                        throw TensorError(nil, "index \(k) is out of bounds for axis \(axis) with size \(n).")
                    }
                    offs[q] = j * stride
                }
                if let c = combinedAt {
                    for q in 0..<offs.count { groups[c].offsets[q] += offs[q] }
                    groups.append(([], [0]))   // placeholder: dropped below, kept for placement
                } else {
                    if arrayShape != nil { combinedAt = groups.count }
                    groups.append((t.shape, offs))
                }
                kinds.append(2)
                axis += 1
            case .ellipsis: break   // expanded before (the count above rejects it)
            case .mask(let m):
                let k = Swift.max(m.ndim, 1)
                let ms = m.ndim == 0 ? [1] : m.shape
                for d in 0..<k where ms[d] != shape[axis + d] {
                    throw TensorError(nil, "boolean index did not match indexed tensor along axis \(axis + d); size of axis is \(shape[axis + d]) but size of corresponding boolean axis is \(ms[d]).")
                }
                let stride = st[axis + k - 1]
                var offs: [Int] = []
                let p = m.storage.pointer
                for q in 0..<m.count where p[q] != 0 { offs.append(q * stride) }
                groups.append(([offs.count], offs))
                kinds.append(2)
                axis += k
            }
        }
        // remaining axes: one contiguous group
        if axis < ndim {
            let dims = Array(shape[axis...])
            let block = dims.reduce(1, *)
            groups.append((dims, Array(0..<block)))
            kinds.append(0)
        }
        // NumPy: when advanced indices (arrays and ints) are separated by a slice,
        // the array's dimensions come first.
        if arrays >= 1 {
            let adv = kinds.indices.filter { kinds[$0] != 0 }
            if let lo = adv.first, let hi = adv.last, hi - lo + 1 != adv.count {
                let ai = kinds.firstIndex(of: 2)!
                let g = groups.remove(at: ai)
                groups.insert(g, at: 0)
            }
        }
        sel.groups = groups.filter { !($0.dims.isEmpty && $0.offsets == [0]) }
        return sel
    }

    /// Calls `body(resultPosition, sourceOffset)` for every selected element in order.
    @inline(__always)
    static func forEachSelected(_ sel: Selection, _ body: (Int, Int) -> Void) {
        let g = sel.groups
        let k = g.count
        if k == 0 { body(0, sel.base); return }
        for x in g where x.offsets.isEmpty { return }
        var idx = [Int](repeating: 0, count: k)
        var outer = [Int](repeating: sel.base, count: k)   // offset before group d
        for d in 1..<k { outer[d] = outer[d - 1] + g[d - 1].offsets[0] }
        let last = g[k - 1].offsets
        var o = 0
        while true {
            let b = outer[k - 1]
            for off in last { body(o, b &+ off); o &+= 1 }
            var d = k - 2
            while d >= 0 {
                idx[d] += 1
                if idx[d] < g[d].offsets.count { break }
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
            outer[d + 1] = outer[d] + g[d].offsets[idx[d]]
            var e = d + 2
            while e < k { outer[e] = outer[e - 1] + g[e - 1].offsets[0]; e += 1 }
        }
    }

    /// `a[index...]` with NumPy semantics (a copy).
    public func get(_ index: [TensorIndex]) throws -> Tensor {
        let index = try expandEllipsis(index)
        if let (off, rest) = try intPrefix(index) {
            // only integers: one contiguous block
            let out = try Tensor(uninitializedShape: rest, "index")
            out.storage.pointer.update(from: storage.pointer + off, count: out.count)
            return out
        }
        let sel = try select(index)
        let out = try Tensor(uninitializedShape: sel.shape, "index")
        if out.count == 0 { return out }
        let p = storage.pointer, r = out.storage.pointer
        if let last = sel.groups.last, last.offsets.count > 1,
           last.offsets.indices.allSatisfy({ last.offsets[$0] == last.offsets[0] + $0 }) {
            // contiguous innermost block: copy rows
            let g = Selection(base: sel.base, groups: Array(sel.groups.dropLast()) + [([1], [last.offsets[0]])])
            let n = last.offsets.count
            var row = 0
            Tensor.forEachSelected(g) { _, off in
                (r + row &* n).update(from: p + off, count: n)
                row &+= 1
            }
            return out
        }
        Tensor.forEachSelected(sel) { o, off in r[o] = p[off] }
        return out
    }

    public func get(_ index: TensorIndex...) throws -> Tensor { try get(index) }

    /// When every index is an integer: the flat offset of the selected block and its shape.
    func intPrefix(_ index: [TensorIndex]) throws -> (Int, [Int])? {
        guard index.count <= ndim else { return nil }
        var off = 0
        for (axis, i) in index.enumerated() {
            guard case .at(let k) = i else { return nil }
            let n = shape[axis]
            let j = k < 0 ? k + n : k
            guard j >= 0 && j < n else {
                throw TensorError(nil, "index \(k) is out of bounds for axis \(axis) with size \(n).")
            }
            off = off &* n &+ j
        }
        let rest = Array(shape[index.count...])
        var block = 1
        for d in rest { block &*= d }
        return (off &* block, rest)
    }

    /// `a[index...] = value` with the value broadcast to the selected region.
    public mutating func set(_ index: [TensorIndex], _ value: Tensor) throws {
        let index = try expandEllipsis(index)
        if let (off, rest) = try intPrefix(index) {
            let v: Tensor
            do { v = try value.broadcast(to: rest) } catch {
                throw TensorError(nil, "could not broadcast value of shape \(shapeString(value.shape)) into the indexed region of shape \(shapeString(rest)).")
            }
            try makeUnique()
            (storage.pointer + off).update(from: v.storage.pointer, count: v.count)
            return
        }
        let sel = try select(index)
        let target = sel.shape
        let v: Tensor
        do { v = try value.broadcast(to: target) } catch {
            throw TensorError(nil, "could not broadcast value of shape \(shapeString(value.shape)) into the indexed region of shape \(shapeString(target)).")
        }
        try makeUnique()
        let r = storage.pointer, q = v.storage.pointer
        Tensor.forEachSelected(sel) { o, off in r[off] = q[o] }
    }

    public mutating func set(_ index: [TensorIndex], _ value: Double) throws {
        try set(index, Tensor(scalar: value))
    }

    /// Row `i` along the first axis (negative counts from the end).
    public func row(_ i: Int) throws -> Tensor { try get([.at(i)]) }
}
