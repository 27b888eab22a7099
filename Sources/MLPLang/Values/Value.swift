// Runtime values. Every payload is one word, so a Value is 9 bytes (stride 16);
// a test asserts it.

public enum Value {
    case number(Double)
    case bool(Bool)
    case `nil`
    case string(StrObj)
    case list(ListObj)
    case dict(DictObj)
    case range(RangeObj)
    case function(Closure)
    case builtin(Builtin)
    case object(MLPObject)

    public static func str(_ s: String) -> Value { .string(StrObj(s)) }
    public static func list(_ items: [Value]) -> Value { .list(ListObj(items)) }

    /// The name `type(x)` returns.
    public var typeName: String {
        switch self {
        case .number: return "number"
        case .bool: return "bool"
        case .nil: return "nil"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .range: return "range"
        case .function, .builtin: return "function"
        case .object(let o): return o.typeName
        }
    }

    public var isNil: Bool { if case .nil = self { return true }; return false }
}

/// Strings are immutable and boxed to keep `Value` one word wide.
public final class StrObj {
    public let s: String
    /// Whether `s` is ASCII: 0 not known yet, 1 yes, 2 no.
    private var asciiState: UInt8
    public init(_ s: String) { self.s = s; asciiState = 0 }
    /// For code that builds the text and already knows (saves a scan at the first `len` or index).
    public init(_ s: String, isASCII: Bool) { self.s = s; asciiState = isASCII ? 1 : 2 }
    /// Code points (as Python's and Julia's strings count them), computed once for indexing and slicing.
    lazy var chars: [Unicode.Scalar] = Array(s.unicodeScalars)
    /// ASCII text is indexed by bytes, without building `chars`.
    public var isASCII: Bool {
        if asciiState == 0 { asciiState = withUTF8(allASCII) ? 1 : 2 }
        return asciiState == 1
    }
    /// Length in code points.
    public var count: Int { isASCII ? s.utf8.count : chars.count }

    /// Code points `idx` (ascending or not) as a new string.
    func pick(_ idx: [Int]) -> String {
        if isASCII {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(idx.count)
            s.utf8.withContiguousStorageIfAvailable { b in for i in idx { bytes.append(b[i]) } }
                ?? { let b = Array(s.utf8); for i in idx { bytes.append(b[i]) } }()
            return String(decoding: bytes, as: UTF8.self)
        }
        var out = String.UnicodeScalarView()
        for i in idx { out.append(chars[i]) }
        return String(out)
    }
}

/// Lists are mutable and shared by reference, as in Python.
public final class ListObj: Traced {
    public var items: [Value]
    public init(_ items: [Value]) { self.items = items; super.init() }
    override func traverse(_ buffers: UnsafeMutablePointer<BufferSet>?, _ visit: (Traced) -> Void) {
        withUnsafeMutablePointer(to: &items) { traverseArray($0, buffers, traced, visit) }
    }
    override func clear() { items = [] }
}

/// Keys of dicts: strings, numbers and bools.
public enum DictKey: Hashable {
    case string(String), number(Double), bool(Bool)

    public init?(_ v: Value) {
        switch v {
        case .string(let s): self = .string(s.s)
        case .number(let d): self = .number(d == 0 ? 0 : d)   // -0 and 0 are one key
        case .bool(let b): self = .bool(b)
        default: return nil
        }
    }

    public var value: Value {
        switch self {
        case .string(let s): return .str(s)
        case .number(let d): return .number(d)
        case .bool(let b): return .bool(b)
        }
    }
}

/// Dicts keep insertion order.
public final class DictObj: Traced {
    public private(set) var keys: [DictKey] = []
    public private(set) var values: [Value] = []
    private var index: [DictKey: Int] = [:]

    public override init() { super.init() }
    override func traverse(_ buffers: UnsafeMutablePointer<BufferSet>?, _ visit: (Traced) -> Void) {
        withUnsafeMutablePointer(to: &values) { traverseArray($0, buffers, traced, visit) }
    }
    override func clear() { keys = []; values = []; index = [:] }

    public var count: Int { keys.count }
    public subscript(key: DictKey) -> Value? {
        get { index[key].map { values[$0] } }
        set {
            if let v = newValue {
                if let i = index[key] { values[i] = v } else { index[key] = keys.count; keys.append(key); values.append(v) }
            } else if let i = index.removeValue(forKey: key) {
                keys.remove(at: i); values.remove(at: i)
                for j in i..<keys.count { index[keys[j]] = j }
            }
        }
    }
    /// The value under a string key, trying `hint` (the key's index at the last look-up
    /// from the same place in the source) before hashing: `env.step(a)` in a loop
    /// finds its key without computing a string hash.
    @inline(__always)
    public func value(named name: String, hint: inout Int) -> Value? {
        let h = hint
        if h < keys.count, case .string(let k) = keys[h], k == name { return values[h] }
        guard let i = index[.string(name)] else { return nil }
        hint = i
        return values[i]
    }
    public subscript(name: String) -> Value? {
        get { self[.string(name)] }
        set { self[.string(name)] = newValue }
    }
}

