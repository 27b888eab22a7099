// The builtin table: every builtin has a name, parameters with defaults, a
// one-line doc and an example. `?name`, completion and docs/builtins.md are all
// generated from it. Each library file adds its entries through `Registry`.
import MLPLang
import MLPLearn

public struct BuiltinEntry {
    public let name: String
    public let library: String
    /// `name(a, b=1)` for functions, just `name` for constants.
    public let signature: String
    public let doc: String
    public let example: String
    public let value: Value
    /// Whether it makes layers that save and load through it (`Registry.layer`).
    public internal(set) var makesLayers = false
}

public struct Registry {
    public private(set) var entries: [BuiltinEntry] = []
    var library = ""
    /// What load may call: filled as layer builtins are added, read when a model is loaded.
    let layerBuiltins = LayerBuiltins()

    /// Adds a function.
    mutating func fn(_ name: String, _ params: [Param] = [], rest: String? = nil,
                     doc: String, example: String, _ body: @escaping BuiltinBody) {
        let b = Builtin(name, params, rest: rest, body)
        entries.append(BuiltinEntry(name: name, library: library, signature: b.signature, doc: doc, example: example, value: .builtin(b)))
    }

    /// Adds a function that makes layers: each layer it returns keeps the call as data,
    /// so that save writes it and load makes the layer again through this builtin.
    mutating func layer(_ name: String, _ params: [Param] = [], rest: String? = nil,
                        doc: String, example: String, _ body: @escaping BuiltinBody) {
        fn(name, params, rest: rest, doc: doc, example: example) { a throws(MLPError) in
            let v = try body(&a)
            if case .object(let o as LayerValue) = v, let l = o.layer as? LayerBase { l.call = LayerCalls.record(a) }
            return v
        }
        entries[entries.count - 1].makesLayers = true
        if case .builtin(let b) = entries[entries.count - 1].value { layerBuiltins.byName[name] = b }
    }

    /// Lets a library answer some calls of builtin `name` that another library
    /// registered (a gradient path): `body` returns nil for the calls it leaves to
    /// the builtin's own body; `doc` is added to the builtin's help.
    mutating func extend(_ name: String, doc: String, _ body: @escaping (inout Args) throws(MLPError) -> Value?) {
        guard let i = entries.firstIndex(where: { $0.name == name }), case .builtin(let old) = entries[i].value else {
            fatalError("extend: no builtin \(name) is registered before this library")   // a registry-order bug, found by every test run
        }
        let b = Builtin(name, old.params, rest: old.rest) { (a: inout Args) throws(MLPError) -> Value in
            if let v = try body(&a) { return v }
            return try old.body(&a)
        }
        let e = entries[i]
        entries[i] = BuiltinEntry(name: name, library: e.library, signature: b.signature, doc: e.doc + " " + doc, example: e.example, value: .builtin(b))
    }

    /// Adds a constant such as `pi`.
    mutating func constant(_ name: String, _ value: Value, doc: String, example: String) {
        entries.append(BuiltinEntry(name: name, library: library, signature: name, doc: doc, example: example, value: value))
    }

    /// The whole table, every library in order.
    public static func standard(argv: [String]) -> Registry {
        var r = Registry()
        r.library = "base"; BaseLib.register(&r)
        r.library = "math"; MathLib.register(&r)
        r.library = "numerics"; ScientificLib.register(&r)
        r.library = "numerics"; ODELib.register(&r)
        r.library = "tensor"; TensorLib.register(&r)
        r.library = "autograd"; AutogradLib.register(&r)
        r.library = "layers"; LayerLib.register(&r)
        r.library = "train"; TrainLib.register(&r)
        r.library = "train"; CallbackLib.register(&r)
        r.library = "optim"; OptimLib.register(&r)
        r.library = "files"; ModelFileLib.register(&r)
        r.library = "text"; TextLib.register(&r)
        r.library = "manifold"; ManifoldLib.register(&r)
        r.library = "text"; WordVectorLib.register(&r)
        r.library = "boltzmann"; BoltzmannLib.register(&r)
        r.library = "random"; RandomLib.register(&r)
        r.library = "random"; DistributionsLib.register(&r)
        r.library = "string"; StringLib.register(&r)
        r.library = "list"; ListLib.register(&r)
        r.library = "io"; IOLib.register(&r, argv: argv)
        r.library = "files"; ArrayFileLib.register(&r)
        r.library = "plot"; PlotLib.register(&r)
        r.library = "rl"; RLLib.register(&r)
        r.library = "montecarlo"; MonteCarloLib.register(&r)
        r.library = "quantum"; QuantumLib.register(&r)
        r.library = "complex"; ComplexLib.register(&r)
        ScientificLib.extendComplex(&r)
        return r
    }

    public var values: [String: Value] {
        var d: [String: Value] = [:]
        for e in entries { d[e.name] = e.value }
        return d
    }

    public func entry(_ name: String) -> BuiltinEntry? { entries.first { $0.name == name } }

    /// The `?name` text.
    public func help(_ name: String) -> String? {
        guard let e = entry(name) else { return nil }
        return "\(e.signature)\n  \(e.doc)\n  example: \(e.example)"
    }
}

/// `p("x")`, `p("n", 1)`: shorthand for parameter lists in the library files.
func p(_ name: String) -> Param { Param(name) }
func p(_ name: String, _ d: Double) -> Param { Param(name, .number(d)) }
func p(_ name: String, _ d: Bool) -> Param { Param(name, .bool(d)) }
func p(_ name: String, _ d: String) -> Param { Param(name, .string(d)) }
func opt(_ name: String) -> Param { Param(name, DefaultValue.none) }

/// A method of a native object (`tok.encode`, `opt.step`): a builtin value whose
/// closure holds the object.
func boundMethod(_ name: String, _ params: [Param], _ body: @escaping (Args) throws(MLPError) -> Value) -> Value {
    .builtin(Builtin(name, params) { (a: inout Args) throws(MLPError) -> Value in try body(a) })
}
