// Four xoshiro256** generators in the lanes of SIMD vectors (AVX2 registers): the
// random numbers of the checkerboard sweep, eight 32-bit draws per step. The
// multiplications by 5 and 9 are shifts and adds, which AVX2 has for 64-bit lanes.
import MLPTensor

public struct XoshiroX4 {
    var s0, s1, s2, s3: SIMD4<UInt64>

    /// Lane k starts at `g`'s state moved on by k long jumps (2^192 draws): sibling
    /// chains from `split` lie 2^128 apart, so no two lanes of any chains overlap.
    public init(_ g: Xoshiro256) {
        var lanes: [Xoshiro256] = []
        var cur = g
        for _ in 0..<4 { lanes.append(cur); cur.jump(long: true) }
        let w = lanes.map { $0.words }
        s0 = SIMD4(w[0].0, w[1].0, w[2].0, w[3].0)
        s1 = SIMD4(w[0].1, w[1].1, w[2].1, w[3].1)
        s2 = SIMD4(w[0].2, w[1].2, w[2].2, w[3].2)
        s3 = SIMD4(w[0].3, w[1].3, w[2].3, w[3].3)
    }

    @inline(__always) static func rotl(_ x: SIMD4<UInt64>, _ k: UInt64) -> SIMD4<UInt64> {
        (x &<< SIMD4(repeating: k)) | (x &>> SIMD4(repeating: 64 - k))
    }

    /// Four 64-bit draws, one per lane.
    @inline(__always) public mutating func next() -> SIMD4<UInt64> {
        let x5 = s1 &+ (s1 &<< 2)
        let r = XoshiroX4.rotl(x5, 7)
        let result = r &+ (r &<< 3)
        let t = s1 &<< 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = XoshiroX4.rotl(s3, 45)
        return result
    }

    /// Eight 31-bit uniforms (the high 31 bits of each half of four draws).
    @inline(__always) public mutating func next31() -> SIMD8<UInt32> {
        let r = next()
        let halves = unsafeBitCast(r, to: SIMD8<UInt32>.self)
        return halves &>> 1
    }
}
