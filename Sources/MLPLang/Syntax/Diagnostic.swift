// Errors and their rendering: `file:line:col: error: message`, the source line,
// a caret, and the call trace innermost first (docs/language.md, "Errors").

/// One source text (a script, a `-e` string, a REPL entry) with its line table.
public final class SourceFile: @unchecked Sendable {
    public let name: String
    public let bytes: [UInt8]
    /// Byte offset where each line starts.
    let lineStarts: [Int]

    public init(name: String, text: String) {
        self.name = name
        // a byte-order mark (some editors write one) is not part of the program, nor a column
        let utf8 = text.utf8
        self.bytes = Array(utf8.starts(with: [0xEF, 0xBB, 0xBF]) ? utf8.dropFirst(3) : utf8[...])
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// The text of 1-based line `n`, without its newline.
    public func line(_ n: Int) -> String {
        guard n >= 1, n <= lineStarts.count else { return "" }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }
}

/// A position in a source: 1-based line and column (columns count characters, not bytes).
public struct SourceLoc: Sendable {
    public let file: SourceFile
    public let line: Int32
    public let col: Int32
    public init(file: SourceFile, line: Int, col: Int) {
        self.file = file; self.line = Int32(line); self.col = Int32(col)
    }
}

public enum ErrorKind: Sendable {
    case syntax, resolve, runtime, interrupt
    /// Exit status of the `mlp` command for this kind (sysexits).
    public var exitCode: Int32 {
        switch self {
        case .syntax, .resolve: return 65
        case .runtime: return 70
        case .interrupt: return 130
        }
    }
}

/// Every error mlp reports. A class so that `throws(MLPError)` moves one pointer.
public final class MLPError: Error, @unchecked Sendable {
    public let kind: ErrorKind
    public let message: String
    public var loc: SourceLoc?
    /// Extra lines after the caret (e.g. "did you mean 'lstm'?").
    public var hint: String?
    /// Function frames the error passed through, innermost first.
    public var trace: [(name: String, loc: SourceLoc)] = []
    /// Where the error is in the frame being unwound now (the next trace entry's line).
    var frameLoc: SourceLoc?
    /// A syntax error at the end of the input: the REPL reads another line instead.
    public var atEnd = false
    /// Further errors found in the same parse (syntax and resolve errors are all reported).
    public var more: [MLPError] = []
    /// False for the errors that stop a runaway program (step or time budget, stack
    /// overflow): `try` does not catch them, nor Ctrl-C.
    public var catchable = true
    /// Who raised a runtime error when a program may tell it apart: "error" for
    /// `error(...)`, "assertion" for `assert` (`e.kind` in a `catch`).
    public var raisedBy: String?

    public init(_ kind: ErrorKind, _ message: String, at loc: SourceLoc? = nil, hint: String? = nil) {
        self.kind = kind; self.message = message; self.loc = loc; self.hint = hint; self.frameLoc = loc
    }

    public static func runtime(_ message: String, at loc: SourceLoc? = nil) -> MLPError {
        MLPError(.runtime, message, at: loc)
    }

    /// Gives a location to an error raised where none was known (e.g. inside a builtin).
    @discardableResult
    public func located(_ at: SourceLoc) -> MLPError {
        if loc == nil { loc = at; frameLoc = at }
        return self
    }

    /// Records that the error left function `name`; `callSite` is where that function was called.
    func leaving(_ name: String, callSite: SourceLoc) {
        if loc == nil { loc = callSite; frameLoc = callSite }
        if let at = frameLoc { trace.append((name, at)) }
        frameLoc = callSite
    }

    /// Closes the trace at the top level of a script.
    func leavingScript() {
        if let at = frameLoc, !trace.isEmpty { trace.append(("<script>", at)) }
        frameLoc = nil
    }

    /// The full report, as printed on stderr.
    public func render(color: Bool = false) -> String {
        var out = ""
        for (i, e) in ([self] + more).enumerated() {
            if i > 0 { out += "\n" }
            out += e.renderOne(color: color)
        }
        return out
    }

    private func renderOne(color: Bool) -> String {
        let red = color ? "\u{1B}[1;31m" : "", bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        let label = kind == .interrupt ? "interrupted" : "error"
        guard let loc else { return "\(bold)mlp: \(red)\(label):\(reset)\(bold) \(message)\(reset)\n" }
        var out = "\(bold)\(loc.file.name):\(loc.line):\(loc.col): \(red)\(label):\(reset)\(bold) \(message)\(reset)\n"
        let text = loc.file.line(Int(loc.line))
        if !text.isEmpty {
            let num = String(loc.line)
            let pad = String(repeating: " ", count: num.count)
            out += "    \(num) | \(text)\n"
            // The caret goes under column `col`; tabs are kept so it lines up.
            var prefix = ""
            for (i, ch) in text.enumerated() where i < Int(loc.col) - 1 { prefix.append(ch == "\t" ? "\t" : " ") }
            out += "    \(pad) | \(prefix)\(red)^\(reset)\n"
        }
        if let hint { out += "    \(hint)\n" }
        // a cycle of frames repeated by deep recursion (f calling f, or f and g calling
        // each other) is shown three times, then counted
        var i = 0
        while i < trace.count {
            let (period, length) = repeatedCycle(at: i)
            let shown = period == 0 ? 1 : 3 * period
            for t in trace[i..<i + shown] { out += "  at \(t.name) (\(t.loc.file.name):\(t.loc.line))\n" }
            if period > 0 {
                var names: [String] = []
                for t in trace[i..<i + period] where !names.contains(t.name) { names.append(t.name) }
                let list = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
                out += "  ... \(FormatSpec.group(String(length - shown))) more calls of \(list) ...\n"
            }
            i += period == 0 ? 1 : length
        }
        return out
    }

