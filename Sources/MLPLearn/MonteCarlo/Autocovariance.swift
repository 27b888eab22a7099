// The autocovariance of a long series by FFT (Wiener-Khinchin): zero-padded to a
// power of two at least twice its length, so that the circular correlation is the
// linear one; O(n log n) where the direct sums up to Sokal's window cost O(n tau),
// which at a critical point (tau in the hundreds of sweeps) dominated a whole run.
#if canImport(Glibc)
import Glibc
#endif

enum FFT {
    /// In-place iterative radix-2 transform of (re, im), length a power of two;
    /// `inverse` without the 1/n.
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var len = 2
        while len <= n {
            let ang = 2 * Double.pi / Double(len) * (inverse ? 1 : -1)
            let wr = cos(ang), wi = sin(ang)
            var i = 0
            while i < n {
                var cr = 1.0, ci = 0.0
                for k in 0..<(len / 2) {
                    let a = i + k, b = a + len / 2
                    let tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                    let nr = cr * wr - ci * wi
                    ci = cr * wi + ci * wr; cr = nr
                }
                i += len
            }
            len <<= 1
        }
    }

    /// sum_i x[i] x[i + t] for t in 0..<x.count.
    static func lagProducts(_ x: ArraySlice<Double>) -> [Double] {
        let n = x.count
        var m = 1
        while m < 2 * n { m <<= 1 }
        var re = [Double](repeating: 0, count: m), im = [Double](repeating: 0, count: m)
        for (k, v) in x.enumerated() { re[k] = v }
        transform(&re, &im, inverse: false)
        for k in 0..<m { re[k] = re[k] * re[k] + im[k] * im[k]; im[k] = 0 }
        transform(&re, &im, inverse: true)
        return (0..<n).map { re[$0] / Double(m) }
    }
}
