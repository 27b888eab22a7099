// Reference counting frees every value at once except those in a cycle: a function
// that defines a recursive local helper (the helper's cell holds its closure, which
// holds the cell), a list that contains itself. The collector finds such cycles as
// CPython's does: every list, dict, cell and closure is registered; a collection
// subtracts from each object's reference count the references that come from other
// registered objects; an object left with a positive count is referenced from
// outside (a variable, the value stack, a native object) and is live with all it
// reaches; the rest is garbage, whose cycles are cut by emptying its lists, dicts
// and cells (every cycle passes through one: a closure refers only to cells).
//
// It runs on the interpreter's thread, when a new registered object would push their
// number past a threshold that doubles with the survivors (linear time overall).

@_silgen_name("swift_retainCount") private func swiftRetainCount(_ object: UnsafeMutableRawPointer) -> Int

/// An object that holds values and so can be part of a cycle.
public class Traced {
    /// Position in `CycleCollector.objects`.
    fileprivate var gcIndex: Int

    init() {
        CycleCollector.collectIfDue()
        gcIndex = CycleCollector.count
        CycleCollector.add(Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { CycleCollector.remove(gcIndex) }

    /// Calls `visit` once for every strong reference this object holds to a traced
    /// object. References in an array are visited once per array buffer: two lists
    /// may share one buffer (copy-on-write), which holds one reference per element.
    /// Without `buffers` (marking what is live) a reference may be visited twice.
    func traverse(_ buffers: UnsafeMutablePointer<BufferSet>?, _ visit: (Traced) -> Void) {}

    /// Drops the references this object holds (it is garbage).
    func clear() {}
}

/// Visits the objects of an array's elements that `element` gives, once per array
/// buffer. The array is read through its address: a copy would retain the buffer.
@inline(__always)
func traverseArray<T>(_ array: UnsafeMutablePointer<[T]>, _ buffers: UnsafeMutablePointer<BufferSet>?,
                      _ element: (T) -> Traced?, _ visit: (Traced) -> Void) {
    // An Array is one reference to its buffer. A buffer that only one array holds
    // needs no look-up (most do: the table costs a cache miss per array).
    let buffer = UnsafeRawPointer(array).load(as: UnsafeMutableRawPointer.self)
    if let buffers, swiftRetainCount(buffer) > 1, !buffers.pointee.insert(UnsafeRawPointer(buffer)) { return }
    array.pointee.withUnsafeBufferPointer { b in
        for v in b { if let t = element(v) { visit(t) } }
    }
}

/// The array buffers seen in one pass: open addressing over a table sized once for
/// all registered objects (Swift's Set hashed each pointer with SipHash, a quarter of
/// the time of a script that builds a million lists).
struct BufferSet {
    private var slots: [UnsafeRawPointer?]
    private let mask: Int

    init(atLeast n: Int) {
        var size = 16
        while size < 2 * n { size <<= 1 }
        slots = [UnsafeRawPointer?](repeating: nil, count: size)
        mask = size - 1
    }

    /// Adds p; false when it was there already.
    mutating func insert(_ p: UnsafeRawPointer) -> Bool {
        var i = Int(truncatingIfNeeded: (UInt(bitPattern: p) >> 4) &* 0x9E37_79B9_7F4A_7C15 >> 20) & mask
        while let q = slots[i] {
            if q == p { return false }
            i = (i &+ 1) & mask
        }
        slots[i] = p
        return true
    }
}

@inline(__always) func traced(_ v: Value) -> Traced? {
    switch v {
    case .list(let l): return l
    case .dict(let d): return d
    case .function(let c): return c
    default: return nil
    }
}

public enum CycleCollector {
    nonisolated(unsafe) fileprivate static var objects = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: 1024)
    nonisolated(unsafe) fileprivate static var capacity = 1024
    nonisolated(unsafe) public private(set) static var count = 0
    /// A collection runs when `count` reaches this.
    nonisolated(unsafe) static var threshold = 10_000
    /// The smallest threshold; MLP_GC_STRESS=N sets it to N, so that tests can run
    /// every script with a collection every few allocations.
    nonisolated(unsafe) public static var minimumThreshold = 10_000 {
        didSet { threshold = minimumThreshold }
    }
    nonisolated(unsafe) static var collecting = false
    /// Objects freed by collections so far (for tests and `gc()`).
    nonisolated(unsafe) public private(set) static var freed = 0

    fileprivate static func add(_ p: UnsafeMutableRawPointer) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: objects, count: count)
            objects.deallocate()
            objects = bigger
            capacity *= 2
        }
        (objects + count).initialize(to: p)
        count += 1
    }

    fileprivate static func remove(_ i: Int) {
        count -= 1
        if i != count {
            let moved = objects[count]
            objects[i] = moved
            Unmanaged<Traced>.fromOpaque(moved)._withUnsafeGuaranteedRef { $0.gcIndex = i }
        }
    }

    @inline(__always) static func collectIfDue() {
        if count >= threshold && !collecting { collect() }
    }

    /// Finds the registered objects that only other registered garbage refers to,
    /// and cuts their cycles. Returns how many objects that freed.
    @discardableResult
    public static func collect() -> Int {
        if collecting { return 0 }
        collecting = true
        defer { collecting = false; threshold = max(minimumThreshold, 2 * count) }
        let n = count
        // references from outside the registered objects, before anything is retained
        var outside = [Int](unsafeUninitializedCapacity: n) { b, k in
            for i in 0..<n { b[i] = swiftRetainCount(objects[i]) }
            k = n
        }
        // one table for every array an object holds (each holds at most one)
        var buffers = BufferSet(atLeast: n)
        for i in 0..<n {
            Unmanaged<Traced>.fromOpaque(objects[i])._withUnsafeGuaranteedRef { o in
                o.traverse(&buffers) { outside[$0.gcIndex] -= 1 }
            }
        }
        // what is referenced from outside, and everything it reaches, is live
        var live = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        for i in 0..<n where outside[i] > 0 { live[i] = true; stack.append(i) }
        while let i = stack.popLast() {
            Unmanaged<Traced>.fromOpaque(objects[i])._withUnsafeGuaranteedRef { o in
                o.traverse(nil) { r in
                    if !live[r.gcIndex] { live[r.gcIndex] = true; stack.append(r.gcIndex) }
                }
            }
        }
        // hold the garbage while emptying it, so that none is freed half-way
        var garbage: [Traced] = []
        for i in 0..<n where !live[i] { garbage.append(Unmanaged<Traced>.fromOpaque(objects[i]).takeUnretainedValue()) }
        for o in garbage { o.clear() }
        let before = count
        garbage.removeAll()
        freed += before - count
        return before - count
    }
}
