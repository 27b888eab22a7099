// Spin-1/2 Hamiltonians in Pauli units on chains and square lattices (periodic or
// open) and sums of Pauli strings, stored as the terms local energies need:
// diagonal terms c s_i s_j (or c s_i), off-diagonal terms that flip one spin
// (element a) or two spins i, j (element a + b s_i s_j, s the configuration before
// the flip), and general Pauli strings (flip a set of spins, element c times the
// product of s_k over a set of sites). Spins are +1 / -1; in a basis index bit i
// set means s_i = +1. Real matrix elements only (strings with an even number of Y).
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

/// A Pauli string as a matrix element: <s'|P|s> = c prod_{k in signs} s_k for s' = s
/// with the sites of `flips` flipped (X and Y flip; Z and Y give a sign s_k; the
/// factors i of the Y's are in c).
public struct PauliTerm: Sendable, Equatable {
    public let flips: [Int], signs: [Int]
    public let c: Double
    public let mask: Int
    public init(flips: [Int], signs: [Int], c: Double) {
        self.flips = flips; self.signs = signs; self.c = c
        mask = flips.reduce(0) { $0 | (1 << Swift.min($1, 62)) }
    }
    @inline(__always) public func element(_ s: UnsafePointer<Int8>) -> Double {
        var e = c
        for k in signs where s[k] < 0 { e = -e }
        return e
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
    /// A constant (the identity string).
    public var constant = 0.0
    /// Diagonal Pauli strings on more than two sites.
    public var multiDiagonal: [PauliTerm] = []
    /// Off-diagonal Pauli strings that are not one of the FlipTerm forms.
    public var multiFlip: [PauliTerm] = []

    public init(sites: Int, shape: [Int], name: String, diagonal: [DiagonalTerm], offDiagonal: [FlipTerm]) {
        self.sites = sites; self.shape = shape; self.name = name; self.diagonal = diagonal; self.offDiagonal = offDiagonal
    }

    /// The largest lattice a Hamiltonian is built for.
    public static let maxSites = 1 << 16

    /// Whether every off-diagonal term exchanges two opposite spins (the total
    /// magnetization is conserved).
    public var conservesMagnetization: Bool {
        multiFlip.isEmpty && offDiagonal.allSatisfy { $0.j >= 0 && $0.a + $0.b == 0 }
    }

    /// The largest number of sites a Pauli string may flip at once.
    public var maxFlips: Int { multiFlip.reduce(offDiagonal.isEmpty ? 0 : 2) { Swift.max($0, $1.flips.count) } }

    /// The nearest-neighbour bonds of the periodic (or open) lattice, each once, and
    /// the sites' sublattice parity ((x + y) mod 2). Site (x, y) is y Lx + x.
    public static func bonds(_ shape: [Int], periodic: Bool = true) throws -> (sites: Int, bonds: [(Int, Int)], parity: [Int]) {
        guard shape.count == 1 || shape.count == 2 else {
            throw OperationError(nil, "the lattice must be N (a chain) or [Lx, Ly] (a square lattice), got \(shape.count) sides.")
        }
        for L in shape where L < (periodic ? 3 : 2) {
            throw OperationError(nil, periodic ? "each side of the periodic lattice must have at least 3 sites, got \(L)."
                                                : "each side of the open lattice must have at least 2 sites, got \(L).")
        }
        let (n, o) = shape.count == 1 ? (shape[0], false) : shape[0].multipliedReportingOverflow(by: shape[1])
        guard !o, n <= maxSites else {
            throw OperationError(nil, "the lattice may have at most \(maxSites) sites.", kind: .tooLarge(count: o ? Int.max : n, limit: maxSites))
        }
        if shape.count == 1 {
            return (n, (0..<(periodic ? n : n - 1)).map { ($0, ($0 + 1) % n) }, (0..<n).map { $0 % 2 })
        }
        let Lx = shape[0], Ly = shape[1]
        var b: [(Int, Int)] = [], par: [Int] = []
        for y in 0..<Ly {
            for x in 0..<Lx {
                let i = y * Lx + x
                if periodic || x + 1 < Lx { b.append((i, y * Lx + (x + 1) % Lx)) }
                if periodic || y + 1 < Ly { b.append((i, ((y + 1) % Ly) * Lx + x)) }
                par.append((x + y) % 2)
            }
        }
        return (n, b, par)
    }

    static func label(_ shape: [Int]) -> String {
        shape.count == 1 ? "chain of \(shape[0])" : "\(shape[0])x\(shape[1]) lattice"
    }

    /// H = -J sum_<ij> sz_i sz_j - h sum_i sx_i.
    public static func tfim(_ shape: [Int], h: Double, J: Double = 1, periodic: Bool = true) throws -> SpinHamiltonian {
        let (n, bonds, _) = try bonds(shape, periodic: periodic)
        return SpinHamiltonian(sites: n, shape: shape, name: "tfim(\(label(shape)), h=\(h), J=\(J))",
                               diagonal: bonds.map { DiagonalTerm(i: $0.0, j: $0.1, c: -J) },
                               offDiagonal: h == 0 ? [] : (0..<n).map { FlipTerm(i: $0, j: -1, a: -h, b: 0) })
    }

    /// H = J sum_<ij> (sx sx + sy sy + sz sz); with the Marshall sign rule the
    /// off-diagonal part between the two sublattices changes sign (a basis rotation:
    /// the same spectrum, a positive ground state), which needs even sides.
    public static func heisenberg(_ shape: [Int], J: Double = 1, marshall: Bool, periodic: Bool = true) throws -> SpinHamiltonian {
        let (n, bonds, par) = try bonds(shape, periodic: periodic)
        if marshall, periodic, let odd = shape.first(where: { $0 % 2 != 0 }) {
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
        var e = constant
        for t in diagonal {
            e += t.j < 0 ? t.c * Double(s[t.i]) : t.c * Double(s[t.i] * s[t.j])
        }
        for t in multiDiagonal { e += t.element(s) }
        return e
    }

    /// A sum of Pauli strings: each (coefficient, string of I/X/Y/Z, sites). Strings
    /// with an odd number of Y have imaginary elements and are refused (real
    /// Hamiltonians only); terms with the same flips are merged.
    public static func pauli(sites: Int, _ terms: [(c: Double, ops: [Character], on: [Int])]) throws -> SpinHamiltonian {
        var H = SpinHamiltonian(sites: sites, shape: [sites], name: "hamiltonian(\(sites) sites, \(terms.count) terms)", diagonal: [], offDiagonal: [])
        var diag: [String: Int] = [:], flip: [String: Int] = [:], multi: [String: Int] = [:]
        for (k, t) in terms.enumerated() {
            var flips: [Int] = [], signs: [Int] = [], ny = 0, seen = Set<Int>()
            for (op, i) in zip(t.ops, t.on) {
                guard !seen.contains(i) else { throw OperationError("hamiltonian", "term \(k) acts twice on site \(i).") }
                seen.insert(i)
                switch op {
                case "X", "x": flips.append(i)
                case "Y", "y": flips.append(i); signs.append(i); ny += 1
                case "Z", "z": signs.append(i)
                case "I", "i": break
                default: throw OperationError("hamiltonian", "term \(k): a Pauli string is made of I, X, Y and Z, got '\(op)'.")
                }
            }
            guard ny % 2 == 0 else {
                throw OperationError("hamiltonian", "term \(k) has an odd number of Y (imaginary matrix elements); only real Hamiltonians are supported.")
            }
            let c = ny % 4 == 2 ? -t.c : t.c
            flips.sort(); signs.sort()
            if flips.isEmpty {
                if signs.isEmpty { H.constant += c; continue }
                if signs.count <= 2 {
                    let key = "\(signs)"
                    let d = DiagonalTerm(i: signs[0], j: signs.count == 2 ? signs[1] : -1, c: c)
                    if let q = diag[key] { H.diagonal[q] = DiagonalTerm(i: d.i, j: d.j, c: H.diagonal[q].c + c) }
                    else { diag[key] = H.diagonal.count; H.diagonal.append(d) }
                    continue
                }
                H.multiDiagonal.append(PauliTerm(flips: [], signs: signs, c: c)); continue
            }
            // a FlipTerm: one flip without signs, or two flips with no sign or both
            if (flips.count == 1 && signs.isEmpty) || (flips.count == 2 && (signs.isEmpty || signs == flips)) {
                let key = "\(flips)"
                let a = signs.isEmpty ? c : 0, b = signs.isEmpty ? 0 : c
                let f = FlipTerm(i: flips[0], j: flips.count == 2 ? flips[1] : -1, a: a, b: b)
                if let q = flip[key] { let o = H.offDiagonal[q]; H.offDiagonal[q] = FlipTerm(i: o.i, j: o.j, a: o.a + a, b: o.b + b) }
                else { flip[key] = H.offDiagonal.count; H.offDiagonal.append(f) }
                continue
            }
            let key = "\(flips)|\(signs)"
            if let q = multi[key] { let o = H.multiFlip[q]; H.multiFlip[q] = PauliTerm(flips: o.flips, signs: o.signs, c: o.c + c) }
            else { multi[key] = H.multiFlip.count; H.multiFlip.append(PauliTerm(flips: flips, signs: signs, c: c)) }
        }
        H.offDiagonal.removeAll { $0.a == 0 && $0.b == 0 }
        H.multiFlip.removeAll { $0.c == 0 }
        return H
    }
}
