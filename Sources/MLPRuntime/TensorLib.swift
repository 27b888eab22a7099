// Tensor builtins: creation, shape, reductions and products. Element-wise math
// (exp, sqrt, ...) and operators come through TensorValue's hooks.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

enum TensorLib {
    static func register(_ r: inout Registry) {
        r.fn("tensor", [p("data")], doc: "A tensor from nested lists of numbers (rectangular), a number, or a tensor (copied as a value).",
             example: "a = tensor([[1, 2], [3, 4]])") { a throws(MLPError) in
            // not trackedOrPlain: no op to record, and a tensor is a value, so a tracked one is
            // returned as it is (the plain path also takes nested lists and numbers)
            if tracked(a, 0) != nil { return a[0] }
            do throws(MLPError) { return .object(TensorValue(try TensorValue.fromNested(a[0]))) } catch {
                // complex items: a complex128 tensor (looked for only when the real reading failed)
                if ComplexArith.holdsComplex(a[0]) { return .object(ComplexTensorValue(try ComplexArith.nested(a[0]))) }
                throw error
            }
        }
        creator(&r, "zeros", "A tensor of zeros; the shape as numbers or one list.", "zeros(2, 3)") { s throws in try Tensor.zeros(s) }
        creator(&r, "ones", "A tensor of ones; the shape as numbers or one list.", "ones(3)") { s throws in try Tensor.ones(s) }
        r.fn("full", [p("shape"), p("value")], doc: "A tensor of the given shape (a number or list) filled with value.",
             example: "full([2, 2], 0.5)") { a throws(MLPError) in
            let shape = try a.shape(a[0], at: 0), v = try a.number(1)
            return try a.newTensor { try Tensor.full(shape, v) }
        }
        r.fn("eye", [p("n"), opt("m")], doc: "The n x n (or n x m) identity matrix.", example: "eye(3)") { a throws(MLPError) in
            let n = try a.int(0), m = try a.optionalInt(1)
            return try a.newTensor { try Tensor.eye(n, m) }
        }
        r.fn("arange", [p("start"), opt("stop"), p("step", 1)], doc: "Numbers from start up to (not including) stop by step, as NumPy's arange; arange(n) starts at 0.",
             example: "arange(0, 1, 0.25)") { a throws(MLPError) in
            var lo = try a.number(0), hi: Double
            if a.isNil(1) { hi = lo; lo = 0 } else { hi = try a.number(1) }
            let step = try a.number(2)
            return try a.newTensor { try Tensor.arange(lo, hi, step) }
        }
        r.fn("linspace", [p("start"), p("stop"), p("n", 50)], doc: "n evenly spaced numbers from start to stop, both included.",
             example: "x = linspace(0, 2 * pi, 100)") { a throws(MLPError) in
            let lo = try a.number(0), hi = try a.number(1), n = try a.int(2)
            return try a.newTensor { try Tensor.linspace(lo, hi, n) }
        }
        r.fn("shape", [p("t")], doc: "The shape of a tensor as a list.", example: "shape(zeros(2, 3))   # [2, 3]") { a throws(MLPError) in
            if let c = ComplexLib.tensorArg(a[0]) { return .list(c.shape.map { .number(Double($0)) }) }
            if case .object(let o as TrackedComplexValue) = a[0] { return .list(o.z.shape.map { .number(Double($0)) }) }
            return .list(try a.tensor(0).shape.map { .number(Double($0)) })
        }
        r.fn("ndim", [p("t")], doc: "The number of axes of a tensor.", example: "ndim(zeros(2, 3))   # 2") { a throws(MLPError) in
            .number(Double(try a.tensor(0).ndim))
        }
        r.fn("size", [p("t")], doc: "The number of elements of a tensor.", example: "size(zeros(2, 3))   # 6") { a throws(MLPError) in
            .number(Double(try a.tensor(0).count))
        }
        r.layer("reshape", [p("t")], rest: "shape", doc: "The same elements in a new shape (one size may be -1); the shape as numbers or one list. reshape(shape) alone is a layer reshaping each sample (the batch axis kept).",
             example: "reshape(arange(6), 2, 3)") { a throws(MLPError) in
            if a.rest.isEmpty, case .list = a[0] {
                let shape = try a.shape(a[0], at: 0)
                return try a.native { .object(LayerValue(try Reshape(shape))) }
            }
            let shape = try a.trailingShape()
            if case .object(let o as TrackedComplexValue) = a[0] { return try a.native(at: 1) { try TrackedComplex.value(o.z.reshaped(shape)) } }
            if let c = ComplexLib.tensorArg(a[0]) { return try a.native(at: 1) { .object(ComplexTensorValue(try c.reshaped(shape))) } }
            return try reshaping(a, "reshape") { try $0.reshaped(shape) }
        }
        r.fn("transpose", [p("t"), opt("axes")], doc: "The axes reversed (a matrix transposed), or permuted as axes says; also t.T.",
             example: "transpose(tensor([[1, 2], [3, 4]]))") { a throws(MLPError) in
            if case .object(let o as TrackedComplexValue) = a[0] {
                let axes = a.isNil(1) ? Array((0..<o.z.shape.count).reversed()) : try a.intList(1)
                return try a.native(at: 1) { try TrackedComplex.value(o.z.permute(axes)) }
            }
            if let c = ComplexLib.tensorArg(a[0]) {
                let axes = a.isNil(1) ? Array((0..<c.ndim).reversed()) : try a.intList(1)
                return try a.native(at: 1) { .object(ComplexTensorValue(try c.permute(axes))) }
            }
            let t = try a.tensor(0)
            let axes = a.isNil(1) ? Array((0..<t.ndim).reversed()) : try a.intList(1)
            return try permuting(a, axes, at: 1)
        }
        r.layer("flatten", [opt("t")], doc: "The elements as a 1-D tensor, in row-major order; flatten() alone is a layer flattening each sample (the batch axis kept).",
             example: "flatten(eye(2))") { a throws(MLPError) in
            if a.isNil(0) { return .object(LayerValue(Flatten())) }
            return try reshaping(a, "flatten") { $0.flatten() }
        }
        joiner(&r, "concat", "Joins tensors along an existing axis.", "concat([ones(2), zeros(3)])") { ts, axis throws in try Tensor.concat(ts, axis: axis) }
        joiner(&r, "stack", "Stacks tensors of one shape along a new axis.", "stack([ones(2), zeros(2)])") { ts, axis throws in try Tensor.stack(ts, axis: axis) }
        product(&r, "dot", "Dot product with NumPy's rules (inner product of vectors, matrix product of matrices).", "dot(tensor([1, 2]), tensor([3, 4]))   # 11",
                Variable.dot) { x, y throws in try Tensor.dot(x, y) }
        product(&r, "outer", "Outer product of two vectors.", "outer(tensor([1, 2]), tensor([1, 10]))", Variable.outer) { x, y throws in try Tensor.outer(x, y) }
        product(&r, "matmul", "Matrix product with NumPy's rules (also written a @ b).", "matmul(eye(2), ones(2, 3))", Variable.matmul) { x, y throws in try Tensor.matmul(x, y) }
        for (name, op, doc) in [("var", Tensor.ReduceOp.var, "Variance (population, NumPy's ddof=0)"), ("std", .std, "Standard deviation (population)"),
                                ("prod", .prod, "Product"), ("argmax", .argmax, "Position of the largest element"),
                                ("argmin", .argmin, "Position of the smallest element"), ("logsumexp", .logsumexp, "log(sum(exp(t))), computed stably"),
                                ("norm", .norm, "Euclidean (Frobenius) norm")] {
            r.fn(name, [p("t"), Param("axis", DefaultValue.none, keywordOnly: true), Param("keepdims", .bool(false), keywordOnly: true)],
                 doc: "\(doc) of all elements, or along axis.", example: "\(name)(tensor([[1, 2], [3, 4]]), axis=0)") { a throws(MLPError) in
                try reduce(a, op)
            }
        }
        r.fn("softmax", [p("t"), Param("axis", .number(-1), keywordOnly: true)], doc: "exp(t) normalised to sum 1 along axis (the last by default), computed stably.",
             example: "softmax(tensor([1, 2, 3]))") { a throws(MLPError) in
            let axis = try a.int(1)
            return try trackedOrPlain(a, { try $0.softmax(axis: axis) }) { .object(TensorValue(try $0.softmax(axis: axis))) }
        }
        r.fn("cumsum", [p("t"), Param("axis", DefaultValue.none, keywordOnly: true)], doc: "Running sums (of the flattened tensor, or along axis).",
             example: "cumsum(tensor([1, 2, 3]))") { a throws(MLPError) in
            let axis = try a.optionalInt(1)
            return try trackedOrPlain(a, { try $0.cumsum(axis: axis) }) { .object(TensorValue(try $0.cumsum(axis: axis))) }
        }
        registerShapeOps(&r)
        registerLinalg(&r)
    }

