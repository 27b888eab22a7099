// Expression nodes. The resolver fills in bindings; `eval` runs them.
// Node classes are final and dispatch by vtable: no name lookups at run time.

public class Expr {
    let loc: SourceLoc
    init(_ loc: SourceLoc) { self.loc = loc }
    func eval(_ f: Frame) throws(MLPError) -> Value { fatalError("eval of abstract Expr") }

    /// A condition (`if`, `while`, `and`/`or`/`not`): only bools are accepted (no truthiness).
    /// Comparisons override this to skip building a `Value`.
    func condition(_ f: Frame, _ context: StaticString) throws(MLPError) -> Bool {
        let v = try eval(f)
        if case .bool(let b) = v { return b }
        throw .runtime("'\(context)' needs a bool, got \(describeForError(v)).", at: loc)
    }
}

/// Number literals skip the generic `Value` copy.
final class NumberLiteral: Expr {
    let number: Double
    init(_ number: Double, _ loc: SourceLoc) { self.number = number; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value { .number(number) }
}

/// `2i`: a complex number, made by the session's `imaginary` (MLPRuntime's complex values).
final class ImaginaryLiteral: Expr {
    let number: Double
    init(_ number: Double, _ loc: SourceLoc) { self.number = number; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        guard let make = f.interp.imaginary else { throw .runtime("complex numbers are not available here.", at: loc) }
        return make(number)
    }
}

final class Literal: Expr {
    let value: Value
    init(_ value: Value, _ loc: SourceLoc) { self.value = value; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value { value }
}

/// Where a name lives, decided by the resolver.
enum Binding: UInt8 { case unresolved, local, cell, capture, global, builtin }

final class NameExpr: Expr {
    let name: String
    private(set) var binding: Binding = .unresolved
    private(set) var slot = 0
    /// The module's globals (kept alive by the interpreter and its modules).
    private(set) unowned(unsafe) var store: GlobalStore? = nil
    /// The same store for writing: through an unowned(unsafe) reference a write
    /// retained the store atomically (3 atomic operations per step of bench/rl/envloop).
    private var storeRef: Unmanaged<GlobalStore>? = nil
    private(set) var constant: Value = .nil
    init(_ name: String, _ loc: SourceLoc) { self.name = name; super.init(loc) }

    func bindLocal(_ i: Int) { binding = .local; slot = i }
    func bindCell(_ i: Int) { binding = .cell; slot = i }
    func bindCapture(_ i: Int) { binding = .capture; slot = i }
    func bindGlobal(_ g: GlobalStore, _ i: Int) { binding = .global; store = g; storeRef = .passUnretained(g); slot = i }
    func bindBuiltin(_ v: Value) { binding = .builtin; constant = v }

    override func eval(_ f: Frame) throws(MLPError) -> Value {
        switch binding {
        case .local:
            let v = f.slots[slot]
            if isUnassigned(v) { throw unassignedError() }
            return v
        case .global:
            if let v = store.unsafelyUnwrapped.values[slot] { return v }
            throw MLPError.runtime("'\(name)' is used before it is assigned.", at: loc)
        case .cell:
            let v = f.cell(slot).value
            if isUnassigned(v) { throw unassignedError() }
            return v
        case .capture:
            let v = f.captured(slot)
            if isUnassigned(v) { throw unassignedError() }
            return v
        case .builtin: return constant
        case .unresolved: throw MLPError.runtime("internal: unresolved name '\(name)'.", at: loc)
        }
    }

    func unassignedError() -> MLPError { .runtime("'\(name)' is used before it is assigned.", at: loc) }

