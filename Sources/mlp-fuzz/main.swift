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
// session's generator seeded to 0, so a saved input reproduces alone.
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
// in a directory that does not exist (so `import` finds no file, only the stdlib
// built into the binary), and print output goes to a capturing Output that is
// dropped after each input.
//
// The parts: Options, Files, RNG; the inputs (Generator, Mutator, Sweep, Builtins,
// Inputs); Runner (one input in this process); Supervisor (the forked children),
// CrashReporter, Minimizer.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

// Here, not in Supervisor.swift: a global outside main.swift is initialised on first
// use, which may be in a child, with the child's pid.
let statsPath = "/tmp/mlp-fuzz-stats-\(getpid()).txt"

func format1(_ x: Double) -> String {
    let t = (x * 10).rounded() / 10
    return t == t.rounded() ? "\(Int(t)).0" : "\(t)"
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
