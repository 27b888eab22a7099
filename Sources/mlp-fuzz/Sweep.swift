// `--sweep`: every builtin of the registry with extreme arguments.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// Arguments at the edges: zero, negative, nan, the infinities, the largest and a
/// subnormal double, 2^62, empty and zero-size tensors (one that the size checks
/// refuse: its dimensions other than 0 overflow), values of the wrong type.
let extremeArguments = [
    "0", "-1", "nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "2^62", "-2^62", "50000",
    "[]", "[1, 2]", "zeros(0)", "zeros(0, 3)", "zeros(3, 0)", "zeros(2, 0, 2)", "zeros(0, 2^20)", "zeros(2^62, 4, 0)",
    "tensor(5)", "ones(2, 2)", "full([2, 2], 1e308)", "rand(1, 2, 2, 1)", "\"s\"", "nil", "true", "x -> x", "{}", "range(3)",
]

/// The sweep's calls: each builtin with each extreme argument in all its required
/// places, then in one place with the others 1 or a matrix, then what it returns
/// (for the required places 2) called with it: `batchnorm()(zeros(3, 0))`.
func sweepCalls(_ builtins: [BuiltinSig]) -> [String] {
    var calls: [String] = []
    for f in builtins {
        let places = max(f.params.filter { $0.required && !$0.keywordOnly }.count, min(f.positionalCount, 1))
        func call(_ args: [String]) -> String { "\(f.name)(\(args.joined(separator: ", ")))" }
        for v in extremeArguments {
            calls.append(call(Array(repeating: v, count: places)))
            for fill in ["1", "ones(2, 2)"] where places > 1 {
                for i in 0..<places {
                    var args = Array(repeating: fill, count: places)
                    args[i] = v
                    calls.append(call(args))
                }
            }
            calls.append(call(Array(repeating: "2", count: f.requiredCount)) + "(\(v))")
        }
    }
    return calls
}
