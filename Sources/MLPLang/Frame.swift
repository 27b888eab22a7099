// Activation records. Locals live in a fixed array sized by the resolver;
// captured locals hold a `Cell` object in their slot.

public final class Frame {
    let slots: UnsafeMutablePointer<Value>
    let count: Int
    let captures: [Cell]
    var ret: Value = .nil
    unowned let interp: Interpreter

    init(_ interp: Interpreter, count: Int, captures: [Cell]) {
        self.interp = interp
        self.count = count
        self.captures = captures
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: .nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    @inline(__always) func cell(_ i: Int) -> Cell {
        guard case .object(let o) = slots[i] else { fatalError("slot \(i) holds no cell") }
        return unsafeDowncast(o, to: CellBox.self).cell
    }
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
