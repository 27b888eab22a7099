// MLPTensor: n-dimensional Double tensors, row-major and contiguous, with value
// semantics (copy-on-write over a final-class buffer). No Foundation. This file:
// the storage, copy-on-write and the creators (zeros/ones/full/eye/arange/linspace,
// rand/randn/randint from a given generator, filled in row-major order). The
// other files are listed in this folder's README.md.
//
// Errors are `TensorError(operation, detail)` (OperationError.swift); details follow
// NumPy's where there is one (`matmul`, `shapes [2, 3] and [2, 3] do not align (3 != 2).`).
// Kernels use raw pointers and wrapping index arithmetic so that loops vectorise.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Contiguous storage of `count` doubles. Owned by one or more `Tensor` values.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Double>
    public let count: Int

    /// What `free` takes: the block `pointer` lies in.
    private let block: UnsafeMutableRawPointer

    /// Large buffers are 2 MiB aligned and advised as transparent huge pages (as
    /// NumPy does): first-touch page faults otherwise dominate big element-wise ops.
    static let hugeBytes = 4 << 20

    /// Uninitialised storage (callers fill every element), or an "out of memory"
    /// error when the machine cannot give it (a full machine, `ulimit -v`).
    public init(count: Int) throws {
        guard let (block, pointer) = TensorStorage.allocate(count) else {
            throw TensorStorage.outOfMemoryError(count)
        }
        self.count = count; self.block = block; self.pointer = pointer
    }

    /// Storage of a small constant size (a scalar): a machine that cannot give a
    /// few bytes is already failing, and stops the process. Sizes that come from
    /// the user's data use the throwing `init(count:)`.
    init(constantCount count: Int) {
        guard let (block, pointer) = TensorStorage.allocate(count) else {
            fatalError(TensorStorage.outOfMemory(count))
        }
        self.count = count; self.block = block; self.pointer = pointer
    }

    /// `count` doubles, 2 MiB aligned when large; nil when the size overflows or malloc fails.
    private static func allocate(_ count: Int) -> (UnsafeMutableRawPointer, UnsafeMutablePointer<Double>)? {
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: 8)
        if overflow { return nil }
        #if os(Linux)
        if bytes >= TensorStorage.hugeBytes {
            // A plain malloc of the rounded size plus one alignment, aligned by hand:
            // a loop that frees and allocates the same size then gets the same block
            // back. posix_memalign could not reuse the freed block (it asks malloc
            // for more than it keeps), so the heap grew by every other result and
            // each one faulted in fresh huge pages: in slow processes 20-28% of a
            // 1024^2 product's time went to the kernel zeroing them (perf record).
            let huge = 2 << 20
            let rounded = (bytes &+ huge &- 1) / huge &* huge
            guard let raw = malloc(rounded &+ huge) else { return nil }
            let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: raw) &+ huge &- 1) & ~(huge &- 1))!
            _ = madvise(aligned, rounded, 14 /* MADV_HUGEPAGE */)
            return (raw, aligned.bindMemory(to: Double.self, capacity: count))
        }
        #endif
        // malloc itself: Swift's allocate goes through posix_memalign, slower for the
        // small buffers of loops (malloc's 16-byte alignment is all a Double needs)
        guard let raw = malloc(bytes) else { return nil }
        return (raw, raw.bindMemory(to: Double.self, capacity: Swift.max(count, 1)))
    }

    /// The error for `count` doubles the machine could not give. Out of line: the
    /// allocation on every operation's path stays small enough to inline.
    @inline(never)
    static func outOfMemoryError(_ count: Int) -> TensorError {
        TensorError(nil, outOfMemory(count), kind: .outOfMemory(bytes: count.multipliedReportingOverflow(by: 8).overflow ? Int.max : count * 8))
    }

    /// "out of memory: needs 8.6 GB for a tensor of ... elements.": `count` doubles.
    static func outOfMemory(_ count: Int) -> String {
        outOfMemory(bytes: Double(count) * 8, "for a tensor of \(count) elements")
    }

    /// "out of memory: needs 8.6 GB `what`.": `bytes` to a tenth of a GB (rounded
    /// up), for buffers other than tensors (a layer's scratch, word vectors).
    public static func outOfMemory(bytes: Double, _ what: String) -> String {
        let tenths = Int(Swift.min(bytes / 1e8, 1e15).rounded(.up))
        let gb = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        return "out of memory: needs \(gb) GB \(what)."
    }

    public convenience init(repeating value: Double, count: Int) throws {
        try self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    public func copy() throws -> TensorStorage {
        let s = try TensorStorage(count: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    deinit { free(block) }
}

/// Formats a shape as `[2, 3]`.
@inline(never)
func shapeString(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// An n-dimensional, row-major array of Double with value semantics
/// (copy-on-write over a shared `TensorStorage`).
public struct Tensor {
    public internal(set) var storage: TensorStorage
    public internal(set) var shape: [Int]

    /// Wraps existing storage (its count must equal the product of `shape`).
    public init(storage: TensorStorage, shape: [Int]) {
        precondition(shape.reduce(1, *) == storage.count, "Tensor: storage count does not match shape")
        self.storage = storage
        self.shape = shape
    }

    /// Uninitialised tensor of the given shape (for kernels that fill every element),
    /// or an error naming `name` when the shape is too large or memory runs out.
    public init(uninitializedShape shape: [Int], _ name: String) throws {
        storage = try TensorStorage(count: try Tensor.checkShape(shape, name))
        self.shape = shape
    }

    /// Uninitialised tensor for a result whose shape is already checked (no larger
    /// than an input), or an "out of memory" error when the machine cannot give it.
    @inline(__always)
    public init(uninitializedBounded shape: [Int]) throws {
        var n = 1
        for d in shape { n = n &* d }
        storage = try TensorStorage(count: n)
        self.shape = shape
    }

    /// A tensor from flat row-major values and a shape.
    public init(_ values: [Double], shape: [Int]) throws {
        for d in shape where d < 0 {
            throw TensorError(nil, "negative dimension in shape \(shapeString(shape)).")
        }
        let n = try Tensor.checkShape(shape, "tensor")
        guard n == values.count else {
            throw TensorError(nil, "cannot make a tensor of shape \(shapeString(shape)) from \(values.count) values.")
        }
        let st = try TensorStorage(count: n)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { st.pointer.update(from: b, count: n) } }
        storage = st
        self.shape = shape
    }

    /// A 1-D tensor.
    public init(_ values: [Double]) throws {
        let st = try TensorStorage(count: values.count)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { st.pointer.update(from: b, count: values.count) } }
        storage = st
        shape = [values.count]
    }

    /// A scalar tensor (shape []).
    public init(scalar: Double) {
        storage = TensorStorage(constantCount: 1)
        storage.pointer.initialize(to: scalar)
        shape = []
    }

    /// A 2-D tensor from rows (all the same length).
    public init(rows: [[Double]]) throws {
        let m = rows.count, n = rows.first?.count ?? 0
        var flat: [Double] = []
        flat.reserveCapacity(m * n)
        for r in rows {
            guard r.count == n else { throw TensorError(nil, "rows have different lengths (\(n) and \(r.count)).") }
            flat.append(contentsOf: r)
        }
        try self.init(flat, shape: [m, n])
    }

    public var count: Int { storage.count }
    public var ndim: Int { shape.count }
    public var isScalar: Bool { shape.isEmpty }

    /// Formats a shape as `[2, 3]` (as error messages do).
    public static func formatShape(_ shape: [Int]) -> String { shapeString(shape) }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.strides(for: shape) }

    public static func strides(for shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        var i = shape.count - 1
        while i >= 0 { s[i] = acc; acc = acc &* shape[i]; i -= 1 }
        return s
    }

    /// The values in row-major order.
    public var scalars: [Double] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single value of a tensor with one element.
    public func item() throws -> Double {
        guard count == 1 else {
            throw TensorError(nil, "only a tensor with one element can be converted to a number (shape \(shapeString(shape))).")
        }
        return storage.pointer[0]
    }

    /// Whether this tensor's storage is shared with no other tensor.
    public mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// Copies the storage if it is shared, so that mutation affects only this value
    /// (an "out of memory" error when the copy cannot be made).
    @inline(__always)
    public mutating func makeUnique() throws {
        if !isKnownUniquelyReferenced(&storage) { storage = try storage.copy() }
    }

    @inline(__always)
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    @inline(__always)
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) throws -> R {
        try makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Element at a full index (no negative indices); traps when out of range.
    /// Swift code's own (tests, kernels on tensors they made): a setter cannot throw,
    /// so a shared tensor's copy that memory cannot hold stops the process. Scripts
    /// assign through `set`, which throws.
    public subscript(_ index: Int...) -> Double {
        get { storage.pointer[flatOffset(index)] }
        set {
            let o = flatOffset(index)
            try! makeUnique()  // see above
            storage.pointer[o] = newValue
        }
    }

    /// Element at a flat row-major position (Swift code's own, as the subscript above).
    public subscript(flat i: Int) -> Double {
        get { precondition(i >= 0 && i < count); return storage.pointer[i] }
        set {
            precondition(i >= 0 && i < count)
            try! makeUnique()  // see above
            storage.pointer[i] = newValue
        }
    }

    @inline(__always)
    func flatOffset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: wrong number of indices")
        var o = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "Tensor: index out of range")
            o = o &* d &+ i
        }
        return o
    }

    /// Same values, new shape of the same count (no copy). One dimension may be -1.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var s = newShape
        var unknown = -1, known = 1
        for (i, d) in s.enumerated() {
            if d == -1 {
                if unknown >= 0 { throw TensorError("reshape", "can only specify one unknown dimension.") }
                unknown = i
            } else if d < 0 {
                throw TensorError("reshape", "negative dimension \(d) in \(shapeString(newShape)).")
            } else {
                let (p, o) = known.multipliedReportingOverflow(by: d)
                if o || p > Tensor.maxCount {
                    throw TensorError("reshape", "cannot reshape tensor of shape \(shapeString(shape)) into shape \(shapeString(newShape)).")
                }
                known = p
            }
        }
        if unknown >= 0 {
            guard known > 0, count % known == 0 else {
                throw TensorError("reshape", "cannot reshape tensor of shape \(shapeString(shape)) into shape \(shapeString(newShape)).")
            }
            s[unknown] = count / known
        } else if known != count {
            throw TensorError("reshape", "cannot reshape tensor of shape \(shapeString(shape)) into shape \(shapeString(newShape)).")
        }
        try Tensor.checkShape(s, "reshape")   // [0, 2^62] has the count 0 but no valid shape
        return Tensor(storage: storage, shape: s)
    }

    /// Sets the shape without checks beyond the count (internal use).
    @inline(__always)
    mutating func setShape(_ s: [Int]) { shape = s }
}

