// NumPy .npy files: write '<f8' C-order version 1.0 exactly as numpy.save does;
// read float (f2/f4/f8), signed and unsigned integers (1-8 bytes) and bool, in
// either byte order and C or Fortran order, into Double; complex64 and complex128
// ('<c8', '<c16') into complex tensors, and complex tensors are written as '<c16'.
// Format: magic \x93NUMPY, major, minor, header length (2 bytes LE in 1.0,
// 4 bytes in 2.0/3.0), an ASCII Python dict literal padded to 64 bytes, data.

extension ArrayFiles {
    static let npyMagic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY

    /// The tensor as a .npy file ('<f8', C order), byte for byte what numpy.save writes.
    public static func npyEncode(_ t: Tensor) -> [UInt8] { npyEncode(t, descr: "<f8", shape: t.shape) }

    /// A complex tensor as a .npy file ('<c16', C order), as numpy.save writes complex128.
    public static func npyEncode(_ c: ComplexTensor) -> [UInt8] { npyEncode(c.data, descr: "<c16", shape: c.shape) }

    /// The doubles of `t` under a header of `descr` and `shape`.
    static func npyEncode(_ t: Tensor, descr: String, shape: [Int]) -> [UInt8] {
        let shapeRepr = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeRepr), }"
        // numpy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21)
        if let first = shape.first { header += String(repeating: " ", count: Swift.max(0, 21 - String(first).count)) }
        var hlen = header.utf8.count + 1
        var version: UInt8 = 1, lenBytes = 2
        if hlen + 64 - (10 + hlen) % 64 > 65535 { version = 2; lenBytes = 4 }   // as numpy: 2.0 only when 1.0 cannot hold it
        let pad = 64 - (6 + 2 + lenBytes + hlen) % 64
        header += String(repeating: " ", count: pad) + "\n"
        hlen = header.utf8.count
        var out = npyMagic
        out.append(version); out.append(0)
        appendLE(&out, hlen, lenBytes)
        out.append(contentsOf: header.utf8)
        let n = t.count
        out.reserveCapacity(out.count + 8 * n)
        let p = t.storage.pointer
        if 1.littleEndian == 1 {
            out.append(contentsOf: UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: 8 * n))
        } else {
            for i in 0..<n { appendLE(&out, Int(truncatingIfNeeded: p[i].bitPattern), 8) }
        }
        return out
    }

    /// A real or a complex array read from a file.
    public enum NpyArray { case real(Tensor), complex(ComplexTensor) }

    /// A real tensor from the bytes of a .npy file (complex files are an error).
    public static func npyDecode(_ b: [UInt8]) throws -> Tensor {
        switch try npyDecodeArray(b) {
        case .real(let t): return t
        case .complex: throw TensorError(nil, "the .npy file holds complex numbers, which this reader does not take (load_npy does).")
        }
    }

    /// '<c16' -> '<f8' and '<c8' -> '<f4': a complex type read as pairs of reals.
    static func complexPartDescr(_ d: String) -> String? {
        var chars = Array(d)
        let i = chars.first.map { "<>|=".contains($0) } == true ? 1 : 0
        guard chars.count > i, chars[i] == "c", let size = Int(String(chars[(i + 1)...])), size == 8 || size == 16 else { return nil }
        chars[i] = "f"
        return String(chars[...i]) + String(size / 2)
    }

    /// A tensor, real or complex, from the bytes of a .npy file.
    public static func npyDecodeArray(_ b: [UInt8]) throws -> NpyArray {
        guard b.count >= 6, Array(b[0..<6]) == npyMagic else {
            throw TensorError(nil, "not a .npy file (it does not start with the magic bytes \\x93NUMPY).")
        }
        guard b.count >= 10 else { throw TensorError(nil, "truncated .npy file: the header is incomplete (\(b.count) bytes).") }
        let major = Int(b[6]), minor = Int(b[7])
        let lenBytes: Int
        switch major {
        case 1: lenBytes = 2
        case 2, 3: lenBytes = 4
        default: throw TensorError(nil, "unsupported .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are known).")
        }
        guard b.count >= 8 + lenBytes else { throw TensorError(nil, "truncated .npy file: the header is incomplete (\(b.count) bytes).") }
        let hlen = le(b, 8, lenBytes)
        let start = 8 + lenBytes + hlen
        guard start <= b.count else {
            throw TensorError(nil, "truncated .npy file: the header says \(hlen) bytes, the file has \(b.count - 8 - lenBytes) after the prefix.")
        }
        let header = String(decoding: b[(8 + lenBytes)..<start], as: UTF8.self)
        let (descr, fortran, fileShape) = try parseNpyHeader(header)
        let partDescr = complexPartDescr(descr)
        let (kind, size, little) = try parseDescr(partDescr ?? descr)
        let isComplex = partDescr != nil
        // a complex array is read as its real tensor with a last axis (re, im)
        let shape = isComplex ? fileShape + [2] : fileShape
        func result(_ t: Tensor) throws -> NpyArray { isComplex ? .complex(try ComplexTensor(interleaved: t)) : .real(t) }
        guard let (n, nbytes) = sizes(shape, size) else {
            throw TensorError(nil, "bad .npy header: shape \(shapeString(shape)) is too large.")
        }
        let actual = b.count - start
        guard actual == nbytes else { throw sizeMismatch(".npy file", expected: nbytes, actual: actual) }
        if !fortran { return try result(try decode(b, start: start, count: n, kind: kind, size: size, littleEndian: little, shape: shape)) }
        // Fortran order: the data is the transpose in C order (the (re, im) pairs stay last)
        let k = fileShape.count
        let rev = Array(fileShape.reversed()) + (isComplex ? [2] : [])
        let t = try decode(b, start: start, count: n, kind: kind, size: size, littleEndian: little, shape: rev)
        return try result(try t.permute(Array((0..<k).reversed()) + (isComplex ? [k] : [])))
    }

    /// (descr, fortran_order, shape) from the header's dict literal.
    static func parseNpyHeader(_ h: String) throws -> (String, Bool, [Int]) {
        func value(_ key: String) throws -> Substring {
            guard let r = h.firstRange(of: "'\(key)':") ?? h.firstRange(of: "\"\(key)\":") else {
                throw TensorError(nil, "bad .npy header: no '\(key)' in \(h.arrayFileTrimmed()).")
            }
            return h[r.upperBound...].drop { $0 == " " }
        }
        let d = try value("descr")
        guard let q = d.first, q == "'" || q == "\"" else {
            if d.hasPrefix("[") { throw TensorError(nil, "unsupported .npy data type: structured arrays (descr \(d.prefix { $0 != "]" })]) cannot be read.") }
            throw TensorError(nil, "bad .npy header: cannot read descr in \(h.arrayFileTrimmed()).")
        }
        let body = d.dropFirst()
        guard let end = body.firstIndex(of: q) else { throw TensorError(nil, "bad .npy header: unterminated descr.") }
        let descr = String(body[..<end])
        let f = try value("fortran_order")
        let fortran: Bool
        if f.hasPrefix("True") { fortran = true } else if f.hasPrefix("False") { fortran = false } else {
            throw TensorError(nil, "bad .npy header: fortran_order is neither True nor False.")
        }
        let s = try value("shape")
        guard s.first == "(", let close = s.firstIndex(of: ")") else { throw TensorError(nil, "bad .npy header: cannot read the shape.") }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let t = part.arrayFileTrimmed()
            if t.isEmpty { continue }
            let digits = t.hasSuffix("L") ? String(t.dropLast()) : t   // Python 2 longs
            guard let v = Int(digits), v >= 0 else { throw TensorError(nil, "bad .npy header: shape entry '\(t)' is not a size.") }
            shape.append(v)
        }
        return (descr, fortran, shape)
    }

    /// (kind, item size, little endian) for a descr such as '<f8'.
    static func parseDescr(_ d: String) throws -> (Kind, Int, Bool) {
        let chars = Array(d)
        guard chars.count >= 2 else { throw TensorError(nil, "unsupported .npy data type '\(d)'.") }
        var i = 0
        var little = 1.littleEndian == 1
        switch chars[0] {
        case "<": little = true; i = 1
        case ">": little = false; i = 1
        case "|", "=": i = 1
        default: break
        }
        let kindChar = chars[i]
        guard let size = Int(String(chars[(i + 1)...])) else {
            if kindChar == "O" { throw TensorError(nil, "unsupported .npy data type '\(d)': object arrays (pickled Python objects) cannot be read.") }
            throw TensorError(nil, "unsupported .npy data type '\(d)'.")
        }
        let kind: Kind
        switch kindChar {
        case "f" where size == 2 || size == 4 || size == 8: kind = .float
        case "i" where [1, 2, 4, 8].contains(size): kind = .int
        case "u" where [1, 2, 4, 8].contains(size): kind = .uint
        case "b" where size == 1: kind = .bool
        case "O": throw TensorError(nil, "unsupported .npy data type '\(d)': object arrays (pickled Python objects) cannot be read.")
        case "c": throw TensorError(nil, "unsupported .npy data type '\(d)': complex numbers other than complex64 and complex128 cannot be read.")
        case "U", "S", "V", "a": throw TensorError(nil, "unsupported .npy data type '\(d)': strings and raw bytes cannot be read.")
        default: throw TensorError(nil, "unsupported .npy data type '\(d)'.")
        }
        return (kind, size, little)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends.
    func arrayFileTrimmed() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
