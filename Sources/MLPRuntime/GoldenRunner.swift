// `mlp test [PATHS...]`: runs scripts and checks the expectations written in
// them (docs/testing.md), or compares an example's whole output
// with its `.out` file. Users test their own scripts the same way.
import MLPLang
import MLPTensor
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The machine-wide lock of the test files that write fixed /tmp names (flock: the
/// kernel releases it if a run dies).
enum SharedTmpLock {
    static let path = "/tmp/mlp-test-tmp.lock"

    /// Waits for the lock; nil when it cannot be opened (the file then runs unlocked).
    static func acquire() -> Int32? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return nil }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }

    static func release(_ fd: Int32?) {
        guard let fd else { return }
        flock(fd, LOCK_UN); close(fd)
    }
}

/// Set by the `--timeout` alarm: the file running now ran out of time.
private let watchdogFired = Atomic<Bool>(false)

public struct GoldenRunner {
    /// Rewrite `.out` files instead of comparing (MLP_RECORD=1).
    public var record = false
    /// Loop iterations and calls allowed per file, so a runaway test fails instead of hanging.
    public var stepBudget = 2_000_000_000
    public var failures: [String] = []
    public var passed = 0
    /// Scripts found in a folder that carry no expectations and have no `.out` (not tests).
    public var skipped = 0
    /// The sibling run at the settings users have (more product threads, the CPU's own
    /// BLAS kernels): every number is compared within this relative tolerance instead
    /// of exactly (`mlp test --tolerance T`). A file may widen it for itself with
    /// `# other settings: tolerance T`, or say `# other settings: run only, REASON`
    /// when its output follows rounding chaotically (a t-SNE layout): then it must end
    /// as recorded (same error or none) with as many output lines.
    public var tolerance: Double?
    /// Files checked by `run only` in a tolerance run.
    public var runOnly = 0
    /// `-v`: a line per file with PASS or FAIL and its time.
    public var verbose = false
    /// `--timeout S`: wall-clock seconds per file, native work included (a watchdog
    /// interrupts the file the way Ctrl-C does).
    public var timeout: Double?
    /// `--plots`: terminal plots count as output lines in `# expect:` files.
    public var countPlots = false
    /// `--shard K/N`: only the files whose place in the list, counted from 1, is K modulo N
    /// (N processes with K = 1...N share one run between the cores; make test does).
    public var shard: (k: Int, n: Int)?

    public init() {}

    public static let usage = """
    usage: mlp test [-v] [--timeout S] [--tolerance T] [--plots] [--shard K/N] [PATHS...]

    Runs each .mlp file (folders: every .mlp file inside, recursively, skipping names
    that start with '.' or '_') as a fresh program with the generator seeded to 0 and
    checks it: the '# expect: TEXT' comments of the file (also 'expect approx:',
    'expect error:', 'expect runtime error:', 'expect hint:'), or else its whole output
    against NAME.out next to it (MLP_RECORD=1 writes the .out files). docs/testing.md
    describes the format.

      -v, --verbose    a line per file: PASS or FAIL and the seconds it took
      --timeout S      stop a file after S seconds of wall-clock time (native work such
                       as train included) and count it as failed
      --tolerance T    compare numbers within the relative tolerance T
      --plots          count the lines of terminal plots as output in '# expect:' files
                       (by default a plot in a script is not part of its output lines;
                       a line '# expect plots' asks for it in one file)
      --shard K/N      run the K-th of N shares of the files (the 1st, N+1-th, ...
                       for K = 1), so that N processes can share one run
      -h, --help       this text

    Exit status: 0 when every file passes, 1 when one fails, 64 for a usage error.

    """

