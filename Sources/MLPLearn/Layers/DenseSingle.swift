// The float32 dense layer's own kernels (dense(n, act, precision="float32")): the bias
// and the activation fused into one pass over the product (forward), the activation's
// derivative and the bias gradient fused into one pass over the incoming gradient
// (backward), and a softmax with its cross-entropy. Each pass also returns the sum of
// squares of what it wrote, which the native training step uses to prove its
// gradients finite without scanning them (SingleTraining.swift).
import MLPTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Activation {
    /// Whether a float32 dense layer with this activation runs its own kernels.
    public var hasSingleKernels: Bool {
        switch self {
        case .linear, .relu, .sigmoid, .tanh, .softmax: true
        default: false
        }
    }
}

public enum SingleDense {
    /// y[r, c] = act(y[r, c] + bias[c]) in place on rows x cols (row-major); returns the
    /// sum of squares of the result (inf or nan when an element is not finite).
    @discardableResult
    public static func biasActivation(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                      bias: UnsafePointer<Float>?, _ act: Activation) -> Float {
        var acc = SIMD8<Float>(), tail: Float = 0
        for r in 0..<rows {
            let row = y + r &* cols
            switch act {
            case .relu, .linear:
                let relu = act == .relu
                var c = 0
                while c &+ 8 <= cols {
                    var v = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
                    if let bias { v += UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Float>.self) }
                    if relu { v = v.replacing(with: 0, where: v .< 0) }
                    UnsafeMutableRawPointer(row + c).storeBytes(of: v, as: SIMD8<Float>.self)
                    acc += v * v
                    c &+= 8
                }
                while c < cols {
                    var v = row[c] + (bias?[c] ?? 0)
                    if relu && v < 0 { v = 0 }
                    row[c] = v; tail += v * v
                    c &+= 1
                }
            case .sigmoid:
                for c in 0..<cols {
                    let z = row[c] + (bias?[c] ?? 0)
                    // the stable form: e^z / (1 + e^z) for z < 0
                    let v: Float = z >= 0 ? 1 / (1 + expf(-z)) : { let e = expf(z); return e / (1 + e) }()
                    row[c] = v; tail += v * v
                }
            case .tanh:
                for c in 0..<cols { let v = tanhf(row[c] + (bias?[c] ?? 0)); row[c] = v; tail += v * v }
            case .softmax:
                if let bias { for c in 0..<cols { row[c] += bias[c] } }
                softmaxRow(row, cols)
                for c in 0..<cols { tail += row[c] * row[c] }
            default:
                // not a single-precision activation (hasSingleKernels); callers check first
                return .nan
            }
        }
        return acc.sum() + tail
    }

    /// A row's softmax in place (max subtracted first).
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ cols: Int) {
        var top = -Float.infinity
        for c in 0..<cols where row[c] > top { top = row[c] }
        var sum: Float = 0
        for c in 0..<cols { let e = expf(row[c] - top); row[c] = e; sum += e }
        let inv = 1 / sum
        for c in 0..<cols { row[c] *= inv }
    }

    /// The backward of `biasActivation`: d (the gradient with respect to the output a,
    /// rows x cols) becomes the gradient with respect to the pre-activation, in place,
    /// and biasGrad[c] the sum of its column c. Returns the sum of squares of the new d.
    @discardableResult
    public static func activationBackward(_ d: UnsafeMutablePointer<Float>, output a: UnsafePointer<Float>, rows: Int, cols: Int,
                                          _ act: Activation, biasGrad: UnsafeMutablePointer<Float>?) -> Float {
        if let biasGrad { biasGrad.initialize(repeating: 0, count: cols) }
        var acc = SIMD8<Float>(), tail: Float = 0
        for r in 0..<rows {
            let dr = d + r &* cols, ar = a + r &* cols
            if act == .softmax {
                // d z = a (d a - sum(d a * a)) per row
                var s: Float = 0
                for c in 0..<cols { s += dr[c] * ar[c] }
                for c in 0..<cols { dr[c] = ar[c] * (dr[c] - s) }
            }
            var c = 0
            while c &+ 8 <= cols {
                var v = UnsafeRawPointer(dr + c).loadUnaligned(as: SIMD8<Float>.self)
                let av = UnsafeRawPointer(ar + c).loadUnaligned(as: SIMD8<Float>.self)
                switch act {
                case .relu: v = v.replacing(with: 0, where: av .<= 0)
                case .sigmoid: v = v * av * (1 - av)
                case .tanh: v = v * (1 - av * av)
                default: break
                }
                UnsafeMutableRawPointer(dr + c).storeBytes(of: v, as: SIMD8<Float>.self)
                if let biasGrad {
                    let g = UnsafeRawPointer(biasGrad + c).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(biasGrad + c).storeBytes(of: g + v, as: SIMD8<Float>.self)
                }
                acc += v * v
                c &+= 8
            }
            while c < cols {
                var v = dr[c]
                let av = ar[c]
                switch act {
                case .relu: if av <= 0 { v = 0 }
                case .sigmoid: v = v * av * (1 - av)
                case .tanh: v = v * (1 - av * av)
                default: break
                }
                dr[c] = v
                biasGrad?[c] += v
                tail += v * v
                c &+= 1
            }
        }
        return acc.sum() + tail
    }

    /// Softmax cross-entropy of logits z (rows x cols) against integer labels (or one-hot
    /// rows t, as Double): writes the probabilities to d and then the gradient of the
    /// mean loss with respect to z; with `probabilitiesInto` the probabilities also
    /// replace z. Returns the loss summed over rows (Double) and the sum of squares of d.
    /// `meanOver`: the rows of the whole batch when these rows are a part of it (the
    /// gradient is of the batch's mean), else 0 (these rows).
    public static func softmaxCrossEntropy(_ z: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                           labels: UnsafePointer<Int>?, oneHot t: UnsafePointer<Double>?,
                                           gradient d: UnsafeMutablePointer<Float>, probabilitiesInto: Bool,
                                           meanOver: Int = 0) -> (loss: Double, squares: Float) {
        var loss = 0.0, squares: Float = 0
        let scale = 1 / Float(meanOver > 0 ? meanOver : rows)
        for r in 0..<rows {
            let zr = z + r &* cols, dr = d + r &* cols
            var top = -Float.infinity
            for c in 0..<cols where zr[c] > top { top = zr[c] }
            var sum: Float = 0
            for c in 0..<cols { let e = expf(zr[c] - top); dr[c] = e; sum += e }
            // the row's loss from the logits: log(sum e^z) - z_label (one-hot: weighted by t)
            let logSum = Double(logf(sum)) + Double(top), inv = 1 / sum
            var mass: Float = 1
            if let labels {
                loss += logSum - Double(zr[labels[r]])
            } else if let t {
                let tr = t + r &* cols
                var m = 0.0, dot = 0.0
                for c in 0..<cols { m += tr[c]; dot += tr[c] * Double(zr[c]) }
                loss += m * logSum - dot
                mass = Float(m)
            }
            for c in 0..<cols { dr[c] *= inv }
            if probabilitiesInto { for c in 0..<cols { zr[c] = dr[c] } }
            if let labels {
                for c in 0..<cols { dr[c] *= scale }
                dr[labels[r]] -= scale
            } else if let t {
                let tr = t + r &* cols
                for c in 0..<cols { dr[c] = (dr[c] * mass - Float(tr[c])) * scale }
            }
            for c in 0..<cols { squares += dr[c] * dr[c] }
        }
        return (loss, squares)
    }
}
