// mlp-fuzz: feeds seeded random inputs through the whole pipeline (lexer,
// parser, resolver, interpreter) and checks that every input ends in a value
// or a located MLPError, never in a trap or a hang.
//
//   mlp-fuzz --count N --seed S [--verbose]    the fuzz run (make fuzz: N = 100000)
//   mlp-fuzz --print K --seed S                 writes input #K of that run to stdout
//   mlp-fuzz --run FILE                         runs one file the way the fuzzer does
//   mlp-fuzz --minimize FILE [--out FILE]       shrinks a crashing input, keeping its trap message
//   mlp-fuzz --sweep                            every builtin with extreme arguments (below)
//
// Input #K is a pure function of (seed, K), so any input can be regenerated.
// Inputs (--kind K runs only one kind): 0 random programs from a small grammar of
// the language; 1 byte-level mutations of those; 2 mutations of the golden tests,
// examples and benchmarks (and a few built-in snippets); 3 splices of two inputs;
// 4 token soup; 5 random bytes (invalid UTF-8 included); 6 REPL sessions (the
// statements of a program as separate entries, with `:reset`s between).
// `--sweep` replaces the random inputs by one call per input: every builtin of the
// registry (but the forbidden ones below) with extreme arguments (0, -1, nan, inf,
// 1e308, 2^62, empty and zero-size tensors, wrong types) in each place, and the
// value it returns called with each (a layer); --count then defaults to all of them.
// Each input runs in a fresh Session (step budget 20000, maxDepth 200), with the
// global generator seeded to 0, so a saved input reproduces alone.
//
// A Swift trap kills the process, so the run is supervised: a forked child runs
// the inputs and records in shared memory which one it is on; when the child dies
// (a crash) or stays on one input too long (a hang) the parent records that input,
// saves it, and forks a new child that goes on with the next one. Before each
// input runs, the child also writes it to /tmp/mlp-fuzz-current.mlp, so even
// `--no-fork` leaves the culprit behind.
//
// The fuzzer is side-effect free: builtins touching files or the clock are not
// generated and are renamed away in mutated inputs, the program's file name lies
// in a directory that does not exist (so `import` finds nothing), and print
// output goes to a capturing Output that is dropped after each input.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

// MARK: - options

struct Options {
    var count = 100_000
    var seed: UInt64 = 1
    var start = 0
    var verbose = false
    var fork = true
    /// Also generate huge numbers (huge ranges, repetition counts): these find
    /// the known hang classes, so they are off by default.
    var huge = false
    var hangMs = 1500
    var slowMs = 100
    var stepBudget = 20_000
    var maxDepth = 200
    var memMB = 4096
    /// The interpreter thread's stack. The CLI uses 1 GiB; with maxDepth 200 a legitimate
    /// program needs far less, and a runaway recursion (a crash either way) ends sooner.
    var stackMB = 64
    var currentPath = "/tmp/mlp-fuzz-current.mlp"
    var crashDir = "/tmp"
    var printIndex: Int? = nil
    var runFile: String? = nil
    var minimizeFile: String? = nil
    var outFile: String? = nil
    var corpusDirs: [String] = []
    /// Only inputs of this kind (0 grammar, 1 mutated grammar, 2 mutated corpus, 3 splice, 4 tokens, 5 bytes).
    var kind: Int? = nil
    /// Print the most common error messages at the end (for tuning the generator).
    var stats = false
    /// The registry sweep instead of random inputs.
    var sweep = false
    var countGiven = false
}

let usage = """
usage: mlp-fuzz [--count N] [--seed S] [--start K] [--verbose] [--huge] [--no-fork] [--kind K] [--stats] [--sweep]
                [--hang-ms MS] [--slow-ms MS] [--mem-mb MB] [--stack-mb MB] [--steps N] [--max-depth N]
                [--current FILE] [--crash-dir DIR] [--corpus DIR]...
       mlp-fuzz --print K [--seed S] [--huge]
       mlp-fuzz --run FILE
       mlp-fuzz --minimize FILE [--out FILE]

"""

func die(_ message: String) -> Never {
    writeStderr("mlp-fuzz: \(message)\n\(usage)")
    exit(64)
}

func parseOptions() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())[...]
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else { die("\(flag) needs a value") }
        return v
    }
    func int(_ flag: String) -> Int {
        guard let n = Int(value(flag)), n >= 0 else { die("\(flag) needs a non-negative integer") }
        return n
    }
    while let a = args.popFirst() {
        switch a {
        case "--count": o.count = int(a); o.countGiven = true
        case "--seed":
            guard let s = UInt64(value(a)) else { die("--seed needs a non-negative integer") }
            o.seed = s
        case "--start": o.start = int(a)
        case "--verbose", "-v": o.verbose = true
        case "--no-fork": o.fork = false
        case "--huge": o.huge = true
        case "--hang-ms": o.hangMs = max(int(a), 10)
        case "--slow-ms": o.slowMs = int(a)
        case "--steps": o.stepBudget = int(a)
        case "--max-depth": o.maxDepth = int(a)
        case "--mem-mb": o.memMB = int(a)
        case "--stack-mb": o.stackMB = max(int(a), 1)
        case "--current": o.currentPath = value(a)
        case "--crash-dir": o.crashDir = value(a)
        case "--print": o.printIndex = int(a)
        case "--run": o.runFile = value(a)
        case "--minimize": o.minimizeFile = value(a)
        case "--out": o.outFile = value(a)
        case "--corpus": o.corpusDirs.append(value(a))
        case "--kind": o.kind = int(a)
        case "--stats": o.stats = true
        case "--sweep": o.sweep = true
        case "--help", "-h": print(usage, terminator: ""); exit(0)
        default: die("unknown option '\(a)'")
        }
    }
    return o
}

// MARK: - small utilities

@inline(__always) func nowNs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; return }
        off += n
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return false }
    writeAll(fd, bytes)
    close(fd)
    return true
}

func readWholeFile(_ path: String) -> [UInt8]? { readFileBytes(path) }

