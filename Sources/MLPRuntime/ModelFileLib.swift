// save(net, "file.npz") and load("file.npz"): a model as a NumPy archive.
// Layout (readable from NumPy): "__model__" holds the calls that make the layers
// again (each layer builtin's arguments, e.g. `dense(20, sigmoid) >> dense(1)`) as byte values,
// "__input_shape__" the input shape without the batch axis, and each weight
// is "<layer index>.<kind>.<name>", e.g. "0.dense.kernel", in model order.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn

enum ModelFileLib {
    static func register(_ r: inout Registry) {
        let builtins = r.layerBuiltins
        r.fn("save", [p("net"), p("path")],
             doc: "Writes a model (its layers and weights) to a .npz file, atomically; load(path) reads it back. The archive opens in NumPy: each weight is an array named like \"0.dense.kernel\". An rbm or dbn is written as its W, a, b per layer (\"0.W\", ...); word vectors in the word2vec text format.",
             example: "save(net, \"/tmp/net.npz\")") { a throws(MLPError) in
            let path = try a.string(1)
            if case .object(let o as WordVectorsValue) = a[0] {
                if let why = writeFileAtomically(path, o.wv.word2vecText()) { throw a.error("cannot write \(path): \(why).", at: 1) }
                return .nil
            }
            if let entries = try BoltzmannLib.fileEntries(a, a[0]) {
                let bytes: [UInt8]
                do { bytes = try ArrayFiles.npzEncode(entries) } catch { throw a.nativeError(error, at: 1) }
                if let why = writeFileAtomically(path, bytes) { throw a.error("cannot write \(path): \(why).", at: 1) }
                return .nil
            }
            let net = try a.model(0)
            guard let input = (net as? Sequential)?.inputShape ?? (net as? LayerBase)?.inputShape else {
                throw a.error("\(net.description) has not been run yet, so its weights do not exist; call it once (net(x) or train) before saving.", at: 0)
            }
            let layers = (net as? Sequential)?.layers ?? [net]
            var calls: [String] = []
            for l in layers {
                if let act = l as? ActivationLayer { calls.append(act.activation.name); continue }
                if l is ScriptLayer || l is FunctionLayer {
                    throw a.error("\(l.description) is written in mlp and cannot be saved as a file; save its weights with save_npz instead.", at: 0)
                }
                guard let call = (l as? LayerBase)?.call else {
                    throw a.error("\(l.description) was not made by a layer builtin with arguments that are data (numbers, strings, lists, activations), so load could not make it again; save its weights with save_npz instead.", at: 0)
                }
                calls.append(LayerCalls.text(call))
            }
            var entries: [(String, Tensor)] = [
                ("__model__", try TensorValue.vector(Array(calls.joined(separator: " >> ").utf8).map(Double.init))),
                ("__input_shape__", try TensorValue.vector(input.map(Double.init))),
            ]
            for (i, l) in layers.enumerated() {
                for p in l.parameters { entries.append(("\(i).\(l.kind).\(p.name)", p.value)) }
            }
            let bytes: [UInt8]
            do { bytes = try ArrayFiles.npzEncode(entries) } catch { throw a.nativeError(error, at: 1) }
            if let why = writeFileAtomically(path, bytes) { throw a.error("cannot write \(path): \(why).", at: 1) }
            return .nil
        }
        r.fn("load", [p("path")], doc: "Reads a model written by save(net, path) (the same layers with the same weights), an rbm or dbn, or word vectors in the word2vec text format.",
             example: "net = load(\"/tmp/net.npz\")") { a throws(MLPError) in
            let path = try a.string(0)
            // a zip archive is a model; text is word vectors in the word2vec format
            let bytes = try a.parseFile(path) { $0 }
            if bytes.starts(with: [0x50, 0x4b]) {
                let entries: [(String, Tensor)]
                do { entries = try ArrayFiles.npzDecode(bytes, poll: a.interruptPoll) }
                catch let e as MLPError { throw e } catch { throw a.error("\(path): \(message(of: error))", at: 0) }
                if let machine = try BoltzmannLib.machine(from: a, entries, path) { return machine }
                return .object(LayerValue(try rebuild(a, entries, path, builtins)))
            }
            do { return .object(WordVectorsValue(try WordVectors.parseWord2VecText(bytes))) }
            catch { throw a.error("\(path) is neither a model (.npz from save) nor word vectors in the word2vec text format: \(message(of: error))", at: 0) }
        }
    }