    @inline(__always) func assign(_ v: Value, _ f: Frame) {
        switch binding {
        case .local: f.slots[slot] = v
        case .global: storeRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.values[slot] = v }
        case .cell: f.cell(slot).value = v
        case .capture: f.setCaptured(slot, v)
        case .builtin, .unresolved: break   // the resolver rejects these
        }
    }
}

final class StringInterp: Expr {
    let parts: [Expr]
    /// Format spec per part; nil for literal text and plain `{x}`.
    let specs: [String?]
    init(_ parts: [Expr], _ specs: [String?], _ loc: SourceLoc) { self.parts = parts; self.specs = specs; super.init(loc) }
    /// The parts are appended as bytes to the interpreter's text buffer and become
    /// one string at the end: no intermediate strings for literal text and numbers.
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let interp = f.interp
        let start = interp.text.count
        defer { interp.text.count = start }   // also when a part throws
        for i in 0..<parts.count {
            // evaluated before touching the buffer: a part may interpolate too (it appends after `start` and truncates back)
            let v = try parts[i].eval(f)
            if let spec = specs[i] {
                let s: String
                do { s = try formatValue(v, spec: spec, interp) } catch { throw error.located(parts[i].loc) }
                interp.text.append(s)
            } else {
                switch v {
                case .string(let str): str.withUTF8 { interp.text.append($0) }
                case .number(let d): interp.text.append(number: d)
                default: interp.text.append(interp.str(v))
                }
            }
        }
        return .string(interp.text.string(from: start))
    }
}

final class ListExpr: Expr {
    let items: [Expr]
    private let itemRefs: [Unmanaged<Expr>]
    init(_ items: [Expr], _ loc: SourceLoc) { self.items = items; itemRefs = unretained(items); super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        var out: [Value] = []
        out.reserveCapacity(itemRefs.count)
        var i = 0
        while i < itemRefs.count { out.append(try itemRefs[i].eval(f)); i += 1 }
        return .list(ListObj(out))
    }
}

final class DictExpr: Expr {
    let keys: [Expr], values: [Expr]
    init(_ keys: [Expr], _ values: [Expr], _ loc: SourceLoc) { self.keys = keys; self.values = values; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let d = DictObj()
        for (k, v) in zip(keys, values) {
            let kv = try k.eval(f)
            guard let key = DictKey(kv) else { throw .runtime("dict keys must be strings, numbers or bools, got \(describeForError(kv)).", at: k.loc) }
            d[key] = try v.eval(f)
        }
        return .dict(d)
    }
}

final class BinaryExpr: Expr {
    let op: BinaryOp
    let lhs: Expr, rhs: Expr
    /// Set by the resolver for `name op number` (as in `n - 1`, `i < 10`) and `name op name`
    /// (as in `i < n`): read the slots directly instead of evaluating two child nodes.
    private var localSlot = -1
    private var globalSlot = -1
    private unowned(unsafe) var globals: GlobalStore? = nil
    private var constant = 0.0
    /// The right operand's slot when it is a name too (-1: `constant` is the right operand).
    private var rightLocal = -1
    private var rightGlobal = -1
    /// Captured names (`pos + 1` in a closure): their capture slots, -1 when not one.
    private var leftCapture = -1
    private var rightCapture = -1
    private var rightIsName = false
    /// Whether the left operand is a name read from its slot (and the right one a number or such a name).
    private var hasFastPath = false
    init(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr, _ loc: SourceLoc) { self.op = op; self.lhs = lhs; self.rhs = rhs; super.init(loc) }

    func specialize() {
        guard let n = lhs as? NameExpr else { return }
        if let c = rhs as? NumberLiteral {
            constant = c.number
        } else if let m = rhs as? NameExpr, m.binding == .local || m.binding == .capture || (m.binding == .global && (n.binding != .global || m.store === n.store)) {
            rightIsName = true
            switch m.binding {
            case .local: rightLocal = m.slot
            case .capture: rightCapture = m.slot
            default: rightGlobal = m.slot; globals = m.store
            }
        } else {
            return
        }
        if n.binding == .local { localSlot = n.slot }
        if n.binding == .global { globalSlot = n.slot; globals = n.store }
        if n.binding == .capture { leftCapture = n.slot }
        hasFastPath = localSlot >= 0 || globalSlot >= 0 || leftCapture >= 0
    }

