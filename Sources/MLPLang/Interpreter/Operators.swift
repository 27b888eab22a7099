// Operators beyond the numeric fast paths in the nodes: strings, lists,
// equality, floored modulo, power, composition, and native objects.

extension Interpreter {
    public func binary(_ op: BinaryOp, _ a: Value, _ b: Value, at loc: SourceLoc) throws(MLPError) -> Value {
        if case .number(let x) = a, case .number(let y) = b, let r = numericResult(op, x, y) { return r }
        // native objects first, either side (tensors compare element-wise)
        if case .object(let o) = a {
            do { if let r = try o.binary(op, b, reversed: false, self) { return r } } catch { throw error.located(loc) }
        }
        if case .object(let o) = b {
            do { if let r = try o.binary(op, a, reversed: true, self) { return r } } catch { throw error.located(loc) }
        }
        if op == .eq { return .bool(equal(a, b)) }
        if op == .ne { return .bool(!equal(a, b)) }
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)):
            if x.s.utf8.count + y.s.utf8.count > maxSequence { throw tooLong(x.s.utf8.count + y.s.utf8.count, at: loc) }
            return .str(x.s + y.s)
        case (.add, .list(let x), .list(let y)):
            if x.items.count + y.items.count > maxSequence { throw tooLong(x.items.count + y.items.count, at: loc) }
            return .list(x.items + y.items)
        case (.mul, .string(let s), .number(let n)), (.mul, .number(let n), .string(let s)):
            let k = try repeatCount(n, itemCount: s.s.utf8.count, loc)
            return .str(String(repeating: s.s, count: k))
        case (.mul, .list(let l), .number(let n)), (.mul, .number(let n), .list(let l)):
            let k = try repeatCount(n, itemCount: l.items.count, loc)
            var out: [Value] = []
            out.reserveCapacity(l.items.count * k)
            for _ in 0..<k { out += l.items }
            return .list(out)
        case (.lt, _, _), (.le, _, _), (.gt, _, _), (.ge, _, _):
            if case .string(let x) = a, case .string(let y) = b {
                switch op {
                case .lt: return .bool(x.s < y.s)
                case .le: return .bool(x.s <= y.s)
                case .gt: return .bool(x.s > y.s)
                default: return .bool(x.s >= y.s)
                }
            }
        case (.compose, _, _):
            if isCallable(a) && isCallable(b) { return compose(a, b) }
        default: break
        }
        throw .runtime("operator '\(op.rawValue)' is not defined for \(a.typeName) and \(b.typeName)\(opHint(op, a, b)).", at: loc)
    }

    /// `x op= y`: as `x = x op y`, except that `xs += ys` extends the list in place (as Python does).
    func compound(_ op: BinaryOp, _ a: Value, _ b: Value, at loc: SourceLoc) throws(MLPError) -> Value {
        if op == .add, case .list(let l) = a, case .list(let r) = b {
            if l.items.count + r.items.count > maxSequence { throw tooLong(l.items.count + r.items.count, at: loc) }
            l.items += r.items
            return a
        }
        return try binary(op, a, b, at: loc)
    }

    func opHint(_ op: BinaryOp, _ a: Value, _ b: Value) -> String {
        if op == .add, case .string = a { return " (use \"{x}\" interpolation or str(x) to join text and values)" }
        if op == .add, case .string = b { return " (use \"{x}\" interpolation or str(x) to join text and values)" }
        return ""
    }

    /// A repetition count for `s * n` / `xs * n`, refusing results too large to hold.
    func repeatCount(_ n: Double, itemCount: Int, _ loc: SourceLoc) throws(MLPError) -> Int {
        guard n >= 0, n == n.rounded(), n.isFinite else {
            throw .runtime("repetition count must be a non-negative integer, got \(formatNumber(n)).", at: loc)
        }
        if n * Double(itemCount) > Double(maxSequence) { throw tooLong(Int(min(n * Double(itemCount), 9e15)), at: loc) }
        return itemCount == 0 ? 0 : Int(n)   // nothing to repeat: no need to count to n
    }

    /// Refuses to build a list of `n` items when that is over the limit.
    public func checkLength(_ n: Int) throws(MLPError) {
        if n > maxSequence { throw tooLong(n) }
    }

    func tooLong(_ n: Int, at loc: SourceLoc? = nil) -> MLPError {
        .runtime("the result would have \(n) items, more than the limit of \(maxSequence).", at: loc)
    }

    func isCallable(_ v: Value) -> Bool {
        switch v { case .function, .builtin, .object: return true; default: return false }
    }

    /// `f >> g`: x -> g(f(x)).
    func compose(_ f: Value, _ g: Value) -> Value {
        .builtin(Builtin("composition", [Param("x")]) { (a: inout Args) throws(MLPError) -> Value in
            try a.interp.call(g, [try a.interp.call(f, [a[0]], at: a.callLoc)], at: a.callLoc)
        })
    }

    /// Structural equality for lists and dicts, identity for functions.
    public func equal(_ a: Value, _ b: Value) -> Bool {
        var comparing: Set<[ObjectIdentifier]> = []
        return equal(a, b, &comparing)
    }

    /// `comparing` holds the pairs of containers being compared further up: meeting one
    /// again (a list that contains itself) counts as equal, so cycles terminate.
    func equal(_ a: Value, _ b: Value, _ comparing: inout Set<[ObjectIdentifier]>) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.nil, .nil): return true
        case (.string(let x), .string(let y)): return x === y || x.s == y.s
        case (.list(let x), .list(let y)):
            if x === y { return true }
            guard x.items.count == y.items.count else { return false }
            let pair = [ObjectIdentifier(x), ObjectIdentifier(y)]
            guard comparing.insert(pair).inserted else { return true }
            defer { comparing.remove(pair) }
            for (p, q) in zip(x.items, y.items) where !equal(p, q, &comparing) { return false }
            return true
        case (.dict(let x), .dict(let y)):
            if x === y { return true }
            guard x.count == y.count else { return false }
            let pair = [ObjectIdentifier(x), ObjectIdentifier(y)]
            guard comparing.insert(pair).inserted else { return true }
            defer { comparing.remove(pair) }
            for (k, v) in zip(x.keys, x.values) {
                guard let w = y[k], equal(v, w, &comparing) else { return false }
            }
            return true
        case (.range(let x), .range(let y)): return x.start == y.start && x.stop == y.stop && x.step == y.step
        case (.function(let x), .function(let y)): return x === y
        case (.builtin(let x), .builtin(let y)): return x === y
        case (.object(let x), .object(let y)): return x.equals(y)
        default: return false
        }
    }

    // MARK: fields

    public func field(_ v: Value, _ name: String, at loc: SourceLoc) throws(MLPError) -> Value {
        switch v {
        case .dict(let d):
            if let x = d[name] { return x }
            let hint = closestName(to: name, in: d.keys.compactMap { if case .string(let s) = $0 { return s }; return nil })
            throw .runtime("dict has no key '\(name)'\(hint.map { " (did you mean '\($0)'?)" } ?? "").", at: loc)
        case .object(let o):
            do { if let x = try o.field(name, self) { return x } } catch { throw error.located(loc) }
            let hint = closestName(to: name, in: o.fieldNames)
            throw .runtime("\(o.typeName) has no field '\(name)'\(hint.map { " (did you mean '\($0)'?)" } ?? methodHint(name)).", at: loc)
        case .range(let r):
            switch name {
            case "start": return .number(r.start)
            case "stop": return .number(r.stop)
            case "step": return .number(r.step)
            default: break
            }
        default: break
        }
        throw .runtime("\(describeForError(v)) has no field '\(name)'\(methodHint(name)).", at: loc)
    }

    /// `xs.append(x)`, `s.upper()`, `x.reshape(...)` as in Python: in mlp these are
    /// functions that take the value first.
    func methodHint(_ name: String) -> String {
        switch name {
        case "append": return " (lists grow with push(xs, x))"
        case "extend": return " (xs += ys extends a list)"
        case "items": return " (keys(d) and values(d) give a dict's keys and values)"
        default: return builtins[name] != nil ? " (functions take the value first: \(name)(x, ...))" : ""
        }
    }

    public func setField(_ v: Value, _ name: String, _ x: Value, at loc: SourceLoc) throws(MLPError) {
        switch v {
        case .dict(let d): d[name] = x; return
        case .object(let o):
            do { if try o.setField(name, x, self) { return } } catch { throw error.located(loc) }
            throw .runtime("cannot set field '\(name)' of a \(o.typeName).", at: loc)
        default:
            throw .runtime("cannot set field '\(name)' of \(describeForError(v)).", at: loc)
        }
    }

    /// The fields `x.<Tab>` offers.
    public func fieldNames(of v: Value) -> [String] {
        switch v {
        case .dict(let d): return d.keys.compactMap { if case .string(let s) = $0 { return s }; return nil }
        case .object(let o): return o.fieldNames
        case .range: return ["start", "stop", "step"]
        default: return []
        }
    }

    // MARK: iteration

    /// The elements a `for` loop visits: list items, range numbers, characters, dict keys.
    public func elements(of v: Value) throws(MLPError) -> [Value] {
        if let items = try elementsIfIterable(v) { return items }
        throw .runtime("cannot iterate over \(describeForError(v)).")
    }

    /// As `elements(of:)`, but nil for a value that cannot be iterated, so that callers can
    /// say so in their words and still pass on a real error (a range too long for a list),
    /// put at `loc` when it has no place of its own.
    public func elementsIfIterable(_ v: Value, at loc: SourceLoc? = nil) throws(MLPError) -> [Value]? {
        do { return try iterableElements(v) } catch { throw loc.map { error.located($0) } ?? error }
    }

    private func iterableElements(_ v: Value) throws(MLPError) -> [Value]? {
        switch v {
        case .list(let l): return l.items
        case .range(let r):
            guard r.count <= maxSequence else { throw tooLong(r.count) }
            return (0..<r.count).map { .number(r.at($0)) }
        case .string(let s): return s.chars.map { .str(String(Character($0))) }
        case .dict(let d): return d.keys.map(\.value)
        case .object(let o): return try o.elements(self)
        default: return nil
        }
    }
}

