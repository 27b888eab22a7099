import Glibc
import MLPLang
import Synchronization

/// A REPL command: `?name`, `:help`, `:time EXPR`, `:load FILE`, `:reset`,
/// `:quit`. Commands are one line and only start an entry; the rest is code.
/// The notebook kernel runs them too (a cell that is one command line).
public enum Command: Equatable {
    case help(String)  // "" for the index
    case time(String)
    case load(String)
    case reset
    case who
    case quit
    case usage(String)  // a command without its argument
    case unknown(String)

    public init?(_ line: String) {
        let text = trimmingBlanks(line)
        if text.hasPrefix("?") {
            self = .help(trimmingBlanks(String(text.dropFirst())))
            return
        }
        guard text.hasPrefix(":") else { return nil }
        let name = String(text.prefix { $0 != " " && $0 != "\t" })
        let argument = trimmingBlanks(String(text.dropFirst(name.count)))
        switch name {
        case ":quit", ":q", ":exit": self = .quit
        case ":help", ":h", ":?": self = .help("")
        case ":reset": self = .reset
        case ":who": self = .who
        case ":time": self = argument.isEmpty ? .usage(":time EXPR") : .time(argument)
        case ":load": self = argument.isEmpty ? .usage(":load FILE") : .load(expandPath(argument))
        default: self = .unknown(name)
        }
    }

    /// Runs the command; its own messages (help, usage) go to `say`, one line or more
    /// ending in exactly one newline (standard output in the REPL).
    public func run(on host: REPLHost, say: (String) -> Void = { print($0, terminator: "") }) {
        func show(_ text: String) { say(text.hasSuffix("\n") ? text : text + "\n") }
        let width = terminalColumns()
        switch self {
        case .help(""): show(wrapText(host.helpIndex(), width: width))
        case .help(let name):
            if let text = host.help(name) { show(wrapText(text, width: width)) }
            else { show("no help for '\(name)'" + (host.helpSuggestion(name).map { " (\($0))" } ?? "")) }
        case .who: show(host.who())
        case .time(let source):
            Interrupt.flag.store(false, ordering: .relaxed)
            host.time(source)
        case .load(let path):
            Interrupt.flag.store(false, ordering: .relaxed)
            host.load(path: path)
        case .reset: host.reset()
        case .quit: break
        case .usage(let usage): show("usage: \(usage)")
        case .unknown(let name): show("unknown command '\(name)' (try :help)")
        }
    }
}

/// Accepts `:load "a b.mlp"` as well as `:load a.mlp`, and `~/...`.
private func expandPath(_ argument: String) -> String {
    var path = argument
    if path.count >= 2, path.first == "\"", path.last == "\"" { path = String(path.dropFirst().dropLast()) }
    if path.hasPrefix("~/"), let home = getenv("HOME") { path = String(cString: home) + path.dropFirst() }
    return path
}

/// `s` without leading and trailing blanks (a free function, not a String
/// extension, so it cannot clash with one from another module).
func trimmingBlanks(_ s: String) -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    return String(s.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
}

/// The terminal's width when standard output is one, else nil (no wrapping).
func terminalColumns() -> Int? {
    guard isatty(1) == 1 else { return nil }
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 else { return nil }
    return Int(size.ws_col)
}

/// Wraps each line of `text` at spaces to `width` columns; a continuation is
/// indented like its line (plus two spaces after a `name(...)` signature line's
/// indentation, so help paragraphs stay aligned). Nil width: unchanged.
public func wrapText(_ text: String, width: Int?) -> String {
    guard let width else { return text }
    var out: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var rest = String(line)
        var indent = String(rest.prefix { $0 == " " })
        // `  example: ...`, `  tensor: zeros ones ...`: continuations hang after the label
        let body = rest.dropFirst(indent.count)
        if let colon = body.prefix(24).firstIndex(of: ":"), body[body.index(after: colon)...].hasPrefix(" "),
           body[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !body[..<colon].isEmpty {
            indent += String(repeating: " ", count: body.distance(from: body.startIndex, to: colon) + 2)
        }
        while rest.count > width {
            let chars = Array(rest)
            // the last space within the width, after the indentation
            var cut = -1
            var i = min(width, chars.count - 1)
            while i > indent.count { if chars[i] == " " { cut = i; break }; i -= 1 }
            if cut < 0 { break }
            out.append(String(chars[..<cut]))
            rest = indent + String(chars[(cut + 1)...]).drop { $0 == " " }
        }
        out.append(rest)
    }
    return out.joined(separator: "\n")
}