    // MARK: shape operations, selection, sorting

    static func registerShapeOps(_ r: inout Registry) {
        let axisKw = Param("axis", DefaultValue.none, keywordOnly: true)
        r.fn("permute", [p("t"), p("axes")], doc: "The axes reordered: result axis i is t's axis axes[i].",
             example: "shape(permute(zeros(2, 3, 4), [2, 0, 1]))   # [4, 2, 3]") { a throws(MLPError) in
            try permuting(a, try a.intList(1), at: 1)
        }
        r.fn("squeeze", [p("t"), axisKw], doc: "Axes of size 1 removed (all of them, or only axis).",
             example: "shape(squeeze(zeros(1, 3, 1)))   # [3]") { a throws(MLPError) in
            let axis = try a.optionalInt(1)
            return try reshaping(a, "squeeze", at: 1) { try $0.squeeze(axis: axis) }
        }
        r.fn("unsqueeze", [p("t"), p("axis")], doc: "A new axis of size 1 inserted at axis (-1 appends it).",
             example: "shape(unsqueeze(zeros(3), 0))   # [1, 3]") { a throws(MLPError) in
            let axis = try a.int(1)
            return try reshaping(a, "unsqueeze", at: 1) { try $0.unsqueeze(axis: axis) }
        }
        r.fn("tile", [p("t"), p("reps")], doc: "The whole tensor repeated reps times (a number, or a list with one count per axis).",
             example: "tile(tensor([1, 2]), 3)") { a throws(MLPError) in
            let reps = try a.intList(1)
            return try rearranging(a, "tile", at: 1) { try $0.tile(reps) }
        }
        r.fn("repeat", [p("t"), p("n"), axisKw], doc: "Each element repeated n times along axis (of the flattened tensor when no axis).",
             example: "repeat(tensor([1, 2]), 2)   # tensor([1, 1, 2, 2])") { a throws(MLPError) in
            let n = try a.int(1, atLeast: 0), axis = try a.optionalInt(2)
            return try rearranging(a, "repeat", at: 2) { try $0.repeated(n, axis: axis) }
        }
        r.fn("flip", [p("t"), axisKw], doc: "The elements in reverse order along axis (along every axis when no axis).",
             example: "flip(tensor([1, 2, 3]))   # tensor([3, 2, 1])") { a throws(MLPError) in
            let axis = try a.optionalInt(1)
            return try rearranging(a, "flip", at: 1) { try $0.flip(axis: axis) }
        }
        r.fn("roll", [p("t"), p("shift"), axisKw], doc: "The elements shifted periodically by shift along axis (of the flattened tensor when no axis).",
             example: "roll(tensor([1, 2, 3, 4]), 1)   # tensor([4, 1, 2, 3])") { a throws(MLPError) in
            let shift = try a.int(1), axis = try a.optionalInt(2)
            return try rearranging(a, "roll", at: 2) { try $0.roll(shift, axis: axis) }
        }
        r.fn("where", [p("cond"), p("a"), p("b")], doc: "a where cond is nonzero, else b, element-wise with broadcasting.",
             example: "where(tensor([-1, 2]) > 0, 1, -1)   # tensor([-1,  1])") { a throws(MLPError) in
            let c: Tensor
            if case .bool(let b) = a[0] { c = Tensor(scalar: b ? 1 : 0) } else { c = try a.tensor(0) }
            return try trackedOrPlain(a, 1, 2, { try Variable.where(c, $0, $1) }) { scalarOrTensor(try Tensor.where(c, $0, $1)) }
        }
        r.fn("clip", [p("t"), opt("lo"), opt("hi")], doc: "Values limited to [lo, hi]; either bound may be nil.",
             example: "clip(tensor([-2, 0.5, 3]), 0, 1)   # tensor([0  , 0.5, 1  ])") { a throws(MLPError) in
            let lo = a.isNil(1) ? nil : try a.number(1), hi = a.isNil(2) ? nil : try a.number(2)
            if let lo, let hi, lo > hi {
                throw a.error("lower bound \(formatNumber(lo)) is above upper bound \(formatNumber(hi)).", at: 1)
            }
            return try trackedOrPlain(a, { try $0.clip(lo, hi) }) { scalarOrTensor(try $0.clip(lo, hi)) }
        }
        r.fn("onehot", [p("labels"), p("n")], doc: "One-hot rows: labels (integers in 0..<n) as a tensor of shape shape(labels) + [n].",
             example: "onehot(tensor([0, 2]), 3)") { a throws(MLPError) in
            let t = try a.tensor(0), n = try a.int(1, atLeast: 0)
            return try a.newTensor(at: 0) { try Tensor.onehot(t, n) }
        }
        r.fn("argsort", [p("t"), Param("axis", .number(-1), keywordOnly: true)], doc: "Indices that sort t along axis (the last by default); stable, nan last.",
             example: "argsort(tensor([3, 1, 2]))   # tensor([1, 2, 0])") { a throws(MLPError) in
            let t = try a.tensor(0), axis = try a.int(1)
            do { return scalarOrTensor(try t.argsort(axis: axis)) } catch { throw a.nativeError(error, at: 1) }
        }
        product(&r, "kron", "Kronecker product.", "kron(eye(2), ones(2, 2))") { x, y throws in try Tensor.kron(x, y) }
    }

