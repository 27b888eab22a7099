// One mlp session: an interpreter with the standard builtins, running scripts
// and REPL entries and reporting errors. The REPL and the CLI both drive it.
import MLPLang
#if canImport(Glibc)
import Glibc
#endif

public final class Session {
    public let registry: Registry
    public let interp: Interpreter
    /// What this session owns: its generator, last figure, sinks (Context.swift).
    public let context: Context
    public var out: TextSink { context.out }

    /// `seed` starts the session's generator (`seed()` in a script restarts it).
    public init(argv: [String] = [], file: String = "<script>", seed: UInt64 = 0, out: TextSink = Output(),
                err: TextSink = StandardError(), display: TextSink? = nil) {
        self.registry = Registry.standard(argv: argv)
        let context = Context(seed: seed, out: out, err: err, display: display ?? err)
        self.context = context
        self.interp = Interpreter(builtins: registry.values, file: file, context: context, write: { out.write($0) })
        interp.stdlibPath = Session.findStdlib()
        interp.stdlibModules = embeddedStdlib
        interp.imaginary = { .object(ComplexValue(0, $0)) }
    }

    /// Where errors go instead of the error sink (the golden runner's REPL transcripts).
    public var errorSink: ((MLPError) -> Void)?

    /// Reports an error on the error sink (output flushed first so the order is right).
    public func report(_ e: MLPError) {
        if let errorSink { errorSink(e); return }
        out.flush()
        context.err.write(e.render(color: context.err.color))
    }

    /// Runs a whole script; returns the exit status (0, 65, 70 or 130).
    public func runScript(source: String, name: String) -> Int32 {
        context.enter()
        defer { out.flush() }
        do {
            _ = try interp.run(source: source, name: name)
            return 0
        } catch {
            report(error)
            return error.kind.exitCode
        }
    }

    // MARK: REPL host

    public func isIncomplete(_ source: String) -> Bool { Interpreter.isIncomplete(source) }

    public func run(_ source: String) {
        defer { out.flush() }
        switch evaluate(source) {
        case .success(let shown): if let shown { out.write(shown + "\n") }
        case .failure(let error): report(error)
        }
    }

    /// Runs one entry as the REPL does (its value becomes `_`) and gives the text the
    /// REPL echoes: nil when there is no value or the entry ends with ';'. The
    /// notebook kernel shows that text as the cell's result; `name` names the entry
    /// in error messages ("<repl>", "In[3]").
    public func evaluate(_ source: String, name: String = "<repl>") -> Result<String?, MLPError> {
        context.enter()
        do {
            let v = try interp.run(source: source, name: name, tailValue: true)
            if v.isNil { return .success(nil) }
            interp.globals.set("_", v)
            return .success(source.trimmingWhitespace().hasSuffix(";") ? nil : interp.repr(v))
        } catch {
            return .failure(error)
        }
    }