    /// The left operand when it is a number read straight from its slot.
    @inline(__always) func fastLeft(_ f: Frame) -> Double? {
        if localSlot >= 0, case .number(let x) = f.slots[localSlot] { return x }
        if globalSlot >= 0, case .number(let x)? = globals.unsafelyUnwrapped.values[globalSlot] { return x }
        if leftCapture >= 0 { return f.capturedNumber(leftCapture) }
        return nil
    }

    /// The right operand of the fast path: the constant, or a number read from its slot.
    @inline(__always) func fastRight(_ f: Frame) -> Double? {
        if !rightIsName { return constant }
        if rightLocal >= 0, case .number(let y) = f.slots[rightLocal] { return y }
        if rightGlobal >= 0, case .number(let y)? = globals.unsafelyUnwrapped.values[rightGlobal] { return y }
        if rightCapture >= 0 { return f.capturedNumber(rightCapture) }
        return nil
    }

    @inline(__always) func numeric(_ x: Double, _ y: Double) -> Value? { numericResult(op, x, y) }

    /// `local op number` (`n - 1`, `n < 2`) as plain data, for parents that evaluate it
    /// in place; an empty one (slot -1) for other operations. Valid after `specialize`.
    var localConstOp: LocalConstOp {
        localSlot >= 0 && !rightIsName ? LocalConstOp(slot: localSlot, op: op, constant: constant) : LocalConstOp()
    }

    /// The value of the fast path (numbers read from slots), nil where it does not apply
    /// (then `eval` or `condition` decide). A direct call: parents that hold a
    /// `BinaryExpr` (a call's argument `n - 1`, the condition `n < 2`) try it before
    /// the dynamically dispatched `eval`.
    @inline(__always) func fastValue(_ f: Frame) -> Value? {
        if hasFastPath, let x = fastLeft(f), let y = fastRight(f) { return numeric(x, y) }
        return nil
    }

    override func eval(_ f: Frame) throws(MLPError) -> Value {
        if hasFastPath, let x = fastLeft(f), let y = fastRight(f), let r = numeric(x, y) { return r }
        var a = try lhs.eval(f)
        var b = try rhs.eval(f)
        if case .number(let x) = a, case .number(let y) = b, let r = numeric(x, y) { return r }
        if let r = try inPlace(&a, b, reversed: false, f) { return r }
        if let r = try inPlace(&b, a, reversed: true, f) { return r }
        return try f.interp.binary(op, a, b, at: loc)
    }

    /// The result written into operand `v` when it is an object that nothing else
    /// refers to (a temporary, as `a * b` in `a * b + c`) and the object can take it.
    @inline(__always)
    private func inPlace(_ v: inout Value, _ other: Value, reversed: Bool, _ f: Frame) throws(MLPError) -> Value? {
        guard case .object(let o) = v else { return nil }
        var ref: MLPObject? = o
        v = .nil
        let unique = isKnownUniquelyReferenced(&ref)
        let target = ref.unsafelyUnwrapped
        v = .object(target)
        guard unique else { return nil }
        do { return try target.binaryInPlace(op, other, reversed: reversed, f.interp) ? v : nil } catch { throw error.located(loc) }
    }

    override func condition(_ f: Frame, _ context: StaticString) throws(MLPError) -> Bool {
        if hasFastPath, let x = fastLeft(f), let y = fastRight(f), case .bool(let r)? = numeric(x, y) { return r }
        let a = try lhs.eval(f)
        let b = try rhs.eval(f)
        if case .number(let x) = a, case .number(let y) = b, case .bool(let r)? = numeric(x, y) { return r }
        let v = try f.interp.binary(op, a, b, at: loc)
        if case .bool(let r) = v { return r }
        throw .runtime("'\(context)' needs a bool, got \(describeForError(v)).", at: loc)
    }
}

