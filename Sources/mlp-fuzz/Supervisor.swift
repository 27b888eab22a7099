// The fuzz run: a forked child runs the inputs, the parent notices crashes and hangs,
// saves the culprits and forks the next child.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

@inline(__always) func nowNs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

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
