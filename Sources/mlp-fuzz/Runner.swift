// Runs one input in this process, in a fresh Session, and checks how it ended.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

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
    session.interp.stdlibPath = nil   // no $MLP_STDLIB files; the built-in stdlib reads none
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
