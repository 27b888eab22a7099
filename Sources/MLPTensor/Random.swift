// The one documented generator (docs/language.md, "Randomness"): xoshiro256** seeded
// through SplitMix64; uniforms from the top 53 bits; normals by the polar
// Box-Muller method (Marsaglia), keeping the second value. Same numbers on
// every machine and thread count.
//
// There is no global generator: a session owns its default one (seed()), scripts
// make more with generator(seed), and kernels receive the state they draw from.

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
    // usable from inline so that samplers in other modules (MLPLearn's Monte Carlo)
    // inline next() into their inner loops
    @usableFromInline var s: (UInt64, UInt64, UInt64, UInt64)
    var spareNormal: Double? = nil

    public init(seed: UInt64) {
        var sm = SplitMix64(seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
    }

    /// A state from four words, each mixed by SplitMix64 (nearby words give unrelated states).
    public init(mixing w: (UInt64, UInt64, UInt64, UInt64)) {
        var a = SplitMix64(w.0), b = SplitMix64(w.1), c = SplitMix64(w.2), d = SplitMix64(w.3)
        s = (a.next(), b.next(), c.next(), d.next())
        if s == (0, 0, 0, 0) { s.0 = 1 }   // the one state xoshiro cannot leave
    }

    /// Advances by 2^128 draws, or 2^192 when `long` (the generator authors' jump
    /// polynomials): non-overlapping subsequences for parallel streams.
    public mutating func jump(long: Bool = false) {
        let poly: [UInt64] = long
            ? [0x76E1_5D3E_FEFD_CBBF, 0xC500_4E44_1C52_2FB3, 0x7771_0069_854E_E241, 0x3910_9BB0_2ACB_E635]
            : [0x180E_C6D3_3CFD_0ABA, 0xD5A6_1266_F0C9_392C, 0xA958_2618_E03F_C9AA, 0x39AB_DC45_29B1_661C]
        var t: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for word in poly {
            for b in 0..<64 {
                if word & (1 << UInt64(b)) != 0 { t.0 ^= s.0; t.1 ^= s.1; t.2 ^= s.2; t.3 ^= s.3 }
                _ = next()
            }
        }
        s = t
        spareNormal = nil
    }

    @inlinable @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inlinable @inline(__always) public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Xoshiro256.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1).
    @inlinable @inline(__always) public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// dst[i] = uniform() for i in 0..<n: the same numbers as n calls, without a call
    /// each (kernels in other modules that draw many: an RBM's sampled units).
    public mutating func fillUniform(_ dst: UnsafeMutablePointer<Double>, _ n: Int) {
        var i = 0
        while i < n { dst[i] = uniform(); i &+= 1 }
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

    /// Fisher-Yates, from the last item down (the order every shuffle in mlp draws in).
    /// This one for indices, compiled for Int: the generic one below, unspecialised
    /// across modules, allocated its swaps' temporaries (a W1 training step, which
    /// reshuffles its 64 samples, made about 110 of its 147 allocations there).
    public mutating func shuffle(_ a: inout [Int]) {
        var i = a.count - 1
        a.withUnsafeMutableBufferPointer { p in
            while i > 0 {
                p.swapAt(i, Int(below(UInt64(i + 1))))
                i -= 1
            }
        }
    }

    /// Fisher-Yates, from the last item down, for any element type.
    public mutating func shuffle<T>(_ a: inout [T]) {
        var i = a.count - 1
        while i > 0 {
            a.swapAt(i, Int(below(UInt64(i + 1))))
            i -= 1
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

/// A stream of random numbers that several holders share (the session's default
/// generator, a `generator(seed)` value, a dropout layer's): drawing advances it for
/// all of them. One thread at a time: a kernel that draws on worker threads takes
/// `Xoshiro256` states of its own (`streams`), never this object.
public final class RandomGenerator {
    public var state: Xoshiro256
    public init(seed: UInt64) { state = Xoshiro256(seed: seed) }
    public init(state: Xoshiro256) { self.state = state }

    /// Starts the stream again from `seed` (the object stays, so its holders follow).
    public func reseed(_ seed: UInt64) { state = Xoshiro256(seed: seed) }

    /// `n` independent generators. They start at a point drawn from this stream (four
    /// draws, mixed by SplitMix64, so splitting again, or splitting a child, starts
    /// somewhere unrelated) and lie 2^128 draws apart from there (xoshiro256**'s
    /// jump), so sibling streams never overlap.
    public func split(_ n: Int) -> [RandomGenerator] {
        var start = Xoshiro256(mixing: (state.next(), state.next(), state.next(), state.next()))
        var out: [RandomGenerator] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            out.append(RandomGenerator(state: start))
            start.jump()
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Xoshiro256 {
    /// The four state words (a vectorised generator starts its lanes from them).
    public var words: (UInt64, UInt64, UInt64, UInt64) { s }
}
