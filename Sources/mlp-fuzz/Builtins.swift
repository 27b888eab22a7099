// The builtins the generator may call, and the ones it must not (files, the clock).
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

struct BuiltinSig {
    let name: String
    let params: [(name: String, required: Bool, keywordOnly: Bool)]
    let rest: Bool
    var requiredCount: Int { params.filter { $0.required }.count }
    var positionalCount: Int { params.filter { !$0.keywordOnly }.count }
}

/// Builtins that touch the file system, the clock or stdin, or run for minutes on
/// ordinary arguments (tsne, word2vec, ising with a large L): never generated,
/// and renamed away when a mutation or a corpus file produces them. So is `file`,
/// the plot builtins' option that writes a file: they draw in the captured output.
let forbiddenNames: Set<String> = [
    "read_text", "write_text", "exists", "time", "clock", "input", "read_line", "readline",
    "load_npy", "save_npy", "load_npz", "save_npz", "load_csv", "save_csv", "load_idx", "fashion_mnist", "digits",
    "file", "savefig", "save", "load", "tsne", "word2vec", "load_glove", "kjv", "ising",
]

/// The shortest and longest forbidden name (a cheap filter before the set lookup; a
/// fixed 4...10 once let `fashion_mnist` through, and the fuzzer loaded the data set).
let forbiddenLengths = forbiddenNames.map(\.utf8.count).min()!...forbiddenNames.map(\.utf8.count).max()!

func builtinSignatures() -> (functions: [BuiltinSig], constants: [String]) {
    let registry = Registry.standard(argv: [])
    var fns: [BuiltinSig] = [], consts: [String] = []
    for e in registry.entries where !forbiddenNames.contains(e.name) {
        if case .builtin(let b) = e.value {
            fns.append(BuiltinSig(name: e.name, params: b.params.map { ($0.name, $0.defaultValue == nil, $0.keywordOnly) }, rest: b.rest != nil))
        } else {
            consts.append(e.name)
        }
    }
    return (fns, consts)
}

@inline(__always) func isIdentByte(_ c: UInt8) -> Bool {
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 || c >= 0x80 || (c >= 48 && c <= 57)
}

/// Renames forbidden identifiers (`write_text` becomes `Xrite_text`), skipping nothing
/// else: the text stays a realistic input but cannot reach the file system or the clock.
func sanitize(_ bytes: inout [UInt8]) {
    var i = 0
    let n = bytes.count
    while i < n {
        if isIdentByte(bytes[i]) && !(bytes[i] >= 48 && bytes[i] <= 57) {
            var j = i
            while j < n && isIdentByte(bytes[j]) { j += 1 }
            let len = j - i
            if len >= forbiddenLengths.lowerBound && len <= forbiddenLengths.upperBound {
                let word = String(decoding: bytes[i..<j], as: UTF8.self)
                if forbiddenNames.contains(word) { bytes[i] = UInt8(ascii: "X") }
            }
            i = j
        } else {
            i += 1
        }
    }
}
