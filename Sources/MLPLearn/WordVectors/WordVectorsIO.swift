// Word-vector text files: word2vec's text format (a first line "count dim", then
// "word v1 ... vdim" a line; word2vec.c -binary 0 and gensim's
// save_word2vec_format(binary=False)) and GloVe's (the same lines, no header).
// The parsers take bytes (as MLPTensor's array files); save/load add the file I/O.
// Values are written as the shortest decimal that reads back to the same Float.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension WordVectors {
    /// The word2vec text format.
    public func word2vecText() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(words.count * (dim * 11 + 12) + 16)
        out += Array("\(words.count) \(dim)\n".utf8)
        for (r, w) in words.enumerated() {
            out += Array(w.utf8)
            for c in 0..<dim {
                out.append(0x20)
                out += Array(vectors[r * dim + c].description.utf8)
            }
            out.append(0x0A)
        }
        return out
    }

    /// Parses the word2vec text format; rejects binary, truncated and malformed files.
    public static func parseWord2VecText(_ bytes: [UInt8]) throws -> WordVectors {
        let lines = try textLines(bytes, "word2vec text")
        guard let header = lines.first else { throw LearnError(nil, "word2vec text: the file is empty.") }
        let h = header.fields
        guard h.count == 2, let n = Int(h[0]), let dim = Int(h[1]), n >= 0, dim >= 1 else {
            throw LearnError(nil, "word2vec text: line 1 must be \"count dim\" (two positive integers), got \"\(prefix(header.fields.joined(separator: " ")))\"; a GloVe file has no such line.")
        }
        // each value takes a space and a digit at least: sizes the file cannot hold are damage, not an allocation
        let (cells, overflow) = n.multipliedReportingOverflow(by: dim)
        guard !overflow, cells <= bytes.count / 2 else {
            throw LearnError(nil, "word2vec text: the header promises \(n) vectors of \(dim) values, more than the \(bytes.count)-byte file can hold.")
        }
        let body = lines.dropFirst()
        if body.count < n {
            throw LearnError(nil, "word2vec text: the header promises \(n) vectors but the file has \(body.count) (truncated?).")
        }
        if body.count > n {
            throw LearnError(nil, "word2vec text: the header promises \(n) vectors but the file has \(body.count) lines after it.")
        }
        return try vectorsFrom(body, dim: dim, format: "word2vec text")
    }

    /// Parses GloVe's text format (no header; dim from the first line).
    public static func parseGloVe(_ bytes: [UInt8]) throws -> WordVectors {
        let lines = try textLines(bytes, "GloVe")
        guard let first = lines.first else { throw LearnError(nil, "GloVe: the file is empty.") }
        let f = first.fields
        if f.count == 2, Int(f[0]) != nil, Int(f[1]) != nil {
            throw LearnError(nil, "GloVe: line 1 \"\(f[0]) \(f[1])\" looks like a word2vec header; load it in the word2vec text format.")
        }
        guard f.count >= 2 else { throw LearnError(nil, "GloVe: line 1 has no values after the word.") }
        return try vectorsFrom(lines[...], dim: f.count - 1, format: "GloVe")
    }

    public func save(word2vecText path: String) throws {
        try Self.writeBytes(path, word2vecText())
    }

    public static func load(word2vecText path: String) throws -> WordVectors {
        try parseWord2VecText(readBytes(path))
    }

    public static func load(glove path: String) throws -> WordVectors {
        try parseGloVe(readBytes(path))
    }

    // MARK: - parsing

    struct Line { let number: Int; let fields: [String] }

    static func prefix(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "..." : s }

    /// Non-empty lines split on spaces and tabs; binary and non-UTF-8 content rejected.
    static func textLines(_ bytes: [UInt8], _ format: String) throws -> [Line] {
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            throw LearnError(nil, "\(format): the file is gzip-compressed; decompress it first.")
        }
        if bytes.contains(0) {
            throw LearnError(nil, "\(format): the file contains NUL bytes; only the text format is read (word2vec -binary 1 files are not).")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw LearnError(nil, "\(format): the file is not UTF-8 text.")
        }
        // Split bytes, not Characters: "\r\n" is one Character.
        var out: [Line] = []
        var number = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            let fields = raw.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
                .map { String(decoding: $0, as: UTF8.self) }
            if !fields.isEmpty { out.append(Line(number: number, fields: fields)) }
        }
        return out
    }

    static func vectorsFrom(_ lines: ArraySlice<Line>, dim: Int, format: String) throws -> WordVectors {
        var words: [String] = []
        var values: [Float] = []
        words.reserveCapacity(lines.count); values.reserveCapacity(lines.count * dim)
        var seen = Set<String>()
        for line in lines {
            let f = line.fields
            guard f.count == dim + 1 else {
                throw LearnError(nil, "\(format): line \(line.number) has \(f.count - 1) values after the word, expected \(dim) (truncated or not a vector file?).")
            }
            guard seen.insert(f[0]).inserted else {
                throw LearnError(nil, "\(format): line \(line.number): the word \"\(prefix(f[0]))\" occurs twice.")
            }
            words.append(f[0])
            for k in 1...dim {
                guard let x = Float(f[k]), x.isFinite else {
                    throw LearnError(nil, "\(format): line \(line.number): \"\(prefix(f[k]))\" is not a finite number.")
                }
                values.append(x)
            }
        }
        return try WordVectors(words: words, vectors: values, dim: dim)
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw LearnError(nil, "word vectors: cannot open \(path) for reading.") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let k = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if k > 0 { out += buf[0..<k] }
            if k < buf.count { break }
        }
        if ferror(f) != 0 { throw LearnError(nil, "word vectors: error reading \(path).") }
        return out
    }

    static func writeBytes(_ path: String, _ bytes: [UInt8]) throws {
        guard let f = fopen(path, "wb") else { throw LearnError(nil, "word vectors: cannot open \(path) for writing.") }
        let k = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        if fclose(f) != 0 || k != bytes.count { throw LearnError(nil, "word vectors: error writing \(path).") }
    }
}
