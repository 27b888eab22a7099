/// exp(x) in plain IEEE arithmetic (no libm), the same bits on every machine.
/// The algorithm of ARM's optimized-routines (as in glibc): x = (64 k + j) ln2/64 + r,
/// |r| <= ln2/128, exp(x) = 2^k * T[j] * e^r with T[j] = 2^(j/64) kept as hi + lo
/// (table made with 60-digit decimal arithmetic) and a degree-6 polynomial for
/// e^r - 1. Error about 0.5 ulp; 2^k is applied in two steps, so results near
/// overflow and in the subnormal range need no branch.
let expTable: [Double] = [
    0x1.0000000000000p+0, 0x0.0p+0,
    0x1.02c9a3e778061p+0, -0x1.19083535b085dp-56,
    0x1.059b0d3158574p+0, 0x1.d73e2a475b465p-55,
    0x1.0874518759bc8p+0, 0x1.186be4bb284ffp-57,
    0x1.0b5586cf9890fp+0, 0x1.8a62e4adc610bp-54,
    0x1.0e3ec32d3d1a2p+0, 0x1.03a1727c57b53p-59,
    0x1.11301d0125b51p+0, -0x1.6c51039449b3ap-54,
    0x1.1429aaea92de0p+0, -0x1.32fbf9af1369ep-54,
    0x1.172b83c7d517bp+0, -0x1.19041b9d78a76p-55,
    0x1.1a35beb6fcb75p+0, 0x1.e5b4c7b4968e4p-55,
    0x1.1d4873168b9aap+0, 0x1.e016e00a2643cp-54,
    0x1.2063b88628cd6p+0, 0x1.dc775814a8495p-55,
    0x1.2387a6e756238p+0, 0x1.9b07eb6c70573p-54,
    0x1.26b4565e27cddp+0, 0x1.2bd339940e9d9p-55,
    0x1.29e9df51fdee1p+0, 0x1.612e8afad1255p-55,
    0x1.2d285a6e4030bp+0, 0x1.0024754db41d5p-54,
    0x1.306fe0a31b715p+0, 0x1.6f46ad23182e4p-55,
    0x1.33c08b26416ffp+0, 0x1.32721843659a6p-54,
    0x1.371a7373aa9cbp+0, -0x1.63aeabf42eae2p-54,
    0x1.3a7db34e59ff7p+0, -0x1.5e436d661f5e3p-56,
    0x1.3dea64c123422p+0, 0x1.ada0911f09ebcp-55,
    0x1.4160a21f72e2ap+0, -0x1.ef3691c309278p-58,
    0x1.44e086061892dp+0, 0x1.89b7a04ef80d0p-59,
    0x1.486a2b5c13cd0p+0, 0x1.3c1a3b69062f0p-56,
    0x1.4bfdad5362a27p+0, 0x1.d4397afec42e2p-56,
    0x1.4f9b2769d2ca7p+0, -0x1.4b309d25957e3p-54,
    0x1.5342b569d4f82p+0, -0x1.07abe1db13cadp-55,
    0x1.56f4736b527dap+0, 0x1.9bb2c011d93adp-54,
    0x1.5ab07dd485429p+0, 0x1.6324c054647adp-54,
    0x1.5e76f15ad2148p+0, 0x1.ba6f93080e65ep-54,
    0x1.6247eb03a5585p+0, -0x1.383c17e40b497p-54,
    0x1.6623882552225p+0, -0x1.bb60987591c34p-54,
    0x1.6a09e667f3bcdp+0, -0x1.bdd3413b26456p-54,
    0x1.6dfb23c651a2fp+0, -0x1.bbe3a683c88abp-57,
    0x1.71f75e8ec5f74p+0, -0x1.16e4786887a99p-55,
    0x1.75feb564267c9p+0, -0x1.0245957316dd3p-54,
    0x1.7a11473eb0187p+0, -0x1.41577ee04992fp-55,
    0x1.7e2f336cf4e62p+0, 0x1.05d02ba15797ep-56,
    0x1.82589994cce13p+0, -0x1.d4c1dd41532d8p-54,
    0x1.868d99b4492edp+0, -0x1.fc6f89bd4f6bap-54,
    0x1.8ace5422aa0dbp+0, 0x1.6e9f156864b27p-54,
    0x1.8f1ae99157736p+0, 0x1.5cc13a2e3976cp-55,
    0x1.93737b0cdc5e5p+0, -0x1.75fc781b57ebcp-57,
    0x1.97d829fde4e50p+0, -0x1.d185b7c1b85d1p-54,
    0x1.9c49182a3f090p+0, 0x1.c7c46b071f2bep-56,
    0x1.a0c667b5de565p+0, -0x1.359495d1cd533p-54,
    0x1.a5503b23e255dp+0, -0x1.d2f6edb8d41e1p-54,
    0x1.a9e6b5579fdbfp+0, 0x1.0fac90ef7fd31p-54,
    0x1.ae89f995ad3adp+0, 0x1.7a1cd345dcc81p-54,
    0x1.b33a2b84f15fbp+0, -0x1.2805e3084d708p-57,
    0x1.b7f76f2fb5e47p+0, -0x1.5584f7e54ac3bp-56,
    0x1.bcc1e904bc1d2p+0, 0x1.23dd07a2d9e84p-55,
    0x1.c199bdd85529cp+0, 0x1.11065895048ddp-55,
    0x1.c67f12e57d14bp+0, 0x1.2884dff483cadp-54,
    0x1.cb720dcef9069p+0, 0x1.503cbd1e949dbp-56,
    0x1.d072d4a07897cp+0, -0x1.cbc3743797a9cp-54,
    0x1.d5818dcfba487p+0, 0x1.2ed02d75b3707p-55,
    0x1.da9e603db3285p+0, 0x1.c2300696db532p-54,
    0x1.dfc97337b9b5fp+0, -0x1.1a5cd4f184b5cp-54,
    0x1.e502ee78b3ff6p+0, 0x1.39e8980a9cc8fp-55,
    0x1.ea4afa2a490dap+0, -0x1.e9c23179c2893p-54,
    0x1.efa1bee615a27p+0, 0x1.dc7f486a4b6b0p-54,
    0x1.f50765b6e4540p+0, 0x1.9d3e12dd8a18bp-54,
    0x1.fa7c1819e90d8p+0, 0x1.74853f3a5931ep-55
]

