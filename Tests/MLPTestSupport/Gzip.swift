// Gzip files made in tests (hostile-file tests build bombs and truncated members).
import MLPTensor

/// A gzip file of `data`: the header, raw deflate, CRC-32 and size.
public func gzip(_ data: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + (try ArrayFiles.deflateRaw(data))
    for v in [Int(ArrayFiles.crc32(data)), data.count] { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    return out
}
