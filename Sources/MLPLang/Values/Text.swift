// Building strings from UTF-8 bytes: the pieces that string interpolation,
// `join` and `split` share. Text is assembled as bytes and turned into a
// `String` once (no intermediate Swift strings, one allocation at most), and
// whether it is ASCII is found on the way, so `len` and indexing need no scan.

/// True when no byte has its top bit set; eight bytes at a time.
@inline(__always) public func allASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = b.baseAddress else { return true }
    let raw = UnsafeRawPointer(base), n = b.count
    var i = 0, acc: UInt64 = 0
    while i + 8 <= n { acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self); i += 8 }
    while i < n { acc |= UInt64(base[i]); i += 1 }
    return acc & 0x8080_8080_8080_8080 == 0
}

/// `d` as an integer when `formatNumber` prints it without a decimal point:
/// integral and below 1e15 in magnitude (false for nan and inf).
@inline(__always) func printedAsInteger(_ d: Double) -> Int? {
    guard abs(d) < 1e15 else { return nil }
    let n = Int(d)   // exact: 1e15 < 2^53
    return Double(n) == d ? n : nil
}

/// Bytes of the decimal text of `n`, sign included.
@inline(__always) func decimalLength(_ n: Int) -> Int {
    var m = n.magnitude, len = n < 0 ? 2 : 1
    while m >= 10 { m /= 10; len += 1 }
    return len
}

/// Writes the decimal text of `n` (exactly `length` bytes, from `decimalLength`) at `p`.
@inline(__always) func writeDecimal(_ n: Int, length: Int, to p: UnsafeMutablePointer<UInt8>) {
    var m = n.magnitude, q = p + length
    repeat {
        q -= 1
        q.pointee = 48 &+ UInt8(truncatingIfNeeded: m % 10)
        m /= 10
    } while m > 0
    if n < 0 { p.pointee = UInt8(ascii: "-") }
}

extension StrObj {
    /// A string from valid UTF-8 bytes; the ASCII flag is computed while the bytes are at hand.
    public convenience init(utf8 b: UnsafeBufferPointer<UInt8>) {
        self.init(String(decoding: b, as: UTF8.self), isASCII: allASCII(b))
    }

    /// The UTF-8 bytes, contiguous (small strings are copied to the stack). Inlinable so
    /// that callers in other modules get it specialized (a generic call costs ~100 instructions).
    @inlinable public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var t = s
        return try t.withUTF8(body)
    }
}

/// A growable byte buffer that string interpolation appends to. One per
/// interpreter, used as a stack: a nested interpolation (`"{f(x)}"` where `f`
/// interpolates too) appends after the outer one's bytes and truncates back to
/// where it started, so the buffer is allocated once and reused.
struct ByteBuffer {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    var count = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity)
    }

    func free() { bytes.deallocate() }

    @inline(__always) mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: bytes, count: count)
        bytes.deallocate()
        bytes = bigger
        capacity = c
    }

    @inline(__always) mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        guard let src = b.baseAddress else { return }
        reserve(b.count)
        (bytes + count).update(from: src, count: b.count)
        count += b.count
    }

    mutating func append(_ s: String) {
        var t = s
        t.withUTF8 { append($0) }
    }

    /// A number as `formatNumber` writes it; integers without going through a `String`.
    mutating func append(number d: Double) {
        guard let n = printedAsInteger(d) else { return append(formatNumber(d)) }
        let len = decimalLength(n)
        reserve(len)
        writeDecimal(n, length: len, to: bytes + count)
        count += len
    }

    /// The bytes from `start` on as a string.
    func string(from start: Int) -> StrObj {
        StrObj(utf8: UnsafeBufferPointer(start: bytes + start, count: count - start))
    }
}