    // MARK: linear algebra (LAPACK)

    static func registerLinalg(_ r: inout Registry) {
        r.fn("inv", [p("a")], doc: "The inverse of a square matrix.", example: "inv(tensor([[2, 0], [0, 4]]))") { a throws(MLPError) in
            try trackedOrPlain(a, at: 0, { try $0.inv() }) { .object(TensorValue(try $0.inv(poll: a.interruptPoll))) }
        }
        r.fn("det", [p("a")], doc: "The determinant of a square matrix.", example: "det(tensor([[1, 2], [3, 4]]))   # -2") { a throws(MLPError) in
            try trackedOrPlain(a, at: 0, { try $0.det() }) { .number(try $0.det(poll: a.interruptPoll)) }
        }
        r.fn("solve", [p("a"), p("b")], doc: "x with a @ x = b, for a square matrix a and a vector or matrix b.",
             example: "solve(tensor([[2, 0], [0, 4]]), tensor([2, 8]))   # tensor([1, 2])") { a throws(MLPError) in
            let m = try a.tensor(0)
            if m.ndim != 2 || m.shape[0] != m.shape[1] {
                throw a.error("expected a square matrix, got shape \(Tensor.formatShape(m.shape)).", at: 0)
            }
            return try trackedOrPlain(a, 0, 1, Variable.solve) { .object(TensorValue(try Tensor.solve($0, $1, poll: a.interruptPoll))) }
        }
        r.fn("eigh", [p("a")], doc: "Eigenvalues (ascending) and eigenvectors (as columns) of a symmetric matrix: [values, vectors].",
             example: "vals, vecs = eigh(tensor([[2, 1], [1, 2]]))") { a throws(MLPError) in
            let m = try a.untrackedTensor(0)
            do {
                let (w, v) = try m.eigh(poll: a.interruptPoll)
                return .list([.object(TensorValue(w)), .object(TensorValue(v))])
            } catch { throw a.nativeError(error, at: 0) }
        }
        r.fn("svd", [p("a"), Param("full_matrices", .bool(true), keywordOnly: true)],
             doc: "Singular value decomposition a = U @ diag(S) @ Vt, as [U, S, Vt] (S descending); full_matrices=false gives the reduced form.",
             example: "u, s, vt = svd(tensor([[3, 0], [0, 4], [0, 0]]), full_matrices=false)") { a throws(MLPError) in
            let m = try a.untrackedTensor(0), full = try a.bool(1)
            do {
                let (u, s, vt) = try m.svd(fullMatrices: full, poll: a.interruptPoll)
                return .list([.object(TensorValue(u)), .object(TensorValue(s)), .object(TensorValue(vt))])
            } catch { throw a.nativeError(error, at: 0) }
        }
        r.fn("cholesky", [p("a")], doc: "The lower-triangular L with a = L @ L.T, for a symmetric positive definite matrix.",
             example: "cholesky(tensor([[4, 2], [2, 3]]))") { a throws(MLPError) in
            let m = try a.untrackedTensor(0)
            return try a.newTensor(at: 0) { try m.cholesky(poll: a.interruptPoll) }
        }
        r.fn("lstsq", [p("a"), p("b"), Param("rcond", DefaultValue.none, keywordOnly: true)],
             doc: "The least-squares (minimum-norm) x minimising |a @ x - b|; b a vector or matrix.",
             example: "lstsq(tensor([[1, 0], [1, 1], [1, 2]]), tensor([1, 3, 5]))   # tensor([1, 2])") { a throws(MLPError) in
            let m = try a.untrackedTensor(0), b = try a.untrackedTensor(1), rc = a.isNil(2) ? nil : try a.number(2)
            if m.ndim != 2 { throw a.error("expected a matrix, got shape \(Tensor.formatShape(m.shape)).", at: 0) }
            do { return .object(TensorValue(try Tensor.lstsq(m, b, rcond: rc, poll: a.interruptPoll).x)) }
            catch { throw a.nativeError(error) }
        }
    }

