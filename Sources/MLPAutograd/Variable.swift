// Reverse-mode automatic differentiation at tensor granularity (micrograd's
// design with tensors as the nodes). Each op computes its value with MLPTensor
// and records a closure that maps the gradient of its output to the gradients
// of its inputs; `backward` runs those closures in reverse topological order.
import MLPTensor

/// An error of the autograd layer: a misused tape, a `nan` gradient, an op without a gradient.
public typealias AutogradError = OperationError

/// One differentiation: the variables made while it is open belong to it. After
/// its backward pass it is finished, and its variables can no longer be combined
/// or differentiated (their closures are released).
public final class Tape {
    public private(set) var isFinished = false
    /// Checked after each op's backward: the first op whose gradient has a nan is named.
    public var checkNaN: Bool
    public init(checkNaN: Bool = true) { self.checkNaN = checkNaN }
    func finish() { isFinished = true }
}

/// A tensor in the graph: a value and, unless it is a constant, how its gradient
/// flows to its inputs.
public final class Variable {
    public let value: Tensor
    /// The op that made it ("leaf" for an input of the differentiation), for messages.
    public let op: String
    /// nil for constants: they take no gradient.
    public let tape: Tape?
    private(set) var inputs: [Variable]
    /// Output gradient -> one gradient per input (nil where that input needs none).
    var pullback: ((Tensor) throws -> [Tensor?])?
    /// The gradient after `backward` (leaves keep it; other nodes drop theirs).
    public internal(set) var grad: Tensor?

    /// A constant: it takes part in ops but receives no gradient.
    public init(constant value: Tensor) {
        self.value = value; op = "constant"; tape = nil; inputs = []; pullback = nil
    }

    /// An input of a differentiation on `tape`.
    public init(leaf value: Tensor, tape: Tape) {
        self.value = value; op = "leaf"; self.tape = tape; inputs = []; pullback = nil
    }

    init(_ value: Tensor, op: String, tape: Tape?, inputs: [Variable], pullback: ((Tensor) throws -> [Tensor?])?) {
        self.value = value; self.op = op; self.tape = tape; self.inputs = inputs; self.pullback = pullback
    }

    deinit {
        // a long chain (a loop of ten thousand ops) would otherwise be freed recursively and overflow the stack
        guard !inputs.isEmpty else { return }
        var pending = inputs
        inputs = []
        while var x = pending.popLast() {
            if isKnownUniquelyReferenced(&x) {
                pending.append(contentsOf: x.inputs)
                x.inputs = []
            }
        }
    }

    public var shape: [Int] { value.shape }
    public var requiresGrad: Bool { tape != nil }

    /// The result of an op: a constant when no input needs a gradient (the
    /// pullback is then never built), else a node on the inputs' tape.
    public static func make(_ op: String, _ value: Tensor, _ inputs: [Variable],
                            _ pullback: @escaping (Tensor) throws -> [Tensor?]) throws -> Variable {
        var tape: Tape? = nil
        for x in inputs {
            guard let t = x.tape else { continue }
            if t.isFinished {
                throw AutogradError(op, "an input belongs to a differentiation that has already finished (a tape is used once); compute it again inside the function being differentiated.")
            }
            if tape == nil { tape = t } else if tape !== t {
                // an enclosing differentiation's variable: treated as a constant here (no higher-order gradients)
                continue
            }
        }
        guard let tape else { return Variable(constant: value) }
        return Variable(value, op: op, tape: tape, inputs: inputs, pullback: pullback)
    }

    /// Whether this variable takes gradients on `tape`.
    func tracked(on tape: Tape) -> Bool { self.tape === tape }

    /// Runs the backward pass from this scalar (or from `seed`, the gradient of
    /// some scalar with respect to this variable), leaving gradients in the
    /// leaves' `grad`. The tape is finished afterwards.
    public func backward(seed: Tensor? = nil) throws {
        guard let tape else { return }
        if tape.isFinished {
            throw AutogradError("backward", "this result's tape was already used by a backward pass (a tape is used once); compute it again.")
        }
        let start: Tensor
        if let seed {
            guard seed.shape == value.shape else {
                throw AutogradError("backward", "the seed has shape \(Tensor.formatShape(seed.shape)), the result \(Tensor.formatShape(value.shape)).")
            }
            start = seed
        } else {
            guard value.count == 1 else {
                throw AutogradError("backward", "the result must be a scalar, got shape \(Tensor.formatShape(value.shape)).")
            }
            start = try Tensor.ones(value.shape)
        }
        let order = topologicalOrder(tape)
        grad = start
        defer {
            // release the graph: closures hold tensors; a finished tape is never run again
            for node in order where node.op != "leaf" { node.pullback = nil; node.grad = nil }
            tape.finish()
        }
        for node in order.reversed() {
            guard let g = node.grad, let pullback = node.pullback else { continue }
            let grads = try pullback(g)
            for (x, gx) in zip(node.inputs, grads) {
                guard let gx, x.tracked(on: tape) else { continue }
                guard gx.shape == x.value.shape else {
                    throw AutogradError("internal", "\(node.op) gave a gradient of shape \(Tensor.formatShape(gx.shape)) for an input of shape \(Tensor.formatShape(x.value.shape)).")
                }
                if tape.checkNaN, gx.hasNaN, !g.hasNaN {
                    throw AutogradError(nil, "the gradient through \(node.op) is nan: its derivative does not exist where it was evaluated (for example log or sqrt at 0, or 0/0).")
                }
                if let old = x.grad { x.grad = try old + gx } else { x.grad = gx }
            }
            if node.op != "leaf" && node !== self { node.grad = nil }
        }
    }

    /// Nodes on `tape` reachable from self, inputs before the nodes that use them.
    func topologicalOrder(_ tape: Tape) -> [Variable] {
        var order: [Variable] = []
        var seen = Set<ObjectIdentifier>()
        // iterative DFS: graphs of long loops are deeper than the stack
        var stack: [(Variable, Int)] = [(self, 0)]
        seen.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let x = node.inputs[next]
                if x.tracked(on: tape), seen.insert(ObjectIdentifier(x)).inserted { stack.append((x, 0)) }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

extension Tensor {
    /// Whether any element is nan.
    public var hasNaN: Bool {
        withUnsafeBufferPointer { p in
            for x in p where x.isNaN { return true }
            return false
        }
    }
}
