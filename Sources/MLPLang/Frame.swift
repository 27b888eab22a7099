// Activation records. Locals live in a fixed array sized by the resolver;
// captured locals hold a `Cell` object in their slot.

public struct FrameHeader {
    let count: Int
    let captures: [Cell]
    var ret: Value
    unowned let interp: Interpreter
}

/// One allocation per call: the header and the slots live in one object.
public final class Frame: ManagedBuffer<FrameHeader, Value> {
    static func make(_ interp: Interpreter, count: Int, captures: [Cell]) -> Frame {
        let b = Frame.create(minimumCapacity: count) { _ in
            FrameHeader(count: count, captures: captures, ret: .nil, interp: interp)
        }
        let f = unsafeDowncast(b, to: Frame.self)
        f.withUnsafeMutablePointerToElements { $0.initialize(repeating: unassigned, count: count) }
        return f
    }

    deinit {
        withUnsafeMutablePointers { h, e in _ = e.deinitialize(count: h.pointee.count) }
    }

    @inline(__always) var slots: UnsafeMutablePointer<Value> { withUnsafeMutablePointerToElements { $0 } }
    @inline(__always) var captures: [Cell] { header.captures }
    @inline(__always) var interp: Interpreter { header.interp }
    @inline(__always) var ret: Value {
        get { header.ret }
        set { header.ret = newValue }
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
    var values: [Value?] = []
    public let file: String

    public init(file: String) { self.file = file }

    func slot(_ name: String) -> Int {
        if let i = index[name] { return i }
        index[name] = names.count; names.append(name); values.append(nil)
        return names.count - 1
    }

    public func lookup(_ name: String) -> Value? { index[name].flatMap { values[$0] } }
    public func set(_ name: String, _ v: Value) { values[slot(name)] = v }
    public var definedNames: [String] { names.enumerated().compactMap { values[$0.offset] == nil ? nil : $0.element } }
    public func removeAll() { names = []; index = [:]; values = [] }
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
