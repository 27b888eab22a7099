#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// Binary element-wise operations (with NumPy broadcasting).
    public enum BinaryOp: String, Sendable, CaseIterable {
        case add, sub, mul, div, pow, mod, minimum, maximum, atan2
        case eq, ne, lt, le, gt, ge
    }

    /// Unary element-wise operations.
    public enum UnaryOp: String, Sendable, CaseIterable {
        case exp, log, sqrt, sin, cos, tan, tanh, sigmoid, abs, floor, ceil, round, negate
        case relu, sign, square, log1p, expm1, asin, acos, atan, sinh, cosh, reciprocal
        case log2, log10, erf
    }
}

extension Tensor {
    /// Python's floored modulo: the result has the sign of the divisor.
    @inline(__always)
    public static func flooredMod(_ a: Double, _ b: Double) -> Double {
        var r = fmod(a, b)
        if r != 0 && ((r < 0) != (b < 0)) { r += b }
        return r
    }
}

@inline(__always)
func stableSigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + mlpExp(-x)) }
    let e = mlpExp(x)
    return e / (1 + e)
}

/// The broadcast shape of two shapes (NumPy rules), or an error.
@inline(__always)
func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
    a == b ? a : try broadcastDifferentShapes(a, b)
}

func broadcastDifferentShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
    let n = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
            throw TensorError(nil, "shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast.", kind: .shapes([a, b]))
        }
    }
    try Tensor.checkShape(out, "broadcast")
    return out
}

/// Strides (in elements) of `shape` seen as broadcast to `target` (0 on broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let st = Tensor.strides(for: shape)
    let off = target.count - shape.count
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 { out[i + off] = st[i] }
    return out
}

