// The adjoints (conjugate transposes) of the complex linear maps that autograd
// differentiates through: fft, ifft and rfft with their padding or cutting to n,
// and the backward map of eig. For a real loss L of y = A z the gradient is
// z̄ = A^H ȳ, where z̄ = dL/d re(z) + i dL/d im(z) (JAX's and PyTorch's convention).
import ComplexModule

extension FFT {
    /// `x` cut or zero-padded to `n` along `axis`.
    public static func resized(_ x: ComplexTensor, _ n: Int, axis: Int) throws -> ComplexTensor {
        let (ax, perm) = try moveLast(x.ndim, axis, "fft")
        if x.shape[ax] == n { return x }
        let y = ax == x.ndim - 1 ? x : try x.permute(perm)
        let r = try ComplexTensor(interleaved: resized(y.data, n, tail: 1, "fft"))
        return ax == x.ndim - 1 ? r : try r.permute(inverse(perm))
    }

    static func scaled(_ x: ComplexTensor, _ s: Double) throws -> ComplexTensor {
        try ComplexTensor(interleaved: Tensor.binaryScalar(.mul, x.data, s, reversed: false))
    }

    /// The adjoint of fft (inverse: ifft) of n points along `axis` applied to an input
    /// of `length` points there: the gradient of the input from the output's `g`.
    public static func fftAdjoint(_ g: ComplexTensor, length: Int, axis: Int, inverse: Bool) throws -> ComplexTensor {
        let (ax, _) = try moveLast(g.ndim, axis, inverse ? "ifft" : "fft")
        let n = g.shape[ax]
        // fft = F: F^H = n ifft; ifft = conj(F) / n: its adjoint is F / n
        let t = inverse ? try scaled(fft(g, n: nil, axis: axis, inverse: false), 1 / Double(n))
                        : try scaled(fft(g, n: nil, axis: axis, inverse: true), Double(n))
        return try resized(t, length, axis: axis)
    }

    /// The adjoint of rfft of n points along `axis` of a real input of `length`
    /// points: the real part of n ifft of g padded with zeros to n, cut or padded to `length`.
    public static func rfftAdjoint(_ g: ComplexTensor, n: Int, length: Int, axis: Int) throws -> Tensor {
        let t = try scaled(fft(g, n: n, axis: axis, inverse: true), Double(n))
        return try resized(t, length, axis: axis).real()
    }
}

extension ComplexTensor {
    /// The gradient of a (complex) matrix A from those of its eigenvalues `gValues`
    /// and unit eigenvectors `gVectors` (either may be nil), PyTorch's formula
    /// (linalg_eig_backward): A^-H (diag(gL) + (V^H gV - V^H V Re diag(V^H gV)) / E*) V^H,
    /// E*_ij = conj(L_j - L_i). Eigenvectors are unit vectors up to a phase: a loss
    /// that depends on the phase is an error, and so are repeated eigenvalues when the
    /// eigenvectors carry a gradient, and linearly dependent eigenvectors.
    public static func eigBackward(values: ComplexTensor, vectors: ComplexTensor,
                                   gValues: ComplexTensor?, gVectors: ComplexTensor?) throws -> ComplexTensor {
        let n = values.count
        let L = values.elements, V = vectors.elements
        func at(_ m: [ComplexNumber], _ i: Int, _ j: Int) -> ComplexNumber { m[i &* n &+ j] }
        // Vh = V^H
        var Vh = [ComplexNumber](repeating: .zero, count: n * n)
        for i in 0..<n { for j in 0..<n { Vh[i * n + j] = at(V, j, i).conjugate } }
        func mul(_ a: [ComplexNumber], _ b: [ComplexNumber]) -> [ComplexNumber] {
            var c = [ComplexNumber](repeating: .zero, count: n * n)
            for i in 0..<n { for k in 0..<n {
                let x = a[i * n + k]
                if x == .zero { continue }
                for j in 0..<n { c[i * n + j] = c[i * n + j] + x * b[k * n + j] }
            } }
            return c
        }
        var M = [ComplexNumber](repeating: .zero, count: n * n)
        if let gVectors {
            let gV = gVectors.elements
            var VhgV = mul(Vh, gV)
            var scale = 0.0
            for z in VhgV { scale = Swift.max(scale, z.length) }
            for k in 0..<n where Swift.abs(at(VhgV, k, k).imaginary) > 1e-8 * Swift.max(scale, 1e-300) {
                throw TensorError("eig", "the loss depends on the phase of eig's eigenvector \(k), which is arbitrary (each eigenvector is a unit vector only up to a factor e^(i phi)): its gradient is undefined; use a loss that does not depend on it, for example of abs(v)^2.")
            }
            let VhV = mul(Vh, V)
            let d = (0..<n).map { at(VhgV, $0, $0).real }
            for i in 0..<n { for j in 0..<n { VhgV[i * n + j] = VhgV[i * n + j] - at(VhV, i, j) * ComplexNumber(d[j], 0) } }
            var lscale = 0.0
            for l in L { lscale = Swift.max(lscale, l.length) }
            for i in 0..<n { for j in 0..<n where i != j {
                let e = (L[j] - L[i]).conjugate
                if e.length <= 1e-12 * Swift.max(lscale, 1e-300) {
                    throw TensorError("eig", "eig's eigenvalues \(i) and \(j) are equal: the eigenvectors of a repeated eigenvalue have no gradient (only the eigenvalues do).")
                }
                M[i * n + j] = at(VhgV, i, j) / e
            } }
        }
        if let gValues {
            let gL = gValues.elements
            for i in 0..<n { M[i * n + i] = gL[i] }
        }
        // A^-H M V^H: solve V^H X = M V^H by Gaussian elimination with partial pivoting
        var a = Vh, b = mul(M, Vh)
        var norm = 0.0
        for z in a { norm = Swift.max(norm, z.length) }
        for c in 0..<n {
            var p = c
            for r in c..<n where at(a, r, c).length > at(a, p, c).length { p = r }
            if !(at(a, p, c).length > 1e-13 * norm) {
                throw TensorError("eig", "eig's eigenvectors are linearly dependent (a defective matrix): eig has no gradient there.")
            }
            if p != c { for j in 0..<n { a.swapAt(p * n + j, c * n + j); b.swapAt(p * n + j, c * n + j) } }
            let piv = at(a, c, c)
            for r in (c + 1)..<n {
                let f = at(a, r, c) / piv
                if f == .zero { continue }
                for j in c..<n { a[r * n + j] = a[r * n + j] - f * at(a, c, j) }
                for j in 0..<n { b[r * n + j] = b[r * n + j] - f * at(b, c, j) }
            }
        }
        for c in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<n {
                var s = at(b, c, j)
                for k in (c + 1)..<n { s = s - at(a, c, k) * at(b, k, j) }
                b[c * n + j] = s / at(a, c, c)
            }
        }
        return try ComplexTensor(b, shape: [n, n])
    }
}
