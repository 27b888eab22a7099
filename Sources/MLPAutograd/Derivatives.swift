// The derivative of every element-wise op, declared once next to its name: the
// forward kernel is the op's case in MLPTensor (Tensor.map / Tensor.binary), and
// `Variable.unary` / `Variable.binary` build the graph node from these rules.
// Adding an op to Tensor.UnaryOp or BinaryOp: the exhaustive switches below ask
// for its derivative, and GradientTests checks every case against finite
// differences by enumerating allCases.
import MLPTensor

extension Tensor.UnaryOp {
    /// The gradient of x from the output's gradient g, x and out = f(x); nil for the
    /// ops without a derivative (zero almost everywhere, useless for descent).
    public var derivative: (@Sendable (_ g: Tensor, _ x: Tensor, _ out: Tensor) throws -> Tensor)? {
        switch self {
        case .negate: { g, _, _ in try g.map(.negate) }
        case .exp: { g, _, out in try g * out }
        case .log: { g, x, _ in try g / x }
        case .sqrt: { g, _, out in try Tensor.binary(.mul, try g / out, 0.5) }
        case .sin: { g, x, _ in try g * x.map(.cos) }
        case .cos: { g, x, _ in try (g * x.map(.sin)).map(.negate) }
        case .tan: { g, _, out in try g * Tensor.binary(.add, out.map(.square), 1) }
        case .tanh: { g, _, out in try g * Tensor.binary(.sub, 1, out.map(.square)) }
        case .sigmoid: { g, _, out in try g * (try out * Tensor.binary(.sub, 1, out)) }
        case .abs: { g, x, _ in try g * x.map(.sign) }
        case .relu: { g, x, _ in try g * Tensor.binary(.gt, x, 0) }
        case .square: { g, x, _ in try g * Tensor.binary(.mul, x, 2) }
        case .log1p: { g, x, _ in try g / Tensor.binary(.add, x, 1) }
        case .expm1: { g, _, out in try g * Tensor.binary(.add, out, 1) }
        case .asin: { g, x, _ in try g / Tensor.binary(.sub, 1, x.map(.square)).map(.sqrt) }
        case .acos: { g, x, _ in try (g / Tensor.binary(.sub, 1, x.map(.square)).map(.sqrt)).map(.negate) }
        case .atan: { g, x, _ in try g / Tensor.binary(.add, x.map(.square), 1) }
        case .sinh: { g, x, _ in try g * x.map(.cosh) }
        case .cosh: { g, x, _ in try g * x.map(.sinh) }
        case .reciprocal: { g, _, out in try (g * out.map(.square)).map(.negate) }
        case .log2: { g, x, _ in try g / Tensor.binary(.mul, x, 0.6931471805599453) }
        case .log10: { g, x, _ in try g / Tensor.binary(.mul, x, 2.302585092994046) }
        // d erf/dx = 2/sqrt(pi) exp(-x^2)
        case .erf: { g, x, _ in try g * Tensor.binary(.mul, x.map(.square).map(.negate).map(.exp), 2 / Double.pi.squareRoot()) }
        case .floor, .ceil, .round, .sign: nil
        }
    }
}

extension Tensor.BinaryOp {
    /// One partial derivative: the gradient of an operand (before summing over its
    /// broadcast axes) from the output's gradient g, x, y and out = x op y.
    public typealias Partial = @Sendable (_ g: Tensor, _ x: Tensor, _ y: Tensor, _ out: Tensor) throws -> Tensor

    /// The gradients of x and of y; nil for the comparisons, whose results are constants
    /// (their derivative is zero where it exists).
    public var partials: (dx: Partial, dy: Partial)? {
        switch self {
        case .add: ({ g, _, _, _ in g }, { g, _, _, _ in g })
        case .sub: ({ g, _, _, _ in g }, { g, _, _, _ in try g.map(.negate) })
        case .mul: ({ g, _, y, _ in try g * y }, { g, x, _, _ in try g * x })
        case .div: ({ g, _, y, _ in try g / y }, { g, _, y, out in try (g * out).map(.negate) / y })
        case .pow:
            ({ g, x, y, _ in try g * (try y * Tensor.binary(.pow, x, y - 1)) },
             { g, x, _, out in try g * out * Tensor.logOrZero(x, out) })
        case .mod: ({ g, _, _, _ in g }, { g, x, y, _ in try g * (try x / y).map(.floor).map(.negate) })
        case .minimum, .maximum:
            // the gradient goes to the chosen operand; ties share it equally (as PyTorch)
            ({ g, x, y, out in
                let pickA = try Tensor.binary(.eq, x, out)
                return try g * pickA / (try pickA + Tensor.binary(.eq, y, out)) },
             { g, x, y, out in
                let pickB = try Tensor.binary(.eq, y, out)
                return try g * pickB / (try Tensor.binary(.eq, x, out) + pickB) })
        case .atan2:
            // atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
            ({ g, y, x, _ in try g * x / (try y.map(.square) + x.map(.square)) },
             { g, y, x, _ in try (g * y).map(.negate) / (try y.map(.square) + x.map(.square)) })
        case .eq, .ne, .lt, .le, .gt, .ge: nil
        }
    }

    /// The op's name in the graph and its messages ("the gradient through ^ is nan").
    var symbol: String {
        switch self {
        case .add: "+"
        case .sub: "-"
        case .mul: "*"
        case .div: "/"
        case .pow: "^"
        case .mod: "%"
        default: rawValue
        }
    }
}

extension Tensor {
    /// log(x) where x > 0, else 0: d(x^y)/dy = x^y log x, taken as 0 where x^y is 0 (PyTorch's convention).
    static func logOrZero(_ x: Tensor, _ out: Tensor) throws -> Tensor {
        try Tensor.where(Tensor.binary(.eq, out, 0), try Tensor.zeros(x.shape), x.map(.log))
    }
}
