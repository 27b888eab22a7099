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
    /// Module sources by name, for `import` when no file is found: the stdlib built
    /// into the binary, so that `mlp` needs no files beside it.
    public var stdlibModules: [String: String] = [:]
    /// Loaded modules by path, so each is run once.
    var modules: [String: Value] = [:]

    var depth = 0
    public var maxDepth = 10_000
    /// Locals of all active calls, one window per call (Frame).
    let stack: UnsafeMutablePointer<Value>
    static let stackCapacity = 1 << 20
    var stackTop = 0
    var returnValue: Value = .nil
    /// Where string interpolation assembles its bytes (Text.swift).
    var text = ByteBuffer()
    var ticks = 0
    /// Where native code that calls back into mlp (a layer running a function) was
    /// entered from: the call of an object, or a builtin that sets it.
    public var nativeLoc = SourceLoc(file: SourceFile(name: "<native>", text: ""), line: 1, col: 1)
    /// Stops a program after this many loop iterations and calls (the fuzzer sets it).
    public var stepBudget: Int? = nil
    /// The session's state that builtins use (MLPRuntime's Context; the language
    /// itself never looks inside).
    public let context: AnyObject
    /// Makes the value of an imaginary literal `2i` (set by MLPRuntime's session).
    public var imaginary: ((Double) -> Value)? = nil

    public init(builtins: [String: Value], file: String = "<script>", context: AnyObject,
                write: @escaping (String) -> Void = { print($0, terminator: "") }) {
        self.builtins = builtins
        self.context = context
        self.globals = GlobalStore(file: file)
        self.write = write
        self.stack = .allocate(capacity: Interpreter.stackCapacity)
    }

    deinit {
        stack.deinitialize(count: stackTop)
        stack.deallocate()
        text.free()
    }

    /// Reserves `count` slots for a call: the first `params` (about to be filled
    /// with arguments) start as nil, the locals as unassigned. The first `uninitialized`
    /// slots are left for the caller to initialize (before anything can throw).
    @inline(__always) func pushFrame(count: Int, params: Int = 0, uninitialized: Int = 0, closure: Closure?, at loc: SourceLoc) throws(MLPError) -> Frame {
        guard stackTop + count <= Interpreter.stackCapacity else { throw stackOverflow(loc) }
        let base = stack + stackTop
        let p = min(params, count)
        var i = uninitialized
        while i < p { (base + i).initialize(to: .nil); i += 1 }
        if count > p { (base + p).initialize(repeating: unassigned, count: count - p) }
        stackTop += count
        return Frame(slots: base, closure: closure, interp: self)
    }

    /// Reserves `count` slots holding nil for a builtin's arguments. No Frame: nothing
    /// runs in it, and a Frame holds the interpreter (a retain and a release per call).
    @inline(__always) func pushSlots(_ count: Int, at loc: SourceLoc) throws(MLPError) -> UnsafeMutablePointer<Value> {
        guard stackTop + count <= Interpreter.stackCapacity else { throw stackOverflow(loc) }
        let base = stack + stackTop
        var i = 0
        while i < count { (base + i).initialize(to: .nil); i += 1 }
        stackTop += count
        return base
    }

    /// Releases the slots of `pushSlots`.
    @inline(__always) func popSlots(_ base: UnsafeMutablePointer<Value>, _ count: Int) {
        var i = 0
        while i < count { (base + i).deinitialize(count: 1); i += 1 }
        stackTop -= count
    }

    /// Releases the locals of the innermost call.
    @inline(__always) func popFrame(_ f: Frame, count: Int) {
        var i = 0
        while i < count {
            // numbers, bools and nil hold no reference: no call of the value's destroy
            switch f.slots[i] {
            case .number, .bool, .nil: break
            default: (f.slots + i).deinitialize(count: 1)
            }
            i += 1
        }
        stackTop -= count
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
        depth = 0
        let frame = try pushFrame(count: program.slotCount, closure: nil, at: SourceLoc(file: SourceFile(name: "", text: ""), line: 1, col: 1))
        defer { popFrame(frame, count: program.slotCount) }
        do {
            if case .returned = try execBlock(unretained(program.body), frame) { return takeReturnValue() }
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

    /// Called per loop iteration and per call: Ctrl-C and the step budget. The flag
    /// is read every time (a plain load): an iteration can be slow (a large product),
    /// and a thousand of them would keep Ctrl-C waiting.
    @inline(__always) func tick(_ loc: SourceLoc) throws(MLPError) {
        ticks &+= 1
        if ticks & tickMask == 0 || Interrupt.flag.load(ordering: .relaxed) { try checkLimits(loc) }
    }

    /// Limits are checked every `tickMask + 1` ticks: every tick when there is a deadline
    /// (a loop around one slow builtin must not overrun it by a thousand calls).
    var tickMask = 1023

    /// A time limit, in seconds of the monotonic clock (the fuzzer sets one per input).
    public var deadline: Double? = nil {
        didSet { tickMask = deadline == nil ? 1023 : 0 }
    }

    func checkLimits(_ loc: SourceLoc) throws(MLPError) {
        if Interrupt.flag.exchange(false, ordering: .relaxed) {
            throw MLPError(.interrupt, "stopped by Ctrl-C.", at: loc)
        }
        if let b = stepBudget, ticks > b {
            throw uncatchable(.runtime("step budget of \(b) exhausted.", at: loc))
        }
        if let d = deadline, monotonicSeconds() > d {
            throw uncatchable(.runtime("time budget exhausted.", at: loc))
        }
    }

    /// Lets long-running builtins honour Ctrl-C.
    public func pollInterrupt(_ loc: SourceLoc) throws(MLPError) { try checkLimits(loc) }

    // MARK: calls

    /// A call written in the source: arguments are evaluated straight into the callee's frame.
    func callExpr(_ fn: Value, _ node: CallExpr, _ f: Frame) throws(MLPError) -> Value {
        switch fn {
        case .function(let c):
            return try callFunction(c, node, f)
        case .builtin(let b):
            return try callBuiltin(b, node, f)
        default:
            var args: [Value] = []
            for a in node.args { args.append(try a.eval(f)) }
            var kw: [(String, Value)] = []
            for (k, name) in node.kwNames.enumerated() { kw.append((name, try node.kwArgs[k].eval(f))) }
            return try call(fn, args, kw, at: node.loc, calleeExpr: node.callee)
        }
    }

    /// A call of a user function written in the source (`c` is kept alive by the caller).
    func callFunction(_ c: Closure, _ node: CallExpr, _ f: Frame) throws(MLPError) -> Value {
        // counted before the arguments' defaults run: they may call functions too
        depth += 1
        defer { depth -= 1 }
        if depth > maxDepth { throw stackOverflow(node.loc) }
        let decl = c.proto
        let n = node.args.count
        if n > decl.params.count {
            throw .runtime("\(decl.name)() takes \(decl.params.count) argument\(decl.params.count == 1 ? "" : "s"), got \(n).", at: node.loc)
        }
        // the arguments initialize their slots (n <= params <= slotCount)
        let frame = try pushFrame(count: decl.slotCount, params: decl.params.count, uninitialized: n, closure: c, at: node.loc)
        defer { popFrame(frame, count: decl.slotCount) }
        var i = 0
        do {
            while i < n {
                if let v = node.argFast[i].value(f) {
                    (frame.slots + i).initialize(to: v)
                } else {
                    (frame.slots + i).initialize(to: try node.argRefs[i].eval(f))
                }
                i += 1
            }
        } catch {
            while i < n { (frame.slots + i).initialize(to: .nil); i += 1 }
            throw error
        }
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
    }

    func stackOverflow(_ loc: SourceLoc) -> MLPError {
        uncatchable(.runtime("stack overflow (more than \(maxDepth) nested calls).", at: loc))
    }

    func uncatchable(_ e: MLPError) -> MLPError { e.catchable = false; return e }

    func paramHint(_ name: String, _ params: [String]) -> String {
        closestName(to: name, in: params).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Missing parameters take their defaults, evaluated in the callee's frame (they may use earlier parameters).
    func fillDefaults(_ decl: FunctionDecl, _ frame: Frame, given: Int, set: [Bool]?, at loc: SourceLoc) throws(MLPError) {
        // defaults may read captured parameters, which live in cells
        if decl.hasCells { wrapCellParams(decl, frame) }
        for i in given..<decl.params.count where !(set?[i] ?? false) {
            guard let d = decl.defaults[i] else {
                throw .runtime("\(decl.name)() is missing argument '\(decl.params[i])'.", at: loc)
            }
            let v = try d.eval(frame)
            if isCellBox(frame.slots[i]) { frame.cell(i).value = v } else { frame.slots[i] = v }
        }
    }

    /// Moves captured parameters into cells (once; unset ones start unassigned).
    func wrapCellParams(_ decl: FunctionDecl, _ frame: Frame) {
        for i in decl.cellParams where !isCellBox(frame.slots[i]) {
            frame.slots[i] = .object(CellBox(Cell(frame.slots[i])))
        }
    }

    /// Runs a closure's body in a prepared frame (parameters already in place).
    /// Inlined into the two call paths: a call layer less per call of a user function.
    @inline(__always) func invoke(_ c: Closure, _ frame: Frame, at loc: SourceLoc) throws(MLPError) -> Value {
        let decl = c.proto
        if decl.hasCells {
            wrapCellParams(decl, frame)
            for i in decl.cellSlots { frame.slots[i] = .object(CellBox(Cell(unassigned))) }
        }
        try tick(loc)
        do {
            _ = try execBlock(decl.bodyRefs, frame)
        } catch {
            error.leaving(decl.name, callSite: loc)
            throw error
        }
        return takeReturnValue()
    }

    /// The value the last `return` left, clearing it (so it is not kept alive).
    @inline(__always) func takeReturnValue() -> Value {
        var v = Value.nil
        swap(&v, &returnValue)   // a move: no reference counting
        return v
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
            let frame = try pushFrame(count: decl.slotCount, params: decl.params.count, closure: c, at: loc)
            defer { popFrame(frame, count: decl.slotCount) }
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
            return try callBuiltin(b, args, kwargs, at: loc)
        case .object(let o):
            nativeLoc = loc
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

    /// A builtin call written in the source: arguments go straight into the stack
    /// slots (the common case of positional arguments allocates nothing else).
    func callBuiltin(_ b: Builtin, _ node: CallExpr, _ f: Frame) throws(MLPError) -> Value {
        let n = node.args.count, np = b.params.count, positional = b.positionalCount
        if n > positional && b.rest == nil { throw tooManyArguments(b, n, at: node.args[positional].loc) }
        // the parameters' slots, then those of the arguments beyond them (`rest`)
        let extra = n > positional ? n - positional : 0
        let values = try pushSlots(np + extra, at: node.loc)
        defer { popSlots(values, np + extra) }
        var i = 0
        while i < n {
            values[i < positional ? i : np + i - positional] = try node.argRefs[i].eval(f)
            i += 1
        }
        var keywords: [(String, Value)]? = nil
        if !node.kwNames.isEmpty {
            keywords = []
            for (k, name) in node.kwNames.enumerated() { keywords!.append((name, try node.kwArgs[k].eval(f))) }
        }
        let result = try bindAndCall(b, values, given: min(n, positional), extra: extra, keywords, node: node, at: node.loc)
        // a Ctrl-C during a long builtin (a large product in a loop) is answered as it
        // returns, not a thousand loop iterations later
        if Interrupt.flag.load(ordering: .relaxed) { try checkLimits(node.loc) }
        return result
    }

    /// Calls a builtin from native code (map, sort's key, `>>`).
    public func callBuiltin(_ b: Builtin, _ args: [Value], _ kwargs: [(String, Value)], at loc: SourceLoc) throws(MLPError) -> Value {
        let np = b.params.count, given = min(args.count, b.positionalCount)
        if args.count > given && b.rest == nil { throw tooManyArguments(b, args.count, at: loc) }
        let extra = args.count - given
        let values = try pushSlots(np + extra, at: loc)
        defer { popSlots(values, np + extra) }
        for i in 0..<given { values[i] = args[i] }
        for k in 0..<extra { values[np + k] = args[given + k] }
        return try bindAndCall(b, values, given: given, extra: extra, kwargs.isEmpty ? nil : kwargs, node: nil, at: loc)
    }

    /// What both calls share once the `given` positional arguments are in the slots
    /// (and `extra` further ones after the parameters'): the keyword arguments and
    /// defaults are bound, then the builtin runs on the slots.
    /// (No closure for the arguments: it was not inlined, 1.5% more instructions on
    /// bench/interp/strings.)
    @inline(__always)
    func bindAndCall(_ b: Builtin, _ values: UnsafeMutablePointer<Value>, given: Int, extra: Int,
                     _ keywords: [(String, Value)]?, node: CallExpr?, at loc: SourceLoc) throws(MLPError) -> Value {
        let np = b.params.count
        if let keywords {
            try bindKeywords(b, values, given: given, keywords, node: node, at: loc)
        } else {
            var i = given
            while i < np {
                guard let d = b.defaultValue(i) else { throw missingArgument(b, i, at: loc) }
                values[i] = d
                i += 1
            }
        }
        var a = Args(interp: self, fn: b, values: values, count: np,
                     restItems: UnsafeBufferPointer(start: values + np, count: extra), node: node, nativeLoc: node == nil ? loc : nil)
        do { return try b.body(&a) } catch { throw error.located(loc) }
    }

    /// Binds keyword arguments into the slots after the `given` positional ones, then defaults.
    func bindKeywords(_ b: Builtin, _ values: UnsafeMutablePointer<Value>, given: Int, _ kwargs: [(String, Value)], node: CallExpr?, at loc: SourceLoc) throws(MLPError) {
        let np = b.params.count
        var set = [Bool](repeating: false, count: np)
        for i in 0..<given { set[i] = true }
        for (k, (name, v)) in kwargs.enumerated() {
            let l = node?.kwArgs[k].loc ?? loc
            guard let p = b.params.firstIndex(where: { $0.name == name }) else {
                throw .runtime("\(b.name) has no parameter '\(name)'\(paramHint(name, b.params.map(\.name))) (\(b.signature)).", at: l)
            }
            if set[p] { throw .runtime("\(b.name) got two values for '\(name)'.", at: l) }
            values[p] = v; set[p] = true
        }
        for i in 0..<np where !set[i] {
            guard let d = b.defaultValue(i) else { throw missingArgument(b, i, at: loc) }
            values[i] = d
        }
    }

    func tooManyArguments(_ b: Builtin, _ n: Int, at loc: SourceLoc) -> MLPError {
        let k = b.positionalCount
        return .runtime("\(b.name) takes \(k) argument\(k == 1 ? "" : "s"), got \(n) (\(b.signature)).", at: loc)
    }

    func missingArgument(_ b: Builtin, _ i: Int, at loc: SourceLoc) -> MLPError {
        .runtime("\(b.name) is missing argument '\(b.params[i].name)' (\(b.signature)).", at: loc)
    }

    // MARK: modules

    func importModule(_ name: String, from loc: SourceLoc) throws(MLPError) -> Value {
        let dir = directory(of: loc.file.name)
        var candidates = [dir.isEmpty ? "\(name).mlp" : "\(dir)/\(name).mlp"]
        if let s = stdlibPath { candidates.append("\(s)/\(name).mlp") }
        let file = candidates.first(where: { fileExists($0) })
        let path = file ?? "<stdlib>/\(name).mlp"
        if let m = modules[path] { return m }
        guard let text = file.map({ readFile($0) }) ?? stdlibModules[name] else {
            if file != nil { throw .runtime("import: cannot read '\(path)'.", at: loc) }
            throw .runtime("import: no module '\(name)' (no \(name).mlp next to this script or in the stdlib).", at: loc)
        }
        let store = GlobalStore(file: path)
        let module = Value.object(ModuleObject(name: name, globals: store))
        modules[path] = module   // set first so an import cycle ends
        let program = try compile(SourceFile(name: path, text: text), into: store, tailValue: false)
        let frame = try pushFrame(count: program.slotCount, closure: nil, at: loc)
        defer { popFrame(frame, count: program.slotCount) }
        do { _ = try execBlock(unretained(program.body), frame) } catch {
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
