// `mlp doc check [FILES...]`: the examples of the documentation run and print what
// their comments say (docs/contributing.md, "Examples in the docs"). It checks
// every ```mlp block of the Markdown files given, and with the word `builtins`
// the example of every builtin (docs/builtins.md is made from them); by default
// README.md, docs/*.md and the builtins.
import MLPLang
#if canImport(Glibc)
import Glibc
#endif

public struct DocChecker {
    public var failures: [String] = []
    /// Lines whose comment was compared with what mlp printed or evaluated.
    public var checked = 0

    public init() {}

    /// Checks the files (folders: their `.md` files) and the builtins' examples; the exit status.
    public mutating func main(_ paths: [String]) -> Int32 {
        var files: [String] = []
        var builtins = false
        for p in paths.isEmpty ? ["README.md", "docs", "builtins"] : paths {
            if p == "builtins" { builtins = true; continue }
            if directoryExists(p) {
                files += listDirectory(p).filter { $0.hasSuffix(".md") }.sorted().map { p.hasSuffix("/") ? p + $0 : p + "/" + $0 }
            } else if fileExists(p) { files.append(p) }
            else { writeStderr("mlp doc check: no such file or directory '\(p)'\n"); return 64 }
        }
        for f in files {
            guard let text = readFile(f) else { failures.append("\(f): cannot read"); continue }
            checkMarkdown(text, path: f)
        }
        if builtins { checkBuiltinExamples() }
        for line in failures { writeStderr(line + "\n") }
        print("\(checked) documented results checked, \(failures.count) wrong")
        return failures.isEmpty ? 0 : 1
    }

    /// The ```mlp blocks of one page, in order, in one session (a block may use the
    /// names of the blocks above it). A block with `# expect` comments is a test file
    /// of its own (docs/testing.md) and runs as `mlp test` runs one.
    public mutating func checkMarkdown(_ text: String, path: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let session = DocChecker.session(path)
        var i = 0
        while i < lines.count {
            let fence = lines[i].trimmingWhitespace()
            if lines[i].hasPrefix("    mlp> "), i == 0 || lines[i - 1].trimmingWhitespace().isEmpty || lines[i - 1].hasPrefix("    ") {
                // an indented block holding a REPL transcript
                var j = i
                while j < lines.count, lines[j].hasPrefix("    ") || lines[j].trimmingWhitespace().isEmpty { j += 1 }
                checkTranscript(lines[i..<j].map { String($0.dropFirst(min(4, $0.count))) }, firstLine: i + 1, path: path)
                i = j
                continue
            }
            guard lines[i].hasPrefix("```") else { i += 1; continue }
            var j = i + 1
            while j < lines.count, !lines[j].hasPrefix("```") { j += 1 }
            if fence != "```mlp" && fence != "```mlp-norun" {
                let block = Array(lines[(i + 1)..<min(j, lines.count)])
                if block.contains(where: { $0.hasPrefix("mlp> ") }) { checkTranscript(block, firstLine: i + 2, path: path) }
            }
            if fence == "```mlp" {
                let block = Array(lines[(i + 1)..<min(j, lines.count)])
                if block.contains(where: { $0.contains("# expect") }) {
                    var runner = GoldenRunner()
                    runner.check("\(path):\(i + 2)", named: true, source: block.joined(separator: "\n") + "\n")
                    failures += runner.failures.map { "\($0) (the block starting at \(path):\(i + 2))" }
                    checked += 1
                } else {
                    checkLines(block, firstLine: i + 2, path: path, session: session)
                }
            }
            i = j + 1
        }
    }

    /// Every builtin's example that has a result comment, each in a fresh session.
    public mutating func checkBuiltinExamples() {
        for e in Registry.standard(argv: []).entries {
            let lines = e.example.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.contains(where: { DocChecker.comment(in: $0) != nil }) else { continue }
            checkLines(lines, firstLine: 1, path: "builtin \(e.name) (docs/builtins.md)", session: DocChecker.session("<example>"))
        }
    }

    static func session(_ name: String) -> Session {
        let s = Session(argv: [], file: name, seed: 0, out: Output(capturing: ()))
        s.interp.stepBudget = 200_000_000
        return s
    }