extension Tensor: Equatable {
    /// Same shape and the same values (NaN differs from everything).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        if a.storage === b.storage { return !a.scalars.contains { $0.isNaN } }
        let p = a.storage.pointer, q = b.storage.pointer
        for i in 0..<a.count where p[i] != q[i] { return false }
        return true
    }
}

// MARK: - Creation

extension Tensor {
    /// Most elements one tensor may hold (2^31 - 1 doubles, 16 GiB; every
    /// dimension then fits BLAS's 32-bit integers).
    /// The most elements one tensor may have. A variable so that a harness (the
    /// fuzzer) can bound allocations the way a step budget bounds loops.
    nonisolated(unsafe) public static var maxCount = Int(Int32.max)

    /// The error for a shape over `maxCount` elements, with its whole size (Int.max
    /// when that overflows). Out of line, as the allocation's error.
    @inline(never)
    static func tooLarge(_ shape: [Int], _ name: String) -> TensorError {
        let total = shape.reduce((1, false)) { acc, d in
            let (q, o) = acc.0.multipliedReportingOverflow(by: d); return (q, acc.1 || o)
        }
        return TensorError(name, "shape \(shapeString(shape)) is too large.", kind: .tooLarge(count: total.1 ? Int.max : total.0, limit: maxCount))
    }

