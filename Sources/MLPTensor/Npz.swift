// NumPy .npz files: a zip archive of .npy members named `<key>.npy`.
// Writing stores the members uncompressed (method 0, as numpy.savez does) or
// deflates them (method 8, as numpy.savez_compressed);
// reading takes stored and deflated members (numpy.savez_compressed), with
// ZIP64 records, checking each member's CRC-32.

extension ArrayFiles {
    /// A .npz archive of the named tensors (in the given order); members stored, or
    /// deflated when `compressed` (as numpy.savez_compressed).
    public static func npzEncode(_ entries: [(String, Tensor)], compressed: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        var seen = Set<String>()
        for (key, t) in entries {
            let name = key + ".npy"
            guard !key.isEmpty, seen.insert(key).inserted else {
                throw TensorError(key.isEmpty ? "an array name must not be empty." : "the name '\(key)' appears twice.")
            }
            let npy = npyEncode(t)
            let crc = Int(crc32(npy))
            let data = compressed ? try deflateRaw(npy) : npy
            let method = compressed ? 8 : 0
            let offset = out.count
            guard npy.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF else {
                throw TensorError("the archive would exceed 4 GB (ZIP64 is not written).")
            }
            let nameBytes = Array(name.utf8)
            // local file header
            appendLE(&out, 0x0403_4b50, 4)
            appendLE(&out, 20, 2)                 // version needed
            appendLE(&out, 0x0800, 2)             // flags: UTF-8 names
            appendLE(&out, method, 2)             // stored or deflated
            appendLE(&out, 0, 2)                  // time 00:00
            appendLE(&out, 0x21, 2)               // date 1980-01-01
            appendLE(&out, crc, 4)
            appendLE(&out, data.count, 4)
            appendLE(&out, npy.count, 4)
            appendLE(&out, nameBytes.count, 2)
            appendLE(&out, 0, 2)
            out.append(contentsOf: nameBytes)
            out.append(contentsOf: data)
            // central directory entry
            appendLE(&central, 0x0201_4b50, 4)
            appendLE(&central, 0x0314, 2)         // made by: Unix, 2.0
            appendLE(&central, 20, 2)
            appendLE(&central, 0x0800, 2)
            appendLE(&central, method, 2)
            appendLE(&central, 0, 2)
            appendLE(&central, 0x21, 2)
            appendLE(&central, crc, 4)
            appendLE(&central, data.count, 4)
            appendLE(&central, npy.count, 4)
            appendLE(&central, nameBytes.count, 2)
            appendLE(&central, 0, 2)              // extra
            appendLE(&central, 0, 2)              // comment
            appendLE(&central, 0, 2)              // disk
            appendLE(&central, 0, 2)              // internal attributes
            appendLE(&central, 0o100644 << 16, 4) // external: a regular file, rw-r--r--
            appendLE(&central, offset, 4)
            central.append(contentsOf: nameBytes)
        }
        guard entries.count < 0xFFFF, out.count < 0xFFFF_FFFF else {
            throw TensorError("the archive would exceed zip's limits (ZIP64 is not written).")
        }
        let cdOffset = out.count
        out.append(contentsOf: central)
        appendLE(&out, 0x0605_4b50, 4)
        appendLE(&out, 0, 2); appendLE(&out, 0, 2)
        appendLE(&out, entries.count, 2); appendLE(&out, entries.count, 2)
        appendLE(&out, central.count, 4)
        appendLE(&out, cdOffset, 4)
        appendLE(&out, 0, 2)
        return out
    }