func listDirectory(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

/// All `.mlp` files below `dir`, sorted (so the corpus, and the run, are deterministic).
func mlpFiles(under dir: String, depth: Int = 0) -> [String] {
    guard depth < 6 else { return [] }
    var out: [String] = []
    for name in listDirectory(dir) {
        let path = dir + "/" + name
        if directoryExists(path) { if !name.hasPrefix(".") { out += mlpFiles(under: path, depth: depth + 1) } }
        else if name.hasSuffix(".mlp") && fileExists(path) { out.append(path) }
    }
    return out
}

/// The package root: the current directory or a folder above the executable holding Package.swift.
func packageRoot() -> String? {
    if fileExists("Package.swift") && directoryExists("Tests") { return "." }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    for _ in 0..<8 {
        guard let slash = dir.lastIndex(of: "/") else { break }
        dir = String(dir[..<slash])
        if dir.isEmpty { break }
        if fileExists(dir + "/Package.swift") && directoryExists(dir + "/Tests") { return dir }
    }
    return nil
}

// MARK: - random numbers

/// SplitMix64: tiny, fast, and the same everywhere.
struct RNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n (0 when n <= 1).
    @inline(__always) mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    /// True with probability num/den.
    @inline(__always) mutating func chance(_ num: Int, _ den: Int) -> Bool { below(den) < num }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + below(hi - lo + 1) }
    /// Index into cumulative weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        let total = weights.reduce(0, +)
        var x = below(total)
        for (i, w) in weights.enumerated() { if x < w { return i }; x -= w }
        return weights.count - 1
    }
}

func inputSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
    var r = RNG(seed &* 0xD1B5_4A32_D192_ED03 ^ 0x5851_F42D_4C95_7F2D)
    r.state &+= UInt64(truncatingIfNeeded: index) &* 0xA24B_AED4_963E_E407
    _ = r.next()
    return r.next()
}

// MARK: - builtins the generator may call

struct BuiltinSig {
    let name: String
    let params: [(name: String, required: Bool, keywordOnly: Bool)]
    let rest: Bool
    var requiredCount: Int { params.filter { $0.required }.count }
    var positionalCount: Int { params.filter { !$0.keywordOnly }.count }
}

/// Builtins that touch the file system, the clock or stdin: never generated,
/// and renamed away when a mutation or a corpus file produces them. So is `file`,
/// the plot builtins' option that writes a file: they draw in the captured output.
let forbiddenNames: Set<String> = [
    "read_text", "write_text", "exists", "time", "clock", "input", "read_line", "readline",
    "load_npy", "save_npy", "load_npz", "save_npz", "load_csv", "save_csv", "load_idx", "fashion_mnist", "digits",
    "file", "savefig", "save", "load", "tsne", "word2vec", "load_glove", "kjv",
]

/// The shortest and longest forbidden name (a cheap filter before the set lookup; a
/// fixed 4...10 once let `fashion_mnist` through, and the fuzzer loaded the data set).
let forbiddenLengths = forbiddenNames.map(\.utf8.count).min()!...forbiddenNames.map(\.utf8.count).max()!

func builtinSignatures() -> (functions: [BuiltinSig], constants: [String]) {
    let registry = Registry.standard(argv: [])
    var fns: [BuiltinSig] = [], consts: [String] = []
    for e in registry.entries where !forbiddenNames.contains(e.name) {
        if case .builtin(let b) = e.value {
            fns.append(BuiltinSig(name: e.name, params: b.params.map { ($0.name, $0.defaultValue == nil, $0.keywordOnly) }, rest: b.rest != nil))
        } else {
            consts.append(e.name)
        }
    }
    return (fns, consts)
}

@inline(__always) func isIdentByte(_ c: UInt8) -> Bool {
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 || c >= 0x80 || (c >= 48 && c <= 57)
}

/// Renames forbidden identifiers (`write_text` becomes `Xrite_text`), skipping nothing
/// else: the text stays a realistic input but cannot reach the file system or the clock.
func sanitize(_ bytes: inout [UInt8]) {
    var i = 0
    let n = bytes.count
    while i < n {
        if isIdentByte(bytes[i]) && !(bytes[i] >= 48 && bytes[i] <= 57) {
            var j = i
            while j < n && isIdentByte(bytes[j]) { j += 1 }
            let len = j - i
            if len >= forbiddenLengths.lowerBound && len <= forbiddenLengths.upperBound {
                let word = String(decoding: bytes[i..<j], as: UTF8.self)
                if forbiddenNames.contains(word) { bytes[i] = UInt8(ascii: "X") }
            }
            i = j
        } else {
            i += 1
        }
    }
}

// MARK: - the registry sweep

/// Arguments at the edges: zero, negative, nan, the infinities, the largest and a
/// subnormal double, 2^62, empty and zero-size tensors (one that the size checks
/// refuse: its dimensions other than 0 overflow), values of the wrong type.
let extremeArguments = [
    "0", "-1", "nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "2^62", "-2^62", "50000",
    "[]", "[1, 2]", "zeros(0)", "zeros(0, 3)", "zeros(3, 0)", "zeros(2, 0, 2)", "zeros(0, 2^20)", "zeros(2^62, 4, 0)",
    "tensor(5)", "ones(2, 2)", "full([2, 2], 1e308)", "rand(1, 2, 2, 1)", "\"s\"", "nil", "true", "x -> x", "{}", "range(3)",
]

/// The sweep's calls: each builtin with each extreme argument in all its required
/// places, then in one place with the others 1 or a matrix, then what it returns
/// (for the required places 2) called with it: `batchnorm()(zeros(3, 0))`.
func sweepCalls(_ builtins: [BuiltinSig]) -> [String] {
    var calls: [String] = []
    for f in builtins {
        let places = max(f.params.filter { $0.required && !$0.keywordOnly }.count, min(f.positionalCount, 1))
        func call(_ args: [String]) -> String { "\(f.name)(\(args.joined(separator: ", ")))" }
        for v in extremeArguments {
            calls.append(call(Array(repeating: v, count: places)))
            for fill in ["1", "ones(2, 2)"] where places > 1 {
                for i in 0..<places {
                    var args = Array(repeating: fill, count: places)
                    args[i] = v
                    calls.append(call(args))
                }
            }
            calls.append(call(Array(repeating: "2", count: f.requiredCount)) + "(\(v))")
        }
    }
    return calls
}

// MARK: - the program generator

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

// MARK: - mutations

let interestingTokens: [String] = [
    "{", "}", "(", ")", "[", "]", "\"", "\\", "->", "..", ":", "^", "%", "@", ",", ";", "\n", "=", "==", "!=", "#", "!",
    "fn", "if", "else", "while", "for", "in", "return", "break", "continue", "not", "and", "or", "nil", "true", "false",
    "global", "import", "x", "xs", "0", "-", "+", "*", "/", ">>", "1e", "1e309", ".", "\"{", "}\"", "{x:", "\\{", "α",
    "\u{FFFD}", "\t", "\r", " ", "\0", "'", "\\\n", "1_", "._", ".5.", "0..", "-1", "9223372036854774784", "nan", "inf",
    "\"\\", "\"{1:.1001f}\"", "\"{x:>10000}\"", "print(", "len(", "f(", "x ->", "(a, b) ->", "fn (", "[::-1]", "[1:]",
    "+=", "-=", "*=", "/=", "<=", ">=", "<", ">", "_", "__", "é", "🙂", "\u{301}", "\u{2028}", "\u{0085}", "\u{00A0}",
]

