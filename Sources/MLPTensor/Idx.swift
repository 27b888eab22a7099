// IDX files (the MNIST format), gzipped or not: magic 00 00 <type> <ndim>, then
// ndim big-endian UInt32 sizes, then row-major big-endian data. Types: 08 ubyte,
// 09 sbyte, 0B int16, 0C int32, 0D float32, 0E float64. Also the digits data set.

extension ArrayFiles {
    /// A tensor from an IDX file's bytes (gunzipped first when they start with 1f 8b).
    /// A gzipped file's header is inflated and checked first: the data is then
    /// inflated only up to the size the header declares.
    public static func idxDecode(_ input: [UInt8], poll: (() throws -> Void)? = nil) throws -> Tensor {
        guard isGzip(input) else {
            let (start, n, kind, size, shape) = try idxHeader(input)
            guard input.count - start == n * size else { throw sizeMismatch("IDX file", expected: n * size, actual: input.count - start) }
            return try decode(input, start: start, count: n, kind: kind, size: size, littleEndian: false, shape: shape)
        }
        let head = try inflate(input, windowBits: 16 + 15, limit: 4 + 4 * 255, reserve: 0, what: "gzip data").bytes
        let (start, n, kind, size, shape) = try idxHeader(head)
        let total = start + n * size
        guard total <= maxInflated(input.count) else {
            throw TensorError(nil, "bad IDX header: shape \(shapeString(shape)) needs \(total) bytes, more than \(input.count) gzipped bytes can hold.")
        }
        let (b, complete) = try inflate(input, windowBits: 16 + 15, limit: total, reserve: total, what: "gzip data", poll: poll)
        guard complete else { throw TensorError(nil, "IDX file has bytes after the data (its header declares \(n * size) bytes of data).") }
        guard b.count == total else { throw sizeMismatch("IDX file", expected: n * size, actual: b.count - start) }
        return try decode(b, start: start, count: n, kind: kind, size: size, littleEndian: false, shape: shape)
    }

    /// The header at the start of `b`: (data offset, element count, kind, item size, shape).
    static func idxHeader(_ b: [UInt8]) throws -> (Int, Int, Kind, Int, [Int]) {
        guard b.count >= 4, b[0] == 0, b[1] == 0 else {
            throw TensorError(nil, "not an IDX file (it does not start with the magic bytes 00 00).")
        }
        let kind: Kind, size: Int
        switch b[2] {
        case 0x08: kind = .uint; size = 1
        case 0x09: kind = .int; size = 1
        case 0x0B: kind = .int; size = 2
        case 0x0C: kind = .int; size = 4
        case 0x0D: kind = .float; size = 4
        case 0x0E: kind = .float; size = 8
        default: throw TensorError(nil, "not an IDX file (unknown data type 0x\(String(b[2], radix: 16)) in the magic number).")
        }
        let ndim = Int(b[3])
        guard b.count >= 4 + 4 * ndim else {
            throw TensorError(nil, "truncated IDX file: the header needs \(4 + 4 * ndim) bytes, found \(b.count).")
        }
        let shape = (0..<ndim).map { be(b, 4 + 4 * $0, 4) }
        guard let (n, _) = sizes(shape, size) else {
            throw TensorError(nil, "bad IDX header: shape \(shapeString(shape)) is too large.")
        }
        return (4 + 4 * ndim, n, kind, size, shape)
    }

    /// The 8x8 digits (scikit-learn's digits.csv.gz: 64 pixels 0..16 and the label per line):
    /// images [n, 8, 8] and labels [n].
    public static func digitsDecode(_ gz: [UInt8], poll: (() throws -> Void)? = nil) throws -> (images: Tensor, labels: Tensor) {
        let table = try csvDecode(isGzip(gz) ? try gunzip(gz, poll: poll) : gz, check: poll ?? {})
        guard table.ndim == 2, table.shape[1] == 65 else {
            throw TensorError(nil, "the digits file should have 65 columns, found shape \(shapeString(table.shape)).")
        }
        let n = table.shape[0]
        let images = try Tensor(uninitializedShape: [n, 8, 8], "digits"), labels = try Tensor(uninitializedShape: [n], "digits")
        let src = table.storage.pointer, ip = images.storage.pointer, lp = labels.storage.pointer
        for i in 0..<n {
            for j in 0..<64 { ip[i * 64 + j] = src[i * 65 + j] }
            lp[i] = src[i * 65 + 64]
        }
        return (images, labels)
    }
}
