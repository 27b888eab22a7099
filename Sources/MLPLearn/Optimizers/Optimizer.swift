// The optimizer protocol and what every optimizer shares: argument checks,
// Keras's per-tensor `clipnorm`, and the per-parameter state (moment buffers)
// kept in the optimizer under a key (a list position or a parameter object).
// Each optimizer updates one parameter tensor in one fused loop over raw
// buffers: no temporary tensors per step.
import MLPTensor

/// An error of an optimizer step: mismatched parameters and gradients.
public typealias OptimizerError = OperationError

/// An optimizer's name and hyper-parameters, for printing and docs:
/// `adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-07, clipnorm=nil)`.
public struct OptimizerConfig: CustomStringConvertible, Equatable {
    public struct Parameter: Equatable {
        public let name: String
        /// nil for an option that is off (`clipnorm=nil`).
        public let value: Double?
    }
    public let name: String
    public let parameters: [Parameter]
    public init(_ name: String, _ parameters: [(String, Double?)]) {
        self.name = name
        self.parameters = parameters.map { Parameter(name: $0.0, value: $0.1) }
    }
    /// The value of a hyper-parameter by name (nil when absent or off).
    public subscript(_ name: String) -> Double? {
        parameters.first { $0.name == name }?.value ?? nil
    }
    public var description: String {
        name + "(" + parameters.map { "\($0.name)=" + ($0.value.map { "\($0)" } ?? "nil") }.joined(separator: ", ") + ")"
    }
}

/// Whose state an update uses: a position in a parameter list, or a parameter
/// object (held, so that its identity is not reused while the state lives).
public struct OptimizerKey: Hashable {
    let id: ObjectIdentifier?
    let index: Int
    let owner: AnyObject?
    public static func index(_ i: Int) -> OptimizerKey { OptimizerKey(id: nil, index: i, owner: nil) }
    public static func object(_ o: AnyObject) -> OptimizerKey { OptimizerKey(id: ObjectIdentifier(o), index: -1, owner: o) }
    public static func == (a: OptimizerKey, b: OptimizerKey) -> Bool { a.id == b.id && a.index == b.index }
    public func hash(into h: inout Hasher) { h.combine(id); h.combine(index) }
}

/// A gradient-descent method. `update` changes one parameter tensor in place
/// from its gradient, with the state kept under `key`; `step` updates a list,
/// keyed by position (pass the same parameters in the same order each step,
/// or call `reset()` first). Every optimizer updates a model's parameters
/// (`ParameterUpdate`, state keyed by the parameter object) by conforming.
public protocol Optimizer: ParameterUpdate {
    var config: OptimizerConfig { get }
    /// Keras's `clipnorm`: each gradient tensor whose L2 norm exceeds it is
    /// scaled down to that norm before the update (nil: no clipping).
    var clipnorm: Double? { get set }
    /// The most updates any one parameter has had (Keras's `iterations` when
    /// every parameter is updated each step).
    var iterations: Int { get }
    func update(_ param: inout Tensor, _ grad: Tensor, key: OptimizerKey) throws
    /// Forgets all state (moments, accumulators, step counts).
    func reset()
    /// The learning rate (Keras's `optimizer.learning_rate`), read and set between steps
    /// (schedules set it each epoch).
    var lr: Double { get set }
    /// Moves the state kept under `from` to `to` (the language's `opt.step` hands the
    /// state of a parameter value on to the value it returns); nothing when there is none.
    func rekey(_ from: OptimizerKey, _ to: OptimizerKey)
}

extension Optimizer {
    /// Updates `params[i]` from `grads[i]` for every i, in place.
    public func step(_ params: inout [Tensor], _ grads: [Tensor]) throws {
        guard params.count == grads.count else {
            throw OptimizerError(config.name, "\(params.count) parameters but \(grads.count) gradients.")
        }
        for i in 0..<params.count { try update(&params[i], grads[i], key: .index(i)) }
    }
}

/// An element type of optimizer state, with the buffers it lives in.
protocol SlotElement: BinaryFloatingPoint {
    /// `count` values and the object that owns them.
    static func buffer(_ count: Int) throws -> (owner: AnyObject, pointer: UnsafeMutablePointer<Self>)
}

extension Double: SlotElement {
    /// A tensor's storage (2 MiB aligned when large, as the parameter it follows).
    static func buffer(_ count: Int) throws -> (owner: AnyObject, pointer: UnsafeMutablePointer<Double>) {
        let s = try TensorStorage(count: count)
        return (s, s.pointer)
    }
}

extension Float: SlotElement {
    /// A float32 layer's buffer (a parameter trained natively in single precision).
    static func buffer(_ count: Int) throws -> (owner: AnyObject, pointer: UnsafeMutablePointer<Float>) {
        let s = try SingleValues(count: count)
        return (s, s.pointer)
    }
}

/// One parameter's state in the parameter's precision: up to two buffers the size
/// of the parameter, and how many updates it has had (Adam's t).
final class OptimizerSlot<Element: SlotElement> {
    let shape: [Int]
    let a: UnsafeMutablePointer<Element>
    let b: UnsafeMutablePointer<Element>
    private let owners: [AnyObject]
    var t = 0
    init(shape: [Int], count: Int, buffers: Int, initial: Double) throws {
        self.shape = shape
        let made = try (0..<Swift.max(buffers, 1)).map { _ in
            let m = try Element.buffer(count)
            m.pointer.initialize(repeating: Element(initial), count: count)
            return m
        }
        owners = made.map(\.owner)
        a = made[0].pointer
        b = made[made.count - 1].pointer
    }

