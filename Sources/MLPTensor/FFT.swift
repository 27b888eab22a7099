// Discrete Fourier transforms through FFTW 3 (Debian libfftw3-dev; GPL-2+: see
// README.md for what that means for a distributed mlp binary). One FFTW plan of
// `howmany` transforms per call, FFTW_ESTIMATE (planning does not touch the data),
// along the last axis of a contiguous copy with the transformed axis moved last.
import CFFTW

public enum FFT {
    /// The axis `axis` of `shape` (negative from the end), moved last: (axis, perm).
    public static func moveLast(_ ndim: Int, _ axis: Int, _ name: String) throws -> (Int, [Int]) {
        guard ndim > 0 else { throw TensorError(name, "needs a tensor of at least one dimension, got a 0-d one.") }
        let ax = axis < 0 ? axis + ndim : axis
        guard ax >= 0 && ax < ndim else { throw TensorError(name, "axis \(axis) is out of bounds for a tensor of dimension \(ndim).") }
        var perm = Array(0..<ndim); perm.remove(at: ax); perm.append(ax)
        return (ax, perm)
    }

    /// The inverse of a permutation.
    static func inverse(_ perm: [Int]) -> [Int] {
        var inv = perm
        for (i, p) in perm.enumerated() { inv[p] = i }
        return inv
    }

    /// `t` (real, with `tail` extra trailing axes not counted) cut or zero-padded to `n`
    /// along its axis `ax` = ndim - 1 - tail.
    static func resized(_ t: Tensor, _ n: Int, tail: Int, _ name: String) throws -> Tensor {
        let ax = t.ndim - 1 - tail
        let len = t.shape[ax]
        if len == n { return t }
        var idx = [TensorIndex](repeating: .all, count: ax)
        idx.append(.slice(0, Swift.min(len, n), nil))
        if n < len { return try t.get(idx) }
        var shape = t.shape
        shape[ax] = n
        var out = try Tensor.zeros(shape)
        if len > 0 { try out.set(idx, t) }
        return out
    }

    static func checkLength(_ n: Int, _ name: String) throws {
        if n < 1 { throw TensorError(name, "invalid number of data points (\(n)): the axis must not be empty.") }
        if n > Int(Int32.max) { throw TensorError(name, "n = \(n) is more than FFTW's \(Int32.max) points.") }
    }

    /// fft (forward) or ifft (inverse, scaled by 1/n) of a complex tensor along `axis`.
    public static func fft(_ x: ComplexTensor, n: Int?, axis: Int, inverse: Bool) throws -> ComplexTensor {
        let name = inverse ? "ifft" : "fft"
        let (ax, perm) = try moveLast(x.ndim, axis, name)
        var y = ax == x.ndim - 1 ? x : try x.permute(perm)
        let len = n ?? y.shape[y.ndim - 1]
        try checkLength(len, name)
        y = try ComplexTensor(interleaved: resized(y.data, len, tail: 1, name))
        var out = try ComplexTensor(uninitializedShape: y.shape, name)
        let rows = y.count / len
        if rows > 0 {
            let pin = UnsafeMutableRawPointer(y.data.storage.pointer).assumingMemoryBound(to: fftw_complex.self)
            let pout = UnsafeMutableRawPointer(out.data.storage.pointer).assumingMemoryBound(to: fftw_complex.self)
            var dims = Int32(len)
            guard let plan = fftw_plan_many_dft(1, &dims, Int32(rows), pin, nil, 1, Int32(len), pout, nil, 1, Int32(len),
                                                inverse ? FFTW_BACKWARD : FFTW_FORWARD, UInt32(FFTW_ESTIMATE)) else {
                throw TensorError(name, "FFTW could not plan a transform of \(len) points.")
            }
            fftw_execute(plan)
            fftw_destroy_plan(plan)
            if inverse {
                let p = out.data.storage.pointer, s = 1 / Double(len)
                for i in 0..<(2 &* out.count) { p[i] *= s }
            }
        }
        if ax != x.ndim - 1 { out = try out.permute(FFT.inverse(perm)) }
        return out
    }

    /// rfft: the n / 2 + 1 non-negative frequencies of the transform of a real tensor along `axis`.
    public static func rfft(_ x: Tensor, n: Int?, axis: Int) throws -> ComplexTensor {
        let name = "rfft"
        let (ax, perm) = try moveLast(x.ndim, axis, name)
        var y = ax == x.ndim - 1 ? x : try x.permute(perm)
        let len = n ?? y.shape[y.ndim - 1]
        try checkLength(len, name)
        y = try resized(y, len, tail: 0, name)
        let m = len / 2 + 1
        var shape = y.shape
        shape[shape.count - 1] = m
        var out = try ComplexTensor(uninitializedShape: shape, name)
        let rows = y.count / len
        if rows > 0 {
            let pout = UnsafeMutableRawPointer(out.data.storage.pointer).assumingMemoryBound(to: fftw_complex.self)
            var dims = Int32(len)
            guard let plan = fftw_plan_many_dft_r2c(1, &dims, Int32(rows), y.storage.pointer, nil, 1, Int32(len), pout, nil, 1, Int32(m),
                                                    UInt32(FFTW_ESTIMATE)) else {
                throw TensorError(name, "FFTW could not plan a transform of \(len) points.")
            }
            fftw_execute(plan)
            fftw_destroy_plan(plan)
        }
        if ax != x.ndim - 1 { out = try out.permute(FFT.inverse(perm)) }
        return out
    }
}
