// Layers as Keras has them: built lazily at their first call, when the input
// width is known; parameters live in the layer, optimizer state does not.
import MLPTensor
import MLPAutograd

/// A trainable tensor of a layer (a kernel, a bias). Optimizers key their state by its identity.
///
/// A parameter of a float32 layer (`dense(n, precision="float32")`, or `conv2d(...,
/// precision="float32")` in a CNN that trains natively) is stored in
/// single precision once it has trained natively: `single` then holds the newer
/// values, and `value` (float64, what everything else reads) is made from them
/// only when read. Setting `value` makes the float64 values the newer ones again.
public final class Parameter {
    public let name: String
    private var stored: Tensor
    /// The single-precision values, when the parameter has some.
    private var single: SingleValues?
    /// Which copy is current when both exist.
    private var singleNewer = false
    public var trainable: Bool
    /// Frozen by its layer (`layer.trainable = false`, Keras's): no gradient, no update.
    /// Kept apart from `trainable`, which says what the tensor is (a moving mean is never trained).
    public var frozen = false
    public init(_ name: String, _ value: Tensor, trainable: Bool = true) {
        self.name = name; self.stored = value; self.trainable = trainable
    }

    /// The values in float64 (from the single-precision ones when those are newer).
    public var value: Tensor {
        get { if singleNewer { refreshDouble() }; return stored }
        _modify {
            if singleNewer { refreshDouble() }
            single = nil
            yield &stored
        }
        set { stored = newValue; single = nil; singleNewer = false }
    }

    /// The shape (without making float64 values).
    public var shape: [Int] { stored.shape }

    /// The values in single precision, made from the float64 ones if they are newer;
    /// with `forUpdate` the caller changes them and they become the current values.
    public func singleValues(forUpdate: Bool = false) throws -> UnsafeMutablePointer<Float> {
        let s: SingleValues
        if let have = single { s = have } else {
            s = try SingleValues(count: stored.count)
            let d = stored.storage.pointer, f = s.pointer
            for i in 0..<stored.count { f[i] = Float(d[i]) }
            single = s
        }
        if forUpdate { singleNewer = true }
        return s.pointer
    }

    /// Whether the single-precision values are the current ones (trained natively since
    /// the float64 values were last set).
    public var isSingle: Bool { singleNewer }

    private func refreshDouble() {
        // a fresh buffer: the old one may be shared with a value the user holds
        guard let s = single, let t = try? Tensor(uninitializedShape: stored.shape, "parameter") else { return }
        singleNewer = false
        let d = t.storage.pointer, f = s.pointer
        for i in 0..<t.count { d[i] = Double(f[i]) }
        stored = t
    }
}

/// A buffer of `count` T, 64-byte aligned, freed with its owner: a float32 layer's
/// parameter, its optimizer state, the buffers of a native float32 step.
public final class AlignedBuffer<T> {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int
    public init(count: Int) throws {
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw LearnError(nil, TensorStorage.outOfMemory(bytes: .infinity, "for float32 values")) }
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: T.self, capacity: Swift.max(count, 1))
        self.count = count
    }
    /// An empty buffer (a placeholder until the first step reserves).
    public convenience init() { try! self.init(count: 0) }   // one element: no overflow
    deinit { pointer.deallocate() }
}

/// Floats: a float32 layer's parameter, its optimizer state, its scratch.
public typealias SingleValues = AlignedBuffer<Float>

/// One forward pass through a model: whether it trains (dropout on, batch
/// statistics updated) and, when gradients are wanted, the tape its parameters go on.
public final class ForwardPass {
    public let tape: Tape?
    public let training: Bool
    /// What layers built in this pass draw their initial weights from, and dropout its noise.
    public let random: RandomGenerator
    /// Called with each layer's output in order (the course reads hidden activations this way).
    public var record: ((Layer, Variable) -> Void)?
    /// Called between the layers of a model (Ctrl-C): a layer on a large batch can
    /// take seconds, and whatever this throws stops the pass.
    public var poll: (() throws -> Void)?
    private var leaves: [ObjectIdentifier: Variable] = [:]
    /// The parameters this pass used, with their variables on the tape, in order of first use.
    public private(set) var used: [(Parameter, Variable)] = []

    public init(tape: Tape? = nil, training: Bool = false, random: RandomGenerator, poll: (() throws -> Void)? = nil) {
        self.tape = tape; self.training = training; self.random = random; self.poll = poll
    }

