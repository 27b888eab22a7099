// Recursive-descent parser; one method per grammar rule, precedence as the
// table in docs/language.md ("Precedence"). Errors recover at the next statement so each mistake
// is reported once.

struct Parser {
    let file: SourceFile
    var tokens: [Token]
    var pos = 0
    var errors: [MLPError] = []
    /// Nesting depth of expressions and blocks: deep input gets an error, not a stack overflow.
    var depth = 0
    /// Blocks open around the current statement (for `relex`).
    var blockDepth = 0
    /// End of the source range being parsed.
    let lexEnd: Int
    static let maxDepth = 200
    static let tooDeep = "code nested too deeply (more than \(maxDepth) levels of brackets and blocks)." 

    init(file: SourceFile, tokens: [Token], end: Int? = nil) {
        self.file = file; self.tokens = tokens; self.lexEnd = end ?? file.bytes.count
    }

    /// Parses a whole source. `tailValue`: the last expression statement becomes
    /// the program's value (REPL entries).
    static func parse(_ file: SourceFile, tailValue: Bool) throws(MLPError) -> [Stmt] {
        var lexer = Lexer(file: file)
        var p = Parser(file: file, tokens: lexer.tokenize())
        var body = p.statements(until: .eof)
        if let first = p.errors.first {
            first.more = Array(p.errors.dropFirst().prefix(9))
            throw first
        }
        if tailValue { makeTailReturn(&body) }
        return body
    }

    // MARK: tokens

    var tok: Token { tokens[pos] }
    func peek(_ k: Int = 1) -> Token { tokens[min(pos + k, tokens.count - 1)] }
    func at(_ k: TokenKind) -> Bool { tok.kind == k }
    func loc(_ t: Token) -> SourceLoc { SourceLoc(file: file, line: t.line, col: t.col) }
    var here: SourceLoc { loc(tok) }

    mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    mutating func match(_ k: TokenKind) -> Bool {
        if at(k) { _ = advance(); return true }
        return false
    }

