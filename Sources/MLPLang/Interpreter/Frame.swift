// Activation records. Locals live in a fixed array sized by the resolver;
// captured locals hold a `Cell` object in their slot.

/// A view of one call's locals: a window of the interpreter's value stack
/// (no allocation per call), the closure's captured cells, and the interpreter.
public struct Frame {
    // A Frame is passed borrowed: reading its fields costs no reference counting.
    let slots: UnsafeMutablePointer<Value>
    /// The closure being run (nil for a script or a builtin's argument window); it is
    /// kept alive by the caller for the whole call.
    unowned(unsafe) let closure: Closure?
    /// Strong, so that `f.interp` is borrowed from the frame; an unowned(unsafe) reference
    /// would cost an atomic retain and a release at every use (one pair per call instead).
    let interp: Interpreter

    @inline(__always) func capture(_ i: Int) -> Cell { closure.unsafelyUnwrapped.captures[i] }
    /// Reads or writes captured cell `i` without retaining it.
    @inline(__always) func captured(_ i: Int) -> Value {
        closure.unsafelyUnwrapped.cells[i]._withUnsafeGuaranteedRef { $0.value }
    }
    /// Captured cell `i` when it holds a number, without copying the value.
    @inline(__always) func capturedNumber(_ i: Int) -> Double? {
        closure.unsafelyUnwrapped.cells[i]._withUnsafeGuaranteedRef { c -> Double? in
            if case .number(let x) = c.value { return x }
            return nil
        }
    }
    /// Replaces the number in captured cell `i` by `update(number)`; false (nothing
    /// written) when the cell holds no number or `update` gives nil.
    @inline(__always) func updateCapturedNumber(_ i: Int, _ update: (Double) -> Double?) -> Bool {
        closure.unsafelyUnwrapped.cells[i]._withUnsafeGuaranteedRef { c -> Bool in
            guard case .number(let x) = c.value, let r = update(x) else { return false }
            c.value = .number(r)
            return true
        }
    }
    @inline(__always) func setCaptured(_ i: Int, _ v: Value) {
        closure.unsafelyUnwrapped.cells[i]._withUnsafeGuaranteedRef { $0.value = v }
    }

    /// The value a `return` leaves for the caller.
    @inline(__always) var ret: Value {
        get { interp.returnValue }
        nonmutating set { interp.returnValue = newValue }
    }

    @inline(__always) func cell(_ i: Int) -> Cell {
        guard case .object(let o) = slots[i] else { fatalError("slot \(i) holds no cell") }
        return unsafeDowncast(o, to: CellBox.self).cell
    }
}

/// What a local holds before its first assignment; reading it is an error.
final class UnassignedMarker: MLPObject {}
nonisolated(unsafe) let unassignedMarker = UnassignedMarker()
nonisolated(unsafe) let unassigned = Value.object(unassignedMarker)

@inline(__always) func isCellBox(_ v: Value) -> Bool {
    if case .object(let o) = v { return o is CellBox }
    return false
}

@inline(__always) func isUnassigned(_ v: Value) -> Bool {
    if case .object(let o) = v { return o === unassignedMarker }
    return false
}

/// The slot form of a `Cell`. Never escapes the frame.
final class CellBox: MLPObject {
    let cell: Cell
    init(_ cell: Cell) { self.cell = cell }
}

/// Globals of one module (a script, the REPL session, an imported file).
public final class GlobalStore {
    public private(set) var names: [String] = []
    var index: [String: Int] = [:]
    /// nil until first assigned: reading then is a runtime error.
    /// Raw storage (not an Array): reading a global then costs no reference counting
    /// of a buffer. Grows by doubling; nodes index it by slot.
    private(set) var values: UnsafeMutablePointer<Value?>
    private var capacity = 64
    public let file: String

    public init(file: String) {
        self.file = file
        values = .allocate(capacity: capacity)
    }

    deinit {
        values.deinitialize(count: names.count)
        values.deallocate()
    }

    func slot(_ name: String) -> Int {
        if let i = index[name] { return i }
        if names.count == capacity {
            let bigger = UnsafeMutablePointer<Value?>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: values, count: names.count)
            values.deallocate()
            values = bigger
            capacity *= 2
        }
        (values + names.count).initialize(to: nil)
        index[name] = names.count; names.append(name)
        return names.count - 1
    }

    public func lookup(_ name: String) -> Value? { index[name].flatMap { values[$0] } }
    public func set(_ name: String, _ v: Value) { values[slot(name)] = v }
    public var definedNames: [String] { names.enumerated().compactMap { values[$0.offset] == nil ? nil : $0.element } }
    /// Forgets every value. Names keep their slots: code compiled earlier (a closure
    /// kept somewhere) refers to slots by index.
    public func removeAll() {
        for i in 0..<names.count { values[i] = nil }
        forgotten = Set(names)
    }
    /// Names `removeAll` forgot (`:reset`): until assigned again, reading one is
    /// "undefined name", as in a fresh session.
    private var forgotten: Set<String> = []
    func isForgotten(_ name: String) -> Bool {
        guard !forgotten.isEmpty, forgotten.contains(name), let i = index[name] else { return false }
        if values[i] != nil { forgotten.remove(name); return false }
        return true
    }
}

/// A module made by `import NAME`: its globals are its fields.
final class ModuleObject: MLPObject {
    let name: String
    let globals: GlobalStore
    init(name: String, globals: GlobalStore) { self.name = name; self.globals = globals }
    override var typeName: String { "module" }
    override func description(_ interp: Interpreter) -> String { "<module \(name)>" }
    override var fieldNames: [String] { globals.definedNames }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? { globals.lookup(name) }
    override func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        guard globals.index[name] != nil else { return false }
        globals.set(name, value); return true
    }
}