    /// The parameter as a variable of this pass: a leaf on the tape when training, else a constant.
    public func variable(_ p: Parameter) -> Variable {
        guard let tape, p.trainable, !p.frozen else { return Variable(constant: p.value) }
        if let v = leaves[ObjectIdentifier(p)] { return v }
        let v = Variable(leaf: p.value, tape: tape)
        leaves[ObjectIdentifier(p)] = v
        used.append((p, v))
        return v
    }
}

public protocol Layer: AnyObject {
    /// The constructor call that makes this layer, e.g. `dense(10, relu)`.
    var description: String { get }
    /// The layer's kind for tables, e.g. `dense`.
    var kind: String { get }
    /// Trainable and non-trainable tensors; empty until the layer is built.
    var parameters: [Parameter] { get }
    /// The output shape of the last call (batch axis included), for summaries.
    var lastOutputShape: [Int]? { get }
    /// Runs the layer, building it first when this is its first call.
    func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable
}

/// Errors of the learning library: a layer given the wrong input, an unknown option.
public typealias LearnError = OperationError

/// Common storage of the built-in layers: parameters and the shape bookkeeping.
open class LayerBase {
    public var parameters: [Parameter] = []
    public var lastOutputShape: [Int]?
    /// The input shape of the first call without the batch axis (what save needs to rebuild the layer).
    public var inputShape: [Int]?
    /// The builtin call that made the layer (set by the runtime; nil for layers written in mlp).
    public var call: LayerCall?
    /// Keras's `layer.trainable`: false freezes the layer's weights (set before or after it is built).
    public var trainable = true {
        didSet { for p in parameters { p.frozen = !trainable } }
    }
    /// What a native training step keeps with the model (SingleDenseTrainer).
    public var trainingCache: AnyObject?
    public init() {}

    /// Records the output for summaries and `activations`, and the input shape at
    /// the first call (what save needs to rebuild a layer saved on its own).
    public func finish(_ y: Variable, _ pass: ForwardPass, _ layer: Layer, from x: Variable) -> Variable {
        note(input: x.value.shape, output: y.value.shape)
        pass.record?(layer, y)
        return y
    }

    /// finish's bookkeeping from the shapes alone (batch axis included), for a layer run
    /// fused with the next (Conv2D.forwardPooled), whose own output is never made.
    func note(input: [Int], output: [Int]) {
        if inputShape == nil { inputShape = Array(input.dropFirst()) }
        if !trainable { for p in parameters where !p.frozen { p.frozen = true } }
        lastOutputShape = output
    }
}

/// `a >> b >> c`: layers applied in order (nesting flattens).
public final class Sequential: Layer {
    /// Layers shared by the models of one `>>` chain: a model uses the first `count`, which
    /// never change, and `appending` adds after them in place while nothing else has, so
    /// that `net = net >> layer` in a loop costs O(1) a layer, not a copy of the model.
    private final class Chain {
        var layers: [Layer]
        init(_ layers: [Layer]) { self.layers = layers }
    }
    private let chain: Chain
    private let count: Int

    public var layers: [Layer] { Array(chain.layers[..<count]) }

    public init(_ layers: [Layer]) {
        var flat: [Layer] = []
        for l in layers { if let s = l as? Sequential { flat += s.layers } else { flat.append(l) } }
        chain = Chain(flat)
        count = flat.count
    }

    private init(_ chain: Chain) { self.chain = chain; count = chain.layers.count }

    /// `self >> next` (a model's layers are added one by one); self is unchanged.
    public func appending(_ next: Layer) -> Sequential {
        guard count == chain.layers.count else { return Sequential([self, next]) }
        chain.layers += (next as? Sequential)?.layers ?? [next]
        return Sequential(chain)
    }

    public var kind: String { "sequential" }
    public var description: String { chain.layers[..<count].map(\.description).joined(separator: " >> ") }
    public var parameters: [Parameter] { chain.layers[..<count].flatMap(\.parameters) }
    public var lastOutputShape: [Int]? { chain.layers[..<count].last?.lastOutputShape }
    /// The input shape of the first call without the batch axis.
    public private(set) var inputShape: [Int]?
    /// What a native training step keeps with the model (SingleDenseTrainer).
    public var trainingCache: AnyObject?

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        if inputShape == nil { inputShape = Array(x.value.shape.dropFirst()) }
        var h = x, i = 0
        while i < count {
            if i > 0, let poll = pass.poll { try poll() }
            let l = chain.layers[i]
            // a float32 convolution and the max pooling after it run as one op
            if i &+ 1 < count, let conv = l as? Conv2D, let pool = chain.layers[i &+ 1] as? MaxPool2D,
               let y = try conv.forwardPooled(h, pool, pass) {
                h = y; i &+= 2
                continue
            }
            h = try l.forward(h, pass)
            i &+= 1
        }
        return h
    }
}
