// Many Markov chains over configurations of N spins (+1 / -1), one generator
// stream per chain: the local sampler any model with a cheap log-weight ratio
// uses (the Ising model on any lattice, odd sides included; a variational
// wavefunction |psi(s)|^2). A move is a single-spin flip at a uniformly drawn
// site, or an exchange of two opposite spins (it keeps the magnetization); it is
// accepted with probability min(1, exp(logRatio)), which satisfies detailed
// balance for the weight whose log-ratio the caller gives.
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

public enum SpinMove: Sendable {
    /// Flip one spin at a uniformly drawn site.
    case flip
    /// Swap two spins of opposite sign, drawn uniformly among such pairs' sites.
    case exchange
}

public final class SpinChains {
    public let chains: Int, sites: Int
    /// chains x sites spins, row-major.
    public var spins: [Int8]
    public private(set) var streams: [Xoshiro256]
    public private(set) var attempted: [Int], accepted: [Int]

    /// Chains from `streams` (one per chain), started hot (spins drawn from each
    /// chain's stream) or all up.
    public init(streams: [Xoshiro256], sites: Int, hot: Bool = true) {
        chains = streams.count; self.sites = sites
        self.streams = streams
        spins = [Int8](repeating: 1, count: streams.count * sites)
        attempted = [Int](repeating: 0, count: chains); accepted = attempted
        if hot {
            for c in 0..<chains { for i in 0..<sites { spins[c * sites + i] = self.streams[c].next() >> 63 == 0 ? 1 : -1 } }
        }
    }

    public var acceptance: Double {
        let n = attempted.reduce(0, +)
        return n == 0 ? .nan : Double(accepted.reduce(0, +)) / Double(n)
    }

    /// `sites` moves of chain c. `logRatio(s, i, j)` is the log of the weight after
    /// the move over the weight before, for configuration `s` (j = -1 for a flip of i;
    /// an exchange swaps i and j); `accept(s, i, j)` is told of each accepted move
    /// (before the spins change) so that a caller can update cached quantities.
    public func sweep(_ c: Int, move: SpinMove = .flip,
                      logRatio: (UnsafeMutablePointer<Int8>, Int, Int) -> Double,
                      accept: (UnsafeMutablePointer<Int8>, Int, Int) -> Void = { _, _, _ in }) {
        var g = streams[c]
        let acc = spins.withUnsafeMutableBufferPointer { buf in
            SpinChains.sweep(buf.baseAddress! + c * sites, sites: sites, &g, move: move, logRatio: logRatio, accept: accept)
        }
        streams[c] = g
        attempted[c] += sites
        accepted[c] += acc
    }

    /// `sites` moves of the configuration `s` with the stream `g` (a chain kept in
    /// raw per-chain memory, so that chains can run on several threads); gives the
    /// number of accepted moves.
    @inline(__always)
    public static func sweep(_ s: UnsafeMutablePointer<Int8>, sites: Int, _ g: inout Xoshiro256, move: SpinMove,
                             logRatio: (UnsafeMutablePointer<Int8>, Int, Int) -> Double,
                             accept: (UnsafeMutablePointer<Int8>, Int, Int) -> Void) -> Int {
        var acc = 0
        for _ in 0..<sites {
            let i = Int(g.below(UInt64(sites)))
            var j = -1
            if move == .exchange {
                j = Int(g.below(UInt64(sites)))
                if s[i] == s[j] { continue }   // not an exchange of opposite spins: the chain stays
            }
            let r = logRatio(s, i, j)
            if r >= 0 || g.uniform() < exp(r) {
                accept(s, i, j)
                if j < 0 { s[i] = -s[i] } else { let t = s[i]; s[i] = s[j]; s[j] = t }
                acc += 1
            }
        }
        return acc
    }

    /// The spins of chain c.
    public func configuration(_ c: Int) -> ArraySlice<Int8> { spins[(c * sites)..<((c + 1) * sites)] }
}