    /// The cycle of at most 10 frames repeated from trace entry `start` on for more than
    /// three turns, and how many entries the repetition covers: the one covering most, the
    /// shortest of those; (0, 0) when none does.
    private func repeatedCycle(at start: Int) -> (period: Int, length: Int) {
        func same(_ a: Int, _ b: Int) -> Bool {
            trace[a].name == trace[b].name && trace[a].loc.line == trace[b].loc.line && trace[a].loc.file === trace[b].loc.file
        }
        var best = (period: 0, length: 0)
        for period in 1...10 where start + 3 * period < trace.count {
            var end = start + period
            while end < trace.count, same(end, end - period) { end += 1 }
            if end - start > 3 * period, end - start > best.length { best = (period, end - start) }
        }
        return best
    }

    /// `file:line:col: message` lines, one per error (the golden runner compares these).
    public var summaryLines: [String] {
        ([self] + more).map { e in
            guard let l = e.loc else { return e.message }
            return "\(l.file.name):\(l.line):\(l.col): \(e.message)"
        }
    }
}

/// Edit distance for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// The closest name for "did you mean 'x'?": the same name in another case
/// (`LSTM` -> `lstm`), else the nearest within edit distance 2 ignoring case (1 for
/// names of up to three letters, so `np` suggests nothing rather than `any`).
public func closestName(to name: String, in candidates: [String]) -> String? {
    let lower = name.lowercased()
    if let same = candidates.filter({ $0 != name && $0.lowercased() == lower }).min() { return same }
    let limit = name.count <= 3 ? 1 : 2
    var best: (String, Int)?
    for c in candidates where c != name && abs(c.count - name.count) <= limit {
        let d = editDistance(lower, c.lowercased())
        if d <= limit, d < name.count, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
    }
    return best?.0
}

/// Names that users of Python, NumPy, Keras and Julia write, with what mlp writes
/// instead: a value (`True`), or a name whose mlp spelling differs (`to_categorical`).
/// An alias is suggested only when its target is defined (a builtin).
let habitNames: [String: (suggest: String, isName: Bool)] = [
    "True": ("true", false), "False": ("false", false), "None": ("nil", false),
    "nothing": ("nil", false), "null": ("nil", false), "NULL": ("nil", false),
    "categorical_crossentropy": ("crossentropy", true), "CategoricalCrossentropy": ("crossentropy", true),
    "sparse_categorical_crossentropy": ("crossentropy", true),
    "binary_crossentropy": ("crossentropy", true),
    "mean_squared_error": ("mse", true), "MeanSquaredError": ("mse", true),
    "mean_absolute_error": ("mae", true), "MeanAbsoluteError": ("mae", true),
    "to_categorical": ("onehot", true), "one_hot": ("onehot", true),
    "Dense": ("dense", true), "Conv2D": ("conv2d", true), "SimpleRNN": ("simple_rnn", true),
    "MaxPooling2D": ("maxpool", true), "AveragePooling2D": ("avgpool", true),
    "BatchNormalization": ("batchnorm", true), "Dropout": ("dropout", true),
    "Embedding": ("embedding", true), "Flatten": ("flatten", true), "UpSampling2D": ("upsample", true),
    "Sequential": ("a model is layers joined by '>>': dense(8, relu) >> dense(1).", false),
    "list": ("a list is written [a, b]; r[:] turns a range into a list.", false),
    "tuple": ("mlp has no tuples: write a list [a, b].", false),
    "fit": ("train", true), "array": ("tensor", true), "asarray": ("tensor", true),
    "arange": ("range", true), "println": ("print", true), "length": ("len", true),
    "np": ("mlp has the NumPy functions as builtins (np.zeros -> zeros).", false),
    "numpy": ("mlp has the NumPy functions as builtins (np.zeros -> zeros).", false),
]

/// The hint for an undefined name: a habit from another language, the name in
/// another case, or the closest name.
public func nameHint(_ name: String, _ candidates: [String]) -> String? {
    if let h = habitNames[name] {
        // a value such as nil, or a sentence
        if !h.isName { return h.suggest.contains(" ") ? h.suggest : "did you mean '\(h.suggest)'?" }
        if candidates.contains(h.suggest) { return "did you mean '\(h.suggest)'?" }
    }
    return closestName(to: name, in: candidates).map { "did you mean '\($0)'?" }
}
