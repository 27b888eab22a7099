// Complex values in the graph: a complex tensor tracked by grad is the pair of
// real variables (re, im), and every complex op is written with real ops whose
// gradients exist, so real-valued losses of complex intermediates differentiate
// with the usual convention (z̄ = dL/d re + i dL/d im, as JAX and PyTorch). Ops
// that are complex-linear maps or matrix functions (fft, ifft, rfft, eig) have
// their own backward, the adjoint in MLPTensor's Adjoints.swift. Real tensors
// never pass through here.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public struct ComplexVariable {
    public let re: Variable
    public let im: Variable

    public init(re: Variable, im: Variable) { self.re = re; self.im = im }

    /// A real variable as a complex one (a constant zero imaginary part of its shape).
    public init(real x: Variable) throws {
        re = x; im = Variable(constant: try Tensor.zeros(x.shape))
    }

    /// A complex constant.
    public init(constant c: ComplexTensor) throws {
        re = Variable(constant: try c.real()); im = Variable(constant: try c.imag())
    }

    public var shape: [Int] { re.shape }
    public var requiresGrad: Bool { re.requiresGrad || im.requiresGrad }
    public var value: ComplexTensor { get throws { try ComplexTensor(real: re.value, imag: im.value) } }

    public static func + (a: ComplexVariable, b: ComplexVariable) throws -> ComplexVariable {
        ComplexVariable(re: try a.re + b.re, im: try a.im + b.im)
    }
    public static func - (a: ComplexVariable, b: ComplexVariable) throws -> ComplexVariable {
        ComplexVariable(re: try a.re - b.re, im: try a.im - b.im)
    }
    public static func * (a: ComplexVariable, b: ComplexVariable) throws -> ComplexVariable {
        ComplexVariable(re: try a.re * b.re - a.im * b.im, im: try a.re * b.im + a.im * b.re)
    }
    public static func / (a: ComplexVariable, b: ComplexVariable) throws -> ComplexVariable {
        let d = try b.re * b.re + b.im * b.im
        return ComplexVariable(re: try (a.re * b.re + a.im * b.im) / d, im: try (a.im * b.re - a.re * b.im) / d)
    }
    public static func matmul(_ a: ComplexVariable, _ b: ComplexVariable) throws -> ComplexVariable {
        ComplexVariable(re: try Variable.matmul(a.re, b.re) - Variable.matmul(a.im, b.im),
                        im: try Variable.matmul(a.re, b.im) + Variable.matmul(a.im, b.re))
    }

    /// z^k for an integer k (by squaring; 1 / z^-k for a negative k).
    public func power(_ k: Int) throws -> ComplexVariable {
        var result = try ComplexVariable(re: Variable(constant: Tensor.ones(shape)), im: Variable(constant: Tensor.zeros(shape)))
        var base = self, e = k.magnitude
        var first = true
        while e > 0 {
            if e & 1 == 1 { result = first ? base : try result * base; first = false }
            e >>= 1
            if e > 0 { base = try base * base }
        }
        if k >= 0 { return result }
        return try ComplexVariable(re: Variable(constant: Tensor.ones(shape)), im: Variable(constant: Tensor.zeros(shape))) / result
    }

    public func negated() throws -> ComplexVariable { ComplexVariable(re: try re.unary(.negate), im: try im.unary(.negate)) }
    public func conj() throws -> ComplexVariable { ComplexVariable(re: re, im: try im.unary(.negate)) }

    /// e^z = e^re (cos im + i sin im).
    public func exp() throws -> ComplexVariable {
        let r = try re.unary(.exp)
        return ComplexVariable(re: try r * im.unary(.cos), im: try r * im.unary(.sin))
    }

    /// The principal logarithm log|z| + i angle(z) (no gradient at 0).
    public func log() throws -> ComplexVariable {
        let r2 = try re * re + im * im
        return ComplexVariable(re: try Variable.binary(.mul, r2.unary(.log), 0.5), im: try angle())
    }

    /// The principal square root sqrt|z| (cos(angle / 2) + i sin(angle / 2)) (no gradient at 0).
    public func sqrt() throws -> ComplexVariable {
        let r = try abs().unary(.sqrt), half = try Variable.binary(.mul, angle(), 0.5)
        return ComplexVariable(re: try r * half.unary(.cos), im: try r * half.unary(.sin))
    }

    /// sin, cos, sinh, cosh from the real functions of the parts; tan and tanh as ratios.
    public func sin() throws -> ComplexVariable {
        ComplexVariable(re: try re.unary(.sin) * im.unary(.cosh), im: try re.unary(.cos) * im.unary(.sinh))
    }
    public func cos() throws -> ComplexVariable {
        ComplexVariable(re: try re.unary(.cos) * im.unary(.cosh), im: try (re.unary(.sin) * im.unary(.sinh)).unary(.negate))
    }
    public func sinh() throws -> ComplexVariable {
        ComplexVariable(re: try re.unary(.sinh) * im.unary(.cos), im: try re.unary(.cosh) * im.unary(.sin))
    }
    public func cosh() throws -> ComplexVariable {
        ComplexVariable(re: try re.unary(.cosh) * im.unary(.cos), im: try re.unary(.sinh) * im.unary(.sin))
    }
    public func tan() throws -> ComplexVariable { try sin() / cos() }
    public func tanh() throws -> ComplexVariable { try sinh() / cosh() }

    /// |z| (hypot). Its gradient at 0 is taken as 0 (PyTorch's choice), so that
    /// abs(z)^2 has the gradient 2 z everywhere.
    public func abs() throws -> Variable {
        let a = re.value, b = im.value
        var out = try Tensor.zeros(a.shape)
        try out.withUnsafeMutableBufferPointer { o in
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in for i in 0..<o.count { o[i] = hypot(x[i], y[i]) } } }
        }
        return try Variable.make("abs", out, [re, im]) { g in
            let safe = try Tensor.where(out, out, Tensor(scalar: 1))
            let s = try g / safe
            return [try s * a, try s * b]
        }
    }

    /// The phase atan2(im, re).
    public func angle() throws -> Variable { try Variable.binary(.atan2, im, re) }

    public func reduce(_ op: Tensor.ReduceOp, axis: Int?, keepdims: Bool) throws -> ComplexVariable {
        ComplexVariable(re: try re.reduce(op, axis: axis, keepdims: keepdims), im: try im.reduce(op, axis: axis, keepdims: keepdims))
    }
    public func get(_ index: [TensorIndex]) throws -> ComplexVariable {
        ComplexVariable(re: try re.get(index), im: try im.get(index))
    }
    public func permute(_ axes: [Int]) throws -> ComplexVariable {
        ComplexVariable(re: try re.permute(axes), im: try im.permute(axes))
    }
    public func reshaped(_ shape: [Int]) throws -> ComplexVariable {
        ComplexVariable(re: try re.reshaped(shape), im: try im.reshaped(shape))
    }

    /// An op with a complex result whose backward maps ȳ (dL/d re + i dL/d im of
    /// the result) to the gradients of `inputs`.
    static func make(_ op: String, _ value: ComplexTensor, _ inputs: [Variable],
                     _ pullback: @escaping (ComplexTensor) throws -> [Tensor?]) throws -> ComplexVariable {
        let parts = try Variable.multiple(op, [value.real(), value.imag()], inputs) { g in
            try pullback(ComplexTensor(real: g[0], imag: g[1]))
        }
        return ComplexVariable(re: parts[0], im: parts[1])
    }

    /// fft (inverse: ifft) of n points along `axis`, as FFT.fft.
    public func fft(n: Int?, axis: Int, inverse: Bool) throws -> ComplexVariable {
        let x = try value
        let y = try FFT.fft(x, n: n, axis: axis, inverse: inverse)
        let (ax, _) = try FFT.moveLast(x.ndim, axis, inverse ? "ifft" : "fft")
        let length = x.shape[ax]
        return try ComplexVariable.make(inverse ? "ifft" : "fft", y, [re, im]) { g in
            let z = try FFT.fftAdjoint(g, length: length, axis: axis, inverse: inverse)
            return [try z.real(), try z.imag()]
        }
    }

    /// rfft of a real variable: the n / 2 + 1 non-negative frequencies.
    public static func rfft(_ x: Variable, n: Int?, axis: Int) throws -> ComplexVariable {
        let y = try FFT.rfft(x.value, n: n, axis: axis)
        let (ax, _) = try FFT.moveLast(x.value.ndim, axis, "rfft")
        let length = x.value.shape[ax], points = n ?? length
        return try make("rfft", y, [x]) { g in [try FFT.rfftAdjoint(g, n: points, length: length, axis: axis)] }
    }

    /// The eigendecomposition (values, unit vectors) of a square matrix already
    /// computed from self's value, put on the graph: the backward is
    /// ComplexTensor.eigBackward (the real part for a real matrix, imag nil).
    public static func eig(_ re: Variable, _ im: Variable?, values: ComplexTensor, vectors: ComplexTensor) throws -> (values: ComplexVariable, vectors: ComplexVariable) {
        let inputs = im.map { [re, $0] } ?? [re]
        let parts = try Variable.multiple("eig", [values.real(), values.imag(), vectors.real(), vectors.imag()], inputs) { g in
            func nonzero(_ t: Tensor) -> Bool { t.withUnsafeBufferPointer { p in p.contains { x in x != 0 } } }
            let gL = nonzero(g[0]) || nonzero(g[1]) ? try ComplexTensor(real: g[0], imag: g[1]) : nil
            let gV = nonzero(g[2]) || nonzero(g[3]) ? try ComplexTensor(real: g[2], imag: g[3]) : nil
            let gA = try ComplexTensor.eigBackward(values: values, vectors: vectors, gValues: gL, gVectors: gV)
            return [try gA.real(), im == nil ? nil : try gA.imag()]
        }
        return (ComplexVariable(re: parts[0], im: parts[1]), ComplexVariable(re: parts[2], im: parts[3]))
    }
}

