// Builtins of complex numbers (docs/complex.md): complex, re, im, conj, angle;
// the functions whose results are complex: eig (general matrices), expm, and the
// discrete Fourier transforms fft, ifft, rfft with fftfreq (FFTW). exp, log,
// sqrt, abs and the arithmetic take complex values through ComplexValue.swift.
import MLPLang
import MLPTensor
import MLPAutograd
import ComplexModule
#if canImport(Glibc)
import Glibc
#endif

enum ComplexLib {
    static func register(_ r: inout Registry) {
        r.fn("complex", [p("re"), p("im", 0)],
             doc: "The complex number re + im i (also written 1 + 2i), or a complex tensor from real tensors of the parts (broadcast).",
             example: "complex(1, 2)   # 1+2i") { a throws(MLPError) in
            if case .number(let x) = a[0], case .number(let y) = a[1] { return .object(ComplexValue(x, y)) }
            if TrackedComplex.isTracked(a[0]) || TrackedComplex.isTracked(a[1]) {
                let x = try a.variable(0), y = try a.variable(1)
                return try a.native {
                    let shape = try Tensor.broadcastShape(x.shape, y.shape)
                    return try TrackedComplex.value(ComplexVariable(re: x.broadcast(to: shape), im: y.broadcast(to: shape)))
                }
            }
            let re = try a.untrackedTensor(0), im = try a.untrackedTensor(1)
            return try a.native { ComplexArith.value(try ComplexTensor(real: re, imag: im)) }
        }
        part(&r, "re", "The real part of a complex number or tensor (a real one is returned as it is). Differentiable: grad passes through it.", "re(3 - 4i)   # 3",
             number: { $0.rawStorage.x }, tensor: { try $0.real() }, real: { $0 }, tracked: { $0.re })
        part(&r, "im", "The imaginary part of a complex number or tensor (0 for a real one). Differentiable: grad passes through it.", "im(3 - 4i)   # -4",
             number: { $0.rawStorage.y }, tensor: { try $0.imag() }, real: { $0 == $0 ? 0 : $0 }, tracked: { $0.im })
        part(&r, "angle", "The argument (phase) in radians, in (-pi, pi], as atan2(im, re); 0 for positive reals, pi for negative ones. Differentiable away from 0 (the gradient at z = 0 is nan, an error).",
             "angle(1i)   # 1.5707963267948966",
             number: { atan2($0.rawStorage.y, $0.rawStorage.x) }, tensor: { try $0.mapReal { atan2($0.rawStorage.y, $0.rawStorage.x) } },
             real: { atan2(0, $0) }, tracked: { try $0.angle() })
        r.fn("conj", [p("z")], doc: "The complex conjugate re - im i, element-wise on tensors (a real value is returned as it is). Differentiable: grad passes through it.",
             example: "conj(1 + 2i)   # 1-2i") { a throws(MLPError) in
            switch a[0] {
            case .number: return a[0]
            case .object(let o as TensorValue) where o.node != nil: return a[0]
            case .object(let o as TrackedComplexValue): return try a.native { try TrackedComplex.value(o.z.conj()) }
            case .object(let o as ComplexValue): return .object(ComplexValue(o.z.conjugate))
            case .object(let o as ComplexTensorValue): return try a.native { .object(ComplexTensorValue(try o.c.conj())) }
            case .object(is TensorValue): return .object(TensorValue(try a.untrackedTensor(0)))
            default: throw a.typeError(0, "a number, complex number or tensor")
            }
        }
        r.fn("eig", [p("a")],
             doc: "Eigenvalues and right eigenvectors (unit columns) of a general square matrix, real or complex: [values, vectors] with a @ vectors[:, k] = values[k] * vectors[:, k] (LAPACK geev, as NumPy's eig). A real matrix gives real tensors when every eigenvalue is real, complex ones otherwise; the order is LAPACK's, unsorted. Differentiable: the eigenvalues always, the eigenvectors (unit, up to a phase) for a loss that does not depend on their phase and distinct eigenvalues (docs/complex.md).",
             example: "eig(tensor([[0, -1], [1, 0]]))[0]   # tensor([0+1i, 0-1i])") { a throws(MLPError) in
            if case .object(let o as TrackedComplexValue) = a[0] {
                return try a.native(at: 0) {
                    let (w, v) = try o.z.value.eig()
                    let r = try ComplexVariable.eig(o.z.re, o.z.im, values: w, vectors: v)
                    return .list([try TrackedComplex.value(r.values), try TrackedComplex.value(r.vectors)])
                }
            }
            if let c = tensorArg(a[0]) {
                return try a.native(at: 0) { let (w, v) = try c.eig(); return .list([.object(ComplexTensorValue(w)), .object(ComplexTensorValue(v))]) }
            }
            if case .object(let o as TensorValue) = a[0], let node = o.node {
                return try a.native(at: 0) {
                    let r = try o.t.eig()
                    if let w = r.values, let v = r.vectors {
                        let g = try ComplexVariable.eig(node, nil, values: w.complex(), vectors: v.complex())
                        return .list([.object(TensorValue(g.values.re)), .object(TensorValue(g.vectors.re))])
                    }
                    let g = try ComplexVariable.eig(node, nil, values: r.complexValues!, vectors: r.complexVectors!)
                    return .list([try TrackedComplex.value(g.values), try TrackedComplex.value(g.vectors)])
                }
            }
            let m = try a.untrackedTensor(0)
            return try a.native(at: 0) {
                let r = try m.eig()
                if let w = r.values, let v = r.vectors { return .list([.object(TensorValue(w)), .object(TensorValue(v))]) }
                return .list([.object(ComplexTensorValue(r.complexValues!)), .object(ComplexTensorValue(r.complexVectors!))])
            }
        }
        r.fn("expm", [p("a")],
             doc: "The matrix exponential e^a of a square matrix, real or complex (Pade approximation with scaling and squaring, Higham 2005, as SciPy's expm): expm(-1i * H * t) is the time evolution under a Hamiltonian H.",
             example: "expm(tensor([[0, 1], [0, 0]]))[0]   # tensor([1, 1])") { a throws(MLPError) in
            if let c = tensorArg(a[0]) { return try a.native(at: 0) { .object(ComplexTensorValue(try c.expm())) } }
            let m = try a.untrackedTensor(0)
            return try a.native(at: 0) { .object(TensorValue(try m.complex().expm().real())) }
        }
        fourier(&r, "fft", "The discrete Fourier transform sum_k x[k] e^(-2 pi i j k / n) along axis (the last by default), as NumPy's fft.fft; n pads with zeros or cuts the input. Computed by FFTW. Differentiable (the gradient is again a transform).",
                "fft(tensor([1, 2, 3, 4]))   # tensor([10+0i, -2+2i, -2+0i, -2-2i])", kind: .forward)
        fourier(&r, "ifft", "The inverse discrete Fourier transform (1/n) sum_k x[k] e^(2 pi i j k / n) along axis, as NumPy's fft.ifft: ifft(fft(x)) is x. Differentiable.",
                "ifft(tensor([4, 0, 0, 0]))   # tensor([1+0i, 1+0i, 1+0i, 1+0i])", kind: .inverse)
        fourier(&r, "rfft", "The discrete Fourier transform of a real signal: the n / 2 + 1 non-negative frequencies of fft(x) (the rest are their conjugates), as NumPy's fft.rfft. Differentiable.",
                "rfft(tensor([1, 2, 3, 4]))   # tensor([10+0i, -2+2i, -2+0i])", kind: .real)
        r.fn("fftfreq", [p("n"), p("d", 1.0)],
             doc: "The frequencies of fft's outputs for n samples spaced d apart: [0, 1, ..., n/2 - 1, -n/2, ..., -1] / (d n) (n even), as NumPy's fft.fftfreq.",
             example: "fftfreq(4, 0.5)   # tensor([ 0  ,  0.5, -1  , -0.5])") { a throws(MLPError) in
            let n = try a.int(0, atLeast: 1), d = try a.number(1)
            if d == 0 || !d.isFinite { throw a.error("argument 'd' must be a finite non-zero spacing, got \(formatNumber(d)).", at: 1) }
            if n > Tensor.maxCount { throw a.error("n = \(n) is more than the \(Tensor.maxCount) elements a tensor may hold.", at: 0) }
            return try a.newTensor(at: 0) {
                let half = (n - 1) / 2 + 1
                return try Tensor((0..<n).map { Double($0 < half ? $0 : $0 - n) / (d * Double(n)) })
            }
        }
    }

