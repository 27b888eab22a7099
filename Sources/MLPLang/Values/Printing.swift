// How values print (docs/language.md, "Printing"): integral numbers below 1e15
// without a decimal point, others as the shortest text that reads back.

public func formatNumber(_ d: Double) -> String {
    if let n = printedAsInteger(d) {
        // the digits straight into the string (small strings, up to 15 bytes, allocate nothing)
        let len = decimalLength(n)
        return String(unsafeUninitializedCapacity: len) { b in
            writeDecimal(n, length: len, to: b.baseAddress!)
            return len
        }
    }
    return d.description
}

extension Interpreter {
    /// The text `print` and `str` show: strings bare, everything else as `repr`.
    public func str(_ v: Value) -> String {
        switch v {
        case .string(let s): return s.s
        case .number(let d): return formatNumber(d)   // the common case of "{i}": no container bookkeeping
        default: return repr(v)
        }
    }

    /// The text of a value inside a list or dict (strings quoted).
    public func repr(_ v: Value) -> String {
        if case .number(let d) = v { return formatNumber(d) }
        var out = ""
        var visiting: Set<ObjectIdentifier> = []
        repr(v, into: &out, &visiting)
        return out
    }

    func repr(_ v: Value, into out: inout String, _ visiting: inout Set<ObjectIdentifier>) {
        switch v {
        case .number(let d): out += formatNumber(d)
        case .bool(let b): out += b ? "true" : "false"
        case .nil: out += "nil"
        case .string(let s): out += quoted(s.s)
        case .list(let l):
            guard visiting.insert(ObjectIdentifier(l)).inserted else { out += "[...]"; return }
            out += "["
            for (i, x) in l.items.enumerated() {
                if i > 0 { out += ", " }
                repr(x, into: &out, &visiting)
            }
            out += "]"
            visiting.remove(ObjectIdentifier(l))
        case .dict(let d):
            guard visiting.insert(ObjectIdentifier(d)).inserted else { out += "{...}"; return }
            out += "{"
            for (i, (k, x)) in zip(d.keys, d.values).enumerated() {
                if i > 0 { out += ", " }
                switch k {
                case .string(let s): out += isIdentifier(s) ? s : quoted(s)
                case .number(let n): out += formatNumber(n)
                case .bool(let b): out += b ? "true" : "false"
                }
                out += ": "
                repr(x, into: &out, &visiting)
            }
            out += "}"
            visiting.remove(ObjectIdentifier(d))
        case .range(let r):
            out += r.step == 1 ? "\(formatNumber(r.start))..\(formatNumber(r.stop))"
                : "range(\(formatNumber(r.start)), \(formatNumber(r.stop)), \(formatNumber(r.step)))"
        case .function(let c): out += "<fn \(c.name)>"
        case .builtin(let b): out += "<builtin \(b.name)>"
        case .object(let o): out += o.description(self)
        }
    }
}

public func quoted(_ s: String) -> String { "\"" + escaped(s, quoting: true) + "\"" }

/// The text with control characters as escapes (\n, \u{1b}), for messages that show a file's contents.
public func controlEscaped(_ s: String) -> String { escaped(s, quoting: false) }

/// Line ends and tabs escaped; when `quoting` (a string literal) also quotes, backslashes and
/// braces, otherwise every other control character too.
private func escaped(_ s: String, quoting: Bool) -> String {
    var out = ""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"" where quoting: out += "\\\""
        case "\\" where quoting: out += "\\\\"
        case "{" where quoting: out += "\\{"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if !quoting && (ch.value < 0x20 || (0x7F..<0xA0).contains(ch.value)) {
                out += "\\u{" + String(ch.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(ch)
            }
        }
    }
    return out
}

func isIdentifier(_ s: String) -> Bool {
    let b = Array(s.utf8)
    guard let first = b.first, isIdentStart(first) else { return false }
    return b.allSatisfy(isIdentPart) && TokenKind.keywords[s] == nil
}
