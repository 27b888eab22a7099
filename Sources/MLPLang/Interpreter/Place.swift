// Where an indexed assignment's object was read from, so that the write reaches the
// value stored there. Tensors are values (copy-on-write): `q.W[0, 1] = 5` makes an
// updated tensor, which must be stored back into the dict, and `l[0][1] = 3` into
// the list, at any depth. Every part of a place (containers, keys) is evaluated
// once, in source order.

enum Place {
    /// A temporary, such as a call's result: there is nowhere to store an update.
    case none
    case name(NameExpr)
    /// `container.name`
    case field(Value, String)
    /// `container[keys]`, itself read from `parent`.
    indirect case item(Value, [IndexValue], parent: Place)

    /// Evaluates `e` as a place and reads the value there.
    static func read(_ e: Expr, _ f: Frame) throws(MLPError) -> (Place, Value) {
        switch e {
        case let n as NameExpr:
            return (.name(n), try n.eval(f))
        case let x as FieldExpr:
            let c = try x.object.eval(f)
            return (.field(c, x.name), try f.interp.field(c, x.name, at: x.loc))
        case let x as IndexExpr:
            let (parent, c) = try read(x.object, f)
            let keys = try evalItems(x.items, f)
            return (.item(c, keys, parent: parent), try f.interp.index(c, keys, at: x.loc))
        default:
            return (.none, try e.eval(f))
        }
    }

    /// Stores `v` here; an update of a value-semantics container (a tensor row of a
    /// tensor) is stored into that container's own place in turn.
    func write(_ v: Value, _ f: Frame, at loc: SourceLoc) throws(MLPError) {
        switch self {
        case .none: return
        case .name(let n): n.assign(v, f)
        case .field(let c, let name): try f.interp.setField(c, name, v, at: loc)
        case .item(let c, let keys, let parent):
            if let updated = try f.interp.setIndex(c, keys, v, at: loc) { try parent.write(updated, f, at: loc) }
        }
    }

    /// A slot that can be emptied while its object is updated: a variable, a list
    /// item or a dict entry that still holds `o`. Emptying it leaves the caller with
    /// the only reference when nothing else shares the object, so a tensor can be
    /// written in place instead of copied.
    func slot(holding o: MLPObject, _ f: Frame) -> Slot? {
        switch self {
        case .name(let n): return .name(n)
        case .field(.dict(let d), let name):
            if case .object(let x)? = d[name], x === o { return .entry(d, .string(name)) }
        case .item(.list(let l), let keys, _):
            if keys.count == 1, case .value(.number(let x)) = keys[0], let i = Int(exactly: x) {
                let j = i < 0 ? i + l.items.count : i
                if j >= 0 && j < l.items.count, case .object(let y) = l.items[j], y === o { return .item(l, j) }
            }
        case .item(.dict(let d), let keys, _):
            if keys.count == 1, case .value(let k) = keys[0], let key = DictKey(k), case .object(let x)? = d[key], x === o {
                return .entry(d, key)
            }
        default: break
        }
        return nil
    }

    enum Slot {
        case name(NameExpr), item(ListObj, Int), entry(DictObj, DictKey)

        func store(_ v: Value, _ f: Frame) {
            switch self {
            case .name(let n): n.assign(v, f)
            case .item(let l, let i): l.items[i] = v
            case .entry(let d, let k): d[k] = v
            }
        }
    }
}