    /// Argument value as a complex tensor when it is complex (a complex number
    /// or tensor); nil for anything else.
    static func tensorArg(_ v: Value) -> ComplexTensor? {
        switch v {
        case .object(let o as ComplexTensorValue): return o.c
        case .object(let o as ComplexValue): return ComplexTensor(scalar: o.z)
        default: return nil
        }
    }

    /// Whether v is a complex number or tensor (tracked by grad or not).
    static func isComplex(_ v: Value) -> Bool {
        if case .object(is TrackedComplexValue) = v { return true }
        return tensorArg(v) != nil
    }

    /// re, im, angle: a real result from a number, complex number or tensor.
    static func part(_ r: inout Registry, _ name: String, _ doc: String, _ example: String,
                     number: @escaping @Sendable (ComplexNumber) -> Double,
                     tensor: @escaping @Sendable (ComplexTensor) throws -> Tensor,
                     real: @escaping @Sendable (Double) -> Double,
                     tracked: @escaping @Sendable (ComplexVariable) throws -> Variable) {
        r.fn(name, [p("z")], doc: doc, example: example) { a throws(MLPError) in
            switch a[0] {
            case .number(let x): return .number(real(x))
            case .object(let o as TrackedComplexValue): return try a.native { .object(TensorValue(try tracked(o.z))) }
            // re of a tracked real tensor is itself; im and angle are constant in it (gradient 0)
            case .object(let o as TensorValue) where o.node != nil && name == "re": return a[0]
            case .object(let o as ComplexValue): return .number(number(o.z))
            case .object(let o as ComplexTensorValue): return try a.native { .object(TensorValue(try tensor(o.c))) }
            case .object(is TensorValue):
                let t = try a.tensor(0)
                return try a.native { .object(TensorValue(try t.map(real))) }
            default: throw a.typeError(0, "a number, complex number or tensor")
            }
        }
    }

