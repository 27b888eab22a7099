// A complex tensor that grad differentiates through (docs/complex.md,
// "Gradients"): the pair of real graph variables of MLPAutograd's
// ComplexVariable. It appears when a complex op meets a tracked tensor (fft of
// one, `x * 1i`, complex(x, y)) and gives tracked real tensors back through re,
// im, abs and angle, so a real loss of complex intermediates has a gradient.
// Untracked complex values stay ComplexValue / ComplexTensorValue.
import MLPLang
import MLPTensor
import MLPAutograd
import ComplexModule

final class TrackedComplexValue: MLPObject {
    let z: ComplexVariable
    init(_ z: ComplexVariable) { self.z = z }

    override var typeName: String { "tensor" }
    override func description(_ interp: Interpreter) -> String { (try? z.value.description) ?? "tensor(...)" }
    override var length: Int? { z.shape.first }
    override var fieldNames: [String] { ["T", "dtype", "im", "ndim", "re", "shape", "size"] }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "shape": return .list(z.shape.map { .number(Double($0)) })
        case "ndim": return .number(Double(z.shape.count))
        case "size": return .number(Double(z.shape.reduce(1, *)))
        case "dtype": return .str("complex128")
        case "T": return try TrackedComplex.run { try z.permute(Array((0..<z.shape.count).reversed())) }
        case "re": return .object(TensorValue(z.re))
        case "im": return .object(TensorValue(z.im))
        default: return nil
        }
    }

    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        try TrackedComplex.binary(op, .object(self), other, reversed: reversed)
    }

    override func negate(_ interp: Interpreter) throws(MLPError) -> Value? { try TrackedComplex.run { try z.negated() } }

    override func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "abs": return try TrackedComplex.real { try z.abs() }
        case "exp": return try TrackedComplex.run { try z.exp() }
        case "log": return try TrackedComplex.run { try z.log() }
        case "sqrt": return try TrackedComplex.run { try z.sqrt() }
        case "sin": return try TrackedComplex.run { try z.sin() }
        case "cos": return try TrackedComplex.run { try z.cos() }
        case "tan": return try TrackedComplex.run { try z.tan() }
        case "sinh": return try TrackedComplex.run { try z.sinh() }
        case "cosh": return try TrackedComplex.run { try z.cosh() }
        case "tanh": return try TrackedComplex.run { try z.tanh() }
        default:
            _ = try ComplexArith.function(name)   // an error for the functions complex numbers do not take
            throw MLPError.runtime("\(name) of a complex tensor has no gradient; use detach(z) to pass its value.")
        }
    }

    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        return try TrackedComplex.run { try z.get(idx) }
    }

    override func setIndex(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Value? {
        throw MLPError.runtime("item assignment into a complex tensor that grad differentiates through is not supported; build it with complex(re, im) of tracked real tensors.")
    }

    override func elements(_ interp: Interpreter) throws(MLPError) -> [Value]? {
        guard let n = z.shape.first else { throw MLPError.runtime("cannot iterate over a 0-d tensor.") }
        var out: [Value] = []
        for i in 0..<n { out.append(try TrackedComplex.run { try z.get([.at(i)]) }) }
        return out
    }
}

enum TrackedComplex {
    /// A complex op's result: tracked when it depends on a differentiated tensor.
    static func run(_ body: () throws -> ComplexVariable) throws(MLPError) -> Value {
        do { return try value(body()) } catch let e as MLPError { throw e } catch { throw MLPError.runtime(message(of: error)) }
    }

    static func value(_ z: ComplexVariable) throws -> Value {
        z.requiresGrad ? .object(TrackedComplexValue(z)) : ComplexArith.value(try z.value)
    }

    /// A real result of a complex op (abs, angle) as a tensor value.
    static func real(_ body: () throws -> Variable) throws(MLPError) -> Value {
        do { return .object(TensorValue(try body())) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// Whether v is a tensor grad tracks, real or complex.
    static func isTracked(_ v: Value) -> Bool {
        switch v {
        case .object(let o as TensorValue): return o.node != nil
        case .object(is TrackedComplexValue): return true
        default: return false
        }
    }

    /// v as a complex graph value (a constant unless tracked); nil when it is not a number or tensor.
    static func operand(_ v: Value) throws(MLPError) -> ComplexVariable? {
        do {
            switch v {
            case .number(let x): return try ComplexVariable(constant: ComplexTensor(scalar: ComplexNumber(x, 0)))
            case .bool(let b): return try ComplexVariable(constant: ComplexTensor(scalar: ComplexNumber(b ? 1 : 0, 0)))
            case .object(let o as ComplexValue): return try ComplexVariable(constant: ComplexTensor(scalar: o.z))
            case .object(let o as ComplexTensorValue): return try ComplexVariable(constant: o.c)
            case .object(let o as TensorValue): return try ComplexVariable(real: o.variable)
            case .object(let o as TrackedComplexValue): return o.z
            default: return nil
            }
        } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// `lhs op rhs` (`rhs op lhs` when reversed) where one side is tracked and one complex.
    static func binary(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, reversed: Bool) throws(MLPError) -> Value? {
        let (l, r) = reversed ? (rhs, lhs) : (lhs, rhs)
        guard let a = try operand(l), let b = try operand(r) else {
            if op == .matmul { throw MLPError.runtime("matmul: '@' needs two tensors, got \(describeForError(l)) and \(describeForError(r)).") }
            return nil
        }
        switch op {
        case .add: return try run { try a + b }
        case .sub: return try run { try a - b }
        case .mul: return try run { try a * b }
        case .div: return try run { try a / b }
        case .matmul:
            if a.shape.isEmpty || b.shape.isEmpty {
                throw MLPError.runtime("matmul: operands must have at least one dimension, got shapes \(Tensor.formatShape(a.shape)) and \(Tensor.formatShape(b.shape)).")
            }
            return try run { try ComplexVariable.matmul(a, b) }
        case .pow:
            guard case .number(let k) = r, let n = Int(exactly: k), n.magnitude <= 1 << 20 else {
                throw MLPError.runtime("'^': a complex tensor that grad differentiates through takes integer powers only (z^2, z^-1); write exp(p * log(z)) for others.")
            }
            return try run { try a.power(n) }
        case .eq, .ne:
            // no gradient: compare the values
            do { return try ComplexArith.binary(op, ComplexArith.value(try a.value), ComplexArith.value(try b.value), reversed: false) }
            catch let e as MLPError { throw e } catch { throw MLPError.runtime(message(of: error)) }
        case .lt, .le, .gt, .ge:
            throw MLPError.runtime("'\(op.rawValue)': complex numbers have no order (compare abs(z) or re(z)).")
        case .mod:
            throw MLPError.runtime("'%': not defined for complex numbers.")
        case .compose: return nil
        }
    }
}