    /// The element count of a shape, or an error for a negative dimension or a
    /// tensor too large to allocate (so that no input crashes the process). As in
    /// NumPy, the dimensions other than 0 must multiply to a size a tensor may have
    /// even when one is 0: a zero-size tensor of shape [2^62, 4, 0] would otherwise
    /// give sum(axis=2), concat or tile a shape whose size overflows.
    @discardableResult
    public static func checkShape(_ shape: [Int], _ name: String) throws -> Int {
        for d in shape where d < 0 {
            throw TensorError(name, "negative dimension in shape \(shapeString(shape)).")
        }
        var n = 1
        for d in shape where d != 0 {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o || p > maxCount { throw tooLarge(shape, name) }
            n = p
        }
        return shape.contains(0) ? 0 : n
    }

    public static func full(_ shape: [Int], _ value: Double) throws -> Tensor {
        let n = try checkShape(shape, "full")
        return Tensor(storage: try TensorStorage(repeating: value, count: n), shape: shape)
    }

    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, 0) }
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

    /// n x m identity-like matrix (ones on the diagonal); m defaults to n.
    public static func eye(_ n: Int, _ m: Int? = nil) throws -> Tensor {
        let m = m ?? n
        try checkShape([n, m], "eye")
        var t = try zeros([n, m])
        let p = t.storage.pointer
        for i in 0..<Swift.min(n, m) { p[i &* m &+ i] = 1 }
        t.setShape([n, m])
        return t
    }

    /// Values start, start+step, ... below stop (above it for negative step).
    public static func arange(_ start: Double, _ stop: Double, _ step: Double = 1) throws -> Tensor {
        guard step != 0 else { throw TensorError("arange", "step must not be zero.") }
        guard start.isFinite, stop.isFinite, step.isFinite else { throw TensorError("arange", "arguments must be finite.") }
        let nd = ((stop - start) / step).rounded(.up)
        guard nd <= Double(maxCount) else { throw TensorError("arange", "too many elements.") }
        let n = nd > 0 ? Int(nd) : 0
        let t = try Tensor(uninitializedShape: [n], "arange")
        let p = t.storage.pointer
        for i in 0..<n { p[i] = start + Double(i) * step }
        return t
    }

    /// n evenly spaced values from start to stop inclusive.
    public static func linspace(_ start: Double, _ stop: Double, _ n: Int) throws -> Tensor {
        guard n >= 0 else { throw TensorError("linspace", "number of samples must be non-negative, got \(n).") }
        let t = try Tensor(uninitializedShape: [n], "linspace")
        let p = t.storage.pointer
        if n == 1 { p[0] = start }
        if n > 1 {
            let step = (stop - start) / Double(n - 1)
            for i in 0..<n { p[i] = start + Double(i) * step }
            p[n - 1] = stop
        }
        return t
    }

    /// Uniform in [0, 1) from `g`, filled in row-major order.
    public static func rand(_ shape: [Int], using g: inout Xoshiro256) throws -> Tensor {
        try filled(shape, "rand", using: &g) { $0.uniform() }
    }

    /// A tensor of `shape` whose elements are drawn one by one, in row-major order
    /// (so a seed gives the same tensor on every machine).
    static func filled(_ shape: [Int], _ name: String, using g: inout Xoshiro256,
                       _ draw: (inout Xoshiro256) -> Double) throws -> Tensor {
        let t = try Tensor(uninitializedShape: shape, name)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = draw(&g) }
        return t
    }

    /// Standard normal from `g`, filled in row-major order.
    public static func randn(_ shape: [Int], using g: inout Xoshiro256) throws -> Tensor {
        try filled(shape, "randn", using: &g) { $0.normal() }
    }

    /// Integers uniform in [low, high) from `g`, filled in row-major order.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], using g: inout Xoshiro256) throws -> Tensor {
        guard high > low else { throw TensorError("randint", "low (\(low)) must be below high (\(high)).") }
        let span = UInt64(bitPattern: Int64(high &- low))
        return try filled(shape, "randint", using: &g) { Double(low &+ Int(truncatingIfNeeded: $0.below(span))) }
    }
}

// Tensor is not Sendable: its storage is a class, and a copy made on another thread
// would count references there. Kernels hand worker threads raw pointers instead.
