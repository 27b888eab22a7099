// The Ising model H = -J sum_<ij> s_i s_j - h sum_i s_i on a periodic chain or
// square lattice, many independent Markov chains at once: checkerboard Metropolis
// sweeps (eight spins per step in AVX2 registers, a precomputed acceptance table,
// four xoshiro256** lanes per chain) and Wolff cluster updates. On a chain the
// Metropolis sweep visits uniformly drawn sites instead (see randomSiteSweep).
//
// Storage: each chain keeps its two sublattices apart (the sites with i + j even,
// then odd), row by row; a row of a sublattice holds the L/2 sites j = 2k or
// 2k + 1 of that colour, with a ghost copy of its last site before it and of its
// first after it, so that every neighbour of a row of one colour is a contiguous
// load from the other colour: up, down, the same k, and k -+ 1 (which side is the
// same for a whole row). The energy and magnetization are kept exactly, as the
// integers B = sum_<ij> s_i s_j and M = sum_i s_i, updated by each flip.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public struct IsingModel: Sendable, Equatable {
    /// Sites per side.
    public var L: Int
    /// 1 (a ring of L spins) or 2 (an L x L torus).
    public var dimension: Int
    public var J: Double
    public var h: Double
    public var T: Double
    public init(L: Int, dimension: Int = 2, J: Double = 1, h: Double = 0, T: Double) {
        self.L = L; self.dimension = dimension; self.J = J; self.h = h; self.T = T
    }
    public var sites: Int { dimension == 2 ? L * L : L }
    /// Bonds: 2 per site on the square lattice, 1 on the chain.
    public var bondsPerSite: Int { dimension }

    /// The energy of a configuration with bond sum B and magnetization M.
    @inline(__always) public func energy(bonds: Int, magnetization: Int) -> Double {
        -J * Double(bonds) - h * Double(magnetization)
    }
}

public enum IsingUpdate: String, Sendable {
    case metropolis, wolff
}

/// What `IsingChains` checks before allocating.
public enum IsingLimits {
    /// The most spins all chains together may hold (4 bytes each, with ghosts): 2^30,
    /// or fewer where a harness bounds tensors (`Tensor.maxCount`).
    public static var maxSpins: Int { Swift.min(1 << 30, Tensor.maxCount) }

    /// Bytes of spin storage for `chains` chains of the model, nil on overflow.
    public static func bytes(_ m: IsingModel, chains: Int) -> Int? {
        let rows = m.dimension == 2 ? m.L : 1
        let (perRow, o1) = (m.L / 2 + 2).multipliedReportingOverflow(by: 2 * rows)
        let (perChain, o2) = perRow.multipliedReportingOverflow(by: 4)
        let (all, o3) = perChain.multipliedReportingOverflow(by: chains)
        return o1 || o2 || o3 ? nil : all
    }

    /// The model's own checks: L even and at least 2, T > 0, finite couplings.
    public static func check(_ m: IsingModel, chains: Int) throws {
        guard m.dimension == 1 || m.dimension == 2 else {
            throw OperationError(nil, "dim must be 1 (a chain) or 2 (a square lattice), got \(m.dimension).")
        }
        // a 2 x 2 torus is not ergodic under checkerboard sweeps (with every
        // neighbour sum 0 both sublattices flip deterministically for ever)
        let least = m.dimension == 2 ? 4 : 2
        guard m.L >= least else { throw OperationError(nil, "L must be at least \(least), got \(m.L).") }
        guard m.L % 2 == 0 else {
            throw OperationError(nil, "L must be even (the checkerboard update splits the periodic lattice into two sublattices), got \(m.L).")
        }
        guard m.T > 0, m.T.isFinite else { throw OperationError(nil, "the temperature T must be positive and finite, got \(m.T).") }
        guard m.J.isFinite, m.h.isFinite else { throw OperationError(nil, "J and h must be finite.") }
        guard chains >= 1 else { throw OperationError(nil, "chains must be at least 1, got \(chains).") }
        let (spins, o) = m.L.multipliedReportingOverflow(by: m.dimension == 2 ? m.L : 1)
        let (total, o2) = spins.multipliedReportingOverflow(by: chains)
        guard !o, !o2, total <= maxSpins, let bytes = bytes(m, chains: chains) else {
            throw OperationError(nil, "a lattice of \(m.dimension == 2 ? "\(m.L) x \(m.L)" : "\(m.L)") spins in \(chains) chain\(chains == 1 ? "" : "s") is too large for memory (at most \(maxSpins) spins in all).",
                                 kind: .tooLarge(count: o || o2 ? Int.max : total, limit: maxSpins))
        }
        let phys = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
        if phys > 0 && bytes > phys / 2 {
            throw OperationError(nil, "a lattice of \(m.L) x \(m.L) spins in \(chains) chains needs \(bytes >> 20) MiB, more than half of this machine's memory.",
                                 kind: .outOfMemory(bytes: bytes))
        }
    }
}