/// `x op y` on two numbers; nil for the operators numbers do not have (`@`, `>>`).
@inline(__always) func numericResult(_ op: BinaryOp, _ x: Double, _ y: Double) -> Value? {
    switch op {
    case .add: return .number(x + y)
    case .sub: return .number(x - y)
    case .mul: return .number(x * y)
    case .div: return .number(x / y)
    case .mod: return .number(flooredMod(x, y))
    case .pow: return .number(power(x, y))
    case .lt: return .bool(x < y)
    case .le: return .bool(x <= y)
    case .gt: return .bool(x > y)
    case .ge: return .bool(x >= y)
    case .eq: return .bool(x == y)
    case .ne: return .bool(x != y)
    case .matmul, .compose: return nil
    }
}

/// The most items a list or string built in one operation may have (2^26), so
/// that a typo like `[0] * 4e9` is an error rather than an exhausted memory.
public let maxSequence = 1 << 26

/// `%` with the sign of the divisor, as in Python.
@inlinable public func flooredMod(_ x: Double, _ y: Double) -> Double {
    // integers (the usual `i % 10`) without fmod
    if abs(x) < 9.0e15, abs(y) < 9.0e15, y != 0, x == x.rounded(.towardZero), y == y.rounded(.towardZero) {
        let a = Int(x), b = Int(y)
        let r = a % b
        return Double((r != 0 && (r < 0) != (b < 0)) ? r + b : r)
    }
    let r = x.truncatingRemainder(dividingBy: y)
    return (r != 0 && (r < 0) != (y < 0)) ? r + y : r
}

/// `^`: C's pow (correctly rounded here), as Python's `**` and NumPy use.
@inline(__always) public func power(_ x: Double, _ y: Double) -> Double {
    y == 2 ? x * x : cPow(x, y)
}
