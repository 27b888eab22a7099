// Input kind 0: random programs of a small grammar of mlp.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

enum Ty: CaseIterable { case num, str, list, dict, bool, fn, range, any }

struct FnSig { let name: String; let arity: Int; let required: Int; let params: [String] }

/// Generates random programs of a small grammar of mlp: mostly well-formed and
/// mostly well-typed, so that the run gets past the resolver into the
/// interpreter and the builtins, with wrong types, counts and odd values mixed in.
struct ProgramGen {
    var r: RNG
    let builtins: [BuiltinSig]
    let constants: [String]
    let huge: Bool
    var out = ""
    var indent = 0
    /// Variables by scope (index 0: globals); each with a loose type.
    var scopes: [[(String, Ty)]] = [[]]
    var fns: [FnSig] = []
    var loopDepth = 0
    var fnDepth = 0
    /// Nodes left; when it runs out expressions become atoms.
    var budget = 0
    var fresh = 0
    /// Unbounded loops: the body must stay cheap (no growth, no printing).
    var cheapOnly = false
    /// 1 in `chaos` expressions is of a random type (0: never); set per program.
    var chaos = 0

    init(seed: UInt64, builtins: [BuiltinSig], constants: [String], huge: Bool) {
        r = RNG(seed); self.builtins = builtins; self.constants = constants; self.huge = huge
    }

    // MARK: leaves

    static let smallNumbers = ["0", "1", "2", "3", "4", "5", "7", "10", "-1", "-2", "-3", "0.5", "1.5", "-0.5", "2.5",
                               "0.1", "0.25", "1e-3", "100", ".5", "1_000", "0.0", "-0.0", "3.0", "12", "64", "255", "1e2"]
    static let oddNumbers = ["1e-320", "5e-324", "2.2250738585072014e-308", "0.30000000000000004", "1e15", "999999999999999",
                             "1e16", "9007199254740993", "4503599627370496.5", "1e21", "2.5e+20", "6.02e23", "1e308",
                             "1.7976931348623157e308", "1e309", "123456789.123456789", "-1e15", "1e-7", "0.000001"]
    static let hugeNumbers = ["1e9", "4e9", "4294967295", "1e12", "1e15", "1e300", "9.2e18", "-9.2e18",
                              "9223372036854775807", "18446744073709551616", "2^53", "2^62", "2^64", "1e308"]
    static let namePool = ["a", "b", "c", "x", "y", "z", "n", "k", "s", "t", "xs", "ys", "d", "e", "f", "g", "h",
                           "acc", "total", "α", "θ₀", "ħ", "_tmp", "lr", "loss", "i", "j"]
    static let stringPieces = ["abc", "", "a", "hello world", "α β γ", "a,b,c", "  pad  ", "\\n", "\\t", "\\\"", "\\\\",
                               "\\{", "\\}", "\\r", "\\0", "lr", "key", "x", "1e-3", "3.5", " 42 ", "true", "-", ", ",
                               "日本", "e\u{301}", "🙂", "a\\nb", "#not a comment", "'q'", "}"]
    static let fieldNames = ["lr", "steps", "a", "b", "name", "start", "stop", "step", "loss", "x", "nope"]

    mutating func name() -> String {
        fresh += 1
        return r.chance(4, 5) ? r.pick(ProgramGen.namePool) : "v\(fresh)"
    }

    func visible(_ ty: Ty?) -> [String] {
        var out: [String] = []
        for s in scopes { for (n, t) in s where ty == nil || t == ty! || t == .any { out.append(n) } }
        return out
    }

    mutating func declare(_ n: String, _ ty: Ty) {
        if let i = scopes[scopes.count - 1].firstIndex(where: { $0.0 == n }) { scopes[scopes.count - 1][i].1 = ty }
        else { scopes[scopes.count - 1].append((n, ty)) }
    }

    mutating func number() -> String {
        switch r.below(40) {
        case 0..<32: return r.pick(ProgramGen.smallNumbers)
        case 32..<36: return String(r.int(-50, 2100))
        case 36..<38: return r.pick(["inf", "-inf", "nan", "pi", "(0/0)", "(1/0)", "(-1/0)"])
        default: return huge ? r.pick(ProgramGen.hugeNumbers) : r.pick(["6", "8", "16", "20", "-10", "0.75"])
        }
    }

    /// A number only printed or formatted (big values are safe here).
    mutating func printNumber() -> String {
        r.chance(1, 2) ? r.pick(ProgramGen.oddNumbers) : number()
    }

    mutating func stringLiteral(_ depth: Int) -> String {
        var s = "\""
        for _ in 0..<r.int(0, 3) {
            switch r.below(10) {
            case 0..<6: s += r.pick(ProgramGen.stringPieces)
            case 6..<9 where depth < 3 && budget > 0:
                budget -= 1
                var e = expr(r.pick([.num, .str, .any, .list, .bool]), depth + 2)
                // an interpolation ends at a quote or a newline: fall back to a plain atom
                if e.contains("\"") || e.contains("\n") { e = r.chance(1, 2) ? number() : r.pick(visible(nil) + ["1"]) }
                s += "{" + e + (r.chance(1, 2) ? ":" + formatSpec() : "") + "}"
            case 9 where chaos > 0 && r.chance(1, 8): s += r.pick(["\\q", "{", "{}", "{x:", "{1:.2f", "\\", "\\u", "{:}", "{ }", "\\{x}", "{x:zz}", "{1:.}"])
            default: s += r.pick(ProgramGen.stringPieces)
            }
        }
        return s + "\""
    }

