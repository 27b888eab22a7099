// Statement nodes. `exec` returns how control leaves the statement; loops and
// calls consume `break`/`continue`/`return` (no thrown control flow).

enum Flow { case normal, breakLoop, continueLoop, returned }

public class Stmt {
    let loc: SourceLoc
    init(_ loc: SourceLoc) { self.loc = loc }
    func exec(_ f: Frame) throws(MLPError) -> Flow { fatalError("exec of abstract Stmt") }
}

final class ExprStmt: Stmt {
    let expr: Expr
    init(_ expr: Expr) { self.expr = expr; super.init(expr.loc) }
    override func exec(_ f: Frame) throws(MLPError) -> Flow { _ = try expr.eval(f); return .normal }
}

/// `x = v` and `x op= v`.
final class AssignStmt: Stmt {
    let target: NameExpr
    let value: Expr
    /// `+=` and friends: the operator, nil for plain `=`.
    let op: BinaryOp?
    /// Set by the resolver: the target's slot, for updating a number in place (`i += 1`).
    private var localSlot = -1
    private var globalSlot = -1
    /// The target's capture slot (`c += 1` in a closure), -1 when not captured.
    private var captureSlot = -1
    private unowned(unsafe) var globals: GlobalStore? = nil

    init(_ target: NameExpr, _ value: Expr, op: BinaryOp?, _ loc: SourceLoc) {
        self.target = target; self.value = value; self.op = op; super.init(loc)
    }

    /// Set by the resolver when the value of `x op= value` is a number literal or a local
    /// or global name (`s += i`): the number is read without evaluating the node.
    private var valueConstant: Double? = nil
    private var valueLocal = -1
    private var valueGlobal = -1

    func specialize() {
        guard op != nil else { return }
        if target.binding == .local { localSlot = target.slot }
        if target.binding == .global { globalSlot = target.slot; globals = target.store }
        if target.binding == .capture { captureSlot = target.slot }
        if let c = value as? NumberLiteral { valueConstant = c.number }
        if let n = value as? NameExpr {
            if n.binding == .local { valueLocal = n.slot }
            if n.binding == .global && (target.binding != .global || n.store === target.store) { valueGlobal = n.slot; globals = n.store }
        }
    }

    /// The value as a number when it can be read without evaluating it.
    @inline(__always) func fastValue(_ f: Frame) -> Double? {
        if let c = valueConstant { return c }
        if valueLocal >= 0, case .number(let y) = f.slots[valueLocal] { return y }
        if valueGlobal >= 0, case .number(let y)? = globals.unsafelyUnwrapped.values[valueGlobal] { return y }
        return nil
    }

    @inline(__always) func apply(_ op: BinaryOp, _ x: Double, _ y: Double) -> Double? {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        default: return nil
        }
    }

    /// `x op= y` on a number, written into the target's slot; false when the target
    /// is not a number slot or the operator has no fast path.
    @inline(__always) func updateInPlace(_ op: BinaryOp, _ y: Double, _ f: Frame) -> Bool {
        if localSlot >= 0, case .number(let x) = f.slots[localSlot], let r = apply(op, x, y) {
            f.slots[localSlot] = .number(r); return true
        }
        if globalSlot >= 0, case .number(let x)? = globals.unsafelyUnwrapped.values[globalSlot], let r = apply(op, x, y) {
            globals.unsafelyUnwrapped.values[globalSlot] = .number(r); return true
        }
        if captureSlot >= 0 { return f.updateCapturedNumber(captureSlot) { x in apply(op, x, y) } }
        return false
    }

    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        // first without evaluating the value node, then with it
        if let op, let y = fastValue(f), updateInPlace(op, y, f) { return .normal }
        var v = try value.eval(f)
        if let op {
            if case .number(let y) = v, updateInPlace(op, y, f) { return .normal }
            let old = try target.eval(f)
            if case .number(let x) = old, case .number(let y) = v, let r = apply(op, x, y) {
                v = .number(r)
            } else {
                v = try f.interp.compound(op, old, v, at: loc)
            }
        }
        target.assign(v, f)
        return .normal
    }
}