/// A `BinaryExpr` of a local and a number (`n - 1`) as plain data: a call's argument
/// or an `if`'s condition is evaluated without a dynamically dispatched call (nor a
/// closure, nor reference counting of the node): a third of the instructions of such
/// an operation in a call of fib.
struct LocalConstOp {
    var slot = -1
    var op: BinaryOp = .add
    var constant = 0.0
    /// The result when the local holds a number and the operator has a number result;
    /// nil otherwise (the node's `eval` or `condition` then decides, as before).
    @inline(__always) func value(_ f: Frame) -> Value? {
        guard slot >= 0, case .number(let x) = f.slots[slot] else { return nil }
        return numericResult(op, x, constant)
    }
}

/// `a < b < c`: each comparison must hold; stops at the first that fails.
final class ChainCompareExpr: Expr {
    let ops: [BinaryOp]
    let operands: [Expr]
    let locs: [SourceLoc]
    init(_ ops: [BinaryOp], _ operands: [Expr], _ locs: [SourceLoc]) {
        self.ops = ops; self.operands = operands; self.locs = locs; super.init(locs[0])
    }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        var a = try operands[0].eval(f)
        for (i, op) in ops.enumerated() {
            let b = try operands[i + 1].eval(f)
            let r = try f.interp.binary(op, a, b, at: locs[i])
            guard case .bool(let holds) = r else { return r }   // tensors compare element-wise: no chaining
            if !holds { return .bool(false) }
            a = b
        }
        return .bool(true)
    }
}

final class NegateExpr: Expr {
    let operand: Expr
    init(_ operand: Expr, _ loc: SourceLoc) { self.operand = operand; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let v = try operand.eval(f)
        if case .number(let x) = v { return .number(-x) }
        if case .object(let o) = v {
            do { if let r = try o.negate(f.interp) { return r } } catch { throw error.located(loc) }
        }
        throw .runtime("unary '-' needs a number, got \(describeForError(v)).", at: loc)
    }
}

final class NotExpr: Expr {
    let operand: Expr
    init(_ operand: Expr, _ loc: SourceLoc) { self.operand = operand; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        .bool(!(try truth(operand, f, "not")))
    }
}

/// `and` / `or`: short-circuit, operands must be bools.
final class LogicExpr: Expr {
    let isAnd: Bool
    let lhs: Expr, rhs: Expr
    init(isAnd: Bool, _ lhs: Expr, _ rhs: Expr, _ loc: SourceLoc) { self.isAnd = isAnd; self.lhs = lhs; self.rhs = rhs; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let word: StaticString = isAnd ? "and" : "or"
        let a = try truth(lhs, f, word)
        if a != isAnd { return .bool(a) }
        return .bool(try truth(rhs, f, word))
    }
}

/// Evaluates a condition; only bools are accepted (no truthiness).
@inline(__always) func truth(_ e: Expr, _ f: Frame, _ context: StaticString) throws(MLPError) -> Bool {
    try e.condition(f, context)
}

/// `truth` of `e`, first through the direct fast path of `binary` (`e` itself when it is a
/// binary operation): no dynamically dispatched call when both operands are numbers in slots.
@inline(__always) func fastTruth(_ binary: Unmanaged<BinaryExpr>?, _ e: Expr, _ f: Frame, _ context: StaticString) throws(MLPError) -> Bool {
    if let binary, case .bool(let r)? = binary._withUnsafeGuaranteedRef({ $0.fastValue(f) }) { return r }
    return try e.condition(f, context)
}

final class RangeExpr: Expr {
    let lo: Expr, hi: Expr
    init(_ lo: Expr, _ hi: Expr, _ loc: SourceLoc) { self.lo = lo; self.hi = hi; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let a = try lo.eval(f), b = try hi.eval(f)
        guard case .number(let x) = a else { throw .runtime("range start must be a number, got \(describeForError(a)).", at: lo.loc) }
        guard case .number(let y) = b else { throw .runtime("range end must be a number, got \(describeForError(b)).", at: hi.loc) }
        do { return .range(try RangeObj(x, y)) } catch { throw error.located(loc) }
    }
}

