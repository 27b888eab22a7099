// grad, value_and_grad, gradcheck and detach: differentiating mlp functions.
// The inputs become tracked tensors (TensorValue.node); every tensor operator
// and differentiable builtin applied to them records itself on the tape.
import MLPLang
import MLPTensor
import MLPAutograd

enum AutogradLib {
    static func register(_ r: inout Registry) {
        r.fn("grad", [p("f"), p("x")],
             doc: "The gradient of f at x, where f returns a number: a number for a number x, a tensor of x's shape for a tensor. With a list [x, y], f is called as f(x, y) and the gradients come as a list; with a dict, f gets one dict and the gradients come as a dict.",
             example: "grad(x -> sum(x^2), tensor([1, 2]))   # tensor([2, 4])") { a throws(MLPError) in
            try differentiate(a, try a.callable(0), a[1]).grads
        }
        r.fn("value_and_grad", [p("f"), p("x")], doc: "[f(x), grad(f, x)] from one evaluation of f.",
             example: "loss, g = value_and_grad(w -> sum((w - 1)^2), zeros(3))") { a throws(MLPError) in
            let (value, grads) = try differentiate(a, try a.callable(0), a[1])
            return .list([.number(value), grads])
        }
        r.fn("gradcheck", [p("f"), p("x"), Param("h", .number(1e-6), keywordOnly: true)],
             doc: "Checks grad(f, x) against central finite differences with relative step h: the relative difference of the two (norm of the difference over the larger norm). Below 1e-6 means they agree.",
             example: "gradcheck(x -> sum(sin(x) * x), tensor([0.5, 1, 2])) < 1e-6   # true") { a throws(MLPError) in
            let f = try a.callable(0), h = try a.number(2)
            let inputs = try Inputs(a, a[1], at: 1)
            let (_, grads) = try differentiate(a, f, a[1])
            let numeric: [Tensor]
            do {
                numeric = try Autograd.numericalGrad(inputs.tensors, h: h) { ts throws -> Double in
                    try scalar(a, try a.call(f, inputs.arguments(ts.map { .object(TensorValue($0)) }, a.interp)))
                }
            } catch { throw a.nativeError(error) }
            do { return .number(try Autograd.relativeError(inputs.tensors(of: grads), numeric)) } catch { throw a.nativeError(error) }
        }
        r.fn("detach", [p("x")], doc: "x's value without a gradient: inside a function being differentiated, what depends on detach(x) is treated as a constant.",
             example: "grad(x -> sum(x * detach(x)), tensor([3]))   # tensor([3])") { a throws(MLPError) in
            if case .object(let o as TensorValue) = a[0], o.node != nil { return .object(TensorValue(o.t)) }
            if case .object(let o as TrackedComplexValue) = a[0] { return try a.native { ComplexArith.value(try o.z.value) } }
            return a[0]
        }
    }

    /// Runs f on tracked copies of x and back-propagates: f's value and the gradients, shaped as x.
    static func differentiate(_ a: Args, _ f: Value, _ x: Value) throws(MLPError) -> (value: Double, grads: Value) {
        let inputs = try Inputs(a, x, at: 1)
        let tape = Tape()
        defer { if !tape.isFinished { _ = try? Variable(leaf: Tensor(scalar: 0), tape: tape).backward() } }
        let leaves = inputs.tensors.map { Variable(leaf: $0, tape: tape) }
        let result = try a.call(f, inputs.arguments(leaves.map { .object(TensorValue($0)) }, a.interp))
        let value = try scalar(a, result)
        if case .object(let o as TensorValue) = result, let node = o.node {
            guard node.tape === tape else {
                throw a.error("f returned a tensor tracked by another differentiation (a tensor kept from an earlier grad?).")
            }
            do { try node.backward() } catch { throw a.nativeError(error) }
        }
        var grads: [Value] = []
        for (leaf, t) in zip(leaves, inputs.tensors) {
            let g: Tensor
            do { g = try leaf.grad ?? Tensor.zeros(t.shape) } catch { throw a.nativeError(error) }
            grads.append(.object(TensorValue(g)))
        }
        return (value, inputs.pack(grads))
    }

