// Layers and models as language values: `net(x)` runs one, `a >> b` chains
// them (nesting flattens), `net.layers` and `layer.weights` look inside.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

final class LayerValue: MLPObject {
    let layer: Layer

    init(_ layer: Layer) { self.layer = layer }

    override var typeName: String { layer is Sequential ? "model" : "layer" }
    override func description(_ interp: Interpreter) -> String { layer.description }
    override var fieldNames: [String] { ["layers", "weights", "kind", "output_shape", "trainable"] + (layer is RecurrentLayer ? ["state", "initial_state"] : []) }

    /// The layers of a model, or the layer alone.
    var layers: [Layer] { (layer as? Sequential)?.layers ?? [layer] }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "layers": return .list(layers.map { .object(LayerValue($0)) })
        case "weights": return .list(layer.parameters.map { .object(TensorValue($0.value)) })
        case "kind": return .str(layer.kind)
        case "trainable": return .bool(layers.contains { ($0 as? LayerBase)?.trainable ?? true })
        case "state":
            guard let rnn = layer as? RecurrentLayer else { return nil }
            return rnn.finalState.map { .list($0.map { .object(TensorValue($0)) }) } ?? .nil
        case "initial_state":
            guard let rnn = layer as? RecurrentLayer else { return nil }
            return rnn.initialState.map { .list($0.map { .object(TensorValue($0)) }) } ?? .nil
        case "output_shape":
            guard let s = layer.lastOutputShape else { return .nil }
            return .list(s.map { .number(Double($0)) })
        default: return nil
        }
    }

    /// `layer.weights = [w, b]`: sets the parameters (of a built layer, shapes must match).
    override func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        if name == "trainable" {
            // Keras's layer.trainable: false freezes the weights (train and train_batch leave them),
            // before or after the layer is built; on a model, every layer of it
            guard case .bool(let b) = value else { throw MLPError.runtime("trainable: expected true or false, got \(describeForError(value)).") }
            for l in layers {
                guard let base = l as? LayerBase else { throw MLPError.runtime("trainable: \(l.description) cannot be frozen.") }
                base.trainable = b
            }
            return true
        }
        if name == "initial_state", let rnn = layer as? RecurrentLayer {
            switch value {
            case .nil: rnn.initialState = nil
            case .list(let l):
                var states: [Tensor] = []
                for v in l.items { states.append(try TensorValue.fromNested(v)) }
                guard states.count == rnn.stateCount else {
                    throw MLPError.runtime("initial_state: \(layer.description) takes \(rnn.stateCount) state tensor\(rnn.stateCount == 1 ? "" : "s") [batch, \(rnn.units)], got \(states.count).")
                }
                rnn.initialState = states
            default: throw MLPError.runtime("initial_state: expected a list of [batch, units] tensors or nil, got \(describeForError(value)).")
            }
            return true
        }
        guard name == "weights" else { return false }
        guard case .list(let l) = value else { throw MLPError.runtime("weights: expected a list of tensors, got \(describeForError(value)).") }
        let params = layer.parameters
        guard !params.isEmpty else {
            throw MLPError.runtime("weights: \(layer.description) is not built yet; call it on an input first (its shapes come from the input).")
        }
        guard l.items.count == params.count else {
            throw MLPError.runtime("weights: \(layer.description) has \(params.count) weight tensors, got \(l.items.count).")
        }
        var values: [Tensor] = []
        for (p, v) in zip(params, l.items) {
            let t = try TensorValue.fromNested(v)
            guard t.shape == p.value.shape else {
                throw MLPError.runtime("weights: \(p.name) has shape \(Tensor.formatShape(p.value.shape)), got \(Tensor.formatShape(t.shape)).")
            }
            values.append(t)
        }
        for (p, t) in zip(params, values) { p.value = t }
        return true
    }

    override func call(_ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws(MLPError) -> Value? {
        guard args.count == 1, kwargs.isEmpty else {
            throw MLPError.runtime("\(layer.description): a layer takes one input tensor, got \(args.count) arguments.")
        }
        let x: Variable
        switch args[0] {
        case .object(let o as TensorValue): x = o.variable
        case .list, .number: x = Variable(constant: try TensorValue.fromNested(args[0]))
        default: throw MLPError.runtime("\(layer.description): the input must be a tensor, got \(describeForError(args[0])).")
        }
        let loc = interp.nativeLoc   // the call's, set by the interpreter (a script layer changes it)
        return try LayerValue.run {
            let y = try layer.forward(x, ForwardPass(random: interp.sessionContext.random, poll: { try interp.pollInterrupt(loc) }))
            // a model ending in a reduction gives a number, as the reduction itself does
            return !y.requiresGrad && y.value.ndim == 0 ? .number(y.value.scalars[0]) : .object(TensorValue(y))
        }
    }

    override func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? {
        guard op == .compose else { return nil }
        let o = try LayerValue.asLayer(other, interp)
        if !reversed, let model = layer as? Sequential { return .object(LayerValue(model.appending(o))) }
        return .object(LayerValue(Sequential(reversed ? [o, layer] : [layer, o])))
    }

    /// A layer for `>>`: a layer, an activation function (`relu`, `softmax`), or any
    /// function of one tensor (a layer without weights).
    static func asLayer(_ v: Value, _ interp: Interpreter) throws(MLPError) -> Layer {
        switch v {
        case .object(let o as LayerValue): return o.layer
        case .builtin(let b):
            if let act = Activation(name: b.name) { return ActivationLayer(act) }
            return FunctionLayer(v, name: b.name, interp)
        case .function: return FunctionLayer(v, name: nil, interp)
        default: throw MLPError.runtime("'>>' chains layers and functions, got \(describeForError(v)).")
        }
    }

    /// Runs layer code, keeping mlp errors (from functions inside layers) as they are.
    static func run(_ body: () throws -> Value) throws(MLPError) -> Value {
        do { return try body() } catch let e as MLPError { throw e } catch { throw MLPError.runtime(message(of: error)) }
    }
}

