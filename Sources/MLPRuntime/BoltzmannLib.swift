// Boltzmann machines (lectures 9-10): rbm, cd, dbn and what one asks of a machine
// (gibbs, free_energy, pseudo_likelihood, log_likelihood, ...). Training goes
// through `train` (TrainLib hands a machine to `trainMachine`); the kernels are
// MLPLearn's (Sources/MLPLearn/Boltzmann/).
import MLPLang
import MLPTensor
import MLPLearn

/// A restricted Boltzmann machine as a value: `m.W`, `m.a`, `m.b` (the lecture's
/// notation) read and set its parameters.
final class RBMValue: MLPObject {
    let machine: RBM
    init(_ m: RBM) { machine = m }
    override var typeName: String { "rbm" }
    override func description(_ interp: Interpreter) -> String {
        "<rbm: \(machine.visible) \(machine.units.rawValue) visible, \(machine.hidden) hidden>"
    }
    override var fieldNames: [String] { ["visible", "hidden", "units", "W", "a", "b"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "visible": return .number(Double(machine.visible))
        case "hidden": return .number(Double(machine.hidden))
        case "units": return .str(machine.units.rawValue)
        case "W": return .object(TensorValue(machine.weights))
        case "a": return .object(TensorValue(machine.visibleBias))
        case "b": return .object(TensorValue(machine.hiddenBias))
        default: return nil
        }
    }
    override func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        let shape: [Int]
        switch name {
        case "W": shape = [machine.visible, machine.hidden]
        case "a": shape = [machine.visible]
        case "b": shape = [machine.hidden]
        default: return false
        }
        let t = try TensorValue.fromNested(value)
        guard t.shape == shape else {
            throw MLPError.runtime("\(name): this machine's \(name) has shape \(Tensor.formatShape(shape)), got \(Tensor.formatShape(t.shape)).")
        }
        if let (_, bad) = t.firstNonFinite() { throw MLPError.runtime("\(name): the parameters must be finite, got \(formatNumber(bad)).") }
        switch name {
        case "W": machine.weights = t
        case "a": machine.visibleBias = t
        default: machine.hiddenBias = t
        }
        return true
    }
}

