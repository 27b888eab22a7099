// Core builtins: printing, conversion, types, assertions, time.
import MLPLang
#if canImport(Glibc)
import Glibc
#endif

enum BaseLib {
    static func register(_ r: inout Registry) {
        r.fn("print", [Param("sep", .string(" "), keywordOnly: true), Param("end", .string("\n"), keywordOnly: true)], rest: "values",
             doc: "Writes the values separated by spaces (or sep) and a newline (or end).",
             example: "print(\"loss\", 0.25)   # loss 0.25") { a throws(MLPError) in
            let sep = try a.string(0), end = try a.string(1)
            a.writeOutput(a.rest.map { a.interp.str($0) }.joined(separator: sep) + end)
            return .nil
        }
        r.fn("len", [p("x")], doc: "Number of items of a list, string (code points, as Python and Julia), dict, range or tensor.",
             example: "len([1, 2, 3])   # 3") { a throws(MLPError) in
            switch a[0] {
            case .list(let l): return .number(Double(l.items.count))
            case .string(let s): return .number(Double(s.count))
            case .dict(let d): return .number(Double(d.count))
            case .range(let rg): return .number(Double(rg.count))
            case .object(let o): if let n = o.length { return .number(Double(n)) }
            default: break
            }
            throw a.typeError(0, "a list, string, dict, range or tensor")
        }
        r.fn("type", [p("x")], doc: "The kind of a value as a string: number, bool, nil, string, list, dict, range, function, ...",
             example: "type(3)   # \"number\"") { a throws(MLPError) in .str(a[0].typeName) }
        r.fn("str", [p("x")], doc: "The text of a value, as print shows it.",
             example: "str(1.5) + \"!\"   # \"1.5!\"") { a throws(MLPError) in .str(a.interp.str(a[0])) }
        r.fn("num", [p("x")], doc: "Converts a string (e.g. \"1e-3\") or bool to a number.",
             example: "num(\"2.5\") * 2   # 5") { a throws(MLPError) in
            switch a[0] {
            case .number: return a[0]
            case .bool(let b): return .number(b ? 1 : 0)
            case .string(let s):
                if let d = parseNumber(s.s.trimmingWhitespace()) { return .number(d) }
                throw a.error("cannot read a number from \(describeForError(a[0])).", at: 0)
            default: throw a.typeError(0, "a string, number or bool")
            }
        }
        r.fn("bool", [p("x")], doc: "Converts \"true\"/\"false\" or a number (nonzero is true) to a bool.",
             example: "bool(1)   # true") { a throws(MLPError) in
            switch a[0] {
            case .bool: return a[0]
            case .number(let d): return .bool(d != 0)
            case .string(let s) where s.s == "true" || s.s == "false": return .bool(s.s == "true")
            default: throw a.typeError(0, "a number, bool, or the string \"true\" or \"false\"")
            }
        }
        r.fn("range", [p("start"), opt("stop"), p("step", 1)],
             doc: "Numbers from start up to (not including) stop by step; range(n) is 0..n.",
             example: "range(0, 10, 2)[:]   # [0, 2, 4, 6, 8]") { a throws(MLPError) in
            var lo = try a.number(0), hi: Double
            if a.isNil(1) { hi = lo; lo = 0 } else { hi = try a.number(1) }
            let step = try a.number(2)
            if step == 0 || !step.isFinite { throw a.error("step must be a nonzero number, got \(formatNumber(step)).", at: 2) }
            do throws(MLPError) { return .range(try RangeObj(lo, hi, step)) } catch { throw error.located(a.callLoc) }
        }
        r.fn("assert", [p("condition"), opt("message")],
             doc: "Stops with an error carrying message when condition is false.",
             example: "assert(len(xs) > 0, \"no data\")") { a throws(MLPError) in
            if try a.bool(0) { return .nil }
            let e = MLPError.runtime(a.isNil(1) ? "assertion failed." : "assertion failed: \(a.interp.str(a[1]))", at: a.callLoc)
            e.raisedBy = "assertion"
            throw e
        }
        r.fn("error", [p("message")], doc: "Stops the program with a runtime error carrying message (a try/catch around it catches it: e.kind is \"error\").",
             example: "error(\"learning rate must be positive\")") { a throws(MLPError) in
            let e = MLPError.runtime(a.interp.str(a[0]), at: a.callLoc)
            e.raisedBy = "error"
            throw e
        }
        r.fn("time", doc: "Seconds since 1970 (wall clock).", example: "t0 = time()") { _ throws(MLPError) in
            .number(clockSeconds(CLOCK_REALTIME))
        }
        r.fn("clock", doc: "Seconds on a monotonic clock, for measuring durations.",
             example: "t = clock(); work(); print(clock() - t)") { _ throws(MLPError) in
            .number(clockSeconds(CLOCK_MONOTONIC))
        }
        r.fn("gc", doc: "Frees the lists, dicts and functions that only refer to each other (reference cycles) now, and returns how many were freed. This also happens by itself as they accumulate, as Python's gc.collect().",
             example: "l = []; push(l, l); l = nil; gc()   # 1") { _ throws(MLPError) in
            .number(Double(CycleCollector.collect()))
        }
    }
}

func clockSeconds(_ id: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(id, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let lo = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let hi = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[lo...hi])
    }
}

/// A number as source code writes it (`-1_000.5e-3`, `.5`, `inf`, `nan`); nil for
/// anything else (hex, stray underscores, trailing text), as Python's float().
func parseNumber(_ t: String) -> Double? {
    var b = Array(t.utf8)
    var sign = ""
    if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { sign = String(UnicodeScalar(f)); b.removeFirst() }
    let word = String(decoding: b, as: UTF8.self).lowercased()
    if word == "inf" || word == "infinity" { return sign == "-" ? -.infinity : .infinity }
    if word == "nan" { return .nan }
    var clean: [UInt8] = [], i = 0, digits = 0
    func isD(_ k: Int) -> Bool { k < b.count && b[k] >= 48 && b[k] <= 57 }
    func run() { while i < b.count { if isD(i) { clean.append(b[i]); digits += 1; i += 1 } else if b[i] == 95 && i > 0 && isD(i - 1) && isD(i + 1) { i += 1 } else { break } } }
    run()
    if i < b.count && b[i] == UInt8(ascii: ".") { clean.append(b[i]); i += 1; run() }
    guard digits > 0 else { return nil }
    if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
        clean.append(b[i]); i += 1
        if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { clean.append(b[i]); i += 1 }
        digits = 0; run()
        guard digits > 0 else { return nil }
    }
    guard i == b.count else { return nil }
    return Double(sign + String(decoding: clean, as: UTF8.self))
}
