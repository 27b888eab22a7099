// Initial-value problems dy/dt = f(y, t): the adaptive Dormand-Prince 5(4) pair
// (SciPy's RK45: same tableau, error norm, step control and dense output) and
// classical fourth-order Runge-Kutta with one step per output interval.
// The state is a flat array; f is the caller's (an mlp function for odeint).
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public enum ODE {
    /// The right-hand side: the derivative at (y, t), of y's length.
    public typealias RHS = (_ y: [Double], _ t: Double) throws -> [Double]

    /// Classical RK4 from t[0], one step from each t[i] to t[i + 1]: the states at every t.
    public static func rk4(_ f: RHS, _ y0: [Double], _ t: [Double]) throws -> [[Double]] {
        var y = y0, out = [y0]
        out.reserveCapacity(t.count)
        for i in 1..<Swift.max(t.count, 1) {
            let h = t[i] - t[i - 1], tn = t[i - 1]
            let k1 = try f(y, tn)
            let k2 = try f(axpy(y, 0.5 * h, k1), tn + 0.5 * h)
            let k3 = try f(axpy(y, 0.5 * h, k2), tn + 0.5 * h)
            let k4 = try f(axpy(y, h, k3), tn + h)
            for j in y.indices { y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]) }
            out.append(y)
        }
        return out
    }

    // Dormand-Prince 5(4): nodes, stages, 5th-order weights, error weights (b - b*, with
    // the FSAL stage) and the coefficients of the 4th-order dense output (Hairer; SciPy's P).
    static let c: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1]
    static let a: [[Double]] = [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
    ]
    static let b: [Double] = [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]
    static let e: [Double] = [-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40]
    static let p: [[Double]] = [
        [1, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432],
        [0, 0, 0, 0],
        [0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933, 87487479700.0 / 32700410799],
        [0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072],
        [0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408, 701980252875.0 / 199316789632],
        [0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844],
        [0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423],
    ]

    /// What an adaptive integration did.
    public struct Stats {
        public var steps = 0, rejected = 0, evaluations = 0
        /// Whether `path` records the accepted steps (for a replay on graph variables).
        public var record = false
        public var path: [AcceptedStep] = []
        public init(record: Bool = false) { self.record = record }
    }

    /// An accepted Dormand-Prince step from t of size h, and the output times it
    /// covers as fractions theta of h (its dense output).
    public struct AcceptedStep {
        public let t: Double, h: Double, thetas: [Double]
    }

    /// Adaptive Dormand-Prince from t[0] (t increasing): the states at every t, each
    /// from the dense output of the step that covers it. Steps are accepted when the
    /// RMS of err / (atol + rtol max(|y|, |y_new|)) is at most 1.
    public static func dopri5(_ f: RHS, _ y0: [Double], _ t: [Double], rtol: Double, atol: Double,
                              maxSteps: Int = 1_000_000, stats: inout Stats) throws -> [[Double]] {
        var out = [y0]
        guard t.count > 1 else { return out }
        let n = y0.count, tEnd = t[t.count - 1]
        var y = y0, tc = t[0]
        var fy = try f(y, tc); stats.evaluations += 1
        func rms(_ v: [Double], _ scale: [Double]) -> Double {
            if v.isEmpty { return 0 }
            var s = 0.0
            for i in v.indices { let q = v[i] / scale[i]; s += q * q }
            return (s / Double(v.count)).squareRoot()
        }
        // initial step (Hairer, Norsett & Wanner II.4; SciPy's select_initial_step)
        var h: Double
        do {
            let scale = y.map { atol + Swift.abs($0) * rtol }
            let d0 = rms(y, scale), d1 = rms(fy, scale)
            let h0 = Swift.min((d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1, tEnd - tc)
            let f1 = try f(axpy(y, h0, fy), tc + h0); stats.evaluations += 1
            let d2 = rms(zip(f1, fy).map { $0 - $1 }, scale) / h0
            let h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? Swift.max(1e-6, h0 * 1e-3) : Glibc.pow(0.01 / Swift.max(d1, d2), 1.0 / 5)
            h = Swift.min(100 * h0, h1, tEnd - tc)
        }
        /// sum_j w[j] k[j][i] for every i (SciPy's np.dot(K.T, w)).
        func combine(_ k: [[Double]], _ w: [Double]) -> [Double] {
            var r = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for j in w.indices { s += k[j][i] * w[j] }
                r[i] = s
            }
            return r
        }
        var next = 1   // the next output time
        var k = [[Double]](repeating: [], count: 7)
        var rejectedBefore = false
        while next < t.count {
            if stats.steps >= maxSteps {
                throw OperationError("odeint", "reached \(maxSteps) steps at t = \(Tensor.formatNumber(tc)) before t = \(Tensor.formatNumber(tEnd)); the problem may be stiff, or rtol/atol too small.")
            }
            let minStep = 10 * (tc.nextUp - tc)
            if h < minStep {
                throw OperationError("odeint", "the step size fell below the spacing of floating-point numbers at t = \(Tensor.formatNumber(tc)) (a singularity?).")
            }
            h = Swift.min(h, tEnd - tc)
            k[0] = fy
            for s in 1..<6 {
                let dy = combine(Array(k[0..<s]), a[s])
                k[s] = try f((0..<n).map { y[$0] + dy[$0] * h }, tc + c[s] * h)
            }
            let step = combine(Array(k[0..<6]), b)
            let yNew = (0..<n).map { y[$0] + h * step[$0] }
            let fNew = try f(yNew, tc + h)
            k[6] = fNew
            stats.evaluations += 6
            guard yNew.allSatisfy(\.isFinite) else {
                throw OperationError("odeint", "the solution is not finite at t = \(Tensor.formatNumber(tc + h)) (it blows up, or f returned nan or inf).")
            }
            let err = combine(k, e).map { $0 * h }
            let scale = (0..<n).map { atol + Swift.max(Swift.abs(y[$0]), Swift.abs(yNew[$0])) * rtol }
            let norm = rms(err, scale)
            if !(norm < 1) {
                stats.rejected += 1
                rejectedBefore = true
                h *= Swift.max(0.2, 0.9 * Glibc.pow(norm, -1.0 / 5))
                continue
            }
            // accepted: every requested time in (tc, tc + h] from the dense output
            let tNew = tc + h
            let first = next
            if next < t.count && t[next] <= tNew {
                let q = (0..<4).map { m in combine(k, p.map { $0[m] }) }   // SciPy's Q = K.T @ P
                while next < t.count && t[next] <= tNew {
                    let theta = (t[next] - tc) / h
                    var yi = y
                    for i in 0..<n {
                        var s = 0.0, pw = theta
                        for m in 0..<4 { s += q[m][i] * pw; pw *= theta }
                        yi[i] += h * s
                    }
                    out.append(yi)
                    next += 1
                }
            }
            if stats.record { stats.path.append(AcceptedStep(t: tc, h: h, thetas: t[first..<next].map { ($0 - tc) / h })) }
            stats.steps += 1
            y = yNew; fy = fNew; tc = tNew
            var factor = norm == 0 ? 10 : Swift.min(10, 0.9 * Glibc.pow(norm, -1.0 / 5))
            if rejectedBefore { factor = Swift.min(1, factor); rejectedBefore = false }
            h *= factor
        }
        return out
    }

    static func axpy(_ y: [Double], _ s: Double, _ x: [Double]) -> [Double] {
        var r = y
        for i in r.indices { r[i] += s * x[i] }
        return r
    }
}
