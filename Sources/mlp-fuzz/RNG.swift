// The fuzzer's random numbers: every input is a pure function of (seed, index).
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: tiny, fast, and the same everywhere.
struct RNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n (0 when n <= 1).
    @inline(__always) mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    /// True with probability num/den.
    @inline(__always) mutating func chance(_ num: Int, _ den: Int) -> Bool { below(den) < num }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + below(hi - lo + 1) }
    /// Index into cumulative weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        let total = weights.reduce(0, +)
        var x = below(total)
        for (i, w) in weights.enumerated() { if x < w { return i }; x -= w }
        return weights.count - 1
    }
}

func inputSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
    var r = RNG(seed &* 0xD1B5_4A32_D192_ED03 ^ 0x5851_F42D_4C95_7F2D)
    r.state &+= UInt64(truncatingIfNeeded: index) &* 0xA24B_AED4_963E_E407
    _ = r.next()
    return r.next()
}
