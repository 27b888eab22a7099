import Glibc

/// What Tab offers, in the shape libedit wants (see `LineEditor`):
/// `matches[0]` replaces the word libedit found, `matches[1...]` are listed.
struct CompletionResult: Equatable {
    var matches: [String]
    var appendSpace: Bool
}

/// One kind of completion found at the cursor: `word` is the end of the line
/// that is being completed, `full` the texts that may replace it, `shown` how
/// they are listed.
private struct Candidates {
    var word: String
    var full: [String]
    var shown: [String]
    var appendSpace = false
}

/// Completes the end of `before` (the line up to the cursor). `text` is the
/// word libedit chose with its break characters; our own word may start
/// earlier or later, so the answer is re-expressed relative to `text`.
func complete(before: String, text: String, host: REPLHost) -> CompletionResult? {
    guard let found = candidates(before: before, host: host), !found.full.isEmpty else { return nil }
    if found.full.count == 1 {
        guard let replacement = relative(found.full[0], word: found.word, text: text) else { return nil }
        return CompletionResult(matches: [replacement, replacement], appendSpace: found.appendSpace)
    }
    guard let common = relative(commonPrefix(found.full), word: found.word, text: text) else { return nil }
    return CompletionResult(matches: [common] + found.shown, appendSpace: found.appendSpace)
}

/// Completion for a frontend that replaces a range of the text itself (the notebook
/// kernel's complete_request): the texts that may replace the last `replacing`
/// Unicode scalars of `before` (the text up to the cursor). Same kinds as Tab in
/// the REPL: names, fields after '.', file names in strings, `\alpha`, commands.
public func completions(before: String, host: REPLHost) -> (matches: [String], replacing: Int) {
    guard let found = candidates(before: before, host: host) else { return ([], 0) }
    return (found.full, found.word.unicodeScalars.count)
}

/// `candidate` replaces `word`; libedit replaces `text`. Both are suffixes of
/// the same line, counted in Unicode scalars (libedit's wide characters).
private func relative(_ candidate: String, word: String, text: String) -> String? {
    let w = Array(word.unicodeScalars), t = Array(text.unicodeScalars)
    if t.count >= w.count {
        var s = String.UnicodeScalarView(t[0 ..< (t.count - w.count)])
        s.append(contentsOf: candidate.unicodeScalars)
        return String(s)
    }
    let c = Array(candidate.unicodeScalars), extra = w.count - t.count
    guard c.count >= extra, Array(c[0 ..< extra]) == Array(w[0 ..< extra]) else { return nil }
    return String(String.UnicodeScalarView(c[extra...]))
}

/// Longest common prefix by whole characters, so a multi-byte letter is never cut.
private func commonPrefix(_ strings: [String]) -> String {
    guard var prefix = strings.first.map(Array.init) else { return "" }
    for s in strings.dropFirst() {
        let chars = Array(s)
        var n = 0
        while n < prefix.count, n < chars.count, prefix[n] == chars[n] { n += 1 }
        prefix.removeLast(prefix.count - n)
    }
    return String(prefix)
}

private let commands = [":help", ":load", ":quit", ":reset", ":time", ":who"]

/// Picks the kind of completion from what precedes the cursor.
private func candidates(before: String, host: REPLHost) -> Candidates? {
    let trimmed = before.drop { $0 == " " || $0 == "\t" }
    if trimmed.hasPrefix(":load ") {
        let argument = String(trimmed.dropFirst(6).drop { $0 == " " })
        if argument.hasPrefix("\"") {
            // `:load "my file.mlp"`: the path inside the quote; a unique file closes it
            var found = fileCandidates(String(argument.dropFirst()))
            let closes = found.full.count == 1 && !found.full[0].hasSuffix("/")
            found.full = found.full.map { "\"" + $0 + (closes ? "\"" : "") }
            found.word = argument
            return found
        }
        return fileCandidates(argument)
    }
    if trimmed.hasPrefix(":"), !trimmed.contains(" ") {
        let word = String(trimmed)
        let hits = commands.filter { $0.hasPrefix(word) }
        return Candidates(word: word, full: hits, shown: hits, appendSpace: true)
    }
    let code = trimmed.hasPrefix(":time ") ? String(trimmed.dropFirst(6)) : String(before)
    if let literal = openStringContent(code) { return fileCandidates(literal) }
    if let latex = latexCandidates(code) { return latex }
    return nameCandidates(code, host: host)
}

