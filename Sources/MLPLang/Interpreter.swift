// The interpreter: runs resolved programs, calls functions, and holds the
// state of one session (module globals, imports, output, limits).
import Synchronization

/// Set by the SIGINT handler; loops and long builtins poll it.
public enum Interrupt {
    public static let flag = Atomic<Bool>(false)
}

public final class Interpreter {
    public let globals: GlobalStore
    public let builtins: [String: Value]
    /// Where `print` writes (stdout, or a buffer in tests).
    public var write: (String) -> Void
    /// The directory `import` searches after the importing file's own folder.
    public var stdlibPath: String?
    /// Loaded modules by path, so each is run once.
    var modules: [String: Value] = [:]

    var depth = 0
    public var maxDepth = 10_000
    var ticks = 0
    /// Stops a program after this many loop iterations and calls (the fuzzer sets it).
    public var stepBudget: Int? = nil

    public init(builtins: [String: Value], file: String = "<script>", write: @escaping (String) -> Void = { print($0, terminator: "") }) {
        self.builtins = builtins
        self.globals = GlobalStore(file: file)
        self.write = write
    }

    // MARK: running source

    /// Parses and resolves `source` against this session's globals.
    public func compile(_ file: SourceFile, tailValue: Bool = false) throws(MLPError) -> Program {
        try compile(file, into: globals, tailValue: tailValue)
    }

    func compile(_ file: SourceFile, into store: GlobalStore, tailValue: Bool) throws(MLPError) -> Program {
        let body = try Parser.parse(file, tailValue: tailValue)
        var r = Resolver(globals: store, builtins: builtins)
        try r.resolve(body)
        return Program(body: body, slotCount: 0)
    }

    /// Runs a compiled program; returns the value of its last expression for REPL entries.
    public func run(_ program: Program) throws(MLPError) -> Value {
        let frame = Frame.make(self, count: program.slotCount, captures: [])
        depth = 0
        do {
            if case .returned = try execBlock(program.body, frame) { return frame.ret }
            return .nil
        } catch {
            error.leavingScript()
            throw error
        }
    }

    /// Compiles and runs in one step.
    @discardableResult
    public func run(source: String, name: String, tailValue: Bool = false) throws(MLPError) -> Value {
        try run(try compile(SourceFile(name: name, text: source), tailValue: tailValue))
    }

    /// True when the source is unfinished (the REPL reads another line).
    public static func isIncomplete(_ source: String) -> Bool {
        do { _ = try Parser.parse(SourceFile(name: "<repl>", text: source), tailValue: false); return false }
        catch { return error.atEnd || ([error] + error.more).contains { $0.message == "unterminated string." || $0.atEnd } }
    }

    // MARK: limits

    /// Called per loop iteration and per call: Ctrl-C and the step budget.
    @inline(__always) func tick(_ loc: SourceLoc) throws(MLPError) {
        ticks &+= 1
        if ticks & 1023 == 0 { try checkLimits(loc) }
    }

    func checkLimits(_ loc: SourceLoc) throws(MLPError) {
        if Interrupt.flag.exchange(false, ordering: .relaxed) {
            throw MLPError(.interrupt, "interrupted.", at: loc)
        }
        if let b = stepBudget, ticks > b {
            throw MLPError.runtime("step budget of \(b) exhausted.", at: loc)
        }
    }

    /// Lets long-running builtins honour Ctrl-C.
    public func pollInterrupt(_ loc: SourceLoc) throws(MLPError) { try checkLimits(loc) }

    // MARK: calls

