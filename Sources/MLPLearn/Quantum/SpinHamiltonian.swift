// Spin-1/2 Hamiltonians in Pauli units on periodic chains and square lattices,
// stored as the terms local energies need: diagonal terms c s_i s_j (or c s_i),
// and off-diagonal terms that flip one spin (element a) or two spins i, j (element
// a + b s_i s_j, s the configuration before the flip). Spins are +1 / -1; in a
// basis index bit i set means s_i = +1. Real matrix elements only (for now).
import MLPTensor

public struct DiagonalTerm: Sendable, Equatable {
    public let i: Int, j: Int   // j = -1: the one-site term c s_i
    public let c: Double
}

public struct FlipTerm: Sendable, Equatable {
    public let i: Int, j: Int   // j = -1: a single flip of i
    public let a: Double, b: Double
    /// The matrix element <s'|H|s> for s' = s with i (and j) flipped.
    @inline(__always) public func element(_ si: Int8, _ sj: Int8) -> Double {
        j < 0 ? a : a + b * Double(si) * Double(sj)
    }
}

public struct SpinHamiltonian: Sendable {
    public let sites: Int
    /// [N] for a chain, [Lx, Ly] for a square lattice.
    public let shape: [Int]
    /// How it prints (the builtin that made it may set its own form).
    public var name: String
    public var diagonal: [DiagonalTerm]
    public var offDiagonal: [FlipTerm]

    /// The largest lattice a Hamiltonian is built for.
    public static let maxSites = 1 << 16

    /// Whether every off-diagonal term exchanges two opposite spins (the total
    /// magnetization is conserved).
    public var conservesMagnetization: Bool {
        offDiagonal.allSatisfy { $0.j >= 0 && $0.a + $0.b == 0 }
    }

    /// The nearest-neighbour bonds of the periodic lattice, each once, and the sites'
    /// sublattice parity ((x + y) mod 2).
    public static func bonds(_ shape: [Int]) throws -> (sites: Int, bonds: [(Int, Int)], parity: [Int]) {
        guard shape.count == 1 || shape.count == 2 else {
            throw OperationError(nil, "the lattice must be N (a chain) or [Lx, Ly] (a square lattice), got \(shape.count) sides.")
        }
        for L in shape where L < 3 {
            throw OperationError(nil, "each side of the periodic lattice must have at least 3 sites, got \(L).")
        }
        let (n, o) = shape.count == 1 ? (shape[0], false) : shape[0].multipliedReportingOverflow(by: shape[1])
        guard !o, n <= maxSites else {
            throw OperationError(nil, "the lattice may have at most \(maxSites) sites.", kind: .tooLarge(count: o ? Int.max : n, limit: maxSites))
        }
        if shape.count == 1 {
            return (n, (0..<n).map { ($0, ($0 + 1) % n) }, (0..<n).map { $0 % 2 })
        }
        let Lx = shape[0], Ly = shape[1]
        var b: [(Int, Int)] = [], par: [Int] = []
        for y in 0..<Ly {
            for x in 0..<Lx {
                let i = y * Lx + x
                b.append((i, y * Lx + (x + 1) % Lx))
                b.append((i, ((y + 1) % Ly) * Lx + x))
                par.append((x + y) % 2)
            }
        }
        return (n, b, par)
    }

    static func label(_ shape: [Int]) -> String {
        shape.count == 1 ? "chain of \(shape[0])" : "\(shape[0])x\(shape[1]) lattice"
    }

    /// H = -J sum_<ij> sz_i sz_j - h sum_i sx_i.
    public static func tfim(_ shape: [Int], h: Double, J: Double = 1) throws -> SpinHamiltonian {
        let (n, bonds, _) = try bonds(shape)
        return SpinHamiltonian(sites: n, shape: shape, name: "tfim(\(label(shape)), h=\(h), J=\(J))",
                               diagonal: bonds.map { DiagonalTerm(i: $0.0, j: $0.1, c: -J) },
                               offDiagonal: h == 0 ? [] : (0..<n).map { FlipTerm(i: $0, j: -1, a: -h, b: 0) })
    }

    /// H = J sum_<ij> (sx sx + sy sy + sz sz); with the Marshall sign rule the
    /// off-diagonal part between the two sublattices changes sign (a basis rotation:
    /// the same spectrum, a positive ground state), which needs even sides.
    public static func heisenberg(_ shape: [Int], J: Double = 1, marshall: Bool) throws -> SpinHamiltonian {
        let (n, bonds, par) = try bonds(shape)
        if marshall, let odd = shape.first(where: { $0 % 2 != 0 }) {
            throw OperationError(nil, "the Marshall sign rule needs even sides (a bipartite lattice), got a side of \(odd); use marshall=false.")
        }
        let off = bonds.map { (i, j) -> FlipTerm in
            let sign = marshall && par[i] != par[j] ? -1.0 : 1.0
            return FlipTerm(i: i, j: j, a: sign * J, b: -sign * J)   // XX + YY = 1 - s_i s_j on the flip
        }
        return SpinHamiltonian(sites: n, shape: shape, name: "heisenberg(\(label(shape)), J=\(J)\(marshall ? ", marshall" : ""))",
                               diagonal: bonds.map { DiagonalTerm(i: $0.0, j: $0.1, c: J) }, offDiagonal: off)
    }

    /// The diagonal element <s|H|s>.
    @inline(__always) public func diagonalElement(_ s: UnsafePointer<Int8>) -> Double {
        var e = 0.0
        for t in diagonal {
            e += t.j < 0 ? t.c * Double(s[t.i]) : t.c * Double(s[t.i] * s[t.j])
        }
        return e
    }
}
