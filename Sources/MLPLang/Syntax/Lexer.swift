// The lexer works on UTF-8 bytes (docs/language.md, "Lexical structure"). Non-ASCII bytes are
// identifier characters, so `α`, `ħ`, `θ₀` are names.

struct Lexer {
    let file: SourceFile
    let src: [UInt8]
    var pos: Int
    let end: Int
    var line: Int
    var lineStart: Int
    /// Open brackets: `(`/`[` make newlines insignificant, `{` makes them significant again.
    var brackets: [UInt8] = []
    var last: TokenKind = .newline

    /// Column of `firstLineStart` (sub-lexers for `{expr}` in strings start mid-line).
    let baseCol: Int
    let firstLineStart: Int

    init(file: SourceFile, start: Int = 0, end: Int? = nil, line: Int = 1, col: Int = 1) {
        self.file = file; self.src = file.bytes; self.pos = start
        self.end = end ?? file.bytes.count
        self.line = line; self.lineStart = start
        self.baseCol = col; self.firstLineStart = start
    }

    /// Column of byte offset `p` on the current line, counting characters (UTF-8 lead bytes).
    /// The last column computed, so that a long line is scanned once, not once per token.
    var colCache = (lineStart: -1, pos: 0, col: 0)

    mutating func column(_ p: Int) -> Int {
        var c = lineStart == firstLineStart ? baseCol : 1, i = lineStart
        if colCache.lineStart == lineStart && colCache.pos <= p { c = colCache.col; i = colCache.pos }
        let stop = min(p, src.count)
        while i < stop { if src[i] & 0xC0 != 0x80 { c += 1 }; i += 1 }
        colCache = (lineStart, i, c)
        return c
    }

    mutating func tokenize() -> [Token] {
        var out: [Token] = []
        while true {
            let t = next()
            out.append(t)
            if t.kind == .eof { break }
        }
        return out
    }

    private func peek(_ k: Int = 0) -> UInt8 { pos + k < end ? src[pos + k] : 0 }

    private mutating func make(_ kind: TokenKind, _ start: Int) -> Token {
        Token(kind: kind, start: start, end: pos, line: line, col: column(start))
    }

    mutating func next() -> Token {
        let t = scan()
        if t.kind != .newline { last = t.kind }
        return t
    }

    private var newlinesSignificant: Bool {
        guard let top = brackets.last else { return true }
        return top == UInt8(ascii: "{")
    }

    private mutating func scan() -> Token {
        while true {
            // skip spaces, comments, and newlines that do not end a statement
            while pos < end {
                let c = src[pos]
                if c == 32 || c == 9 || c == 13 { pos += 1; continue }
                if c == UInt8(ascii: "#") {
                    while pos < end && src[pos] != 10 { pos += 1 }
                    continue
                }
                if c == UInt8(ascii: "\\") && peek(1) == 10 { pos += 2; line += 1; lineStart = pos; continue }
                if c == UInt8(ascii: "\\") && peek(1) == 13 && peek(2) == 10 { pos += 3; line += 1; lineStart = pos; continue }   // CRLF files
                if c == 10 {
                    if newlinesSignificant && !last.continuesLine && last != .newline {
                        let t = make(.newline, pos)
                        pos += 1; line += 1; lineStart = pos
                        last = .newline
                        return t
                    }
                    pos += 1; line += 1; lineStart = pos
                    continue
                }
                break
            }
            if pos >= end { return make(.eof, pos) }
            let start = pos
            let c = src[pos]
            if isDigit(c) || (c == UInt8(ascii: ".") && isDigit(peek(1)) && last != .dot) { return number(start) }
            if c < 0x80 ? isIdentStart(c) : unicodeIdentifierLength(at: pos, first: true) > 0 { return identifier(start) }
            if c == UInt8(ascii: "\"") { return string(start) }
            pos += 1
            switch c {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                brackets.append(c)
                return make(c == UInt8(ascii: "(") ? .lparen : c == UInt8(ascii: "[") ? .lbracket : .lbrace, start)
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                // pop to the matching opener, so one unclosed '(' cannot swallow every later newline
                let opener: UInt8 = c == UInt8(ascii: ")") ? UInt8(ascii: "(") : c == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                if let k = brackets.lastIndex(of: opener) { brackets.removeSubrange(k...) }
                return make(c == UInt8(ascii: ")") ? .rparen : c == UInt8(ascii: "]") ? .rbracket : .rbrace, start)
            case UInt8(ascii: ","): return make(.comma, start)
            case UInt8(ascii: ";"): return make(.semicolon, start)
            case UInt8(ascii: ":"): return make(.colon, start)
            case UInt8(ascii: "."):
                if peek() == UInt8(ascii: ".") { pos += 1; return make(.dotdot, start) }
                return make(.dot, start)
            case UInt8(ascii: "+"): return op(start, .plus, .plusAssign)
            case UInt8(ascii: "-"):
                if peek() == UInt8(ascii: ">") { pos += 1; return make(.arrow, start) }
                return op(start, .minus, .minusAssign)
            case UInt8(ascii: "*"): return op(start, .star, .starAssign)
            case UInt8(ascii: "/"): return op(start, .slash, .slashAssign)
            case UInt8(ascii: "%"): return make(.percent, start)
            case UInt8(ascii: "@"): return make(.at, start)
            case UInt8(ascii: "^"): return make(.caret, start)
            case UInt8(ascii: "="): return op(start, .assign, .eq)
            case UInt8(ascii: "!"):
                if peek() == UInt8(ascii: "=") { pos += 1; return make(.ne, start) }
                return error(start, "unexpected character '!' (use 'not' for negation).")
            case UInt8(ascii: "<"): return op(start, .lt, .le)
            case UInt8(ascii: ">"):
                if peek() == UInt8(ascii: ">") { pos += 1; return make(.compose, start) }
                return op(start, .gt, .ge)
            case UInt8(ascii: "'"):
                return error(start, "strings are written with double quotes: \"...\".")
            case UInt8(ascii: "&") where peek() == UInt8(ascii: "&"):
                pos += 1
                return error(start, "unexpected '&&' (use 'and').")
            case UInt8(ascii: "|") where peek() == UInt8(ascii: "|"):
                pos += 1
                return error(start, "unexpected '||' (use 'or').")
            default:
                // skip the rest of a multi-byte character so it is reported once
                while pos < end && src[pos] & 0xC0 == 0x80 { pos += 1 }
                let ch = String(decoding: src[start..<pos], as: UTF8.self)
                return error(start, "unexpected character '\(ch)'.")
            }
        }
    }

