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
        case ":time": self = argument.isEmpty ? .usage(":time EXPR") : .time(argument)
        case ":load": self = argument.isEmpty ? .usage(":load FILE") : .load(expandPath(argument))
        default: self = .unknown(name)
        }
    }

    /// Runs the command; its own messages (help, usage) go to `say`, one line or more
    /// ending in exactly one newline (standard output in the REPL).
    public func run(on host: REPLHost, say: (String) -> Void = { print($0, terminator: "") }) {
        func show(_ text: String) { say(text.hasSuffix("\n") ? text : text + "\n") }
        switch self {
        case .help(""): show(host.helpIndex())
        case .help(let name): show(host.help(name) ?? "no help for '\(name)'")
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
