// Layers, activation functions and model inspection (MLPLearn/Layers).
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

enum LayerLib {
    static func register(_ r: inout Registry) {
        activation(&r, "relu", "max(x, 0), element-wise; also an activation for layers (dense(10, relu)).", "relu(tensor([-1, 2]))   # tensor([0, 2])")
        activation(&r, "elu", "x for x > 0, else exp(x) - 1 (alpha 1, Keras's default); an activation.", "elu(-1)   # -0.6321205588285577")
        activation(&r, "softplus", "log(1 + exp(x)), computed without overflow; an activation.", "softplus(0)   # 0.6931471805599453")
        activation(&r, "leaky_relu", "x for x > 0, else 0.2 x (Keras 3's negative slope); an activation.", "leaky_relu(-1)   # -0.2")
        activation(&r, "linear", "x unchanged: the identity activation (the default of dense).", "dense(1, linear)")
        r.layer("dense", [p("units"), Param("activation", DefaultValue.none), Param("init", .string("glorot_uniform"), keywordOnly: true),
                       Param("bias", .bool(true), keywordOnly: true), Param("precision", .string("float64"), keywordOnly: true),
                       Param("dtype", DefaultValue.none, keywordOnly: true)],
             doc: "A fully connected layer act(x @ W + b) with units outputs, built at its first call from the input width; applied to the last axis (per time step on [batch, time, features]). W starts glorot_uniform (init= chooses another), b at zero. precision=\"float32\" computes in single precision, as PyTorch and Keras do by default; a chain of such layers trained with any builtin optimizer on mse or crossentropy keeps its weights, gradients and optimizer state in float32 (read as float64 when used elsewhere); dtype= is its old name, kept for a release.",
             example: "net = dense(20, sigmoid) >> dense(1)") { a throws(MLPError) in
            let units = try a.int(0)
            let act = try activationArg(a, 1)
            guard let initializer = Initializer(name: try a.string(2)) else {
                throw a.error("unknown initializer '\(try a.string(2))'; expected one of \(Initializer.names.joined(separator: ", ")).", at: 2)
            }
            let bias = try a.bool(3), type = try precisionArg(a, 4)
            return try a.native { .object(LayerValue(try Dense(units, act, useBias: bias, kernelInitializer: initializer, dtype: type))) }
        }
        r.layer("conv2d", [p("filters"), p("kernel"), Param("activation", DefaultValue.none), Param("padding", .string("valid"), keywordOnly: true),
                        Param("stride", .number(1), keywordOnly: true), Param("init", .string("glorot_uniform"), keywordOnly: true),
                        Param("precision", .string("float64"), keywordOnly: true)],
             doc: "A 2-D convolution on [batch, height, width, channels] images (Keras's Conv2D, channels last): filters kernels of size kernel (a number or [height, width]), padding \"valid\" (Keras's default) or \"same\", stride; built at the first call from the number of input channels. precision=\"float32\" computes the convolution and its gradients in single precision, as PyTorch and Keras do by default (about twice as fast; the weights stay float64).",
             example: "net = conv2d(8, 3, relu, padding=\"same\", precision=\"float32\") >> maxpool(2) >> flatten() >> dense(10, softmax)") { a throws(MLPError) in
            let filters = try a.int(0)
            let kernel: (Int, Int)
            switch a[1] {
            case .list: let k = try a.intList(1); guard k.count == 2 else { throw a.error("kernel must be a number or [height, width], got \(k.count) sizes.", at: 1) }; kernel = (k[0], k[1])
            default: let k = try a.int(1); kernel = (k, k)
            }
            let act = try activationArg(a, 2), padding = try a.string(3), stride = try a.int(4)
            guard let initializer = Initializer(name: try a.string(5)) else {
                throw a.error("unknown initializer '\(try a.string(5))'; expected one of \(Initializer.names.joined(separator: ", ")).", at: 5)
            }
            let precision = try precisionName(a, 6)
            return try a.native { .object(LayerValue(try Conv2D(filters, kernel, act, padding: padding, stride: stride, kernelInitializer: initializer,
                                                                precision: precision))) }
        }
        pooling(&r, "maxpool", "Max pooling over k x k windows (stride k, Keras's MaxPooling2D) of [batch, height, width, channels] images; padding \"valid\" (Keras's default: a remainder row or column is dropped) or \"same\" (ceil(size / k) windows, as conv2d's; the padding is never the max).") { try MaxPool2D($0, padding: $1) }
        pooling(&r, "avgpool", "Average pooling over k x k windows (stride k, Keras's AveragePooling2D); padding \"valid\" or \"same\" (ceil(size / k) windows; a window over the edge averages the pixels it covers, as Keras's).") { try AvgPool2D($0, padding: $1) }
        sized(&r, "upsample", "Nearest-neighbour upsampling by k in height and width (Keras's UpSampling2D).") { try UpSample2D($0) }
        r.layer("dropout", [p("p")], doc: "Sets a fraction p of its inputs to zero while training (and scales the rest by 1/(1-p)); does nothing in predictions.",
             example: "net = dense(100, relu) >> dropout(0.2) >> dense(10, softmax)") { a throws(MLPError) in
            let rate = try a.number(0)
            return try a.native { .object(LayerValue(try Dropout(rate))) }
        }
        r.layer("gaussian_dropout", [p("p")], doc: "Multiplies its inputs by noise of mean 1 and variance p/(1-p) while training (Keras's GaussianDropout); nothing in predictions.",
             example: "net = dense(100, relu) >> gaussian_dropout(0.1) >> dense(10, softmax)") { a throws(MLPError) in
            let rate = try a.number(0)
            return try a.native { .object(LayerValue(try GaussianDropout(rate))) }
        }
        r.layer("batchnorm", [Param("momentum", .number(0.99), keywordOnly: true), Param("epsilon", .number(1e-3), keywordOnly: true)],
             doc: "Batch normalisation over all axes but the last (Keras's BatchNormalization): batch statistics while training, moving averages (momentum) in predictions; a learned scale and shift.",
             example: "net = dense(64) >> batchnorm() >> relu >> dense(10)") { a throws(MLPError) in
            let m = try a.number(0), e = try a.number(1)
            return try a.native { .object(LayerValue(try BatchNorm(momentum: m, epsilon: e))) }
        }
        recurrent(&r, "lstm", "A long short-term memory layer (Keras's LSTM: gates i, f, c, o; orthogonal recurrent kernel, forget-gate bias 1) on [batch, time, features]; the whole sequence is one fused op with backpropagation through time.",
                  "net = lstm(5) >> lstm(2)", dtype: true) { units, _, seqs, stateful, type in
            try LSTM(units, returnSequences: seqs, stateful: stateful, dtype: type)
        }
        recurrent(&r, "gru", "A gated recurrent unit layer (Keras 3's GRU, reset_after) on [batch, time, features], fused over the sequence.",
                  "net = gru(16) >> dense(1)", dtype: true) { units, _, seqs, stateful, type in
            try GRU(units, returnSequences: seqs, stateful: stateful, dtype: type)
        }
        recurrent(&r, "simple_rnn", "A plain recurrent layer h_t = act(x_t W + h_(t-1) U + b) (Keras's SimpleRNN, tanh by default) on [batch, time, features].",
                  "net = simple_rnn(8) >> dense(1)", activation: true, dtype: true) { units, act, seqs, stateful, type in
            try SimpleRNN(units, act, returnSequences: seqs, stateful: stateful, dtype: type)
        }
        r.layer("embedding", [p("vocab"), p("dim")],
             doc: "A lookup table of vocab vectors of size dim (Keras's Embedding, uniform(-0.05, 0.05) at the start): integer indices of any shape give shape + [dim]; the rows used train.",
             example: "net = embedding(1000, 16) >> lstm(32, return_sequences=false) >> dense(1, sigmoid)") { a throws(MLPError) in
            let n = try a.int(0), d = try a.int(1)
            return try a.native { .object(LayerValue(try Embedding(n, d))) }
        }
        r.fn("reset_states", [p("net")], doc: "Forgets the state that stateful recurrent layers of net carry between calls.",
             example: "reset_states(net)") { a throws(MLPError) in
            let net = try a.model(0)
            for l in (net as? Sequential)?.layers ?? [net] { (l as? RecurrentLayer)?.resetStates() }
            return .nil
        }
        r.fn("layer", [p("f"), p("weights")],
             doc: "A layer written in mlp: f(x, w) computes the output from the input x and a dict w of weights. weights is a dict of tensors, or a function of the input shape (without the batch axis) giving one, called at the first use. The weights train with the rest of the model.",
             example: "scale = layer((x, w) -> x * w[\"s\"], shape -> {s: ones(shape[-1])})") { a throws(MLPError) in
            let f = try a.callable(0)
            switch a[1] {
            case .dict, .function, .builtin: break
            default: throw a.typeError(1, "a dict of tensors or a function of the input shape")
            }
            return .object(LayerValue(ScriptLayer(f, a[1], a.interp)))
        }
        r.fn("activations", [p("net"), p("x"), rngParam],
             doc: "The output of every layer of net on input x, in order (the hidden activations the course reads out); layers not built yet draw their first weights from rng= when given.",
             example: "hs = activations(net, x); print(shape(hs[0]))") { a throws(MLPError) in
            let net = try a.model(0), x = try a.tensor(1)
            var outs: [Value] = []
            let pass = ForwardPass(random: try a.generator(2), poll: a.interruptPoll)
            pass.record = { _, y in outs.append(.object(TensorValue(y.value))) }
            try a.native { _ = try net.forward(Variable(constant: x), pass) }
            if !(net is Sequential) { outs = Array(outs.suffix(1)) }
            return .list(outs)
        }
        r.fn("params", [p("net")], doc: "The weight tensors of a layer or model, in order (empty before its first call).",
             example: "ws = params(net)") { a throws(MLPError) in
            .list(try a.model(0).parameters.map { .object(TensorValue($0.value)) })
        }
        r.fn("summary", [p("net")], doc: "Prints a table of the model's layers with output shapes and weight counts, as Keras's summary.",
             example: "summary(dense(10, relu) >> dense(1))") { a throws(MLPError) in
            a.writeOutput(summaryTable(try a.model(0)))
            return .nil
        }
    }