struct Mutator {
    var r: RNG

    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var b = input
        let rounds = r.pick([1, 1, 1, 2, 2, 3, 4, 6])
        for _ in 0..<rounds { step(&b, other) }
        if b.count > 20_000 { b.removeLast(b.count - 20_000) }
        return b
    }

    mutating func pos(_ b: [UInt8]) -> Int { r.below(b.count + 1) }

    mutating func step(_ b: inout [UInt8], _ other: [UInt8]) {
        switch r.below(15) {
        case 0:   // flip a bit
            if !b.isEmpty { b[r.below(b.count)] ^= UInt8(1) << UInt8(r.below(8)) }
        case 1:   // replace a byte
            if !b.isEmpty { b[r.below(b.count)] = r.chance(1, 2) ? UInt8(truncatingIfNeeded: r.next()) : r.pick(Array("{}()[]\":\\.^%-> \n#,;=0x".utf8)) }
        case 2, 3:   // delete a range
            if !b.isEmpty {
                let s = r.below(b.count), n = min(b.count - s, r.pick([1, 1, 2, 3, 5, 8, 16, 40]))
                b.removeSubrange(s..<(s + n))
            }
        case 4:   // duplicate a range
            if !b.isEmpty {
                let s = r.below(b.count), n = min(b.count - s, r.int(1, 32))
                let chunk = Array(b[s..<(s + n)])
                b.insert(contentsOf: chunk, at: pos(b))
            }
        case 5, 6, 7:   // insert a token
            b.insert(contentsOf: Array(r.pick(interestingTokens).utf8), at: pos(b))
        case 8:   // truncate
            if !b.isEmpty { b.removeLast(b.count - r.below(b.count)) }
        case 9:   // splice: a piece of the other input
            if !other.isEmpty {
                let s = r.below(other.count), n = min(other.count - s, r.int(1, 200))
                b.insert(contentsOf: other[s..<(s + n)], at: pos(b))
            }
        case 10:   // deep nesting around a position
            let open = r.pick(["(", "[", "{", "-", "not ", "x -> ", "[[", "if true { ", "\"{", "f(", "2^"])
            let close = ["(": ")", "[": "]", "{": "}", "[[": "]]", "if true { ": " }", "\"{": "}\"", "f(": ")"][open] ?? ""
            let depth = r.pick([10, 100, 199, 200, 201, 250, 400, 1000])
            let p = pos(b)
            let whole = r.chance(1, 2)
            let q = whole ? b.count : p
            if !close.isEmpty && r.chance(2, 3) {
                b.insert(contentsOf: Array(String(repeating: close, count: depth).utf8), at: q)
            }
            b.insert(contentsOf: Array(String(repeating: open, count: depth).utf8), at: whole ? 0 : p)
        case 11:   // replace a number with an interesting one
            if let s = b.indices.shuffledFirst(where: { b[$0] >= 48 && b[$0] <= 57 }, &r) {
                var e = s
                while e < b.count && (b[e] >= 48 && b[e] <= 57 || b[e] == UInt8(ascii: ".")) { e += 1 }
                let n = r.pick(["0", "-1", "1e300", "0.5", "1e-320", "9007199254740993", "1e15", "2000", "1025", "-0.0", "nan", "255", "3"])
                b.replaceSubrange(s..<e, with: Array(n.utf8))
            }
        case 12:   // swap two lines
            var lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            if lines.count > 1 {
                lines.swapAt(r.below(lines.count), r.below(lines.count))
                b = Array(lines.joined(separator: [10]))
            }
        case 13:   // repeat a line (long programs, long lines)
            let lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            if !lines.isEmpty {
                let l = lines[r.below(lines.count)]
                let times = r.pick([2, 3, 10, 50])
                var out = b
                for _ in 0..<times { out += [10] + l }
                b = out
            }
        default:   // invalid UTF-8 / odd bytes
            b.insert(contentsOf: r.pick([[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xC0, 0xAF], [0], [0xEF, 0xBB, 0xBF]]), at: pos(b))
        }
    }
}

extension Range where Bound == Int {
    /// A random index satisfying the predicate (a random start, then the first match after it, wrapping).
    func shuffledFirst(where p: (Int) -> Bool, _ r: inout RNG) -> Int? {
        guard !isEmpty else { return nil }
        let start = lowerBound + r.below(count)
        for k in 0..<count {
            let i = lowerBound + (start - lowerBound + k) % count
            if p(i) { return i }
        }
        return nil
    }
}

// MARK: - built-in seed snippets (used with the golden tests and examples as the mutation corpus)

