// A call whose arguments are data, `dense(10, relu, bias=false)`, read with the
// language's own parser and evaluated without running anything: how a model file
// names the builtin calls that make its layers again.

public struct LiteralCall {
    public let callee: String
    public let args: [Value]
    public let kwargs: [(String, Value)]

    /// Parses `text` as one call of a name whose arguments are numbers, strings, true, false,
    /// nil, lists of these, or bare names that `name` turns into values (or refuses).
    public static func parse(_ text: String, name: (String) throws(MLPError) -> Value) throws(MLPError) -> LiteralCall {
        let file = SourceFile(name: "<call>", text: text)
        var lexer = Lexer(file: file)
        var p = Parser(file: file, tokens: lexer.tokenize())
        let e = try p.expression()
        while p.at(.newline) { _ = p.advance() }
        if !p.at(.eof) { throw p.error("expected the end after the call, got \(p.describe(p.tok)).") }
        guard let call = e as? CallExpr, let callee = call.callee as? NameExpr else {
            throw MLPError(.syntax, "expected a call such as dense(10).")
        }
        func literal(_ e: Expr) throws(MLPError) -> Value {
            switch e {
            case let n as NumberLiteral: return .number(n.number)
            case let l as Literal: return l.value   // strings, true, false, nil
            case let n as NameExpr: return try name(n.name)
            case let l as ListExpr:
                var items: [Value] = []
                for item in l.items { items.append(try literal(item)) }
                return .list(items)
            default: throw MLPError(.syntax, "expected a number, string, list or activation as an argument.")
            }
        }
        var args: [Value] = [], kwargs: [(String, Value)] = []
        for a in call.args { args.append(try literal(a)) }
        for (k, v) in zip(call.kwNames, call.kwArgs) { kwargs.append((k, try literal(v))) }
        return LiteralCall(callee: callee.name, args: args, kwargs: kwargs)
    }
}