    /// A recurrent layer: units, (activation,) return_sequences=true, stateful=false (, precision="float64").
    static func recurrent(_ r: inout Registry, _ name: String, _ doc: String, _ example: String, activation: Bool = false,
                          dtype: Bool = false,
                          _ make: @escaping @Sendable (Int, Activation, Bool, Bool, ComputeType) throws -> Layer) {
        var params = [p("units")]
        if activation { params.append(Param("activation", .string("tanh"))) }
        params += [Param("return_sequences", .bool(true), keywordOnly: true), Param("stateful", .bool(false), keywordOnly: true)]
        if dtype { params += [Param("precision", .string("float64"), keywordOnly: true), Param("dtype", DefaultValue.none, keywordOnly: true)] }
        let k = params.count - (dtype ? 2 : 0)
        let dtypeDoc = dtype ? " precision=\"float32\" computes the products and gates in single precision, as PyTorch and Keras do by default (LSTM and GRU layers train about twice as fast; the weights stay float64, but a model of float32 recurrent layers (lstm, gru, simple_rnn) then float32 dense layers trains natively with its weights and optimizer state in float32); dtype= is its old name, kept for a release." : ""
        r.layer(name, params, doc: doc + " return_sequences=false gives only the last step; stateful=true carries the final state into the next call (reset_states). layer.state holds the final state; layer.initial_state = [h] (or [h, c]) sets the starting one." + dtypeDoc,
             example: example) { a throws(MLPError) in
            let units = try a.int(0)
            let act = activation ? try activationArg(a, 1) : .tanh
            let seqs = try a.bool(k - 2), stateful = try a.bool(k - 1)
            let type = dtype ? try precisionArg(a, k) : .float64
            return try a.native { .object(LayerValue(try make(units, act, seqs, stateful, type))) }
        }
    }

