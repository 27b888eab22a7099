import MLPLang
import Synchronization

/// The interactive loop on a terminal: `mlp> ` for a new entry, `...> ` while
/// `host.isIncomplete` says the entry goes on. Ctrl-C at a prompt drops the
/// pending entry; Ctrl-D or `:quit` ends the loop (the caller exits).
public func runREPL(host: REPLHost, historyPath: String) {
    installInterruptHandler()
    completionHost = host
    var editor = LineEditor(historyPath: historyPath)
    var pending: [String] = []
    while true {
        switch editor.read(prompt: pending.isEmpty ? "mlp> " : "...> ") {
        case .endOfInput:
            print()
            return
        case .interrupted:
            print()
            pending = []
        case .line(let line):
            if pending.isEmpty, let command = Command(line) {
                // :quit is not remembered, so Up in the next session shows the last real entry.
                if command == .quit { return }
                editor.remember(trimmingBlanks(line))
                command.run(on: host)
                continue
            }
            pending.append(line)
            let entry = pending.joined(separator: "\n")
            if host.isIncomplete(entry) { continue }
            pending = []
            if entry.allSatisfy(\.isWhitespace) { continue }
            editor.remember(entry)
            Interrupt.flag.store(false, ordering: .relaxed)
            host.run(entry)
        }
    }
}
