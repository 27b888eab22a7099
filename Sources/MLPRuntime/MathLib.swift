// Math on numbers; tensors (and other objects) take the same functions
// element-wise through `MLPObject.map`.
import MLPLang
import MLPTensor
import MLPAutograd
#if canImport(Glibc)
import Glibc
#endif

enum MathLib {
    static func register(_ r: inout Registry) {
        unary(&r, "abs", "Absolute value.", "abs(-2)   # 2") { Swift.abs($0) }
        unary(&r, "exp", "The exponential e^x.", "exp(1)   # 2.718281828459045") { Glibc.exp($0) }
        unary(&r, "log", "Natural logarithm (log(0) is -inf, negative x gives nan).", "log(exp(2))   # 2") { Glibc.log($0) }
        unary(&r, "sqrt", "Square root (negative x gives nan).", "sqrt(2)   # 1.4142135623730951") { $0.squareRoot() }
        unary(&r, "sin", "Sine (radians).", "sin(pi / 2)   # 1") { Glibc.sin($0) }
        unary(&r, "cos", "Cosine (radians).", "cos(0)   # 1") { Glibc.cos($0) }
        unary(&r, "tan", "Tangent (radians).", "tan(pi / 4)   # 0.9999999999999999") { Glibc.tan($0) }
        unary(&r, "tanh", "Hyperbolic tangent.", "tanh(0.5)   # 0.46211715726000974") { Glibc.tanh($0) }
        unary(&r, "sigmoid", "The logistic function 1/(1+e^-x).", "sigmoid(0)   # 0.5") { sigmoid($0) }
        unary(&r, "sinh", "Hyperbolic sine.", "sinh(1)   # 1.1752011936438014") { Glibc.sinh($0) }
        unary(&r, "cosh", "Hyperbolic cosine.", "cosh(1)   # 1.5430806348152437") { Glibc.cosh($0) }
        unary(&r, "asin", "Inverse sine, in [-pi/2, pi/2] (nan outside [-1, 1]).", "asin(1)   # 1.5707963267948966") { Glibc.asin($0) }
        unary(&r, "acos", "Inverse cosine, in [0, pi] (nan outside [-1, 1]).", "acos(0)   # 1.5707963267948966") { Glibc.acos($0) }
        unary(&r, "atan", "Inverse tangent, in (-pi/2, pi/2); atan2(y, x) gives the angle in all four quadrants.", "atan(1)   # 0.7853981633974483") { Glibc.atan($0) }
        unary(&r, "log2", "Base-2 logarithm.", "log2(8)   # 3") { Glibc.log2($0) }
        unary(&r, "log10", "Base-10 logarithm.", "log10(1000)   # 3") { Glibc.log10($0) }
        unary(&r, "log1p", "log(1 + x), accurate for small x.", "log1p(1e-10)   # 9.999999999500001e-11") { Glibc.log1p($0) }
        unary(&r, "expm1", "exp(x) - 1, accurate for small x.", "expm1(1e-10)   # 1.00000000005e-10") { Glibc.expm1($0) }
        unary(&r, "sign", "-1, 0 or 1 by the sign of x (nan stays nan); no gradient.", "sign(-2.5)   # -1") { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        unary(&r, "erf", "The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x.", "erf(1)   # 0.8427007929497149") { Glibc.erf($0) }
        elementwise(&r, "atan2", .atan2, ("y", "x"), "The angle of the point (x, y) in (-pi, pi], element-wise with broadcasting (NumPy's arctan2; note y first).",
                    "atan2(1, -1)   # 2.356194490192345")
        elementwise(&r, "maximum", .maximum, ("a", "b"), "The larger of a and b element-wise, with broadcasting (nan wins); max(a, b) with a tensor does the same.",
                    "maximum(tensor([1, 5, 3]), 2)   # tensor([2, 5, 3])")
        elementwise(&r, "minimum", .minimum, ("a", "b"), "The smaller of a and b element-wise, with broadcasting (nan wins); min(a, b) with a tensor does the same.",
                    "minimum(tensor([1, 5, 3]), 2)   # tensor([1, 2, 2])")
        unary(&r, "floor", "Largest integer <= x.", "floor(2.7)   # 2") { $0.rounded(.down) }
        unary(&r, "ceil", "Smallest integer >= x.", "ceil(2.1)   # 3") { $0.rounded(.up) }
        r.fn("round", [p("x"), p("digits", 0)],
             doc: "Rounds to the nearest (ties to even, as NumPy and Julia), keeping digits decimals.",
             example: "round(3.14159, 2)   # 3.14") { a throws(MLPError) in
            let digits = try a.int(1, in: -308...308)
            let scale = Glibc.pow(10.0, Double(digits))
            func rnd(_ x: Double) -> Double { digits == 0 ? x.rounded(.toNearestOrEven) : (x * scale).rounded(.toNearestOrEven) / scale }
            // the element-wise kernel named "round" has no digits; other digits go through rnd
            if case .object(let o) = a[0], let v = try o.map(digits == 0 ? "round" : "round to digits", rnd, a.interp) { return v }
            return .number(rnd(try a.number(0)))
        }
        predicate(&r, "isnan", "True when x is not a number (nan); for a tensor, a mask of where it is.", "isnan(0 / 0)   # true") { $0.isNaN }
        predicate(&r, "isinf", "True when x is inf or -inf; for a tensor, a mask of where it is.", "isinf(tensor([1, inf, -inf, nan]))   # tensor([0, 1, 1, 0])") { $0.isInfinite }
        predicate(&r, "isfinite", "True when x is neither inf, -inf nor nan; for a tensor, a mask of where it is.", "isfinite(tensor([1, inf, nan]))   # tensor([1, 0, 0])") { $0.isFinite }
        extremum(&r, "min", "Smallest of the arguments, or of one list, or of a tensor's elements (along axis); of several arguments with a tensor, element-wise (as minimum).", "min(3, 1, 2)   # 1") { $0 < $1 }
        extremum(&r, "max", "Largest of the arguments, or of one list, or of a tensor's elements (along axis); of several arguments with a tensor, element-wise (as maximum).", "max([3, 1, 2])   # 3") { $0 > $1 }
        r.fn("sum", [p("xs"), Param("axis", DefaultValue.none, keywordOnly: true), Param("keepdims", .bool(false), keywordOnly: true)],
             doc: "Sum of a list or range of numbers (0 when empty), or of a tensor's elements (along axis).",
             example: "sum([1, 2, 3])   # 6") { a throws(MLPError) in
            if TensorValue.isTensor(a[0]) { return try TensorLib.reduce(a, .sum) }
            if let v = try ComplexLib.reduce(a, .sum) { return v }
            do throws(MLPError) { return .number(try numbers(a, 0).reduce(0, +)) } catch {
                if let v = try ComplexLib.reduceList(a, .sum) { return v }
                throw error
            }
        }
        r.fn("mean", [p("xs"), Param("axis", DefaultValue.none, keywordOnly: true), Param("keepdims", .bool(false), keywordOnly: true)],
             doc: "Arithmetic mean of a list or range of numbers, or of a tensor's elements (along axis).",
             example: "mean([1, 2, 3, 4])   # 2.5") { a throws(MLPError) in
            if TensorValue.isTensor(a[0]) { return try TensorLib.reduce(a, .mean) }
            if let v = try ComplexLib.reduce(a, .mean) { return v }
            let xs: [Double]
            do throws(MLPError) { xs = try numbers(a, 0) } catch {
                if let v = try ComplexLib.reduceList(a, .mean) { return v }
                throw error
            }
            if xs.isEmpty { throw a.error("cannot take the mean of an empty sequence.", at: 0) }
            return .number(xs.reduce(0, +) / Double(xs.count))
        }
        r.constant("pi", .number(Double.pi), doc: "The ratio of a circle's circumference to its diameter.", example: "2 * pi")
        r.constant("inf", .number(Double.infinity), doc: "Positive infinity.", example: "best = inf")
        r.constant("nan", .number(Double.nan), doc: "Not a number (IEEE 754).", example: "isnan(nan)   # true")
    }

    /// A math function of one number, applied element-wise to tensors.
    static func unary(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ f: @escaping @Sendable (Double) -> Double) {
        r.fn(name, [p("x")], doc: doc, example: example) { a throws(MLPError) in
            if case .number(let x) = a[0] { return .number(f(x)) }
            if case .object(let o) = a[0], let v = try o.map(name, f, a.interp) { return v }
            throw a.typeError(0, "a number or tensor")
        }
    }

    /// A function of two numbers or tensors, element-wise with broadcasting (and its gradient).
    static func elementwise(_ r: inout Registry, _ name: String, _ op: Tensor.BinaryOp, _ names: (String, String), _ doc: String, _ example: String) {
        r.fn(name, [p(names.0), p(names.1)], doc: doc, example: example) { a throws(MLPError) in
            try TensorLib.trackedOrPlain(a, 0, 1, { try Variable.binary(op, $0, $1) }) { TensorLib.scalarOrTensor(try Tensor.binary(op, $0, $1)) }
        }
    }

    /// A test of one number (a bool), applied element-wise to tensors (a mask).
    static func predicate(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ test: @escaping @Sendable (Double) -> Bool) {
        r.fn(name, [p("x")], doc: doc, example: example) { a throws(MLPError) in
            if case .number(let x) = a[0] { return .bool(test(x)) }
            guard case .object(let o as TensorValue) = a[0] else { throw a.typeError(0, "a number or tensor") }
            return try a.native { .object(TensorValue(try o.t.map { test($0) ? 1 : 0 }, mask: true)) }
        }
    }

    static func extremum(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ better: @escaping @Sendable (Double, Double) -> Bool) {
        let op: Tensor.ReduceOp = name == "min" ? .min : .max
        r.fn(name, [p("first"), Param("axis", DefaultValue.none, keywordOnly: true), Param("keepdims", .bool(false), keywordOnly: true)], rest: "more",
             doc: doc, example: example) { a throws(MLPError) in
            if a.restItems.isEmpty && TensorValue.isTensor(a[0]) { return try TensorLib.reduce(a, op) }
            let xs: [Double]
            if a.restItems.isEmpty {
                if case .number(let x) = a[0] { return .number(x) }
                xs = try numbers(a, 0)
                if xs.isEmpty { throw a.error("cannot take the \(name == "min" ? "minimum" : "maximum") of an empty sequence.", at: 0) }
            } else {
                // min(a, b, ...) with a tensor: element-wise, as minimum (Julia's min.(a, b), MATLAB's min(a, b))
                if TensorValue.isTensor(a[0]) || a.restItems.contains(where: TensorValue.isTensor) {
                    if !a.isNil(1) { throw a.error("axis= goes with one tensor; \(name)(a, b) of several is element-wise.", at: 1) }
                    var vs = [try a.variable(0)]
                    for v in a.rest { vs.append(try ScientificLib.variable(a, v)) }
                    let op: Tensor.BinaryOp = name == "min" ? .minimum : .maximum
                    return try TensorLib.track(a) { try vs.dropFirst().reduce(vs[0]) { try Variable.binary(op, $0, $1) } }
                }
                // min(a, b, ...) of numbers: no array of them
                var best = try a.number(0)
                for v in a.restItems {
                    guard case .number(let x) = v else { throw a.error("all arguments must be numbers, got \(describeForError(v)).") }
                    if better(x, best) || x.isNaN { best = x }
                }
                return .number(best)
            }
            var best = xs[0]
            for x in xs.dropFirst() where better(x, best) || x.isNaN { best = x }
            return .number(best)
        }
    }

    /// The numbers of a list or range argument, with an error naming a non-number.
    static func numbers(_ a: Args, _ i: Int) throws(MLPError) -> [Double] {
        if case .range(let rg) = a[i] {
            do { try a.interp.checkLength(rg.count) } catch { throw a.error(error.message, at: i) }
            return (0..<rg.count).map(rg.at)
        }
        let items = try a.list(i).items
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for (k, v) in items.enumerated() {
            guard case .number(let x) = v else { throw a.error("item \(k) of '\(a.fn.params[i].name)' must be a number, got \(describeForError(v)).", at: i) }
            out.append(x)
        }
        return out
    }
}

@inline(__always) func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Glibc.exp(-x)) : { let e = Glibc.exp(x); return e / (1 + e) }()
}