/// Many independent chains of one Ising model.
public final class IsingChains {
    public let model: IsingModel
    public let chains: Int
    let W: Int, stride: Int, rows: Int, colourSize: Int, chainSize: Int
    let spins: UnsafeMutablePointer<Int32>
    let zeroRow: UnsafeMutablePointer<Int32>
    let vrng: UnsafeMutablePointer<XoshiroX4>
    let srng: UnsafeMutablePointer<Xoshiro256>
    let M: UnsafeMutablePointer<Int>, B: UnsafeMutablePointer<Int>
    let attempted: UnsafeMutablePointer<Int>, accepted: UnsafeMutablePointer<Int>
    /// Metropolis thresholds in units of 2^-31, by (s + 1) / 2 * 5 + (s * sum + 4) / 2.
    var table: [UInt32] = []
    /// Wolff's bond probability 1 - exp(-2|J|/T) in units of 2^-64.
    var wolffThreshold: UInt64 = 0

    /// Chains from `streams` (one generator per chain: `RandomGenerator.split`),
    /// started hot (random spins, drawn from each chain's stream) or cold (all up).
    public init(model: IsingModel, streams: [Xoshiro256], hot: Bool = true) throws {
        try IsingLimits.check(model, chains: streams.count)
        self.model = model
        chains = streams.count
        W = model.L / 2; stride = W + 2
        rows = model.dimension == 2 ? model.L : 1
        colourSize = rows * stride; chainSize = 2 * colourSize
        spins = .allocate(capacity: chains * chainSize)
        zeroRow = .allocate(capacity: stride); zeroRow.initialize(repeating: 0, count: stride)
        vrng = .allocate(capacity: chains); srng = .allocate(capacity: chains)
        M = .allocate(capacity: chains); B = .allocate(capacity: chains)
        attempted = .allocate(capacity: chains); accepted = .allocate(capacity: chains)
        attempted.initialize(repeating: 0, count: chains); accepted.initialize(repeating: 0, count: chains)
        for c in 0..<chains {
            var g = streams[c]
            let base = spins + c * chainSize
            base.initialize(repeating: 1, count: chainSize)
            if hot {
                for i in 0..<rows { for j in 0..<model.L { set(base, i, j, g.next() >> 63 == 0 ? 1 : -1) } }
            }
            vrng.advanced(by: c).initialize(to: XoshiroX4(g))
            var s = g
            for _ in 0..<4 { s.jump(long: true) }
            srng.advanced(by: c).initialize(to: s)
            recount(c)
        }
        setTemperature(model.T)
    }

    deinit {
        spins.deallocate(); zeroRow.deallocate(); vrng.deallocate(); srng.deallocate()
        M.deallocate(); B.deallocate(); attempted.deallocate(); accepted.deallocate()
    }

    /// The temperature the next sweeps run at (a scan or annealing keeps its chains).
    public private(set) var temperature: Double = 0
    public func setTemperature(_ T: Double) {
        temperature = T
        let beta = 1 / T
        table = []
        for s in [-1.0, 1.0] {
            for x in [-4.0, -2, 0, 2, 4] {
                let dE = 2 * model.J * x + 2 * model.h * s
                let p = dE <= 0 ? 1 : exp(-beta * dE)
                table.append(UInt32(Swift.min(p * 2147483648.0, 2147483648.0)))
            }
        }
        let pAdd = 1 - exp(-2 * abs(model.J) * beta)
        wolffThreshold = pAdd >= 1 ? UInt64.max : UInt64(pAdd * 18446744073709551616.0)
    }

    // MARK: sites

    @inline(__always) func offset(_ i: Int, _ j: Int) -> Int {
        ((i + j) & 1) * colourSize + i * stride + 1 + (j >> 1)
    }