    static func rebuild(_ a: Args, _ entries: [(String, Tensor)], _ path: String, _ builtins: LayerBuiltins) throws(MLPError) -> Layer {
        var byName: [String: Tensor] = [:]
        for (k, t) in entries { byName[k] = t }
        guard let desc = byName["__model__"], let shape = byName["__input_shape__"] else {
            throw a.error("\(path) is a .npz archive but not a model written by save (it has no __model__ entry); load_npz reads plain archives.", at: 0)
        }
        // Everything the file describes is checked before anything is built from it: the
        // rebuild may make no tensor larger than the largest the file holds (each weight
        // must match one), nor 4M elements for the dummy input and activations.
        let limit = Swift.max(4_194_304, entries.map { $0.1.count }.max() ?? 0)
        let text = try description(a, desc, path)
        let dims = try inputShape(a, shape, path, limit: limit)
        var layers: [Layer] = []
        for part in text.split(separator: " >> ").map(String.init) {
            layers.append(try construct(a, part, path, limit: limit, builtins))
        }
        let net: Layer = layers.count == 1 ? layers[0] : Sequential(layers)
        // Build the layers one by one with a dummy input (drawing initial weights from a scratch
        // generator: the session's stream is not disturbed), each layer's weights checked against
        // the file before the next one makes its own: a long description cannot allocate more than
        // the file's weights and one layer beyond them.
        let scratch = RandomGenerator(seed: 0), savedMax = Tensor.maxCount
        defer { Tensor.maxCount = savedMax }
        Tensor.maxCount = Swift.min(savedMax, limit)
        func rebuilt<T>(_ body: () throws -> T) throws(MLPError) -> T {
            do { return try body() } catch {
                var why = message(of: error)
                if case .tooLarge = (error as? OperationError)?.kind, limit < savedMax {   // say which limit
                    why = why.dropLast() + " (loading a model makes no tensor over \(limit) elements: 4194304, or the file's largest array if larger)."
                }
                throw a.error("\(path): cannot rebuild \(controlEscaped(text)): \(why)", at: 0)
            }
        }
        let input = try rebuilt { Variable(constant: try Tensor.zeros([1] + dims)) }
        var h = input
        for (i, l) in ((net as? Sequential)?.layers ?? [net]).enumerated() {
            h = try rebuilt { try l.forward(h, ForwardPass(random: scratch)) }
            for p in l.parameters {
                let key = "\(i).\(l.kind).\(p.name)"
                guard let t = byName[key] else { throw a.error("\(path): the weight \(key) is missing.", at: 0) }
                guard t.shape == p.value.shape else {
                    throw a.error("\(path): the weight \(key) has shape \(Tensor.formatShape(t.shape)), the layer needs \(Tensor.formatShape(p.value.shape)).", at: 0)
                }
                p.value = t
            }
        }
        if let seq = net as? Sequential { _ = try rebuilt { try seq.forward(input, ForwardPass(random: scratch)) } }   // records its input shape
        return net
    }

    /// The model description: `__model__`'s values as UTF-8 text, each a whole number 0...255.
    static func description(_ a: Args, _ desc: Tensor, _ path: String) throws(MLPError) -> String {
        guard desc.ndim == 1, desc.count > 0 else {
            throw a.error("\(path): the model description (__model__) is empty; the file is damaged.", at: 0)
        }
        var bytes: [UInt8] = []
        for x in desc.scalars {
            guard x >= 0, x <= 255, x == x.rounded() else {
                throw a.error("\(path): the model description is not text (it holds \(formatNumber(x))); the file is damaged.", at: 0)
            }
            bytes.append(UInt8(x))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw a.error("\(path): the model description is not text; the file is damaged.", at: 0)
        }
        return text
    }

    /// The input shape without the batch axis: positive whole sizes, `limit` elements at most.
    static func inputShape(_ a: Args, _ shape: Tensor, _ path: String, limit: Int) throws(MLPError) -> [Int] {
        let values = shape.scalars
        let shown = "[" + values.map(formatNumber).joined(separator: ", ") + "]"
        guard shape.ndim == 1, values.count <= 8, values.allSatisfy({ $0 >= 1 && $0 < 0x1p62 && $0 == $0.rounded() }) else {
            throw a.error("\(path): the input shape (__input_shape__) \(shown) is not a list of positive whole sizes; the file is damaged.", at: 0)
        }
        let dims = values.map { Int($0) }
        guard let n = try? Tensor.checkShape(dims, "input"), n <= limit else {
            throw a.error("\(path): the input shape (__input_shape__) \(shown) is too large (over \(limit) elements).", at: 0)
        }
        return dims
    }

    /// One layer from its call, e.g. `dense(10, relu)` or `conv2d(8, 3, relu, padding="same")`, made by
    /// that layer builtin; only layer builtins and activations are called, with numbers up to `limit`.
    static func construct(_ a: Args, _ text: String, _ path: String, limit: Int, _ builtins: LayerBuiltins) throws(MLPError) -> Layer {
        func bad(_ why: String) -> MLPError { a.error("\(path): cannot read the layer '\(controlEscaped(text))': \(why).", at: 0) }
        let name = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        if let act = Activation(name: name), text.dropFirst(name.count).allSatisfy({ $0 == " " }) { return ActivationLayer(act) }
        guard let b = builtins.byName[name] else { throw bad("'\(name)' is not a layer") }
        let call: LiteralCall
        do {
            call = try LiteralCall.parse(text) { id throws(MLPError) in
                guard Activation(name: id) != nil, let v = a.interp.builtins[id] else { throw MLPError.runtime("'\(id)' is not an activation.") }
                return v
            }
        } catch { throw bad(String(error.message.dropLast(error.message.hasSuffix(".") ? 1 : 0))) }
        guard call.callee == name else { throw bad("expected a call of \(name)") }
        func check(_ v: Value) throws(MLPError) {
            if case .number(let d) = v, abs(d) > Double(limit) { throw bad("the number \(formatNumber(d)) is out of range") }
            if case .list(let l) = v { for x in l.items { try check(x) } }
        }
        for v in call.args + call.kwargs.map(\.1) { try check(v) }
        guard case .object(let o as LayerValue) = try a.interp.callBuiltin(b, call.args, call.kwargs, at: a.callLoc) else { throw bad("'\(name)' did not make a layer") }
        return o.layer
    }
}
