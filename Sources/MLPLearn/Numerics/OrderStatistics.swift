// Order statistics, histograms and interpolation with NumPy's conventions:
// percentile by linear interpolation between order statistics (NumPy's default
// method, with its lerp), median as the mean of the two middle values, histogram
// bins closed on the left except the last, interp piecewise linear.
import MLPTensor

extension Tensor {
    /// The lanes along `axis` (the flattened tensor when nil) as rows of a
    /// [lanes, n] tensor, and the shape that one value per lane takes.
    func lanesAsRows(_ axis: Int?, _ name: String) throws -> (rows: Tensor, n: Int, outShape: [Int]) {
        guard let axis else { return (try reshaped([1, count]), count, []) }
        let a = try normalizeAxis(axis, name)
        var order = Array(0..<ndim)
        order.remove(at: a); order.append(a)
        let n = shape[a]
        var rest = shape; rest.remove(at: a)
        let moved = a == ndim - 1 ? self : try permute(order)
        return (try moved.reshaped([rest.reduce(1, *), n]), n, rest)
    }

    /// The q-th percentiles (q in [0, 100]) along axis; one result per q, the q axis first
    /// when q is a list (`qs` nil: the median). A lane with nan gives nan.
    public func percentile(_ qs: [Double]?, axis: Int?, name: String) throws -> (values: [Double], lanes: Int, outShape: [Int]) {
        let (rows, n, outShape) = try lanesAsRows(axis, name)
        guard n > 0 else { throw TensorError(name, "cannot take the \(name) of an empty tensor\(axis == nil ? "" : " along axis \(axis!)").") }
        let lanes = rows.count / n
        let qlist = qs ?? [50]
        var out = [Double](repeating: 0, count: qlist.count * lanes)
        // each lane copied and partially ordered by selection (as NumPy's partition), not sorted
        let buf = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { buf.deallocate() }
        rows.withUnsafeBufferPointer { p in
            for l in 0..<lanes {
                buf.update(from: p.baseAddress! + l * n, count: n)
                if (0..<n).contains(where: { buf[$0].isNaN }) { for k in qlist.indices { out[k * lanes + l] = .nan }; continue }
                for (k, q) in qlist.enumerated() {
                    if qs == nil {   // median: the middle value, or the mean of the two
                        Tensor.select(buf, n, n / 2)
                        let b = buf[n / 2]
                        out[k * lanes + l] = n % 2 == 1 ? b : ((0..<(n / 2)).reduce(-Double.infinity) { Swift.max($0, buf[$1]) } + b) / 2
                        continue
                    }
                    let pos = q / 100 * Double(n - 1)
                    let lo = Swift.min(Int(pos.rounded(.down)), n - 1), hi = Swift.min(lo + 1, n - 1)
                    Tensor.select(buf, n, lo)
                    let a = buf[lo], b = hi == lo ? a : ((lo + 1)..<n).reduce(Double.infinity) { Swift.min($0, buf[$1]) }
                    let t = pos - Double(lo), d = b - a
                    out[k * lanes + l] = t >= 0.5 ? b - d * (1 - t) : a + d * t   // NumPy's _lerp
                }
            }
        }
        return (out, lanes, outShape)
    }

    /// NumPy's histogram: counts in `bins` equal bins over [lo, hi] (the data's
    /// range by default), or in the bins between the given increasing edges; the
    /// last bin includes its right edge, values outside are not counted.
    public static func histogram(_ x: Tensor, bins: Int?, edges given: [Double]?, range: (Double, Double)?) throws -> (counts: Tensor, edges: Tensor) {
        let xs = x.scalars
        var edges: [Double]
        if let given {
            guard given.count >= 2 else { throw TensorError("histogram", "bin edges must be at least 2 numbers, got \(given.count).") }
            for i in 1..<given.count where !(given[i] >= given[i - 1]) {
                throw TensorError("histogram", "bin edges must increase monotonically, got \(Tensor.formatNumber(given[i - 1])) then \(Tensor.formatNumber(given[i])).")
            }
            edges = given
        } else {
            let n = bins ?? 10
            var lo: Double, hi: Double
            if let range { (lo, hi) = range } else if xs.isEmpty { (lo, hi) = (0, 1) } else {
                guard xs.allSatisfy(\.isFinite) else {
                    throw TensorError("histogram", "the data holds nan or inf, so its range is not finite; give range=[lo, hi] or remove them.")
                }
                lo = xs.min()!; hi = xs.max()!
            }
            if lo == hi { lo -= 0.5; hi += 0.5 }
            // np.linspace: i * step + start, the last edge exactly hi
            let step = (hi - lo) / Double(n)
            edges = (0...n).map { Double($0) * step + lo }
            edges[n] = hi
        }
        let nb = edges.count - 1
        var counts = [Double](repeating: 0, count: nb)
        let first = edges[0], last = edges[nb]
        for v in xs where v >= first && v <= last {
            // the last edge <= v (binary search), the top edge in the last bin
            var lo = 0, hi = nb
            while hi - lo > 1 { let mid = (lo + hi) / 2; if edges[mid] <= v { lo = mid } else { hi = mid } }
            counts[lo] += 1
        }
        return (try Tensor(counts), try Tensor(edges))
    }

    /// Moves the k-th smallest of buf[0..<n] (no nan) to buf[k], the smaller ones before it
    /// and the larger after (Hoare's selection with a median-of-three pivot).
    static func select(_ buf: UnsafeMutablePointer<Double>, _ n: Int, _ k: Int) {
        var lo = 0, hi = n - 1
        @inline(__always) func swap(_ i: Int, _ j: Int) { let t = buf[i]; buf[i] = buf[j]; buf[j] = t }
        while hi > lo {
            let mid = lo + (hi - lo) / 2
            if buf[mid] < buf[lo] { swap(lo, mid) }
            if buf[hi] < buf[lo] { swap(lo, hi) }
            if buf[hi] < buf[mid] { swap(mid, hi) }
            let pivot = buf[mid]
            var i = lo, j = hi
            while i <= j {
                while buf[i] < pivot { i += 1 }
                while buf[j] > pivot { j -= 1 }
                if i <= j { swap(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }

    /// The position of v among increasing xp: j with xp[j] <= v < xp[j + 1] (clamped to 0...n-2).
    static func interval(_ xp: UnsafeBufferPointer<Double>, _ v: Double) -> Int {
        var lo = 0, hi = xp.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if xp[mid] <= v { lo = mid } else { hi = mid } }
        return lo
    }
}