    /// A call written in the source: arguments are evaluated straight into the callee's frame.
    func callExpr(_ fn: Value, _ node: CallExpr, _ f: Frame) throws(MLPError) -> Value {
        switch fn {
        case .function(let c):
            // counted before the arguments' defaults run: they may call functions too
            depth += 1
            defer { depth -= 1 }
            if depth > maxDepth { throw stackOverflow(node.loc) }
            let decl = c.proto
            let n = node.args.count
            if n > decl.params.count {
                throw .runtime("\(decl.name)() takes \(decl.params.count) argument\(decl.params.count == 1 ? "" : "s"), got \(n).", at: node.loc)
            }
            let frame = Frame.make(self, count: decl.slotCount, captures: c.captures)
            for i in 0..<n { frame.slots[i] = try node.args[i].eval(f) }
            if node.kwNames.isEmpty {
                if n < decl.params.count { try fillDefaults(decl, frame, given: n, set: nil, at: node.loc) }
            } else {
                var set = [Bool](repeating: false, count: decl.params.count)
                for i in 0..<n { set[i] = true }
                for (k, name) in node.kwNames.enumerated() {
                    guard let p = decl.params.firstIndex(of: name) else {
                        throw .runtime("\(decl.name)() has no parameter '\(name)'\(paramHint(name, decl.params)).", at: node.kwArgs[k].loc)
                    }
                    if set[p] { throw .runtime("\(decl.name)() got two values for '\(name)'.", at: node.kwArgs[k].loc) }
                    frame.slots[p] = try node.kwArgs[k].eval(f)
                    set[p] = true
                }
                try fillDefaults(decl, frame, given: 0, set: set, at: node.loc)
            }
            return try invoke(c, frame, at: node.loc)
        case .builtin(let b):
            var args: [Value] = [], locs: [SourceLoc?] = []
            args.reserveCapacity(node.args.count)
            for a in node.args { args.append(try a.eval(f)); locs.append(a.loc) }
            var kw: [(String, Value, SourceLoc)] = []
            for (k, name) in node.kwNames.enumerated() { kw.append((name, try node.kwArgs[k].eval(f), node.kwArgs[k].loc)) }
            return try callBuiltin(b, args, locs, kw, at: node.loc)
        default:
            var args: [Value] = []
            for a in node.args { args.append(try a.eval(f)) }
            var kw: [(String, Value)] = []
            for (k, name) in node.kwNames.enumerated() { kw.append((name, try node.kwArgs[k].eval(f))) }
            return try call(fn, args, kw, at: node.loc, calleeExpr: node.callee)
        }
    }

    func stackOverflow(_ loc: SourceLoc) -> MLPError {
        .runtime("stack overflow (more than \(maxDepth) nested calls).", at: loc)
    }