/// `a[i, j] = v` and `a[i] op= v`.
final class IndexAssignStmt: Stmt {
    let object: Expr
    let items: [IndexItem]
    let value: Expr
    let op: BinaryOp?
    init(_ object: Expr, _ items: [IndexItem], _ value: Expr, op: BinaryOp?, _ loc: SourceLoc) {
        self.object = object; self.items = items; self.value = value; self.op = op; super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        if let n = object as? NameExpr {
            // a variable: the common case (element loops), without Place's dynamic casts
            var obj = try n.eval(f)
            let idx = try evalItems(items, f)
            let v = try newValue(obj, idx, f)
            if case .object(let o) = obj {
                obj = .nil
                try assignHeld(o, idx, v, f) { n.assign($0, f) }
            } else if let updated = try f.interp.setIndex(obj, idx, v, at: loc) {
                n.assign(updated, f)
            }
            return .normal
        }
        var (place, obj) = try Place.read(object, f)
        let idx = try evalItems(items, f)
        let v = try newValue(obj, idx, f)
        if case .object(let o) = obj, let slot = place.slot(holding: o, f) {
            obj = .nil
            try assignHeld(o, idx, v, f) { slot.store($0, f) }
        } else if let updated = try f.interp.setIndex(obj, idx, v, at: loc) {
            try place.write(updated, f, at: loc)
        }
        return .normal
    }

    /// The value to store: the right-hand side, combined with the old item for `op=`.
    @inline(__always)
    func newValue(_ obj: Value, _ idx: [IndexValue], _ f: Frame) throws(MLPError) -> Value {
        let v = try value.eval(f)
        guard let op else { return v }
        return try f.interp.compound(op, try f.interp.index(obj, idx, at: loc), v, at: loc)
    }

    /// Sets `idx` of object `o`, taken from a slot that `store` writes: tensors are
    /// values, so when the slot held the only reference (emptied here, the caller's
    /// own reference consumed) the object is updated in place, otherwise an updated
    /// copy is stored back.
    @inline(__always)
    func assignHeld(_ o: consuming MLPObject, _ idx: [IndexValue], _ v: Value, _ f: Frame,
                    _ store: (Value) -> Void) throws(MLPError) {
        var ref: MLPObject? = o
        store(.nil)
        let unique = isKnownUniquelyReferenced(&ref)
        let target = ref.unsafelyUnwrapped
        do {
            if unique, try target.setIndexInPlace(idx, v, f.interp) {
                store(.object(target))
                return
            }
            store(try f.interp.setIndex(.object(target), idx, v, at: loc) ?? .object(target))
        } catch {
            store(.object(target))
            throw error.located(loc)
        }
    }
}

/// `obj.field = v` and `obj.field op= v`.
final class FieldAssignStmt: Stmt {
    let object: Expr
    let name: String
    let value: Expr
    let op: BinaryOp?
    init(_ object: Expr, _ name: String, _ value: Expr, op: BinaryOp?, _ loc: SourceLoc) {
        self.object = object; self.name = name; self.value = value; self.op = op; super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let obj = try object.eval(f)
        var v = try value.eval(f)
        if let op { v = try f.interp.compound(op, try f.interp.field(obj, name, at: loc), v, at: loc) }
        try f.interp.setField(obj, name, v, at: loc)
        return .normal
    }
}

/// `x, y = pair`
final class DestructureStmt: Stmt {
    let names: [NameExpr]
    let value: Expr
    private let nameRefs: [Unmanaged<NameExpr>]
    init(_ names: [NameExpr], _ value: Expr, _ loc: SourceLoc) {
        self.names = names; self.value = value; nameRefs = unretained(names); super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let v = try value.eval(f)
        // a list of the right length (`s, r, done = env.step(a)`): assigned in place
        if case .list(let l) = v, l.items.count == nameRefs.count {
            var i = 0
            while i < nameRefs.count {
                nameRefs[i]._withUnsafeGuaranteedRef { $0.assign(l.items[i], f) }
                i += 1
            }
            return .normal
        }
        try destructure(names, v, f, at: value.loc)
        return .normal
    }
}

func destructure(_ names: [NameExpr], _ v: Value, _ f: Frame, at loc: SourceLoc) throws(MLPError) {
    if case .list(let l) = v {
        // read in place: no copy of the item array (its buffer retained and released)
        guard l.items.count == names.count else {
            throw .runtime("cannot unpack a sequence of \(l.items.count) into \(names.count) names.", at: loc)
        }
        var i = 0
        while i < names.count { names[i].assign(l.items[i], f); i += 1 }
        return
    }
    let items: [Value]
    do {
        guard let all = try f.interp.elementsIfIterable(v, at: loc) else {
            throw .runtime("cannot unpack \(describeForError(v)) into \(names.count) names.", at: loc)
        }
        items = all
    }
    guard items.count == names.count else {
        throw .runtime("cannot unpack a sequence of \(items.count) into \(names.count) names.", at: loc)
    }
    for (n, x) in zip(names, items) { n.assign(x, f) }
}

