// Text builtins.
import MLPLang

enum StringLib {
    static func register(_ r: inout Registry) {
        r.fn("split", [p("s"), opt("sep"), Param("axis", .number(0), keywordOnly: true)],
             doc: "Splits s at sep (at runs of whitespace when sep is omitted); a tensor into sep equal parts, or at the positions in a list sep, along axis.",
             example: "split(\"a,b,c\", \",\")   # [\"a\", \"b\", \"c\"]") { a throws(MLPError) in
            if TensorLib.isTensor(a[0]) { return try TensorLib.splitTensor(a) }
            let s = try a.string(0)
            if a.isNil(1) {
                return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .str(String($0)) })
            }
            let sep = try a.string(1)
            if sep.isEmpty { throw a.error("separator must not be empty.", at: 1) }
            return .list(splitBytes(s, sep).map { .str($0) })
        }
        r.fn("join", [p("xs"), p("sep", "")], doc: "Joins the items of a list (converted with str) with sep between them.",
             example: "join([\"a\", \"b\"], \"-\")   # \"a-b\"") { a throws(MLPError) in
            let xs = try a.sequence(0), sep = try a.string(1)
            // one buffer, sized once (joining is the hot path of text processing)
            var parts: [String] = []
            parts.reserveCapacity(xs.count)
            var total = 0
            for x in xs {
                let s = a.interp.str(x)
                total += s.utf8.count
                parts.append(s)
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(total + sep.utf8.count * max(parts.count - 1, 0))
            for (i, var s) in parts.enumerated() {
                if i > 0 { bytes.append(contentsOf: sep.utf8) }
                s.withUTF8 { bytes.append(contentsOf: $0) }
            }
            return .str(String(decoding: bytes, as: UTF8.self))
        }
        r.fn("upper", [p("s")], doc: "The string in upper case.", example: "upper(\"mlp\")   # \"MLP\"") { a throws(MLPError) in
            .str(try changeCase(a, upper: true))
        }
        r.fn("lower", [p("s")], doc: "The string in lower case.", example: "lower(\"MLP\")   # \"mlp\"") { a throws(MLPError) in
            .str(try changeCase(a, upper: false))
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

/// Splits at every occurrence of `sep`, comparing UTF-8 bytes (valid because
/// UTF-8 is self-synchronising); keeps empty pieces, as Python's str.split(sep).
func splitBytes(_ s: String, _ sep: String) -> [String] {
    let b = Array(s.utf8), p = Array(sep.utf8)
    var out: [String] = [], start = 0, i = 0
    let first = p[0], m = p.count
    while i + m <= b.count {
        if b[i] == first && (m == 1 || b[i..<(i + m)].elementsEqual(p)) {
            out.append(String(decoding: b[start..<i], as: UTF8.self))
            i += m; start = i
        } else {
            i += 1
        }
    }
    out.append(String(decoding: b[start...], as: UTF8.self))
    return out
}

/// Upper or lower case; ASCII text byte by byte (the usual case), else Unicode's rules.
func changeCase(_ a: Args, upper: Bool) throws(MLPError) -> String {
    guard case .string(let obj) = a[0] else { throw a.typeError(0, "a string") }
    guard obj.isASCII else { return upper ? obj.s.uppercased() : obj.s.lowercased() }
    var bytes = Array(obj.s.utf8)
    let lo: UInt8 = upper ? 97 : 65, hi: UInt8 = upper ? 122 : 90
    for i in bytes.indices where bytes[i] >= lo && bytes[i] <= hi { bytes[i] ^= 0x20 }
    return String(decoding: bytes, as: UTF8.self)
}