    enum Fourier { case forward, inverse, real }

    static func fourier(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, kind: Fourier) {
        r.fn(name, [p("x"), opt("n"), Param("axis", .number(-1), keywordOnly: true)], doc: doc, example: example) { a throws(MLPError) in
            let n = try a.isNil(1) ? nil : a.int(1, atLeast: 1)
            let axis = try a.int(2)
            if TrackedComplex.isTracked(a[0]) {
                if kind == .real, case .object(is TrackedComplexValue) = a[0] { throw a.error("rfft takes a real signal; use fft for a complex one.", at: 0) }
                guard let z = try TrackedComplex.operand(a[0]) else { throw a.typeError(0, "a tensor") }
                return try a.native(at: 0) {
                    try TrackedComplex.value(kind == .real ? ComplexVariable.rfft(z.re, n: n, axis: axis)
                                                           : z.fft(n: n, axis: axis, inverse: kind == .inverse))
                }
            }
            if kind == .real {
                if tensorArg(a[0]) != nil { throw a.error("rfft takes a real signal; use fft for a complex one.", at: 0) }
                let t = try a.untrackedTensor(0)
                return try a.native(at: 0) { .object(ComplexTensorValue(try FFT.rfft(t, n: n, axis: axis))) }
            }
            let c: ComplexTensor
            if let z = tensorArg(a[0]) { c = z } else {
                let t = try a.untrackedTensor(0)
                c = try a.native(at: 0) { try t.complex() }
            }
            return try a.native(at: 0) { .object(ComplexTensorValue(try FFT.fft(c, n: n, axis: axis, inverse: kind == .inverse))) }
        }
    }

    /// concat or stack of tensors some of which are complex (the rest become complex).
    static func join(_ a: Args, _ items: [Value], stack: Bool) throws(MLPError) -> Value {
        var cs: [ComplexTensor] = []
        for v in items {
            do throws(MLPError) { cs.append(try ComplexArith.nested(v)) } catch { throw a.error(error.message, at: 0) }
        }
        let axis = try a.int(1)
        return try a.native(at: 0) { .object(ComplexTensorValue(try ComplexTensor.concat(cs, axis: axis, stack: stack))) }
    }

    /// concat or stack of tensors some of which are complex and some tracked by grad.
    static func trackedJoin(_ a: Args, _ items: [Value], stack: Bool) throws(MLPError) -> Value {
        var zs: [ComplexVariable] = []
        for v in items {
            guard let z = try TrackedComplex.operand(v) else { throw a.error("items must be tensors, got \(describeForError(v)).", at: 0) }
            zs.append(z)
        }
        let axis = try a.int(1)
        return try a.native(at: 0) {
            let join = { (vs: [Variable]) throws -> Variable in stack ? try Variable.stack(vs, axis: axis) : try Variable.concat(vs, axis: axis) }
            return try TrackedComplex.value(ComplexVariable(re: join(zs.map(\.re)), im: join(zs.map(\.im))))
        }
    }

    /// sum and mean of a list holding complex numbers, tried when the list is not
    /// all numbers (nil when it holds none).
    static func reduceList(_ a: Args, _ op: Tensor.ReduceOp) throws(MLPError) -> Value? {
        guard case .list = a[0], ComplexArith.holdsComplex(a[0]) else { return nil }
        let c = try ComplexArith.nested(a[0])
        return try a.native(at: 0) { ComplexArith.value(try c.reduce(op, axis: nil, keepdims: false)) }
    }

    /// sum and mean of a complex tensor (nil when the argument is not one).
    static func reduce(_ a: Args, _ op: Tensor.ReduceOp) throws(MLPError) -> Value? {
        if case .object(let o as TrackedComplexValue) = a[0] {
            let axis = try a.optionalInt(1), keep = try a.bool(2)
            return try a.native(at: 0) { try TrackedComplex.value(o.z.reduce(op, axis: axis, keepdims: keep)) }
        }
        guard case .object(let o as ComplexTensorValue) = a[0] else { return nil }
        let axis = try a.optionalInt(1), keep = try a.bool(2)
        return try a.native(at: 0) { ComplexArith.value(try o.c.reduce(op, axis: axis, keepdims: keep)) }
    }
}
