// Element-wise ops on variables: the forward kernels are MLPTensor's, the
// derivatives Derivatives.swift's. Broadcast operands get their gradient summed
// back to their own shape (`sum(to:)`).
import MLPTensor

extension Variable {
    /// a op b with NumPy broadcasting. Comparisons give constants.
    public static func binary(_ op: Tensor.BinaryOp, _ a: Variable, _ b: Variable) throws -> Variable {
        let x = a.value, y = b.value
        let out = try Tensor.binary(op, x, y)
        guard let (dx, dy) = op.partials else { return Variable(constant: out) }
        let sx = x.shape, sy = y.shape, na = a.requiresGrad, nb = b.requiresGrad
        return try make(op.symbol, out, [a, b]) { g in
            [na ? try dx(g, x, y, out).sum(to: sx) : nil, nb ? try dy(g, x, y, out).sum(to: sy) : nil]
        }
    }

    /// a op c (or c op a when `reversed`) for a number c: no tensor operand is tracked,
    /// and only a's gradient is worked out (the derivative sees c as a 0-d tensor).
    public static func binary(_ op: Tensor.BinaryOp, _ a: Variable, _ c: Double, reversed: Bool = false) throws -> Variable {
        let x = a.value
        let out: Tensor
        switch (op, reversed) {
        case (.add, _), (.sub, _), (.mul, _): out = reversed ? try Tensor.binary(op, c, x) : try Tensor.binary(op, x, c)
        case (.div, false): out = try Tensor.binary(.div, x, c)
        case (.pow, false) where c == 2: return try a.unary(.square)   // x * x and 2x, cheaper than pow
        case (.pow, false): out = try Tensor.binary(.pow, x, c)
        default:
            let k = Variable(constant: Tensor(scalar: c))
            return try reversed ? binary(op, k, a) : binary(op, a, k)
        }
        guard let (dx, dy) = op.partials else { return Variable(constant: out) }
        let k = Tensor(scalar: c)
        return try make(op.symbol, out, [a]) { g in [reversed ? try dy(g, k, x, out) : try dx(g, x, k, out)] }
    }

    public static func + (a: Variable, b: Variable) throws -> Variable { try binary(.add, a, b) }
    public static func - (a: Variable, b: Variable) throws -> Variable { try binary(.sub, a, b) }
    public static func * (a: Variable, b: Variable) throws -> Variable { try binary(.mul, a, b) }
    public static func / (a: Variable, b: Variable) throws -> Variable { try binary(.div, a, b) }

    /// The element-wise functions without a derivative.
    public static let nonDifferentiable = Set(Tensor.UnaryOp.allCases.filter { $0.derivative == nil })

    /// f(a) element-wise.
    public func unary(_ op: Tensor.UnaryOp) throws -> Variable {
        let x = value
        let out = try x.map(op)
        guard let d = op.derivative else {
            if requiresGrad { throw AutogradError(nil, "\(op.rawValue) is not differentiable (its derivative is zero or undefined everywhere); apply it to detach(x) if no gradient should flow.") }
            return Variable(constant: out)
        }
        return try Variable.make(op.rawValue, out, [self]) { g in [try d(g, x, out)] }
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