extension Tensor {
    /// The broadcast shape of two shapes (NumPy rules), or an error.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        try broadcastShapes(a, b)
    }

    /// This tensor broadcast to `target` (a copy), or an error.
    public func broadcast(to target: [Int]) throws -> Tensor {
        let s = try broadcastShapes(shape, target)
        guard s == target else {
            throw TensorError(nil, "shapes \(shapeString(shape)) and \(shapeString(target)) cannot be broadcast.")
        }
        if shape == target { return self }
        let out = try Tensor(uninitializedShape: target, "broadcast")
        Tensor.zipKernel(self, Tensor(scalar: 0), into: out) { a, _ in a }
        return out
    }

    /// General broadcasting kernel: `out[i] = f(a[ia], b[ib])` over out's shape.
    /// The operands are borrowed (no reference counting on this hot path).
    @inline(__always)
    static func zipKernel(_ a: borrowing Tensor, _ b: borrowing Tensor, into out: borrowing Tensor,
                          _ f: (Double, Double) -> Double) {
        // `out` may be `a` or `b` itself when that operand has the target shape:
        // every element is then read before it is written at the same position.
        let total = out.count
        if total == 0 { return }
        let p = a.storage.pointer, q = b.storage.pointer, r = out.storage.pointer
        if a.shape == out.shape && b.shape == out.shape {
            var i = 0
            while i < total { r[i] = f(p[i], q[i]); i &+= 1 }
            return
        }
        if b.count == 1 && a.shape == out.shape {
            let y = q[0]
            var i = 0
            while i < total { r[i] = f(p[i], y); i &+= 1 }
            return
        }
        if a.count == 1 && b.shape == out.shape {
            let x = p[0]
            var i = 0
            while i < total { r[i] = f(x, q[i]); i &+= 1 }
            return
        }
        let target = out.shape
        let k = target.count
        let sa = broadcastStrides(a.shape, to: target), sb = broadcastStrides(b.shape, to: target)
        let n = target[k - 1], ia = sa[k - 1], ib = sb[k - 1]
        var idx = [Int](repeating: 0, count: k)
        var oa = 0, ob = 0, o = 0
        while o < total {
            if ia == 1 && ib == 1 {
                var j = 0
                while j < n { r[o &+ j] = f(p[oa &+ j], q[ob &+ j]); j &+= 1 }
            } else if ia == 1 && ib == 0 {
                let y = q[ob]
                var j = 0
                while j < n { r[o &+ j] = f(p[oa &+ j], y); j &+= 1 }
            } else if ia == 0 && ib == 1 {
                let x = p[oa]
                var j = 0
                while j < n { r[o &+ j] = f(x, q[ob &+ j]); j &+= 1 }
            } else {
                var j = 0
                while j < n { r[o &+ j] = f(p[oa &+ j &* ia], q[ob &+ j &* ib]); j &+= 1 }
            }
            o &+= n
            // advance the odometer over the outer axes
            var d = k - 2
            while d >= 0 {
                idx[d] &+= 1
                oa &+= sa[d]; ob &+= sb[d]
                if idx[d] < target[d] { break }
                oa &-= sa[d] &* target[d]; ob &-= sb[d] &* target[d]
                idx[d] = 0
                d -= 1
            }
        }
    }

    /// `a op b` with broadcasting. An operand passed as a temporary (so uniquely
    /// referenced) with the result's shape is reused as the result's storage,
    /// as NumPy elides temporaries: `a * b + c` allocates once.
    public static func binary(_ op: BinaryOp, _ a: consuming Tensor, _ b: consuming Tensor) throws -> Tensor {
        let intoA = isKnownUniquelyReferenced(&a.storage), intoB = isKnownUniquelyReferenced(&b.storage)
        switch try combine(op, a, b, intoA: intoA, intoB: intoB) {
        case .inA: return a
        case .inB: return b
        case .new(let r): return r
        }
    }

    /// `a op b` with broadcasting, in a new tensor. The operands are borrowed: no
    /// reference counting for tensors that something else keeps (the language's).
    public static func binaryIntoNew(_ op: BinaryOp, _ a: borrowing Tensor, _ b: borrowing Tensor) throws -> Tensor {
        guard case .new(let r) = try combine(op, a, b, intoA: false, intoB: false) else { preconditionFailure() }
        return r
    }

    /// `a op x` (`x op a` when reversed) for a number x, in a new tensor of a's shape:
    /// for + - * / no tensor is made for x and no broadcast shape is worked out (a
    /// loop's `x * 0.5` cost half again as much as `x * y`). The same bits as `binary`
    /// with `Tensor(scalar: x)`.
    public static func binaryScalar(_ op: BinaryOp, _ a: borrowing Tensor, _ x: Double, reversed: Bool) throws -> Tensor {
        let out = try Tensor(uninitializedShape: a.shape, op.rawValue)
        if scalarArith(op, a, x, reversed: reversed, into: out) { return out }
        // the other ops with x as a 0-d tensor, still without working out a broadcast shape
        let s = Tensor(scalar: x)
        if reversed { binaryKernel(op, s, a, into: out) } else { binaryKernel(op, a, s, into: out) }
        return out
    }

    /// `self = self op x` (`x op self` when reversed), in place when the storage is not shared.
    public mutating func applyScalar(_ op: BinaryOp, _ x: Double, reversed: Bool) throws {
        if isKnownUniquelyReferenced(&storage), Tensor.scalarArith(op, self, x, reversed: reversed, into: self) { return }
        try apply(op, Tensor(scalar: x), reversed: reversed)
    }

    /// + - * / of every element with x, written into o (which may be a); false for other ops.
    @inline(__always)
    static func scalarArith(_ op: BinaryOp, _ a: borrowing Tensor, _ x: Double, reversed: Bool,
                            into o: borrowing Tensor) -> Bool {
        let p = UnsafePointer(a.storage.pointer), r = o.storage.pointer, n = a.count
        return withUnsafePointer(to: x) { xp in
            func run<O: ArithOp>(_: O.Type) {
                if reversed { arithKernel(O.self, xp, false, p, true, r, n) } else { arithKernel(O.self, p, true, xp, false, r, n) }
            }
            switch op {
            case .add: run(AddOp.self)
            case .sub: run(SubOp.self)
            case .mul: run(MulOp.self)
            case .div: run(DivOp.self)
            default: return false
            }
            return true
        }
    }

    /// Where `combine` wrote its result.
    enum Written { case inA, inB, new(Tensor) }

    /// `a op b` written into `a`'s storage when `intoA` (the caller knows that nothing
    /// else refers to it, so not `b` either) and `a` has the result's shape, likewise
    /// into `b`'s, else into a new tensor.
    static func combine(_ op: BinaryOp, _ a: borrowing Tensor, _ b: borrowing Tensor,
                        intoA: Bool, intoB: Bool) throws -> Written {
        // nil when the shapes are equal (the common case): no broadcast shape to make
        let t = a.shape == b.shape ? nil : try broadcastDifferentShapes(a.shape, b.shape)
        if intoA && (t == nil || a.shape == t!) {
            binaryKernel(op, a, b, into: a)
            return .inA
        }
        if intoB && (t == nil || b.shape == t!) {
            binaryKernel(op, a, b, into: b)
            return .inB
        }
        let out = try Tensor(uninitializedShape: t ?? a.shape, op.rawValue)
        binaryKernel(op, a, b, into: out)
        return .new(out)
    }

    static func binaryKernel(_ op: BinaryOp, _ a: borrowing Tensor, _ b: borrowing Tensor, into o: borrowing Tensor) {
        switch op {
        case .add: zipArith(a, b, into: o, AddOp.self)
        case .sub: zipArith(a, b, into: o, SubOp.self)
        case .mul: zipArith(a, b, into: o, MulOp.self)
        case .div: zipArith(a, b, into: o, DivOp.self)
        case .pow:
            if b.count == 1 && b.storage.pointer[0] == 2 { zipKernel(a, b, into: o) { x, _ in x * x } }
            else { zipKernel(a, b, into: o) { Glibc.pow($0, $1) } }
        case .mod: zipKernel(a, b, into: o) { flooredMod($0, $1) }
        case .minimum: zipKernel(a, b, into: o) { ($0 < $1 || $0.isNaN) ? $0 : $1 }
        case .maximum: zipKernel(a, b, into: o) { ($0 > $1 || $0.isNaN) ? $0 : $1 }
        case .atan2: zipKernel(a, b, into: o) { Glibc.atan2($0, $1) }
        case .eq: zipKernel(a, b, into: o) { $0 == $1 ? 1 : 0 }
        case .ne: zipKernel(a, b, into: o) { $0 != $1 ? 1 : 0 }
        case .lt: zipKernel(a, b, into: o) { $0 < $1 ? 1 : 0 }
        case .le: zipKernel(a, b, into: o) { $0 <= $1 ? 1 : 0 }
        case .gt: zipKernel(a, b, into: o) { $0 > $1 ? 1 : 0 }
        case .ge: zipKernel(a, b, into: o) { $0 >= $1 ? 1 : 0 }
        }
    }

    /// `zipKernel` for +, -, *, /: the contiguous cases (same shapes, or one
    /// operand a single number) in `arithKernel`, vectorized even when the result
    /// reuses an operand, and split over threads when large. The operation is a
    /// type, not a closure, so that each thread's loop is specialized.
    @inline(__always)
    static func zipArith<O: ArithOp>(_ a: borrowing Tensor, _ b: borrowing Tensor, into out: borrowing Tensor, _: O.Type) {
        let whole = (a.shape == out.shape, b.shape == out.shape)
        if !((whole.0 && (whole.1 || b.count == 1)) || (a.count == 1 && whole.1)) {
            zipKernel(a, b, into: out) { O.apply($0, $1) }
            return
        }
        arithKernel(O.self, a.storage.pointer, whole.0, b.storage.pointer, whole.1, out.storage.pointer, out.count)
    }

    public static func binary(_ op: BinaryOp, _ a: consuming Tensor, _ b: Double) throws -> Tensor {
        try binary(op, a, Tensor(scalar: b))
    }

    public static func binary(_ op: BinaryOp, _ a: Double, _ b: consuming Tensor) throws -> Tensor {
        try binary(op, Tensor(scalar: a), b)
    }

    /// `self = self op other` (`other op self` when `reversed`), in place when the
    /// result has this tensor's shape and its storage is not shared; otherwise a new tensor.
    public mutating func apply(_ op: BinaryOp, _ other: Tensor, reversed: Bool = false) throws {
        let mine = other.storage !== storage && isKnownUniquelyReferenced(&storage)
        let written = reversed ? try Tensor.combine(op, other, self, intoA: false, intoB: mine)
                               : try Tensor.combine(op, self, other, intoA: mine, intoB: false)
        if case .new(let r) = written { self = r }
    }

    // MARK: unary

    @inline(__always)
    func mapKernel(_ f: (Double) -> Double) throws -> Tensor {
        let out = try Tensor(uninitializedShape: shape, "map")
        let p = storage.pointer, r = out.storage.pointer, n = count
        var i = 0
        while i < n { r[i] = f(p[i]); i &+= 1 }
        return out
    }

    /// Applies `f` to every element.
    public func map(_ f: (Double) -> Double) throws -> Tensor { try mapKernel(f) }

    public func map(_ op: UnaryOp) throws -> Tensor { try Tensor.unary(op, self) }

    /// `op` applied to every element; a temporary (uniquely referenced) operand
    /// is overwritten instead of allocating.
    public static func unary(_ op: UnaryOp, _ a: consuming Tensor) throws -> Tensor {
        if isKnownUniquelyReferenced(&a.storage) { return try a.mapOp(op, into: a) }
        return try a.mapOp(op, into: nil)
    }

    func mapOp(_ op: UnaryOp, into target: Tensor?) throws -> Tensor {
        let out = try target ?? Tensor(uninitializedShape: shape, op.rawValue)
        @inline(__always) func mapKernel(_ f: (Double) -> Double) -> Tensor {
            let p = storage.pointer, r = out.storage.pointer, n = count
            var i = 0
            while i < n { r[i] = f(p[i]); i &+= 1 }
            return out
        }
        switch op {
        case .exp:
            expKernel(storage.pointer, out.storage.pointer, count)
            return out
        case .log: return mapKernel { Glibc.log($0) }
        case .sqrt: return mapKernel { $0.squareRoot() }
        case .sin: return mapKernel { Glibc.sin($0) }
        case .cos: return mapKernel { Glibc.cos($0) }
        case .tan: return mapKernel { Glibc.tan($0) }
        case .tanh: return mapKernel { Glibc.tanh($0) }
        case .sigmoid: return mapKernel { stableSigmoid($0) }
        case .abs: return mapKernel { Swift.abs($0) }
        case .floor: return mapKernel { $0.rounded(.down) }
        case .ceil: return mapKernel { $0.rounded(.up) }
        case .round: return mapKernel { $0.rounded(.toNearestOrEven) }
        case .negate: return mapKernel { -$0 }
        case .relu: return mapKernel { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .sign: return mapKernel { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .square: return mapKernel { $0 * $0 }
        case .log1p: return mapKernel { Glibc.log1p($0) }
        case .expm1: return mapKernel { Glibc.expm1($0) }
        case .asin: return mapKernel { Glibc.asin($0) }
        case .acos: return mapKernel { Glibc.acos($0) }
        case .atan: return mapKernel { Glibc.atan($0) }
        case .sinh: return mapKernel { Glibc.sinh($0) }
        case .cosh: return mapKernel { Glibc.cosh($0) }
        case .reciprocal: return mapKernel { 1 / $0 }
        case .log2: return mapKernel { Glibc.log2($0) }
        case .log10: return mapKernel { Glibc.log10($0) }
        case .erf: return mapKernel { Glibc.erf($0) }
        }
    }

    public func exp() throws -> Tensor { try map(.exp) }
    public func log() throws -> Tensor { try map(.log) }
    public func sqrt() throws -> Tensor { try map(.sqrt) }
    public func tanh() throws -> Tensor { try map(.tanh) }
    public func sigmoid() throws -> Tensor { try map(.sigmoid) }
    public func abs() throws -> Tensor { try map(.abs) }

    /// Values limited to [lo, hi] (either bound may be nil).
    public func clip(_ lo: Double?, _ hi: Double?) throws -> Tensor {
        let l = lo ?? -.infinity, h = hi ?? .infinity
        return try mapKernel { $0 < l ? l : ($0 > h ? h : $0) }
    }

    /// `cond ? a : b` element-wise with broadcasting of all three.
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let t = try broadcastShapes(try broadcastShapes(cond.shape, a.shape), b.shape)
        let c = try cond.broadcast(to: t), aa = try a.broadcast(to: t), bb = try b.broadcast(to: t)
        let out = try Tensor(uninitializedShape: t, "where")
        let cp = c.storage.pointer, p = aa.storage.pointer, q = bb.storage.pointer, r = out.storage.pointer
        var i = 0
        while i < out.count { r[i] = cp[i] != 0 ? p[i] : q[i]; i &+= 1 }
        return out
    }
}

