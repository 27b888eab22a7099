// Bounded inflation (npz members, gzipped IDX and data files): the output never
// passes a limit, so a hostile file cannot ask for more memory than its size
// allows. Deflate expands at most 1032-fold (zlib's FAQ), so a limit of that
// ratio times the compressed size never rejects a valid stream; a declared size
// (a zip member's, an IDX header's) is checked against it before inflating and
// then bounds the output itself. A checked declared size is reserved up front
// (address space: pages a lying size never fills are never touched), so resident
// memory follows the bytes actually produced.
import CMLPZlib

extension ArrayFiles {
    /// The most bytes `compressed` bytes of deflate data can inflate to.
    public static func maxInflated(_ compressed: Int) -> Int { compressed &* 1032 &+ 1024 }

    /// Decompresses a gzip file (all members, as gunzip does), refusing more than `limit` bytes.
    public static func gunzip(_ b: [UInt8], limit: Int? = nil, poll: (() throws -> Void)? = nil) throws -> [UInt8] {
        let max = limit ?? maxInflated(b.count)
        let (out, complete) = try inflate(b, windowBits: 16 + 15, limit: max, reserve: b.count &* 4, what: "gzip data", poll: poll)
        guard complete else { throw TensorError(nil, "gzip data inflates to more than \(max) bytes.") }
        return out
    }

    /// Decompresses raw deflate data (zip method 8) of the declared size: more output is an error.
    public static func inflateRaw(_ b: [UInt8], expectedSize: Int, poll: (() throws -> Void)? = nil) throws -> [UInt8] {
        guard expectedSize <= maxInflated(b.count) else {
            throw TensorError(nil, "declares \(expectedSize) bytes uncompressed from \(b.count) compressed, more than deflate can produce.")
        }
        let (out, complete) = try inflate(b, windowBits: -15, limit: expectedSize, reserve: expectedSize, what: "deflated data", poll: poll)
        guard complete else { throw TensorError(nil, "inflates to more than its declared \(expectedSize) bytes.") }
        return out
    }

    /// Inflates at most `limit` bytes (reserving up to `reserve` for them): (the output, whether
    /// the stream ended within the limit). Stopping early is how a caller reads just a header.
    /// `poll` is called before each 256 KB of output (Ctrl-C: what it throws stops it).
    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int, reserve: Int, what: String,
                        poll: (() throws -> Void)? = nil) throws -> (bytes: [UInt8], complete: Bool) {
        guard !input.isEmpty else { throw TensorError(nil, "truncated \(what) (no bytes).") }
        guard input.count < Int(UInt32.max) else { throw TensorError(nil, "\(what) over 4 GB is not supported.") }
        var strm = z_stream()
        guard inflateInit2_(&strm, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TensorError(nil, "zlib could not start inflating.")
        }
        defer { inflateEnd(&strm) }
        var out: [UInt8] = []
        out.reserveCapacity(Swift.max(0, Swift.min(limit, reserve)))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        return try input.withUnsafeBufferPointer { inp in
            strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress!)
            strm.avail_in = UInt32(inp.count)
            while true {
                try poll?()
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    strm.next_out = c.baseAddress
                    strm.avail_out = UInt32(c.count)
                    return CMLPZlib.inflate(&strm, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(strm.avail_out)
                if produced > limit - out.count {
                    out.append(contentsOf: chunk[0..<(limit - out.count)])
                    return (out, false)
                }
                if produced > 0 { out.append(contentsOf: chunk[0..<produced]) }
                if rc == Z_STREAM_END {
                    // gzip: another member may follow (as gunzip reads them); raw deflate: done
                    if windowBits > 0 && strm.avail_in > 0 { inflateReset(&strm); continue }
                    return (out, true)
                }
                if rc == Z_OK { continue }
                if rc == Z_BUF_ERROR { throw TensorError(nil, "truncated \(what) (the compressed stream ends early).") }
                let msg = strm.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw TensorError(nil, "corrupt \(what) (zlib: \(msg)).")
            }
        }
    }
}