    /// The compute precision at argument i (`precision=`), or at i + 1 under its old
    /// name `dtype=`, which will mean a tensor's element type once complex tensors come.
    static func precisionArg(_ a: Args, _ i: Int) throws(MLPError) -> ComputeType {
        var at = i
        if !a.isNil(i + 1) {
            if a.context.warned.insert("dtype=").inserted {
                a.context.warn("\(a.fn.name): dtype= is the old name of precision= for layers (dtype will mean a tensor's element type); use precision=\"\(try a.string(i + 1))\".")
            }
            at = i + 1
        }
        return try precisionName(a, at)
    }

    /// The compute precision named at argument i: "float64" or "float32".
    static func precisionName(_ a: Args, _ i: Int) throws(MLPError) -> ComputeType {
        let name = try a.string(i)
        guard let t = ComputeType(rawValue: name) else {
            throw a.error("'\(name)' is not a precision; expected \"float64\" or \"float32\".", at: i)
        }
        return t
    }

    /// A layer with one size argument k (default 2).
    /// maxpool, avgpool: a window size and padding=.
    static func pooling(_ r: inout Registry, _ name: String, _ doc: String, _ make: @escaping @Sendable (Int, String) throws -> Layer) {
        r.layer(name, [p("k", 2), Param("padding", .string("valid"), keywordOnly: true)], doc: doc,
                example: "net = conv2d(4, 3, relu) >> \(name)(2, padding=\"same\")") { a throws(MLPError) in
            let k = try a.int(0), padding = try a.string(1)
            return try a.native { .object(LayerValue(try make(k, padding))) }
        }
    }

