// The fuzzer's random numbers: every input is a pure function of (seed, index).
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64 (MLPTensor's): tiny, fast, and the same everywhere.
struct RNG {
    var mix: SplitMix64
    init(_ seed: UInt64) { mix = SplitMix64(seed) }
    @inline(__always) mutating func next() -> UInt64 { mix.next() }
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
    var r = RNG((seed &* 0xD1B5_4A32_D192_ED03 ^ 0x5851_F42D_4C95_7F2D) &+ UInt64(truncatingIfNeeded: index) &* 0xA24B_AED4_963E_E407)
    _ = r.next()
    return r.next()
}