    /// The named tensors of a .npz archive, in archive order (names without `.npy`).
    public static func npzDecode(_ b: [UInt8]) throws -> [(String, Tensor)] {
        let notZip = "not a .npz file (no zip archive found"
        guard b.count >= 22 else {
            if b.count >= 4 && le(b, 0, 4) == 0x0403_4b50 { throw TensorError("truncated .npz file (\(b.count) bytes, the zip directory is missing).") }
            throw TensorError("\(notZip)).")
        }
        // end of central directory: scan back over a possible comment
        var eocd = -1
        var i = b.count - 22
        let lowest = Swift.max(0, b.count - 22 - 65535)
        while i >= lowest {
            if b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 5 && b[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            if le(b, 0, 4) == 0x0403_4b50 { throw TensorError("truncated .npz file (the zip directory at its end is missing).") }
            if b.count >= 6 && Array(b[0..<6]) == npyMagic { throw TensorError("not a .npz file: this is a .npy file (use load_npy).") }
            throw TensorError("\(notZip)).")
        }
        var count = le(b, eocd + 10, 2)
        var cdSize = le(b, eocd + 12, 4)
        var cdOffset = le(b, eocd + 16, 4)
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the end record
            let loc = eocd - 20
            guard loc >= 0, le(b, loc, 4) == 0x0706_4b50 else { throw TensorError("bad .npz file: ZIP64 locator missing.") }
            let rec = le(b, loc + 8, 8)
            guard rec >= 0, rec <= b.count - 56, le(b, rec, 4) == 0x0606_4b50 else { throw TensorError("bad .npz file: ZIP64 record missing.") }
            count = le(b, rec + 32, 8); cdSize = le(b, rec + 40, 8); cdOffset = le(b, rec + 48, 8)
        }
        guard count >= 0, cdOffset >= 0, cdSize >= 0, cdOffset <= b.count, cdSize <= b.count - cdOffset else {
            throw TensorError("truncated .npz file (its directory points past the end of the \(b.count) bytes).")
        }
        var result: [(String, Tensor)] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= b.count, le(b, p, 4) == 0x0201_4b50 else { throw TensorError("bad .npz file: damaged zip directory.") }
            let flags = le(b, p + 8, 2), method = le(b, p + 10, 2)
            let crc = le(b, p + 16, 4)
            var csize = le(b, p + 20, 4), usize = le(b, p + 24, 4)
            let nlen = le(b, p + 28, 2), elen = le(b, p + 30, 2), clen = le(b, p + 32, 2)
            var local = le(b, p + 42, 4)
            guard p + 46 + nlen + elen <= b.count else { throw TensorError("bad .npz file: damaged zip directory.") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nlen)], as: UTF8.self)
            // ZIP64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in order
            var e = p + 46 + nlen
            let eEnd = e + elen
            while e + 4 <= eEnd {
                let id = le(b, e, 2), sz = le(b, e + 2, 2)
                if id == 1 {
                    var q = e + 4
                    let end = Swift.min(e + 4 + sz, eEnd)
                    if usize == 0xFFFF_FFFF && q + 8 <= end { usize = le(b, q, 8); q += 8 }
                    if csize == 0xFFFF_FFFF && q + 8 <= end { csize = le(b, q, 8); q += 8 }
                    if local == 0xFFFF_FFFF && q + 8 <= end { local = le(b, q, 8) }
                }
                e += 4 + sz
            }
            p = eEnd + clen
            if name.hasSuffix("/") { continue }   // a folder entry
            guard flags & 1 == 0 else { throw TensorError("member '\(name)' is encrypted.") }
            guard local >= 0, local <= b.count - 30, le(b, local, 4) == 0x0403_4b50 else {
                throw TensorError("truncated .npz file: member '\(name)' is missing.")
            }
            let start = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2)
            guard start <= b.count else { throw TensorError("truncated .npz file: member '\(name)' is missing.") }
            guard csize >= 0, usize >= 0, csize <= b.count - start else {
                throw TensorError("truncated .npz file: member '\(name)' expects \(csize) bytes, found \(Swift.max(0, b.count - start)).")
            }
            let raw = Array(b[start..<(start + csize)])
            let data: [UInt8]
            switch method {
            case 0: data = raw
            case 8:
                do { data = try inflateRaw(raw, expectedSize: usize) } catch let err as TensorError {
                    throw TensorError("member '\(name)': \(err.message)")
                }
            default: throw TensorError("member '\(name)' uses zip compression method \(method); only stored (0) and deflate (8) are read.")
            }
            guard data.count == usize else {
                throw TensorError("member '\(name)': expected \(usize) bytes after decompression, got \(data.count).")
            }
            guard Int(crc32(data)) == crc else { throw TensorError("member '\(name)' is corrupt (CRC-32 mismatch).") }
            guard name.hasSuffix(".npy") else { throw TensorError("member '\(name)' is not a .npy array.") }
            let key = String(name.dropLast(4))
            do { result.append((key, try npyDecode(data))) } catch let err as TensorError {
                throw TensorError("member '\(name)': \(err.message)")
            }
        }
        return result
    }
}
