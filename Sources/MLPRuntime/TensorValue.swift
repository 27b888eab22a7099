// Tensors as language values: an MLPObject around MLPTensor's copy-on-write
// Tensor. Operators, indexing and iteration come through MLPObject's hooks;
// tensors behave as values (`b = a; b[0] = 1` leaves `a` unchanged).
import MLPLang
import MLPTensor

final class TensorValue: MLPObject {
    let t: Tensor
    /// Made by a comparison: indexing with it selects where it is 1 (a boolean mask, as NumPy's bool arrays).
    let isMask: Bool

    init(_ t: Tensor, mask: Bool = false) { self.t = t; self.isMask = mask }

    override var typeName: String { "tensor" }
    override func description(_ interp: Interpreter) -> String { t.description }
    override var length: Int? { t.shape.first }
    override var fieldNames: [String] { ["T", "ndim", "shape", "size"] }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "shape": return .list(t.shape.map { .number(Double($0)) })
        case "ndim": return .number(Double(t.ndim))
        case "size": return .number(Double(t.count))
        case "T": return try wrap { try t.permute(Array((0..<t.ndim).reversed())) }
        default: return nil
        }
    }

    static let ops: [BinaryOp: Tensor.BinaryOp] = [
        .add: .add, .sub: .sub, .mul: .mul, .div: .div, .pow: .pow, .mod: .mod,
        .eq: .eq, .ne: .ne, .lt: .lt, .le: .le, .gt: .gt, .ge: .ge,
    ]

    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        let isComparison = [.eq, .ne, .lt, .le, .gt, .ge].contains(op)
        if op == .matmul {
            guard case .object(let o) = other, let u = o as? TensorValue else {
                throw MLPError.runtime("matmul: '@' needs two tensors, got a tensor and \(describeForError(other)).")
            }
            return try wrap { reversed ? try Tensor.matmul(u.t, t) : try Tensor.matmul(t, u.t) }
        }
        guard let top = TensorValue.ops[op] else { return nil }
        switch other {
        case .number(let x):
            return .object(TensorValue(reversed ? Tensor.binary(top, x, t) : Tensor.binary(top, t, x), mask: isComparison))
        case .object(let o as TensorValue):
            return try wrap(mask: isComparison) { reversed ? try Tensor.binary(top, o.t, t) : try Tensor.binary(top, t, o.t) }
        default:
            return nil
        }
    }

    override func negate(_ interp: Interpreter) throws(MLPError) -> Value? { .object(TensorValue(t.map(.negate))) }

    override func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? {
        // the tensor library's kernels where it has one (same bits as exp(tensor) everywhere)
        if let op = Tensor.UnaryOp(rawValue: name) { return .object(TensorValue(t.map(op))) }
        return .object(TensorValue(t.map(f)))
    }

    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        let r: Tensor
        do { r = try t.get(idx) } catch { throw MLPError.runtime(tensorMessage(error)) }
        return r.isScalar ? .number(r.scalars[0]) : .object(TensorValue(r))
    }

    override func setIndex(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        var copy = t
        do {
            switch value {
            case .number(let x): try copy.set(idx, x)
            case .object(let o as TensorValue): try copy.set(idx, o.t)
            case .list: try copy.set(idx, try TensorValue.fromNested(value))
            default: throw MLPError.runtime("a tensor element must be a number or tensor, got \(describeForError(value)).")
            }
        } catch let e as MLPError { throw e } catch { throw MLPError.runtime(tensorMessage(error)) }
        return .object(TensorValue(copy))
    }

    override func elements(_ interp: Interpreter) throws(MLPError) -> [Value]? {
        guard let n = t.shape.first else { throw MLPError.runtime("cannot iterate over a 0-d tensor.") }
        var out: [Value] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            do {
                let r = try t.row(i)
                out.append(r.isScalar ? .number(r.scalars[0]) : .object(TensorValue(r)))
            } catch { throw MLPError.runtime(tensorMessage(error)) }
        }
        return out
    }

    /// Runs a tensor operation, turning its error into an mlp runtime error.
    func wrap(mask: Bool = false, _ body: () throws -> Tensor) throws(MLPError) -> Value {
        do { return .object(TensorValue(try body(), mask: mask)) } catch { throw MLPError.runtime(tensorMessage(error)) }
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
            case .value(.number(let d)): out.append(.at(try int(d)!))
            case .value(.object(let o as TensorValue)): out.append(o.isMask ? .mask(o.t) : .indices(o.t))
            case .value(.list(let l)):
                if !l.items.isEmpty, l.items.allSatisfy({ if case .bool = $0 { return true }; return false }) {
                    out.append(.mask(Tensor(l.items.map { if case .bool(let b) = $0 { return b ? 1 : 0 }; return 0 })))
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
        if case .object(let o as TensorValue) = v { return o.t }
        var shape: [Int] = []
        var probe = v
        while case .list(let l) = probe {
            shape.append(l.items.count)
            guard let first = l.items.first else { break }
            probe = first
        }
        var flat: [Double] = []
        func walk(_ v: Value, _ depth: Int) throws(MLPError) {
            if depth == shape.count {
                guard case .number(let x) = v else {
                    throw MLPError.runtime("tensor: items must be numbers, got \(describeForError(v)).")
                }
                flat.append(x)
                return
            }
            guard case .list(let l) = v, l.items.count == shape[depth] else {
                throw MLPError.runtime("tensor: the nested lists are ragged (expected \(shape[depth]) items at depth \(depth)).")
            }
            for x in l.items { try walk(x, depth + 1) }
        }
        try walk(v, 0)
        do { return try Tensor(flat, shape: shape) } catch { throw MLPError.runtime(tensorMessage(error)) }
    }
}

/// The message of an error from the tensor library.
func tensorMessage(_ error: any Error) -> String {
    (error as? TensorError)?.message ?? "\(error)"
}
