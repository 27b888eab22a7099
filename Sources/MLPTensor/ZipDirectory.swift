// The directory of a zip archive (the .npz reader's): the end record (ZIP64
// too), the central entries and each member's local header. Checked as Python's
// zipfile checks them, so that one archive cannot read differently here and
// there: a local header must carry its central entry's name, and no member's
// header and data may run into the next member (overlapping members are how
// zip bombs inflate one stretch of compressed bytes many times).

extension ArrayFiles {
    struct ZipMember {
        let name: String
        let flags: Int, method: Int, crc: Int
        let csize: Int, usize: Int
        /// Offset of the local header, and of the member's (compressed) data.
        let local: Int, dataStart: Int
    }

    /// The members in directory order, their extents checked against the file and each other.
    static func zipMembers(_ b: [UInt8]) throws -> [ZipMember] {
        let notZip = "not a .npz file (no zip archive found"
        guard b.count >= 22 else {
            if b.count >= 4 && le(b, 0, 4) == 0x0403_4b50 { throw TensorError(nil, "truncated .npz file (\(b.count) bytes, the zip directory is missing).") }
            throw TensorError(nil, "\(notZip)).")
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
            if le(b, 0, 4) == 0x0403_4b50 { throw TensorError(nil, "truncated .npz file (the zip directory at its end is missing).") }
            if b.count >= 6 && Array(b[0..<6]) == npyMagic { throw TensorError(nil, "not a .npz file: this is a .npy file (use load_npy).") }
            throw TensorError(nil, "\(notZip)).")
        }
        var count = le(b, eocd + 10, 2)
        var cdSize = le(b, eocd + 12, 4)
        var cdOffset = le(b, eocd + 16, 4)
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the end record
            let loc = eocd - 20
            guard loc >= 0, le(b, loc, 4) == 0x0706_4b50 else { throw TensorError(nil, "bad .npz file: ZIP64 locator missing.") }
            let rec = le(b, loc + 8, 8)
            guard rec >= 0, rec <= b.count - 56, le(b, rec, 4) == 0x0606_4b50 else { throw TensorError(nil, "bad .npz file: ZIP64 record missing.") }
            count = le(b, rec + 32, 8); cdSize = le(b, rec + 40, 8); cdOffset = le(b, rec + 48, 8)
        }
        guard count >= 0, cdOffset >= 0, cdSize >= 0, cdOffset <= b.count, cdSize <= b.count - cdOffset else {
            throw TensorError(nil, "truncated .npz file (its directory points past the end of the \(b.count) bytes).")
        }
        // each central entry takes at least 46 bytes: a count beyond that is damage, not a loop bound
        guard count <= cdSize / 46 else { throw TensorError(nil, "bad .npz file: damaged zip directory.") }
        var members: [ZipMember] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= b.count, le(b, p, 4) == 0x0201_4b50 else { throw TensorError(nil, "bad .npz file: damaged zip directory.") }
            let flags = le(b, p + 8, 2), method = le(b, p + 10, 2)
            let crc = le(b, p + 16, 4)
            var csize = le(b, p + 20, 4), usize = le(b, p + 24, 4)
            let nlen = le(b, p + 28, 2), elen = le(b, p + 30, 2), clen = le(b, p + 32, 2)
            var local = le(b, p + 42, 4)
            guard p + 46 + nlen + elen <= b.count else { throw TensorError(nil, "bad .npz file: damaged zip directory.") }
            let nameBytes = b[(p + 46)..<(p + 46 + nlen)]
            let name = String(decoding: nameBytes, as: UTF8.self)
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
            guard local >= 0, local <= b.count - 30, le(b, local, 4) == 0x0403_4b50 else {
                throw TensorError(nil, "truncated .npz file: member '\(name)' is missing.")
            }
            let localNameLength = le(b, local + 26, 2)
            let start = local + 30 + localNameLength + le(b, local + 28, 2)
            guard start <= b.count else { throw TensorError(nil, "truncated .npz file: member '\(name)' is missing.") }
            guard csize >= 0, usize >= 0, csize <= b.count - start else {
                throw TensorError(nil, "truncated .npz file: member '\(name)' expects \(csize) bytes, found \(Swift.max(0, b.count - start)).")
            }
            let localName = b[(local + 30)..<(local + 30 + localNameLength)]
            guard localName.elementsEqual(nameBytes) else {
                let shown = String(decoding: localName, as: UTF8.self)
                throw TensorError(nil, "bad .npz file: member '\(name)' is named '\(shown)' in its local header (the zip directory and the member disagree).")
            }
            members.append(ZipMember(name: name, flags: flags, method: method, crc: crc, csize: csize, usize: usize,
                                     local: local, dataStart: start))
        }
        // as zipfile: each member ends before the next one's header (or the directory) begins
        let byOffset = members.sorted { $0.local < $1.local }
        for (k, m) in byOffset.enumerated() {
            let next = k + 1 < byOffset.count ? byOffset[k + 1].local : cdOffset
            if m.dataStart + m.csize > next {
                let other = k + 1 < byOffset.count ? "member '\(byOffset[k + 1].name)'" : "the zip directory"
                throw TensorError(nil, "bad .npz file: member '\(m.name)' overlaps \(other).")
            }
        }
        return members
    }
}
