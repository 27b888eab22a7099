// Element-wise ops and their gradients. Broadcast operands get their gradient
// summed back to their own shape (`sum(to:)`).
import MLPTensor

extension Variable {
    /// a op b with NumPy broadcasting. Comparisons give constants (their derivative is zero where it exists).
    public static func binary(_ op: Tensor.BinaryOp, _ a: Variable, _ b: Variable) throws -> Variable {
        let x = a.value, y = b.value
        let out = try Tensor.binary(op, x, y)
        let sx = x.shape, sy = y.shape
        let na = a.requiresGrad, nb = b.requiresGrad
        func both(_ ga: () throws -> Tensor, _ gb: () throws -> Tensor) throws -> [Tensor?] {
            [na ? try ga().sum(to: sx) : nil, nb ? try gb().sum(to: sy) : nil]
        }
        switch op {
        case .add:
            return try make("+", out, [a, b]) { g in try both({ g }, { g }) }
        case .sub:
            return try make("-", out, [a, b]) { g in try both({ g }, { try g.map(.negate) }) }
        case .mul:
            return try make("*", out, [a, b]) { g in try both({ try g * y }, { try g * x }) }
        case .div:
            return try make("/", out, [a, b]) { g in try both({ try g / y }, { try (g * out).map(.negate) / y }) }
        case .pow:
            return try make("^", out, [a, b]) { g in
                try both({ try g * (try y * Tensor.binary(.pow, x, y - 1)) },
                         { try g * out * Variable.logOrZero(x, out) })
            }
        case .mod:
            return try make("%", out, [a, b]) { g in try both({ g }, { try g * (try x / y).map(.floor).map(.negate) }) }
        case .minimum, .maximum:
            // the gradient goes to the chosen operand; ties share it equally (as PyTorch)
            return try make(op.rawValue, out, [a, b]) { g in
                let pickA = try Tensor.binary(.eq, x, out), pickB = try Tensor.binary(.eq, y, out)
                let share = try pickA + pickB
                return try both({ try g * pickA / share }, { try g * pickB / share })
            }
        case .eq, .ne, .lt, .le, .gt, .ge:
            return Variable(constant: out)
        }
    }

    /// log(x) where x > 0, else 0: d(x^y)/dy = x^y log x, taken as 0 where x^y is 0 (PyTorch's convention).
    static func logOrZero(_ x: Tensor, _ out: Tensor) throws -> Tensor {
        try Tensor.where(Tensor.binary(.eq, out, 0), try Tensor.zeros(x.shape), x.map(.log))
    }

    /// a op c (or c op a when `reversed`) for a number c: the scalar kernels, no broadcast tensor.
    public static func binary(_ op: Tensor.BinaryOp, _ a: Variable, _ c: Double, reversed: Bool = false) throws -> Variable {
        let x = a.value
        switch (op, reversed) {
        case (.add, _):
            return try make("+", Tensor.binary(.add, x, c), [a]) { g in [g] }
        case (.sub, false):
            return try make("-", Tensor.binary(.sub, x, c), [a]) { g in [g] }
        case (.sub, true):
            return try make("-", Tensor.binary(.sub, c, x), [a]) { g in [try g.map(.negate)] }
        case (.mul, _):
            return try make("*", Tensor.binary(.mul, x, c), [a]) { g in [try Tensor.binary(.mul, g, c)] }
        case (.div, false):
            return try make("/", Tensor.binary(.div, x, c), [a]) { g in [try Tensor.binary(.div, g, c)] }
        case (.pow, false):
            if c == 2 { return try make("^", x.map(.square), [a]) { g in [try g * Tensor.binary(.mul, x, 2)] } }
            return try make("^", Tensor.binary(.pow, x, c), [a]) { g in [try g * Tensor.binary(.mul, Tensor.binary(.pow, x, c - 1), c)] }
        default:
            let k = Variable(constant: Tensor(scalar: c))
            return try reversed ? binary(op, k, a) : binary(op, a, k)
        }
    }