    /// `split(t, n_or_positions, axis=)` (the string builtin hands tensors here).
    static func splitTensor(_ a: Args) throws(MLPError) -> Value {
        let axis = try a.int(2)
        let split: (Tensor) throws -> [Tensor]
        switch a[1] {
        case .number: let n = try a.int(1); split = { try $0.split(sections: n, axis: axis) }
        case .list: let at = try a.intList(1); split = { try $0.split(indices: at, axis: axis) }
        default: throw a.typeError(1, "a number of parts or a list of positions")
        }
        // not trackedOrPlain: the result is a list, and a tracked tensor gives one node per
        // part (a selection, whose gradient goes back to the rows it came from)
        if let v = tracked(a, 0) {
            let count: Int
            do { count = try split(v.value).count } catch { throw a.nativeError(error) }
            var parts: [Value] = []
            for k in 0..<count { parts.append(try track(a) { try v.gather("split") { try split($0)[k] } }) }
            return .list(parts)
        }
        let t = try a.untrackedTensor(0)
        do { return .list(try split(t).map { .object(TensorValue($0)) }) } catch { throw a.nativeError(error) }
    }

    /// `sort(t, axis=, reverse=)` (the list builtin hands tensors here).
    static func sortTensor(_ a: Args) throws(MLPError) -> Value {
        if !a.isNil(1) { throw a.error("a tensor is sorted by value; key= is for lists.", at: 1) }
        let t = try a.untrackedTensor(0), axis = try a.int(3), reverse = try a.bool(2)
        return try a.newTensor { let s = try t.sort(axis: axis); return reverse ? try s.flip(axis: axis) : s }
    }