    static func sized(_ r: inout Registry, _ name: String, _ doc: String, _ make: @escaping @Sendable (Int) throws -> Layer) {
        r.layer(name, [p("k", 2)], doc: doc, example: "net = conv2d(4, 3, relu) >> \(name)(2)") { a throws(MLPError) in
            let k = try a.int(0)
            return try a.native { .object(LayerValue(try make(k))) }
        }
    }

    /// The activation argument: nil (linear), an activation builtin such as relu, or its name.
    static func activationArg(_ a: Args, _ i: Int) throws(MLPError) -> Activation {
        let name: String
        switch a[i] {
        case .nil: return .linear
        case .builtin(let b): name = b.name
        case .string(let s): name = s.s
        default: throw a.typeError(i, "an activation (\(Activation.names.joined(separator: ", ")))")
        }
        guard let act = Activation(name: name) else {
            throw a.error("'\(name)' is not an activation; expected one of \(Activation.names.joined(separator: ", ")).", at: i)
        }
        return act
    }

    /// An activation as a function of numbers and tensors (tracked ones too).
    static func activation(_ r: inout Registry, _ name: String, _ doc: String, _ example: String) {
        let act = Activation(name: name)!
        r.fn(name, [p("x")], doc: doc, example: example) { a throws(MLPError) in
            if case .number(let d) = a[0] {
                return try a.native { .number(try act.apply(Variable(constant: Tensor(scalar: d))).value.scalars[0]) }
            }
            let x = try a.variable(0)
            return try a.native { .object(TensorValue(try act.apply(x))) }
        }
    }

    /// Keras's summary: one row per layer, then the weight counts.
    static func summaryTable(_ net: Layer) -> String {
        let layers = (net as? Sequential)?.layers ?? [net]
        var rows: [(String, String, String)] = [("Layer", "Output shape", "Weights")]
        var total = 0, trainable = 0
        for l in layers {
            let n = l.parameters.reduce(0) { $0 + $1.value.count }
            total += n
            trainable += l.parameters.filter { $0.trainable && !$0.frozen }.reduce(0) { $0 + $1.value.count }
            let shape = l.lastOutputShape.map { s in "[batch" + s.dropFirst().map { ", \($0)" }.joined() + "]" } ?? "?"
            rows.append((l.description, shape, l.parameters.isEmpty && !(l is ActivationLayer) && shape == "?" ? "?" : String(n)))
        }
        let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: w - s.count) + s }
        let rule = String(repeating: "─", count: w0 + w1 + w2 + 6)
        var out = rule + "\n"
        for (i, row) in rows.enumerated() {
            out += "\(pad(row.0, w0))   \(pad(row.1, w1))   \(lpad(row.2, w2))\n"
            if i == 0 { out += rule + "\n" }
        }
        out += rule + "\n"
        out += "Weights: \(total) (trainable \(trainable), fixed \(total - trainable))\n"
        if layers.contains(where: { $0.lastOutputShape == nil }) { out += "(? : not built yet; a model is built by its first call, net(x))\n" }
        return out
    }
}
