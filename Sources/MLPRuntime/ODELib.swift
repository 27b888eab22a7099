// odeint: ordinary differential equations dy/dt = f(y, t) with f an mlp function,
// integrated by MLPLearn's Dormand-Prince 5(4) (adaptive, the default) or RK4.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

enum ODELib {
    static func register(_ r: inout Registry) {
        r.fn("odeint", [p("f"), p("y0"), p("t"), Param("method", .string("rk45"), keywordOnly: true),
                        Param("rtol", .number(1e-8), keywordOnly: true), Param("atol", .number(1e-10), keywordOnly: true),
                        Param("max_steps", .number(1_000_000), keywordOnly: true)],
             doc: "Solves dy/dt = f(y, t) from y(t[0]) = y0 and returns y at every time of t (increasing): a tensor [len(t)] + shape(y0). method \"rk45\" (default) is the adaptive Dormand-Prince pair with dense output, steps kept within rtol/atol (SciPy's RK45 control); \"rk4\" takes one classical Runge-Kutta step per interval of t. Differentiable with respect to y0 and to tensors f uses (a network's weights): grad runs the same steps on the graph, the step sizes rk45 chose taken as constants (discretize-then-optimize, as torchdiffeq), so the gradient is that of the computed solution.",
             example: "odeint((y, t) -> -y, 1, linspace(0, 1, 3))[2]   # 0.3678794419760673") { a throws(MLPError) in
            let f = try a.callable(0)
            let y0v = try a.variable(1), y0 = y0v.value
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
            guard ["rk45", "dopri5", "RK45", "rk4", "RK4"].contains(method) else {
                throw a.error("method must be \"rk45\" (adaptive Dormand-Prince) or \"rk4\" (fixed steps), got \"\(method)\".", at: 3)
            }
            let adaptive = method != "rk4" && method != "RK4"
            let shape = y0.shape, scalarState = y0.ndim == 0, args = a
            do { try Tensor.checkShape([t.count] + shape, "odeint") } catch { throw a.nativeError(error) }   // the result fits
            /// Nested lists of numbers and tensors (some tracked) as one graph variable.
            func stacked(_ v: Value) throws -> Variable {
                switch v {
                case .number(let x): return Variable(constant: Tensor(scalar: x))
                case .object(let o as TensorValue): return o.variable
                case .list(let l): return try Variable.stack(try l.items.map { try stacked($0) }, axis: 0)
                default: throw OperationError("odeint", "not a number or tensor")
                }
            }
            // f's value at (y, t) (a number, list or tensor of y's size), and its node when tracked
            func derivative(_ yv: Value, _ tc: Double) throws(MLPError) -> (value: Tensor, node: Variable?) {
                let out = try args.call(f, [yv, .number(tc)])
                let d: (value: Tensor, node: Variable?)
                if case .object(let o as TensorValue) = out { d = (o.t, o.node) } else {
                    do { d = (try TensorValue.fromNested(out), nil) } catch {
                        // a list of tracked values ([s[1], -k * s[0]] under grad) is stacked on the graph
                        guard case .list = out, let v = try? stacked(out) else {
                            throw args.error("f must return a number or tensor (dy/dt), got \(describeForError(out)).", at: 0)
                        }
                        d = (v.value, v.requiresGrad ? v : nil)
                    }
                }
                guard d.value.count == y0.count else {
                    throw args.error("f returned shape \(Tensor.formatShape(d.value.shape)) for a state of shape \(Tensor.formatShape(shape)).", at: 0)
                }
                return d
            }
            // on plain values; a tracked value of f (it uses a tensor grad differentiates) stops
            // the run unless `detach` (the adaptive run that chooses the steps for the replay)
            struct Tracked: Error {}
            func rhs(detach: Bool) -> ODE.RHS {
                { y, tc in
                    let d = try derivative(scalarState ? .number(y[0]) : .object(TensorValue(try Tensor(y, shape: shape))), tc)
                    if d.node != nil && !detach { throw Tracked() }
                    return d.value.scalars
                }
            }
            if !y0v.requiresGrad {
                do {
                    var stats = ODE.Stats()
                    let states = adaptive ? try ODE.dopri5(rhs(detach: false), y0.scalars, t, rtol: rtol, atol: atol, maxSteps: maxSteps, stats: &stats)
                        : try ODE.rk4(rhs(detach: false), y0.scalars, t)
                    return try a.newTensor { try Tensor(states.flatMap { $0 }, shape: [t.count] + shape) }
                } catch is Tracked {   // f uses a tensor grad differentiates: the graph path below
                } catch { throw a.nativeError(error) }
            }
            // through the graph: the same steps on variables
            let trhs: ODE.TrackedRHS = { y, tc in
                let (value, node) = try derivative(scalarState && !y.requiresGrad ? .number(y.value.scalars[0]) : .object(TensorValue(y)), tc)
                let d = node ?? Variable(constant: value)
                return value.shape == shape ? d : try d.reshaped(shape)
            }
            return try TensorLib.track(a) {
                let states: [Variable]
                if adaptive {
                    var stats = ODE.Stats(record: true)
                    _ = try ODE.dopri5(rhs(detach: true), y0.scalars, t, rtol: rtol, atol: atol, maxSteps: maxSteps, stats: &stats)
                    states = try ODE.dopri5(trhs, y0v, t[0], path: stats.path)
                } else {
                    states = try ODE.rk4(trhs, y0v, t)
                }
                return try Variable.stack(states, axis: 0)
            }
        }
    }
}
