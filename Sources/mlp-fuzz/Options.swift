// The command line: options, usage, parsing.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

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
