// Exact ground states by Lanczos, matrix-free: H v is computed from the
// Hamiltonian's terms in the full 2^N basis (bit i set: s_i = +1), one basis state
// per row (a gather, split over threads without changing any sum). Three vectors
// are kept (no reorthogonalisation: the lowest Ritz value converges regardless of
// ghost copies); the state, when asked for, comes from a second pass that repeats
// the recurrence and sums the Lanczos vectors with the Ritz vector's weights.
import CBLAS
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public struct GroundState: Sendable {
    public let energy: Double
    /// Lanczos steps taken.
    public let iterations: Int
    /// ||H x - E x|| of the (normalised) Ritz vector, from the recurrence.
    public let residual: Double
    /// The state (2^N amplitudes, basis index bit i set: s_i = +1), when asked for.
    public let state: [Double]?
}

public enum Lanczos {
    /// The most sites `groundState` takes (five vectors of 2^24 doubles: 640 MB).
    public static let maxSites = 24

    /// Checks the size before anything is allocated.
    public static func check(_ H: SpinHamiltonian) throws {
        guard H.sites <= maxSites else {
            throw OperationError("ground_state", "exact diagonalisation is limited to \(maxSites) spins (2^\(maxSites) amplitudes), got \(H.sites).",
                                 kind: .tooLarge(count: H.sites, limit: maxSites))
        }
        let bytes = 5 * 8 << H.sites
        let phys = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
        if phys > 0 && bytes > phys / 2 {
            throw OperationError("ground_state", "\(H.sites) spins need about \(bytes >> 20) MB, more than half of this machine's memory.", kind: .outOfMemory(bytes: bytes))
        }
    }

    /// w = H v.
    static func apply(_ H: SpinHamiltonian, diag: [Double], _ v: [Double], _ w: inout [Double], threads: Int) {
        let dim = v.count
        let flips = H.offDiagonal.map { t -> (mask: Int, i: Int, j: Int, a: Double, b: Double) in
            ((1 << t.i) | (t.j >= 0 ? 1 << t.j : 0), t.i, t.j, t.a, t.b)
        }
        let multi = H.multiFlip.map { t in (mask: t.mask, signs: t.signs.reduce(0) { $0 | 1 << $1 }, c: t.c) }
        let chunks = Swift.max(1, Swift.min(threads, dim >> 12))
        // workers see raw pointers and values only
        multi.withUnsafeBufferPointer { mp in
        let mb = mp.baseAddress, nm = mp.count
        v.withUnsafeBufferPointer { vp in
            w.withUnsafeMutableBufferPointer { wp in
                diag.withUnsafeBufferPointer { dp in
                    flips.withUnsafeBufferPointer { fp in
                        let vb = vp.baseAddress!, wb = wp.baseAddress!, db = dp.baseAddress!, fb = fp.baseAddress!, nf = fp.count
                        onThreads(chunks) { c in
                            let lo = dim * c / chunks, hi = dim * (c + 1) / chunks
                            for x in lo..<hi {
                                var s = db[x] * vb[x]
                                for q in 0..<nf {
                                    let f = fb[q]
                                    let e: Double
                                    if f.j < 0 { e = f.a } else {
                                        let same = ((x >> f.i) ^ (x >> f.j)) & 1 == 0
                                        e = same ? f.a + f.b : f.a - f.b
                                    }
                                    if e != 0 { s += e * vb[x ^ f.mask] }
                                }
                                for q in 0..<nm {
                                    let f = mb![q]
                                    let neg = (f.signs & ~x).nonzeroBitCount & 1 == 1
                                    s += (neg ? -f.c : f.c) * vb[x ^ f.mask]
                                }
                                wb[x] = s
                            }
                        }
                    }
                }
            }
        }
        }
    }