    mutating func formatSpec() -> String {
        if chaos > 0 && r.chance(1, 20) {
            return r.pick(["", "q", ".", ">>", "10000", "10001", ".1000f", ".1001f", "0", ",", "=", "^", "+", " ", "x<", "<<",
                           "99999999999999999999", ".99999999999999999999f", "*^20", "0=10", "-010,.3%", "08.3e", "ds", "é>5"])
        }
        var s = ""
        if r.chance(1, 4) { s += r.pick(["*", "0", "-", "x", "α", " "]) + r.pick(["<", ">", "^", "="]) }
        else if r.chance(1, 4) { s += r.pick(["<", ">", "^", "="]) }
        if r.chance(1, 4) { s += r.pick(["+", "-", " "]) }
        if r.chance(1, 5) { s += "0" }
        if r.chance(1, 2) { s += String(r.pick([0, 1, 2, 5, 8, 10, 12, 20, 40])) }
        if r.chance(1, 5) { s += "," }
        if r.chance(1, 2) { s += "." + String(r.pick([0, 1, 2, 3, 4, 6, 10, 17, 20, 50, 300])) }
        if r.chance(2, 3) { s += r.pick(["f", "e", "E", "g", "G", "d", "s", "%"]) }
        return s
    }

    // MARK: expressions

    /// An expression of (loosely) type `ty`; sometimes deliberately of another type.
    mutating func expr(_ want: Ty, _ depth: Int) -> String {
        var ty = want
        if chaos > 0 && r.chance(1, chaos) { ty = r.pick(Ty.allCases) }
        budget -= 1
        if depth >= 4 || budget <= 0 { return atom(ty) }
        if r.chance(1, 6) { return generic(ty, depth) }
        switch ty {
        case .num: return numExpr(depth)
        case .str: return strExpr(depth)
        case .list: return listExpr(depth)
        case .dict: return dictExpr(depth)
        case .bool: return boolExpr(depth)
        case .fn: return fnExpr(depth)
        case .range: return rangeExpr(depth)
        case .any: return expr(r.pick([.num, .str, .list, .dict, .bool, .fn, .range]), depth)
        }
    }

    mutating func atom(_ ty: Ty) -> String {
        let vars = visible(ty)
        if !vars.isEmpty && r.chance(1, 2) { return r.pick(vars) }
        switch ty {
        case .num: return number()
        case .str: return stringLiteral(9)
        case .list: return r.pick(["[]", "[1, 2, 3]", "[\"a\", \"b\"]", "[0.5, -1, 3]", "[[1, 2], [3, 4]]", "[nil, true, \"x\"]", "[3, 1, 2]"])
        case .dict: return r.pick(["{}", "{a: 1, b: 2}", "{lr: 0.1, \"a b\": 2}", "{1: \"one\", true: \"yes\"}", "{x: [1, 2]}"])
        case .bool: return r.pick(["true", "false"])
        case .fn: return r.pick(["x -> x", "len", "str", "abs", "(a, b) -> a + b", "() -> nil", "sqrt", "upper", "type"])
        case .range: return r.pick(["0..5", "1..4", "0..0", "range(5)", "range(10, 0, -3)", "range(0, 1, 0.25)", "5..2"])
        case .any: return r.pick(["nil", "true", "1", "\"s\"", "[1]", "{}", "0..3", "print", "argv", "pi", "inf", "nan"])
        }
    }

    /// Forms that work for any type: variables, calls, indexing, if-expressions, parentheses.
    mutating func generic(_ ty: Ty, _ depth: Int) -> String {
        switch r.below(9) {
        case 0:
            let c = boolExpr(depth + 1)
            return "if \(c) { \(expr(ty, depth + 1)) } else { \(expr(ty, depth + 1)) }"
        case 1: return "(\(expr(ty, depth + 1)))"
        case 2 where !fns.isEmpty: return userCall(depth)
        case 3: return randomBuiltinCall(depth)
        case 4: return "\(postfixable(expr(.list, depth + 1)))[\(index(depth))]"
        case 5: return "\(postfixable(expr(.dict, depth + 1)))[\(expr(r.pick([.str, .num, .bool, .str, .num]), depth + 1))]"
        case 6: return "\(postfixable(expr(.dict, depth + 1))).\(r.pick(ProgramGen.fieldNames))"
        case 7: return "(\(fnExpr(depth + 1)))(\(args(r.int(0, 2), depth)))"
        default: return atom(ty)
        }
    }

    /// Parenthesizes a compound operand (mostly: sometimes the bare text, for the parser's precedence rules).
    mutating func operand(_ e: String) -> String {
        (e.contains(" ") || e.hasPrefix("-")) && r.chance(7, 8) ? "(\(e))" : e
    }

