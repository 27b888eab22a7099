// Array files: the shared pieces of the npy/npz/CSV/IDX readers and writers
// (Npy.swift, Npz.swift, Csv.swift, Idx.swift): little helpers over bytes, and
// zlib (deflate and crc32 for zip; inflating is in Inflate.swift).
// Parsers take bytes and return tensors; the builtins do the file I/O.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMLPZlib

/// Namespace of the array-file formats.
public enum ArrayFiles {
    /// Little-endian unsigned integer of `n` bytes at `at` (caller checked the bounds).
    @inline(__always)
    static func le(_ b: [UInt8], _ at: Int, _ n: Int) -> Int {
        var v: UInt64 = 0
        for k in 0..<n { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        return Int(truncatingIfNeeded: v)
    }

    /// Big-endian unsigned integer of `n` bytes at `at`.
    @inline(__always)
    static func be(_ b: [UInt8], _ at: Int, _ n: Int) -> Int {
        var v: UInt64 = 0
        for k in 0..<n { v = (v << 8) | UInt64(b[at + k]) }
        return Int(truncatingIfNeeded: v)
    }

    static func appendLE(_ out: inout [UInt8], _ v: Int, _ n: Int) {
        for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// True when the bytes start with the gzip magic 1f 8b.
    public static func isGzip(_ b: [UInt8]) -> Bool { b.count >= 2 && b[0] == 0x1f && b[1] == 0x8b }

    /// CRC-32 (as zip and gzip use it).
    public static func crc32(_ b: [UInt8]) -> UInt32 {
        var c: UInt = 0
        var i = 0
        // zlib's crc32 takes a 32-bit length: feed large buffers in pieces
        b.withUnsafeBufferPointer { p in
            while i < p.count {
                let n = Swift.min(p.count - i, 1 << 30)
                c = CMLPZlib.crc32(c, p.baseAddress! + i, UInt32(n))
                i += n
            }
        }
        return UInt32(truncatingIfNeeded: c)
    }

    /// Compresses to raw deflate data (zip method 8).
    public static func deflateRaw(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        guard input.count < Int(UInt32.max) else { throw TensorError(nil, "data over 4 GB cannot be compressed here.") }
        var strm = z_stream()
        guard deflateInit2_(&strm, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TensorError(nil, "zlib could not start deflating.")
        }
        defer { deflateEnd(&strm) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&strm, UInt(input.count))) + 64)
        let n = input.count
        var buf = input.isEmpty ? [0] : input   // a valid pointer even for no bytes
        let rc = buf.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o -> Int32 in
                strm.next_in = inp.baseAddress
                strm.avail_in = UInt32(n)
                strm.next_out = o.baseAddress
                strm.avail_out = UInt32(o.count)
                return CMLPZlib.deflate(&strm, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw TensorError(nil, "zlib could not compress (error \(rc)).") }
        out.removeLast(Int(strm.avail_out))
        return out
    }

    /// The element kinds the readers convert to Double.
    enum Kind { case float, int, uint, bool }

    /// Converts `count` elements of `size` bytes (at `start`) to a new tensor.
    static func decode(_ b: [UInt8], start: Int, count: Int, kind: Kind, size: Int, littleEndian: Bool, shape: [Int]) throws -> Tensor {
        let t = try Tensor(uninitializedShape: shape, "load")
        let out = t.storage.pointer
        b.withUnsafeBufferPointer { buf in
            let raw = UnsafeRawPointer(buf.baseAddress!) + start
            let swap = littleEndian != (1.littleEndian == 1)
            if kind == .uint && size == 1 {
                for i in 0..<count { out[i] = Double(raw.load(fromByteOffset: i, as: UInt8.self)) }
                return
            }
            for i in 0..<count {
                var bits: UInt64 = 0
                let p = raw + i * size
                switch size {
                case 1: bits = UInt64(p.load(as: UInt8.self))
                case 2: var v = p.loadUnaligned(as: UInt16.self); if swap { v = v.byteSwapped }; bits = UInt64(v)
                case 4: var v = p.loadUnaligned(as: UInt32.self); if swap { v = v.byteSwapped }; bits = UInt64(v)
                default: var v = p.loadUnaligned(as: UInt64.self); if swap { v = v.byteSwapped }; bits = v
                }
                let x: Double
                switch kind {
                case .float: x = size == 4 ? Double(Float(bitPattern: UInt32(bits))) : size == 2 ? Double(Float16Bits.toFloat(UInt16(bits))) : Double(bitPattern: bits)
                case .bool: x = bits != 0 ? 1 : 0
                case .uint: x = Double(bits)
                case .int:
                    let shift = UInt64(64 - 8 * size)
                    x = Double(Int64(bitPattern: bits << shift) >> Int64(shift))
                }
                out[i] = x
            }
        }
        return t
    }

    /// Message for data shorter (or longer) than the header promises.
    static func sizeMismatch(_ what: String, expected: Int, actual: Int) -> TensorError {
        if actual < expected {
            return TensorError(nil, "truncated \(what): expected \(expected) bytes of data, found \(actual).")
        }
        return TensorError(nil, "\(what) has \(actual - expected) bytes after the data (expected \(expected) bytes of data, found \(actual)).")
    }

    /// The element count of a header's shape and the size of its data in bytes; nil
    /// for a shape no tensor may have (checkShape's rule, so (0, 2^62, 4) too).
    static func sizes(_ shape: [Int], _ itemSize: Int) -> (count: Int, bytes: Int)? {
        guard let n = try? Tensor.checkShape(shape, "") else { return nil }
        let (bytes, o) = n.multipliedReportingOverflow(by: itemSize)
        return o ? nil : (n, bytes)
    }
}

/// IEEE half precision to Float without relying on Float16 (absent on some x86 builds).
enum Float16Bits {
    static func toFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f), frac = UInt32(h & 0x3ff)
        if exp == 0 {
            let v = Float(frac) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (frac << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (frac << 13))
    }
}