    static func dict(_ keys: [DictKey], _ values: [Value]) -> DictObj {
        let d = DictObj()
        for (k, v) in zip(keys, values) { d[k] = v }
        return d
    }

    /// f's result as a number: a number, or a one-element tensor.
    static func scalar(_ a: Args, _ v: Value) throws(MLPError) -> Double {
        switch v {
        case .number(let d): return d
        case .object(let o as TensorValue) where o.t.count == 1: return o.t.scalars[0]
        case .object(let o as TensorValue):
            throw a.error("the function must return a number (for example sum(...) of a tensor), got a tensor of shape \(Tensor.formatShape(o.t.shape)).", at: 0)
        case .object(is ComplexValue), .object(is ComplexTensorValue), .object(is TrackedComplexValue):
            throw a.error("the function must return a real number, got a complex one: a gradient needs a real loss (take re, im, abs or abs(z)^2 of it).", at: 0)
        default:
            throw a.error("the function must return a number, got \(describeForError(v)).", at: 0)
        }
    }

    /// The point of differentiation: one value, a list spread as arguments, or a dict passed whole.
    struct Inputs {
        enum Form { case single(wasNumber: Bool), list([Bool]), dict([DictKey]) }
        let form: Form
        let tensors: [Tensor]

        init(_ a: Args, _ x: Value, at i: Int) throws(MLPError) {
            func tensor(_ v: Value) throws(MLPError) -> (Tensor, Bool) {
                switch v {
                case .number(let d): return (Tensor(scalar: d), true)
                case .object(let o as TensorValue): return (o.t, false)
                case .list: do { return (try TensorValue.fromNested(v), false) } catch { throw a.error(error.message, at: i) }
                case .object(is ComplexValue), .object(is ComplexTensorValue), .object(is TrackedComplexValue):
                    throw a.error("can only differentiate with respect to real numbers and tensors, got a complex value; differentiate with respect to its parts: grad((x, y) -> f(complex(x, y)), [re(z), im(z)]).", at: i)
                default: throw a.error("can only differentiate with respect to numbers and tensors, got \(describeForError(v)).", at: i)
                }
            }
            switch x {
            case .list(let l):
                var ts: [Tensor] = [], numbers: [Bool] = []
                for item in l.items { let (t, n) = try tensor(item); ts.append(t); numbers.append(n) }
                form = .list(numbers); tensors = ts
            case .dict(let d):
                var ts: [Tensor] = []
                for v in d.values { ts.append(try tensor(v).0) }
                form = .dict(d.keys); tensors = ts
            default:
                let (t, n) = try tensor(x)
                form = .single(wasNumber: n); tensors = [t]
            }
        }

        /// The arguments of f for these values (one per tensor).
        func arguments(_ values: [Value], _ interp: Interpreter) -> [Value] {
            switch form {
            case .single, .list: return values
            case .dict(let keys): return [.dict(AutogradLib.dict(keys, values))]
            }
        }

        /// Gradients in the form of the input: numbers for numbers.
        func pack(_ grads: [Value]) -> Value {
            func number(_ v: Value) -> Value {
                if case .object(let o as TensorValue) = v { return .number(o.t.scalars[0]) }
                return v
            }
            switch form {
            case .single(let wasNumber): return wasNumber ? number(grads[0]) : grads[0]
            case .list(let numbers): return .list(zip(grads, numbers).map { $1 ? number($0) : $0 })
            case .dict(let keys): return .dict(AutogradLib.dict(keys, grads))
            }
        }

        /// The tensors of a packed gradient.
        func tensors(of packed: Value) -> [Tensor] {
            func tensor(_ v: Value) -> Tensor {
                switch v {
                case .number(let d): return Tensor(scalar: d)
                case .object(let o as TensorValue): return o.t
                default: return Tensor(scalar: .nan)
                }
            }
            switch packed {
            case .list(let l): return l.items.map(tensor)
            case .dict(let d): return d.values.map(tensor)
            default: return [tensor(packed)]
            }
        }
    }
}