/// A deep belief net: `d.layers` are its RBMs (the same machines, not copies).
final class DBNValue: MLPObject {
    let net: DBN
    init(_ n: DBN) { net = n }
    override var typeName: String { "dbn" }
    override func description(_ interp: Interpreter) -> String { "<dbn: \(net.sizes.map(String.init).joined(separator: " -> "))>" }
    override var fieldNames: [String] { ["layers", "sizes"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        switch name {
        case "layers": return .list(ListObj(net.layers.map { .object(RBMValue($0)) }))
        case "sizes": return .list(ListObj(net.sizes.map { .number(Double($0)) }))
        default: return nil
        }
    }
}

/// The training rule `cd(...)`: what `train` does with a machine.
final class CDValue: MLPObject {
    let options: CDOptions
    init(_ o: CDOptions) { options = o }
    override var typeName: String { "cd" }
    override func description(_ interp: Interpreter) -> String {
        let o = options
        var parts = ["k=\(o.k)", "lr=\(formatNumber(o.learningRate))"]
        if o.persistent { parts.append("persistent=true") }
        if o.momentum != 0 { parts.append("momentum=\(formatNumber(o.momentum))") }
        if o.weightDecay != 0 { parts.append("weight_decay=\(formatNumber(o.weightDecay))") }
        if !o.probabilities { parts.append("probabilities=false") }
        if let c = o.chains { parts.append("chains=\(c)") }
        if o.float32 { parts.append("precision=\"float32\"") }
        return "cd(\(parts.joined(separator: ", ")))"
    }
}

enum BoltzmannLib {
    static func register(_ r: inout Registry) {
        r.fn("rbm", [p("visible"), p("hidden"), Param("units", .string("binary"), keywordOnly: true), Param("std", .number(0.01), keywordOnly: true),
                     Param("data", DefaultValue.none, keywordOnly: true), rngParam],
             doc: "A restricted Boltzmann machine with `visible` units (units=\"binary\", or \"gaussian\" for real-valued data of unit variance: Gaussian-Bernoulli) and `hidden` binary units. Weights W [visible, hidden] start N(0, std^2), biases a (visible) and b (hidden) at zero; data=x sets a from the pixel means, log(p / (1 - p)) (Hinton's guide). Fields m.W, m.a, m.b read and set the parameters. Train it with train(m, cd(k=1, lr=0.1), x, batch=, epochs=).",
             example: "m = rbm(784, 64, data=x); h = train(m, cd(k=1, lr=0.05), x, batch=100, epochs=5)") { a throws(MLPError) in
            let nv = try a.positive(0), nh = try a.positive(1), units = try unitsArg(a, 2)
            let std = try a.number(3)
            guard std >= 0, std.isFinite else { throw a.error("'std' must be a finite number >= 0, got \(formatNumber(std)).", at: 3) }
            let g = try a.generator(5)
            let m = try a.native(at: 1) { try RBM(visible: nv, hidden: nh, units: units, std: std, using: &g.state) }
            if !a.isNil(4) {
                let x = try a.tensor(4)
                try a.native(at: 4) { _ = try m.checkData(x, nil); try m.setVisibleBias(fromMeansOf: x) }
            }
            return .object(RBMValue(m))
        }
        r.fn("cd", [Param("k", .number(1)), Param("lr", .number(0.1), keywordOnly: true), Param("persistent", .bool(false), keywordOnly: true),
                    Param("momentum", .number(0), keywordOnly: true), Param("weight_decay", .number(0), keywordOnly: true),
                    Param("probabilities", .bool(true), keywordOnly: true), Param("chains", DefaultValue.none, keywordOnly: true),
                    Param("precision", .string("float64"), keywordOnly: true)],
             doc: "Contrastive divergence with k Gibbs steps, the rule train uses for an rbm or dbn: plain SGD with learning rate lr on the batch mean of <v h>_data - <v h>_model; persistent=true keeps the chains between batches (PCD, as scikit-learn's BernoulliRBM; chains= of them, default the batch size); momentum and weight_decay (on W) as Hinton's guide. probabilities=true follows the guide (hidden units driven by data sampled, reconstructions and the last hidden units as probabilities); false samples every unit (the course's basic run). precision=\"float32\" computes the products in single precision (sgemm, about twice as fast; the parameters and their updates stay float64).",
             example: "train(m, cd(k=1, lr=0.01, momentum=0.9, weight_decay=1e-4), x, batch=10, epochs=5)") { a throws(MLPError) in
            var o = CDOptions()
            o.k = try a.int(0, in: 1...100_000)
            o.learningRate = try finite(a, 1)
            o.persistent = try a.bool(2)
            o.momentum = try a.number(3)
            guard (0..<1).contains(o.momentum) else { throw a.error("'momentum' must be in [0, 1), got \(formatNumber(o.momentum)).", at: 3) }
            o.weightDecay = try finite(a, 4)
            guard o.weightDecay >= 0 else { throw a.error("'weight_decay' must be at least 0, got \(formatNumber(o.weightDecay)).", at: 4) }
            o.probabilities = try a.bool(5)
            if !a.isNil(6) {
                guard o.persistent else { throw a.error("chains= is for persistent CD (persistent=true).", at: 6) }
                o.chains = try a.int(6, in: 1...1 << 20)
            }
            switch try a.string(7) {
            case "float64": break
            case "float32": o.float32 = true
            case let other: throw a.error("precision must be \"float64\" or \"float32\", got \"\(other)\".", at: 7)
            }
            return .object(CDValue(o))
        }
        r.fn("gibbs", [p("machine"), p("v"), p("steps"), Param("every", DefaultValue.none, keywordOnly: true), Param("means", .bool(false), keywordOnly: true), rngParam],
             doc: "Runs block Gibbs sampling v -> h -> v' of an rbm for `steps` steps from each row of v (one chain per row) and returns the last visible states; every=s returns the states after every s-th step, [steps / s, chains, visible] (a chain's pictures). means=true returns E[v | h] of those steps instead of the samples (the chain goes on from the samples).",
             example: "chain = gibbs(m, x[0:1], 100, every=10, means=true)") { a throws(MLPError) in
            let m = try machine(a, 0), v = try a.tensor(1), steps = try a.int(2, in: 0...100_000_000)
            let every: Int? = a.isNil(3) ? nil : try a.int(3, in: 1...max(steps, 1))
            let means = try a.bool(4), g = try a.generator(5)
            return try a.newTensor(at: 1) { try m.gibbs(v, steps: steps, every: every, means: means, random: &g.state) }
        }
        r.fn("free_energy", [p("machine"), p("v")],
             doc: "The free energy F(v) = -log sum_h exp(-E(v, h)) of each row of v (binary units: -a.v - sum_j log(1 + exp(b_j + (v W)_j))), so that P(v) = exp(-F(v)) / Z. A number for one sample.",
             example: "f = free_energy(m, x[0:10])") { a throws(MLPError) in
            let m = try machine(a, 0), v = try a.tensor(1)
            return try a.native(at: 1) {
                let f = try m.freeEnergy(v)
                return v.ndim == 1 ? .number(f[0]) : .object(TensorValue(try Tensor(f)))
            }
        }
        r.fn("pseudo_likelihood", [p("machine"), p("v")],
             doc: "The pseudo-log-likelihood of binary data under a binary rbm: sum over all visible units i of log P(v_i | the others), averaged over the rows of v (nats per sample; exact, every unit flipped: no random unit as scikit-learn's score_samples).",
             example: "pll = pseudo_likelihood(m, x[0:1000])") { a throws(MLPError) in
            let m = try machine(a, 0), v = try a.tensor(1)
            return try a.native(at: 1) { .number(try m.pseudoLogLikelihood(v)) }
        }
        r.fn("log_partition", [p("machine")],
             doc: "log Z of a small rbm, exactly: the smaller layer's states are enumerated (the hidden layer for gaussian units) and the other layer summed out. An error when that layer has too many units (above about 20-30).",
             example: "log_partition(rbm(4, 3))") { a throws(MLPError) in
            let m = try machine(a, 0)
            return try a.native(at: 0) { .number(try m.logPartition()) }
        }
        r.fn("log_likelihood", [p("machine"), p("v")],
             doc: "The exact mean log-likelihood of the rows of v, mean(-F(v)) - log Z, for a machine small enough to enumerate (see log_partition); a log-density for gaussian units.",
             example: "ll = log_likelihood(m, x)") { a throws(MLPError) in
            let m = try machine(a, 0), v = try a.tensor(1)
            return try a.native(at: 1) { .number(try m.logLikelihood(v)) }
        }
        r.fn("reconstruction_error", [p("machine"), p("v")],
             doc: "The mean squared difference per unit between v and its reconstruction E[v | h = P(h | v)] (deterministic: probabilities, no sampling); what train reports as the loss of a machine.",
             example: "reconstruction_error(m, x_test)") { a throws(MLPError) in
            let m = try machine(a, 0), v = try a.tensor(1)
            return try a.native(at: 1) { .number(try m.reconstructionError(v)) }
        }
        r.fn("rbm_hidden", [p("machine"), p("v")],
             doc: "P(h = 1 | v) for each row of v: the hidden features (for a classifier on top). For a dbn, the top layer's probabilities with the data passed up through every layer.",
             example: "features = rbm_hidden(m, x)") { a throws(MLPError) in
            let v = try a.tensor(1)
            if case .object(let o as DBNValue) = a[0] { return try a.newTensor(at: 1) { try o.net.up(v, through: o.net.layers.count) } }
            let m = try machine(a, 0)
            return try a.newTensor(at: 1) { try m.hiddenProbabilities(v) }
        }
        r.fn("rbm_visible", [p("machine"), p("h")],
             doc: "E[v | h] for each row of hidden states h: P(v_i = 1 | h) for binary units, the mean a + W h for gaussian ones (what a hidden unit 'draws': rbm_visible(m, one-hot rows)).",
             example: "pictures = rbm_visible(m, eye(m.hidden))") { a throws(MLPError) in
            let m = try machine(a, 0), h = try a.tensor(1)
            return try a.newTensor(at: 1) { try m.visibleMeans(h) }
        }
        r.fn("dbn", [p("sizes"), Param("units", .string("binary"), keywordOnly: true), Param("std", .number(0.01), keywordOnly: true), rngParam],
             doc: "A deep belief net: RBMs stacked as sizes [visible, hidden1, hidden2, ...]; train(d, cd(...), x, ...) trains them greedily, layer by layer (each on the hidden probabilities of the one below). d.layers are the RBMs; dbn_sample draws from it, dbn_network turns it into a network for train to fine-tune.",
             example: "d = dbn([784, 500, 200]); train(d, cd(k=1, lr=0.05), x, batch=100, epochs=5)") { a throws(MLPError) in
            let sizes = try a.intList(0), units = try unitsArg(a, 1)
            let std = try a.number(2)
            guard std >= 0, std.isFinite else { throw a.error("'std' must be a finite number >= 0, got \(formatNumber(std)).", at: 2) }
            let g = try a.generator(3)
            return .object(DBNValue(try a.native(at: 0) { try DBN(sizes: sizes, units: units, std: std, using: &g.state) }))
        }
        r.fn("dbn_sample", [p("net"), p("n"), Param("steps", .number(1000), keywordOnly: true), rngParam],
             doc: "n samples of a deep belief net, top-down: a Gibbs chain of `steps` steps in the top two layers (an RBM) from random states, then down through P(v | h) of each layer below; returns the bottom layer's probabilities [n, visible].",
             example: "pictures = dbn_sample(d, 10, steps=500)") { a throws(MLPError) in
            guard case .object(let o as DBNValue) = a[0] else { throw a.typeError(0, "a deep belief net (made by dbn)") }
            let n = try a.int(1, in: 1...1 << 20), steps = try a.int(2, in: 0...100_000_000), g = try a.generator(3)
            return try a.newTensor { try o.net.sample(n, steps: steps, random: &g.state) }
        }
        r.fn("dbn_network", [p("net")],
             doc: "A network initialised from a trained rbm or deep belief net (the lecture's pre-training): dense(hidden, sigmoid) layers with each RBM's W and hidden biases b, in order, computing P(h | v) layer by layer. Add an output layer and train it as any network (fine-tuning); the machine is not changed.",
             example: "net = dbn_network(d) >> dense(10, softmax); train(net, adam, [x, y], loss=crossentropy)") { a throws(MLPError) in
            let rbms: [RBM]
            switch a[0] {
            case .object(let o as DBNValue): rbms = o.net.layers
            case .object(let o as RBMValue): rbms = [o.machine]
            default: throw a.typeError(0, "a deep belief net or an rbm")
            }
            var layers: [Layer] = []
            for m in rbms {
                let d = try a.native { try Dense(m.hidden, .sigmoid) }
                d.parameters = [Parameter("kernel", m.weights), Parameter("bias", m.hiddenBias)]
                d.call = LayerCall("dense", [.number(Double(m.hidden)), .activation("sigmoid")], [])
                layers.append(d)
            }
            return .object(LayerValue(layers.count == 1 ? layers[0] : Sequential(layers)))
        }
    }