@inline(__always)
func expCore(_ x: Double, _ tb: UnsafePointer<Double>) -> Double {
    let xc = x < -745.2 ? -745.2 : (x > 709.8 ? 709.8 : x)
    let shifter = 0x1.8p52
    let t = xc * 0x1.71547652b82fep+6 + shifter
    let kd = t - shifter
    let k = Int64(bitPattern: t.bitPattern) &- Int64(bitPattern: shifter.bitPattern)
    let r = (xc - kd * 0x1.62e42fec00000p-7) - kd * 0x1.d1cf79abc9e3bp-38
    let j = Int(k & 63), m = k >> 6
    var p = 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r * r + r                       // e^r - 1
    let hi = tb[2 &* j], lo = tb[2 &* j &+ 1]
    let v = hi + (lo + hi * p)
    let m1 = m >> 1, m2 = m &- m1
    let s1 = Double(bitPattern: UInt64(bitPattern: (m1 &+ 1023) << 52))
    let s2 = Double(bitPattern: UInt64(bitPattern: (m2 &+ 1023) << 52))
    let e = v * s1 * s2
    return x.isNaN ? x : e
}

/// exp(x); see `expTable`.
public func mlpExp(_ x: Double) -> Double {
    expTable.withUnsafeBufferPointer { expCore(x, $0.baseAddress!) }
}

