// The only file that touches libedit's globals. `@preconcurrency` is what
// makes Swift 6 accept the imported C globals (rl_*, mutable C state that
// Swift 6 cannot prove isolated); they are touched from the REPL's thread only.
@preconcurrency import CEditLine
import Glibc
import MLPLang
import Synchronization

enum ReadResult {
    case line(String)
    case interrupted  // Ctrl-C at the prompt
    case endOfInput   // Ctrl-D on an empty line
}

/// The host the completion callback asks. libedit calls the callback only on
/// the thread that is inside `readline()`, so unsynchronised access is safe.
nonisolated(unsafe) var completionHost: REPLHost?

/// Word breaks for libedit. Without '\\' (so `\alpha` is one word) and '.'
/// (so `a.b` is); `complete(before:text:host:)` finds its own word anyway.
private let wordBreaks = " \t\n\"'`@$><=;|&{}()[]+-*/%,!?:"

/// libedit's readline emulation: prompts, history file, Tab completion.
struct LineEditor {
    let historyPath: String
    private var lastEntry = ""

    init(historyPath: String) {
        self.historyPath = historyPath
        if !historyIsAFile { fputs("mlp: \(historyPath) is not a regular file; history is not kept.\n", stderr) }
        // Without a UTF-8 LC_CTYPE libedit drops non-ASCII input (α, ħ).
        // Only LC_CTYPE: LC_NUMERIC would change how printf formats numbers.
        let ctype = setlocale(LC_CTYPE, "").map { String(cString: $0) } ?? "C"
        if ctype == "C" || ctype == "POSIX" { _ = setlocale(LC_CTYPE, "C.UTF-8") }
        rl_readline_name = UnsafePointer(strdup("mlp"))
        rl_basic_word_break_characters = UnsafePointer(strdup(wordBreaks))
        rl_attempted_completion_function = { text, _, _ in attemptCompletion(text) }
        rl_completion_query_items = 200  // `\<Tab><Tab>` lists all LaTeX names without asking
        using_history()
        stifle_history(1000)
        if historyIsAFile { _ = read_history(historyPath) }
    }

    /// History lives only in a regular file (or one not made yet): opening a FIFO would
    /// block until something writes to it, and a device or folder is no place for it.
    var historyIsAFile: Bool { fileExists(historyPath) || !pathExists(historyPath) }

    func read(prompt: String) -> ReadResult {
        Interrupt.flag.store(false, ordering: .relaxed)
        fflush(nil)  // the host's output must be out before libedit draws the prompt
        guard let raw = readline(prompt) else {
            // libedit returns NULL both for Ctrl-D and for Ctrl-C; the flag tells.
            return Interrupt.flag.exchange(false, ordering: .relaxed) ? .interrupted : .endOfInput
        }
        defer { free(raw) }
        return .line(String(cString: raw))
    }

    /// Adds one whole entry (multi-line ones too) and rewrites the file now,
    /// so history survives a killed terminal. append_history duplicates
    /// entries in this libedit version; the file holds at most 1000 entries.
    mutating func remember(_ entry: String) {
        guard entry != lastEntry else { return }
        lastEntry = entry
        _ = add_history(entry)
        if historyIsAFile { _ = write_history(historyPath) }
    }
}

/// rl_attempted_completion_function: returns a malloc'ed, NULL-terminated
/// array of malloc'ed strings (libedit frees them), or NULL for no match.
private func attemptCompletion(_ text: UnsafePointer<CChar>?) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    rl_attempted_completion_over = 1  // never fall back to libedit's own file completion
    guard let host = completionHost else { return nil }
    let word = text.map { String(cString: $0) } ?? ""
    let line = rl_line_buffer.map { String(cString: $0) } ?? word
    let before = lineBeforeCursor(line, point: Int(rl_point), word: word)
    guard let result = complete(before: before, text: word, host: host) else { return nil }
    rl_completion_append_character = result.appendSpace ? 32 : 0
    let array = malloc((result.matches.count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)!
        .bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: result.matches.count + 1)
    for (i, match) in result.matches.enumerated() { array[i] = strdup(match) }
    array[result.matches.count] = nil
    return array
}

/// rl_point counts wide characters in some libedit versions and bytes in
/// others; take whichever reading ends with the word libedit passed.
private func lineBeforeCursor(_ line: String, point: Int, word: String) -> String {
    let scalars = line.unicodeScalars
    if point <= scalars.count {
        let s = String(String.UnicodeScalarView(scalars.prefix(point)))
        if s.hasSuffix(word) { return s }
    }
    let bytes = Array(line.utf8)
    if point <= bytes.count {
        let s = String(decoding: bytes.prefix(point), as: UTF8.self)
        if s.hasSuffix(word) { return s }
    }
    return line.hasSuffix(word) ? line : word
}
