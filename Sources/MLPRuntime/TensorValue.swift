// Tensors as language values: an MLPObject around MLPTensor's copy-on-write
// Tensor. Operators, indexing and iteration come through MLPObject's hooks;
// tensors behave as values (`b = a; b[0] = 1` leaves `a` unchanged).
import MLPLang
import MLPTensor
import MLPAutograd

final class TensorValue: MLPObject {
    /// Whether v is a tensor (tracked or not).
    static func isTensor(_ v: Value) -> Bool {
        if case .object(let o) = v { return o is TensorValue }
        return false
    }

    /// Changed only by an in-place item assignment, when nothing else refers to this value.
    private(set) var t: Tensor
    /// Made by a comparison: indexing with it selects where it is 1 (a boolean mask, as NumPy's bool arrays).
    let isMask: Bool
    /// Set while `grad` differentiates through this tensor: its node on the tape (t is its value).
    let node: Variable?

    init(_ t: Tensor, mask: Bool = false) { self.t = t; self.isMask = mask; node = nil }

    /// An op's result: tracked when it depends on a variable being differentiated.
    init(_ v: Variable, mask: Bool = false) { t = v.value; isMask = mask; node = v.requiresGrad ? v : nil }

    override var typeName: String { "tensor" }
    override func description(_ interp: Interpreter) -> String { t.description }
    override var length: Int? { t.shape.first }
    override var fieldNames: [String] { ["T", "dtype", "ndim", "shape", "size"] }