@inline(__always)
func expCore4(_ x: SIMD4<Double>, _ tb: UnsafePointer<Double>) -> SIMD4<Double> {
    var xc = x.replacing(with: -745.2, where: x .< -745.2)
    xc = xc.replacing(with: 709.8, where: xc .> 709.8)
    let shifter = SIMD4<Double>(repeating: 0x1.8p52)
    let t = xc * 0x1.71547652b82fep+6 + shifter
    let kd = t - shifter
    // unsigned integer math only (SSE2 has no 64-bit arithmetic shift):
    // kb = k + 2^17 >= 0, mb = m + 2048 with k = 64 m + j
    let kb = unsafeBitCast(t, to: SIMD4<UInt64>.self) &- (0x1.8p52).bitPattern &+ (1 << 17)
    let r = (xc - kd * 0x1.62e42fec00000p-7) - kd * 0x1.d1cf79abc9e3bp-38
    let j = (kb & 63) &<< 1, mb = kb &>> 6
    var p = SIMD4<Double>(repeating: 1.0 / 720.0)
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r * r + r
    let hi = SIMD4<Double>(tb[Int(j[0])], tb[Int(j[1])], tb[Int(j[2])], tb[Int(j[3])])
    let lo = SIMD4<Double>(tb[Int(j[0]) &+ 1], tb[Int(j[1]) &+ 1], tb[Int(j[2]) &+ 1], tb[Int(j[3]) &+ 1])
    let v = hi + (lo + hi * p)
    // 2^m in two factors 2^m1 2^m2, m1 = floor(m/2): biased exponents
    // m1 + 1023 = (mb >> 1) - 1 and m2 + 1023 = mb - (mb >> 1) - 1
    let h = mb &>> 1
    let s1 = unsafeBitCast((h &- 1) &<< 52, to: SIMD4<Double>.self)
    let s2 = unsafeBitCast((mb &- h &- 1) &<< 52, to: SIMD4<Double>.self)
    let e = v * s1 * s2
    return e.replacing(with: x, where: x .!= x)
}

/// dst[i] = exp(src[i]) for i in 0..<n (the same bits as `mlpExp`), split over
/// `kernelThreads` threads for large n (each element is computed the same way).
/// `dst` may be `src`.
func expKernel(_ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ n: Int) {
    expTable.withUnsafeBufferPointer { tb in
        let t = tb.baseAddress!
        parallelFor(n, minPerThread: 1 << 13, grain: elementGrain(n)) { lo, hi in expKernelSerial(src + lo, dst + lo, hi &- lo, t) }
    }
}

@inline(__always)
func expKernelSerial(_ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ n: Int,
                     _ t: UnsafePointer<Double>) {
    let rs = UnsafeRawPointer(src), rd = UnsafeMutableRawPointer(dst)
    var i = 0
    while i &+ 4 <= n {
        let v = rs.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
        rd.storeBytes(of: expCore4(v, t), toByteOffset: i &* 8, as: SIMD4<Double>.self)
        i &+= 4
    }
    while i < n { dst[i] = expCore(src[i], t); i &+= 1 }
}

/// p[i] = 1 / (1 + exp(-p[i])) in place, four at a time through `expCore4` (the
/// logistic function of kernels that keep their own buffers: an RBM's units).
public func sigmoidInPlace(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    expTable.withUnsafeBufferPointer { tb in
        let t = tb.baseAddress!, raw = UnsafeMutableRawPointer(p)
        var i = 0
        while i &+ 4 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            let e = expCore4(-x, t)
            raw.storeBytes(of: 1 / (1 + e), toByteOffset: i &* 8, as: SIMD4<Double>.self)
            i &+= 4
        }
        while i < n { p[i] = 1 / (1 + expCore(-p[i], t)); i &+= 1 }
    }
}

/// exp(x) for eight Floats in float arithmetic: x = k ln2 + r (Cody-Waite, ln2 in
/// two parts), a degree-6 polynomial for e^r, 2^k put in the exponent bits; x is
/// clamped to [-87, 88]. Relative error below 3e-7 (measured against libm over
/// [-87, 88] in steps of 0.0137). The same bits on every machine.
@inline(__always)
func expFloat8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var xc = x.replacing(with: -87, where: x .< -87)
    xc = xc.replacing(with: 88, where: xc .> 88)
    let shifter = SIMD8<Float>(repeating: 12582912)   // 1.5 * 2^23: adding it rounds to an integer
    let t = xc * 1.44269504088896341 + shifter
    let k = t - shifter
    let r = (xc - k * 0.693145751953125) - k * 1.42860682030941723212e-6
    var p = SIMD8<Float>(repeating: 1.0 / 720.0)
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let ki = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- Float(12582912).bitPattern
    return p * unsafeBitCast((ki &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// p[i] = 1 / (1 + exp(-p[i])) in place for Float, eight at a time (`expFloat8`).
public func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(p)
    var i = 0
    while i &+ 8 <= n {
        let x = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: 1 / (1 + expFloat8(-x)), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    if i < n {
        var x = SIMD8<Float>(repeating: 0)
        for j in 0..<(n &- i) { x[j] = p[i &+ j] }
        let y = 1 / (1 + expFloat8(-x))
        for j in 0..<(n &- i) { p[i &+ j] = y[j] }
    }
}
