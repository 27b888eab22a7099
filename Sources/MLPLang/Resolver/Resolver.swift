// Binds every name to a slot before anything runs (docs/language.md, "Scopes"):
// top-level names are module globals; inside a function a name is a parameter,
// a local of an enclosing function (captured through a cell), a name declared
// `global`, a local (if assigned here), or else a global or builtin.

final class Scope {
    let parent: Scope?
    let name: String
    var locals: [String: Int] = [:]
    var isCell: [Bool] = []
    var paramCount = 0
    var declaredGlobal: Set<String> = []
    var captures: [String: Int] = [:]
    var captureSources: [CaptureSource] = []
    /// Locals assigned so far in source order (a read before this is an error).
    var assigned: Set<String> = []
    /// Names looked up so far (a later `global` for one of them is an error).
    var used: Set<String> = []
    var refs: [(NameExpr, Int)] = []

    init(parent: Scope?, name: String) { self.parent = parent; self.name = name }

    func addLocal(_ n: String) -> Int {
        if let i = locals[n] { return i }
        locals[n] = isCell.count; isCell.append(false)
        return isCell.count - 1
    }

    /// The capture slot for `n` from an enclosing function, marking that local as a cell.
    func capture(_ n: String) -> Int? {
        if let i = captures[n] { return i }
        guard let p = parent else { return nil }
        let src: CaptureSource
        if let slot = p.locals[n], !p.declaredGlobal.contains(n) {
            p.isCell[slot] = true
            src = .local(slot)
        } else if let i = p.capture(n) {
            src = .capture(i)
        } else {
            return nil
        }
        captures[n] = captureSources.count
        captureSources.append(src)
        return captureSources.count - 1
    }

    func enclosingHasLocal(_ n: String) -> Bool {
        var s = parent
        while let sc = s { if sc.locals[n] != nil && !sc.declaredGlobal.contains(n) { return true }; s = sc.parent }
        return false
    }
}

public struct Resolver {
    let globals: GlobalStore
    let builtins: [String: Value]
    var errors: [MLPError] = []
    var scope: Scope?
    var loopDepth = 0
    /// Inside an `if` used as an expression: break/continue/return cannot leave it.
    var inValueIf = false

    public init(globals: GlobalStore, builtins: [String: Value]) { self.globals = globals; self.builtins = builtins }

    /// Globals this program assigns at its top level (a name forgotten by `:reset`
    /// and not assigned again is undefined, not unassigned).
    var assignedHere: Set<String> = []

    mutating func resolve(_ body: [Stmt]) throws(MLPError) {
        let names = assignedNames(body)
        assignedHere = Set(names)
        for n in names { _ = globals.slot(n) }
        block(body)
        if let first = errors.first {
            first.more = Array(errors.dropFirst().prefix(9))
            throw first
        }
    }

    // MARK: declarations

    /// Names a body assigns (not inside nested functions), in first-assignment order.
    func assignedNames(_ body: [Stmt]) -> [String] {
        var out: [String] = [], seen: Set<String> = []
        func add(_ n: String) { if seen.insert(n).inserted { out.append(n) } }
        func walk(_ stmts: [Stmt]) {
            for s in stmts {
                switch s {
                case let a as AssignStmt: add(a.target.name)
                case let d as DestructureStmt: d.names.forEach { add($0.name) }
                case let f as FnStmt: add(f.name.name)
                case let f as ForStmt: f.names.forEach { add($0.name) }; walk(f.body)
                case let w as WhileStmt: walk(w.body)
                case let i as IfStmt: walk(i.then); walk(i.otherwise ?? [])
                case let t as TryStmt: walk(t.body); if let n = t.name { add(n.name) }; walk(t.handler)
                case let i as ImportStmt: add(i.name.name)
                default: break
                }
            }
        }
        walk(body)
        return out
    }