extension Variable {
    /// Several results of one op whose backward needs their gradients together
    /// (zeros for the results that received none): one node holds them all
    /// flattened, and each result is a view of its part.
    public static func multiple(_ op: String, _ parts: [Tensor], _ inputs: [Variable],
                                _ pullback: @escaping ([Tensor]) throws -> [Tensor?]) throws -> [Variable] {
        let counts = parts.map(\.count), shapes = parts.map(\.shape)
        let total = counts.reduce(0, +)
        var flat: [Double] = []
        flat.reserveCapacity(total)
        for p in parts { flat.append(contentsOf: p.scalars) }
        let joint = try make(op, try Tensor(flat, shape: [total]), inputs) { g in
            let s = g.scalars
            var gs: [Tensor] = [], at = 0
            for (c, shape) in zip(counts, shapes) { gs.append(try Tensor(Array(s[at..<(at + c)]), shape: shape)); at += c }
            return try pullback(gs)
        }
        var out: [Variable] = [], at = 0
        for (p, c) in zip(parts, counts) {
            let start = at
            out.append(try make(op, p, [joint]) { g in
                var full = [Double](repeating: 0, count: total)
                let s = g.scalars
                for i in 0..<c { full[start + i] = s[i] }
                return [try Tensor(full, shape: [total])]
            })
            at += c
        }
        return out
    }
}
