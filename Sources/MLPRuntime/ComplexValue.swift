// Complex numbers and complex128 tensors as language values (docs/complex.md).
// `ComplexValue` is one complex number (type "complex"), `ComplexTensorValue` a
// complex tensor (type "tensor", dtype "complex128"). Arithmetic with numbers,
// real tensors and each other goes through `ComplexArith`: a real operand becomes
// complex, two scalars give a scalar, anything with a tensor gives a tensor.
// Real tensors never test for complex operands on their fast paths: TensorValue
// hands an operator with a complex operand back to the interpreter, which then
// asks the complex side (reversed).
import MLPLang
import MLPTensor
import ComplexModule
#if canImport(Glibc)
import Glibc
#endif

final class ComplexValue: MLPObject {
    let z: ComplexNumber
    init(_ z: ComplexNumber) { self.z = z }
    convenience init(_ re: Double, _ im: Double) { self.init(ComplexNumber(re, im)) }

    var re: Double { z.rawStorage.x }
    var im: Double { z.rawStorage.y }

    override var typeName: String { "complex" }
    override func description(_ interp: Interpreter) -> String { ComplexTensor.format(z) }
    override var fieldNames: [String] { ["re", "im"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "re": return .number(re)
        case "im": return .number(im)
        default: return nil
        }
    }
    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        try ComplexArith.binary(op, .object(self), other, reversed: reversed)
    }
    override func negate(_ interp: Interpreter) throws(MLPError) -> Value? { .object(ComplexValue(-re, -im)) }
    override func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? {
        if name == "abs" { return .number(ComplexArith.abs(z)) }
        let g = try ComplexArith.function(name)
        return .object(ComplexValue(g(z)))
    }
    override func equals(_ other: MLPObject) -> Bool {
        guard let o = other as? ComplexValue else { return false }
        return re == o.re && im == o.im
    }
}

final class ComplexTensorValue: MLPObject {
    private(set) var c: ComplexTensor
    init(_ c: ComplexTensor) { self.c = c }

    override var typeName: String { "tensor" }
    override func description(_ interp: Interpreter) -> String { c.description }
    override var length: Int? { c.shape.first }
    override var fieldNames: [String] { ["T", "dtype", "im", "ndim", "re", "shape", "size"] }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "shape": return .list(c.shape.map { .number(Double($0)) })
        case "ndim": return .number(Double(c.ndim))
        case "size": return .number(Double(c.count))
        case "dtype": return .str("complex128")
        case "T": return try ComplexArith.wrap { try c.transposed() }
        case "re": return try ComplexArith.real { try c.real() }
        case "im": return try ComplexArith.real { try c.imag() }
        default: return nil
        }
    }

    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        try ComplexArith.binary(op, .object(self), other, reversed: reversed)
    }

    override func negate(_ interp: Interpreter) throws(MLPError) -> Value? {
        try ComplexArith.wrap { try c.map { -$0 } }
    }

    override func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? {
        if name == "abs" { return try ComplexArith.real { try c.mapReal(ComplexArith.abs) } }
        let g = try ComplexArith.function(name)
        return try ComplexArith.wrap { try c.map(g) }
    }

    override func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? {
        let idx = try TensorValue.tensorIndex(items)
        let r: ComplexTensor
        do { r = try c.get(idx) } catch { throw MLPError.runtime(message(of: error)) }
        return ComplexArith.value(r)
    }

    override func setIndex(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Value? {
        var copy = c
        try ComplexArith.set(&copy, items, value)
        return .object(ComplexTensorValue(copy))
    }

    override func setIndexInPlace(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        try ComplexArith.set(&c, items, value)
        return true
    }

    override func elements(_ interp: Interpreter) throws(MLPError) -> [Value]? {
        guard let n = c.shape.first else { throw MLPError.runtime("cannot iterate over a 0-d tensor.") }
        var out: [Value] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            do { out.append(ComplexArith.value(try c.get([.at(i)]))) } catch { throw MLPError.runtime(message(of: error)) }
        }
        return out
    }
}