    mutating func skipNewlines() { while at(.newline) { _ = advance() } }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .newline: return "end of line"
        case .eof: return "end of input"
        case .string: return "a string"
        case .number, .imaginary, .identifier: return "'\(String(decoding: file.bytes[t.start..<t.end], as: UTF8.self))'"
        default: return "'\(String(decoding: file.bytes[t.start..<t.end], as: UTF8.self))'"
        }
    }

    /// Syntax error at the current token (a lexer error token reports its own message).
    func error(_ message: String) -> MLPError {
        if tok.kind == .error { return MLPError(.syntax, tok.message, at: here) }
        let e = MLPError(.syntax, message, at: here)
        e.atEnd = tok.kind == .eof
        return e
    }

    /// Expects a closing bracket; at the end of the input the error points at the opener.
    mutating func close(_ k: TokenKind, _ what: String, opener: SourceLoc) throws(MLPError) -> Token {
        if at(k) { return advance() }
        let ch = k == .rparen ? "(" : k == .rbracket ? "[" : "{"
        if at(.eof) {
            let e = MLPError(.syntax, "'\(ch)' is never closed (expected \(what) before the end of the input).", at: opener)
            e.atEnd = true
            throw e
        }
        // a bracket left open on an earlier line: point at it
        if tok.line > Int(opener.line) && tok.kind != .error {
            throw MLPError(.syntax, "'\(ch)' is never closed (expected \(what), got \(describe(tok))).", at: opener)
        }
        return try expect(k, what)
    }

    mutating func expect(_ k: TokenKind, _ what: String) throws(MLPError) -> Token {
        if at(k) { return advance() }
        throw error("expected \(what), got \(describe(tok)).")
    }

    // MARK: statements

    mutating func statements(until end: TokenKind) -> [Stmt] {
        var out: [Stmt] = []
        while true {
            while at(.newline) || at(.semicolon) { _ = advance() }
            if at(end) || at(.eof) { break }
            if at(.rbrace) {
                // a '}' with no block open: report it once and go on after it
                errors.append(error("unexpected '}' (no block is open here)."))
                _ = advance()
                continue
            }
            do throws(MLPError) {
                out.append(try statement())
                if !(at(.newline) || at(.semicolon) || at(end) || at(.eof)) {
                    throw error("expected end of line after statement, got \(describe(tok)).")
                }
            } catch {
                errors.append(error)
                relex()
                synchronize()
                if errors.count >= 10 { while !at(.eof) { _ = advance() } }
            }
        }
        return out
    }

    /// After an error, lexes the rest again as if only the enclosing blocks were
    /// open: an unclosed '(' must not hide the newlines that end later statements.
    mutating func relex() {
        let t = tokens[pos]
        guard t.kind != .eof, t.start < lexEnd else { return }
        var lx = Lexer(file: file, start: t.start, end: lexEnd, line: t.line, col: t.col)
        lx.brackets = Array(repeating: UInt8(ascii: "{"), count: blockDepth)
        lx.last = pos > 0 ? tokens[pos - 1].kind : .newline
        tokens.replaceSubrange(pos..., with: lx.tokenize())
    }

    /// Skips to the start of the next statement, stepping over whole blocks.
    mutating func synchronize() {
        var braces = 0
        while !at(.eof) {
            switch tok.kind {
            case .lbrace: braces += 1
            case .rbrace:
                if braces == 0 {
                    if blockDepth > 0 { return }   // it closes the enclosing block
                    _ = advance()                   // a stray '}': part of the same mistake
                    continue
                }
                braces -= 1
            case .newline, .semicolon:
                if braces == 0 { _ = advance(); return }
            default: break
            }
            _ = advance()
        }
    }

    mutating func block() throws(MLPError) -> [Stmt] {
        let open = try expect(.lbrace, "'{'")
        depth += 1; blockDepth += 1
        defer { depth -= 1; blockDepth -= 1 }
        if depth > Parser.maxDepth { throw error(Parser.tooDeep) }
        let before = errors.count
        let body = statements(until: .rbrace)
        if errors.count > before, !at(.rbrace) { throw errors.removeLast() }
        if at(.eof) {
            // point at the brace that was left open, not at the end of the file
            let e = MLPError(.syntax, "'{' is never closed (expected '}' before the end of the input).", at: loc(open))
            e.atEnd = true
            throw e
        }
        _ = try expect(.rbrace, "'}'")
        return body
    }

    mutating func statement() throws(MLPError) -> Stmt {
        let start = here
        switch tok.kind {
        case .kwFn where peek().kind == .identifier:
            _ = advance()
            let nameTok = advance()
            let name = text(nameTok)
            let decl = try functionRest(name: name, at: start)
            decl.doc = docComment(above: start.line)
            return FnStmt(NameExpr(name, loc(nameTok)), decl, start)
        case .kwIf: _ = advance(); return try ifStatement(start)
        case .kwWhile:
            _ = advance()
            let cond = try expression()
            return WhileStmt(cond, try block(), start)
        case .kwFor:
            _ = advance()
            var names = [try nameTarget()]
            while match(.comma) { names.append(try nameTarget()) }
            _ = try expect(.kwIn, "'in'")
            let seq = try expression()
            return ForStmt(names, seq, try block(), start)
        case .kwBreak: _ = advance(); return BreakStmt(start)
        case .kwContinue: _ = advance(); return ContinueStmt(start)
        case .kwReturn:
            _ = advance()
            if at(.newline) || at(.semicolon) || at(.rbrace) || at(.eof) { return ReturnStmt(nil, implicit: false, start) }
            return ReturnStmt(try expression(), implicit: false, start)
        case .kwImport:
            _ = advance()
            return ImportStmt(try nameTarget(), start)
        case .kwTry:
            _ = advance()
            let body = try block()
            guard keywordFollows(.kwCatch) else {
                let e = MLPError(.syntax, "'try' needs a 'catch' block after its block.", at: start)
                var k = 0
                while peek(k).kind == .newline { k += 1 }
                e.atEnd = peek(k).kind == .eof   // the REPL reads the next line: `catch` may start it
                throw e
            }
            _ = advance()
            var name: NameExpr? = nil
            if at(.identifier) { name = try nameTarget() }
            return TryStmt(body, name, try block(), start)
        case .kwCatch:
            throw error("'catch' without a 'try' before it.")
        case .identifier where peek().kind == .identifier && ["def", "function"].contains(text(tok)):
            // Python's `def f(x):` and Julia's `function f(x)`
            throw MLPError(.syntax, "'\(text(tok))' is not a keyword in mlp: functions are defined with 'fn'.", at: here,
                           hint: "write fn \(text(peek()))(x, y=2) { ... } (the last expression is the value).")
        case .kwGlobal:
            _ = advance()
            var names = [text(try expect(.identifier, "a name after 'global'"))]
            while match(.comma) { names.append(text(try expect(.identifier, "a name"))) }
            return GlobalStmt(names, start)
        default:
            return try simpleStatement(start)
        }
    }

    mutating func nameTarget() throws(MLPError) -> NameExpr {
        let t = try expect(.identifier, "a name")
        return NameExpr(text(t), loc(t))
    }

    func text(_ t: Token) -> String { String(decoding: file.bytes[t.start..<t.end], as: UTF8.self) }

    mutating func ifStatement(_ start: SourceLoc) throws(MLPError) -> Stmt {
        let cond = try expression()
        let then = try block()
        var otherwise: [Stmt]? = nil
        if elseFollows() {
            _ = advance()
            if at(.kwIf) {
                let l = here
                _ = advance()
                otherwise = [try ifStatement(l)]
            } else {
                otherwise = try block()
            }
        }
        return IfStmt(cond, then, otherwise, start)
    }

    /// `else` may start the next line after `}`.
    mutating func elseFollows() -> Bool { keywordFollows(.kwElse) }

    /// `else` or `catch`, on this line or the next ones: moves to it.
    mutating func keywordFollows(_ kind: TokenKind) -> Bool {
        var k = 0
        while peek(k).kind == .newline { k += 1 }
        if peek(k).kind == kind { pos += k; return true }
        return false
    }

    mutating func simpleStatement(_ start: SourceLoc) throws(MLPError) -> Stmt {
        let e = try expression()
        if at(.comma), e is NameExpr {
            var names = [e as! NameExpr]
            while match(.comma) { names.append(try nameTarget()) }
            _ = try expect(.assign, "'=' after the names to unpack")
            return DestructureStmt(names, try expression(), start)
        }
        let op: BinaryOp?
        switch tok.kind {
        case .assign: op = nil
        case .plusAssign: op = .add
        case .minusAssign: op = .sub
        case .starAssign: op = .mul
        case .slashAssign: op = .div
        default: return ExprStmt(e)
        }
        let opTok = advance()
        guard e is NameExpr || e is IndexExpr || e is FieldExpr else {
            throw MLPError(.syntax, "cannot assign to this expression (expected a name, 'a[i]' or 'a.field').", at: e.loc)
        }
        if at(.newline) || at(.eof) || at(.semicolon) { throw error("expected an expression after \(describe(opTok)), got \(describe(tok)).") }
        let value = try expression()
        if let n = e as? NameExpr { return AssignStmt(n, value, op: op, loc(opTok)) }
        if let i = e as? IndexExpr { return IndexAssignStmt(i.object, i.items, value, op: op, loc(opTok)) }
        let fe = e as! FieldExpr
        return FieldAssignStmt(fe.object, fe.name, value, op: op, loc(opTok))
    }

    // MARK: functions

    /// The `#` comment lines directly above line `line` (a function's doc), without the `#`.
    func docComment(above line: Int32) -> String {
        var lines: [String] = []
        var n = Int(line) - 1
        while n >= 1 {
            let text = file.line(n).drop { $0 == " " || $0 == "\t" }
            guard text.hasPrefix("#"), !text.hasPrefix("#!") else { break }
            var body = text.dropFirst()
            if body.hasPrefix(" ") { body = body.dropFirst() }
            lines.append(String(body))
            n -= 1
        }
        return lines.reversed().joined(separator: "\n")
    }

    mutating func functionRest(name: String, at start: SourceLoc) throws(MLPError) -> FunctionDecl {
        let openTok = try expect(.lparen, "'(' after the function name")
        let open = loc(openTok)
        var params: [String] = [], defaults: [Expr?] = []
        if !at(.rparen) {
            repeat {
                let p = try expect(.identifier, "a parameter name")
                params.append(text(p))
                if match(.assign) { defaults.append(try expression()) }
                else {
                    if defaults.contains(where: { $0 != nil }) {
                        throw MLPError(.syntax, "parameter '\(text(p))' without a default follows one with a default.", at: loc(p))
                    }
                    defaults.append(nil)
                }
            } while match(.comma)
        }
        let closeTok = try close(.rparen, "')' after the parameters", opener: open)
        var body = try block()
        makeTailReturn(&body)
        let decl = FunctionDecl(name: name, params: params, defaults: defaults, body: body, loc: start)
        decl.paramText = String(decoding: file.bytes[openTok.start..<closeTok.end], as: UTF8.self)
        return decl
    }

    // MARK: expressions

    mutating func expression() throws(MLPError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth { throw error(Parser.tooDeep) }
        return try orExpr()
    }

    mutating func orExpr() throws(MLPError) -> Expr {
        var e = try andExpr()
        while at(.kwOr) { let l = loc(advance()); e = LogicExpr(isAnd: false, e, try andExpr(), l) }
        return e
    }

    mutating func andExpr() throws(MLPError) -> Expr {
        var e = try notExpr()
        while at(.kwAnd) { let l = loc(advance()); e = LogicExpr(isAnd: true, e, try notExpr(), l) }
        return e
    }

    mutating func notExpr() throws(MLPError) -> Expr {
        if at(.kwNot) {
            let l = loc(advance())
            depth += 1; defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error(Parser.tooDeep) }
            return NotExpr(try notExpr(), l)
        }
        return try comparison()
    }

    /// `a < b`, and chains `a < b <= c` meaning `a < b and b <= c` (b evaluated once), as in Python and Julia.
    mutating func comparison() throws(MLPError) -> Expr {
        let first = try compose()
        var ops: [BinaryOp] = [], operands = [first], locs: [SourceLoc] = []
        while true {
            let op: BinaryOp
            switch tok.kind {
            case .eq: op = .eq
            case .ne: op = .ne
            case .lt: op = .lt
            case .le: op = .le
            case .gt: op = .gt
            case .ge: op = .ge
            default:
                if ops.isEmpty { return first }
                if ops.count == 1 { return BinaryExpr(ops[0], operands[0], operands[1], locs[0]) }
                return ChainCompareExpr(ops, operands, locs)
            }
            locs.append(loc(advance()))
            ops.append(op)
            operands.append(try compose())
        }
    }

    mutating func compose() throws(MLPError) -> Expr {
        var e = try rangeExpr()
        while at(.compose) { let l = loc(advance()); e = BinaryExpr(.compose, e, try rangeExpr(), l) }
        return e
    }

    mutating func rangeExpr() throws(MLPError) -> Expr {
        let e = try additive()
        if at(.dotdot) { let l = loc(advance()); return RangeExpr(e, try additive(), l) }
        return e
    }

    mutating func additive() throws(MLPError) -> Expr {
        var e = try multiplicative()
        while at(.plus) || at(.minus) {
            let t = advance()
            e = BinaryExpr(t.kind == .plus ? .add : .sub, e, try multiplicative(), loc(t))
        }
        return e
    }

    mutating func multiplicative() throws(MLPError) -> Expr {
        var e = try unary()
        while true {
            let op: BinaryOp
            switch tok.kind {
            case .star: op = .mul
            case .slash: op = .div
            case .percent: op = .mod
            case .at: op = .matmul
            default: return e
            }
            try habitOperator()
            let l = loc(advance())
            e = BinaryExpr(op, e, try unary(), l)
        }
    }

    /// `**` and `//` written as in Python: a positioned error that says what mlp writes.
    func habitOperator() throws(MLPError) {
        let next = peek()
        guard next.start == tok.end, next.kind == tok.kind, tok.kind == .star || tok.kind == .slash else { return }
        if tok.kind == .star {
            throw MLPError(.syntax, "'**' is not an operator in mlp: powers are written with '^'.", at: here,
                           hint: "write x^2 (right-associative, as in Julia: 2^3^2 is 512).")
        }
        throw MLPError(.syntax, "'//' is not an operator in mlp: floor division is floor(a / b).", at: here,
                       hint: "comments start with '#'.")
    }

    mutating func unary() throws(MLPError) -> Expr {
        if at(.minus) {
            let l = loc(advance())
            depth += 1; defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error(Parser.tooDeep) }
            let operand = try unary()
            if let lit = operand as? NumberLiteral { return NumberLiteral(-lit.number, l) }
            return NegateExpr(operand, l)
        }
        if at(.plus) { throw error("expected an expression, got '+' (there is no unary plus).") }
        return try power()
    }

    mutating func power() throws(MLPError) -> Expr {
        let base = try postfix()
        if at(.caret) {
            let l = loc(advance())
            depth += 1; defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error(Parser.tooDeep) }
            return BinaryExpr(.pow, base, try unary(), l)   // right-associative; `2^-1` allowed
        }
        return base
    }

    mutating func postfix() throws(MLPError) -> Expr {
        var e = try primary()
        while true {
            switch tok.kind {
            case .lparen: e = try call(e)
            case .lbracket:
                let l = loc(advance())
                var items: [IndexItem] = []
                repeat { items.append(try indexItem()) } while match(.comma)
                _ = try close(.rbracket, "']' after the index", opener: l)
                e = IndexExpr(e, items, l)
            case .dot:
                _ = advance()
                let n = try expect(.identifier, "a field name after '.'")
                e = FieldExpr(e, text(n), loc(n))
            default: return e
            }
        }
    }

    mutating func indexItem() throws(MLPError) -> IndexItem {
        func part(_ p: inout Parser) throws(MLPError) -> Expr? {
            if p.at(.colon) || p.at(.comma) || p.at(.rbracket) { return nil }
            return try p.expression()
        }
        if at(.dotdot) && peek().kind == .dot {   // `...`: the lexer sees '..' then '.'
            _ = advance(); _ = advance()
            return .ellipsis
        }
        let first = try part(&self)
        guard match(.colon) else {
            guard let first else { throw error("expected an index, got \(describe(tok)).") }
            return .expr(first)
        }
        let second = try part(&self)
        var third: Expr? = nil
        if match(.colon) { third = try part(&self) }
        return .slice(first, second, third)
    }

    mutating func call(_ callee: Expr) throws(MLPError) -> Expr {
        let l = loc(advance())
        var args: [Expr] = [], kwNames: [String] = [], kwArgs: [Expr] = []
        if !at(.rparen) {
            repeat {
                if at(.rparen) { break }   // trailing comma
                if at(.identifier) && peek().kind == .assign {
                    let n = advance(); _ = advance()
                    let name = text(n)
                    if kwNames.contains(name) { throw MLPError(.syntax, "keyword argument '\(name)' is given twice.", at: loc(n)) }
                    kwNames.append(name)
                    kwArgs.append(try expression())
                } else {
                    if !kwNames.isEmpty { throw error("positional argument after keyword arguments.") }
                    args.append(try expression())
                }
            } while match(.comma)
        }
        _ = try close(.rparen, "')' after the arguments", opener: l)
        return CallExpr(callee, args, kwNames, kwArgs, l)
    }

    mutating func primary() throws(MLPError) -> Expr {
        let t = tok
        let l = loc(t)
        switch t.kind {
        case .number: _ = advance(); return NumberLiteral(t.number, l)
        case .imaginary: _ = advance(); return ImaginaryLiteral(t.number, l)
        case .string: _ = advance(); return try stringExpr(t)
        case .kwTrue: _ = advance(); return Literal(.bool(true), l)
        case .kwFalse: _ = advance(); return Literal(.bool(false), l)
        case .kwNil: _ = advance(); return Literal(.nil, l)
        case .identifier:
            if text(t) == "lambda", peek().kind == .identifier || peek().kind == .colon {
                throw MLPError(.syntax, "'lambda' is not a keyword in mlp: anonymous functions are written with '->'.", at: l,
                               hint: "write x -> x^2, or (a, b) -> a + b for two arguments.")
            }
            _ = advance()
            if at(.arrow) {
                _ = advance()
                return lambda([text(t)], try expression(), l)
            }
            return NameExpr(text(t), l)
        case .lparen:
            if let params = lambdaParams() {
                _ = try expect(.arrow, "'->'")
                return lambda(params, try expression(), l)
            }
            _ = advance()
            let e = try expression()
            if at(.comma) {
                // a Python tuple: `zeros((2, 3))`
                throw MLPError(.syntax, "mlp has no tuples: '(a, b)' is written as a list '[a, b]'.", at: l,
                               hint: "write [1, 2]; a shape may also be separate numbers: zeros(2, 3) or zeros([2, 3]).")
            }
            _ = try close(.rparen, "')'", opener: l)
            return e
        case .lbracket:
            _ = advance()
            var items: [Expr] = []
            while !at(.rbracket) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            _ = try close(.rbracket, "']' or ',' in the list", opener: l)
            return ListExpr(items, l)
        case .lbrace: return try dict()
        case .kwFn:
            _ = advance()
            var name = "<fn>"
            if at(.identifier) { name = text(advance()) }
            return FunctionExpr(try functionRest(name: name, at: l), l)
        case .kwIf:
            _ = advance()
            let cond = try expression()
            let then = try block()
            var otherwise: [Stmt]? = nil
            if elseFollows() {
                _ = advance()
                if at(.kwIf) { otherwise = [ExprStmt(try primary())] } else { otherwise = try block() }
            }
            return IfExpr(cond, then, otherwise, l)
        default:
            throw error("expected an expression, got \(describe(t)).")
        }
    }

    /// At `(`: if this is `(a, b) ->`, consumes the parameter list and returns the names.
    mutating func lambdaParams() -> [String]? {
        var k = 1, names: [String] = []
        if peek(k).kind == .rparen { return peek(k + 1).kind == .arrow ? { pos += k + 1; return [] }() : nil }
        while true {
            guard peek(k).kind == .identifier else { return nil }
            names.append(text(peek(k)))
            k += 1
            if peek(k).kind == .comma { k += 1; continue }
            if peek(k).kind == .rparen && peek(k + 1).kind == .arrow { pos += k + 1; return names }
            return nil
        }
    }

    func lambda(_ params: [String], _ body: Expr, _ l: SourceLoc) -> Expr {
        let decl = FunctionDecl(name: "<lambda>", params: params, defaults: params.map { _ in nil },
                                body: [ReturnStmt(body, implicit: true, body.loc)], loc: l)
        return FunctionExpr(decl, l)
    }

    mutating func dict() throws(MLPError) -> Expr {
        let l = loc(advance())
        var keys: [Expr] = [], values: [Expr] = []
        skipNewlines()
        while !at(.rbrace) {
            let kt = tok
            if kt.kind == .identifier && peek().kind == .colon {
                _ = advance()
                keys.append(Literal(.str(text(kt)), loc(kt)))
            } else {
                keys.append(try expression())
            }
            skipNewlines()
            _ = try expect(.colon, "':' after the dict key")
            skipNewlines()
            values.append(try expression())
            skipNewlines()
            if !match(.comma) { break }
            skipNewlines()
        }
        _ = try close(.rbrace, "'}' or ',' in the dict", opener: l)
        return DictExpr(keys, values, l)
    }

    /// A string token: a literal, or text with `{expr:spec}` parts parsed here.
    mutating func stringExpr(_ t: Token) throws(MLPError) -> Expr {
        let l = loc(t)
        var parts: [Expr] = [], specs: [String?] = []
        for part in t.parts {
            switch part {
            case .text(let s): parts.append(Literal(.str(s), l)); specs.append(nil)
            case .expr(let start, let end, let line, let col, let spec):
                var lexer = Lexer(file: file, start: start, end: end, line: line, col: col)
                var sub = Parser(file: file, tokens: lexer.tokenize(), end: end)
                sub.depth = depth
                while sub.at(.newline) { _ = sub.advance() }
                if sub.at(.eof) { throw MLPError(.syntax, "empty '{}' in string (write \\{ for a literal brace).", at: sub.here) }
                let e = try sub.expression()
                while sub.at(.newline) { _ = sub.advance() }
                if !sub.at(.eof) { throw sub.error("expected '}' to close the interpolation, got \(sub.describe(sub.tok)).") }
                if let spec { try checkFormatSpec(spec, at: SourceLoc(file: file, line: line, col: col)) }
                parts.append(e); specs.append(spec)
            }
        }
        if parts.isEmpty { return Literal(.str(""), l) }
        if parts.count == 1, specs[0] == nil, let lit = parts[0] as? Literal, case .string = lit.value { return lit }
        return StringInterp(parts, specs, l)
    }
}

/// The last expression statement of a body becomes its value (also inside a trailing `if`).
func makeTailReturn(_ body: inout [Stmt]) {
    guard let last = body.last else { return }
    if let e = last as? ExprStmt {
        body[body.count - 1] = ReturnStmt(e.expr, implicit: true, e.loc)
    } else if let s = last as? TryStmt {
        var tried = s.body, handler = s.handler
        makeTailReturn(&tried)
        makeTailReturn(&handler)
        body[body.count - 1] = TryStmt(tried, s.name, handler, s.loc)
    } else if let s = last as? IfStmt {
        var then = s.then, otherwise = s.otherwise
        makeTailReturn(&then)
        if otherwise != nil { makeTailReturn(&otherwise!) }
        body[body.count - 1] = IfStmt(s.cond, then, otherwise, s.loc)
    }
}
