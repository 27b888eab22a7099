// The Wolff cluster update (Wolff 1989) for IsingChains: a cluster grows from a
// random site over satisfied bonds, each added with probability 1 - exp(-2|J|/T),
// and flips as a whole. h must be 0 (checked by the caller). One "sweep" of Wolff
// updates is as many clusters as it takes to flip at least L^d spins in all, so
// that autocorrelation times compare with Metropolis sweeps.

import MLPTensor

extension IsingChains {
    /// Chain c's spins in natural order (i * L + j), one byte each: the clusters grow
    /// there (a neighbour is one add away) and go back to the sublattices at the end.
    func unpack(_ c: Int, into s: UnsafeMutablePointer<Int8>) {
        let base = spins + c * chainSize, L = model.L
        for i in 0..<rows { for j in 0..<L { s[i * L + j] = Int8(base[offset(i, j)]) } }
    }

    func pack(_ c: Int, from s: UnsafeMutablePointer<Int8>) {
        let base = spins + c * chainSize, L = model.L
        for i in 0..<rows { for j in 0..<L { set(base, i, j, Int32(s[i * L + j])) } }
        recount(c)
    }

    /// M and B of a configuration in natural order.
    func count(_ s: UnsafeMutablePointer<Int8>) -> (Int, Int) {
        let L = model.L
        var m = 0, b = 0
        for i in 0..<rows {
            let row = s + i * L, down = s + (rows == 1 ? 0 : ((i + 1) % rows) * L)
            var mr: Int32 = 0, br: Int32 = 0
            for j in 0..<(L - 1) {
                mr &+= Int32(row[j])
                br &+= Int32(row[j]) * (Int32(row[j + 1]) + (rows == 1 ? 0 : Int32(down[j])))
            }
            mr &+= Int32(row[L - 1])
            br &+= Int32(row[L - 1]) * (Int32(row[0]) + (rows == 1 ? 0 : Int32(down[L - 1])))
            m += Int(mr); b += Int(br)
        }
        return (m, b)
    }

    /// Grows and flips one cluster of the configuration `s` (natural order); returns
    /// its size. `stack` holds at least `model.sites` site pairs (i, j).
    @inline(__always) func wolffCluster(_ s: UnsafeMutablePointer<Int8>, _ rng: inout Xoshiro256, _ stack: UnsafeMutablePointer<Int32>) -> Int {
        let L = model.L, twoD = rows > 1
        let r = Int(rng.below(UInt64(model.sites)))
        let i0 = twoD ? r / L : 0, j0 = twoD ? r % L : r
        let seedSpin = s[i0 * L + j0]
        s[i0 * L + j0] = -seedSpin
        var top = 2, size = 1
        stack[0] = Int32(i0); stack[1] = Int32(j0)
        let thr = wolffThreshold
        let ferro = model.J >= 0
        while top > 0 {
            top -= 2
            let i = Int(stack[top]), j = Int(stack[top + 1])
            // the neighbour value that makes a satisfied bond with this site's original
            // spin: the seed's for J > 0; for J < 0 minus the original, which is the
            // site's flipped value now
            let want = ferro ? seedSpin : s[i * L + j]
            @inline(__always) func visit(_ ni: Int, _ nj: Int) {
                let k = ni * L + nj
                if s[k] == want && rng.next() < thr {
                    s[k] = -want
                    stack[top] = Int32(ni); stack[top + 1] = Int32(nj); top += 2
                    size += 1
                }
            }
            visit(i, j == 0 ? L - 1 : j - 1)
            visit(i, j == L - 1 ? 0 : j + 1)
            if twoD {
                visit(i == 0 ? L - 1 : i - 1, j)
                visit(i == L - 1 ? 0 : i + 1, j)
            }
        }
        return size
    }

    /// `clusters` clusters of chain c (natural-order spins `s`), or, when 0, clusters
    /// until at least `sites` spins flipped (burn-in only); the number of clusters
    /// and spins flipped. M and B are recounted from `s`.
    @inline(__always) func wolffSweep(_ c: Int, _ s: UnsafeMutablePointer<Int8>, _ stack: UnsafeMutablePointer<Int32>, clusters fixed: Int) -> (Int, Int) {
        var rng = srng[c]
        var flipped = 0, clusters = 0
        while fixed > 0 ? clusters < fixed : flipped < model.sites {
            flipped += wolffCluster(s, &rng, stack)
            clusters += 1
        }
        srng[c] = rng
        attempted[c] += clusters
        accepted[c] += flipped
        (M[c], B[c]) = count(s)
        return (clusters, flipped)
    }
}
