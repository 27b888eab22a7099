// Text builtins.
import MLPLang
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum StringLib {
    static func register(_ r: inout Registry) {
        r.fn("split", [p("s"), opt("sep"), Param("axis", .number(0), keywordOnly: true)],
             doc: "Splits s at sep (at runs of whitespace when sep is omitted); a tensor into sep equal parts, or at the positions in a list sep, along axis.",
             example: "split(\"a,b,c\", \",\")   # [\"a\", \"b\", \"c\"]") { a throws(MLPError) in
            if TensorValue.isTensor(a[0]) { return try TensorLib.splitTensor(a) }
            let s = try a.stringObject(0)
            if a.isNil(1) { return .list(splitWhitespace(s)) }
            let sep = try a.stringObject(1)
            if sep.s.isEmpty { throw a.error("separator must not be empty.", at: 1) }
            // pieces of ASCII text are ASCII: no scan of each
            let ascii = s.isASCII
            var out: [Value] = []
            s.withUTF8 { b in
                sep.withUTF8 { p in
                    forEachPiece(b, separatedBy: p) { piece in
                        out.append(.string(ascii ? StrObj(String(decoding: piece, as: UTF8.self), isASCII: true) : StrObj(utf8: piece)))
                    }
                }
            }
            return .list(out)
        }
        r.fn("join", [p("xs"), p("sep", "")], doc: "Joins the items of a list (converted with str) with sep between them.",
             example: "join([\"a\", \"b\"], \"-\")   # \"a-b\"") { a throws(MLPError) in
            let xs = try a.sequence(0), sep = try a.stringObject(1)
            // Joining is the hot path of text processing: the length first, then the bytes
            // straight into the new string (one allocation). Items that are not strings are
            // converted once, in the first pass.
            var others: [String] = []
            var total = xs.isEmpty ? 0 : sep.s.utf8.count * (xs.count - 1)
            for x in xs {
                if case .string(let s) = x { total += s.s.utf8.count; continue }
                let t = a.interp.str(x)
                total += t.utf8.count
                others.append(t)
            }
            var ascii = true
            let joined = String(unsafeUninitializedCapacity: total) { out in
                var at = 0, k = 0
                // initialize(from: utf8) copies a string's bytes with one memcpy (no closure)
                func put(_ s: String) { at += UnsafeMutableBufferPointer(rebasing: out[at...]).initialize(from: s.utf8).1 }
                for i in 0..<xs.count {
                    if i > 0 { put(sep.s) }
                    if case .string(let s) = xs[i] { put(s.s) } else { put(others[k]); k += 1 }
                }
                ascii = allASCII(UnsafeBufferPointer(out))
                return at
            }
            return .string(StrObj(joined, isASCII: ascii))
        }
        r.fn("upper", [p("s")], doc: "The string in upper case.", example: "upper(\"mlp\")   # \"MLP\"") { a throws(MLPError) in
            try changeCase(a, upper: true)
        }
        r.fn("lower", [p("s")], doc: "The string in lower case.", example: "lower(\"MLP\")   # \"mlp\"") { a throws(MLPError) in
            try changeCase(a, upper: false)
        }
        r.fn("replace", [p("s"), p("old"), p("new")], doc: "s with every occurrence of old replaced by new.",
             example: "replace(\"a-b-c\", \"-\", \"+\")   # \"a+b+c\"") { a throws(MLPError) in
            let s = try a.string(0), old = try a.string(1), new = try a.string(2)
            if old.isEmpty { throw a.error("'old' must not be empty.", at: 1) }
            return .str(splitBytes(s, old).joined(separator: new))
        }
        r.fn("strip", [p("s"), opt("chars")], doc: "s without leading and trailing whitespace (or the given characters).",
             example: "strip(\"  hi \")   # \"hi\"") { a throws(MLPError) in
            let s = try a.string(0)
            if a.isNil(1) { return .str(s.trimmingWhitespace()) }
            let set = Set(try a.string(1))
            let t = s.drop { set.contains($0) }
            return .str(String(t.reversed().drop { set.contains($0) }.reversed()))
        }
        r.fn("startswith", [p("s"), p("prefix")], doc: "True when s begins with prefix.",
             example: "startswith(\"lstm_1\", \"lstm\")   # true") { a throws(MLPError) in
            .bool(try a.string(0).hasPrefix(try a.string(1)))
        }
        r.fn("endswith", [p("s"), p("suffix")], doc: "True when s ends with suffix.",
             example: "endswith(\"net.npz\", \".npz\")   # true") { a throws(MLPError) in
            .bool(try a.string(0).hasSuffix(try a.string(1)))
        }
        r.fn("format", [p("x"), p("spec", "")], doc: "Formats x with a Python-style spec ([[fill]align][sign][0][width][,][.precision][type], type f e g d s %).",
             example: "format(3.14159, \".2f\")   # \"3.14\"") { a throws(MLPError) in
            let spec = try a.string(1)
            do throws(MLPError) { return .str(try formatValue(a[0], spec: spec, a.interp)) }
            catch { throw a.error(error.message, at: 1) }
        }
    }
}