    /// `x` or `x=` (e.g. `+` / `+=`).
    private mutating func op(_ start: Int, _ plain: TokenKind, _ withEq: TokenKind) -> Token {
        if peek() == UInt8(ascii: "=") { pos += 1; return make(withEq, start) }
        return make(plain, start)
    }

    private mutating func error(_ start: Int, _ message: String) -> Token {
        var t = make(.error, start); t.message = message; return t
    }

    private mutating func identifier(_ start: Int) -> Token {
        while pos < end {
            if src[pos] < 0x80 {
                guard isIdentPart(src[pos]) else { break }
                pos += 1
            } else {
                let n = unicodeIdentifierLength(at: pos, first: pos == start)
                if n == 0 { break }
                pos += n
            }
        }
        let text = String(decoding: src[start..<pos], as: UTF8.self)
        return make(TokenKind.keywords[text] ?? .identifier, start)
    }

    private mutating func number(_ start: Int) -> Token {
        var text: [UInt8] = []
        func digits(_ lexer: inout Lexer) {
            while lexer.pos < lexer.end {
                let c = lexer.src[lexer.pos]
                if isDigit(c) { text.append(c) } else if c == UInt8(ascii: "_") && lexer.pos + 1 < lexer.end && isDigit(lexer.src[lexer.pos + 1]) && !text.isEmpty {} else { break }
                lexer.pos += 1
            }
        }
        digits(&self)
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            text.append(UInt8(ascii: ".")); pos += 1; digits(&self)
        } else if peek() == UInt8(ascii: "."), peek(1) != UInt8(ascii: "."), isDigit(src[start]) {
            // `x = 1.` as Python and Julia allow
            pos += 1
            let bad = String(decoding: src[start..<pos], as: UTF8.self)
            return error(start, "malformed number '\(bad)': write \(bad)0 (digits after the point), or \(bad.dropLast()).")
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            var k = 1
            if peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") { k = 2 }
            if isDigit(peek(k)) {
                text.append(UInt8(ascii: "e"))
                if k == 2 { text.append(peek(1)) }
                pos += k; digits(&self)
            } else {
                pos += k
                return error(start, "malformed number: exponent has no digits.")
            }
        }
        // `2i`: an imaginary literal (the `i` not followed by more of a name)
        var imaginary = false
        if pos < end, src[pos] == UInt8(ascii: "i"), !(pos + 1 < end && isIdentPart(src[pos + 1])) {
            pos += 1; imaginary = true
        }
        if pos < end, isIdentStart(src[pos]) {
            while pos < end, isIdentPart(src[pos]) { pos += 1 }
            let bad = String(decoding: src[start..<pos], as: UTF8.self)
            return error(start, "malformed number '\(bad)'.")
        }
        if text.first == UInt8(ascii: ".") { text.insert(UInt8(ascii: "0"), at: 0) }
        var t = make(imaginary ? .imaginary : .number, start)
        t.number = Double(String(decoding: text, as: UTF8.self)) ?? .nan
        return t
    }

    private mutating func string(_ start: Int) -> Token {
        let startLine = line, startCol = column(start)
        pos += 1
        var parts: [StringPart] = []
        var buf: [UInt8] = []
        func flush() { if !buf.isEmpty { parts.append(.text(String(decoding: buf, as: UTF8.self))); buf = [] } }
        while true {
            guard pos < end else {
                var t = Token(kind: .error, start: start, end: pos, line: startLine, col: startCol)
                t.message = "unterminated string."
                return t
            }
            let c = src[pos]
            if c == UInt8(ascii: "\"") { pos += 1; break }
            if c == 10 { line += 1; lineStart = pos + 1 }
            if c == UInt8(ascii: "\\") {
                if pos + 1 >= end { pos = end; continue }   // a '\' at the very end: unterminated
                let e = peek(1)
                pos += 2
                switch e {
                case UInt8(ascii: "n"): buf.append(10)
                case UInt8(ascii: "t"): buf.append(9)
                case UInt8(ascii: "r"): buf.append(13)
                case UInt8(ascii: "0"): buf.append(0)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), UInt8(ascii: "}"): buf.append(e)
                default:
                    let ch = e == 0 ? "end of input" : String(decoding: [e], as: UTF8.self)
                    var t = Token(kind: .error, start: pos - 2, end: pos, line: line, col: column(pos - 2))
                    t.message = "unknown escape '\\\(ch)' in string (use \\n \\t \\\" \\\\ \\{)."
                    // skip the rest of the string so the error is reported once
                    while pos < end && src[pos] != UInt8(ascii: "\"") && src[pos] != 10 { pos += 1 }
                    if pos < end && src[pos] == UInt8(ascii: "\"") { pos += 1 }
                    return t
                }
                continue
            }
            if c == UInt8(ascii: "{") {
                flush()
                let exprStart = pos + 1, exprLine = line, exprCol = column(pos + 1)
                var depth = 0, i = exprStart, colon: Int? = nil
                scan: while i < end {
                    switch src[i] {
                    case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: ")"), UInt8(ascii: "]"): depth -= 1
                    case UInt8(ascii: "}"):
                        if depth == 0 { break scan }
                        depth -= 1
                    case UInt8(ascii: ":") where depth == 0: colon = i
                    case UInt8(ascii: "\""):
                        // a string inside the interpolation, e.g. "{d["key"]}"
                        var j = i + 1
                        while j < end, src[j] != UInt8(ascii: "\""), src[j] != 10 { j += src[j] == UInt8(ascii: "\\") ? 2 : 1 }
                        if j >= end || src[j] != UInt8(ascii: "\"") { break scan }
                        i = j
                    case 10: break scan
                    default: break
                    }
                    i += 1
                }
                guard i < end, src[i] == UInt8(ascii: "}") else {
                    var t = Token(kind: .error, start: pos, end: pos + 1, line: line, col: column(pos))
                    t.message = "unclosed '{' in string interpolation (write \\{ for a literal brace)."
                    while pos < end && src[pos] != UInt8(ascii: "\"") && src[pos] != 10 { pos += 1 }
                    if pos < end && src[pos] == UInt8(ascii: "\"") { pos += 1 }
                    return t
                }
                let exprEnd = colon ?? i
                let spec = colon.map { String(decoding: src[($0 + 1)..<i], as: UTF8.self) }
                parts.append(.expr(start: exprStart, end: exprEnd, line: exprLine, col: exprCol, spec: spec))
                pos = i + 1
                continue
            }
            buf.append(c); pos += 1
        }
        flush()
        var t = Token(kind: .string, start: start, end: pos, line: startLine, col: startCol)
        t.parts = parts
        return t
    }
}

/// Byte length of the non-ASCII character at `p` if it may be part of a name
/// (letters such as α and ħ; after the first character also marks, digits,
/// sub/superscripts such as ₀ and ², and primes), else 0.
extension Lexer {
    func unicodeIdentifierLength(at p: Int, first: Bool) -> Int {
        let b = src[p]
        let n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        guard p + n <= end else { return 0 }
        var it = src[p..<(p + n)].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let s) = decoder.decode(&it) else { return 0 }
        let props = s.properties
        if props.isAlphabetic { return n }
        if first { return 0 }
        if props.numericType != nil || props.generalCategory == .nonspacingMark || props.generalCategory == .spacingMark { return n }
        if (0x2032...0x2037).contains(s.value) { return n }   // primes
        return 0
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isIdentStart(_ c: UInt8) -> Bool {
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 || c >= 0x80
}
@inline(__always) func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
