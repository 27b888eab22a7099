/// What the REPL needs from the interpreter. MLPRuntime implements it; the
/// REPL only reads lines, completes, keeps history and dispatches commands.
public protocol REPLHost: AnyObject {
    /// true when `source` is an unfinished entry (open bracket/brace/string, trailing binary operator): keep reading lines.
    func isIncomplete(_ source: String) -> Bool
    /// Runs one REPL entry; prints the value (not nil, not when the entry ends with ';') and errors itself to stdout/stderr. Never exits the process.
    func run(_ source: String)
    /// Names visible now (keywords, builtins, globals) starting with `prefix`.
    func completions(prefix: String) -> [String]
    /// Fields of the value that the expression `object` evaluates to without side effects (only a variable name or a.b chain), starting with `prefix`.
    func fieldCompletions(object: String, prefix: String) -> [String]
    /// `?name`: the doc text of a builtin/keyword, nil when unknown (REPL prints "no help for 'name'").
    func help(_ name: String) -> String?
    /// `:help`: the general help text (commands + list of builtins).
    func helpIndex() -> String
    /// `:time EXPR`: runs and prints the value and the elapsed time.
    func time(_ source: String)
    /// `:load FILE`: runs a file in the session's globals.
    func load(path: String)
    /// `:reset`: forgets all variables.
    func reset()
    /// `?name` with no help: a suggestion such as "did you mean 'print'?".
    func helpSuggestion(_ name: String) -> String?
    /// `:who`: the variables with their type and shape, one per line.
    func who() -> String
    /// Keyword arguments (`name=`) of the function `callee` names, starting with `prefix` (Tab inside a call).
    func keywordCompletions(callee: String, prefix: String) -> [String]
}

extension REPLHost {
    public func helpSuggestion(_ name: String) -> String? { nil }
    public func who() -> String { "" }
    public func keywordCompletions(callee: String, prefix: String) -> [String] { [] }
}
