// Input #K of a run, from the generator, the mutator and the corpus.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

let seedSnippets: [String] = [
    "print(1 + 2 * 3)\nprint(-2^2)\nprint(2^3^2)\nprint(7 % -3)\n",
    "fn counter() {\n    c = 0\n    fn inc() { c += 1; c }\n    inc\n}\nk = counter()\nk()\nprint(k())\n",
    "fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }\nprint(\"fib(10) =\", fib(10))\n",
    "squares = map(x -> x^2, 1..6)\nprint(\"squares:\", squares, \"sum\", sum(squares))\n",
    "config = {lr: 0.01, steps: 300}\nfor key in config { print(\"{key:>6} = {config[key]}\") }\n",
    "xs = [5, 3, 8]\nxs[0] = 1\nxs[-1] += 2\nprint(xs[::-1], xs[1:], len(xs))\nx, y = [1, 2]\nprint(x, y)\n",
    "fn f(a, b=2, c=a + b) { a * b + c }\nprint(f(1), f(1, c=0), f(a=3))\n",
    "s = \"E = {1.5:8.3e} and {0.25:.1%} {42:+d} {\"x\"}\"\nprint(s, format(3.14159, \".2f\"))\n",
    "i = 0\nwhile true {\n    i += 1\n    if i % 2 == 0 { continue }\n    if i > 7 { break }\n}\nprint(i)\n",
    "g = fn (a) { return a + 1 }\nh = g >> (x -> x * 2)\nprint(h(3), type(h), str(h))\n",
    "d = {a: 1, \"a b\": 2, 3: [1, 2]}\nd.c = 4\nprint(d, keys(d), values(d), has(d, \"a\"))\n",
    "for i, x in enumerate([\"a\", \"b\"]) { print(i, x) }\nprint(zip([1, 2], \"ab\"), sort([3, 1, 2], reverse=true))\n",
    "total = 0\nfn add(x) {\n    global total\n    total += x\n}\nadd(5)\nprint(total)\n",
    "y = if 1 < 2 { \"yes\" } else { \"no\" }\nprint(y, not true, true and false or true)\n",
    "print(range(0, 10, 3), 0..5, (0..5)[-1], (0..10)[2:5], len(range(10, 0, -2)))\n",
    "print(split(\"a,b,,c\", \",\"), join([1, 2, 3], \"-\"), upper(\"mlp\"), strip(\"  hi \"), replace(\"a-b\", \"-\", \"+\"))\n",
    "seed(3)\nprint(randint(1, 7), choice([1, 2, 3]), shuffle([1, 2, 3]), round(rand(), 2))\n",
    "θ₀ = 1.5\nħ = 1e-3\nprint(θ₀ / ħ, 1_000_000, .5, 6.02e23, 1e-5, 0.1 + 0.2)\n",
    "fn outer() {\n    x = 1\n    fn mid() {\n        fn inner() { x += 1; x }\n        inner\n    }\n    mid()()\n}\nprint(outer())\n",
    "xs = []\nfor i in 0..5 { push(xs, i * i) }\nprint(pop(xs), xs, reduce((a, b) -> a + b, xs), filter(x -> x > 3, xs))\n",
    "assert(1 < 2, \"fine\")\nprint(min(3, 1, 2), max([3, 1, 2]), mean([1, 2, 3, 4]), isnan(0 / 0), abs(-2))\n",
    "x = 1 # comment\n#! not first\nprint(x); print(x + 1)\nif x == 1 {\n    print(\"one\")\n}\nelse {\n    print(\"other\")\n}\n",
]


/// Input #index of a run: a pure function of (seed, index).
struct InputFactory {
    let seed: UInt64
    let huge: Bool
    let builtins: [BuiltinSig]
    let constants: [String]
    let corpus: [[UInt8]]
    var kind: Int? = nil
    /// The registry sweep's calls (`--sweep`), else empty.
    var sweep: [String] = []

    func generateProgram(_ s: UInt64) -> String {
        var g = ProgramGen(seed: s, builtins: builtins, constants: constants, huge: huge)
        return g.program()
    }