final class FieldExpr: Expr {
    let object: Expr
    let name: String
    /// Where the key was in the dict this expression read last (a guess, checked on use).
    var dictHint = 0
    init(_ object: Expr, _ name: String, _ loc: SourceLoc) { self.object = object; self.name = name; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let o = try object.eval(f)
        if case .dict(let d) = o, let x = d.value(named: name, hint: &dictHint) { return x }
        return try f.interp.field(o, name, at: loc)
    }
}

/// One entry of `a[...]`: an expression or a slice `lo:hi:step`.
enum IndexItem {
    case expr(Expr)
    case slice(Expr?, Expr?, Expr?)
    /// `...` (tensors: as many full slices as needed)
    case ellipsis
}

final class IndexExpr: Expr {
    let object: Expr
    let items: [IndexItem]
    init(_ object: Expr, _ items: [IndexItem], _ loc: SourceLoc) { self.object = object; self.items = items; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        let o = try object.eval(f)
        // fast path: list[number]
        if items.count == 1, case .expr(let e) = items[0], case .list(let l) = o {
            let iv = try e.eval(f)
            if case .number(let d) = iv, let i = Int(exactly: d) {
                let j = i < 0 ? i + l.items.count : i
                if j >= 0 && j < l.items.count { return l.items[j] }
            }
            return try f.interp.index(o, [.value(iv)], at: loc)
        }
        return try f.interp.index(o, try evalItems(items, f), at: loc)
    }
}

func evalItems(_ items: [IndexItem], _ f: Frame) throws(MLPError) -> [IndexValue] {
    var out: [IndexValue] = []
    out.reserveCapacity(items.count)
    for item in items {
        switch item {
        case .expr(let e): out.append(.value(try e.eval(f)))
        case .ellipsis: out.append(.ellipsis)
        case .slice(let a, let b, let c):
            func bound(_ e: Expr?) throws(MLPError) -> Double? {
                guard let e else { return nil }
                let v = try e.eval(f)
                if case .nil = v { return nil }
                guard case .number(let d) = v else { throw .runtime("slice bounds must be numbers, got \(describeForError(v)).", at: e.loc) }
                return d
            }
            out.append(.slice(try bound(a), try bound(b), try bound(c)))
        }
    }
    return out
}

final class CallExpr: Expr {
    let callee: Expr
    let args: [Expr]
    /// `args` unretained (Unretained.swift), for evaluating them.
    let argRefs: [Unmanaged<Expr>]
    /// The arguments that are `local op number` (`n - 1`), evaluated in place (Resolver: `specialize`).
    private(set) var argFast: [LocalConstOp] = []
    let kwNames: [String]
    let kwArgs: [Expr]
    /// Set by the resolver when the callee is a builtin's name (builtins cannot be reassigned
    /// where they are visible as builtins): called without loading the name.
    /// A strong reference: reading an unowned(unsafe) one for the call costs an atomic retain.
    private var builtin: Builtin? = nil
    /// Set by the resolver when the callee is a global name (`fib(n - 1)`): the function
    /// is read from the module's globals without evaluating the name node.
    private var calleeGlobals: Unmanaged<GlobalStore>? = nil
    private var calleeSlot = 0

    init(_ callee: Expr, _ args: [Expr], _ kwNames: [String], _ kwArgs: [Expr], _ loc: SourceLoc) {
        self.callee = callee; self.args = args; self.kwNames = kwNames; self.kwArgs = kwArgs
        argRefs = unretained(args)
        super.init(loc)
    }