final class IfStmt: Stmt {
    // `let` so that running a branch does not retain the array
    let cond: Expr
    let then: [Stmt]
    let otherwise: [Stmt]?
    /// The branches unretained (Unretained.swift); no `else` runs an empty block.
    private let thenRefs: [Unmanaged<Stmt>], otherwiseRefs: [Unmanaged<Stmt>]
    /// The condition when it is `local op number` (`n < 2`), evaluated in place (`specialize`).
    private var condFast = LocalConstOp()
    /// The branch when it is one `return` (`if n < 2 { return n }`): run by a direct call.
    private let thenReturn: Unmanaged<ReturnStmt>?
    init(_ cond: Expr, _ then: [Stmt], _ otherwise: [Stmt]?, _ loc: SourceLoc) {
        self.cond = cond; self.then = then; self.otherwise = otherwise
        thenRefs = unretained(then); otherwiseRefs = unretained(otherwise ?? [])
        thenReturn = then.count == 1 ? (then[0] as? ReturnStmt).map { .passUnretained($0) } : nil
        super.init(loc)
    }
    func specialize() {
        if let b = cond as? BinaryExpr { condFast = b.localConstOp }
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let holds: Bool
        if case .bool(let r)? = condFast.value(f) { holds = r } else { holds = try truth(cond, f, "if") }
        if holds {
            if let r = thenReturn { return try r.exec(f) }
            return try execBlock(thenRefs, f)
        }
        return try execBlock(otherwiseRefs, f)
    }
}

final class WhileStmt: Stmt {
    let cond: Expr
    let body: [Stmt]
    private let bodyRefs: [Unmanaged<Stmt>]
    /// The condition when it is a binary operation (`i < n`), for its direct fast path.
    private let condBinary: Unmanaged<BinaryExpr>?
    init(_ cond: Expr, _ body: [Stmt], _ loc: SourceLoc) {
        self.cond = cond; self.body = body; bodyRefs = unretained(body)
        condBinary = (cond as? BinaryExpr).map { .passUnretained($0) }
        super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let interp = f.interp
        while try fastTruth(condBinary, cond, f, "while") {
            try interp.tick(loc)
            switch try execBlock(bodyRefs, f) {
            case .normal, .continueLoop: continue
            case .breakLoop: return .normal
            case .returned: return .returned
            }
        }
        return .normal
    }
}

final class ForStmt: Stmt {
    let names: [NameExpr]
    let iterable: Expr
    let body: [Stmt]
    private let bodyRefs: [Unmanaged<Stmt>]
    init(_ names: [NameExpr], _ iterable: Expr, _ body: [Stmt], _ loc: SourceLoc) {
        self.names = names; self.iterable = iterable; self.body = body; bodyRefs = unretained(body); super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let interp = f.interp
        let seq = try iterable.eval(f)
        // ranges run without building a list
        if case .range(let r) = seq, names.count == 1 {
            let n = r.count, name = names[0]
            var i = 0
            while i < n {
                name.assign(.number(r.at(i)), f)
                try interp.tick(loc)
                switch try execBlock(bodyRefs, f) {
                case .normal, .continueLoop: break
                case .breakLoop: return .normal
                case .returned: return .returned
                }
                i += 1
            }
            return .normal
        }
        guard let items = try interp.elementsIfIterable(seq, at: iterable.loc) else {
            throw .runtime("cannot loop over \(describeForError(seq)).", at: iterable.loc)
        }
        for x in items {
            if names.count == 1 { names[0].assign(x, f) } else { try destructure(names, x, f, at: iterable.loc) }
            try interp.tick(loc)
            switch try execBlock(bodyRefs, f) {
            case .normal, .continueLoop: break
            case .breakLoop: return .normal
            case .returned: return .returned
            }
        }
        return .normal
    }
}

final class BreakStmt: Stmt {
    override func exec(_ f: Frame) throws(MLPError) -> Flow { .breakLoop }
}

final class ContinueStmt: Stmt {
    override func exec(_ f: Frame) throws(MLPError) -> Flow { .continueLoop }
}

final class ReturnStmt: Stmt {
    /// A `nil` literal for a bare `return`.
    let value: Expr
    /// Made by the parser from a block's last expression (not written `return`).
    let implicit: Bool
    /// Set by the resolver for `return x` of a local x: its slot, read without
    /// evaluating the name node (-1: evaluate `value`).
    private var localSlot = -1
    init(_ value: Expr?, implicit: Bool, _ loc: SourceLoc) {
        self.value = value ?? Literal(.nil, loc); self.implicit = implicit; super.init(loc)
    }
    func specialize() {
        if let n = value as? NameExpr, n.binding == .local { localSlot = n.slot }
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        // an object may be the unassigned marker (the name node's eval throws its error)
        // or a cell (the resolver makes a local captured later a cell): not read here
        if localSlot >= 0 {
            if case .object = f.slots[localSlot] {} else {
                f.interp.returnValue = f.slots[localSlot]
                return .returned
            }
        }
        f.interp.returnValue = try value.eval(f)
        return .returned
    }
}