enum ComplexArith {
    /// A complex result as a value: a number of type complex when 0-d.
    static func value(_ r: ComplexTensor) -> Value {
        r.isScalar ? .object(ComplexValue(r.element(0))) : .object(ComplexTensorValue(r))
    }

    static func wrap(_ body: () throws -> ComplexTensor) throws(MLPError) -> Value {
        do { return .object(ComplexTensorValue(try body())) } catch { throw MLPError.runtime(message(of: error)) }
    }

    static func real(_ body: () throws -> Tensor) throws(MLPError) -> Value {
        do { return .object(TensorValue(try body())) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// |z| as NumPy's abs (hypot: no overflow for large parts; inf when a part is inf).
    static func abs(_ z: ComplexNumber) -> Double { hypot(z.rawStorage.x, z.rawStorage.y) }

    /// The complex function behind a math builtin's name, or an error for those
    /// complex numbers do not take (sigmoid, floor, ...).
    static func function(_ name: String) throws(MLPError) -> (ComplexNumber) -> ComplexNumber {
        switch name {
        case "exp": return { ComplexNumber.exp($0) }
        case "log": return { ComplexNumber.log($0) }
        case "sqrt": return { ComplexNumber.sqrt($0) }
        case "sin": return { ComplexNumber.sin($0) }
        case "cos": return { ComplexNumber.cos($0) }
        case "tan": return { ComplexNumber.tan($0) }
        case "tanh": return { ComplexNumber.tanh($0) }
        case "sinh": return { ComplexNumber.sinh($0) }
        case "cosh": return { ComplexNumber.cosh($0) }
        default:
            let name = name.hasPrefix("round") ? "round" : name
            throw MLPError.runtime("\(name): not defined for complex numbers (exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, abs, angle, conj, re and im are).")
        }
    }

    /// A value as a complex tensor when it is a number, complex number, real or
    /// complex tensor; nil for anything else.
    static func operand(_ v: Value) throws(MLPError) -> ComplexTensor? {
        switch v {
        case .number(let x): return ComplexTensor(scalar: ComplexNumber(x, 0))
        case .bool(let b): return ComplexTensor(scalar: ComplexNumber(b ? 1 : 0, 0))
        case .object(let o as ComplexValue): return ComplexTensor(scalar: o.z)
        case .object(let o as ComplexTensorValue): return o.c
        case .object(let o as TensorValue):
            if o.node != nil { throw trackedElement }
            do { return try o.t.complex() } catch { throw MLPError.runtime(message(of: error)) }
        case .object(is TrackedComplexValue): throw trackedElement
        default: return nil
        }
    }

    /// A tracked tensor put into a complex tensor by item assignment or `tensor(...)`.
    static let trackedElement = MLPError.runtime("this tensor is being differentiated by grad, and a complex tensor's items cannot carry its gradient; build the complex tensor with complex(re, im), concat or stack, or use detach(x) to pass its value.")

    static func isScalar(_ v: Value) -> Bool {
        switch v {
        case .number, .bool, .object(is ComplexValue): return true
        default: return false
        }
    }

    /// `lhs op rhs` (`rhs op lhs` when reversed), lhs being complex.
    static func binary(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, reversed: Bool) throws(MLPError) -> Value? {
        if TrackedComplex.isTracked(lhs) || TrackedComplex.isTracked(rhs) { return try TrackedComplex.binary(op, lhs, rhs, reversed: reversed) }
        guard let x = try operand(lhs), let y = try operand(rhs) else {
            if op == .matmul { throw MLPError.runtime("matmul: '@' needs two tensors, got \(describeForError(reversed ? rhs : lhs)) and \(describeForError(reversed ? lhs : rhs)).") }
            return nil
        }
        let (a, b) = reversed ? (y, x) : (x, y)
        let scalar = isScalar(lhs) && isScalar(rhs)
        let cop: ComplexTensor.Op
        switch op {
        case .add: cop = .add
        case .sub: cop = .sub
        case .mul: cop = .mul
        case .div: cop = .div
        case .pow: cop = .pow
        case .matmul:
            if scalar || a.ndim == 0 || b.ndim == 0 {
                throw MLPError.runtime("matmul: operands must have at least one dimension, got shapes \(Tensor.formatShape(a.shape)) and \(Tensor.formatShape(b.shape)).")
            }
            do { return value(try ComplexTensor.matmul(a, b)) } catch { throw MLPError.runtime(message(of: error)) }
        case .eq, .ne:
            if scalar {
                let same = a.element(0).rawStorage == b.element(0).rawStorage
                return .bool(op == .eq ? same : !same)
            }
            do {
                let re = try Tensor.binaryIntoNew(op == .eq ? .eq : .ne, try a.real(), try b.real())
                let im = try Tensor.binaryIntoNew(op == .eq ? .eq : .ne, try a.imag(), try b.imag())
                let r = try Tensor.binaryIntoNew(op == .eq ? .minimum : .maximum, re, im)
                return TensorValue.result(r, comparison: true)
            } catch { throw MLPError.runtime(message(of: error)) }
        case .lt, .le, .gt, .ge:
            throw MLPError.runtime("'\(op.rawValue)': complex numbers have no order (compare abs(z) or re(z)).")
        case .mod:
            throw MLPError.runtime("'%': not defined for complex numbers.")
        case .compose: return nil
        }
        if scalar {
            let u = a.element(0), v = b.element(0)
            let r: ComplexNumber
            switch cop {
            case .add: r = u + v
            case .sub: r = u - v
            case .mul: r = ComplexNumber(u.rawStorage.x * v.rawStorage.x - u.rawStorage.y * v.rawStorage.y,
                                         u.rawStorage.x * v.rawStorage.y + u.rawStorage.y * v.rawStorage.x)
            case .div: r = ComplexTensor.divide(u, v)
            case .pow: r = ComplexTensor.power(u, v)
            }
            return .object(ComplexValue(r))
        }
        do { return value(try ComplexTensor.binary(cop, a, b)) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// t[items] = value, the value a number, complex number, tensor or nested list.
    static func set(_ t: inout ComplexTensor, _ items: [IndexValue], _ value: Value) throws(MLPError) {
        let idx = try TensorValue.tensorIndex(items)
        let v: ComplexTensor
        if let o = try operand(value) { v = o }
        else if case .list = value { v = try nested(value) }
        else { throw MLPError.runtime("a tensor element must be a number, complex number or tensor, got \(describeForError(value)).") }
        do { try t.set(idx, v) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// A complex tensor from nested lists of numbers and complex numbers (rectangular).
    static func nested(_ v: Value) throws(MLPError) -> ComplexTensor {
        if let c = try operand(v) { return c }
        let (flat, shape) = try TensorValue.flattenNested(v) { v throws(MLPError) -> ComplexNumber in
            switch v {
            case .number(let x): return ComplexNumber(x, 0)
            case .object(let o as ComplexValue): return o.z
            default: throw MLPError.runtime("tensor: items must be numbers or complex numbers, got \(describeForError(v)).")
            }
        }
        do { return try ComplexTensor(flat, shape: shape) } catch { throw MLPError.runtime(message(of: error)) }
    }

    /// Whether a nested list holds a complex number somewhere (for `tensor`, after
    /// the real reading failed).
    /// Each list is visited once: a list that holds itself (`push(xs, xs)`) ends.
    static func holdsComplex(_ v: Value) -> Bool {
        var seen: Set<ObjectIdentifier> = [], stack = [v]
        while let x = stack.popLast() {
            switch x {
            case .object(is ComplexValue), .object(is ComplexTensorValue): return true
            case .list(let l):
                if seen.insert(ObjectIdentifier(l)).inserted { stack.append(contentsOf: l.items) }
            default: break
            }
        }
        return false
    }
}
