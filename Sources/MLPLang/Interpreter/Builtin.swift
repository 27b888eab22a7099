// The calling convention of native functions. The table of builtins itself
// lives in MLPRuntime; the interpreter only binds arguments and calls.

public struct Param: Sendable {
    public let name: String
    /// Absent: the argument is required.
    public let defaultValue: DefaultValue?
    /// Only by name (`print(a, b, end="")`): positional arguments skip it.
    public let keywordOnly: Bool
    public init(_ name: String, _ defaultValue: DefaultValue? = nil, keywordOnly: Bool = false) {
        self.name = name; self.defaultValue = defaultValue; self.keywordOnly = keywordOnly
    }
}

/// Defaults are plain data so the table stays `Sendable`.
public enum DefaultValue: Sendable {
    case number(Double), bool(Bool), string(String), none
    var value: Value {
        switch self {
        case .number(let d): return .number(d)
        case .bool(let b): return .bool(b)
        case .string(let s): return .str(s)
        case .none: return .nil
        }
    }
}

public typealias BuiltinBody = (inout Args) throws(MLPError) -> Value

public final class Builtin {
    public let name: String
    public let params: [Param]
    /// Name of the parameter that takes any further positional arguments (`print(a, b, ...)`).
    public let rest: String?
    public let body: BuiltinBody

    /// Parameters that positional arguments fill (keyword-only ones come last).
    public let positionalCount: Int
    /// Each parameter's default as a value made once, so that a call binds it by copying
    /// one word; nil for a required parameter and for a string (a string object caches
    /// its ASCII flag, so it is not shared between sessions' threads).
    let sharedDefaults: [Value?]

    /// The default of parameter `i` as a value; nil when the argument is required.
    @inline(__always) func defaultValue(_ i: Int) -> Value? {
        if let v = sharedDefaults[i] { return v }
        return params[i].defaultValue?.value
    }

    public init(_ name: String, _ params: [Param], rest: String? = nil, _ body: @escaping BuiltinBody) {
        self.name = name; self.params = params; self.rest = rest; self.body = body
        self.positionalCount = params.prefix { !$0.keywordOnly }.count
        self.sharedDefaults = params.map { p -> Value? in
            if case .string = p.defaultValue { return nil }
            return p.defaultValue?.value
        }
    }

    /// `name(a, b=1, ...)` for help texts and error messages.
    public var signature: String {
        var ps = params.map { p -> String in
            guard let d = p.defaultValue else { return p.name }
            switch d {
            case .number(let x): return "\(p.name)=\(formatNumber(x))"
            case .bool(let b): return "\(p.name)=\(b)"
            case .string(let s): return "\(p.name)=\(quoted(s))"
            case .none: return "\(p.name)=nil"
            }
        }
        if let rest { ps.insert("\(rest)...", at: positionalCount) }
        return "\(name)(\(ps.joined(separator: ", ")))"
    }
}

/// Bound arguments of one builtin call, with checked accessors whose errors
/// name the function, the argument, what was expected and what came.
public struct Args {
    // unowned(unsafe): all three outlive the call, and a builtin call is hot
    public unowned(unsafe) let interp: Interpreter
    public unowned(unsafe) let fn: Builtin
    /// One value per parameter: a window of the interpreter's value stack (no allocation).
    let values: UnsafeMutablePointer<Value>
    public let count: Int
    /// Arguments beyond the parameters (`print(a, b, c)`): the stack slots after the
    /// parameters' (no array is made unless a builtin asks for `rest`).
    public let restItems: UnsafeBufferPointer<Value>
    public var rest: [Value] { restItems.isEmpty ? [] : Array(restItems) }
    /// The call as written (nil when called from native code), to put carets under arguments.
    unowned(unsafe) let node: CallExpr?
    let nativeLoc: SourceLoc?

    public var callLoc: SourceLoc { node?.loc ?? nativeLoc! }
    public subscript(i: Int) -> Value { values[i] }

    /// Where argument `i` was written: positional, or by keyword; nil for a default.
    func argumentLoc(_ i: Int) -> SourceLoc? {
        guard let node else { return nil }
        if i < fn.positionalCount && i < node.args.count { return node.args[i].loc }
        guard i < fn.params.count, let k = node.kwNames.firstIndex(of: fn.params[i].name) else { return nil }
        return node.kwArgs[k].loc
    }