let seedSnippets: [String] = [
    "print(1 + 2 * 3)\nprint(-2^2)\nprint(2^3^2)\nprint(7 % -3)\n",
    "fn counter() {\n    c = 0\n    fn inc() { c += 1; c }\n    inc\n}\nk = counter()\nk()\nprint(k())\n",
    "fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }\nprint(\"fib(10) =\", fib(10))\n",
    "squares = map(x -> x^2, 1..6)\nprint(\"squares:\", squares, \"sum\", sum(squares))\n",
    "config = {lr: 0.01, steps: 300}\nfor key in config { print(\"{key:>6} = {config[key]}\") }\n",
    "xs = [5, 3, 8]\nxs[0] = 1\nxs[-1] += 2\nprint(xs[::-1], xs[1:], len(xs))\nx, y = [1, 2]\nprint(x, y)\n",
    "fn f(a, b=2, c=a + b) { a * b + c }\nprint(f(1), f(1, c=0), f(a=3))\n",
    "s = \"E = {1.5:8.3e} and {0.25:.1%} {42:+d} {\"x\"}\"\nprint(s, format(3.14159, \".2f\"))\n",
    "i = 0\nwhile true {\n    i += 1\n    if i % 2 == 0 { continue }\n    if i > 7 { break }\n}\nprint(i)\n",
    "g = fn (a) { return a + 1 }\nh = g >> (x -> x * 2)\nprint(h(3), type(h), str(h))\n",
    "d = {a: 1, \"a b\": 2, 3: [1, 2]}\nd.c = 4\nprint(d, keys(d), values(d), has(d, \"a\"))\n",
    "for i, x in enumerate([\"a\", \"b\"]) { print(i, x) }\nprint(zip([1, 2], \"ab\"), sort([3, 1, 2], reverse=true))\n",
    "total = 0\nfn add(x) {\n    global total\n    total += x\n}\nadd(5)\nprint(total)\n",
    "y = if 1 < 2 { \"yes\" } else { \"no\" }\nprint(y, not true, true and false or true)\n",
    "print(range(0, 10, 3), 0..5, (0..5)[-1], (0..10)[2:5], len(range(10, 0, -2)))\n",
    "print(split(\"a,b,,c\", \",\"), join([1, 2, 3], \"-\"), upper(\"mlp\"), strip(\"  hi \"), replace(\"a-b\", \"-\", \"+\"))\n",
    "seed(3)\nprint(randint(1, 7), choice([1, 2, 3]), shuffle([1, 2, 3]), round(rand(), 2))\n",
    "θ₀ = 1.5\nħ = 1e-3\nprint(θ₀ / ħ, 1_000_000, .5, 6.02e23, 1e-5, 0.1 + 0.2)\n",
    "fn outer() {\n    x = 1\n    fn mid() {\n        fn inner() { x += 1; x }\n        inner\n    }\n    mid()()\n}\nprint(outer())\n",
    "xs = []\nfor i in 0..5 { push(xs, i * i) }\nprint(pop(xs), xs, reduce((a, b) -> a + b, xs), filter(x -> x > 3, xs))\n",
    "assert(1 < 2, \"fine\")\nprint(min(3, 1, 2), max([3, 1, 2]), mean([1, 2, 3, 4]), isnan(0 / 0), abs(-2))\n",
    "x = 1 # comment\n#! not first\nprint(x); print(x + 1)\nif x == 1 {\n    print(\"one\")\n}\nelse {\n    print(\"other\")\n}\n",
]

// MARK: - one input

/// Input #index of a run: a pure function of (seed, index).
struct InputFactory {
    let seed: UInt64
    let huge: Bool
    let builtins: [BuiltinSig]
    let constants: [String]
    let corpus: [[UInt8]]
    var kind: Int? = nil
    /// The registry sweep's calls (`--sweep`), else empty.
    var sweep: [String] = []

    func generateProgram(_ s: UInt64) -> String {
        var g = ProgramGen(seed: s, builtins: builtins, constants: constants, huge: huge)
        return g.program()
    }

    func input(_ index: Int) -> [UInt8] {
        if !sweep.isEmpty { return Array(sweep[index].utf8) }   // made of allowed builtins only
        var r = RNG(inputSeed(seed, index))
        var bytes: [UInt8]
        let k = r.weighted([44, 22, 14, 6, 6, 5, 3])
        switch kind ?? k {
        case 0:   // a grammar program
            bytes = Array(generateProgram(r.next()).utf8)
        case 1:   // a mutated grammar program
            var m = Mutator(r: RNG(r.next()))
            bytes = m.mutate(Array(generateProgram(r.next()).utf8), other: Array(generateProgram(r.next()).utf8))
        case 2:   // a mutated corpus file
            var m = Mutator(r: RNG(r.next()))
            let a = corpus[r.below(corpus.count)], b = corpus[r.below(corpus.count)]
            bytes = m.mutate(a, other: b)
        case 3:   // a splice of two inputs
            let a = r.chance(1, 2) ? corpus[r.below(corpus.count)] : Array(generateProgram(r.next()).utf8)
            let b = r.chance(1, 2) ? corpus[r.below(corpus.count)] : Array(generateProgram(r.next()).utf8)
            bytes = Array(a.prefix(r.below(a.count + 1))) + Array(b.suffix(r.below(b.count + 1)))
        case 4:   // token soup
            var s = ""
            for _ in 0..<r.int(1, 40) {
                s += r.chance(1, 4) ? r.pick(ProgramGen.namePool + builtins.map(\.name)) : r.pick(interestingTokens)
                s += r.pick(["", " ", " ", "\n", "  "])
            }
            bytes = Array(s.utf8)
        case 6:   // a REPL session: the statements of a program as separate entries
            var entries: [String] = []
            for l in generateProgram(r.next()).split(separator: "\n") {
                if let f = l.first, f != " ", f != "}", !l.hasPrefix("else") || entries.isEmpty { entries.append(String(l)) }
                else { entries[entries.count - 1] += "\n" + l }
            }
            var out: [String] = []
            for e in entries {
                out.append(r.chance(1, 8) ? e + ";" : e)
                if r.chance(1, 8) { out.append(r.pick(["#:reset", "_", "print(_)", "x = _", "y = = 2", "fn (", "xs"])) }
            }
            if r.chance(1, 3) {
                // values that outlive `:reset` (the argv list is the builtins'), holding code compiled before it
                let hold = r.pick(["() -> xs", "fn () { d }", "x -> x + n", "() -> _"])
                let p = r.below(out.count + 1)
                out.insert(contentsOf: ["push(argv, \(hold))", "#:reset", "argv[-1](\(hold.hasPrefix("x") ? "1" : ""))"], at: p)
            }
            bytes = Array(("#repl\n" + out.joined(separator: "\n#---\n")).utf8)
        default:   // random bytes
            let n = r.int(0, 160)
            bytes = []
            bytes.reserveCapacity(n)
            let printable = r.chance(1, 2)
            for _ in 0..<n {
                let x = UInt8(truncatingIfNeeded: r.next())
                bytes.append(printable ? (x % 97 == 96 ? 10 : 32 + x % 95) : x)
            }
        }
        sanitize(&bytes)
        return bytes
    }
}

// MARK: - running

enum Outcome: Int { case value = 0, syntax, resolve, runtime, interrupt }

/// What one input did; `problem` is set when an error broke the contract (no or a bad location).
struct RunResult {
    var outcome: Outcome
    var problem: String? = nil
    var message: String = ""
}

/// The directory does not exist, so `import` never finds a file (the fuzzer reads nothing).
let fuzzName = "/nonexistent-mlp-fuzz/<fuzz>"

func checkLocation(_ e: MLPError, _ lineCount: Int) -> String? {
    for x in [e] + e.more {
        guard let l = x.loc else {
            if x.kind == .syntax || x.kind == .resolve || x.kind == .runtime { return "\(x.kind) error without a location: \(x.message)" }
            continue
        }
        // the location's own source (a REPL error may point into an earlier entry)
        var lines = 1
        for b in l.file.bytes where b == 10 { lines += 1 }
        if l.line < 1 || Int(l.line) > lines || l.col < 1 {
            return "\(x.kind) error at a location outside its source (\(l.line):\(l.col), \(lines) lines, \(lineCount) in the input): \(x.message)"
        }
    }
    return nil
}

