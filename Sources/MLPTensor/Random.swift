// The one documented generator (LANGUAGE.md, "Randomness"): xoshiro256** seeded
// through SplitMix64; uniforms from the top 53 bits; normals by the polar
// Box-Muller method (Marsaglia), keeping the second value. Same numbers on
// every machine and thread count.

public struct SplitMix64 {
    var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public struct Xoshiro256: RandomNumberGenerator {
    var s: (UInt64, UInt64, UInt64, UInt64)
    var spareNormal: Double? = nil

    public init(seed: UInt64) {
        var sm = SplitMix64(seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always) public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Xoshiro256.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal.
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let m = (-2 * log(s) / s).squareRoot()
                spareNormal = v * m
                return u * m
            }
        }
    }

    /// Uniform integer in [0, n), without modulo bias (Lemire's method).
    public mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0)
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let t = (0 &- n) % n
            while m.low < t { m = next().multipliedFullWidth(by: n) }
        }
        return m.high
    }
}

/// The global generator `seed(n)` resets. The interpreter runs on one thread.
public enum GlobalRandom {
    nonisolated(unsafe) public static var generator = Xoshiro256(seed: 0)
    public static func seed(_ n: UInt64) { generator = Xoshiro256(seed: n) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
