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
                throw TensorError(nil, key.isEmpty ? "an array name must not be empty." : "the name '\(key)' appears twice.")
            }
            let npy = npyEncode(t)
            let crc = Int(crc32(npy))
            let data = compressed ? try deflateRaw(npy) : npy
            let method = compressed ? 8 : 0
            let offset = out.count
            guard npy.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF else {
                throw TensorError(nil, "the archive would exceed 4 GB (ZIP64 is not written).")
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
            throw TensorError(nil, "the archive would exceed zip's limits (ZIP64 is not written).")
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
    public static func npzDecode(_ b: [UInt8], poll: (() throws -> Void)? = nil) throws -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        for m in try zipMembers(b) where !m.name.hasSuffix("/") {   // skip folder entries
            let name = m.name
            guard m.flags & 1 == 0 else { throw TensorError(nil, "member '\(name)' is encrypted.") }
            let raw = Array(b[m.dataStart..<(m.dataStart + m.csize)])
            let data: [UInt8]
            switch m.method {
            case 0: data = raw
            case 8:
                do { data = try inflateRaw(raw, expectedSize: m.usize, poll: poll) } catch let err as TensorError {
                    throw TensorError(nil, "member '\(name)': \(err.message)")
                }
            default: throw TensorError(nil, "member '\(name)' uses zip compression method \(m.method); only stored (0) and deflate (8) are read.")
            }
            guard data.count == m.usize else {
                throw TensorError(nil, "member '\(name)': expected \(m.usize) bytes after decompression, got \(data.count).")
            }
            guard Int(crc32(data)) == m.crc else { throw TensorError(nil, "member '\(name)' is corrupt (CRC-32 mismatch).") }
            guard name.hasSuffix(".npy") else { throw TensorError(nil, "member '\(name)' is not a .npy array.") }
            let key = String(name.dropLast(4))
            do { result.append((key, try npyDecode(data))) } catch let err as TensorError {
                throw TensorError(nil, "member '\(name)': \(err.message)")
            }
        }
        return result
    }
}