    mutating func function(_ decl: FunctionDecl) {
        let sc = Scope(parent: scope, name: decl.name)
        var seen: Set<String> = []
        for p in decl.params {
            if !seen.insert(p).inserted {
                errors.append(MLPError(.resolve, "duplicate parameter '\(p)' in '\(decl.name)'.", at: decl.loc))
                sc.isCell.append(false)   // parameter i must stay in slot i
                continue
            }
            _ = sc.addLocal(p)
            sc.assigned.insert(p)
        }
        sc.paramCount = decl.params.count
        for s in decl.body { if let g = s as? GlobalStmt { sc.declaredGlobal.formUnion(g.names) } }
        collectGlobalDecls(decl.body, into: sc)
        for n in assignedNames(decl.body) where !sc.declaredGlobal.contains(n) && sc.locals[n] == nil && !sc.enclosingHasLocal(n) {
            _ = sc.addLocal(n)
        }
        let saved = (scope, loopDepth, inValueIf)
        scope = sc; loopDepth = 0; inValueIf = false
        for d in decl.defaults { if let d { expr(d) } }
        block(decl.body)
        (scope, loopDepth, inValueIf) = saved
        for (node, slot) in sc.refs where sc.isCell[slot] { node.bindCell(slot) }
        decl.slotCount = sc.isCell.count
        decl.cellParams = (0..<sc.paramCount).filter { sc.isCell[$0] }
        decl.cellSlots = (sc.paramCount..<sc.isCell.count).filter { sc.isCell[$0] }
        decl.captureSources = sc.captureSources
        decl.hasCells = !decl.cellParams.isEmpty || !decl.cellSlots.isEmpty
    }

    func collectGlobalDecls(_ body: [Stmt], into sc: Scope) {
        for s in body {
            switch s {
            case let g as GlobalStmt: sc.declaredGlobal.formUnion(g.names)
            case let f as ForStmt: collectGlobalDecls(f.body, into: sc)
            case let w as WhileStmt: collectGlobalDecls(w.body, into: sc)
            case let i as IfStmt: collectGlobalDecls(i.then, into: sc); collectGlobalDecls(i.otherwise ?? [], into: sc)
            case let t as TryStmt: collectGlobalDecls(t.body, into: sc); collectGlobalDecls(t.handler, into: sc)
            default: break
            }
        }
    }

    // MARK: names

    mutating func bind(_ n: NameExpr, write: Bool) {
        let name = n.name
        // a global forgotten by `:reset` and not assigned since is a builtin or undefined
        let forgotten = !write && globals.isForgotten(name) && !assignedHere.contains(name)
        guard let sc = scope else {
            // top level: module globals, then builtins
            if let i = globals.index[name], !forgotten { n.bindGlobal(globals, i); return }
            if !write, let b = builtins[name] { n.bindBuiltin(b); return }
            if write { n.bindGlobal(globals, globals.slot(name)); return }
            undefined(n)
            return
        }
        sc.used.insert(name)
        if sc.declaredGlobal.contains(name) {
            n.bindGlobal(globals, globals.slot(name))
            return
        }
        if let slot = sc.locals[name] {
            if write { sc.assigned.insert(name) }
            else if !sc.assigned.contains(name) && loopDepth == 0 {
                // straight-line code reads it before any assignment (inside loops the interpreter checks)
                let hint = globals.index[name] != nil ? "write 'global \(name)' in '\(sc.name)' to use the global." : nil
                errors.append(MLPError(.resolve, "'\(name)' is read before it is assigned in '\(sc.name)' (it is local to '\(sc.name)' because it is assigned there).", at: n.loc, hint: hint))
            }
            n.bindLocal(slot)
            sc.refs.append((n, slot))
            return
        }
        if let i = sc.capture(name) { n.bindCapture(i); return }
        if let i = globals.index[name], !forgotten { n.bindGlobal(globals, i); return }
        if !write, let b = builtins[name] { n.bindBuiltin(b); return }
        undefined(n)
    }

    mutating func undefined(_ n: NameExpr) {
        var candidates = Array(builtins.keys) + globals.names.filter { !globals.isForgotten($0) }
        var s = scope
        while let sc = s { candidates += sc.locals.keys; s = sc.parent }
        let hint = nameHint(n.name, candidates)
        errors.append(MLPError(.resolve, "undefined name '\(n.name)'.", at: n.loc, hint: hint))
    }

    // MARK: statements

    mutating func block(_ body: [Stmt]) { for s in body { stmt(s) } }