    /// Runs the lines entry by entry as the REPL does and checks each entry's
    /// result comment (on its last line): what it printed, else the value it
    /// evaluated to as the REPL shows it; `# error: MESSAGE` for an entry that must
    /// fail so; `# ~ ...` run, not compared. A comment after an entry that prints
    /// nothing and has no value (an assignment) is prose.
    mutating func checkLines(_ lines: [String], firstLine: Int, path: String, session: Session) {
        guard let out = session.out as? Output else { return }
        var pending: [String] = [], k = 0
        while k < lines.count {
            pending.append(lines[k])
            let entry = pending.joined(separator: "\n")
            let line = firstLine + k
            k += 1
            if entry.trimmingWhitespace().isEmpty || lines[k - 1].trimmingWhitespace().hasPrefix("#") && pending.count == 1 {
                pending = []; continue
            }
            if (session.isIncomplete(entry) || entry.hasSuffix("\\")) && k < lines.count { continue }
            pending = []
            let comment = DocChecker.comment(in: lines[k - 1])
            let before = out.captured.utf8.count
            let result = session.evaluate(entry, name: path)
            let printed = String(decoding: Array(out.captured.utf8)[before...], as: UTF8.self)
            let where_ = "\(path):\(line)"
            switch result {
            case .failure(let e):
                if let c = comment, c.hasPrefix("error:") {
                    checked += 1
                    let want = String(c.dropFirst("error:".count)).trimmingWhitespace()
                    if e.message != want { failures.append("\(where_): the comment says error '\(want)', mlp says '\(e.message)'") }
                } else {
                    failures.append("\(where_): error: \(e.message)")
                }
                continue
            case .success(let shown):
                guard let c = comment, !c.hasPrefix("~") else { continue }
                if c.hasPrefix("error:") { failures.append("\(where_): the comment says \(c), but it ran"); checked += 1; continue }
                var got = printed.hasSuffix("\n") ? String(printed.dropLast()) : printed
                if printed.isEmpty {
                    // a value, as the REPL echoes it (a ';' at the end hides it there, not here)
                    guard let value = shown else { continue }
                    got = value
                }
                var want = c
                // an output of several lines: the comment lines right below continue it,
                // their text starting in the column of the first line's text
                let extra = got.split(separator: "\n", omittingEmptySubsequences: false).count - 1
                let last = Array(lines[k - 1])
                let textColumn = last.count - Array(c).count
                var taken = 0
                while taken < extra, k < lines.count, lines[k].trimmingWhitespace().hasPrefix("#") {
                    let next = Array(lines[k])
                    let aligned = next.count >= textColumn && next[..<textColumn].allSatisfy { $0 == " " || $0 == "#" }
                    want += "\n" + (aligned ? String(next[textColumn...]) : DocChecker.stripHash(lines[k].trimmingWhitespace()))
                    k += 1; taken += 1
                }
                checked += 1
                if got != want {
                    failures.append("\(where_): the comment says '\(want.replacingNewlines())', mlp \(printed.isEmpty ? "evaluates to" : "prints") '\(got.replacingNewlines())'")
                }
            }
        }
    }

    /// A REPL transcript in any block (`mlp> ` entries, `...> ` continuations, the
    /// lines below them what the REPL shows), in a fresh session: each entry's echo
    /// and output, and `?name` help, must be the lines written below it.
    public mutating func checkTranscript(_ lines: [String], firstLine: Int, path: String) {
        let session = DocChecker.session(path)
        guard let out = session.out as? Output else { return }
        session.errorSink = { e in out.write("error: \(e.message)\n") }
        var i = 0
        while i < lines.count {
            guard lines[i].hasPrefix("mlp> ") else { i += 1; continue }
            let start = i
            var entry = String(lines[i].dropFirst(5))
            i += 1
            while i < lines.count, lines[i].hasPrefix("...> ") { entry += "\n" + lines[i].dropFirst(5); i += 1 }
            var want: [String] = []
            while i < lines.count, !lines[i].hasPrefix("mlp> "), !lines[i].hasPrefix("$ ") { want.append(lines[i]); i += 1 }
            while want.last?.trimmingWhitespace().isEmpty == true { want.removeLast() }
            let before = out.captured.utf8.count
            if entry.hasPrefix("?") {
                let name = String(entry.dropFirst()).trimmingWhitespace()
                out.write((session.help(name) ?? "no help for '\(name)'") + "\n")
            } else if entry.hasPrefix(":") {
                continue   // other commands: not compared
            } else {
                session.run(entry)
            }
            var got = String(decoding: Array(out.captured.utf8)[before...], as: UTF8.self)
            if got.hasSuffix("\n") { got.removeLast() }
            let wanted = want.joined(separator: "\n")
            checked += 1
            if got != wanted {
                failures.append("\(path):\(firstLine + start): the transcript shows '\(wanted.replacingNewlines())', mlp shows '\(got.replacingNewlines())'")
            }
        }
    }

    static func stripHash(_ s: String) -> String {
        var t = s.dropFirst()
        if t.hasPrefix(" ") { t = t.dropFirst() }
        return String(t)
    }

    /// The text of the `#` comment that ends a line of code (outside strings and
    /// their `{...}` parts), without the `#` and surrounding blanks; nil if none.
    static func comment(in line: String) -> String? {
        let chars = Array(line)
        var i = 0, inString = false, depth = 0
        if line.trimmingWhitespace().hasPrefix("#") { return nil }
        while i < chars.count {
            let c = chars[i]
            if inString && depth == 0 {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inString = false } else if c == "{" { depth = 1 }
            } else if inString {
                if c == "{" { depth += 1 } else if c == "}" { depth -= 1 }
                else if c == "\"" {
                    // a string inside the interpolation
                    i += 1
                    while i < chars.count, chars[i] != "\"" { i += chars[i] == "\\" ? 2 : 1 }
                }
            } else if c == "\"" {
                inString = true
            } else if c == "#" {
                return String(chars[(i + 1)...]).trimmingWhitespace()
            }
            i += 1
        }
        return nil
    }
}

extension String {
    func replacingNewlines() -> String { split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " / ") }
}

func listDirectory(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let ent = readdir(d) {
        let name = withUnsafeBytes(of: ent.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if !name.hasPrefix(".") { names.append(name) }
    }
    return names
}
