// odeint: ordinary differential equations dy/dt = f(y, t) with f an mlp function,
// integrated by MLPLearn's Dormand-Prince 5(4) (adaptive, the default) or RK4.
import MLPLang
import MLPTensor
import MLPLearn

enum ODELib {
    static func register(_ r: inout Registry) {
        r.fn("odeint", [p("f"), p("y0"), p("t"), Param("method", .string("rk45"), keywordOnly: true),
                        Param("rtol", .number(1e-8), keywordOnly: true), Param("atol", .number(1e-10), keywordOnly: true),
                        Param("max_steps", .number(1_000_000), keywordOnly: true)],
             doc: "Solves dy/dt = f(y, t) from y(t[0]) = y0 and returns y at every time of t (increasing): a tensor [len(t)] + shape(y0). method \"rk45\" (default) is the adaptive Dormand-Prince pair with dense output, steps kept within rtol/atol (SciPy's RK45 control); \"rk4\" takes one classical Runge-Kutta step per interval of t.",
             example: "odeint((y, t) -> -y, 1, linspace(0, 1, 3))[2]   # 0.3678794419760673") { a throws(MLPError) in
            let f = try a.callable(0)
            let y0 = try a.untrackedTensor(1)
            let ts = try a.untrackedTensor(2)
            guard ts.ndim == 1, ts.count >= 1 else { throw a.error("t must be a vector of at least one time, got shape \(Tensor.formatShape(ts.shape)).", at: 2) }
            let t = ts.scalars
            for i in t.indices where !t[i].isFinite { throw a.error("times must be finite, got \(formatNumber(t[i])).", at: 2) }
            for i in t.indices.dropFirst() where !(t[i] > t[i - 1]) {
                throw a.error("times must increase, got \(formatNumber(t[i - 1])) then \(formatNumber(t[i])).", at: 2)
            }
            let method = try a.string(3)
            let rtol = try a.number(4), atol = try a.number(5), maxSteps = try a.int(6, atLeast: 1)
            guard rtol > 0, rtol.isFinite else { throw a.error("'rtol' must be positive, got \(formatNumber(rtol)).", at: 4) }
            guard atol >= 0, atol.isFinite else { throw a.error("'atol' must be at least 0, got \(formatNumber(atol)).", at: 5) }
            let shape = y0.shape, scalarState = y0.ndim == 0, args = a
            do { try Tensor.checkShape([t.count] + shape, "odeint") } catch { throw a.nativeError(error) }   // the result fits
            // f(y, t) with y as y0 is (a number or a tensor); its value must have y's size
            let rhs: ODE.RHS = { y, tc in
                let yv: Value = scalarState ? .number(y[0]) : .object(TensorValue(try Tensor(y, shape: shape)))
                let out = try args.call(f, [yv, .number(tc)])
                let d: Tensor
                do { d = try TensorValue.fromNested(out) } catch {
                    throw args.error("f must return a number or tensor (dy/dt), got \(describeForError(out)).", at: 0)
                }
                guard d.count == y.count else {
                    throw args.error("f returned shape \(Tensor.formatShape(d.shape)) for a state of shape \(Tensor.formatShape(shape)).", at: 0)
                }
                return d.scalars
            }
            let states: [[Double]]
            do {
                switch method {
                case "rk45", "dopri5", "RK45":
                    var stats = ODE.Stats()
                    states = try ODE.dopri5(rhs, y0.scalars, t, rtol: rtol, atol: atol, maxSteps: maxSteps, stats: &stats)
                case "rk4", "RK4": states = try ODE.rk4(rhs, y0.scalars, t)
                default: throw a.error("method must be \"rk45\" (adaptive Dormand-Prince) or \"rk4\" (fixed steps), got \"\(method)\".", at: 3)
                }
            } catch { throw a.nativeError(error) }
            return try a.newTensor { try Tensor(states.flatMap { $0 }, shape: [t.count] + shape) }
        }
    }
}