    static func finite(_ a: Args, _ i: Int) throws(MLPError) -> Double {
        let x = try a.number(i)
        guard x.isFinite else { throw a.error("'\(a.paramName(i))' must be finite, got \(formatNumber(x)).", at: i) }
        return x
    }

    static func unitsArg(_ a: Args, _ i: Int) throws(MLPError) -> VisibleUnits {
        let s = try a.string(i)
        guard let u = VisibleUnits(rawValue: s) else { throw a.error("units must be \"binary\" or \"gaussian\", got \"\(s)\".", at: i) }
        return u
    }

    static func machine(_ a: Args, _ i: Int) throws(MLPError) -> RBM {
        guard case .object(let o as RBMValue) = a[i] else {
            if case .object(is DBNValue) = a[i] { throw a.error("expected an rbm, got a dbn; use one of its layers (d.layers[0]).", at: i) }
            throw a.typeError(i, "an rbm (made by rbm(visible, hidden))")
        }
        return o.machine
    }

    /// `train(machine, cd(...), x, batch=, epochs=)` for an rbm or dbn (TrainLib calls
    /// this first; nil when argument 0 is no machine). The parameters are train's:
    /// net, opt, data, loss, epochs, batch, steps, validation, shuffle, verbose, metrics, rng.
    static func trainMachine(_ a: Args) throws(MLPError) -> Value? {
        let single: RBM?, stack: DBN?
        switch a[0] {
        case .object(let o as RBMValue): single = o.machine; stack = nil
        case .object(let o as DBNValue): single = nil; stack = o.net
        default: return nil
        }
        guard case .object(let c as CDValue) = a[1] else {
            throw a.typeError(1, "a training rule for a Boltzmann machine, cd(k=1, lr=0.1, ...)")
        }
        for (i, what) in [(3, "loss="), (7, "validation="), (10, "metrics="), (12, "validation_split="), (13, "callbacks=")] where !a.isNil(i) {
            throw a.error("\(what) is for networks; a Boltzmann machine trains on its own objective (cd).", at: i)
        }
        if case .list = a[2] { throw a.error("a Boltzmann machine learns from the data alone: pass x, not [x, y].", at: 2) }
        let x = try a.tensor(2)
        let epochs = try a.positive(4), batch = try a.positive(5)
        let steps = a.isNil(6) ? nil : try a.positive(6)
        let shuffle = try a.bool(8), verbose = try TrainLib.verboseArg(a, 9), g = try a.generator(11)
        let bar = ProgressBar(enabled: verbose, sink: a.context.display)
        let interp = a.interp, loc = a.callLoc
        let stop: () throws -> Bool = {
            if Interrupt.flag.exchange(false, ordering: .relaxed) { return true }
            try interp.pollInterrupt(loc)
            return false
        }
        do throws(MLPError) {
            if let m = single {
                let h = try a.native(at: 2) {
                    try m.train(x, c.options, epochs: epochs, batch: batch, steps: steps, shuffle: shuffle, random: &g.state,
                                report: { bar.show($0) }, shouldStop: stop)
                }
                bar.finish(h)
                if let why = h.stopped { a.context.warn("train: \(why); the weights trained so far are kept.") }
                return .object(HistoryValue(h))
            }
            let hs = try a.native(at: 2) {
                try stack!.train(x, c.options, epochs: epochs, batch: batch, steps: steps, shuffle: shuffle, random: &g.state,
                                 report: { bar.show($1) }, shouldStop: stop)
            }
            bar.finish(hs.last)
            if let why = hs.last?.stopped { a.context.warn("train: \(why); the weights trained so far are kept.") }
            return .list(ListObj(hs.map { .object(HistoryValue($0)) }))
        } catch { bar.finish(nil); throw error }
    }