/// Calls `piece` with the bytes between occurrences of `sep` (not empty), left to
/// right, empty pieces included, as Python's str.split(sep). Comparing UTF-8 bytes
/// is valid because UTF-8 is self-synchronising.
func forEachPiece(_ b: UnsafeBufferPointer<UInt8>, separatedBy sep: UnsafeBufferPointer<UInt8>,
                  _ piece: (UnsafeBufferPointer<UInt8>) -> Void) {
    guard let base = b.baseAddress, let p = sep.baseAddress else { return piece(b) }
    let n = b.count, m = sep.count
    var start = 0, i = 0
    while i + m <= n {
        // memchr finds the next candidate: the separator's first byte
        guard let hit = memchr(base + i, Int32(p.pointee), n - m + 1 - i) else { break }
        let j = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
        if m == 1 || memcmp(base + j, p, m) == 0 {
            piece(UnsafeBufferPointer(rebasing: b[start..<j]))
            i = j + m; start = i
        } else {
            i = j + 1
        }
    }
    piece(UnsafeBufferPointer(rebasing: b[start..<n]))
}

/// Splits at every occurrence of `sep` (not empty).
func splitBytes(_ s: String, _ sep: String) -> [String] {
    var out: [String] = []
    var s = s, sep = sep
    s.withUTF8 { b in sep.withUTF8 { p in forEachPiece(b, separatedBy: p) { out.append(String(decoding: $0, as: UTF8.self)) } } }
    return out
}

/// `split(s)`: the pieces between runs of whitespace. ASCII text byte by byte (the
/// bytes that Character.isWhitespace accepts: tab, newline, vertical tab, form feed,
/// carriage return, space), else by Unicode's rules.
func splitWhitespace(_ s: StrObj) -> [Value] {
    guard s.isASCII else { return s.s.split(whereSeparator: { $0.isWhitespace }).map { .str(String($0)) } }
    var out: [Value] = []
    s.withUTF8 { b in
        var i = 0
        let n = b.count
        while i < n {
            while i < n && isASCIISpace(b[i]) { i += 1 }
            let start = i
            while i < n && !isASCIISpace(b[i]) { i += 1 }
            if i > start { out.append(.string(StrObj(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self), isASCII: true))) }
        }
    }
    return out
}

@inline(__always) func isASCIISpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

/// Upper or lower case; ASCII text byte by byte (the usual case), else Unicode's rules.
func changeCase(_ a: Args, upper: Bool) throws(MLPError) -> Value {
    let obj = try a.stringObject(0)
    guard obj.isASCII else { return .str(upper ? obj.s.uppercased() : obj.s.lowercased()) }
    let lo: UInt8 = upper ? 97 : 65, hi: UInt8 = upper ? 122 : 90
    let s = obj.withUTF8 { src in
        String(unsafeUninitializedCapacity: src.count) { out in
            for i in 0..<src.count { let c = src[i]; out[i] = c >= lo && c <= hi ? c ^ 0x20 : c }
            return src.count
        }
    }
    return .string(StrObj(s, isASCII: true))
}
