// A restricted Boltzmann machine: visible units v (binary, or real with unit
// variance: Gaussian-Bernoulli), binary hidden units h, energy
//   binary:   E(v, h) = -a.v - b.h - v W h
//   gaussian: E(v, h) = |v - a|^2 / 2 - b.h - v W h
// so that P(h_j = 1 | v) = sigmoid(b_j + sum_i v_i W_ij) and P(v_i = 1 | h) =
// sigmoid(a_i + sum_j W_ij h_j) (gaussian: v_i ~ N(a_i + sum_j W_ij h_j, 1)).
// The lecture's notation (Marquardt, lecture 9): a visible biases, b hidden ones.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public enum VisibleUnits: String, Sendable {
    case binary, gaussian
}

public final class RBM {
    public let visible: Int
    public let hidden: Int
    public let units: VisibleUnits
    /// W, [visible, hidden].
    public var weights: Tensor
    /// a, [visible].
    public var visibleBias: Tensor
    /// b, [hidden].
    public var hiddenBias: Tensor
    /// What training keeps between calls: the momentum's velocities and the
    /// persistent chains (hidden samples) of PCD.
    var velocity: [Double] = []
    var persistentChains: [Double] = []

    /// Weights N(0, std^2), biases zero (Hinton's guide, section 8). A machine whose
    /// weights cannot be held is an error before anything is allocated.
    public init(visible: Int, hidden: Int, units: VisibleUnits = .binary, std: Double = 0.01,
                using random: inout Xoshiro256) throws {
        guard visible >= 1, hidden >= 1 else {
            throw OperationError("rbm", "a machine needs at least one visible and one hidden unit, got \(visible) and \(hidden).")
        }
        try RBM.checkSize(visible, hidden)
        self.visible = visible; self.hidden = hidden; self.units = units
        weights = try Tensor.randn([visible, hidden], using: &random)
        if std != 1 { try weights.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= std } } }
        visibleBias = try Tensor.zeros([visible])
        hiddenBias = try Tensor.zeros([hidden])
    }

    /// A machine with the given parameters (shapes checked).
    public init(weights: Tensor, visibleBias: Tensor, hiddenBias: Tensor, units: VisibleUnits) throws {
        guard weights.ndim == 2, visibleBias.shape == [weights.shape[0]], hiddenBias.shape == [weights.shape[1]] else {
            throw OperationError("rbm", "W must be [visible, hidden], a [visible] and b [hidden], got \(Tensor.formatShape(weights.shape)), \(Tensor.formatShape(visibleBias.shape)) and \(Tensor.formatShape(hiddenBias.shape)).")
        }
        self.visible = weights.shape[0]; self.hidden = weights.shape[1]; self.units = units
        self.weights = weights; self.visibleBias = visibleBias; self.hiddenBias = hiddenBias
    }

    /// The weights and what training keeps beside them (velocities, a gradient) are
    /// three [visible, hidden] arrays: more than the tensor limit, or than the
    /// machine's memory, is an error before allocating.
    public static func checkSize(_ visible: Int, _ hidden: Int) throws {
        try Tensor.checkShape([visible, hidden], "rbm")
        let (bytes, o) = (visible * hidden).multipliedReportingOverflow(by: 24)
        let memory = physicalMemory()
        if o || (memory > 0 && bytes > memory) {
            let gib = o ? "more than 2^63 bytes" : "\(formatGiB(bytes)) GiB"
            throw OperationError("rbm", "a machine of \(visible) x \(hidden) units needs \(gib) for its weights and their training state; this computer has \(formatGiB(memory)) GiB.",
                                 kind: .outOfMemory(bytes: o ? Int.max : bytes))
        }
    }

    static func physicalMemory() -> Int {
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && size > 0 { return pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size }
        #endif
        return 0
    }

    static func formatGiB(_ bytes: Int) -> String {
        let g = Double(bytes) / Double(1 << 30)
        return g >= 10 ? String(Int(g.rounded())) : String(Double(Int(g * 10)) / 10)
    }

    /// Visible biases from the data's means (Hinton's guide, section 8):
    /// a_i = log(p_i / (1 - p_i)) for binary units (p_i clipped to [0.001, 0.999]),
    /// the mean itself for gaussian ones.
    public func setVisibleBias(fromMeansOf data: Tensor) throws {
        let n = try RBM.rows(data, visible, "rbm")
        var a = [Double](repeating: 0, count: visible)
        data.withUnsafeBufferPointer { x in
            for r in 0..<n { for i in 0..<visible { a[i] += x[r &* visible &+ i] } }
        }
        for i in 0..<visible {
            let p = a[i] / Double(max(n, 1))
            if units == .binary {
                let q = min(max(p, 0.001), 0.999)
                a[i] = log(q / (1 - q))
            } else { a[i] = p }
        }
        visibleBias = try Tensor(a)
    }

    /// The number of samples in data, [n, visible] (or one sample [visible]), or an
    /// error naming the size that does not match.
    public static func rows(_ data: Tensor, _ visible: Int, _ op: String?) throws -> Int {
        if data.ndim == 1 && data.shape[0] == visible { return 1 }
        guard data.ndim == 2, data.shape[1] == visible else {
            let per = data.ndim == 2 ? "\(data.shape[1]) values per sample" : "shape \(Tensor.formatShape(data.shape))"
            throw OperationError(op, "the data has \(per), the machine has \(visible) visible units (expected [samples, \(visible)]).",
                                 kind: .shapes([data.shape, [visible]]))
        }
        return data.shape[0]
    }

    /// Checks the data for these visible units: finite, and in [0, 1] for binary ones.
    public func checkData(_ data: Tensor, _ op: String?) throws -> Int {
        let n = try RBM.rows(data, visible, op)
        try data.withUnsafeBufferPointer { x in
            for k in 0..<x.count {
                let v = x[k]
                if !v.isFinite || (units == .binary && (v < 0 || v > 1)) {
                    let at = data.ndim == 2 ? "[\(k / visible), \(k % visible)]" : "[\(k)]"
                    let what = units == .binary
                        ? "binary visible units take values in [0, 1] (a probability per unit), got \(describe(v)) at \(at); scale the data first (x / 255) or use rbm(..., units=\"gaussian\") for real values."
                        : "the data must be finite, got \(v) at \(at)."
                    throw OperationError(op, what)
                }
            }
        }
        return n
    }
}

/// A value for a message: 255 rather than 255.0.
func describe(_ v: Double) -> String {
    v.isFinite && v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
}

/// log(1 + e^x) without overflow.
@inline(__always)
func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