/// `a..b` and `range(a, b, step)`: a lazy arithmetic sequence.
public final class RangeObj {
    public let start: Double, stop: Double, step: Double
    public let count: Int
    /// Refuses more items than numbers count exactly (2^53, or infinitely many):
    /// the length, the last indices and membership would all be wrong.
    public init(_ start: Double, _ stop: Double, _ step: Double = 1) throws(MLPError) {
        let n = ((stop - start) / step).rounded(.up)
        if n > 9_007_199_254_740_992 {
            throw .runtime("the range would have \(formatNumber(n)) items, more than 2^53 = 9007199254740992, the most that numbers count exactly.")
        }
        self.start = start; self.stop = stop; self.step = step
        count = n > 0 ? Int(n) : 0   // NaN bounds give an empty range
    }
    public func at(_ i: Int) -> Double { start + Double(i) * step }
}

/// A value shared between a function and the closures that capture it.
public final class Cell: Traced {
    public var value: Value
    init(_ v: Value) { value = v; super.init() }
    override func traverse(_ buffers: UnsafeMutablePointer<BufferSet>?, _ visit: (Traced) -> Void) {
        if let t = traced(value) { visit(t) }
    }
    override func clear() { value = .nil }
}

/// A user function: its code and the cells it captured.
public final class Closure: Traced {
    let proto: FunctionDecl
    private(set) var captures: [Cell]
    /// The same cells, unretained, for access without reference counting (`captures` owns them).
    let cells: UnsafeMutablePointer<Unmanaged<Cell>>
    init(_ proto: FunctionDecl, _ captures: [Cell]) {
        self.proto = proto; self.captures = captures
        cells = .allocate(capacity: max(captures.count, 1))
        for (i, c) in captures.enumerated() { (cells + i).initialize(to: .passUnretained(c)) }
        super.init()
    }
    override func traverse(_ buffers: UnsafeMutablePointer<BufferSet>?, _ visit: (Traced) -> Void) {
        withUnsafeMutablePointer(to: &captures) { traverseArray($0, buffers, { $0 }, visit) }
    }
    deinit { cells.deallocate() }
    public var name: String { proto.name }
    public var parameterNames: [String] { proto.params }
    /// `name(a, b=2)` as written in the source.
    public var signature: String { proto.name + proto.paramText }
    /// The comment lines right above `fn name(...)` (`?name` in the REPL), "" if none.
    public var doc: String { proto.doc }
}

/// Native objects (modules, and MLPRuntime's tensors, layers, generators, ...) subclass this
/// and override what they support. `nil` from an operator hook means "not supported".
open class MLPObject {
    public init() {}
    open var typeName: String { "object" }
    open func description(_ interp: Interpreter) -> String { "<\(typeName)>" }
    open var fieldNames: [String] { [] }
    open func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    open func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool { false }
    /// `self op other` (or `other op self` when `reversed`).
    open func binary(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    /// `self op other` (or `other op self` when `reversed`) when nothing else refers to
    /// self, as the temporary `a * b` in `a * b + c`: store the result in self and return
    /// true, or return false to go through `binary`.
    open func binaryInPlace(_ op: BinaryOp, _ other: Value, reversed: Bool, _ interp: Interpreter) throws(MLPError) -> Bool { false }
    open func negate(_ interp: Interpreter) throws(MLPError) -> Value? { nil }
    open func index(_ items: [IndexValue], _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    /// Returns the updated object (objects with value semantics return a copy), nil when unsupported.
    open func setIndex(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    /// `x[i] = v` when the variable x holds the only reference: update in place and
    /// return true, or return false to go through `setIndex` (which may copy).
    open func setIndexInPlace(_ items: [IndexValue], _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool { false }
    open func call(_ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    /// Elements for `for x in obj`, nil when not iterable.
    open func elements(_ interp: Interpreter) throws(MLPError) -> [Value]? { nil }
    open var length: Int? { nil }
    /// An element-wise math function (`exp(t)`, `sqrt(t)`), nil when unsupported.
    open func map(_ name: String, _ f: (Double) -> Double, _ interp: Interpreter) throws(MLPError) -> Value? { nil }
    open func equals(_ other: MLPObject) -> Bool { self === other }
}

/// An index or slice inside `a[...]`, evaluated.
public enum IndexValue {
    case value(Value)
    case slice(Double?, Double?, Double?)
    /// `...`: the axes the other indices leave (tensors only)
    case ellipsis
}

public enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", matmul = "@"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case compose = ">>"
}