    /// `mlp test ARGS...`: parses the options, then runs; returns the exit status.
    public mutating func main(_ arguments: [String]) -> Int32 {
        var args = arguments[...]
        func fail(_ m: String) -> Int32 { writeStderr("mlp test: \(m)\n\(GoldenRunner.usage)"); return 64 }
        while let a = args.first, a.hasPrefix("-") {
            args.removeFirst()
            switch a {
            case "-h", "--help": print(GoldenRunner.usage, terminator: ""); return 0
            case "-v", "--verbose": verbose = true
            case "--plots": countPlots = true
            case "--shard":
                let parts = args.first?.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) } ?? []
                guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, (1...n).contains(k) else {
                    return fail("--shard needs K/N with 1 <= K <= N, such as 1/2, got '\(args.first ?? "")'")
                }
                args.removeFirst()
                shard = (k, n)
            case "--tolerance", "--timeout":
                guard let v = args.first.flatMap(Double.init), v.isFinite, a == "--tolerance" ? v >= 0 : v > 0 else {
                    return fail(a == "--tolerance" ? "--tolerance needs a relative tolerance such as 1e-6, got '\(args.first ?? "")'"
                                                   : "--timeout needs a positive number of seconds, got '\(args.first ?? "")'")
                }
                args.removeFirst()
                if a == "--tolerance" { tolerance = v } else { timeout = v }
            case "--": break
            default: return fail("unknown option '\(a)'")
            }
            if a == "--" { break }
        }
        return run(args.isEmpty ? ["."] : Array(args))
    }

    /// Runs every `.mlp` file under `paths`; returns the exit status (0 when all pass).
    public mutating func run(_ paths: [String]) -> Int32 {
        var files: [(path: String, named: Bool)] = []
        for p in paths {
            if directoryExists(p) { files += mlpFiles(under: p).map { ($0, false) } }
            else if fileExists(p) { files.append((p, true)) }
            else { writeStderr("mlp test: no such file or directory '\(p)'\n"); return 64 }
        }
        if files.isEmpty { writeStderr("mlp test: no .mlp files found\n"); return 64 }
        if let shard { files = files.indices.filter { $0 % shard.n == shard.k - 1 }.map { files[$0] } }
        for f in files {
            let before = (failures.count, passed, skipped, runOnly)
            let t0 = clockSeconds(CLOCK_MONOTONIC)
            check(f.path, named: f.named)
            if verbose {
                let dt = clockSeconds(CLOCK_MONOTONIC) - t0
                let verdict = failures.count > before.0 ? "FAIL" : skipped > before.2 ? "skip" : "PASS"
                print("\(verdict) \(f.path) (\(formatValueNumber(dt, ".2f")) s)")
                for line in failures[before.0...] { print("     " + line) }
            }
        }
        if !verbose { for line in failures { writeStderr(line + "\n") } }
        let failed = files.count - passed - skipped - runOnly
        if runOnly > 0 { print("\(runOnly) run only (# other settings: run only)") }
        print("\(passed + runOnly) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : ""))
        return failed == 0 ? 0 : 1
    }

    struct Expectation {
        enum Kind { case output, approx, error, runtimeError, hint }
        let kind: Kind
        let text: String
        let line: Int
    }

    static let markers: [(String, Expectation.Kind)] = [
        ("# expect approx:", .approx), ("# expect runtime error:", .runtimeError),
        ("# expect error:", .error), ("# expect hint:", .hint), ("# expect:", .output),
    ]

    /// What a file asks of a tolerance run (`# other settings: ...`).
    enum OtherSettings { case tolerance(Double), runOnly }

    /// A file whose terminal plots are part of its output lines (as with `--plots`).
    static let plotsMarker = "# expect plots"

    func expectations(_ source: String) -> (items: [Expectation], tolerance: Double, other: OtherSettings?) {
        var out: [Expectation] = [], tol = 1e-6, other: OtherSettings?
        for (i, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix(GoldenRunner.plotsMarker) { continue }
            if let r = line.firstRange(of: "# tolerance:") {
                tol = Double(String(line[r.upperBound...]).trimmingWhitespace()) ?? tol
                continue
            }
            if let r = line.firstRange(of: "# other settings:") {
                let text = String(line[r.upperBound...]).trimmingWhitespace()
                if text.hasPrefix("run only") { other = .runOnly }
                else if text.hasPrefix("tolerance "), let t = Double(text.dropFirst("tolerance ".count).prefix { !$0.isWhitespace }) {
                    other = .tolerance(t)
                }
                continue
            }
            for (marker, kind) in GoldenRunner.markers {
                if let r = line.firstRange(of: marker) {
                    var text = String(line[r.upperBound...])
                    if text.hasPrefix(" ") { text.removeFirst() }
                    if text.hasSuffix("\r") { text.removeLast() }   // a file with CRLF line ends
                    out.append(Expectation(kind: kind, text: text, line: i + 1))
                    break
                }
            }
        }
        return (out, tol, other)
    }

    /// Checks one script; `named`: given on the command line (not found in a folder), so it must be a test.
    mutating func check(_ path: String, named: Bool, source given: String? = nil) {
        guard let source = given ?? readFile(path) else { failures.append("\(path): cannot read"); return }
        let outPath = String(path.dropLast(4)) + ".out"
        let (items, fileTol, other) = expectations(source)
        if items.isEmpty && !fileExists(outPath) && !record {
            if named { failures.append("\(path): no expectations (add '# expect:' comments or record a .out with MLP_RECORD=1)") }
            else { skipped += 1 }
            return
        }
        // nil: exact; else the relative tolerance of this file in a tolerance run
        var loose = tolerance
        if let t = loose, case .tolerance(let own)? = other { loose = max(t, own) }
        let onlyRun: Bool
        if tolerance != nil, case .runOnly? = other { onlyRun = true } else { onlyRun = false }
        let (out, err, trace) = execute(source, path)
        if let timeout, watchdogFired.load(ordering: .relaxed) {
            let at = err?.loc.map { " (stopped at \($0.file.name):\($0.line))" } ?? ""
            failures.append("\(path): timed out after \(formatNumber(timeout)) s\(at)")
            return
        }
        if items.isEmpty {
            let whole = out + (err.map { $0.render(color: false) } ?? "")
            if record {
                if let e = writeFileAtomically(outPath, Array(whole.utf8)) { failures.append("\(outPath): \(e)"); return }
                passed += 1; return
            }
            let want = readFile(outPath) ?? ""
            if whole == want { passed += 1; return }
            if onlyRun {
                if sameEnding(want, whole, err) { runOnly += 1 }
                else { failures.append("\(path): at other settings the run ended differently (\(lineCount(whole)) output lines, \(lineCount(want)) recorded)") }
                return
            }
            if let loose, linesApproxEqual(want, whole, loose) { passed += 1; return }
            failures.append(firstDifference(path, want, whole, tolerance: loose, trace: trace))
            return
        }
        if onlyRun {
            let wantsError = items.contains { $0.kind == .error || $0.kind == .runtimeError }
            if wantsError == (err != nil) { runOnly += 1 }
            else { failures.append("\(path): at other settings the run ended differently (\(err.map { $0.message } ?? "no error"))") }
            return
        }
        let tol = loose.map { max($0, fileTol) } ?? fileTol
        let before = failures.count
        // the output lines with the call that printed each; a terminal plot's lines
        // are not part of them unless --plots
        let plots = countPlots || source.split(separator: "\n").contains { $0.hasPrefix(GoldenRunner.plotsMarker) }
        let lines = trace.lines().filter { plots || !$0.plot }
        func printedBy(_ l: (text: String, loc: SourceLoc?, plot: Bool), _ e: Expectation?) -> String {
            guard let loc = l.loc else { return "" }
            if let e, loc.file.name == path, Int(loc.line) == e.line { return "" }
            return " (printed by \(loc.file.name):\(loc.line))"
        }
        var k = 0
        var wantError: Expectation?
        var hints: [Expectation] = []
        for e in items {
            switch e.kind {
            case .output, .approx:
                guard k < lines.count else {
                    failures.append("\(path):\(e.line): expected '\(e.text)', got no more output\(err.map { " (stopped by: \($0.summaryLines[0]))" } ?? "")")
                    continue
                }
                let got = lines[k].text; k += 1
                let ok = e.kind == .output && loose == nil ? got == e.text : approxEqual(got, e.text, tol)
                if !ok { failures.append("\(path):\(e.line): expected '\(e.text)', got '\(got)'\(printedBy(lines[k - 1], e))") }
            case .error, .runtimeError:
                if wantError == nil || e.kind == .error { wantError = e }
                checkError(path, e, err)
            case .hint: hints.append(e)
            }
        }
        if k < lines.count { failures.append("\(path): unexpected output line \(k + 1): '\(lines[k].text)'\(printedBy(lines[k], nil))") }
        if wantError == nil, let err { failures.append("\(path): unexpected error: \(err.summaryLines.joined(separator: "; "))") }
        for h in hints {
            let all = err.map { [$0] + $0.more } ?? []
            if !all.contains(where: { $0.hint == h.text }) {
                failures.append("\(path):\(h.line): expected hint '\(h.text)', got '\(all.compactMap(\.hint).joined(separator: "; "))'")
            }
        }
        if failures.count == before { passed += 1 }
    }

    mutating func checkError(_ path: String, _ e: Expectation, _ err: MLPError?) {
        guard let err else { failures.append("\(path):\(e.line): expected error '\(e.text)', got none"); return }
        let wantKinds: [ErrorKind] = e.kind == .error ? [.syntax, .resolve] : [.runtime]
        let all = [err] + err.more
        if all.contains(where: { Int($0.loc?.line ?? 0) == e.line && $0.message == e.text && wantKinds.contains($0.kind) }) { return }
        let got = all.map { x in "\(x.kind == .runtime ? "runtime error" : "error") at line \(x.loc.map { String($0.line) } ?? "?"): \(x.message)" }
        failures.append("\(path):\(e.line): expected \(e.kind == .error ? "error" : "runtime error") '\(e.text)', got \(got.joined(separator: "; "))")
    }

    /// Runs one script in a fresh session with the generator seeded to 0 (under the
    /// watchdog of `timeout`); its output, its error, and the origin of each write.
    func execute(_ source: String, _ path: String) -> (String, MLPError?, TracingOutput) {
        let out = TracingOutput()
        let session = Session(argv: [], file: path, seed: 0, out: out)
        out.context = session.context
        session.interp.stepBudget = stepBudget
        // scripts write fixed names under /tmp: one such file at a time on this machine,
        // so two runs (one and two threads, two checkouts) do not read each other's files
        let shared = source.contains("/tmp/") ? SharedTmpLock.acquire() : nil
        defer { SharedTmpLock.release(shared) }
        startWatchdog(timeout)
        defer { stopWatchdog() }
        if source.hasPrefix("# repl") { return (replTranscript(source, session, out), nil, out) }
        do {
            _ = try session.interp.run(source: source, name: path)
            return (out.captured, nil, out)
        } catch {
            return (out.captured, error, out)
        }
    }

    /// After `seconds`, interrupts the file every 50 ms until `stopWatchdog` (a
    /// builtin such as train answers one Ctrl-C by stopping itself, and the script
    /// would go on): SIGALRM sets `Interrupt.flag`, which loops and native work poll.
    func startWatchdog(_ seconds: Double?) {
        watchdogFired.store(false, ordering: .relaxed)
        guard let seconds else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            watchdogFired.store(true, ordering: .relaxed)
            Interrupt.flag.store(true, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGALRM, &action, nil)
        var timer = itimerval()
        timer.it_value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        timer.it_interval = timeval(tv_sec: 0, tv_usec: 50_000)
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    func stopWatchdog() {
        guard timeout != nil else { return }
        var off = itimerval()
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &off, nil)
        Interrupt.flag.store(false, ordering: .relaxed)
    }

    /// A file starting `# repl` is typed into a REPL session line by line (entries
    /// continue while unfinished): values are echoed as the REPL shows them and an
    /// error prints `error: MESSAGE` and the session goes on.
    func replTranscript(_ source: String, _ session: Session, _ out: TracingOutput) -> String {
        session.errorSink = { e in out.write("error: \(e.message)\n") }
        var pending = ""
        for line in source.split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            // the commands of the REPL that only print (`:reset` forgets the variables)
            let text = String(line).trimmingWhitespace()
            if pending.isEmpty, text.hasPrefix(":") || text.hasPrefix("?") {
                let command = String(text.split(separator: "#", maxSplits: 1).first ?? "").trimmingWhitespace()
                if command == ":reset" { session.reset() }
                else if command == ":who" { out.write(session.who() + "\n") }
                else if command.hasPrefix("?") {
                    let name = String(command.dropFirst()).trimmingWhitespace()
                    out.write((session.help(name) ?? "no help for '\(name)'" + (session.helpSuggestion(name).map { " (\($0))" } ?? "")) + "\n")
                }
                continue
            }
            pending += (pending.isEmpty ? "" : "\n") + line
            if pending.trimmingWhitespace().isEmpty || session.isIncomplete(pending) { continue }
            session.run(pending)
            pending = ""
        }
        if !pending.trimmingWhitespace().isEmpty { session.run(pending) }
        return out.captured
    }

    /// A run-only file's output ended as recorded: as many lines, and the same last
    /// line when that is an error report.
    func sameEnding(_ want: String, _ got: String, _ err: MLPError?) -> Bool {
        guard lineCount(want) == lineCount(got) else { return false }
        return err == nil || want.hasSuffix(err!.render(color: false))
    }

    func lineCount(_ s: String) -> Int { s.split(separator: "\n", omittingEmptySubsequences: false).count }

    /// Whole outputs equal line by line up to a relative tolerance on their numbers.
    func linesApproxEqual(_ want: String, _ got: String, _ tol: Double) -> Bool {
        let a = want.split(separator: "\n", omittingEmptySubsequences: false)
        let b = got.split(separator: "\n", omittingEmptySubsequences: false)
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { approxEqual(String($1), String($0), tol) || plotLinesClose(String($1), String($0)) }
    }

    /// Lines of a terminal plot's braille canvas: a curve that moves by a dot row
    /// changes cells, not numbers. Such lines match at other settings when they have
    /// the same width and at most a quarter of their braille cells differ.
    func plotLinesClose(_ got: String, _ want: String) -> Bool {
        let g = Array(got.unicodeScalars), w = Array(want.unicodeScalars)
        guard g.count == w.count else { return false }
        func braille(_ c: Unicode.Scalar) -> Bool { (0x2800...0x28FF).contains(c.value) }
        var cells = 0, differ = 0
        for (x, y) in zip(g, w) {
            if braille(x) != braille(y) && x != " " && y != " " { return false }
            guard braille(x) || braille(y) else { if x != y { return false }; continue }
            cells += 1
            if x != y { differ += 1 }
        }
        return cells > 0 && differ * 4 <= cells
    }

    /// The first line where a whole output differs from the `.out` file: `NAME.out:LINE`,
    /// the two texts, and the line of the script that printed the wrong one.
    func firstDifference(_ path: String, _ want: String, _ got: String, tolerance: Double? = nil, trace: TracingOutput? = nil) -> String {
        let a = want.split(separator: "\n", omittingEmptySubsequences: false)
        let b = got.split(separator: "\n", omittingEmptySubsequences: false)
        let origins = trace?.lines() ?? []
        let outPath = String(path.dropLast(4)) + ".out"
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? String(a[i]) : "<end>", y = i < b.count ? String(b[i]) : "<end>"
            let by = i < origins.count ? origins[i].loc.map { ", printed by \($0.file.name):\($0.line)" } ?? "" : ""
            if let tolerance {
                if approxEqual(y, x, tolerance) || plotLinesClose(y, x) { continue }
                return "\(outPath):\(i + 1): expected '\(x)', got '\(y)' (relative tolerance \(tolerance), other settings\(by))"
            }
            if x != y { return "\(outPath):\(i + 1): expected '\(x)', got '\(y)' (whole output differs from the .out file\(by); MLP_RECORD=1 re-records)" }
        }
        return "\(path): output differs from the .out file"
    }

    func mlpFiles(under dir: String) -> [String] {
        var out: [String] = []
        guard let d = opendir(dir) else { return [] }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            // folders starting with `_` hold modules that tests import, not tests
            if name.hasPrefix(".") || name.hasPrefix("_") { continue }
            names.append(name)
        }
        closedir(d)
        for name in names.sorted() {
            let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if directoryExists(full) { out += mlpFiles(under: full) }
            else if name.hasSuffix(".mlp") { out.append(full) }
        }
        return out
    }
}