    // MARK: shared argument handling

    /// Argument i's node when grad is differentiating through it.
    static func tracked(_ a: Args, _ i: Int) -> Variable? {
        if case .object(let o as TensorValue) = a[i] { return o.node }
        return nil
    }

    /// Runs a differentiable operation for builtin `a`, reporting its error under the builtin's name.
    /// A result without a gradient (argmax of a tracked tensor) is a plain value, 0-d a number.
    static func track(_ a: Args, at i: Int? = nil, _ body: () throws -> Variable) throws(MLPError) -> Value {
        let v: Variable
        do { v = try body() } catch { throw a.nativeError(error, at: i) }
        return v.requiresGrad ? .object(TensorValue(v)) : scalarOrTensor(v.value)
    }

    /// A builtin that reshapes argument 0 (the gradient is reshaped back).
    static func reshaping(_ a: Args, _ name: String, at i: Int? = nil, _ f: (Tensor) throws -> Tensor) throws(MLPError) -> Value {
        try trackedOrPlain(a, at: i, { try $0.reshaped(name, try f($0.value)) }) { .object(TensorValue(try f($0))) }
    }

    /// A builtin whose result elements are copies of argument 0's (the gradient is routed back).
    static func rearranging(_ a: Args, _ name: String, at i: Int? = nil, _ f: @escaping (Tensor) throws -> Tensor) throws(MLPError) -> Value {
        try trackedOrPlain(a, at: i, { try $0.gather(name, f) }) { .object(TensorValue(try f($0))) }
    }