    /// An error located at argument `i` (or the call), prefixed with the function name.
    public func error(_ message: String, at i: Int? = nil) -> MLPError {
        let loc = i.flatMap { argumentLoc($0) } ?? callLoc
        return MLPError.runtime("\(fn.name): \(message)", at: loc)
    }

    public func paramName(_ i: Int) -> String { i < fn.params.count ? fn.params[i].name : fn.rest ?? "argument" }

    public func typeError(_ i: Int, _ expected: String) -> MLPError {
        error("argument '\(paramName(i))' must be \(expected), got \(describeForError(values[i])).", at: i)
    }

    public func isNil(_ i: Int) -> Bool { values[i].isNil }

    public func number(_ i: Int) throws(MLPError) -> Double {
        if case .number(let d) = values[i] { return d }
        throw typeError(i, "a number")
    }

    /// An integral number (indices, sizes, counts).
    public func int(_ i: Int) throws(MLPError) -> Int {
        guard case .number(let d) = values[i] else { throw typeError(i, "an integer") }
        guard d == d.rounded(), d.isFinite else { throw typeError(i, "an integer") }
        guard abs(d) < 9_007_199_254_740_992, let n = Int(exactly: d) else { throw typeError(i, "an integer below 2^53 in magnitude") }
        return n
    }

    public func bool(_ i: Int) throws(MLPError) -> Bool {
        if case .bool(let b) = values[i] { return b }
        throw typeError(i, "a bool")
    }

    public func string(_ i: Int) throws(MLPError) -> String {
        if case .string(let s) = values[i] { return s.s }
        throw typeError(i, "a string")
    }

    /// A string argument as the interpreter holds it (its bytes and cached ASCII flag).
    public func stringObject(_ i: Int) throws(MLPError) -> StrObj {
        if case .string(let s) = values[i] { return s }
        throw typeError(i, "a string")
    }

    public func list(_ i: Int) throws(MLPError) -> ListObj {
        if case .list(let l) = values[i] { return l }
        throw typeError(i, "a list")
    }

    public func dict(_ i: Int) throws(MLPError) -> DictObj {
        if case .dict(let d) = values[i] { return d }
        throw typeError(i, "a dict")
    }

    /// Anything callable: a function, a builtin or a callable object.
    public func callable(_ i: Int) throws(MLPError) -> Value {
        switch values[i] {
        case .function, .builtin, .object: return values[i]
        default: throw typeError(i, "a function")
        }
    }

    /// Elements of a list, range, string, dict (keys) or iterable object.
    public func sequence(_ i: Int) throws(MLPError) -> [Value] {
        guard let items = try sequence(values[i], at: i) else { throw typeError(i, "a list, range, string or dict") }
        return items
    }

    /// The elements of `v` (argument `i`, or one of the rest), nil when it cannot be iterated.
    /// An error from the interpreter (too many items) gets this function's name and place.
    public func sequence(_ v: Value, at i: Int) throws(MLPError) -> [Value]? {
        do { return try interp.elementsIfIterable(v) } catch {
            throw error.loc == nil ? self.error(error.message, at: i) : error
        }
    }

    /// Calls a function value with positional arguments.
    public func call(_ f: Value, _ arguments: [Value]) throws(MLPError) -> Value {
        try interp.call(f, arguments, [], at: callLoc)
    }
}

/// `string "abc"`, `list of 3`, ... for error messages.
public func describeForError(_ v: Value) -> String {
    switch v {
    case .number(let d): return "\(formatNumber(d))"
    case .string(let s):
        let short = s.s.count > 20 ? String(s.s.prefix(20)) + "..." : s.s
        return "string \"\(short)\""
    case .bool(let b): return "\(b)"
    case .nil: return "nil"
    case .list(let l): return "a list of \(l.items.count)"
    case .dict: return "a dict"
    case .range: return "a range"
    case .function, .builtin: return "a function"
    case .object(let o): return "a \(o.typeName)"
    }
}
