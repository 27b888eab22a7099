// Principal component analysis by the SVD of the centred data (as sklearn's
// PCA with the full solver), with sklearn's deterministic sign convention.
import MLPTensor

/// The result of `pca`: the data in the principal axes and what they are.
public struct PCAResult {
    /// The centred data projected on the components, [n, k].
    public let projected: Tensor
    /// The principal axes as unit rows, by decreasing variance, [k, d].
    public let components: Tensor
    /// The variance along each component (eigenvalues of the covariance
    /// matrix with the 1/(n-1) normalisation), [k].
    public let explainedVariance: Tensor
    /// `explainedVariance` over the total variance, [k].
    public let explainedVarianceRatio: Tensor
    /// The mean that was subtracted, [d]: new points map as (x - mean) @ components^T.
    public let mean: Tensor
}

/// PCA of the rows of `x` [n, d] onto `k` components (1 <= k <= min(n, d)).
///
/// With X̃ = X − mean = U S Vᵀ: components = first k rows of Vᵀ, projected =
/// X̃ Vᵀ[:k]ᵀ = U S, explained variance = S² / (n − 1). Each component's sign is
/// fixed as sklearn's `svd_flip` on Vᵀ: its entry of largest magnitude is positive.
/// `poll` is called every 20 ms during the SVD (Ctrl-C: what it throws stops the run).
public func pca(_ x: Tensor, k: Int, poll: (() throws -> Void)? = nil) throws -> PCAResult {
    guard x.ndim == 2 else { throw TensorError("pca", "expected data of shape [n, d], got \(Tensor.formatShape(x.shape)).") }
    let n = x.shape[0], d = x.shape[1]
    guard n >= 2 else { throw TensorError("pca", "needs at least 2 points, got \(n).") }
    guard k >= 1 && k <= Swift.min(n, d) else {
        throw TensorError("pca", "k must be between 1 and min(n, d) = \(Swift.min(n, d)), got \(k).")
    }
    let mean = try x.mean(axis: 0)
    let centred = try x - mean
    let (_, s, vt) = try centred.svd(fullMatrices: false, poll: poll)
    // the first k rows of Vᵀ with the sign convention, and their variances
    let comps = try Tensor(uninitializedShape: [k, d], "pca")
    let var_ = try Tensor(uninitializedShape: [k], "pca")
    let ratio = try Tensor(uninitializedShape: [k], "pca")
    let c = comps.storage.pointer, v = vt.storage.pointer, sp = s.storage.pointer
    var total = 0.0
    for i in 0..<s.count { total += sp[i] * sp[i] }
    for i in 0..<k {
        var jmax = 0, amax = -1.0
        for j in 0..<d where Swift.abs(v[i * d + j]) > amax { amax = Swift.abs(v[i * d + j]); jmax = j }
        let sign: Double = v[i * d + jmax] < 0 ? -1 : 1
        for j in 0..<d { c[i * d + j] = sign * v[i * d + j] }
        var_.storage.pointer[i] = sp[i] * sp[i] / Double(n - 1)
        ratio.storage.pointer[i] = total > 0 ? sp[i] * sp[i] / total : 0
    }
    let projected = try Tensor.matmul(centred, comps, transposeA: false, transposeB: true)
    return PCAResult(projected: projected, components: comps, explainedVariance: var_,
                     explainedVarianceRatio: ratio, mean: mean)
}