    public static func + (a: Variable, b: Variable) throws -> Variable { try binary(.add, a, b) }
    public static func - (a: Variable, b: Variable) throws -> Variable { try binary(.sub, a, b) }
    public static func * (a: Variable, b: Variable) throws -> Variable { try binary(.mul, a, b) }
    public static func / (a: Variable, b: Variable) throws -> Variable { try binary(.div, a, b) }

    /// The element-wise functions without a derivative (zero almost everywhere, useless for descent).
    public static let nonDifferentiable: Set<Tensor.UnaryOp> = [.floor, .ceil, .round, .sign]

    /// f(a) element-wise.
    public func unary(_ op: Tensor.UnaryOp) throws -> Variable {
        let x = value
        let out = try x.map(op)
        let name = op.rawValue
        let d: (Tensor) throws -> Tensor
        switch op {
        case .negate: d = { g in try g.map(.negate) }
        case .exp: d = { g in try g * out }
        case .log: d = { g in try g / x }
        case .sqrt: d = { g in try Tensor.binary(.mul, try g / out, 0.5) }
        case .sin: d = { g in try g * x.map(.cos) }
        case .cos: d = { g in try (g * x.map(.sin)).map(.negate) }
        case .tan: d = { g in try g * Tensor.binary(.add, out.map(.square), 1) }
        case .tanh: d = { g in try g * Tensor.binary(.sub, 1, out.map(.square)) }
        case .sigmoid: d = { g in try g * (try out * Tensor.binary(.sub, 1, out)) }
        case .abs: d = { g in try g * x.map(.sign) }
        case .relu: d = { g in try g * Tensor.binary(.gt, x, 0) }
        case .square: d = { g in try g * Tensor.binary(.mul, x, 2) }
        case .log1p: d = { g in try g / Tensor.binary(.add, x, 1) }
        case .expm1: d = { g in try g * Tensor.binary(.add, out, 1) }
        case .asin: d = { g in try g / Tensor.binary(.sub, 1, x.map(.square)).map(.sqrt) }
        case .acos: d = { g in try (g / Tensor.binary(.sub, 1, x.map(.square)).map(.sqrt)).map(.negate) }
        case .atan: d = { g in try g / Tensor.binary(.add, x.map(.square), 1) }
        case .sinh: d = { g in try g * x.map(.cosh) }
        case .cosh: d = { g in try g * x.map(.sinh) }
        case .reciprocal: d = { g in try (g * out.map(.square)).map(.negate) }
        case .floor, .ceil, .round, .sign:
            if requiresGrad { throw AutogradError(nil, "\(name) is not differentiable (its derivative is zero or undefined everywhere); apply it to detach(x) if no gradient should flow.") }
            return Variable(constant: out)
        }
        return try Variable.make(name, out, [self]) { g in [try d(g)] }
    }

    /// where(cond, a, b): a where cond is nonzero, else b; cond takes no gradient.
    public static func `where`(_ cond: Tensor, _ a: Variable, _ b: Variable) throws -> Variable {
        let out = try Tensor.where(cond, a.value, b.value)
        let sa = a.value.shape, sb = b.value.shape, na = a.requiresGrad, nb = b.requiresGrad
        return try make("where", out, [a, b]) { g in
            let zero = try Tensor.zeros(g.shape)
            return [na ? try Tensor.where(cond, g, zero).sum(to: sa) : nil,
                    nb ? try Tensor.where(cond, zero, g).sum(to: sb) : nil]
        }
    }

    /// Values limited to [lo, hi]; the gradient passes where the value was inside.
    public func clip(_ lo: Double?, _ hi: Double?) throws -> Variable {
        let x = value
        return try Variable.make("clip", x.clip(lo, hi), [self]) { g in
            var inside = try Tensor.ones(x.shape)
            if let lo { inside = try inside * Tensor.binary(.ge, x, lo) }
            if let hi { inside = try inside * Tensor.binary(.le, x, hi) }
            return [try g * inside]
        }
    }
}