// MARK: - Operators (throwing on shape mismatch or when memory runs out)

extension Tensor {
    public static func + (a: consuming Tensor, b: consuming Tensor) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: consuming Tensor, b: consuming Tensor) throws -> Tensor { try binary(.sub, a, b) }
    public static func * (a: consuming Tensor, b: consuming Tensor) throws -> Tensor { try binary(.mul, a, b) }
    public static func / (a: consuming Tensor, b: consuming Tensor) throws -> Tensor { try binary(.div, a, b) }
    public static func + (a: consuming Tensor, b: Double) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: consuming Tensor, b: Double) throws -> Tensor { try binary(.sub, a, b) }
    public static func * (a: consuming Tensor, b: Double) throws -> Tensor { try binary(.mul, a, b) }
    public static func / (a: consuming Tensor, b: Double) throws -> Tensor { try binary(.div, a, b) }
    public static func + (a: Double, b: consuming Tensor) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: Double, b: consuming Tensor) throws -> Tensor { try binary(.sub, a, b) }
    public static func * (a: Double, b: consuming Tensor) throws -> Tensor { try binary(.mul, a, b) }
    public static func / (a: Double, b: consuming Tensor) throws -> Tensor { try binary(.div, a, b) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.map(.negate) }
}

// MARK: - Threaded arithmetic kernels