/// Lines equal up to relative tolerance on the numbers in them.
func approxEqual(_ got: String, _ want: String, _ tol: Double) -> Bool {
    let g = numberTokens(got), w = numberTokens(want)
    guard g.text == w.text, g.numbers.count == w.numbers.count else { return false }
    for (x, y) in zip(g.numbers, w.numbers) {
        if x.isNaN && y.isNaN { continue }
        if x == y { continue }
        if abs(x - y) > tol * max(abs(x), abs(y)) { return false }
    }
    return true
}

/// Splits text into its non-number skeleton and the numbers in it.
func numberTokens(_ s: String) -> (text: String, numbers: [Double]) {
    var text = "", nums: [Double] = []
    let chars = Array(s)
    var i = 0
    while i < chars.count {
        let c = chars[i]
        let startsNumber = c.isNumber || ((c == "-" || c == ".") && i + 1 < chars.count && (chars[i + 1].isNumber || chars[i + 1] == "."))
        if startsNumber && c.isASCII {
            var j = i + 1
            while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "." || chars[j] == "e" || chars[j] == "E"
                    || ((chars[j] == "-" || chars[j] == "+") && (chars[j - 1] == "e" || chars[j - 1] == "E")) { j += 1 }
            if let d = Double(String(chars[i..<j])) { nums.append(d); text += "#"; i = j; continue }
        }
        text.append(c); i += 1
    }
    return (text, nums)
}