    /// What save writes for an rbm or dbn (nil for anything else): "__boltzmann__"
    /// holds the kind and the first layer's units as bytes ("rbm binary", "dbn gaussian"),
    /// then each layer's "i.W", "i.a", "i.b".
    static func fileEntries(_ a: Args, _ v: Value) throws(MLPError) -> [(String, Tensor)]? {
        let kind: String, layers: [RBM]
        switch v {
        case .object(let o as RBMValue): kind = "rbm"; layers = [o.machine]
        case .object(let o as DBNValue): kind = "dbn"; layers = o.net.layers
        default: return nil
        }
        var entries = [("__boltzmann__", try TensorValue.vector(Array("\(kind) \(layers[0].units.rawValue)".utf8).map(Double.init)))]
        for (i, m) in layers.enumerated() { entries += [("\(i).W", m.weights), ("\(i).a", m.visibleBias), ("\(i).b", m.hiddenBias)] }
        return entries
    }

    /// An rbm or dbn from a file written by save (nil when the archive holds no machine).
    static func machine(from a: Args, _ entries: [(String, Tensor)], _ path: String) throws(MLPError) -> Value? {
        var byName: [String: Tensor] = [:]
        for (k, t) in entries { byName[k] = t }
        guard let tag = byName["__boltzmann__"] else { return nil }
        let words = String(decoding: tag.scalars.map { UInt8(clamping: Int($0)) }, as: UTF8.self).split(separator: " ").map(String.init)
        guard words.count == 2, ["rbm", "dbn"].contains(words[0]), let units = VisibleUnits(rawValue: words[1]) else {
            throw a.error("\(path): the machine's description is damaged.", at: 0)
        }
        var layers: [RBM] = []
        while let w = byName["\(layers.count).W"] {
            let i = layers.count
            guard let va = byName["\(i).a"], let vb = byName["\(i).b"] else { throw a.error("\(path): layer \(i) lacks its biases.", at: 0) }
            layers.append(try a.native(at: 0) { try RBM(weights: w, visibleBias: va, hiddenBias: vb, units: i == 0 ? units : .binary) })
        }
        guard !layers.isEmpty, words[0] == "dbn" || layers.count == 1 else { throw a.error("\(path): the machine's layers are damaged.", at: 0) }
        for i in 1..<max(layers.count, 1) where layers[i].visible != layers[i - 1].hidden {
            throw a.error("\(path): layer \(i) has \(layers[i].visible) visible units, the layer below \(layers[i - 1].hidden) hidden ones.", at: 0)
        }
        if words[0] == "rbm" { return .object(RBMValue(layers[0])) }
        return .object(DBNValue(try a.native(at: 0) { try DBN(layers: layers) }))
    }
}