func runInput(_ bytes: [UInt8], _ opts: Options, mode: Int) -> RunResult {
    let text = String(decoding: bytes, as: UTF8.self)
    let session = Session(argv: [], file: fuzzName, out: Output(capturing: ()))
    session.interp.stepBudget = opts.stepBudget
    session.interp.deadline = monotonicSeconds() + 1.0   // a loop around a slow builtin ends too
    Tensor.maxCount = 1 << 20   // tensors of a million elements at most: no input may spend seconds filling memory
    session.interp.maxDepth = opts.maxDepth
    session.interp.stdlibPath = nil
    if text.hasPrefix("#repl\n") { return runREPLInput(text, session, mode: mode) }
    var lineCount = 1
    for b in text.utf8 where b == 10 { lineCount += 1 }
    // a quarter of the inputs go the REPL's way: the value of the last expression is shown
    let tail = mode & 3 == 0
    if mode & 7 == 1 { _ = session.isIncomplete(text) }
    do throws(MLPError) {
        let v = try session.interp.run(source: text, name: fuzzName, tailValue: tail)
        if tail { _ = session.interp.repr(v) }
        return RunResult(outcome: .value)
    } catch {
        _ = error.render(color: mode & 8 == 0)
        _ = error.summaryLines
        let outcome: Outcome
        switch error.kind {
        case .syntax: outcome = .syntax
        case .resolve: outcome = .resolve
        case .runtime: outcome = .runtime
        case .interrupt: outcome = .interrupt
        }
        return RunResult(outcome: outcome, problem: checkLocation(error, lineCount), message: error.message)
    }
}

/// A REPL session: entries separated by `#---` lines, each run as the REPL runs a
/// line (value shown and kept in `_`); an entry `#:reset` is the `:reset` command.
/// Errors do not end the session. The outcome is the first error's, else a value.
func runREPLInput(_ text: String, _ session: Session, mode: Int) -> RunResult {
    var result = RunResult(outcome: .value)
    let entries = text.split(separator: "\n#---\n", omittingEmptySubsequences: false).dropFirst(0)
    for (k, raw) in entries.enumerated() {
        let entry = k == 0 ? String(raw.dropFirst("#repl\n".count)) : String(raw)
        if entry.trimmingWhitespaceFuzz() == "#:reset" { session.reset(); continue }
        var lineCount = 1
        for b in entry.utf8 where b == 10 { lineCount += 1 }
        if mode & 7 == 1 { _ = session.isIncomplete(entry) }
        do throws(MLPError) {
            let v = try session.interp.run(source: entry, name: "<repl>", tailValue: true)
            if !v.isNil {
                session.interp.globals.set("_", v)
                _ = session.interp.repr(v)
            }
        } catch {
            _ = error.render(color: false)
            guard result.outcome == .value else { continue }
            switch error.kind {
            case .syntax: result.outcome = .syntax
            case .resolve: result.outcome = .resolve
            case .runtime: result.outcome = .runtime
            case .interrupt: result.outcome = .interrupt
            }
            result.message = error.message
            result.problem = checkLocation(error, lineCount)
        }
    }
    return result
}

// MARK: - shared state between the supervisor and the child

/// Counters in a shared anonymous mapping (the child writes, the parent reads).
struct Shared {
    static let slots = 64
    let p: UnsafeMutablePointer<Int64>
    init() {
        let raw = mmap(nil, Shared.slots * 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let raw, raw != MAP_FAILED else { die("mmap failed") }
        p = raw.bindMemory(to: Int64.self, capacity: Shared.slots)
        p.initialize(repeating: 0, count: Shared.slots)
    }
    // layout
    static let current = 0, startNs = 1, next = 2, slow = 8, maxNs = 9, maxIndex = 10, problems = 11
    static func outcome(_ o: Outcome) -> Int { 3 + o.rawValue }
    /// Indices of the first few slow inputs and of inputs with located-error problems.
    static let slowList = 16, slowListLen = 16, problemList = 32, problemListLen = 16
    subscript(i: Int) -> Int64 {
        get { p[i] }
        nonmutating set { p[i] = newValue }
    }
}

/// Runs inputs start..<count; records progress in `shared`.
func runRange(_ factory: InputFactory, _ opts: Options, from start: Int, shared: Shared, currentFd: Int32) {
    let statsFd = opts.stats ? open(statsPath, O_WRONLY | O_CREAT | O_APPEND, 0o644) : -1
    defer { if statsFd >= 0 { close(statsFd) } }
    for i in start..<opts.count {
        let bytes = factory.input(i)
        if currentFd >= 0 {
            _ = ftruncate(currentFd, 0)
            _ = bytes.withUnsafeBytes { pwrite(currentFd, $0.baseAddress, $0.count, 0) }
        }
        if opts.verbose { writeStderr("fuzz: input #\(i) (\(bytes.count) bytes)\n") }
        shared[Shared.current] = Int64(i)
        let t0 = nowNs()
        shared[Shared.startNs] = t0
        let res = runInput(bytes, opts, mode: i)
        let dt = nowNs() - t0
        if statsFd >= 0 {
            let shape = String("\(res.outcome): \(res.message)".prefix(90).map { $0.isNumber ? "9" : $0 == "\n" ? " " : $0 })
            writeAll(statsFd, Array((shape + "\n").utf8))
        }
        shared[Shared.startNs] = 0
        shared[Shared.outcome(res.outcome)] += 1
        if dt > shared[Shared.maxNs] { shared[Shared.maxNs] = dt; shared[Shared.maxIndex] = Int64(i) }
        if dt > Int64(opts.slowMs) * 1_000_000 {
            let k = Int(shared[Shared.slow])
            if k < Shared.slowListLen { shared[Shared.slowList + k] = Int64(i) }
            shared[Shared.slow] += 1
        }
        if let p = res.problem {
            let k = Int(shared[Shared.problems])
            if k < Shared.problemListLen { shared[Shared.problemList + k] = Int64(i) }
            shared[Shared.problems] += 1
            if opts.verbose || k < 3 { writeStderr("fuzz: input #\(i): \(p)\n") }
        }
        shared[Shared.next] = Int64(i + 1)
    }
}

let statsPath = "/tmp/mlp-fuzz-stats-\(getpid()).txt"

/// The most common outcomes (error messages with digits folded), from the children's stats file.
func printStats() {
    guard let bytes = readWholeFile(statsPath) else { return }
    unlink(statsPath)
    var histogram: [String: Int] = [:]
    for l in String(decoding: bytes, as: UTF8.self).split(separator: "\n") { histogram[String(l), default: 0] += 1 }
    for (m, c) in histogram.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }).prefix(80) {
        writeStderr("fuzz: stats \(c) \(m)\n")
    }
}

