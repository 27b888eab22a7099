// percentile and median with gradients: the order statistics they interpolate are
// picked from the tensor by integer-array indexing (positions from argsort), so
// each value's gradient goes to the elements it was made of.
import MLPTensor
import MLPAutograd

extension Variable {
    /// The q-th percentiles (q in [0, 100]; `qs` nil: the median) along axis, NumPy's
    /// linear method; several qs stack on a new first axis. A lane holding nan gives nan.
    public func percentile(_ qs: [Double]?, axis: Int?, stacked: Bool, name: String) throws -> Variable {
        let x = value
        let (rows, n, outShape) = try x.lanesAsRows(axis, name)
        guard n > 0 else { throw AutogradError(name, "cannot take the \(name) of an empty tensor\(axis == nil ? "" : " along axis \(axis!)").") }
        let lanes = rows.count / n
        // the same lanes as rows of this variable
        let rv: Variable
        if let axis {
            let a = try x.normalizeAxis(axis, name)
            var order = Array(0..<x.ndim); order.remove(at: a); order.append(a)
            rv = try (a == x.ndim - 1 ? self : try permute(order)).reshaped([lanes, n])
        } else { rv = try reshaped([1, x.count]) }
        let sortedAt = try rows.argsort(axis: 1).scalars   // column of the k-th smallest, per lane
        let rowValues = rows.scalars
        var nanLanes = [Double](repeating: 0, count: lanes)
        for l in 0..<lanes where rowValues[(l * n)..<(l * n + n)].contains(where: \.isNaN) { nanLanes[l] = 1 }
        let laneIdx = try Tensor((0..<lanes).map(Double.init))
        func pick(_ k: Int) throws -> Variable {
            try rv.get([.indices(laneIdx), .indices(try Tensor((0..<lanes).map { sortedAt[$0 * n + k] }))])
        }
        var parts: [Variable] = []
        for q in qs ?? [50] {
            let r: Variable
            if qs == nil {
                r = try Variable.binary(.div, try pick((n - 1) / 2) + pick(n / 2), 2)
            } else {
                let pos = q / 100 * Double(n - 1)
                let lo = Swift.min(Int(pos.rounded(.down)), n - 1), hi = Swift.min(lo + 1, n - 1), t = pos - Double(lo)
                let a = try pick(lo), b = try pick(hi), d = try b - a
                // NumPy's _lerp
                r = t >= 0.5 ? try b - Variable.binary(.mul, d, 1 - t) : try a + Variable.binary(.mul, d, t)
            }
            let withNaN = try Variable.where(try Tensor(nanLanes), Variable(constant: Tensor(scalar: .nan)), r)
            parts.append(try withNaN.reshaped(outShape))
        }
        return stacked ? try Variable.stack(parts, axis: 0) : parts[0]
    }
}
