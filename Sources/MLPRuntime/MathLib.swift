// Math on numbers; tensors (and other objects) take the same functions
// element-wise through `MLPObject.map`.
import MLPLang
import MLPTensor
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
        r.fn("isnan", [p("x")], doc: "True when x is not a number (nan).", example: "isnan(0 / 0)   # true") { a throws(MLPError) in
            .bool(try a.number(0).isNaN)
        }
        extremum(&r, "min", "Smallest of the arguments, or of one list, or of a tensor's elements (along axis).", "min(3, 1, 2)   # 1") { $0 < $1 }
        extremum(&r, "max", "Largest of the arguments, or of one list, or of a tensor's elements (along axis).", "max([3, 1, 2])   # 3") { $0 > $1 }
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

    static func extremum(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, _ better: @escaping @Sendable (Double, Double) -> Bool) {
        let op: Tensor.ReduceOp = name == "min" ? .min : .max
        r.fn(name, [p("first"), Param("axis", DefaultValue.none, keywordOnly: true), Param("keepdims", .bool(false), keywordOnly: true)], rest: "more",
             doc: doc, example: example) { a throws(MLPError) in
            if a.rest.isEmpty && TensorValue.isTensor(a[0]) { return try TensorLib.reduce(a, op) }
            let xs: [Double]
            if a.rest.isEmpty {
                if case .number(let x) = a[0] { return .number(x) }
                xs = try numbers(a, 0)
                if xs.isEmpty { throw a.error("cannot take the \(name == "min" ? "minimum" : "maximum") of an empty sequence.", at: 0) }
            } else {
                // min(a, b, ...) of numbers: no array of them
                var best = try a.number(0)
                for v in a.rest {
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