    /// Sets a site and its ghost copy.
    @inline(__always) func set(_ base: UnsafeMutablePointer<Int32>, _ i: Int, _ j: Int, _ v: Int32) {
        let o = offset(i, j)
        base[o] = v
        let k = j >> 1, row = o - 1 - k
        if k == 0 { base[row + W + 1] = v }
        if k == W - 1 { base[row] = v }
    }

    /// Spin (i, j) of chain c (i = 0 on a chain).
    public func spin(_ c: Int, _ i: Int, _ j: Int) -> Int { Int(spins[c * chainSize + offset(i, j)]) }

    /// Sets a spin of chain c (to +1 or -1) and recounts its energy.
    public func setSpin(_ c: Int, _ i: Int, _ j: Int, _ v: Int) {
        set(spins + c * chainSize, i, j, v >= 0 ? 1 : -1)
        recount(c)
    }

    public func magnetization(_ c: Int) -> Int { M[c] }
    public func bondSum(_ c: Int) -> Int { B[c] }
    public func energy(_ c: Int) -> Double { model.energy(bonds: B[c], magnetization: M[c]) }
    public var acceptance: Double {
        var a = 0, n = 0
        for c in 0..<chains { a += accepted[c]; n += attempted[c] }
        return n == 0 ? .nan : Double(a) / Double(n)
    }

    /// The neighbour sums of one sublattice, up + down + same k + shifted k, for the
    /// chain at `base`, colour c and row i (pointers to the data, after the ghost).
    @inline(__always) func neighbourRows(_ base: UnsafeMutablePointer<Int32>, _ c: Int, _ i: Int)
        -> (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) {
        let other = base + (1 - c) * colourSize + 1
        let same = other + i * stride
        let shift = ((c + i) & 1) == 0 ? -1 : 1
        if rows == 1 { return (zeroRow + 1, zeroRow + 1, same, same + shift) }
        let up = other + ((i + rows - 1) % rows) * stride, down = other + ((i + 1) % rows) * stride
        return (up, down, same, same + shift)
    }

    /// Recomputes M and B of chain c from its spins.
    func recount(_ c: Int) {
        let base = spins + c * chainSize
        var m = 0, b = 0
        for colour in 0..<2 {
            for i in 0..<rows {
                let row = base + colour * colourSize + i * stride + 1
                let (u, d, s, o) = neighbourRows(base, colour, i)
                for k in 0..<W {
                    m += Int(row[k])
                    if colour == 0 { b += Int(row[k]) * Int(u[k] + d[k] + s[k] + o[k]) }
                }
            }
        }
        M[c] = m; B[c] = b
    }

    // MARK: Metropolis

    /// All ones where a == b, else 0 (plain integer operations, which vectorise; SIMD
    /// masks and `replacing(with:where:)` go lane by lane). a ^ b must be >= 0.
    @inline(__always) static func equal(_ a: SIMD8<Int32>, _ b: Int32) -> SIMD8<Int32> {
        ((a ^ SIMD8(repeating: b)) &- 1) &>> 31
    }

    /// One checkerboard sweep of chain c: every site once, the even sublattice first.
    func metropolisSweep(_ c: Int) {
        if rows == 1 { randomSiteSweep(c); return }
        if model.h == 0 { metropolisSweep(c, field: false) } else { metropolisSweep(c, field: true) }
    }

    /// On a chain, L single-spin flips at uniformly drawn sites: the checkerboard
    /// order is not ergodic there (a domain wall next to a site of each colour moves
    /// one way at every half-sweep with probability 1, and walls never meet).
    func randomSiteSweep(_ c: Int) {
        let base = spins + c * chainSize, L = model.L
        var sr = srng[c]
        var flips = 0
        for _ in 0..<L {
            let j = Int(sr.below(UInt64(L)))
            let spin = base[offset(0, j)]
            let sum = base[offset(0, j == 0 ? L - 1 : j - 1)] + base[offset(0, j == L - 1 ? 0 : j + 1)]
            let x = spin * sum
            let key = Int((x + 4) >> 1 + ((spin + 1) * 5) >> 1)
            if UInt32(truncatingIfNeeded: sr.next() >> 33) < table[key] {
                set(base, 0, j, -spin)
                M[c] -= 2 * Int(spin); B[c] -= 2 * Int(x); flips += 1
            }
        }
        srng[c] = sr
        attempted[c] += L
        accepted[c] += flips
    }