func limitResources(memMB: Int) {
    var core = rlimit(rlim_cur: 0, rlim_max: 0)
    setrlimit(Int32(RLIMIT_CORE.rawValue), &core)
    if memMB > 0 {
        let bytes = rlim_t(memMB) * 1024 * 1024
        var mem = rlimit(rlim_cur: bytes, rlim_max: bytes)
        setrlimit(Int32(RLIMIT_AS.rawValue), &mem)
    }
}

// MARK: - crash reporter (in the child)

/// Buffers the signal handler uses (no allocation once a signal comes).
nonisolated(unsafe) let crashFrames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 64)
nonisolated(unsafe) let crashText = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
nonisolated(unsafe) var executableBase: UnsafeMutableRawPointer? = nil

/// execinfo's backtrace and dlfcn's dladdr (not in the Glibc module).
struct DlInfo {
    var fname: UnsafePointer<CChar>? = nil
    var fbase: UnsafeMutableRawPointer? = nil
    var sname: UnsafePointer<CChar>? = nil
    var saddr: UnsafeMutableRawPointer? = nil
}
@_silgen_name("backtrace") func c_backtrace(_ buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ size: Int32) -> Int32
@_silgen_name("dladdr") func c_dladdr(_ addr: UnsafeRawPointer?, _ info: UnsafeMutablePointer<DlInfo>) -> Int32

/// On a fatal signal: writes the signal and the return addresses as offsets into
/// the executable (`exe+0x...`, for addr2line) to stderr, then dies of the signal.
nonisolated(unsafe) let crashHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, _, _ in
    var n = 0
    func put(_ s: StaticString) {
        s.withUTF8Buffer { b in for c in b where n < 4000 { crashText[n] = c; n += 1 } }
    }
    func putHex(_ x: UInt) {
        put("0x")
        var started = false
        for k in stride(from: 60, through: 0, by: -4) {
            let d = Int((x >> UInt(k)) & 0xF)
            if d != 0 || started || k == 0 {
                started = true
                if n < 4000 { crashText[n] = d < 10 ? UInt8(48 + d) : UInt8(87 + d); n += 1 }
            }
        }
    }
    put("fuzz-crash: signal ")
    putHex(UInt(sig))
    put(" frames:")
    let count = Int(c_backtrace(crashFrames, 64))
    // skip this handler's own frames: up to the signal trampoline (the first frame outside the executable)
    var first = 0
    while first < count {
        var info = DlInfo()
        if let pc = crashFrames[first], c_dladdr(pc, &info) != 0, info.fbase == executableBase { first += 1 } else { break }
    }
    for i in first..<count {
        guard let pc = crashFrames[i] else { continue }
        var info = DlInfo()
        if c_dladdr(pc, &info) != 0, let base = info.fbase, base == executableBase {
            put(" exe+")
            putHex(UInt(bitPattern: pc - UnsafeMutableRawPointer(base)))
        } else {
            put(" -")
        }
    }
    put("\n")
    _ = Glibc.write(2, crashText, n)
}

/// Installs the crash reporter on the calling thread (the alternate stack is per thread).
func installCrashReporter() {
    var info = DlInfo()
    if c_dladdr(unsafeBitCast(crashHandler, to: UnsafeRawPointer.self), &info) != 0 { executableBase = info.fbase }
    let size = 1 << 17
    var ss = stack_t()
    ss.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    ss.ss_size = size
    ss.ss_flags = 0
    sigaltstack(&ss, nil)
    _ = c_backtrace(crashFrames, 4)   // loads the unwinder now rather than in the handler
    var sa = sigaction()
    sa.sa_flags = Int32(SA_SIGINFO | SA_ONSTACK | Int32(bitPattern: UInt32(SA_RESETHAND)))
    sa.__sigaction_handler.sa_sigaction = crashHandler
    for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] { sigaction(sig, &sa, nil) }
}

// MARK: - running one source in a child (crash signature), for the supervisor and the minimizer

enum ChildEnd: Equatable {
    case finished
    case crashed(signal: Int32, message: String)
    case hung
    var signature: String {
        switch self {
        case .finished: return "finished"
        case .crashed(let s, let m): return m.isEmpty ? "signal \(s)" : m
        case .hung: return "hang"
        }
    }
}

/// The trap message a dead child left on its stderr ("Fatal error: ..." and the
/// like) and the innermost frame in the executable, which tells silent traps apart.
func trapMessage(_ path: String) -> String {
    guard let bytes = readWholeFile(path) else { return "" }
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    var message = ""
    if let l = lines.last(where: { $0.contains("Fatal error") || $0.contains("fatal error") || $0.contains("Could not allocate")
        || $0.contains("Precondition failed") || $0.contains("Assertion failed") || $0.contains("allocat") }) {
        message = l.trimmingWhitespaceFuzz()
    }
    if let c = lines.last(where: { $0.hasPrefix("fuzz-crash:") }) {
        let words = c.split(separator: " ")
        let signal = words.count > 2 ? Int(words[2].dropFirst(2), radix: 16) : nil
        let sig = signal.map { "signal \($0)" } ?? ""
        let frames = words.filter { $0.hasPrefix("exe+") || $0 == "-" }
        var frame = words.first { $0.hasPrefix("exe+") }.map { " at \($0)" } ?? ""
        if signal == Int(SIGSEGV) && frames.count >= 60 {
            // a stack overflow: name it by the recursion (the lowest frame seen more than once), not the innermost call
            var seen: [Substring: Int] = [:]
            for f in frames where f != "-" { seen[f, default: 0] += 1 }
            if let rec = seen.filter({ $0.value > 1 }).keys.min(by: { (Int($0.dropFirst(6), radix: 16) ?? 0) < (Int($1.dropFirst(6), radix: 16) ?? 0) }) {
                frame = " stack overflow, recursion through \(rec)"
            }
        }
        message += (message.isEmpty ? "" : " ") + "[\(sig)\(frame)]"
    }
    return message
}