    /// Parenthesizes an expression that `[...]`, `.f` or `(...)` would otherwise bind into.
    func postfixable(_ e: String) -> String {
        var simple = true
        for c in e.unicodeScalars where !(c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) || c == "." ) { simple = false; break }
        if simple && !(e.first?.isNumber ?? false) { return e }
        if e.hasPrefix("["), e.hasSuffix("]"), !e.contains("] ") { return e }
        return "(\(e))"
    }

    mutating func index(_ depth: Int) -> String {
        switch r.below(10) {
        case 0..<3: return r.pick(["0", "1", "-1", "-2", "2", "3", "10", "-10", "0.5", "-0.0", "nil", "\"a\"", "true", "1e300", "inf", "nan", "-9e15", "9.3e18"])
        case 3..<5: return expr(.num, depth + 1)
        case 5..<9:
            func part(_ g: inout ProgramGen) -> String {
                g.r.chance(1, 3) ? "" : g.r.pick(["0", "1", "-1", "2", "-2", "3", "10", "-10", "nil", "0.5", "1e300", "-1e300", "1500"])
            }
            var s = part(&self) + ":" + part(&self)
            if r.chance(1, 2) {
                s += ":" + (r.chance(1, 4) ? "" : r.pick(["1", "2", "-1", "-2", "3", "0", "0.5", "nil", "-3", "1e300", "4611686018427387904",
                                                          "9223372036854774784", "-9223372036854774784", "1e18", "9.3e18"]))
            }
            return s
        default: return "\(expr(.num, depth + 1)), \(expr(.num, depth + 1))"
        }
    }

    mutating func numExpr(_ depth: Int) -> String {
        switch r.below(16) {
        case 0..<3: return atom(.num)
        case 3..<7:
            let op = r.pick(["+", "-", "*", "/", "%", "^", "+", "-", "*"])
            let rhs = op == "^" && !huge ? r.pick(["2", "0.5", "-1", "3", "0", "-2", "1.5"]) : expr(.num, depth + 1)
            return "\(operand(expr(.num, depth + 1))) \(op) \(operand(rhs))"
        case 7: return "-\(operand(expr(.num, depth + 1)))"
        case 8: return "len(\(expr(r.pick([.list, .str, .dict, .range]), depth + 1)))"
        case 9: return "\(r.pick(["sum", "mean", "min", "max"]))(\(expr(r.pick([.list, .range]), depth + 1)))"
        case 10: return "\(r.pick(["abs", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "floor", "ceil", "round"]))(\(expr(.num, depth + 1)))"
        case 11: return "round(\(expr(.num, depth + 1)), \(r.pick(["0", "1", "2", "-1", "-2", "308", "309", "-400", "0.5", "15", "16"])))"
        case 12: return "\(r.pick(["min", "max"]))(\(expr(.num, depth + 1)), \(expr(.num, depth + 1))\(r.chance(1, 2) ? ", " + expr(.num, depth + 1) : ""))"
        case 13: return "num(\(r.pick(["\"2.5\"", "\"1e-3\"", "\" 7 \"", "\"1_000\"", "\"abc\"", "\"\"", "\"inf\"", "\"nan\"", "\"-0\"", "\"0x10\"", "true", "\"1e400\""])))"
        case 14: return r.pick(["rand()", "randn()", "randint(\(pickc(["1", "0", "-3"], ["5", "0.5"])), \(pickc(["7", "2", "10"], ["1", "0"])))", "randint(\(pickc(["3", "1", "100"], ["0", "-2"])))"])
        default: return "\(postfixable(expr(.range, depth + 1)))[\(r.pick(["0", "1", "-1", "2", "5"]))]"
        }
    }

    mutating func strExpr(_ depth: Int) -> String {
        switch r.below(15) {
        case 0..<3: return stringLiteral(depth)
        case 3: return "str(\(expr(.any, depth + 1)))"
        case 4: return "\(operand(expr(.str, depth + 1))) + \(operand(expr(.str, depth + 1)))"
        case 5: return "\(operand(expr(.str, depth + 1))) * \(pickc(["0", "1", "2", "3"], ["-1", "0.5", "nan"]))"
        case 6: return "\(r.pick(["upper", "lower", "strip", "reverse", "type"]))(\(expr(.str, depth + 1)))"
        case 7: return "join(\(expr(.list, depth + 1)), \(r.pick(["\", \"", "\"\"", "\"-\"", "1"])))"
        case 8: return "format(\(expr(r.pick([.num, .str, .list, .any]), depth + 1)), \"\(formatSpec())\")"
        case 9: return "\(postfixable(expr(.str, depth + 1)))[\(index(depth))]"
        case 10: return "replace(\(expr(.str, depth + 1)), \(r.pick(["\"a\"", "\"\"", "\",\"", "\"b\""])), \(r.pick(["\"\"", "\"X\"", "\"ab\""])))"
        case 11: return "strip(\(expr(.str, depth + 1)), \(r.pick(["\" \"", "\"a\"", "\"\"", "\"ab \""])))"
        case 12: return "\"\(r.pick(ProgramGen.stringPieces)){\(printNumber()):\(formatSpec())}\""
        case 13: return "str(\(printNumber()))"
        default: return stringLiteral(depth)
        }
    }

    mutating func listExpr(_ depth: Int) -> String {
        switch r.below(17) {
        case 0..<3:
            var items: [String] = []
            for _ in 0..<r.int(0, 4) { items.append(expr(r.chance(2, 3) ? .num : .any, depth + 1)) }
            return "[" + items.joined(separator: ", ") + (r.chance(1, 10) ? ", " : "") + "]"
        case 3: return "map(\(fnExpr(depth + 1)), \(expr(r.pick([.list, .range, .str]), depth + 1)))"
        case 4: return "filter(\(r.pick(["x -> x > 1", "x -> true", "x -> x", "x -> x == \"a\"", "x -> not (x < 2)"])), \(expr(r.pick([.list, .range]), depth + 1)))"
        case 5:
            var s = "sort(\(expr(r.pick([.list, .range, .str]), depth + 1))"
            if r.chance(1, 2) { s += ", key=\(r.pick(["x -> -x", "len", "str", "x -> x", "x -> [x]", "abs"]))" }
            if r.chance(1, 3) { s += ", reverse=\(r.pick(["true", "false", "1"]))" }
            return s + ")"
        case 6: return "\(r.pick(["reverse", "enumerate", "keys", "values", "zip"]))(\(expr(r.pick([.list, .dict, .range, .str]), depth + 1)))"
        case 7: return "zip(\(expr(.list, depth + 1)), \(expr(r.pick([.list, .range, .str]), depth + 1)))"
        case 8: return "split(\(expr(.str, depth + 1))\(r.chance(1, 2) ? ", " + r.pick(["\",\"", "\" \"", "\"\"", "\"ab\""]) : ""))"
        case 9: return "\(operand(expr(.list, depth + 1))) + \(operand(expr(.list, depth + 1)))"
        case 10: return "\(operand(expr(.list, depth + 1))) * \(pickc(["0", "1", "2", "3"], ["-1", "1.5", "inf"]))"
        case 11: return "\(postfixable(expr(r.pick([.list, .range, .str]), depth + 1)))[\(index(depth))]"
        case 12: return "shuffle(\(expr(.list, depth + 1)))"
        case 13: return "(\(r.pick(["0", "1500", "-5", "3"]))..\(r.pick(["2000", "10", "-2", "3"])))[\(index(depth))]"
        case 14: return "range(\(r.pick(["0", "1", "5", "-3", "0.5"])), \(r.pick(["10", "0", "-5", "2.5", "3"])), \(r.pick(["1", "-1", "2", "0.5", "-0.5", "0", "nan", "inf", "0.1"])))[::\(r.pick(["1", "-1", "2"]))]"
        case 15: return "[\(expr(.any, depth + 1))] * 2"
        default: return atom(.list)
        }
    }

    mutating func dictExpr(_ depth: Int) -> String {
        if r.chance(1, 3) { return atom(.dict) }
        var items: [String] = []
        for _ in 0..<r.int(0, 3) {
            let key: String
            switch r.below(8) {
            case 0..<3: key = r.pick(ProgramGen.fieldNames)
            case 3: key = "\"a b\""
            case 4: key = r.pick(["1", "-0.0", "0", "2.5", "nan"])
            case 5: key = r.pick(["true", "false"])
            case 6: key = "(\(expr(chaos > 0 ? r.pick([.str, .num, .list]) : r.pick([.str, .num]), depth + 1)))"
            default: key = stringLiteral(depth + 1)
            }
            items.append("\(key): \(expr(.any, depth + 1))")
        }
        let sep = r.chance(1, 6) ? ",\n" : ", "
        return "{" + items.joined(separator: sep) + "}"
    }

    mutating func boolExpr(_ depth: Int) -> String {
        switch r.below(13) {
        case 0..<2: return atom(.bool)
        case 2..<5: return "\(operand(expr(.num, depth + 1))) \(r.pick(["<", "<=", ">", ">=", "==", "!="])) \(operand(expr(.num, depth + 1)))"
        case 5: return "\(operand(expr(.any, depth + 1))) \(r.pick(["==", "!="])) \(operand(expr(.any, depth + 1)))"
        case 6: return "not \(operand(expr(.bool, depth + 1)))"
        case 7: return "\(operand(expr(.bool, depth + 1))) \(r.pick(["and", "or"])) \(operand(expr(.bool, depth + 1)))"
        case 8: return "has(\(expr(r.pick([.dict, .list, .str, .range]), depth + 1)), \(r.chance(1, 3) ? r.pick(["1e300", "inf", "-inf", "nan", "1e19", "-1e19", "0.5", "2", "\"a\"", "9.3e18"]) : expr(.any, depth + 1)))"
        case 9: return "\(r.pick(["any", "all"]))(\(expr(.list, depth + 1)))"
        case 10: return "\(r.pick(["startswith", "endswith"]))(\(expr(.str, depth + 1)), \(expr(.str, depth + 1)))"
        case 11: return "isnan(\(expr(.num, depth + 1)))"
        default: return "\(operand(expr(.str, depth + 1))) \(r.pick(["<", ">", "==", "<="])) \(operand(expr(.str, depth + 1)))"
        }
    }

    mutating func fnExpr(_ depth: Int) -> String {
        switch r.below(9) {
        case 0..<2: return atom(.fn)
        case 2..<4:
            let p = r.pick(["x", "y", "n", "a", "α"])
            scopes.append([(p, .num)]); fnDepth += 1
            let body = expr(r.pick([.num, .any, .bool]), depth + 1)
            scopes.removeLast(); fnDepth -= 1
            return "\(p) -> \(body)"
        case 4:
            scopes.append([("a", .num), ("b", .num)]); fnDepth += 1
            let body = expr(.num, depth + 1)
            scopes.removeLast(); fnDepth -= 1
            return "(a, b) -> \(body)"
        case 5: return "() -> \(expr(.any, depth + 1))"
        case 6: return "\(operand(fnExpr(depth + 1))) >> \(operand(fnExpr(depth + 1)))"
        case 7:
            // anonymous function with a block
            var g = ""
            swap(&g, &out)
            let saveIndent = indent
            indent = 0
            functionBody(params: ["p", "q"], defaults: [nil, r.chance(1, 2) ? "p" : nil], name: nil)
            indent = saveIndent
            swap(&g, &out)
            return g.trimmingTrailingNewline()
        default: return r.pick(["len", "str", "print", "type", "sqrt", "num", "bool", "sum", "upper", "sort", "map"])
        }
    }

    mutating func rangeExpr(_ depth: Int) -> String {
        switch r.below(5) {
        case 0: return atom(.range)
        case 1..<3: return "\(r.pick(["0", "1", "-2", "0.5", "3"]))..\(r.pick(["0", "3", "5", "10", "-1", "2.5"]))"
        case 3: return "range(\(r.pick(["0", "5", "-1", "1", "0.5"])), \(r.pick(["10", "0", "-5", "3", "1"])), \(r.pick(["1", "-1", "2", "0.5", "-2", "0.3"])))"
        default:
            let lo = r.chance(1, 2) ? "0" : expr(.num, depth + 1)
            return huge ? "\(lo)..\(expr(.num, depth + 1))" : "\(lo)..\(r.pick(["4", "7", "2", "1"]))"
        }
    }

    mutating func args(_ n: Int, _ depth: Int) -> String {
        var a: [String] = []
        for _ in 0..<n { a.append(expr(.any, depth + 1)) }
        return a.joined(separator: ", ")
    }

    /// A builtin called with random arguments: right or wrong count, right or wrong keywords.
    /// From `good`; in chaotic programs now and then from `bad`.
    mutating func pickc(_ good: [String], _ bad: [String]) -> String {
        chaos > 0 && r.chance(1, 3) ? r.pick(bad) : r.pick(good)
    }

    /// The type a builtin parameter most likely wants, from its name.
    static func paramType(_ name: String) -> Ty {
        switch name {
        case "x", "first", "n", "i", "digits", "low", "high", "start", "stop", "step": return .num
        case "xs": return .list
        case "s", "sep", "end", "prefix", "suffix", "old", "new", "chars", "spec", "message", "path", "text": return .str
        case "d": return .dict
        case "f", "key": return .fn
        case "reverse", "condition": return .bool
        default: return .any
        }
    }

    mutating func randomBuiltinCall(_ depth: Int) -> String {
        let b = r.pick(builtins)
        var parts: [String] = []
        let positional = b.positionalCount
        var n: Int
        let wild = chaos > 0 && r.chance(1, 2)
        switch wild ? r.below(6) : 5 {
        case 0: n = b.requiredCount
        case 1: n = max(0, b.requiredCount - 1)
        case 2: n = positional + 1 + (b.rest ? r.below(3) : 0)
        default: n = r.int(b.requiredCount, max(b.requiredCount, positional))
        }
        if b.rest && !wild && n >= positional { n += r.below(3) }
        if cheapOnly && b.name == "print" { n = 0 }
        for k in 0..<n {
            let ty = k < b.params.count ? ProgramGen.paramType(b.params[k].name) : .any
            parts.append(expr(wild ? .any : ty, depth + 1))
        }
        if r.chance(1, 3), n < b.params.count || wild, !b.params.isEmpty {
            let p = wild ? r.pick(b.params) : b.params[r.int(min(n, b.params.count - 1), b.params.count - 1)]
            parts.append("\(p.name)=\(expr(wild ? .any : ProgramGen.paramType(p.name), depth + 1))")
        }
        if wild && r.chance(1, 6) { parts.append("\(r.pick(["nope", "key", "sep", "end", "x"]))=\(expr(.any, depth + 1))") }
        return "\(b.name)(\(parts.joined(separator: ", ")))"
    }

    mutating func userCall(_ depth: Int) -> String {
        let f = r.pick(fns)
        var parts: [String] = []
        let n: Int
        let wild = chaos > 0 && r.chance(1, 3)
        switch wild ? r.below(3) : 2 {
        case 0: n = max(0, f.required - 1)
        case 1: n = f.arity + 1
        default: n = r.int(f.required, f.arity)
        }
        for _ in 0..<n { parts.append(expr(r.chance(3, 4) ? .num : .any, depth + 1)) }
        if r.chance(1, 4) && n < f.arity {
            let p = f.params[r.int(n, f.arity - 1)]
            parts.append("\(p)=\(expr(.num, depth + 1))")
        }
        if wild && r.chance(1, 4) { parts.append("\(r.pick(["zz", f.params.first ?? "q"]))=1") }
        return "\(f.name)(\(parts.joined(separator: ", ")))"
    }

    // MARK: statements

    mutating func line(_ s: String) {
        out += String(repeating: "    ", count: indent) + s + "\n"
    }

    mutating func block(_ n: Int) {
        indent += 1
        for _ in 0..<max(1, n) { statement() }
        indent -= 1
    }

    mutating func statement() {
        budget -= 1
        if budget <= 0 { line(simpleAssign()); return }
        let nesting = indent < 3
        var weights = [10, 4, 3, 2, 4, 3, 3, 3, 2, 2, 2, 3, 1, 2]
        if !nesting { weights[5] = 0; weights[6] = 0; weights[7] = 0; weights[8] = 0 }
        if cheapOnly { weights[4] = 0; weights[8] = 0; weights[13] = 0 }
        // the special shapes include self-insertion (`xs[:0] = xs`): exponential in a loop
        if cheapOnly || loopDepth > 0 { weights[11] = 0 }
        switch r.weighted(weights) {
        case 0: line(simpleAssign())
        case 1:
            // a list or string multiplied in a loop grows exponentially: only numbers there
            let vars = chaos > 0 && loopDepth == 0 && !cheapOnly ? visible(nil) : visible(.num)
            let v = vars.isEmpty ? "n" : r.pick(vars)
            if vars.isEmpty { line("n = \(number())"); declare("n", .num) }
            let op = r.pick(["+=", "-=", "*=", "/="])
            line("\(v) \(op) \(cheapOnly || loopDepth > 0 ? number() : expr(.num, 1))")
        case 2:
            let target: String
            switch r.below(4) {
            case 0: target = "\(r.pick(visible(.list) + ["xs"]))[\(index(2))]"
            case 1: target = "\(r.pick(visible(.dict) + ["d"]))[\(expr(r.pick([.str, .num, .bool]), 2))]"
            case 2: target = "\(r.pick(visible(.dict) + ["d"])).\(r.pick(ProgramGen.fieldNames))"
            default: target = "\(r.pick(visible(.list) + ["xs"]))[\(r.pick(["0:1", "1:", ":", "::2", "::-1", "-1:", "2:1", "5:", "::0", "1:3"]))]"
            }
            let ops = cheapOnly || loopDepth > 0 ? ["="] : ["=", "=", "=", "+=", "*="]
            var value: String
            if loopDepth > 0 && !cheapOnly {
                // no self-reference in a loop (`xs[:0] = xs + xs` doubles each time)
                let saved = scopes
                let base = String(target.prefix { $0 != "[" && $0 != "." })
                for i in scopes.indices { scopes[i].removeAll { $0.0 == base } }
                value = expr(.any, 1)
                scopes = saved
                if value.contains(base) { value = number() }
            } else {
                value = cheapOnly ? number() : expr(.any, 1)
            }
            line("\(target) \(r.pick(ops)) \(value)")
        case 3:
            let a = name(), b = name()
            line("\(a), \(b) = \(pickc(["[1, 2]", "\"ab\"", "0..2", "{x: 1, y: 2}", "enumerate([\"q\"])[0]", "[[1], 2]", "[\(expr(.any, 2)), \(expr(.any, 2))]"], ["[1, 2, 3]", "nil", "5", "[]"]))")
            declare(a, .any); declare(b, .any)
        case 4:
            var s = "print(\(args(r.int(0, 3), 1))"
            if r.chance(1, 5) { s += (s.hasSuffix("(") ? "" : ", ") + "sep=\(pickc(["\"\"", "\", \"", "\"|\""], ["1", "nil"]))" }
            if r.chance(1, 6) { s += (s.hasSuffix("(") ? "" : ", ") + "end=\(pickc(["\"\"", "\"!\\n\""], ["2"]))" }
            line(s + ")")
        case 5:
            line("if \(boolExpr(1)) {")
            block(r.int(1, 2))
            var more = r.int(0, 2)
            while more > 0 {
                more -= 1
                if r.chance(1, 2) {
                    line("} else if \(boolExpr(1)) {")
                } else {
                    line("} else {"); more = 0
                }
                block(r.int(1, 2))
            }
            line("}")
        case 6: forLoop()
        case 7: whileLoop()
        case 8: functionDef()
        case 9:
            if loopDepth > 0 || r.chance(1, 30) { line(r.pick(["break", "continue"])) }
            else if fnDepth > 0 || r.chance(1, 30) { line(r.chance(1, 4) ? "return" : "return \(expr(.any, 1))") }
            else { line(simpleAssign()) }
        case 10: line(expr(.any, 0))
        case 11: line(specialPattern())
        case 12:
            line(r.pick(["import \(r.pick(["rl", "nosuchmodule", "tasks", "x"]))", fnDepth > 0 || r.chance(1, 6) ? "global \(r.pick(ProgramGen.namePool))" : "n = 1",
                         "assert(\(boolExpr(1)), \(stringLiteral(1)))", "error(\(expr(.any, 1)))", "seed(\(r.pick(["0", "1", "-1", "0.5", "42"])))"]))
        default:
            if !fns.isEmpty { line(userCall(1)) } else { line(randomBuiltinCall(1)) }
        }
    }

    mutating func simpleAssign() -> String {
        let ty: Ty = r.pick([.num, .num, .str, .list, .list, .dict, .bool, .fn, .range, .any])
        let vars = scopes[scopes.count - 1].filter { $0.1 == ty }.map(\.0)
        let n = !vars.isEmpty && r.chance(1, 3) ? r.pick(vars) : name()
        // in loops, a variable is never rebuilt from itself (no doubling: bounded memory)
        let value: String
        if loopDepth > 0 || cheapOnly {
            let saved = scopes
            for i in scopes.indices { scopes[i].removeAll { $0.0 == n } }
            value = cheapOnly ? atom(ty == .num ? .num : .any) : expr(ty, 1)
            scopes = saved
        } else {
            value = expr(ty, 0)
        }
        declare(n, ty)
        return "\(n) = \(value)"
    }

    mutating func forLoop() {
        let v = r.pick(["i", "x", "k", "item", "ch"])
        let seq: String
        switch r.below(7) {
        case 0..<3: seq = "0..\(r.pick(["3", "5", "2", "0", "-1", "4"]))"
        case 3: seq = "range(\(r.pick(["0", "5", "10"])), \(r.pick(["4", "0", "-1"])), \(r.pick(["1", "-1", "2", "-2", "0.5"])))"
        case 4: seq = r.pick(visible(.list) + ["[1, 2, 3]"])
        case 5: seq = r.pick(["\"héllo\"", "{a: 1, b: 2}", "[[1, 2], [3, 4]]", "\"\"", "nil", "5", "keys({x: 1})"])
        default:
            // destructuring loop
            let w = r.pick(["j", "y", "val"])
            line("for \(v), \(w) in \(r.pick(["enumerate([\"a\", \"b\"])", "enumerate(\"xyz\")", "[[1, 2], [3, 4]]", "zip([1, 2], [3, 4])", "[[1, 2, 3]]", "[1, 2]", "enumerate(0..3)"])) {")
            declare(v, .any); declare(w, .any)
            loopDepth += 1; block(r.int(1, 3)); loopDepth -= 1
            line("}")
            return
        }
        line("for \(v) in \(seq) {")
        declare(v, .any)
        loopDepth += 1; block(r.int(1, 3)); loopDepth -= 1
        line("}")
    }

    mutating func whileLoop() {
        let i = r.pick(["i", "n", "count"])
        if r.chance(2, 3) {
            line("\(i) = 0")
            declare(i, .num)
            line("while \(i) < \(r.pick(["3", "5", "2", "0", "4"])) {")
            loopDepth += 1
            indent += 1
            line("\(i) += 1")
            indent -= 1
            block(r.int(1, 2))
            loopDepth -= 1
            line("}")
        } else {
            // runs until the step budget stops it (or a break): only cheap statements inside
            line("\(i) = 0")
            declare(i, .num)
            line("while \(r.pick(["true", "\(i) >= 0", "\(i) != -1"])) {")
            let saved = cheapOnly
            cheapOnly = true; loopDepth += 1
            indent += 1
            line("\(i) += 1")
            if r.chance(1, 2) { line("if \(i) > \(r.pick(["10", "100", "30000"])) { break }") }
            indent -= 1
            block(r.int(1, 2))
            cheapOnly = saved; loopDepth -= 1
            line("}")
        }
    }

    mutating func functionDef() {
        let fname = r.pick(["f", "g", "h", "fib", "count", "make", "step", "ƒ"]) + (r.chance(1, 2) ? "" : String(fresh))
        fresh += 1
        let pcount = r.int(0, 3)
        var params: [String] = []
        var defaults: [String?] = []
        var sawDefault = false
        for k in 0..<pcount {
            let p = ["a", "b", "c"][k]
            params.append(p)
            if sawDefault || r.chance(1, 3) {
                sawDefault = true
                // defaults may use earlier parameters, and close over them
                switch r.below(6) {
                case 0 where k > 0: defaults.append("\(params[0]) + 1")
                case 1 where k > 0: defaults.append("() -> \(params[0])")
                case 2 where k > 0: defaults.append("fn () { \(params[k - 1]) }")
                case 3: defaults.append(r.pick(["[]", "{}", "nil", "\"s\""]))
                default: defaults.append(number())
                }
            } else {
                defaults.append(nil)
            }
        }
        if r.chance(1, 12) && pcount > 1 { params[1] = params[0] }   // duplicate parameter
        declare(fname, .fn)
        fns.append(FnSig(name: fname, arity: params.count, required: defaults.prefix { $0 == nil }.count, params: params))
        functionBody(params: params, defaults: defaults, name: fname)
    }

    /// `fn name(params) { body }`, or an anonymous `fn (params) { body }` when name is nil.
    mutating func functionBody(params: [String], defaults: [String?], name fname: String?) {
        var ps: [String] = []
        for (p, d) in zip(params, defaults) { ps.append(d.map { "\(p)=\($0)" } ?? p) }
        line("fn \(fname.map { $0 } ?? "")(\(ps.joined(separator: ", "))) {")
        scopes.append(params.map { ($0, Ty.num) })
        let savedLoop = loopDepth, savedCheap = cheapOnly
        loopDepth = 0; cheapOnly = false
        fnDepth += 1
        indent += 1
        // closures over the parameters: what the defaults and the cells interact with
        if let p = params.first, r.chance(1, 2) {
            line("\(r.pick(["inner", "get", "k"])) = \(r.chance(1, 2) ? "() -> \(p)" : "fn () { \(p) += 1; \(p) }")")
        }
        if r.chance(1, 6) { line("global \(r.pick(["x", "total", "n"]))") }
        indent -= 1
        block(r.int(1, 3))
        indent += 1
        if let f = fname, r.chance(1, 4), !params.isEmpty {
            // recursion, bounded or not (maxDepth ends it)
            line(r.chance(1, 2) ? "if \(params[0]) > 0 { \(f)(\(params[0]) - 1) } else { 0 }" : "\(f)(\(params.map { _ in "1" }.joined(separator: ", ")))")
        } else {
            line(expr(.any, 1))
        }
        indent -= 1
        fnDepth -= 1
        loopDepth = savedLoop; cheapOnly = savedCheap
        scopes.removeLast()
        line("}")
    }

    /// Hand-written shapes aimed at the corners: cycles, closures, shared mutable values.
    mutating func specialPattern() -> String {
        let l = r.pick(visible(.list) + ["xs"]), d = r.pick(visible(.dict) + ["d"])
        switch r.below(14) {
        case 0: return r.chance(1, 2) ? "push(\(l), \(l))"
            : "cy1 = [1]; push(cy1, cy1); cy2 = [1]; push(cy2, cy2); \(r.pick(["cy1 == cy2", "has([cy1], cy2)", "remove([cy1], cy2)", "print(cy1 != cy2)"]))"
        case 1: return r.chance(1, 2) ? "\(d).self = \(d)" : "cd1 = {}; cd1.me = cd1; cd2 = {}; cd2.me = cd2; print(cd1 == cd2)"
        case 2: return "\(l) == \(r.pick(visible(.list) + ["[1, [1]]"]))"
        case 3: return "print(\(l), \(d))"
        case 4: return "insert(\(l), \(r.pick(["0", "-1", "100", "-100", "0.5"])), \(expr(.any, 2)))"
        case 5: return "pop(\(l)\(r.chance(1, 2) ? ", " + r.pick(["0", "-1", "5", "-9", "0.5"]) : ""))"
        case 6: return "remove(\(l), \(expr(.any, 2)))"
        case 7: return fnDepth > 0 ? "c = 0; fn inc() { c += 1; c }; inc(); inc()" : "c = 0; fn inc() { global c; c += 1; c }; inc(); inc()"
        case 8: return "reduce(\(r.pick(["(a, b) -> a + b", "(a, b) -> [a, b]", "max", "x -> x"])), \(expr(r.pick([.list, .range, .str]), 2))\(r.chance(1, 2) ? ", " + expr(.any, 2) : ""))"
        case 9: return "fn r(n) { r(n + 1) }; r(0)"
        case 10: return "\(l)[\(r.pick(["0:0", "len(\(l)):", "-100:100", "1:0", "::-1"]))] = \(r.pick(["[]", "[1, 2, 3]", "\(l)", "\"ab\"", "0..2"]))"
        case 11: return "m = {}; m[\(r.pick(["0", "-0.0", "nan", "true", "1", "\"1\""]))] = 1; m[\(r.pick(["0", "-0.0", "nan", "true"]))]"
        case 12: return "has(\(r.pick(["0..10", "range(0, 10, 0.5)", "range(10, 0, -1)", "-5..5", "range(0, 1e300)"])), \(r.pick(["1e300", "inf", "-inf", "nan", "1e19", "-1e19", "0.5", "9.3e18", "5", "-9.3e18", "1e20"])))"
        default: return "(\(r.pick(["0..2000", "0..1500", "range(0, 3000)", "range(2000)"])))[\(r.pick(["1500", "1025", "1024", "2000", "-1"])):\(r.chance(1, 2) ? "" : "5"):\(r.pick(["9223372036854774784", "4611686018427387904", "9e18", "1e18", "-9223372036854774784"]))]"
        }
    }

    /// A whole program: a few definitions, then statements.
    mutating func program() -> String {
        budget = r.int(20, 90)
        chaos = r.pick([0, 0, 0, 60, 25, 12])
        if r.chance(31, 32) { line("xs = \(r.pick(["[1, 2, 3]", "[]", "[\"b\", \"a\"]", "[0.5, -1]", "[3, 1, 2]"]))"); declare("xs", .list) }
        if r.chance(31, 32) { line("d = \(r.pick(["{a: 1}", "{}", "{lr: 0.1, steps: 3}", "{a: 1, b: [1, 2], \"c d\": \"e\"}"]))"); declare("d", .dict) }
        if r.chance(1, 3) { line("s = \(stringLiteral(1))"); declare("s", .str) }
        if r.chance(1, 2) { line("n = \(number())"); declare("n", .num) }
        for _ in 0..<r.int(1, 7) { statement() }
        return out
    }
}

extension String {
    func trimmingTrailingNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}
