// Complex128 tensors. The element type is swift-numerics' `Complex<Double>`
// (ComplexModule); the storage is a real `Tensor` with one more axis of length 2
// at the end holding (re, im): the memory layout of NumPy's complex128 and of
// BLAS's double complex. Shape operations, indexing, broadcasting of + and -, and
// the sums are the real kernels run on that tensor; products, quotients and the
// functions of complex numbers have their own loops here. Real tensors are not
// touched: no real kernel tests an element type.
// Not re-exported: Complex's operators in scope slow the type checking of every
// arithmetic expression (a test of MLPLearn timed out); users import ComplexModule.
import ComplexModule
import RealModule
#if canImport(Glibc)
import Glibc
#endif

public typealias ComplexNumber = Complex<Double>

public struct ComplexTensor {
    /// shape + [2]: re and im of each element, interleaved.
    public internal(set) var data: Tensor

    /// Wraps a real tensor whose last axis has length 2 (re, im).
    public init(interleaved data: Tensor) throws {
        guard data.shape.last == 2 else {
            throw TensorError(nil, "a complex tensor needs a last axis of length 2 (re, im), got shape \(shapeString(data.shape)).")
        }
        self.data = data
    }

    init(unchecked data: Tensor) { self.data = data }

    /// Uninitialised (callers fill every element).
    public init(uninitializedShape shape: [Int], _ name: String) throws {
        _ = try Tensor.checkShape(shape + [2], name)
        data = try Tensor(uninitializedShape: shape + [2], name)
    }

    /// A 0-d complex tensor.
    public init(scalar z: ComplexNumber) {
        let st = TensorStorage(constantCount: 2)
        st.pointer[0] = z.rawStorage.x; st.pointer[1] = z.rawStorage.y
        data = Tensor(storage: st, shape: [2])
    }

    /// A complex tensor from flat row-major values and a shape.
    public init(_ values: [ComplexNumber], shape: [Int]) throws {
        let n = try Tensor.checkShape(shape, "tensor")
        guard n == values.count else {
            throw TensorError(nil, "cannot make a tensor of shape \(shapeString(shape)) from \(values.count) values.")
        }
        try self.init(uninitializedShape: shape, "tensor")
        let p = data.storage.pointer
        for (i, z) in values.enumerated() { p[2 &* i] = z.rawStorage.x; p[2 &* i &+ 1] = z.rawStorage.y }
    }

    /// re + i im, broadcast to one shape (im nil: zero).
    public init(real: Tensor, imag: Tensor?) throws {
        let shape = try imag.map { try Tensor.broadcastShape(real.shape, $0.shape) } ?? real.shape
        let re = try real.broadcast(to: shape), im = try imag?.broadcast(to: shape)
        try self.init(uninitializedShape: shape, "complex")
        let p = data.storage.pointer, r = re.storage.pointer, n = re.count
        if let im {
            let q = im.storage.pointer
            for i in 0..<n { p[2 &* i] = r[i]; p[2 &* i &+ 1] = q[i] }
        } else {
            for i in 0..<n { p[2 &* i] = r[i]; p[2 &* i &+ 1] = 0 }
        }
    }

    public var shape: [Int] { Array(data.shape.dropLast()) }
    public var ndim: Int { data.shape.count - 1 }
    public var count: Int { data.count / 2 }
    public var isScalar: Bool { data.shape.count == 1 }

    /// Element `i` in row-major order.
    @inline(__always)
    public func element(_ i: Int) -> ComplexNumber {
        let p = data.storage.pointer
        return ComplexNumber(p[2 &* i], p[2 &* i &+ 1])
    }

    /// All elements in row-major order.
    public var elements: [ComplexNumber] { (0..<count).map(element) }

    /// One part (0: real, 1: imaginary) as a real tensor.
    func part(_ k: Int) throws -> Tensor {
        var out = try Tensor(uninitializedBounded: shape)
        let p = data.storage.pointer, q = out.storage.pointer
        for i in 0..<count { q[i] = p[2 &* i &+ k] }
        out.shape = shape
        return out
    }
    public func real() throws -> Tensor { try part(0) }
    public func imag() throws -> Tensor { try part(1) }

    /// A real function of each element (abs, angle).
    public func mapReal(_ f: (ComplexNumber) -> Double) throws -> Tensor {
        let out = try Tensor(uninitializedBounded: shape)
        let q = out.storage.pointer
        for i in 0..<count { q[i] = f(element(i)) }
        return out
    }

    /// A complex function of each element.
    public func map(_ f: (ComplexNumber) -> ComplexNumber) throws -> ComplexTensor {
        let out = try ComplexTensor(unchecked: Tensor(uninitializedBounded: data.shape))
        let q = out.data.storage.pointer
        for i in 0..<count {
            let z = f(element(i))
            q[2 &* i] = z.rawStorage.x; q[2 &* i &+ 1] = z.rawStorage.y
        }
        return out
    }

    public func conj() throws -> ComplexTensor { try map { $0.conjugate } }

