// Samplers for distributions beyond the generator's uniform and normal draws.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public enum Distributions {
    /// A Poisson count with mean lam, as NumPy's random_poisson: the product of
    /// uniforms for lam < 10, else Hormann's transformed rejection (PTRS, 1993).
    public static func poisson(_ lam: Double, _ g: inout Xoshiro256) -> Double {
        if lam == 0 { return 0 }
        if lam < 10 {
            let enlam = Glibc.exp(-lam)
            var x = 0.0, prod = 1.0
            while true {
                prod *= g.uniform()
                if prod > enlam { x += 1 } else { return x }
            }
        }
        let slam = lam.squareRoot(), loglam = Glibc.log(lam)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = g.uniform() - 0.5, v = g.uniform()
            let us = 0.5 - Swift.abs(u)
            let k = ((2 * a / us + b) * u + lam + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Glibc.log(v) + Glibc.log(invalpha) - Glibc.log(a / (us * us) + b) <= -lam + k * loglam - Glibc.lgamma(k + 1) { return k }
        }
    }
}