/// The captured output of a test, with the call that wrote each piece (Context's
/// `writeOrigin`: print, a plot, ...), so that a wrong line names its source line,
/// in an imported module too.
final class TracingOutput: TextSink {
    private var buffer: [UInt8] = []
    private var marks: [(offset: Int, loc: SourceLoc?, plot: Bool)] = []
    weak var context: Context?
    let isTerminal = false, color = false

    func write(_ s: String) {
        let origin = context?.writeOrigin
        if marks.last.map({ $0.loc?.file !== origin?.loc.file || $0.loc?.line != origin?.loc.line || $0.plot != (origin?.plot ?? false) }) ?? true {
            marks.append((buffer.count, origin?.loc, origin?.plot ?? false))
        }
        buffer.append(contentsOf: s.utf8)
    }
    func flush() {}
    var captured: String { String(decoding: buffer, as: UTF8.self) }

    /// The output's lines (without a last empty one), each with the origin of its first byte.
    func lines() -> [(text: String, loc: SourceLoc?, plot: Bool)] {
        var out: [(text: String, loc: SourceLoc?, plot: Bool)] = []
        var start = 0, m = 0
        func add(_ end: Int) {
            while m + 1 < marks.count, marks[m + 1].offset <= start { m += 1 }
            let mark = m < marks.count && marks[m].offset <= start ? marks[m] : (offset: 0, loc: nil, plot: false)
            out.append((String(decoding: buffer[start..<end], as: UTF8.self), mark.loc, mark.plot))
        }
        for (i, b) in buffer.enumerated() where b == 10 { add(i); start = i + 1 }
        if start < buffer.count { add(buffer.count) }
        return out
    }
}
