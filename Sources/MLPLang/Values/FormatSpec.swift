// Python-style format specs for `"{x:.4f}"` and `format(x, spec)`:
// [[fill]align][sign][0][width][,][.precision][type], type one of f e g d s %.

public struct FormatSpec {
    var fill: Character = " "
    var align: Character? = nil      // < > ^ =
    var sign: Character = "-"        // + - space
    var width = 0
    var grouping = false
    var precision: Int? = nil
    var type: Character? = nil

    public init(_ spec: String) throws(MLPError) {
        var chars = Array(spec)
        var i = 0
        func isAlign(_ c: Character) -> Bool { "<>^=".contains(c) }
        if chars.count >= 2, isAlign(chars[1]) { fill = chars[0]; align = chars[1]; i = 2 }
        else if let c = chars.first, isAlign(c) { align = c; i = 1 }
        if i < chars.count, "+- ".contains(chars[i]) { sign = chars[i]; i += 1 }
        if i < chars.count, chars[i] == "0" { if align == nil { fill = "0"; align = "=" }; i += 1 }
        var w = ""
        while i < chars.count, chars[i].isASCII, chars[i].isNumber { w.append(chars[i]); i += 1 }
        if !w.isEmpty { width = Int(w) ?? 0 }
        if i < chars.count, chars[i] == "," { grouping = true; i += 1 }
        if i < chars.count, chars[i] == "." {
            i += 1
            var p = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { p.append(chars[i]); i += 1 }
            guard !p.isEmpty else { throw MLPError.runtime("format spec '\(spec)': '.' must be followed by a precision.") }
            precision = Int(p)
        }
        if i < chars.count, "feEgGds%".contains(chars[i]) { type = chars[i]; i += 1 }
        chars.removeFirst(min(i, chars.count))
        guard chars.isEmpty else {
            throw MLPError.runtime("format spec '\(spec)' is not understood at '\(String(chars))' (expected e.g. .4f, 8.3e, >10, d, %).")
        }
        if width > 10_000 || (precision ?? 0) > 1_000 { throw MLPError.runtime("format spec '\(spec)': width or precision too large.") }
    }

    public func format(number d: Double) throws(MLPError) -> String {
        var body: String
        let mag = abs(d)
        switch type {
        case "f": body = cFormat("%.\(precision ?? 6)f", mag)
        case "e", "E": body = cFormat("%.\(precision ?? 6)\(type!)", mag)
        case "g", "G": body = cFormat("%.\(precision ?? 6)\(type!)", mag)
        case "%": body = cFormat("%.\(precision ?? 6)f", mag * 100) + "%"
        case "d":
            guard d == d.rounded(), d.isFinite else { throw MLPError.runtime("format 'd' needs an integer, got \(formatNumber(d)).") }
            body = cFormat("%.0f", mag)
        case "s": throw MLPError.runtime("format 's' needs a string, got a number.")
        default:
            body = precision.map { cFormat("%.\($0)g", mag) } ?? formatNumber(mag)
        }
        if d.isNaN { body = "nan" } else if d.isInfinite { body = "inf" }
        if grouping { body = Self.group(body) }
        let neg = d < 0 || (d == 0 && d.sign == .minus && type != nil && type != "d")
        let signText = neg ? "-" : sign == "+" ? "+" : sign == " " ? " " : ""
        return pad(signText, body, defaultAlign: ">")
    }

    public func format(string s: String) throws(MLPError) -> String {
        if let t = type, t != "s" { throw MLPError.runtime("format '\(t)' needs a number, got a string.") }
        var text = s
        if let p = precision { text = String(s.prefix(p)) }
        return pad("", text, defaultAlign: "<")
    }

    /// Inserts thousands separators into the integer part.
    static func group(_ s: String) -> String {
        let intPart = s.prefix { $0.isNumber }
        let rest = s.dropFirst(intPart.count)
        var out = ""
        for (i, c) in intPart.enumerated() {
            if i > 0 && (intPart.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out + rest
    }

    func pad(_ sign: String, _ body: String, defaultAlign: Character) -> String {
        let len = sign.count + body.count
        guard width > len else { return sign + body }
        let n = width - len
        let f = String(repeating: fill, count: n)
        switch align ?? defaultAlign {
        case "<": return sign + body + f
        case "^": return String(repeating: fill, count: n / 2) + sign + body + String(repeating: fill, count: n - n / 2)
        case "=": return sign + f + body
        default: return f + sign + body
        }
    }
}

/// Checks a spec when the string literal is parsed, so typos are syntax errors.
func checkFormatSpec(_ spec: String, at loc: SourceLoc) throws(MLPError) {
    do { _ = try FormatSpec(spec) } catch { throw MLPError(.syntax, error.message, at: loc) }
}

public func formatValue(_ v: Value, spec: String, _ interp: Interpreter) throws(MLPError) -> String {
    let f = try FormatSpec(spec)
    switch v {
    case .number(let d): return try f.format(number: d)
    case .string(let s): return try f.format(string: s.s)
    default:
        if f.type != nil && f.type != "s" { throw MLPError.runtime("format '\(f.type!)' needs a number, got \(describeForError(v)).") }
        return try f.format(string: interp.str(v))
    }
}