    /// Element-wise arithmetic of complex tensors with NumPy broadcasting.
    public enum Op: String, Sendable { case add, sub, mul, div, pow }

    public static func binary(_ op: Op, _ a: ComplexTensor, _ b: ComplexTensor) throws -> ComplexTensor {
        switch op {
        case .add, .sub:
            // the real kernel on the (re, im) pairs: broadcasting and speed as for real tensors
            // (the shapes checked first, so that an error names the complex shapes)
            do { _ = try Tensor.broadcastShape(a.shape, b.shape) }
            catch { throw TensorError(nil, "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) cannot be broadcast.") }
            let r = try Tensor.binaryIntoNew(op == .add ? .add : .sub, a.data, b.data)
            return ComplexTensor(unchecked: r)
        case .mul, .div, .pow:
            let shape: [Int]
            do { shape = try Tensor.broadcastShape(a.shape, b.shape) }
            catch { throw TensorError(nil, "shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) cannot be broadcast.") }
            let x = try a.data.broadcast(to: shape + [2]), y = try b.data.broadcast(to: shape + [2])
            var out = try ComplexTensor(uninitializedShape: shape, op.rawValue)
            let p = x.storage.pointer, q = y.storage.pointer, o = out.data.storage.pointer
            let n = out.count
            switch op {
            case .mul:
                for i in 0..<n {
                    let ar = p[2 &* i], ai = p[2 &* i &+ 1], br = q[2 &* i], bi = q[2 &* i &+ 1]
                    o[2 &* i] = ar * br - ai * bi
                    o[2 &* i &+ 1] = ar * bi + ai * br
                }
            case .div:
                for i in 0..<n {
                    let z = ComplexTensor.divide(ComplexNumber(p[2 &* i], p[2 &* i &+ 1]), ComplexNumber(q[2 &* i], q[2 &* i &+ 1]))
                    o[2 &* i] = z.rawStorage.x; o[2 &* i &+ 1] = z.rawStorage.y
                }
            default:
                for i in 0..<n {
                    let z = ComplexTensor.power(ComplexNumber(p[2 &* i], p[2 &* i &+ 1]), ComplexNumber(q[2 &* i], q[2 &* i &+ 1]))
                    o[2 &* i] = z.rawStorage.x; o[2 &* i &+ 1] = z.rawStorage.y
                }
            }
            out.data.shape = shape + [2]
            return out
        }
    }

    /// a / b as NumPy computes it: 1 / 0 is inf + nan i (swift-numerics' `/` gives
    /// infinity, which has no sign in its model; NumPy's IEEE rule is kept here).
    @inline(__always)
    public static func divide(_ a: ComplexNumber, _ b: ComplexNumber) -> ComplexNumber {
        if b.real == 0 && b.imaginary == 0 {
            // NumPy: each part divided by zero as reals
            return ComplexNumber(a.rawStorage.x / 0.0, a.rawStorage.y / 0.0)
        }
        return a / b
    }

    /// a ^ b: integral real exponents by repeated products (exact for small
    /// powers, as NumPy), others as exp(b log a); 0 ^ b is 0 for Re b > 0.
    public static func power(_ a: ComplexNumber, _ b: ComplexNumber) -> ComplexNumber {
        if b.imaginary == 0, let n = Int(exactly: b.real), Swift.abs(n) <= 64 {
            var r = ComplexNumber(1, 0), base = a, k = Swift.abs(n)
            while k > 0 {
                if k & 1 == 1 { r = r * base }
                base = base * base
                k >>= 1
            }
            return n < 0 ? divide(ComplexNumber(1, 0), r) : r
        }
        if a.real == 0 && a.imaginary == 0 {
            return b.real > 0 ? ComplexNumber(0, 0) : ComplexNumber(.nan, .nan)
        }
        return ComplexNumber.exp(b * ComplexNumber.log(a))
    }

    /// Indexing as for real tensors (the (re, im) axis is never indexed).
    public func get(_ index: [TensorIndex]) throws -> ComplexTensor {
        try checkIndexCount(index)
        return ComplexTensor(unchecked: try data.get(index))
    }

    public mutating func set(_ index: [TensorIndex], _ value: ComplexTensor) throws {
        try checkIndexCount(index)
        try data.set(index, value.data)
    }

    func checkIndexCount(_ index: [TensorIndex]) throws {
        var used = 0
        for i in index { if case .mask(let m) = i { used += Swift.max(m.ndim, 1) } else { used += 1 } }
        if used > ndim {
            throw TensorError(nil, "too many indices for a tensor of \(ndim) dimension\(ndim == 1 ? "" : "s") (got \(used)).")
        }
    }

    /// The same elements in a new shape (one size may be -1).
    public func reshaped(_ newShape: [Int]) throws -> ComplexTensor {
        // the real reshape of the pairs, its errors in element counts of this tensor
        do { return ComplexTensor(unchecked: try data.reshaped(newShape + [2])) } catch {
            throw TensorError("reshape", "cannot reshape a tensor of \(count) elements into shape \(shapeString(newShape)).")
        }
    }