    /// This tensor as a graph variable (a constant unless tracked).
    var variable: Variable { node ?? Variable(constant: t) }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "shape": return .list(t.shape.map { .number(Double($0)) })
        case "ndim": return .number(Double(t.ndim))
        case "size": return .number(Double(t.count))
        case "dtype": return .str("float64")   // complex tensors say "complex128"
        case "T":
            let axes = Array((0..<t.ndim).reversed())
            if let node { return try track { try node.permute(axes) } }
            return try wrap { try t.permute(axes) }
        default: return nil
        }
    }

    static func tensorOp(_ op: BinaryOp) -> Tensor.BinaryOp? {
        switch op {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .pow: .pow
        case .mod: .mod
        case .eq: .eq
        case .ne: .ne
        case .lt: .lt
        case .le: .le
        case .gt: .gt
        case .ge: .ge
        case .matmul, .compose: nil
        }
    }

    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        let otherTensor: TensorValue?
        switch other {
        case .number: otherTensor = nil
        case .object(let o as TensorValue): otherTensor = o
        // a complex operand: the interpreter asks it next (reversed), and it makes this tensor complex
        case .object(is ComplexValue), .object(is ComplexTensorValue), .object(is TrackedComplexValue): return nil
        default:
            if op == .matmul { throw MLPError.runtime("matmul: '@' needs two tensors, got a tensor and \(describeForError(other)).") }
            return nil
        }
        if node != nil || otherTensor?.node != nil { return try trackedBinary(op, other, otherTensor, reversed: reversed) }
        if op == .matmul {
            guard let u = otherTensor else {
                throw MLPError.runtime("matmul: '@' needs two tensors, got a tensor and \(describeForError(other)).")
            }
            // a large product answers Ctrl-C between blocks of rows
            let poll = { if Interrupt.flag.load(ordering: .relaxed) { throw MLPError(.interrupt, "stopped by Ctrl-C.") } }
            do { return .object(TensorValue(reversed ? try Tensor.matmul(u.t, t, poll: poll) : try Tensor.matmul(t, u.t, poll: poll))) }
            catch let e as MLPError { Interrupt.flag.store(false, ordering: .relaxed); throw e }
            catch { throw MLPError.runtime(message(of: error)) }
        }
        guard let top = TensorValue.tensorOp(op) else { return nil }
        let r: Tensor
        do {
            // both operands stay in their objects: borrowed, and the result is new
            if let o = otherTensor {
                r = reversed ? try Tensor.binaryIntoNew(top, o.t, t) : try Tensor.binaryIntoNew(top, t, o.t)
            } else if case .number(let x) = other {
                r = try Tensor.binaryScalar(top, t, x, reversed: reversed)
            } else { return nil }
        } catch { throw MLPError.runtime(message(of: error)) }
        return TensorValue.result(r, comparison: top.isComparison)
    }

    /// `self op other` written into this object's tensor (`Tensor.apply`), which
    /// nothing else refers to: no new object, and no new buffer when the shapes allow.
    override func binaryInPlace(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Bool {
        guard node == nil, !isMask, let top = TensorValue.tensorOp(op), !top.isComparison else { return false }
        do {
            switch other {
            case .number(let x): try t.applyScalar(top, x, reversed: reversed)
            case .object(let u as TensorValue) where u.node == nil: try t.apply(top, u.t, reversed: reversed)
            default: return false
            }
        } catch { throw MLPError.runtime(message(of: error)) }
        return true
    }

    /// A comparison of scalars gives a bool, so that `if loss < 0.1` works; other comparisons give masks.
    static func result(_ r: Tensor, comparison: Bool) -> Value {
        if comparison && r.ndim == 0 { return .bool(r.scalars[0] != 0) }
        return .object(TensorValue(r, mask: comparison))
    }

    /// An operator with a tensor that `grad` tracks: the op and its gradient go on the tape.
    func trackedBinary(_ op: BinaryOp, _ other: Value, _ otherTensor: TensorValue?, reversed: Bool) throws(MLPError) -> Value? {
        let me = variable
        if op == .matmul {
            guard let u = otherTensor?.variable else {
                throw MLPError.runtime("matmul: '@' needs two tensors, got a tensor and \(describeForError(other)).")
            }
            return try track { reversed ? try Variable.matmul(u, me) : try Variable.matmul(me, u) }
        }
        guard let top = TensorValue.tensorOp(op) else { return nil }
        let v: Variable
        do {
            if case .number(let x) = other { v = try Variable.binary(top, me, x, reversed: reversed) }
            else { let u = otherTensor!.variable; v = reversed ? try Variable.binary(top, u, me) : try Variable.binary(top, me, u) }
        } catch { throw MLPError.runtime(message(of: error)) }
        if top.isComparison { return TensorValue.result(v.value, comparison: true) }
        return .object(TensorValue(v))
    }

    override func negate(_ interp: Interpreter) throws(MLPError) -> Value? {
        if let node { return try track { try node.unary(.negate) } }
        return try wrap { try t.map(.negate) }
    }

    override func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? {
        // the tensor library's kernels where it has one (same bits as exp(tensor) everywhere)
        let op = Tensor.UnaryOp(rawValue: name)
        if let node {
            guard let op else { throw MLPError.runtime("\(name) has no gradient: its argument is being differentiated by grad; use detach(x) to pass its value.") }
            return try track { try node.unary(op) }
        }
        return try wrap { try op.map { try t.map($0) } ?? t.map(f) }
    }

    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        if let node { return try track { try node.get(idx) } }
        let r: Tensor
        do { r = try t.get(idx) } catch { throw MLPError.runtime(message(of: error)) }
        return r.isScalar ? .number(r.scalars[0]) : .object(TensorValue(r))
    }

    override func setIndex(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        if case .object(let o as TensorValue) = value, o.node != nil || node != nil {
            return try track { try variable.setting(idx, o.variable) }
        }
        if node != nil, case .number(let x) = value {
            return try track { try variable.setting(idx, Variable(constant: Tensor(scalar: x))) }
        }
        var copy = t
        do {
            switch value {
            case .number(let x): try copy.set(idx, x)
            case .object(let o as TensorValue): try copy.set(idx, o.t)
            case .list: try copy.set(idx, try TensorValue.fromNested(value))
            default: throw MLPError.runtime("a tensor element must be a number or tensor, got \(describeForError(value)).")
            }
        } catch let e as MLPError { throw e } catch { throw MLPError.runtime(message(of: error)) }
        return .object(TensorValue(copy))
    }

    override func setIndexInPlace(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        guard node == nil else { return false }
        let idx = try TensorValue.tensorIndex(items)
        do {
            switch value {
            case .number(let x): try t.set(idx, x)
            case .object(let o as TensorValue) where o.node == nil: try t.set(idx, o.t)
            default: return false
            }
        } catch { throw MLPError.runtime(message(of: error)) }
        return true
    }

    override func elements(_ interp: Interpreter) throws(MLPError) -> [Value]? {
        guard let n = t.shape.first else { throw MLPError.runtime("cannot iterate over a 0-d tensor.") }
        var out: [Value] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            if let node { out.append(try track { try node.get([.at(i)]) }); continue }
            do {
                let r = try t.row(i)
                out.append(r.isScalar ? .number(r.scalars[0]) : .object(TensorValue(r)))
            } catch { throw MLPError.runtime(message(of: error)) }
        }
        return out
    }

    /// Runs a differentiable operation, turning its error into an mlp runtime error.
    func track(_ body: () throws -> Variable) throws(MLPError) -> Value {
        do { return .object(TensorValue(try body())) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// A 1-D tensor of `values`, or a runtime error when memory runs out.
    static func vector(_ values: [Double]) throws(MLPError) -> Tensor {
        do { return try Tensor(values) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// Runs a tensor operation, turning its error into an mlp runtime error.
    func wrap(mask: Bool = false, _ body: () throws -> Tensor) throws(MLPError) -> Value {
        do { return .object(TensorValue(try body(), mask: mask)) } catch { throw MLPError.runtime(message(of: error)) }
    }

    static func tensorIndex(_ items: [IndexValue]) throws(MLPError) -> [TensorIndex] {
        var out: [TensorIndex] = []
        func int(_ d: Double?) throws(MLPError) -> Int? {
            guard let d else { return nil }
            guard let i = Int(exactly: d) else { throw MLPError.runtime("tensor indices must be integers, got \(formatNumber(d)).") }
            return i
        }
        for item in items {
            switch item {
            case .slice(let a, let b, let c): out.append(.slice(try int(a), try int(b), try int(c)))
            case .ellipsis: out.append(.ellipsis)
            case .value(.number(let d)): out.append(.at(try int(d)!))
            case .value(.object(let o as TensorValue)): out.append(o.isMask ? .mask(o.t) : .indices(o.t))
            case .value(.list(let l)):
                if !l.items.isEmpty, l.items.allSatisfy({ if case .bool = $0 { return true }; return false }) {
                    out.append(.mask(try vector(l.items.map { if case .bool(let b) = $0 { return b ? 1 : 0 }; return 0 })))
                } else {
                    out.append(.indices(try fromNested(.list(l))))
                }
            case .value(let v): throw MLPError.runtime("a tensor index must be a number, slice, list or tensor, got \(describeForError(v)).")
            }
        }
        return out
    }

    /// A tensor from nested lists of numbers (rectangular), a number, or a tensor.
    static func fromNested(_ v: Value) throws(MLPError) -> Tensor {
        if case .number(let x) = v { return Tensor(scalar: x) }
        if case .object(let o as TensorValue) = v {
            if o.node != nil { throw MLPError.runtime("this tensor is being differentiated by grad; combine tracked tensors with stack or concat, or use detach(x) to pass its value.") }
            return o.t
        }
        let (flat, shape) = try flattenNested(v) { v throws(MLPError) in
            guard case .number(let x) = v else {
                let hint = TensorValue.isTensor(v) ? " (join tensors with stack or concat)" : ""
                throw MLPError.runtime("tensor: items must be numbers, got \(describeForError(v))\(hint).")
            }
            return x
        }
        do { return try Tensor(flat, shape: shape) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// The items of rectangular nested lists in row-major order, each read by
    /// `leaf`, and the shape; an error for ragged lists.
    static func flattenNested<T>(_ v: Value, _ leaf: (Value) throws(MLPError) -> T) throws(MLPError) -> ([T], [Int]) {
        var shape: [Int] = []
        var probe = v
        while case .list(let l) = probe {
            shape.append(l.items.count)
            guard let first = l.items.first else { break }
            probe = first
        }
        var flat: [T] = []
        func walk(_ v: Value, _ depth: Int) throws(MLPError) {
            if depth == shape.count { flat.append(try leaf(v)); return }
            guard case .list(let l) = v, l.items.count == shape[depth] else {
                throw MLPError.runtime("tensor: the nested lists are ragged (expected \(shape[depth]) items at depth \(depth)).")
            }
            for x in l.items { try walk(x, depth + 1) }
        }
        try walk(v, 0)
        return (flat, shape)
    }
}

extension Tensor.BinaryOp {
    var isComparison: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge: true
        default: false
        }
    }
}