    func input(_ index: Int) -> [UInt8] {
        if !sweep.isEmpty { return Array(sweep[index].utf8) }   // made of allowed builtins only
        var r = RNG(inputSeed(seed, index))
        var bytes: [UInt8]
        let k = r.weighted([44, 22, 14, 6, 6, 5, 3])
        switch kind ?? k {
        case 0:   // a grammar program
            bytes = Array(generateProgram(r.next()).utf8)
        case 1:   // a mutated grammar program
            var m = Mutator(r: RNG(r.next()))
            bytes = m.mutate(Array(generateProgram(r.next()).utf8), other: Array(generateProgram(r.next()).utf8))
        case 2:   // a mutated corpus file
            var m = Mutator(r: RNG(r.next()))
            let a = corpus[r.below(corpus.count)], b = corpus[r.below(corpus.count)]
            bytes = m.mutate(a, other: b)
        case 3:   // a splice of two inputs
            let a = r.chance(1, 2) ? corpus[r.below(corpus.count)] : Array(generateProgram(r.next()).utf8)
            let b = r.chance(1, 2) ? corpus[r.below(corpus.count)] : Array(generateProgram(r.next()).utf8)
            bytes = Array(a.prefix(r.below(a.count + 1))) + Array(b.suffix(r.below(b.count + 1)))
        case 4:   // token soup
            var s = ""
            for _ in 0..<r.int(1, 40) {
                s += r.chance(1, 4) ? r.pick(ProgramGen.namePool + builtins.map(\.name)) : r.pick(interestingTokens)
                s += r.pick(["", " ", " ", "\n", "  "])
            }
            bytes = Array(s.utf8)
        case 6:   // a REPL session: the statements of a program as separate entries
            var entries: [String] = []
            for l in generateProgram(r.next()).split(separator: "\n") {
                if let f = l.first, f != " ", f != "}", !l.hasPrefix("else") || entries.isEmpty { entries.append(String(l)) }
                else { entries[entries.count - 1] += "\n" + l }
            }
            var out: [String] = []
            for e in entries {
                out.append(r.chance(1, 8) ? e + ";" : e)
                if r.chance(1, 8) { out.append(r.pick(["#:reset", "_", "print(_)", "x = _", "y = = 2", "fn (", "xs"])) }
            }
            if r.chance(1, 3) {
                // values that outlive `:reset` (the argv list is the builtins'), holding code compiled before it
                let hold = r.pick(["() -> xs", "fn () { d }", "x -> x + n", "() -> _"])
                let p = r.below(out.count + 1)
                out.insert(contentsOf: ["push(argv, \(hold))", "#:reset", "argv[-1](\(hold.hasPrefix("x") ? "1" : ""))"], at: p)
            }
            bytes = Array(("#repl\n" + out.joined(separator: "\n#---\n")).utf8)
        default:   // random bytes
            let n = r.int(0, 160)
            bytes = []
            bytes.reserveCapacity(n)
            let printable = r.chance(1, 2)
            for _ in 0..<n {
                let x = UInt8(truncatingIfNeeded: r.next())
                bytes.append(printable ? (x % 97 == 96 ? 10 : 32 + x % 95) : x)
            }
        }
        sanitize(&bytes)
        return bytes
    }
}

func makeFactory(_ opts: Options) -> InputFactory {
    let (fns, consts) = builtinSignatures()
    var corpus: [[UInt8]] = seedSnippets.map { Array($0.utf8) }
    var dirs = opts.corpusDirs
    if let root = packageRoot() {
        for d in ["Tests/golden", "examples", "bench"] where directoryExists(root + "/" + d) { dirs.append(root + "/" + d) }
    }
    for d in dirs {
        for f in mlpFiles(under: d) {
            if var bytes = readWholeFile(f), !bytes.isEmpty, bytes.count < 100_000 {
                sanitize(&bytes)
                corpus.append(bytes)
            }
        }
    }
    return InputFactory(seed: opts.seed, huge: opts.huge, builtins: fns, constants: consts, corpus: corpus, kind: opts.kind,
                        sweep: opts.sweep ? sweepCalls(fns) : [])
}
