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

    public func help(_ name: String) -> String? {
        if let h = registry.help(name) { return h }
        if let k = keywordHelp[name] { return k }
        return nil
    }

    public func helpIndex() -> String {
        var s = """
        Type an expression to see its value; `x = ...` defines a variable.
        Commands: ?name (help on a builtin), :help, :time EXPR, :load FILE, :reset, :quit (or Ctrl-D).
        Ctrl-C stops a running computation; Tab completes names, fields after '.', and file names in strings.
        Builtins:
        """
        var byLib: [(String, [String])] = []
        for e in registry.entries {
            if byLib.last?.0 == e.library { byLib[byLib.count - 1].1.append(e.name) } else { byLib.append((e.library, [e.name])) }
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
    "return": "return value  leaves the function with value.",
    "break": "break  leaves the innermost loop.",
    "continue": "continue  goes on with the next iteration of the innermost loop.",
]