    /// The states of a magnetization sector (`up` spins up), in increasing order, and
    /// the binomial table that ranks them: the rank of x is the sum over its k-th set
    /// bit (from 0, at position p) of C(p, k + 1).
    struct Sector {
        let states: [Int]
        let binomial: [Int]   // C(n, k) at n * (sites + 1) + k
        let sites: Int
        init(sites: Int, up: Int) {
            self.sites = sites
            var c = [Int](repeating: 0, count: (sites + 1) * (sites + 1))
            for n in 0...sites {
                c[n * (sites + 1)] = 1
                if n > 0 { for k in 1...n { c[n * (sites + 1) + k] = c[(n - 1) * (sites + 1) + k - 1] + (k <= n - 1 ? c[(n - 1) * (sites + 1) + k] : 0) } }
            }
            binomial = c
            var st: [Int] = []
            st.reserveCapacity(c[sites * (sites + 1) + up])
            if up == 0 { st = [0] } else {
                // Gosper's hack: the next larger number with the same count of set bits
                var x = (1 << up) - 1
                while x < 1 << sites {
                    st.append(x)
                    let lowest = x & -x, r = x + lowest
                    x = (((r ^ x) >> 2) / lowest) | r
                }
            }
            states = st
        }
    }

    /// w = H v in a magnetization sector (the Hamiltonian conserves it: every flip
    /// term exchanges two spins).
    static func applySector(_ H: SpinHamiltonian, _ sec: Sector, diag: [Double], _ v: [Double], _ w: inout [Double], threads: Int) {
        let dim = v.count, stride = H.sites + 1
        let flips = H.offDiagonal.map { t -> (mask: Int, i: Int, j: Int, e: Double) in
            ((1 << t.i) | (1 << t.j), t.i, t.j, t.a - t.b)   // the element of an exchange of opposite spins
        }
        let chunks = Swift.max(1, Swift.min(threads, dim >> 12))
        v.withUnsafeBufferPointer { vp in
            w.withUnsafeMutableBufferPointer { wp in
                diag.withUnsafeBufferPointer { dp in
                    flips.withUnsafeBufferPointer { fp in
                        sec.states.withUnsafeBufferPointer { sp in
                            sec.binomial.withUnsafeBufferPointer { cp in
                                let vb = vp.baseAddress!, wb = wp.baseAddress!, db = dp.baseAddress!, fb = fp.baseAddress!, nf = fp.count
                                let sb = sp.baseAddress!, cb = cp.baseAddress!
                                onThreads(chunks) { c in
                                    let lo = dim * c / chunks, hi = dim * (c + 1) / chunks
                                    for r in lo..<hi {
                                        let x = sb[r]
                                        var s = db[r] * vb[r]
                                        for q in 0..<nf {
                                            let f = fb[q]
                                            if ((x >> f.i) ^ (x >> f.j)) & 1 == 0 || f.e == 0 { continue }
                                            var y = x ^ f.mask, rank = 0, k = 1
                                            while y != 0 {
                                                let p = y.trailingZeroBitCount
                                                rank += cb[p * stride + k]
                                                k += 1
                                                y &= y - 1
                                            }
                                            s += f.e * vb[rank]
                                        }
                                        wb[r] = s
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func diagonal(_ H: SpinHamiltonian, states: [Int]? = nil) -> [Double] {
        let dim = states?.count ?? 1 << H.sites
        var d = [Double](repeating: 0, count: dim)
        var s = [Int8](repeating: 0, count: H.sites)
        for r in 0..<dim {
            let x = states?[r] ?? r
            for i in 0..<H.sites { s[i] = (x >> i) & 1 == 1 ? 1 : -1 }
            d[r] = s.withUnsafeBufferPointer { H.diagonalElement($0.baseAddress!) }
        }
        return d
    }

    /// The lowest eigenpair of the symmetric tridiagonal matrix (alpha, beta).
    static func lowest(_ alpha: [Double], _ beta: [Double]) -> (value: Double, vector: [Double]) {
        let m = alpha.count
        var d = alpha, e = Array(beta.prefix(Swift.max(m - 1, 0))) + [0]
        var z = [Double](repeating: 0, count: m * m), work = [Double](repeating: 0, count: Swift.max(1, 2 * m - 2))
        var jobz = CChar(UInt8(ascii: "V")), n = Int32(m), ldz = Int32(m), info: Int32 = 0
        dstev_(&jobz, &n, &d, &e, &z, &ldz, &work, &info, 1)
        return (d[0], Array(z[0..<m]))
    }

    /// The ground state, in the sector of total magnetization `magnetization` (sum of
    /// s_i) when given (the Hamiltonian must conserve it); the state is returned in
    /// the full basis either way.
    public static func groundState(_ H: SpinHamiltonian, magnetization: Int? = nil, wantState: Bool = false, tolerance: Double = 1e-10,
                                   maxIterations: Int = 1000, threads: Int = 1, poll: (() throws -> Void)? = nil) throws -> GroundState {
        try check(H)
        var sector: Sector? = nil
        if let m = magnetization {
            guard H.conservesMagnetization else {
                throw OperationError("ground_state", "a magnetization sector needs a Hamiltonian that conserves the magnetization (heisenberg), got \(H.name).")
            }
            guard abs(m) <= H.sites, (H.sites + m) % 2 == 0 else {
                throw OperationError("ground_state", "the magnetization of \(H.sites) spins is one of -\(H.sites), -\(H.sites - 2), ..., \(H.sites), got \(m).")
            }
            sector = Sector(sites: H.sites, up: (H.sites + m) / 2)
        }
        let dim = sector?.states.count ?? 1 << H.sites
        let diag = diagonal(H, states: sector?.states)
        let apply: ([Double], inout [Double]) -> Void = { v, w in
            if let sec = sector { applySector(H, sec, diag: diag, v, &w, threads: threads) } else { Lanczos.apply(H, diag: diag, v, &w, threads: threads) }
        }
        var g = Xoshiro256(seed: 0x5EED_1A2C)
        var start = (0..<dim).map { _ in g.uniform() - 0.5 }
        let nrm = norm(start)
        for i in start.indices { start[i] /= nrm }
        var alpha: [Double] = [], beta: [Double] = []
        var v = start, prev = [Double](repeating: 0, count: dim), w = prev
        var result = (value: diag[0], vector: [1.0]), residual = Double.infinity
        let steps = Swift.min(maxIterations, dim)
        for k in 0..<steps {
            try poll?()   // every step: one step of 2^20 states takes tens of ms
            apply(v, &w)
            let a = dot(w, v)
            alpha.append(a)
            let bPrev = k > 0 ? beta[k - 1] : 0
            for x in 0..<dim { w[x] -= a * v[x] + bPrev * prev[x] }
            let b = norm(w)
            result = lowest(alpha, beta)
            residual = abs(b * result.vector[k])
            let scale = Swift.max(1, abs(result.value))
            if residual < tolerance * scale || b < 1e-12 * scale || k == steps - 1 { break }
            beta.append(b)
            swap(&prev, &v)
            for x in 0..<dim { v[x] = w[x] / b }
        }
        var state: [Double]? = nil
        if wantState {
            // the recurrence again, summing y_k v_k
            var x = [Double](repeating: 0, count: dim)
            v = start; prev = [Double](repeating: 0, count: dim)
            let y = result.vector
            for k in 0..<y.count {
                for i in 0..<dim { x[i] += y[k] * v[i] }
                if k == y.count - 1 { break }
                apply(v, &w)
                let bPrev = k > 0 ? beta[k - 1] : 0
                for i in 0..<dim { w[i] -= alpha[k] * v[i] + bPrev * prev[i] }
                swap(&prev, &v)
                for i in 0..<dim { v[i] = w[i] / beta[k] }
            }
            let n = norm(x)
            // the sign that makes the largest amplitude positive
            var big = 0
            for i in 0..<dim where abs(x[i]) > abs(x[big]) { big = i }
            let f = (x[big] < 0 ? -1 : 1) / n
            for i in 0..<dim { x[i] *= f }
            if let sec = sector {
                var full = [Double](repeating: 0, count: 1 << H.sites)
                for (r, s) in sec.states.enumerated() { full[s] = x[r] }
                x = full
            }
            state = x
        }
        return GroundState(energy: result.value, iterations: alpha.count, residual: residual, state: state)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { p in b.withUnsafeBufferPointer { q in cblas_ddot(Int32(a.count), p.baseAddress!, 1, q.baseAddress!, 1) } }
    }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
