// t-SNE's input side: pairwise squared distances and the Gaussian conditional
// probabilities p(j|i), each row's precision found by bisection so that its
// entropy is log(perplexity) (van der Maaten & Hinton 2008; sklearn's
// _binary_search_perplexity, with distances shifted by the row minimum so
// that exp never underflows to an all-zero row).
import MLPTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Squared Euclidean distances between the rows of `x` [n, d], as [n, n]
/// (|xi|² + |xj|² − 2 xi·xj through BLAS, clamped at 0, exact zeros on the diagonal).
public func squaredDistances(_ x: Tensor) throws -> Tensor {
    guard x.ndim == 2 else { throw TensorError(nil, "squaredDistances: expected shape [n, d], got \(Tensor.formatShape(x.shape)).") }
    let n = x.shape[0], d = x.shape[1]
    var g = try Tensor.matmul(x, x, transposeA: false, transposeB: true)
    let xp = x.storage.pointer
    var norms = [Double](repeating: 0, count: n)
    for i in 0..<n {
        var s = 0.0
        for k in 0..<d { s += xp[i * d + k] * xp[i * d + k] }
        norms[i] = s
    }
    try g.withUnsafeMutableBufferPointer { gp in
        for i in 0..<n {
            for j in 0..<n { gp[i * n + j] = Swift.max(norms[i] + norms[j] - 2 * gp[i * n + j], 0) }
            gp[i * n + i] = 0
        }
    }
    return g
}

/// The conditional probabilities p(j|i) = exp(−β_i D_ij) / Σ_{k≠i} exp(−β_i D_ik)
/// (p(i|i) = 0) for squared distances `d` [n, n], each β_i found by bisection
/// until the row's entropy −Σ_j p(j|i) ln p(j|i) is within `tolerance` of
/// ln(perplexity) (at most `maxSteps` halvings). Rows of the result sum to 1.
public func tsneConditionalProbabilities(squaredDistances d: Tensor, perplexity: Double,
                                         tolerance: Double = 1e-5, maxSteps: Int = 200,
                                         check: () throws -> Void = {}) throws -> Tensor {
    guard d.ndim == 2, d.shape[0] == d.shape[1] else {
        throw TensorError("tsne", "expected a square distance matrix, got \(Tensor.formatShape(d.shape)).")
    }
    let n = d.shape[0]
    guard n >= 2 else { throw TensorError("tsne", "needs at least 2 points, got \(n).") }
    guard perplexity > 0, perplexity < Double(n) else {
        throw TensorError("tsne", "perplexity must be positive and less than the number of points (\(n)), got \(perplexity).")
    }
    let target = log(perplexity)
    let out = try Tensor(uninitializedShape: [n, n], "tsne")
    let dp = d.storage.pointer, p = out.storage.pointer
    for i in 0..<n {
        if i % 64 == 0 { try check() }
        let row = dp + i * n, pr = p + i * n
        var dmin = Double.infinity
        for j in 0..<n where j != i && row[j] < dmin { dmin = row[j] }
        var beta = 1.0, lo = -Double.infinity, hi = Double.infinity
        for _ in 0..<maxSteps {
            // p_j ∝ exp(−β (D_j − Dmin)); H = ln S + β Σ (D_j − Dmin) p_j / S
            var s = 0.0, sd = 0.0
            for j in 0..<n {
                if j == i { pr[j] = 0; continue }
                let dj = row[j] - dmin
                let e = mlpExp(-beta * dj)
                pr[j] = e
                s += e
                sd += dj * e
            }
            let h = log(s) + beta * sd / s
            let inv = 1 / s
            for j in 0..<n { pr[j] *= inv }
            let diff = h - target
            if Swift.abs(diff) <= tolerance { break }
            if diff > 0 {           // too flat: sharpen
                lo = beta
                beta = hi == .infinity ? beta * 2 : (beta + hi) / 2
            } else {
                hi = beta
                beta = lo == -.infinity ? beta / 2 : (beta + lo) / 2
            }
        }
    }
    return out
}