    /// The sweep; without a field the threshold depends on x = s * sum alone (always
    /// accepted for x <= 0), with one on s and x (10 entries).
    @inline(__always) func metropolisSweep(_ c: Int, field: Bool) {
        let base = spins + c * chainSize
        var rng = vrng[c], sr = srng[c]
        var dM = 0, dB = 0, flips = 0
        // thresholds as the bits of UInt32 values <= 2^31 (2^31 reads as Int32.min)
        let tab = table
        func v(_ k: Int) -> SIMD8<Int32> { SIMD8(repeating: Int32(bitPattern: tab[k])) }
        let t0 = v(0), t1 = v(1), t2 = v(2), t3 = v(3), t4 = v(4), t5 = v(5), t6 = v(6), t7 = v(7), t8 = v(8), t9 = v(9)
        let vecEnd = W & ~7
        for colour in 0..<2 {
            var accM = SIMD8<Int32>(), accX = SIMD8<Int32>(), accF = SIMD8<Int32>()
            for i in 0..<rows {
                let row = base + colour * colourSize + i * stride + 1
                let (u, d, s, o) = neighbourRows(base, colour, i)
                var k = 0
                while k < vecEnd {
                    let spin = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Int32>.self)
                    let sum = UnsafeRawPointer(u + k).loadUnaligned(as: SIMD8<Int32>.self)
                        &+ UnsafeRawPointer(d + k).loadUnaligned(as: SIMD8<Int32>.self)
                        &+ UnsafeRawPointer(s + k).loadUnaligned(as: SIMD8<Int32>.self)
                        &+ UnsafeRawPointer(o + k).loadUnaligned(as: SIMD8<Int32>.self)
                    let x = spin &* sum
                    var thr: SIMD8<Int32>
                    if field {
                        // key = (s + 1) / 2 * 5 + (x + 4) / 2, in 0..<10
                        let key = ((x &+ 4) &>> 1) &+ (((spin &+ 1) &* 5) &>> 1)
                        thr = t0 & IsingChains.equal(key, 0)
                        thr |= t1 & IsingChains.equal(key, 1); thr |= t2 & IsingChains.equal(key, 2)
                        thr |= t3 & IsingChains.equal(key, 3); thr |= t4 & IsingChains.equal(key, 4)
                        thr |= t5 & IsingChains.equal(key, 5); thr |= t6 & IsingChains.equal(key, 6)
                        thr |= t7 & IsingChains.equal(key, 7); thr |= t8 & IsingChains.equal(key, 8)
                        thr |= t9 & IsingChains.equal(key, 9)
                    } else {
                        // x in {-4, -2, 0, 2, 4}: entries 5...9 (s = +1) equal entries 0...4
                        let key = (x &+ 4) &>> 1
                        thr = t2 & (key &- 3) &>> 31           // x <= 0: always
                        thr |= t3 & IsingChains.equal(key, 3)
                        thr |= t4 & IsingChains.equal(key, 4)
                    }
                    // u < thr for u < 2^31 and thr <= 2^31: the sign of u - thr (no overflow in 32 bits)
                    let uniform = unsafeBitCast(rng.next31(), to: SIMD8<Int32>.self)
                    let accept = (uniform &- thr) &>> 31
                    let flipped = spin ^ (accept & -2)
                    UnsafeMutableRawPointer(row + k).storeBytes(of: flipped, as: SIMD8<Int32>.self)
                    let change = flipped &- spin          // -2s where flipped
                    accM &+= change
                    accX &+= change &* sum             // -2 s sum = -2x where flipped
                    accF &-= accept                    // 1 where flipped
                    k += 8
                }
                while k < W {
                    let spin = row[k], sum = u[k] + d[k] + s[k] + o[k]
                    let x = spin * sum
                    let key = Int((x + 4) >> 1 + ((spin + 1) * 5) >> 1)
                    if UInt32(truncatingIfNeeded: sr.next() >> 33) < tab[key] {
                        row[k] = -spin
                        dM -= 2 * Int(spin); dB -= 2 * Int(x); flips += 1
                    }
                    k += 1
                }
                row[-1] = row[W - 1]; row[W] = row[0]   // the ghosts
            }
            dM += Int(accM.wrappedSum()); dB += Int(accX.wrappedSum()); flips += Int(accF.wrappedSum())
        }
        M[c] += dM; B[c] += dB
        vrng[c] = rng; srng[c] = sr
        attempted[c] += model.sites
        accepted[c] += flips
    }
}