    public func permute(_ axes: [Int]) throws -> ComplexTensor {
        guard axes.count == ndim else {
            throw TensorError("permute", "needs \(ndim) axes, got \(axes.count).")
        }
        return ComplexTensor(unchecked: try data.permute(axes + [ndim]))
    }

    public func transposed() throws -> ComplexTensor { try permute(Array((0..<ndim).reversed())) }

    /// Sum or mean of all elements or along an axis (the real reduction of each part:
    /// the same bits at any thread count).
    public func reduce(_ op: Tensor.ReduceOp, axis: Int?, keepdims: Bool) throws -> ComplexTensor {
        guard op == .sum || op == .mean else {
            throw TensorError(op.rawValue, "is not defined for complex tensors (complex numbers have no order).")
        }
        if let axis {
            let k = axis < 0 ? axis + ndim : axis
            guard k >= 0 && k < ndim else {
                throw TensorError(op.rawValue, "axis \(axis) is out of bounds for a tensor of dimension \(ndim).")
            }
            return ComplexTensor(unchecked: try data.reduce(op, axis: k, keepdims: keepdims))
        }
        var r = try data.reshaped([count, 2]).reduce(op, axis: 0)
        if keepdims { r = try r.reshaped([Int](repeating: 1, count: ndim) + [2]) }
        return ComplexTensor(unchecked: r)
    }

    /// Stacks or joins complex tensors along an axis.
    public static func concat(_ ts: [ComplexTensor], axis: Int, stack: Bool) throws -> ComplexTensor {
        guard let first = ts.first else { throw TensorError(stack ? "stack" : "concat", "needs at least one tensor.") }
        let nd = first.ndim + (stack ? 1 : 0)
        var ax = axis < 0 ? axis + nd : axis
        if ax < 0 || ax >= nd { throw TensorError(stack ? "stack" : "concat", "axis \(axis) is out of bounds for \(nd) dimensions.") }
        if ax < 0 { ax = 0 }
        let parts = ts.map(\.data)
        return ComplexTensor(unchecked: stack ? try Tensor.stack(parts, axis: ax) : try Tensor.concat(parts, axis: ax))
    }

    /// Whether every element is within atol + rtol |b| of `other`'s.
    public func allClose(_ other: ComplexTensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count where (element(i) - other.element(i)).length > atol + rtol * other.element(i).length { return false }
        return true
    }
}

extension Tensor {
    /// This real tensor as a complex one (imaginary parts zero).
    public func complex() throws -> ComplexTensor { try ComplexTensor(real: self, imag: nil) }
}

// Printing in mlp's own literal form: 1+2i, 0.5-0.25i (both parts always, the
// imaginary part's sign from its sign bit as NumPy: conj(1) is 1-0i); a part that
// is nan or inf prints as nan*i, inf*i. Tensors as real ones: `tensor([1+2i, 3-1i])`.
extension ComplexTensor: CustomStringConvertible {
    /// A complex number with every digit of both parts (as numbers print).
    public static func format(_ z: ComplexNumber) -> String {
        join(Tensor.formatNumber(z.rawStorage.x), Tensor.formatNumber(Swift.abs(z.rawStorage.y)), negative: z.rawStorage.y.sign == .minus)
    }

    static func join(_ re: String, _ imAbs: String, negative: Bool) -> String {
        let star = imAbs == "nan" || imAbs == "inf" ? "*" : ""
        return re + (negative && imAbs != "nan" ? "-" : "+") + imAbs + star + "i"
    }

    public var description: String { description(prefix: "tensor(") }

    public func description(prefix: String, lineWidth: Int = 75) -> String {
        let p = data.storage.pointer
        func scientific(_ x: Double) -> Bool { let a = Swift.abs(x); return x.isFinite && x != x.rounded() && (a < 1e-4 || a >= 1e8) }
        func text(_ i: Int, _ sci: Bool) -> String {
            let re = p[2 &* i], im = p[2 &* i &+ 1]
            return ComplexTensor.join(Tensor.formatElement(re, scientific: sci), Tensor.formatElement(Swift.abs(im), scientific: sci),
                                      negative: im.sign == .minus)
        }
        if ndim == 0 { return prefix + text(0, scientific(p[0]) || scientific(p[1])) + ")" }
        if count == 0 { return prefix + "[]" + ")" + (ndim > 1 ? "\nshape \(shapeString(shape))" : "") }
        return Tensor.arrayText(shape: shape, prefix: prefix, lineWidth: lineWidth) { offsets in
            let sci = offsets.contains { scientific(p[2 &* $0]) || scientific(p[2 &* $0 &+ 1]) }
            var texts: [Int: String] = [:], width = 0
            for at in offsets { let t = text(at, sci); texts[at] = t; width = Swift.max(width, t.count) }
            return { at in let t = texts[at]!; return String(repeating: " ", count: width - t.count) + t }
        }
    }
}
