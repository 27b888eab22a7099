// The OpenBLAS kernels that fit the processor (docs/architecture.md, "BLAS kernels").
// Debian's OpenBLAS 0.3.21 picks its kernels from CPUID when it loads, but it only
// knows the processors of 2022: on a newer one (an Intel Xeon of a later family, an
// AMD Zen 5) it falls back to an old core (Prescott, SSE3), 4-5x slower than the
// AVX-512 kernels the processor can run. OPENBLAS_CORETYPE, read when the library
// loads, overrides the choice; so when it is unset and the chosen core is weaker
// than what the processor and the kernel (the flags of /proc/cpuinfo) support, mlp
// sets it and executes itself again before doing anything else. On a processor the
// library knows nothing happens (one string comparison).
import CBLAS
#if canImport(Glibc)
import Glibc
#endif

public enum BLASKernels {
    /// The OpenBLAS core whose kernels run the products (e.g. "Cooperlake", "Haswell").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The vector width class of an OpenBLAS core: 3 AVX-512, 2 AVX2 and FMA, 1 AVX, 0 older or unknown.
    public static func level(ofCore name: String) -> Int {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "skylake": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return 1
        default: return 0
        }
    }

    /// The strongest core of Debian's OpenBLAS 0.3.21 that a processor with these
    /// /proc/cpuinfo flags runs (nil: nothing better than the library's generic cores).
    public static func bestCore(flags: Set<Substring>) -> String? {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy({ flags.contains(Substring($0)) }) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The core to force, or nil when the library's own choice is as strong as the
    /// processor allows.
    public static func override(current: String, flags: Set<Substring>) -> String? {
        guard let best = bestCore(flags: flags), level(ofCore: best) > level(ofCore: current) else { return nil }
        return best
    }

    /// The flags of the first processor in /proc/cpuinfo (empty when unreadable).
    static func cpuFlags() -> Set<Substring> {
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil, cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0, let l = line {
            let s = String(cString: l)
            if s.hasPrefix("flags") || s.hasPrefix("Features") {
                guard let colon = s.firstIndex(of: ":") else { return [] }
                return Set(s[s.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }))
            }
        }
        return []
    }

    /// Called first thing by `mlp` (and mlp-bench): when OPENBLAS_CORETYPE is unset and
    /// the library chose a core weaker than the processor supports, sets the variable
    /// to the best core and executes the program again with the same arguments (the
    /// library reads the variable only when it loads). Returns when nothing is to do
    /// or the execution fails (the program then runs on the library's own choice).
    public static func selectBestKernels() {
        if getenv("OPENBLAS_CORETYPE") != nil { return }
        let current = coreName
        if level(ofCore: current) >= 3 { return }
        guard let core = override(current: current, flags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let args = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // not replaced (no /proc): go on with the library's choice
        unsetenv("OPENBLAS_CORETYPE")
        for p in argv { free(p) }
    }
}
