// Softmax cross-entropy from logits: the loss of a softmax classifier in one
// pass over the logits (max, exp, sum, log), giving each row's loss and the
// softmax that its gradient (softmax - target) needs.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The targets of a cross-entropy over classes on the last axis: rows shaped like
/// the logits (one-hot or probabilities), or one class index per row.
public enum ClassTargets {
    case rows(Tensor)
    case labels([Int])
}

extension Tensor {
    /// For logits of shape [..., C] (at least 1-D): each row's -Σ_c t_c log softmax(z)_c,
    /// a tensor of the leading shape, and softmax(z) along the last axis. The caller has
    /// checked the targets (rows of this shape, or rows-many labels in 0..<C).
    public func softmaxCrossEntropy(_ target: ClassTargets) -> (loss: Tensor, probs: Tensor) {
        let c = shape.last ?? 1
        let rows = c == 0 ? 0 : count / c
        let probs = Tensor(uninitializedShape: shape), loss = Tensor(uninitializedShape: Array(shape.dropLast()))
        let z = storage.pointer, p = probs.storage.pointer, l = loss.storage.pointer
        if rows == 0 { return (loss, probs) }
        // shifted by each row's maximum, then one (vectorised, threaded) exp over all rows
        let maxima = UnsafeMutablePointer<Double>.allocate(capacity: rows)
        defer { maxima.deallocate() }
        for r in 0..<rows {
            let zr = z + r &* c, pr = p + r &* c
            let m = reduceLane(.max, zr, c, 1)
            maxima[r] = m
            for j in 0..<c { pr[j] = zr[j] - m }
        }
        expKernel(p, p, rows &* c)
        let targets: UnsafeMutablePointer<Double>? = if case .rows(let t) = target { t.storage.pointer } else { nil }
        for r in 0..<rows {
            let zr = z + r &* c, pr = p + r &* c
            let s = sumContiguous(pr, c)
            let logSumExp = maxima[r] + Glibc.log(s), inv = 1 / s
            for j in 0..<c { pr[j] *= inv }
            if let targets {
                let tr = targets + r &* c
                var mass = 0.0, dot = 0.0
                for j in 0..<c { mass += tr[j]; dot += tr[j] * zr[j] }
                l[r] = logSumExp * mass - dot
            } else if case .labels(let y) = target {
                l[r] = logSumExp - zr[y[r]]
            }
        }
        return (loss, probs)
    }
}