/// The text after the opening quote when the cursor is inside a string
/// literal; nil in code (including inside `{...}` interpolation).
private func openStringContent(_ line: String) -> String? {
    var inString = false, interpolation = 0, escaped = false
    var start = line.startIndex
    for i in line.indices {
        let ch = line[i]
        if inString && interpolation == 0 {
            if escaped { escaped = false }
            else if ch == "\\" { escaped = true }
            else if ch == "\"" { inString = false }
            else if ch == "{" { interpolation = 1 }
        } else if inString {
            if ch == "{" { interpolation += 1 } else if ch == "}" { interpolation -= 1 }
        } else if ch == "\"" {
            inString = true
            start = line.index(after: i)
        } else if ch == "#" {
            return nil  // a comment: the rest is not a string
        }
    }
    return inString && interpolation == 0 ? String(line[start...]) : nil
}

/// `\alpha` -> `α`: an exact or unique name gives the symbol, several names are
/// listed. Nil when there is no backslash name before the cursor.
private func latexCandidates(_ line: String) -> Candidates? {
    guard let slash = line.lastIndex(of: "\\") else { return nil }
    let word = String(line[slash...])
    if let symbol = latexSymbols[word] { return Candidates(word: word, full: [symbol], shown: [symbol]) }
    let hits = latexNames.filter { $0.hasPrefix(word) }
    if hits.isEmpty { return nil }
    if hits.count == 1 { return Candidates(word: word, full: [latexSymbols[hits[0]]!], shown: hits) }
    return Candidates(word: word, full: hits, shown: hits)
}

private func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

private func isName(_ s: Substring) -> Bool {
    guard let first = s.first, !first.isNumber else { return false }
    return s.allSatisfy(isNameCharacter)
}

/// Globals/builtins/keywords, or fields after `a.b.` (only plain name chains,
/// so nothing with side effects is evaluated).
private func nameCandidates(_ line: String, host: REPLHost) -> Candidates? {
    let word = String(line.reversed().prefix { isNameCharacter($0) || $0 == "." }.reversed())
    guard let dot = word.lastIndex(of: ".") else {
        if word.first?.isNumber == true { return nil }
        // inside a call: its keyword arguments first (`train(net, adam, d, ep` -> `epochs=`)
        var keywords: [String] = []
        if let callee = enclosingCall(String(line.dropLast(word.count))) {
            keywords = host.keywordCompletions(callee: callee, prefix: word)
        }
        let names = keywords + Array(Set(host.completions(prefix: word))).sorted()
        return Candidates(word: word, full: names, shown: names)
    }
    let object = word[..<dot], prefix = String(word[word.index(after: dot)...])
    guard object.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isName) else { return nil }
    let fields = Array(Set(host.fieldCompletions(object: String(object), prefix: prefix))).sorted()
    return Candidates(word: word, full: fields.map { object + "." + $0 }, shown: fields)
}

/// The name (or `a.b` chain) of the call whose '(' is open at the end of `line`,
/// when the cursor is at an argument's start (after '(' or ','); nil otherwise.
private func enclosingCall(_ line: String) -> String? {
    let before = Array(line)
    var end = before.count
    while end > 0, before[end - 1] == " " || before[end - 1] == "\t" { end -= 1 }
    guard end > 0, before[end - 1] == "(" || before[end - 1] == "," else { return nil }
    // walk back to the unmatched '(' (skipping brackets and strings)
    var depth = 0, i = end - 1, inString = false
    while i >= 0 {
        let c = before[i]
        if inString { if c == "\"" { inString = false } }
        else if c == "\"" { inString = true }
        else if c == ")" || c == "]" || c == "}" { depth += 1 }
        else if c == "(" || c == "[" || c == "{" {
            if depth == 0 { break }
            depth -= 1
        }
        i -= 1
    }
    guard i > 0, before[i] == "(" else { return nil }
    var j = i
    while j > 0, isNameCharacter(before[j - 1]) || before[j - 1] == "." { j -= 1 }
    let callee = String(before[j..<i])
    guard !callee.isEmpty, callee.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isName) else { return nil }
    return callee
}

/// File names for the path typed so far; directories get '/', and nothing is
/// appended so the user can go on into the directory or close the quote.
private func fileCandidates(_ path: String) -> Candidates {
    let dirPart: String, namePrefix: String
    if let slash = path.lastIndex(of: "/") {
        dirPart = String(path[...slash])
        namePrefix = String(path[path.index(after: slash)...])
    } else {
        dirPart = ""
        namePrefix = path
    }
    var directory = dirPart.isEmpty ? "." : dirPart
    if directory == "~/" || directory.hasPrefix("~/"), let home = getenv("HOME") {
        directory = String(cString: home) + directory.dropFirst()
    }
    var names: [String] = []
    if let dir = opendir(directory) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." || !name.hasPrefix(namePrefix) { continue }
            if name.hasPrefix("."), !namePrefix.hasPrefix(".") { continue }
            var info = stat()
            let isDir = stat(directory + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            names.append(isDir ? name + "/" : name)
        }
        closedir(dir)
    }
    names.sort()
    return Candidates(word: path, full: names.map { dirPart + $0 }, shown: names)
}