    func specialize() {
        argFast = args.map { ($0 as? BinaryExpr)?.localConstOp ?? LocalConstOp() }
        if let n = callee as? NameExpr, n.binding == .builtin, case .builtin(let b) = n.constant { builtin = b }
        if let n = callee as? NameExpr, n.binding == .global, let g = n.store { calleeGlobals = .passUnretained(g); calleeSlot = n.slot }
    }

    override func eval(_ f: Frame) throws(MLPError) -> Value {
        if let b = builtin { return try f.interp.callBuiltin(b, self, f) }
        // unassigned: the name node's eval below throws its error
        if let g = calleeGlobals {
            // read in place: a function is retained alone, not copied as a `Value?`
            // (the outlined copy and destroy of the optional value were 60 instructions
            // of a call of fib). The reference keeps the closure alive for the call
            // even when its body reassigns the global.
            let p = g._withUnsafeGuaranteedRef { $0.values } + calleeSlot
            if case .function(let c)? = p.pointee { return try f.interp.callFunction(c, self, f) }
            if let fn = p.pointee { return try f.interp.callExpr(fn, self, f) }
        }
        let fn = try callee.eval(f)
        return try f.interp.callExpr(fn, self, f)
    }
}

final class FunctionExpr: Expr {
    let decl: FunctionDecl
    init(_ decl: FunctionDecl, _ loc: SourceLoc) { self.decl = decl; super.init(loc) }
    override func eval(_ f: Frame) throws(MLPError) -> Value { .function(makeClosure(decl, f)) }
}

/// Captures the cells a function needs from the frame that creates it.
@inline(__always) func makeClosure(_ decl: FunctionDecl, _ f: Frame) -> Closure {
    var cells: [Cell] = []
    cells.reserveCapacity(decl.captureSources.count)
    for src in decl.captureSources {
        switch src {
        case .local(let i): cells.append(f.cell(i))
        case .capture(let i): cells.append(f.capture(i))
        }
    }
    return Closure(decl, cells)
}

/// `if` used as an expression: the value of the branch taken (nil without `else`).
final class IfExpr: Expr {
    let cond: Expr
    let then: [Stmt]
    let otherwise: [Stmt]?
    private let thenBlock: ValueBlock
    /// Without `else`: an empty block (its value is nil). Not an optional: reading
    /// one retained the block.
    private let otherwiseBlock: ValueBlock
    init(_ cond: Expr, _ then: [Stmt], _ otherwise: [Stmt]?, _ loc: SourceLoc) {
        self.cond = cond; self.then = then; self.otherwise = otherwise
        thenBlock = ValueBlock(then); otherwiseBlock = ValueBlock(otherwise ?? [])
        super.init(loc)
    }
    override func eval(_ f: Frame) throws(MLPError) -> Value {
        if try truth(cond, f, "if") { return try thenBlock.run(f) }
        return try otherwiseBlock.run(f)
    }
}

/// A block whose value is that of its last statement when that is an expression,
/// split once when it is built (a slice and a dynamic cast per run were a tenth of
/// an episode step that picks its action with `if`). A class: reading a struct
/// out of the node copied it, retaining its three references.
final class ValueBlock {
    /// The statements (they own the nodes that the unretained references below name).
    let body: [Stmt]
    private let lead: [Unmanaged<Stmt>]
    private let tailExpr: Unmanaged<Expr>?
    private let tailStmt: Unmanaged<Stmt>?
    init(_ body: [Stmt]) {
        self.body = body
        lead = unretained(Array(body.dropLast()))
        let tail = (body.last as? ExprStmt)?.expr
        tailExpr = tail.map { .passUnretained($0) }
        tailStmt = tail == nil ? body.last.map { .passUnretained($0) } : nil
    }
    @inline(__always) func run(_ f: Frame) throws(MLPError) -> Value {
        var i = 0
        while i < lead.count { _ = try lead[i].exec(f); i += 1 }
        if let tailExpr { return try tailExpr.eval(f) }
        if let tailStmt { _ = try tailStmt.exec(f) }
        return .nil
    }
}