    public func completions(prefix: String) -> [String] {
        let names = Set(TokenKind.keywordNames + registry.entries.map(\.name) + interp.globals.definedNames)
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    public func fieldCompletions(object: String, prefix: String) -> [String] {
        let path = object.split(separator: ".").map(String.init)
        guard let first = path.first, var v = interp.globals.lookup(first) ?? registry.entry(first)?.value else { return [] }
        let loc = SourceLoc(file: SourceFile(name: "<completion>", text: ""), line: 1, col: 1)
        for name in path.dropFirst() {
            guard let next = try? interp.field(v, name, at: loc) else { return [] }
            v = next
        }
        return interp.fieldNames(of: v).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// A global's value as the REPL shows it, nil when there is no such global.
    /// Not inlined: MLPKernel calls it so as not to handle a `Value` itself
    /// (docs/architecture.md, the threading rule).
    @inline(never)
    public func globalRepr(_ name: String) -> String? {
        guard let v = interp.globals.lookup(name) else { return nil }
        return interp.repr(v)
    }

    public func help(_ name: String) -> String? {
        if let h = registry.help(name) , interp.globals.lookup(name) == nil { return h }
        if let k = keywordHelp[name] { return k }
        if let v = lookupPath(name) {
            if case .function(let c) = v {
                // a user function, or a module's (`tasks.recall`): its doc comment
                let doc = c.doc.isEmpty ? "(no doc comment: write # lines right above 'fn \(c.name)')" : c.doc
                return "\(c.signature)\n" + doc.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
            }
            if case .builtin(let b) = v, let h = registry.help(b.name) { return h }
        }
        return registry.help(name)
    }

    /// The value of `a` or `a.b.c` (globals, then builtins) without running code.
    func lookupPath(_ path: String) -> Value? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, var v = interp.globals.lookup(first) ?? registry.entry(first)?.value else { return nil }
        let loc = SourceLoc(file: SourceFile(name: "<help>", text: ""), line: 1, col: 1)
        for name in parts.dropFirst() {
            guard let next = try? interp.field(v, name, at: loc) else { return nil }
            v = next
        }
        return v
    }

    /// `?name` for a name with no help: the closest name that has some.
    public func helpSuggestion(_ name: String) -> String? {
        nameHint(name, registry.entries.map(\.name) + Array(keywordHelp.keys) + interp.globals.definedNames)
    }

    /// `:who`: the session's variables with their type and shape (or length, or value).
    public func who() -> String {
        let names = interp.globals.definedNames.filter { $0 != "_" }.sorted()
        if names.isEmpty { return "no variables" }
        let loc = SourceLoc(file: SourceFile(name: "<who>", text: ""), line: 1, col: 1)
        var rows: [(String, String, String)] = []
        for n in names {
            guard let v = interp.globals.lookup(n) else { continue }
            var detail = ""
            switch v {
            case .number, .bool, .nil, .range: detail = interp.repr(v)
            case .string(let s): detail = s.s.count <= 30 ? interp.repr(v) : "\(s.s.count) characters"
            case .list(let l): detail = "\(l.items.count) items"
            case .dict(let d): detail = "\(d.count) keys"
            case .function(let c): detail = c.signature
            case .builtin(let b): detail = b.signature
            case .object:
                if interp.fieldNames(of: v).contains("shape"), let sh = try? interp.field(v, "shape", at: loc) { detail = interp.repr(sh) }
            }
            rows.append((n, v.typeName, detail))
        }
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0
        return rows.map { r in
            func pad(_ t: String, _ w: Int) -> String { t + String(repeating: " ", count: max(0, w - t.count)) }
            let line = pad(r.0, w0) + "  " + pad(r.1, w1) + "  " + r.2
            return String(line.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
    }

    /// Keyword parameters of the function `callee` names (a builtin, a user function
    /// or `module.f`) starting with `prefix`, as `name=`.
    public func keywordCompletions(callee: String, prefix: String) -> [String] {
        guard let v = lookupPath(callee) else { return [] }
        let names: [String]
        switch v {
        case .builtin(let b): names = b.params.map(\.name)
        case .function(let c): names = c.parameterNames
        default: return []
        }
        return names.filter { $0.hasPrefix(prefix) }.map { $0 + "=" }
    }

    public func helpIndex() -> String {
        var s = """
        Type an expression to see its value; `x = ...` defines a variable.
        Commands: ?name (help on a builtin or a function), :help, :who (variables), :time EXPR, :load FILE, :reset, :quit (or Ctrl-D).
        Ctrl-C stops a running computation; Tab completes names, fields after '.', keyword arguments in a call, and file names in strings.
        Builtins:
        """
        // each library once, in the order it first appears
        var byLib: [(String, [String])] = []
        for e in registry.entries {
            if let i = byLib.firstIndex(where: { $0.0 == e.library }) { byLib[i].1.append(e.name) } else { byLib.append((e.library, [e.name])) }
        }
        for (lib, names) in byLib { s += "\n  \(lib): \(names.joined(separator: " "))" }
        return s + "\n"
    }

    public func time(_ source: String) {
        let t0 = clockSeconds(CLOCK_MONOTONIC)
        run(source)
        let dt = clockSeconds(CLOCK_MONOTONIC) - t0
        out.write("time: \(formatDuration(dt))\n")
        out.flush()
    }

    public func load(path: String) {
        guard let text = readFile(path) else {
            report(MLPError.runtime("cannot read '\(path)'."))
            return
        }
        context.enter()
        defer { out.flush() }
        do { _ = try interp.run(source: text, name: path) } catch { report(error) }
    }

    public func reset() { interp.reset() }

    // MARK: stdlib location

    /// A folder searched before the stdlib built into the binary: $MLP_STDLIB, to
    /// try stdlib changes without rebuilding (or to add test helpers).
    static func findStdlib() -> String? { getenv("MLP_STDLIB").map { String(cString: $0) } }

    /// A folder that ships with mlp (`data`): the environment variable `env`,
    /// else `../share/mlp/FOLDER` next to the binary (`make install`), else `FOLDER`
    /// beside Package.swift above the binary (the source tree, for `.build/release/mlp`).
    static func findInstalled(_ folder: String, env: String) -> String? {
        if let e = getenv(env) { return String(cString: e) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.endIndex)])
        if directoryExists(dir + "/../share/mlp/" + folder) { return dir + "/../share/mlp/" + folder }
        for _ in 0..<5 {
            if directoryExists(dir + "/" + folder) && fileExists(dir + "/Package.swift") { return dir + "/" + folder }
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
        }
        return nil
    }
}

func formatDuration(_ s: Double) -> String {
    if s < 1e-3 { return "\(formatValueNumber(s * 1e6, ".1f")) µs" }
    if s < 1 { return "\(formatValueNumber(s * 1e3, ".2f")) ms" }
    return "\(formatValueNumber(s, ".3f")) s"
}

func formatValueNumber(_ x: Double, _ spec: String) -> String {
    (try? FormatSpec(spec).format(number: x)) ?? formatNumber(x)
}

let keywordHelp: [String: String] = [
    "fn": "fn name(a, b=2) { ... }  defines a function; the last expression is its value.\n  example: fn sq(x) { x^2 }",
    "if": "if cond { ... } else if c2 { ... } else { ... }  (also an expression: y = if c { 1 } else { 2 })",
    "while": "while cond { ... }  repeats while cond is true.\n  example: while err > 1e-6 { step() }",
    "for": "for x in xs { ... }  loops over a range, list, string (characters), dict (keys) or tensor rows.\n  example: for i in 0..10 { print(i) }",
    "import": "import NAME  loads NAME.mlp from the script's folder, else from the stdlib, once.\n  example: import tasks",
    "global": "global x  inside a function: assignments to x change the global x.",
    "try": "try { ... } catch e { ... }  runs the catch block when the try block raises an error; e.message, e.kind (\"error\", \"assertion\", \"runtime\", \"syntax\"), e.file, e.line, e.column. Ctrl-C is not caught.\n  example: try { error(\"bad\") } catch e { print(e.message) }",
    "catch": "see ?try",
    "return": "return value  leaves the function with value.",
    "break": "break  leaves the innermost loop.",
    "continue": "continue  goes on with the next iteration of the innermost loop.",
]
