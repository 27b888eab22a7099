// dense(n, act): y = act(x @ W + b), applied to the last axis (so per time step on 3-D input).
import MLPTensor
import MLPAutograd

public final class Dense: LayerBase, Layer {
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// What the product computes in (float32: sgemm on converted operands; the weights stay float64).
    public let dtype: ComputeType

    public init(_ units: Int, _ activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                dtype: ComputeType = .float64) throws {
        guard units > 0 else { throw LearnError("dense", "the number of units must be positive, got \(units).") }
        self.units = units; self.activation = activation; self.useBias = useBias
        self.kernelInitializer = kernelInitializer; self.biasInitializer = biasInitializer
        self.dtype = dtype
    }

    public var kind: String { "dense" }
    public var description: String {
        (activation == .linear ? "dense(\(units)" : "dense(\(units), \(activation.name)")
            + dtype.argument + ")"
    }

    func build(_ inputWidth: Int, _ random: RandomGenerator) throws {
        parameters = [Parameter("kernel", try kernelInitializer.make([inputWidth, units], fanIn: inputWidth, fanOut: units, using: random))]
        if useBias { parameters.append(Parameter("bias", try biasInitializer.make([units], fanIn: inputWidth, fanOut: units, using: random))) }
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        guard x.value.ndim >= 1, let width = x.value.shape.last else {
            throw LearnError("dense", "expected an input with a feature axis, got a scalar.")
        }
        guard x.value.ndim >= 2 else {
            // a vector would be taken as one sample (dense(1)(linspace(0, 1, 5)) gave one number)
            throw LearnError(nil, "\(description): the input has shape [\(width)], without a batch axis; a layer takes a batch [samples, features]. Reshape it: reshape(x, [\(width), 1]) for \(width) samples of one feature, reshape(x, [1, \(width)]) for one sample of \(width) features. (train, evaluate and predict do the first by themselves.)")
        }
        if parameters.isEmpty { try build(width, pass.random) }
        let w = parameters[0].value.shape[0]
        guard width == w else {
            throw LearnError(nil, "dense(\(units)): expected inputs with \(w) features (the layer was built for that), got shape \(Tensor.formatShape(x.value.shape)).")
        }
        // batches of sequences: one product over all time steps
        let shape = x.value.shape
        // no gradient wanted: float32 weights as stored, bias and activation in one pass
        if dtype == .float32, pass.tape == nil, x.tape == nil, activation.hasSingleKernels, x.value.count > 0 {
            return finish(Variable(constant: try singleForward(x.value)), pass, self, from: x)
        }
        var y: Variable
        if dtype == .float32 {
            let flat = shape.count != 2 ? try x.reshaped([-1, width]) : x
            y = try Variable.matmulFloat32(flat, pass.variable(parameters[0]))
        } else {
            y = try Variable.matmul(shape.count > 2 ? try x.reshaped([-1, width]) : x, pass.variable(parameters[0]))
        }
        if useBias { y = try y + pass.variable(parameters[1]) }
        if y.value.ndim != shape.count { y = try y.reshaped(Array(shape.dropLast()) + [units]) }
        return finish(try activation.apply(y), pass, self, from: x)
    }
}

extension Dense {
    /// The layer on x in single precision, with its float32 weights (made once from the
    /// float64 ones, or the ones training keeps): no graph.
    func singleForward(_ x: Tensor) throws -> Tensor {
        let width = parameters[0].shape[0], rows = x.count / width
        let a = try SingleValues(count: x.count), z = try SingleValues(count: rows * units)
        let xp = x.storage.pointer
        for i in 0..<x.count { a.pointer[i] = Float(xp[i]) }
        Tensor.blasProduct(transposeA: false, transposeB: false, rows, units, width, alpha: 1,
                           a.pointer, width, try parameters[0].singleValues(), units, beta: 0, z.pointer, units)
        let bias = useBias ? UnsafePointer(try parameters[1].singleValues()) : nil
        SingleDense.biasActivation(z.pointer, rows: rows, cols: units, bias: bias, activation)
        let out = try Tensor(uninitializedShape: Array(x.shape.dropLast()) + [units], "dense")
        let o = out.storage.pointer
        for i in 0..<rows * units { o[i] = Double(z.pointer[i]) }
        return out
    }
}
