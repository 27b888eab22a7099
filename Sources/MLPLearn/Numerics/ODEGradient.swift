// The integrators on graph variables, for gradients through odeint
// (discretize-then-optimize, as torchdiffeq's odeint without the adjoint): RK4
// with the same steps, and Dormand-Prince replayed along the accepted steps of an
// adaptive run on plain values. Those step sizes, chosen from the error estimate,
// are constants to the gradient, so the gradient is that of the discrete solution.
import MLPTensor
import MLPAutograd

extension ODE {
    /// The right-hand side on graph variables: dy/dt at (y, t), of y's shape.
    public typealias TrackedRHS = (_ y: Variable, _ t: Double) throws -> Variable

    /// y + h sum_j w[j] k[j] (zero weights skipped).
    static func advance(_ y: Variable, _ h: Double, _ k: [Variable], _ w: [Double]) throws -> Variable {
        var sum: Variable? = nil
        for (kj, wj) in zip(k, w) where wj != 0 {
            let term = try Variable.binary(.mul, kj, wj * h)
            sum = try sum.map { try $0 + term } ?? term
        }
        guard let sum else { return y }
        return try y + sum
    }

    /// Classical RK4 on variables, one step per interval of t: the states at every t.
    public static func rk4(_ f: TrackedRHS, _ y0: Variable, _ t: [Double]) throws -> [Variable] {
        var y = y0, out = [y0]
        for i in 1..<Swift.max(t.count, 1) {
            let h = t[i] - t[i - 1], tn = t[i - 1]
            let k1 = try f(y, tn)
            let k2 = try f(try advance(y, 0.5 * h, [k1], [1]), tn + 0.5 * h)
            let k3 = try f(try advance(y, 0.5 * h, [k2], [1]), tn + 0.5 * h)
            let k4 = try f(try advance(y, h, [k3], [1]), tn + h)
            y = try advance(y, h, [k1, k2, k3, k4], [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6])
            out.append(y)
        }
        return out
    }

    /// Dormand-Prince on variables along `path` (the accepted steps of `dopri5` with
    /// `Stats(record: true)` from the same y0 and t[0]): the states at every output time.
    public static func dopri5(_ f: TrackedRHS, _ y0: Variable, _ t0: Double, path: [AcceptedStep]) throws -> [Variable] {
        var y = y0, out = [y0]
        guard !path.isEmpty else { return out }
        var fy = try f(y, t0)
        for step in path {
            let h = step.h
            var k = [fy]
            for s in 1..<6 { k.append(try f(try advance(y, h, k, a[s]), step.t + c[s] * h)) }
            let yNew = try advance(y, h, k, b)
            let fNew = try f(yNew, step.t + h)
            k.append(fNew)
            for theta in step.thetas {
                // the dense output y + h sum_m theta^(m+1) (K^T P)[m]: weight sum_m P[j][m] theta^(m+1) on k[j]
                let w = p.map { row in
                    var s = 0.0, pw = theta
                    for m in 0..<4 { s += row[m] * pw; pw *= theta }
                    return s
                }
                out.append(try advance(y, h, k, w))
            }
            y = yNew; fy = fNew
        }
        return out
    }
}