protocol ArithOp {
    static func apply(_ x: Double, _ y: Double) -> Double
    /// The same operation on four lanes (IEEE, so the same bits as `apply` on each).
    static func apply(_ x: SIMD4<Double>, _ y: SIMD4<Double>) -> SIMD4<Double>
}
enum AddOp: ArithOp {
    @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x + y }
    @inline(__always) static func apply(_ x: SIMD4<Double>, _ y: SIMD4<Double>) -> SIMD4<Double> { x + y }
}
enum SubOp: ArithOp {
    @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x - y }
    @inline(__always) static func apply(_ x: SIMD4<Double>, _ y: SIMD4<Double>) -> SIMD4<Double> { x - y }
}
enum MulOp: ArithOp {
    @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x * y }
    @inline(__always) static func apply(_ x: SIMD4<Double>, _ y: SIMD4<Double>) -> SIMD4<Double> { x * y }
}
enum DivOp: ArithOp {
    @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x / y }
    @inline(__always) static func apply(_ x: SIMD4<Double>, _ y: SIMD4<Double>) -> SIMD4<Double> { x / y }
}

/// r[i] = O(p[i] or p[0], q[i] or q[0]) for i in lo..<hi, four lanes at a time.
/// Each block is read before it is written, so `r` may be `p` or `q` (a reused
/// temporary): the compiler's own vectorization refuses such overlapping pointers.
@inline(__always)
func arithRange<O: ArithOp>(_: O.Type, _ p: UnsafePointer<Double>, _ pWhole: Bool,
                            _ q: UnsafePointer<Double>, _ qWhole: Bool,
                            _ r: UnsafeMutablePointer<Double>, _ lo: Int, _ hi: Int) {
    @inline(__always) func load(_ x: UnsafePointer<Double>, _ i: Int) -> SIMD4<Double> {
        UnsafeRawPointer(x + i).loadUnaligned(as: SIMD4<Double>.self)
    }
    // one loop per case, so that no lane choice is left inside it
    @inline(__always) func blocks(_ x: (Int) -> SIMD4<Double>, _ y: (Int) -> SIMD4<Double>) -> Int {
        @inline(__always) func block(_ i: Int) {
            UnsafeMutableRawPointer(r + i).storeBytes(of: O.apply(x(i), y(i)), as: SIMD4<Double>.self)
        }
        var i = lo
        while i &+ 8 <= hi { block(i); block(i &+ 4); i &+= 8 }   // two per turn: half the loop overhead
        if i &+ 4 <= hi { block(i); i &+= 4 }
        return i
    }
    var i: Int
    if pWhole && qWhole {
        i = blocks({ load(p, $0) }, { load(q, $0) })
    } else if pWhole {
        let y = SIMD4(repeating: q[0])
        i = blocks({ load(p, $0) }, { _ in y })
    } else {
        let x = SIMD4(repeating: p[0])
        i = blocks({ _ in x }, { load(q, $0) })
    }
    while i < hi { r[i] = O.apply(p[pWhole ? i : 0], q[qWhole ? i : 0]); i &+= 1 }
}

/// r[i] = O(p[i] or p[0], q[i] or q[0]) for i in 0..<n, over `kernelThreads`
/// threads when large (`parallelFor`; workers see these raw pointers only).
/// `r` may be `p` or `q` (each element is read before it is written).
func arithKernel<O: ArithOp>(_: O.Type, _ p: UnsafePointer<Double>, _ pWhole: Bool,
                             _ q: UnsafePointer<Double>, _ qWhole: Bool,
                             _ r: UnsafeMutablePointer<Double>, _ n: Int) {
    parallelFor(n, grain: elementGrain(n)) { lo, hi in arithRange(O.self, p, pWhole, q, qWhole, r, lo, hi) }
}