    mutating func stmt(_ s: Stmt) {
        switch s {
        case let e as ExprStmt: expr(e.expr)
        case let a as AssignStmt:
            if a.op != nil { bind(a.target, write: false) }
            expr(a.value)
            bind(a.target, write: true)
            a.specialize()
        case let a as IndexAssignStmt: expr(a.object); indexItems(a.items); expr(a.value)
        case let a as FieldAssignStmt: expr(a.object); expr(a.value)
        case let d as DestructureStmt:
            expr(d.value)
            var seen: Set<String> = []
            for n in d.names {
                if !seen.insert(n.name).inserted { errors.append(MLPError(.resolve, "'\(n.name)' appears twice on the left of '='.", at: n.loc)) }
                bind(n, write: true)
            }
        case let i as IfStmt:
            expr(i.cond); i.specialize(); block(i.then); block(i.otherwise ?? [])
        case let t as TryStmt:
            block(t.body)
            if let n = t.name { bind(n, write: true) }
            block(t.handler)
        case let w as WhileStmt:
            expr(w.cond)
            loopDepth += 1; block(w.body); loopDepth -= 1
        case let f as ForStmt:
            expr(f.iterable)
            for n in f.names { bind(n, write: true) }
            loopDepth += 1; block(f.body); loopDepth -= 1
        case is BreakStmt, is ContinueStmt:
            let word = s is BreakStmt ? "break" : "continue"
            if inValueIf { errors.append(MLPError(.resolve, "'\(word)' cannot leave an 'if' used as a value.", at: s.loc)) }
            else if loopDepth == 0 { errors.append(MLPError(.resolve, "'\(word)' outside a loop.", at: s.loc)) }
        case let r as ReturnStmt:
            if !r.implicit {
                if inValueIf { errors.append(MLPError(.resolve, "'return' cannot leave an 'if' used as a value.", at: s.loc)) }
                else if scope == nil { errors.append(MLPError(.resolve, "'return' outside a function.", at: s.loc)) }
            }
            expr(r.value)
            r.specialize()
        case let f as FnStmt:
            bind(f.name, write: true)
            function(f.decl)
        case let i as ImportStmt: bind(i.name, write: true)
        case let g as GlobalStmt:
            if scope == nil { errors.append(MLPError(.resolve, "'global' is only meaningful inside a function.", at: g.loc)) }
            else {
                for n in g.names where scope!.used.contains(n) {
                    errors.append(MLPError(.resolve, "'\(n)' is declared global after it is used as a local.", at: g.loc))
                }
            }
        default:
            errors.append(MLPError(.resolve, "internal: unknown statement.", at: s.loc))
        }
    }

    mutating func indexItems(_ items: [IndexItem]) {
        for item in items {
            switch item {
            case .expr(let e): expr(e)
            case .slice(let a, let b, let c): [a, b, c].forEach { if let e = $0 { expr(e) } }
            case .ellipsis: break
            }
        }
    }

    // MARK: expressions

    mutating func expr(_ e: Expr) {
        switch e {
        case is Literal, is NumberLiteral, is ImaginaryLiteral: break
        case let n as NameExpr: bind(n, write: false)
        case let s as StringInterp: s.parts.forEach { expr($0) }
        case let l as ListExpr: l.items.forEach { expr($0) }
        case let d as DictExpr: d.keys.forEach { expr($0) }; d.values.forEach { expr($0) }
        case let b as BinaryExpr: expr(b.lhs); expr(b.rhs); b.specialize()
        case let c as ChainCompareExpr: c.operands.forEach { expr($0) }
        case let n as NegateExpr: expr(n.operand)
        case let n as NotExpr: expr(n.operand)
        case let l as LogicExpr: expr(l.lhs); expr(l.rhs)
        case let r as RangeExpr: expr(r.lo); expr(r.hi)
        case let f as FieldExpr: expr(f.object)
        case let i as IndexExpr: expr(i.object); indexItems(i.items)
        case let c as CallExpr: expr(c.callee); c.args.forEach { expr($0) }; c.kwArgs.forEach { expr($0) }; c.specialize()
        case let f as FunctionExpr: function(f.decl)
        case let i as IfExpr:
            expr(i.cond)
            let saved = inValueIf
            inValueIf = true
            block(i.then); block(i.otherwise ?? [])
            inValueIf = saved
        default:
            errors.append(MLPError(.resolve, "internal: unknown expression.", at: e.loc))
        }
    }
}