    /// A slot in another precision with this one's state, each value converted.
    func converted<To: SlotElement>(buffers: Int, initial: Double) throws -> OptimizerSlot<To> {
        let count = shape.reduce(1, *)
        let s = try OptimizerSlot<To>(shape: shape, count: count, buffers: buffers, initial: initial)
        for j in 0..<count { s.a[j] = To(a[j]); s.b[j] = To(b[j]) }
        s.t = t
        return s
    }
}

/// The state of a parameter trained natively in single precision.
typealias SingleSlot = OptimizerSlot<Float>

/// The state of one optimizer: its slots by key.
struct OptimizerState {
    let buffers: Int
    let initial: Double
    private var slots: [OptimizerKey: OptimizerSlot<Double>] = [:]
    /// The slots of parameters updated in single precision. A parameter has a slot
    /// in one of the two tables: switching precision converts its state.
    private var singleSlots: [OptimizerKey: SingleSlot] = [:]
    private(set) var iterations = 0

    init(buffers: Int, initial: Double = 0) {
        self.buffers = buffers
        self.initial = initial
    }

    mutating func reset() { slots = [:]; singleSlots = [:]; iterations = 0 }

    private func shapeChanged(_ name: String, _ from: [Int], _ to: [Int]) -> OptimizerError {
        OptimizerError(name, "a parameter changed shape from \(Tensor.formatShape(from)) to \(Tensor.formatShape(to)); call reset() first.")
    }

    mutating func rekey(_ from: OptimizerKey, _ to: OptimizerKey) {
        guard from != to else { return }
        if let s = slots.removeValue(forKey: from) { slots[to] = s }
        if let s = singleSlots.removeValue(forKey: from) { singleSlots[to] = s }
    }

    /// The single-precision slot of `key`, made (from the float64 state if there is one) when missing.
    private mutating func singleSlot(_ name: String, _ key: OptimizerKey, _ shape: [Int], _ count: Int) throws -> SingleSlot {
        if let s = singleSlots[key] {
            guard s.shape == shape else {
                throw shapeChanged(name, s.shape, shape)
            }
            return s
        }
        let s: SingleSlot
        if let d = slots.removeValue(forKey: key) {
            guard d.shape == shape else {
                throw shapeChanged(name, d.shape, shape)
            }
            s = try d.converted(buffers: buffers, initial: initial)
        } else {
            s = try SingleSlot(shape: shape, count: count, buffers: buffers, initial: initial)
        }
        singleSlots[key] = s
        return s
    }

    /// The float64 slot of `key` made from its single-precision state, if it has one.
    private mutating func doubleSlotFromSingle(_ key: OptimizerKey) throws -> OptimizerSlot<Double>? {
        guard let f = singleSlots.removeValue(forKey: key) else { return nil }
        let d: OptimizerSlot<Double> = try f.converted(buffers: buffers, initial: initial)
        slots[key] = d
        return d
    }

    /// `apply` for a parameter trained in single precision: `grad` holds its gradient
    /// in float (`count` elements); the kernel gets the parameter's float values.
    mutating func applySingle(_ name: String, _ param: Parameter, _ grad: UnsafePointer<Float>, _ count: Int, _ key: OptimizerKey,
                              clipnorm: Double?, _ kernel: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int, Float, SingleSlot) -> Void) throws {
        if let c = clipnorm, !(c > 0) {
            throw OptimizerError(name, "clipnorm must be positive, got \(c).")
        }
        let slot = try singleSlot(name, key, param.shape, count)
        slot.t += 1
        if slot.t > iterations { iterations = slot.t }
        var scale: Float = 1
        if let c = clipnorm {
            var ss = 0.0
            for j in 0..<count { ss += Double(grad[j]) * Double(grad[j]) }
            let norm = ss.squareRoot()
            if norm > c { scale = Float(c / norm) }
        }
        kernel(try param.singleValues(forUpdate: true), grad, count, scale, slot)
    }

    /// Checks the shapes, finds or makes the slot, counts the update, then runs
    /// `kernel(param, grad, count, gradScale, slot)` once (`gradScale` is the
    /// clipnorm factor, 1 without clipping).
    mutating func apply(_ name: String, _ param: inout Tensor, _ grad: Tensor, _ key: OptimizerKey, clipnorm: Double?,
                        _ kernel: (UnsafeMutablePointer<Double>, UnsafePointer<Double>, Int, Double, OptimizerSlot<Double>) -> Void) throws {
        guard param.shape == grad.shape else {
            throw OptimizerError(name, "a parameter of shape \(Tensor.formatShape(param.shape)) got a gradient of shape \(Tensor.formatShape(grad.shape)).")
        }
        if let c = clipnorm, !(c > 0) {
            throw OptimizerError(name, "clipnorm must be positive, got \(c).")
        }
        let slot: OptimizerSlot<Double>
        if let s = try slots[key] ?? doubleSlotFromSingle(key) {
            guard s.shape == param.shape else {
                throw shapeChanged(name, s.shape, param.shape)
            }
            slot = s
        } else {
            slot = try OptimizerSlot<Double>(shape: param.shape, count: param.count, buffers: buffers, initial: initial)
            slots[key] = slot
        }
        slot.t += 1
        if slot.t > iterations { iterations = slot.t }
        let n = param.count
        try grad.withUnsafeBufferPointer { g in
            let gp = g.baseAddress!
            var scale = 1.0
            if let c = clipnorm {
                var ss = 0.0
                for j in 0..<n { ss += gp[j] * gp[j] }
                let norm = ss.squareRoot()
                if norm > c { scale = c / norm }
            }
            try param.withUnsafeMutableBufferPointer { p in kernel(p.baseAddress!, gp, n, scale, slot) }
        }
    }
}
