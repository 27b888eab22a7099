// The Wolff cluster update (Wolff 1989) for IsingChains: a cluster grows from a
// random site over satisfied bonds, each added with probability 1 - exp(-2|J|/T),
// and flips as a whole. h must be 0 (checked by the caller). One "sweep" of Wolff
// updates is as many clusters as it takes to flip at least L^d spins in all, so
// that autocorrelation times compare with Metropolis sweeps.

import MLPTensor

extension IsingChains {
    /// Grows and flips one cluster of chain c; returns its size. `stack` holds
    /// at least `model.sites` site pairs (i, j).
    @inline(__always) func wolffCluster(_ c: Int, _ rng: inout Xoshiro256, _ stack: UnsafeMutablePointer<Int32>) -> Int {
        let base = spins + c * chainSize
        let L = model.L, twoD = rows > 1
        let r = Int(rng.below(UInt64(model.sites)))
        let i0 = twoD ? r / L : 0, j0 = twoD ? r % L : r
        let seedSpin = base[offset(i0, j0)]
        let ferro = model.J >= 0
        set(base, i0, j0, -seedSpin)
        var top = 0, size = 1
        stack[0] = Int32(i0); stack[1] = Int32(j0); top = 2
        let thr = wolffThreshold
        while top > 0 {
            top -= 2
            let i = Int(stack[top]), j = Int(stack[top + 1])
            let orig = -base[offset(i, j)]
            let target = ferro ? orig : -orig
            @inline(__always) func visit(_ ni: Int, _ nj: Int) {
                if base[offset(ni, nj)] == target && rng.next() < thr {
                    set(base, ni, nj, -target)
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

    /// `clusters` clusters of chain c (or, when 0, clusters until at least `sites`
    /// spins flipped: burn-in only); the number of clusters and spins flipped.
    @inline(__always) func wolffSweep(_ c: Int, _ stack: UnsafeMutablePointer<Int32>, clusters fixed: Int) -> (Int, Int) {
        var rng = srng[c]
        var flipped = 0, clusters = 0
        while fixed > 0 ? clusters < fixed : flipped < model.sites {
            flipped += wolffCluster(c, &rng, stack)
            clusters += 1
        }
        srng[c] = rng
        attempted[c] += clusters
        accepted[c] += flipped
        recount(c)
        return (clusters, flipped)
    }
}
