// Byte-level mutations (input kinds 1 and 2): bits, bytes, ranges and lines changed,
// tokens and numbers inserted, pieces of another input spliced in.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

let interestingTokens: [String] = [
    "{", "}", "(", ")", "[", "]", "\"", "\\", "->", "..", ":", "^", "%", "@", ",", ";", "\n", "=", "==", "!=", "#", "!",
    "fn", "if", "else", "while", "for", "in", "return", "break", "continue", "not", "and", "or", "nil", "true", "false",
    "global", "import", "x", "xs", "0", "-", "+", "*", "/", ">>", "1e", "1e309", ".", "\"{", "}\"", "{x:", "\\{", "α",
    "\u{FFFD}", "\t", "\r", " ", "\0", "'", "\\\n", "1_", "._", ".5.", "0..", "-1", "9223372036854774784", "nan", "inf",
    "\"\\", "\"{1:.1001f}\"", "\"{x:>10000}\"", "print(", "len(", "f(", "x ->", "(a, b) ->", "fn (", "[::-1]", "[1:]",
    "+=", "-=", "*=", "/=", "<=", ">=", "<", ">", "_", "__", "é", "🙂", "\u{301}", "\u{2028}", "\u{0085}", "\u{00A0}",
]

struct Mutator {
    var r: RNG

    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var b = input
        let rounds = r.pick([1, 1, 1, 2, 2, 3, 4, 6])
        for _ in 0..<rounds { step(&b, other) }
        if b.count > 20_000 { b.removeLast(b.count - 20_000) }
        return b
    }

    mutating func pos(_ b: [UInt8]) -> Int { r.below(b.count + 1) }

    mutating func step(_ b: inout [UInt8], _ other: [UInt8]) {
        switch r.below(15) {
        case 0:   // flip a bit
            if !b.isEmpty { b[r.below(b.count)] ^= UInt8(1) << UInt8(r.below(8)) }
        case 1:   // replace a byte
            if !b.isEmpty { b[r.below(b.count)] = r.chance(1, 2) ? UInt8(truncatingIfNeeded: r.next()) : r.pick(Array("{}()[]\":\\.^%-> \n#,;=0x".utf8)) }
        case 2, 3:   // delete a range
            if !b.isEmpty {
                let s = r.below(b.count), n = min(b.count - s, r.pick([1, 1, 2, 3, 5, 8, 16, 40]))
                b.removeSubrange(s..<(s + n))
            }
        case 4:   // duplicate a range
            if !b.isEmpty {
                let s = r.below(b.count), n = min(b.count - s, r.int(1, 32))
                let chunk = Array(b[s..<(s + n)])
                b.insert(contentsOf: chunk, at: pos(b))
            }
        case 5, 6, 7:   // insert a token
            b.insert(contentsOf: Array(r.pick(interestingTokens).utf8), at: pos(b))
        case 8:   // truncate
            if !b.isEmpty { b.removeLast(b.count - r.below(b.count)) }
        case 9:   // splice: a piece of the other input
            if !other.isEmpty {
                let s = r.below(other.count), n = min(other.count - s, r.int(1, 200))
                b.insert(contentsOf: other[s..<(s + n)], at: pos(b))
            }
        case 10:   // deep nesting around a position
            let open = r.pick(["(", "[", "{", "-", "not ", "x -> ", "[[", "if true { ", "\"{", "f(", "2^"])
            let close = ["(": ")", "[": "]", "{": "}", "[[": "]]", "if true { ": " }", "\"{": "}\"", "f(": ")"][open] ?? ""
            let depth = r.pick([10, 100, 199, 200, 201, 250, 400, 1000])
            let p = pos(b)
            let whole = r.chance(1, 2)
            let q = whole ? b.count : p
            if !close.isEmpty && r.chance(2, 3) {
                b.insert(contentsOf: Array(String(repeating: close, count: depth).utf8), at: q)
            }
            b.insert(contentsOf: Array(String(repeating: open, count: depth).utf8), at: whole ? 0 : p)
        case 11:   // replace a number with an interesting one
            if let s = b.indices.shuffledFirst(where: { b[$0] >= 48 && b[$0] <= 57 }, &r) {
                var e = s
                while e < b.count && (b[e] >= 48 && b[e] <= 57 || b[e] == UInt8(ascii: ".")) { e += 1 }
                let n = r.pick(["0", "-1", "1e300", "0.5", "1e-320", "9007199254740993", "1e15", "2000", "1025", "-0.0", "nan", "255", "3"])
                b.replaceSubrange(s..<e, with: Array(n.utf8))
            }
        case 12:   // swap two lines
            var lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            if lines.count > 1 {
                lines.swapAt(r.below(lines.count), r.below(lines.count))
                b = Array(lines.joined(separator: [10]))
            }
        case 13:   // repeat a line (long programs, long lines)
            let lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            if !lines.isEmpty {
                let l = lines[r.below(lines.count)]
                let times = r.pick([2, 3, 10, 50])
                var out = b
                for _ in 0..<times { out += [10] + l }
                b = out
            }
        default:   // invalid UTF-8 / odd bytes
            b.insert(contentsOf: r.pick([[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xC0, 0xAF], [0], [0xEF, 0xBB, 0xBF]]), at: pos(b))
        }
    }
}

extension Range where Bound == Int {
    /// A random index satisfying the predicate (a random start, then the first match after it, wrapping).
    func shuffledFirst(where p: (Int) -> Bool, _ r: inout RNG) -> Int? {
        guard !isEmpty else { return nil }
        let start = lowerBound + r.below(count)
        for k in 0..<count {
            let i = lowerBound + (start - lowerBound + k) % count
            if p(i) { return i }
        }
        return nil
    }
}