    func paramHint(_ name: String, _ params: [String]) -> String {
        closestName(to: name, in: params).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Missing parameters take their defaults, evaluated in the callee's frame (they may use earlier parameters).
    func fillDefaults(_ decl: FunctionDecl, _ frame: Frame, given: Int, set: [Bool]?, at loc: SourceLoc) throws(MLPError) {
        for i in given..<decl.params.count where !(set?[i] ?? false) {
            guard let d = decl.defaults[i] else {
                throw .runtime("\(decl.name)() is missing argument '\(decl.params[i])'.", at: loc)
            }
            frame.slots[i] = try d.eval(frame)
        }
    }

    /// Runs a closure's body in a prepared frame (parameters already in place).
    func invoke(_ c: Closure, _ frame: Frame, at loc: SourceLoc) throws(MLPError) -> Value {
        let decl = c.proto
        for i in decl.cellParams { frame.slots[i] = .object(CellBox(Cell(frame.slots[i]))) }
        for i in decl.cellSlots { frame.slots[i] = .object(CellBox(Cell(unassigned))) }
        try tick(loc)
        do {
            _ = try execBlock(decl.body, frame)
        } catch {
            error.leaving(decl.name, callSite: loc)
            throw error
        }
        return frame.ret
    }

    /// Calls any callable value (used by builtins such as map and sort, and by `>>`).
    public func call(_ fn: Value, _ args: [Value], _ kwargs: [(String, Value)] = [], at loc: SourceLoc, calleeExpr: Expr? = nil) throws(MLPError) -> Value {
        switch fn {
        case .function(let c):
            depth += 1
            defer { depth -= 1 }
            if depth > maxDepth { throw stackOverflow(loc) }
            let decl = c.proto
            if args.count > decl.params.count {
                throw .runtime("\(decl.name)() takes \(decl.params.count) argument\(decl.params.count == 1 ? "" : "s"), got \(args.count).", at: loc)
            }
            let frame = Frame.make(self, count: decl.slotCount, captures: c.captures)
            for (i, a) in args.enumerated() { frame.slots[i] = a }
            var set = [Bool](repeating: false, count: decl.params.count)
            for i in 0..<args.count { set[i] = true }
            for (name, v) in kwargs {
                guard let p = decl.params.firstIndex(of: name) else {
                    throw .runtime("\(decl.name)() has no parameter '\(name)'\(paramHint(name, decl.params)).", at: loc)
                }
                if set[p] { throw .runtime("\(decl.name)() got two values for '\(name)'.", at: loc) }
                frame.slots[p] = v; set[p] = true
            }
            try fillDefaults(decl, frame, given: 0, set: set, at: loc)
            return try invoke(c, frame, at: loc)
        case .builtin(let b):
            return try callBuiltin(b, args, [], kwargs.map { ($0.0, $0.1, loc) }, at: loc)
        case .object(let o):
            do {
                if let r = try o.call(args, kwargs, self) { return r }
            } catch { throw error.located(loc) }
            throw .runtime("a \(o.typeName) cannot be called.", at: loc)
        default:
            let message = (calleeExpr as? NameExpr).map { "'\($0.name)' is \(describeForError(fn)), not a function." }
                ?? "\(describeForError(fn)) is not a function."
            throw .runtime(message, at: calleeExpr?.loc ?? loc)
        }
    }

    /// Binds positional and keyword arguments to a builtin's parameters and calls it.
    public func callBuiltin(_ b: Builtin, _ args: [Value], _ locs: [SourceLoc?], _ kwargs: [(String, Value, SourceLoc)], at loc: SourceLoc) throws(MLPError) -> Value {
        let np = b.params.count
        var values = [Value](repeating: .nil, count: np)
        var argLocs = [SourceLoc?](repeating: nil, count: np)
        var set = [Bool](repeating: false, count: np)
        var rest: [Value] = []
        let positional = b.positionalCount
        for (i, a) in args.enumerated() {
            if i < positional { values[i] = a; set[i] = true; argLocs[i] = i < locs.count ? locs[i] : nil }
            else if b.rest != nil { rest.append(a) }
            else {
                let l = i < locs.count ? locs[i] ?? loc : loc
                throw .runtime("\(b.name) takes \(positional) argument\(positional == 1 ? "" : "s"), got \(args.count) (\(b.signature)).", at: l)
            }
        }
        for (name, v, l) in kwargs {
            guard let p = b.params.firstIndex(where: { $0.name == name }) else {
                throw .runtime("\(b.name) has no parameter '\(name)'\(paramHint(name, b.params.map(\.name))) (\(b.signature)).", at: l)
            }
            if set[p] { throw .runtime("\(b.name) got two values for '\(name)'.", at: l) }
            values[p] = v; set[p] = true; argLocs[p] = l
        }
        for i in 0..<np where !set[i] {
            guard let d = b.params[i].defaultValue else {
                throw .runtime("\(b.name) is missing argument '\(b.params[i].name)' (\(b.signature)).", at: loc)
            }
            values[i] = d.value
        }
        var a = Args(interp: self, fn: b, values: values, rest: rest, locs: argLocs, callLoc: loc)
        do { return try b.body(&a) } catch { throw error.located(loc) }
    }

    // MARK: modules

    func importModule(_ name: String, from loc: SourceLoc) throws(MLPError) -> Value {
        let dir = directory(of: loc.file.name)
        var candidates = [dir.isEmpty ? "\(name).mlp" : "\(dir)/\(name).mlp"]
        if let s = stdlibPath { candidates.append("\(s)/\(name).mlp") }
        guard let path = candidates.first(where: { fileExists($0) }) else {
            throw .runtime("import: no module '\(name)' (no \(name).mlp next to this script or in the stdlib).", at: loc)
        }
        if let m = modules[path] { return m }
        guard let text = readFile(path) else { throw .runtime("import: cannot read '\(path)'.", at: loc) }
        let store = GlobalStore(file: path)
        let module = Value.object(ModuleObject(name: name, globals: store))
        modules[path] = module   // set first so an import cycle ends
        let program = try compile(SourceFile(name: path, text: text), into: store, tailValue: false)
        let frame = Frame.make(self, count: program.slotCount, captures: [])
        do { _ = try execBlock(program.body, frame) } catch {
            modules[path] = nil
            error.leaving("import \(name)", callSite: loc)
            throw error
        }
        return module
    }

    /// Forgets every global and loaded module (`:reset`).
    public func reset() { globals.removeAll(); modules = [:] }
}

func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
}
