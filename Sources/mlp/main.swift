// The `mlp` command: argv, then a file, `-e` code, stdin, `mlp test`, or the REPL.
import MLPLang
import MLPRuntime
import MLPREPL
import MLPKernel
import MLPTensor
#if canImport(Glibc)
import Glibc
import CMalloc
#endif

let version = "mlp 0.1.0"
let usage = """
usage: mlp [--seed N] [FILE.mlp [ARGS...] | -e CODE [ARGS...]]
       mlp test [-v] [--timeout S] [PATHS...]   run tests (# expect: comments, or NAME.out files; mlp test --help)
       mlp doc builtins        print the builtin reference (docs/builtins.md)
       mlp doc check [FILES...]  check the results written in the docs' examples (docs/contributing.md)
       mlp kernel CONNECTION_FILE              run as a Jupyter kernel (docs/jupyter.md)
       mlp kernel install [--user | --prefix P]  install the Jupyter kernelspec
       mlp --help | --version

With no FILE, mlp starts the REPL on a terminal and reads the program from stdin otherwise.
Exit codes: 0 success, 64 usage error, 65 syntax error, 70 runtime error, 130 interrupted.

"""

/// Sessions are kept to the end: the process exits without freeing every value a
/// script made, which for a large script is a noticeable part of its run time.
nonisolated(unsafe) var finishedSessions: [Session] = []

func fail(_ message: String) -> Never {
    writeStderr("mlp: \(message)\n\(usage)")
    exit(64)
}

func main() -> Int32 {
    // the OpenBLAS kernels that fit this processor (may execute mlp again with OPENBLAS_CORETYPE set)
    BLASKernels.selectBestKernels()
    var args = Array(CommandLine.arguments.dropFirst())
    var seed: UInt64? = nil
    var onlyFile = false   // after `--`, the next word is a file name even if it looks like a command
    options: while let first = args.first, first.hasPrefix("-"), first != "-e" {
        args.removeFirst()
        switch first {
        case "--help", "-h": print(usage, terminator: ""); return 0
        case "--version", "-v": print(version); return 0
        case "--seed":
            guard let s = args.first, let n = UInt64(s) else { fail("--seed needs a non-negative integer") }
            args.removeFirst()
            seed = n
        case "--": onlyFile = true; break options
        default: fail("unknown option '\(first)'")
        }
    }
    if seed == nil {
        var ts = timespec(); clock_gettime(CLOCK_REALTIME, &ts)
        seed = UInt64(ts.tv_nsec) ^ UInt64(ts.tv_sec) &* 0x9E37_79B9 ^ UInt64(getpid())
    }
    let sessionSeed = seed!
    installInterruptHandler()
    // a collection of reference cycles every N new lists, dicts, cells and closures (tests)
    if let s = getenv("MLP_GC_STRESS"), let n = Int(String(cString: s)), n > 0 { CycleCollector.minimumThreshold = n }

    if !onlyFile && args.first == "test" {
        var runner = GoldenRunner()
        runner.record = getenv("MLP_RECORD").map { String(cString: $0) == "1" } ?? false
        return runner.main(Array(args.dropFirst()))
    }
    if !onlyFile && args.first == "doc" && args.count >= 2 && args[1] == "check" {
        var checker = DocChecker()
        return checker.main(Array(args.dropFirst(2)))
    }
    if !onlyFile && args.first == "doc" {
        guard args.count == 2, args[1] == "builtins" else { fail("usage: mlp doc builtins | mlp doc check [FILES...]") }
        print(Registry.standard(argv: []).markdown(), terminator: "")
        return 0
    }
    if !onlyFile && args.first == "kernel" {
        if args.count >= 2 && args[1] == "install" {
            switch installKernelspec(arguments: Array(args.dropFirst(2)), version: version) {
            case .success(let folder): print("installed the mlp kernelspec in \(folder)"); return 0
            case .failure(let e): writeStderr("mlp: \(e)\n"); return 1
            }
        }
        guard args.count == 2 else { fail("usage: mlp kernel CONNECTION_FILE | mlp kernel install [--user | --prefix P]") }
        return runKernel(connectionFile: args[1], seed: sessionSeed, version: version)
    }
    if !onlyFile && args.first == "-e" {
        guard args.count >= 2 else { fail("-e needs code to run") }
        let session = Session(argv: Array(args.dropFirst(2)), file: "<string>", seed: sessionSeed)
        finishedSessions.append(session)
        return session.runScript(source: args[1], name: "<string>")
    }
    if let path = args.first {
        guard !directoryExists(path), let text = readFile(path) else { fail("cannot read '\(path)'") }
        let session = Session(argv: Array(args.dropFirst()), file: path, seed: sessionSeed)
        finishedSessions.append(session)
        return session.runScript(source: text, name: path)
    }
    if isatty(0) == 1 {
        let session = Session(argv: [], file: "<repl>", seed: sessionSeed)
        print("\(version), type :help for help, Ctrl-D to quit")
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        runREPL(host: session, historyPath: home + "/.mlp_history")
        return 0
    }
    var lines: [String] = []
    while let line = readLine(strippingNewline: false) { lines.append(line) }
    let session = Session(argv: [], file: "<stdin>", seed: sessionSeed)
    finishedSessions.append(session)
    return session.runScript(source: lines.joined(), name: "<stdin>")
}

var status: Int32 = 0
// Tensors of a training step (or of a loop over big arrays) are freed and allocated
// again every step. glibc would hand big blocks back to the kernel each time (munmap,
// or madvise in the worker thread's arena) and fault them in again: a third of the
// time went to the kernel. Blocks under 256 MB come from the heap instead, and up to
// 256 MB of freed memory is kept for reuse (exp of 10^7 elements in a loop: 0.016 s
// per call with 80 MB results mapped afresh, 0.011 s reused).
_ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
_ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
// One arena: the interpreter runs on a second thread, and a thread's own arena is
// made of 64 MB heaps that glibc unmaps as soon as one is empty, whatever the trim
// threshold. A loop of 8 MB products then mapped a fresh heap for its results and
// faulted in their huge pages again (the kernel zeroing them took 20-28% of the
// time). Worker threads only see raw pointers, so they do not contend for the arena.
_ = mallopt(M_ARENA_MAX, 1)
BLASThreads.configureDefault()
runOnBigStack { status = main() }
exit(status)