/// A function of one tensor in a `>>` chain: no weights, differentiable through
/// whatever tensor operations it uses.
final class FunctionLayer: LayerBase, Layer {
    let f: Value
    let name: String?
    unowned(unsafe) let interp: Interpreter

    init(_ f: Value, name: String?, _ interp: Interpreter) { self.f = f; self.name = name; self.interp = interp }

    var kind: String { "function" }
    var description: String { name ?? "<function>" }

    func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let out = try interp.call(f, [.object(TensorValue(x))], at: interp.nativeLoc)
        return finish(try ScriptLayer.variable(out, description), pass, self, from: x)
    }
}

/// `layer(f, params)`: a layer written in mlp. `params` is a dict of tensors, or a
/// function of the input shape giving one (built at the first call, as Keras's
/// build); f(x, p) gets the input and a dict of the weights, tracked when training.
final class ScriptLayer: LayerBase, Layer {
    let f: Value
    let makeParams: Value
    unowned(unsafe) let interp: Interpreter

    init(_ f: Value, _ makeParams: Value, _ interp: Interpreter) { self.f = f; self.makeParams = makeParams; self.interp = interp }

    var kind: String { "layer" }
    var description: String {
        if case .function(let c) = f { return "layer(\(c.name))" }
        return "layer(...)"
    }

    func build(_ inputShape: [Int]) throws {
        var dict = makeParams
        if case .dict = makeParams {} else {
            dict = try interp.call(makeParams, [.list(inputShape.dropFirst().map { .number(Double($0)) })], at: interp.nativeLoc)
        }
        guard case .dict(let d) = dict else {
            throw LearnError("layer", "the weights must be a dict of tensors (or a function of the input shape giving one), got \(describeForError(dict)).")
        }
        var ps: [Parameter] = []
        for (k, v) in zip(d.keys, d.values) {
            guard case .string(let name) = k.value else { throw LearnError("layer", "weight names must be strings.") }
            ps.append(Parameter(name.s, try TensorValue.fromNested(v)))
        }
        parameters = ps
    }

    func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        if parameters.isEmpty { try build(x.value.shape) }
        let weights = DictObj()
        for p in parameters { weights[p.name] = .object(TensorValue(pass.variable(p))) }
        let out = try interp.call(f, [.object(TensorValue(x)), .dict(weights)], at: interp.nativeLoc)
        return finish(try ScriptLayer.variable(out, description), pass, self, from: x)
    }

    /// A layer function's result as a variable.
    static func variable(_ v: Value, _ name: String) throws -> Variable {
        switch v {
        case .object(let o as TensorValue): return o.variable
        case .number(let d): return Variable(constant: Tensor(scalar: d))
        default: throw LearnError(name, "a layer function must return a tensor, got \(describeForError(v)).")
        }
    }
}