extension String {
    func trimmingWhitespaceFuzz() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

/// Waits for `pid`; kills it when `shared`'s current input has run longer than hangMs
/// (or, without shared state, when the whole child has). Returns the wait status, nil for a hang.
func supervise(_ pid: pid_t, hangMs: Int, shared: Shared?) -> Int32? {
    let t0 = nowNs(), limit = Int64(hangMs) * 1_000_000
    while true {
        var status: Int32 = 0
        let w = waitpid(pid, &status, WNOHANG)
        if w == pid { return status }
        if w < 0 && errno != EINTR { return 0 }
        let now = nowNs()
        let started = shared.map { $0[Shared.startNs] } ?? t0
        if started != 0 && now - started > limit {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            return nil
        }
        usleep(now - t0 < 50_000_000 ? 500 : 4000)
    }
}

func stderrPath() -> String { "/tmp/mlp-fuzz-stderr-\(getpid()).txt" }

/// Runs one source in a forked child, the way the fuzzer runs inputs.
func runIsolated(_ bytes: [UInt8], _ opts: Options) -> ChildEnd {
    let errPath = stderrPath()
    let pid = fork()
    if pid == 0 {
        limitResources(memMB: opts.memMB)
        let fd = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 { dup2(fd, 2); close(fd) }
        runOnBigStack(stackSize: opts.stackMB << 20) { installCrashReporter(); _ = runInput(bytes, opts, mode: 1) }
        _exit(0)
    }
    guard pid > 0 else { die("fork failed") }
    guard let status = supervise(pid, hangMs: opts.hangMs, shared: nil) else { return .hung }
    if exited(status) && exitStatus(status) == 0 { return .finished }
    let sig = exited(status) ? 0 : status & 0x7f
    return .crashed(signal: sig, message: trapMessage(errPath))
}

func exited(_ status: Int32) -> Bool { status & 0x7f == 0 }
func exitStatus(_ status: Int32) -> Int32 { (status >> 8) & 0xff }

// MARK: - modes

func makeFactory(_ opts: Options) -> InputFactory {
    let (fns, consts) = builtinSignatures()
    var corpus: [[UInt8]] = seedSnippets.map { Array($0.utf8) }
    var dirs = opts.corpusDirs
    if let root = packageRoot() {
        for d in ["Tests/golden", "examples", "bench"] where directoryExists(root + "/" + d) { dirs.append(root + "/" + d) }
    }
    for d in dirs {
        for f in mlpFiles(under: d) {
            if var bytes = readWholeFile(f), !bytes.isEmpty, bytes.count < 100_000 {
                sanitize(&bytes)
                corpus.append(bytes)
            }
        }
    }
    return InputFactory(seed: opts.seed, huge: opts.huge, builtins: fns, constants: consts, corpus: corpus, kind: opts.kind,
                        sweep: opts.sweep ? sweepCalls(fns) : [])
}

struct Failure {
    let index: Int
    let kind: String     // "crash" or "hang"
    let message: String
    let path: String
}

func fuzz(_ opts: Options) -> Int32 {
    let factory = makeFactory(opts)
    var opts = opts
    if opts.sweep { opts.count = opts.countGiven ? min(opts.count, factory.sweep.count) : factory.sweep.count }
    let shared = Shared()
    let currentFd = open(opts.currentPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if currentFd < 0 { writeStderr("mlp-fuzz: cannot write \(opts.currentPath); inputs are not saved before they run\n") }
    let t0 = nowNs()
    var failures: [Failure] = []
    shared[Shared.next] = Int64(opts.start)

    if !opts.fork {
        limitResources(memMB: opts.memMB)
        runOnBigStack(stackSize: opts.stackMB << 20) { runRange(factory, opts, from: opts.start, shared: shared, currentFd: currentFd) }
    } else {
        let errPath = stderrPath()
        var from = opts.start
        while from < opts.count {
            shared[Shared.current] = Int64(from)
            shared[Shared.startNs] = 0
            let pid = fork()
            if pid == 0 {
                limitResources(memMB: opts.memMB)
                let fd = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                if fd >= 0 { dup2(fd, 2); close(fd) }
                runOnBigStack(stackSize: opts.stackMB << 20) { installCrashReporter(); runRange(factory, opts, from: from, shared: shared, currentFd: currentFd) }
                _exit(0)
            }
            guard pid > 0 else { die("fork failed") }
            let status = supervise(pid, hangMs: opts.hangMs, shared: shared)
            // the child's own notes (problems, --verbose) go on to our stderr
            if let bytes = readWholeFile(errPath) {
                let notes = String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("fuzz:") }
                for n in notes { writeStderr(n + "\n") }
            }
            if let status, exited(status), exitStatus(status) == 0 { break }
            let index = Int(shared[Shared.current])
            let kind = status == nil ? "hang" : "crash"
            let message = status == nil ? "still running after \(opts.hangMs) ms" : {
                let m = trapMessage(errPath)
                let sig = exited(status!) ? "exit status \(exitStatus(status!))" : "signal \(status! & 0x7f)"
                return m.isEmpty ? sig : m
            }()
            let path = "\(opts.crashDir)/mlp-fuzz-\(kind)-s\(opts.seed)-\(index).mlp"
            _ = writeFile(path, factory.input(index))
            failures.append(Failure(index: index, kind: kind, message: message, path: path))
            writeStderr("fuzz: \(kind.uppercased()) on input #\(index): \(message)\n      input saved to \(path) (regenerate: mlp-fuzz --seed \(opts.seed)\(opts.huge ? " --huge" : "") --print \(index))\n")
            from = index + 1
            shared[Shared.next] = max(shared[Shared.next], Int64(from))
        }
        unlink(errPath)
    }
    if currentFd >= 0 { close(currentFd) }
    if opts.stats { printStats() }

    let secs = Double(nowNs() - t0) / 1e9
    let n = Int(shared[Shared.next]) - opts.start
    let values = shared[Shared.outcome(.value)], syn = shared[Shared.outcome(.syntax)]
    let res = shared[Shared.outcome(.resolve)], rt = shared[Shared.outcome(.runtime)] + shared[Shared.outcome(.interrupt)]
    let crashes = failures.filter { $0.kind == "crash" }.count, hangs = failures.count - crashes
    let problems = Int(shared[Shared.problems]), slow = Int(shared[Shared.slow])
    if opts.verbose || slow > 0 || problems > 0 || !failures.isEmpty {
        var notes = "fuzz: \(String(format1(secs))) s; slowest input #\(shared[Shared.maxIndex]) took \(format1(Double(shared[Shared.maxNs]) / 1e6)) ms\n"
        if slow > 0 {
            let list = (0..<min(slow, Shared.slowListLen)).map { "#\(shared[Shared.slowList + $0])" }.joined(separator: " ")
            notes += "fuzz: \(slow) inputs took over \(opts.slowMs) ms: \(list)\n"
        }
        if problems > 0 {
            let list = (0..<min(problems, Shared.problemListLen)).map { "#\(shared[Shared.problemList + $0])" }.joined(separator: " ")
            notes += "fuzz: \(problems) errors without a valid location: \(list)\n"
        }
        if !failures.isEmpty {
            var groups: [String: [Failure]] = [:], order: [String] = []
            for f in failures {
                let key = "\(f.kind): \(f.message)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(f)
            }
            notes += "fuzz: \(failures.count) failures, \(order.count) distinct:\n"
            for k in order {
                let g = groups[k]!
                let smallest = g.min { (readWholeFile($0.path)?.count ?? 0) < (readWholeFile($1.path)?.count ?? 0) }!
                notes += "  \(g.count) x \(k)\n"
                if let where_ = symbolize(k) { notes += "      \(where_)\n" }
                notes += "      smallest: \(smallest.path)\n"
            }
        }
        writeStderr(notes)
    }
    print("fuzz: \(n) inputs, \(values) values, \(syn) syntax errors, \(res) resolve errors, \(rt) runtime errors, \(crashes) crashes\(hangs > 0 ? ", \(hangs) hangs" : "")")
    return crashes + hangs + problems == 0 ? 0 : 1
}

/// "Swift runtime failure: ... in Function (File.swift:line)" for an `exe+0x...` frame,
/// when llvm-symbolizer is installed (the release build keeps line tables).
func symbolize(_ message: String) -> String? {
    guard let word = message.split(separator: " ").first(where: { $0.hasPrefix("exe+0x") }) else { return nil }
    let hex = word.dropFirst(6).prefix { $0.isHexDigit }
    guard !hex.isEmpty else { return nil }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let cmd = "command -v llvm-symbolizer >/dev/null 2>&1 || exit 0; out=$(llvm-symbolizer --obj='\(exe)' --inlining 0x\(hex) 2>/dev/null); " +
        "if command -v swift-demangle >/dev/null 2>&1; then printf '%s\\n' \"$out\" | swift-demangle --simplified; else printf '%s\\n' \"$out\"; fi"
    guard let fp = popen(cmd, "r") else { return nil }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let k = fread(&chunk, 1, chunk.count, fp)
        if k > 0 { text += chunk[0..<k] }
        if k < chunk.count { break }
    }
    pclose(fp)
    let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
    var reason: String? = nil, site: String? = nil
    var i = 0
    while i + 1 < lines.count {
        let fn = lines[i], file = lines[i + 1]
        if fn.hasPrefix("Swift runtime failure: ") { reason = String(fn.dropFirst("Swift runtime failure: ".count)) }
        else if site == nil, file.contains("/Sources/"), fn != "??" {
            let short = file.split(separator: "/").suffix(2).joined(separator: "/")
            site = "\(fn) (\(short.split(separator: ":").prefix(2).joined(separator: ":")))"
        }
        i += 2
    }
    guard reason != nil || site != nil else { return nil }
    return [reason, site.map { "in " + $0 }].compactMap { $0 }.joined(separator: " ")
}

