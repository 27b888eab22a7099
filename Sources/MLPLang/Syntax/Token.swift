// Tokens of the mlp lexer.

public enum TokenKind: Equatable, Sendable {
    case number, string, identifier, newline, eof
    /// `2i`, `0.5i`: an imaginary number (its value in `number`)
    case imaginary
    // keywords
    case kwFn, kwReturn, kwIf, kwElse, kwWhile, kwFor, kwIn, kwBreak, kwContinue
    case kwTrue, kwFalse, kwNil, kwAnd, kwOr, kwNot, kwImport, kwGlobal, kwTry, kwCatch
    // punctuation and operators
    case lparen, rparen, lbracket, rbracket, lbrace, rbrace
    case comma, semicolon, colon, dot, dotdot, arrow
    case plus, minus, star, slash, percent, at, caret
    case assign, plusAssign, minusAssign, starAssign, slashAssign
    case eq, ne, lt, le, gt, ge, compose
    case error

    static let keywords: [String: TokenKind] = [
        "fn": .kwFn, "return": .kwReturn, "if": .kwIf, "else": .kwElse, "while": .kwWhile,
        "for": .kwFor, "in": .kwIn, "break": .kwBreak, "continue": .kwContinue,
        "true": .kwTrue, "false": .kwFalse, "nil": .kwNil, "and": .kwAnd, "or": .kwOr,
        "not": .kwNot, "import": .kwImport, "global": .kwGlobal, "try": .kwTry, "catch": .kwCatch,
    ]
    public static var keywordNames: [String] { keywords.keys.sorted() }

    /// A token after which a newline does not end the statement (binary operators, commas, `=`).
    var continuesLine: Bool {
        switch self {
        case .comma, .dot, .dotdot, .arrow, .plus, .minus, .star, .slash, .percent, .at, .caret,
             .eq, .ne, .lt, .le, .gt, .ge, .compose, .kwAnd, .kwOr, .kwNot, .colon:
            return true
        default: return false
        }
    }
}

/// One part of a string literal: text, or an interpolated `{expr:spec}` (byte range of expr).
public enum StringPart: Sendable {
    case text(String)
    case expr(start: Int, end: Int, line: Int, col: Int, spec: String?)
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var start: Int      // byte offset
    public var end: Int
    public var line: Int
    public var col: Int
    public var number: Double = 0
    public var parts: [StringPart] = []
    /// For `.error`: what was wrong.
    public var message: String = ""
}