    /// permute/transpose of argument 0.
    static func permuting(_ a: Args, _ axes: [Int], at i: Int) throws(MLPError) -> Value {
        try trackedOrPlain(a, at: i, { try $0.permute(axes) }) { .object(TensorValue(try $0.permute(axes))) }
    }

    /// A 0-d result is a number.
    static func scalarOrTensor(_ t: Tensor) -> Value { t.isScalar ? .number(t.scalars[0]) : .object(TensorValue(t)) }

    /// A reduction for builtin `a` (argument 0 the tensor, then keyword-only axis and keepdims).
    static func reduce(_ a: Args, _ op: Tensor.ReduceOp) throws(MLPError) -> Value {
        let axis = try a.optionalInt(1), keep = try a.bool(2)
        return try trackedOrPlain(a, { try $0.reduce(op, axis: axis, keepdims: keep) }) {
            scalarOrTensor(try $0.reduce(op, axis: axis, keepdims: keep))
        }
    }

    static func creator(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ f: @escaping @Sendable ([Int]) throws -> Tensor) {
        r.fn(name, [], rest: "shape", doc: doc, example: example) { a throws(MLPError) in
            let shape = try a.trailingShape()
            return try a.newTensor { try f(shape) }
        }
    }

    static func joiner(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ f: @escaping @Sendable ([Tensor], Int) throws -> Tensor) {
        r.fn(name, [p("tensors"), Param("axis", .number(0), keywordOnly: true)], doc: doc, example: example) { a throws(MLPError) in
            let items = try a.list(0).items
            if items.contains(where: ComplexLib.isComplex), items.contains(where: TrackedComplex.isTracked) {
                return try ComplexLib.trackedJoin(a, items, stack: name == "stack")
            }
            if items.contains(where: { if case .object(let o as TensorValue) = $0 { return o.node != nil }; return false }) {
                var vs: [Variable] = []
                for v in items {
                    if case .object(let o as TensorValue) = v { vs.append(o.variable); continue }
                    do throws(MLPError) { vs.append(Variable(constant: try TensorValue.fromNested(v))) } catch { throw a.error(error.message, at: 0) }
                }
                let axis = try a.int(1)
                return try track(a) { name == "concat" ? try Variable.concat(vs, axis: axis) : try Variable.stack(vs, axis: axis) }
            }
            if items.contains(where: { ComplexLib.tensorArg($0) != nil }) { return try ComplexLib.join(a, items, stack: name == "stack") }
            var ts: [Tensor] = []
            for v in items {
                do throws(MLPError) { ts.append(try TensorValue.fromNested(v)) } catch { throw a.error(error.message, at: 0) }
            }
            let axis = try a.int(1)
            return try a.newTensor { try f(ts, axis) }
        }
    }

    static func product(_ r: inout Registry, _ name: String, _ doc: String, _ example: String,
                        _ differentiable: (@Sendable (Variable, Variable) throws -> Variable)? = nil, _ f: @escaping @Sendable (Tensor, Tensor) throws -> Tensor) {
        r.fn(name, [p("a"), p("b")], doc: doc, example: example) { a throws(MLPError) in
            // complex operands: dot and matmul are the complex @ (outer has no complex form yet)
            if name != "outer", ComplexLib.isComplex(a[0]) || ComplexLib.isComplex(a[1]) {
                do throws(MLPError) { if let v = try ComplexArith.binary(.matmul, a[0], a[1], reversed: false) { return v } }
                catch { throw a.error(error.message.hasPrefix("matmul: ") ? String(error.message.dropFirst(8)) : error.message) }
            }
            return try trackedOrPlain(a, 0, 1, differentiable) { scalarOrTensor(try f($0, $1)) }
        }
    }
}
