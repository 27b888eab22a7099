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
    /// `softmax`, when given, is softmax(z) already computed (a softmax layer's output):
    /// then no exp is taken, as log Σ exp z = max z - log(the largest probability).
    public func softmaxCrossEntropy(_ target: ClassTargets, softmax: Tensor? = nil) throws -> (loss: Tensor, probs: Tensor) {
        let c = shape.last ?? 1
        let rows = c == 0 ? 0 : count / c
        let loss = try Tensor(uninitializedBounded: Array(shape.dropLast()))
        let z = storage.pointer, l = loss.storage.pointer
        let targets: UnsafeMutablePointer<Double>? = if case .rows(let t) = target { t.storage.pointer } else { nil }
        if let softmax, softmax.shape == shape, rows > 0 {
            let p = softmax.storage.pointer
            for r in 0..<rows {
                let zr = z + r &* c, pr = p + r &* c
                var top = 0
                for j in 1..<c where zr[j] > zr[top] { top = j }
                let logSumExp = zr[top] - Glibc.log(pr[top])
                l[r] = crossEntropyRow(zr, c, logSumExp, r, targets, target)
            }
            return (loss, softmax)
        }
        let probs = try Tensor(uninitializedBounded: shape)
        if rows == 0 { return (loss, probs) }
        // the softmax itself (rows on the kernel threads), then each row's loss from its log Σ exp
        let lse = UnsafeMutablePointer<Double>.allocate(capacity: rows)
        defer { lse.deallocate() }
        Tensor.softmaxRows(z, probs.storage.pointer, rows: rows, c, logSumExp: lse)
        for r in 0..<rows { l[r] = crossEntropyRow(z + r &* c, c, lse[r], r, targets, target) }
        return (loss, probs)
    }

    /// Row r's -Σ t log softmax(z) from its logits and their log Σ exp.
    @inline(__always)
    private func crossEntropyRow(_ zr: UnsafePointer<Double>, _ c: Int, _ logSumExp: Double, _ r: Int,
                                 _ targets: UnsafePointer<Double>?, _ target: ClassTargets) -> Double {
        if let targets {
            let tr = targets + r &* c
            var mass = 0.0, dot = 0.0
            for j in 0..<c { mass += tr[j]; dot += tr[j] * zr[j] }
            return logSumExp * mass - dot
        }
        guard case .labels(let y) = target else { return .nan }
        return logSumExp - zr[y[r]]
    }
}