func format1(_ x: Double) -> String {
    let t = (x * 10).rounded() / 10
    return t == t.rounded() ? "\(Int(t)).0" : "\(t)"
}

/// Shrinks a crashing input while its trap message stays the same.
func minimize(_ path: String, _ opts: Options) -> Int32 {
    guard var best = readWholeFile(path) else { die("cannot read '\(path)'") }
    let target = runIsolated(best, opts)
    guard target != .finished else {
        writeStderr("mlp-fuzz: '\(path)' does not crash or hang; nothing to minimize\n")
        return 1
    }
    writeStderr("fuzz: minimizing for: \(target.signature)\n")
    var tries = 0
    func same(_ b: [UInt8]) -> Bool {
        tries += 1
        return runIsolated(b, opts).signature == target.signature
    }
    // delta debugging over lines, then over bytes
    var progress = true
    while progress && tries < 5000 {
        progress = false
        for unitIsLine in [true, false] {
            var units: [[UInt8]] = unitIsLine ? best.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) + [10] } : best.map { [$0] }
            var chunk = max(1, units.count / 2)
            while chunk >= 1 && tries < 5000 {
                var i = 0
                var removedAny = false
                while i < units.count && tries < 5000 {
                    var candidateUnits = units
                    candidateUnits.removeSubrange(i..<min(units.count, i + chunk))
                    let candidate = Array(candidateUnits.joined())
                    if candidate.count < best.count && same(candidate) {
                        units = candidateUnits; best = candidate; removedAny = true; progress = true
                    } else {
                        i += chunk
                    }
                }
                if !removedAny { chunk /= 2 }
            }
        }
    }
    // trailing newline: keep the file tidy when that still crashes
    if best.last != 10 && same(best + [10]) { best.append(10) }
    if let out = opts.outFile { _ = writeFile(out, best) } else { writeAll(1, best) }
    writeStderr("fuzz: \(best.count) bytes after \(tries) runs: \(target.signature)\n")
    return 0
}

func runFile(_ path: String, _ opts: Options) -> Int32 {
    guard let bytes = readWholeFile(path) else { die("cannot read '\(path)'") }
    var result = RunResult(outcome: .value)
    let t0 = nowNs()
    limitResources(memMB: opts.memMB)
    runOnBigStack(stackSize: opts.stackMB << 20) { installCrashReporter(); result = runInput(bytes, opts, mode: 1) }
    let ms = Double(nowNs() - t0) / 1e6
    print("fuzz: \(path): \(result.outcome)\(result.message.isEmpty ? "" : ": " + result.message) (\(format1(ms)) ms)")
    if let p = result.problem { print("fuzz: problem: \(p)") }
    return result.problem == nil ? 0 : 1
}

// MARK: - main

/// Swift's crash backtracer takes seconds per crash; the supervisor only needs the message.
func disableBacktracer() {
    guard getenv("SWIFT_BACKTRACE") == nil else { return }
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
    argv.append(nil)
    execv("/proc/self/exe", &argv)
    // exec failed: go on with the backtracer
}

disableBacktracer()
let opts = parseOptions()
if let k = opts.printIndex {
    writeAll(1, makeFactory(opts).input(k))
    exit(0)
}
if let f = opts.runFile { exit(runFile(f, opts)) }
if let f = opts.minimizeFile { exit(minimize(f, opts)) }
exit(fuzz(opts))