/// `fn name(...) { ... }` as a statement: binds the closure to `name`.
final class FnStmt: Stmt {
    let name: NameExpr
    let decl: FunctionDecl
    init(_ name: NameExpr, _ decl: FunctionDecl, _ loc: SourceLoc) { self.name = name; self.decl = decl; super.init(loc) }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        name.assign(.function(makeClosure(decl, f)), f)
        return .normal
    }
}

final class ImportStmt: Stmt {
    let name: NameExpr
    init(_ name: NameExpr, _ loc: SourceLoc) { self.name = name; super.init(loc) }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        name.assign(try f.interp.importModule(name.name, from: loc), f)
        return .normal
    }
}

/// `try { ... } catch e { ... }`: an error raised in the body (by the language, a
/// builtin or `error(...)`) runs the handler with `e` bound to a dict of the error's
/// message, kind, file, line and column. Ctrl-C and the limits that stop a runaway
/// program (step and time budgets, stack overflow) are not caught.
final class TryStmt: Stmt {
    let body: [Stmt]
    let name: NameExpr?
    let handler: [Stmt]
    private let bodyRefs: [Unmanaged<Stmt>], handlerRefs: [Unmanaged<Stmt>]
    init(_ body: [Stmt], _ name: NameExpr?, _ handler: [Stmt], _ loc: SourceLoc) {
        self.body = body; self.name = name; self.handler = handler
        bodyRefs = unretained(body); handlerRefs = unretained(handler)
        super.init(loc)
    }
    override func exec(_ f: Frame) throws(MLPError) -> Flow {
        let flow: Flow
        do {
            flow = try execBlock(bodyRefs, f)
        } catch {
            guard error.catchable, error.kind != .interrupt else { throw error }
            if let name { name.assign(.dict(error.asDict()), f) }
            return try execBlock(handlerRefs, f)
        }
        return flow
    }
}

extension MLPError {
    /// What `catch e` sees: `e.message`, `e.kind` ("error" from `error(...)`,
    /// "assertion", "runtime", "syntax" from an imported file), `e.file`, `e.line`,
    /// `e.column` (0 when the error has no position).
    func asDict() -> DictObj {
        let d = DictObj()
        d["message"] = .str(message)
        let kindName: String
        switch kind {
        case .syntax, .resolve: kindName = "syntax"
        case .runtime: kindName = raisedBy ?? "runtime"
        case .interrupt: kindName = "interrupt"
        }
        d["kind"] = .str(kindName)
        d["file"] = .str(loc?.file.name ?? "")
        d["line"] = .number(Double(loc?.line ?? 0))
        d["column"] = .number(Double(loc?.col ?? 0))
        return d
    }
}

/// `global x, y`: only the resolver acts on it.
final class GlobalStmt: Stmt {
    let names: [String]
    init(_ names: [String], _ loc: SourceLoc) { self.names = names; super.init(loc) }
    override func exec(_ f: Frame) throws(MLPError) -> Flow { .normal }
}

/// Where a closure finds each captured cell when it is created.
enum CaptureSource { case local(Int), capture(Int) }

/// A function's code: parameters, body, and what the resolver found.
public final class FunctionDecl {
    let name: String
    let params: [String]
    let defaults: [Expr?]
    let body: [Stmt]
    /// `body` unretained (Unretained.swift), for running it.
    let bodyRefs: [Unmanaged<Stmt>]
    let loc: SourceLoc
    // filled by the resolver
    var slotCount = 0
    var cellSlots: [Int] = []
    var cellParams: [Int] = []
    /// Whether any local is captured by a closure (most functions: no).
    var hasCells = false
    var captureSources: [CaptureSource] = []
    /// The parameter list as written, `(a, b=2)`, and the doc comment above a named function.
    var paramText = "()"
    var doc = ""

    init(name: String, params: [String], defaults: [Expr?], body: [Stmt], loc: SourceLoc) {
        self.name = name; self.params = params; self.defaults = defaults; self.body = body; self.loc = loc
        bodyRefs = unretained(body)
    }
}

/// A parsed and resolved unit: a script, a `-e` string, one REPL entry.
public final class Program {
    let body: [Stmt]
    let slotCount: Int
    init(body: [Stmt], slotCount: Int) { self.body = body; self.slotCount = slotCount }
}
