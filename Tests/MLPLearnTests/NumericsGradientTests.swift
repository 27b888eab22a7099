// Gradients of the numerics of Numerics/: expm (adjoint Frechet derivative), qr
// (tall, square, wide), einsum with '...', cross with its axes, and odeint's RK4 and
// Dormand-Prince on graph variables; against central differences and exact answers.
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import MLPTensor
import MLPAutograd
@testable import MLPLearn

final class NumericsGradientTests: XCTestCase {
    /// A fixed pseudo-random matrix (no generator needed).
    func matrix(_ m: Int, _ n: Int, _ seed: Double) throws -> Tensor {
        try Tensor((0..<(m * n)).map { sin(Double(($0 + 1) * ($0 + 2)) * seed) * 1.3 }, shape: [m, n])
    }

    func check(_ xs: [Tensor], tolerance: Double = 1e-7, h: Double = 1e-6, _ f: @escaping ([Variable]) throws -> Variable,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let (_, grads) = try Autograd.valueAndGrad(xs, f)
        let numeric = try Autograd.numericalGrad(xs, h: h) { ts in try f(ts.map { Variable(constant: $0) }).value.scalars[0] }
        XCTAssertLessThan(try Autograd.relativeError(grads, numeric), tolerance, file: file, line: line)
    }

    func testExpmGradientMatchesFiniteDifferences() throws {
        let w = try matrix(3, 3, 2.1)
        // small norm (Pade 3..9) and large norm (scaling and squaring)
        for scale in [0.05, 0.7, 4.0] {
            let a = try Tensor.binary(.mul, try matrix(3, 3, 0.9), scale)
            try check([a]) { v in try (v[0].expm() * Variable(constant: w)).reduce(.sum) }
        }
        try check([try Tensor([0.3], shape: [1, 1])]) { v in try v[0].expm().reduce(.sum) }
    }

    /// d tr(e^A) / dA = (e^A)^T exactly; and for a diagonal A, d sum(e^A) / dA_ii = e^(A_ii).
    func testExpmGradientExact() throws {
        let a = try matrix(4, 4, 1.7)
        let (_, g) = try Autograd.valueAndGrad([a]) { v in try v[0].expm().diag(0).reduce(.sum) }
        let e = try a.complex().expm().real().transposed()
        for (x, y) in zip(g[0].scalars, e.scalars) { XCTAssertEqual(x, y, accuracy: 1e-12 * (1 + abs(y))) }
        let d = try Tensor([0.5, 0, 0, -2], shape: [2, 2])
        let (_, gd) = try Autograd.valueAndGrad([d]) { v in try v[0].expm().diag(0).reduce(.sum) }
        XCTAssertEqual(gd[0].scalars[0], exp(0.5), accuracy: 1e-14)
        XCTAssertEqual(gd[0].scalars[3], exp(-2), accuracy: 1e-14)
        XCTAssertEqual(gd[0].scalars[1], 0, accuracy: 1e-14)
    }

    func testQRGradientTallSquareWide() throws {
        for (m, n) in [(5, 3), (3, 3), (2, 4), (3, 5), (1, 3)] {
            let a = try matrix(m, n, 0.77 + Double(m))
            let k = Swift.min(m, n)
            let wq = try matrix(m, k, 1.9), wr = try matrix(k, n, 2.3)
            try check([a]) { v in
                let (q, r) = try v[0].qr()
                return try (q * Variable(constant: wq)).reduce(.sum) + (r * Variable(constant: wr)).reduce(.sum)
            }
            // the factors themselves reproduce A
            let (q, r) = try Variable(constant: a).qr()
            for (x, y) in zip(try Tensor.matmul(q.value, r.value).scalars, a.scalars) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        }
    }

    func testEinsumEllipsisAgainstLoops() throws {
        let a = try matrix(10, 3, 0.4).reshaped([5, 2, 3]), b = try matrix(3, 4, 1.1)
        // "...ij,...jk->...ik": a batch of products against one matrix
        let c = try Tensor.einsum("...ij,...jk->...ik", [a, b])
        XCTAssertEqual(c.shape, [5, 2, 4])
        for p in 0..<5 { for i in 0..<2 { for k in 0..<4 {
            var s = 0.0
            for j in 0..<3 { s += a.scalars[p * 6 + i * 3 + j] * b.scalars[j * 4 + k] }
            XCTAssertEqual(c.scalars[p * 8 + i * 4 + k], s, accuracy: 1e-12)
        } } }
        // implicit output: '...' first, then the letters seen once
        XCTAssertEqual(try Tensor.einsum("...ij,jk", [a, b]).scalars, c.scalars)
        // size 1 broadcasts: [1, 3] . [4, 3] -> [4]
        let u = try Tensor([1, 2, 3], shape: [1, 3]), v = try matrix(4, 3, 0.3)
        let dots = try Tensor.einsum("...i,...i", [u, v])
        XCTAssertEqual(dots.shape, [4])
        for r in 0..<4 { XCTAssertEqual(dots.scalars[r], (0..<3).reduce(0.0) { $0 + Double($1 + 1) * v.scalars[r * 3 + $1] }, accuracy: 1e-12) }
        // '...' in the middle / at the end, and NumPy's "ij...,j...->i..." with [2, 3, 4] and [3, 1]
        let x = try matrix(6, 4, 0.6).reshaped([2, 3, 4]), y = try Tensor([1, -2, 0.5], shape: [3, 1])
        let z = try Tensor.einsum("ij...,j...->i...", [x, y])
        XCTAssertEqual(z.shape, [2, 4])
        for i in 0..<2 { for l in 0..<4 {
            XCTAssertEqual(z.scalars[i * 4 + l], (0..<3).reduce(0.0) { $0 + x.scalars[i * 12 + $1 * 4 + l] * y.scalars[$1] }, accuracy: 1e-12)
        } }
        XCTAssertEqual(try Tensor.einsum("i...->...", [try Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])]).scalars, [9, 12])
        XCTAssertEqual(try Tensor.einsum("...ii->...i", [try Tensor((0..<8).map(Double.init), shape: [2, 2, 2])]).scalars, [0, 3, 4, 7])
        // '...' standing for no axes
        XCTAssertEqual(try Tensor.einsum("...i,...i->...", [try Tensor([1, 2]), try Tensor([3, 4])]).scalars, [11])
    }

    func testEinsumEllipsisErrors() throws {
        let m = try Tensor.zeros([2, 3])
        func message(_ spec: String, _ ops: [Tensor]) -> String {
            do { _ = try Tensor.einsum(spec, ops); return "no error" } catch let e as OperationError { return e.detail } catch { return "\(error)" }
        }
        XCTAssertEqual(message("...i->i", [m]), "'...' stands for 1 axis in the operands; the output \"i\" must place them with '...' too.")
        XCTAssertEqual(message("..i", [m]), "operand 0 of \"..i\" has a '.' that is not part of '...' (three dots).")
        XCTAssertEqual(message("i...j...", [m]), "'...' appears more than once in operand 0 of \"i...j...\".")
        XCTAssertEqual(message("ij->i->j", [m]), "\"ij->i->j\" has '->' more than once; one arrow separates the operands' subscripts from the output's.")
        XCTAssertEqual(message("i-j", [m]), "\"i-j\" has a stray '-'; the output is given after '->'.")
        XCTAssertEqual(message("...ij", [try Tensor.zeros([3])]), "operand 0 has 1 axis (shape [3]), its subscripts \"...ij\" name 2 besides '...'.")
        XCTAssertEqual(message("...i,...i", [try Tensor.zeros([2, 3]), try Tensor.zeros([4, 3])]),
                       "the axes '...' stands for do not broadcast: operand 1 has [4] there, against size 2 in another operand.")
    }

    func testEinsumEllipsisGradient() throws {
        let a = try matrix(12, 3, 0.4).reshaped([2, 2, 3, 3]), b = try matrix(6, 2, 1.3).reshaped([2, 1, 3, 2])
        let w2 = try matrix(24, 1, 0.8).reshaped([2, 2, 3, 2])
        try check([a, b]) { v in try (Variable.einsum("...ij,...jk->...ik", v) * Variable(constant: w2)).reduce(.sum) }
        try check([try matrix(1, 3, 0.5), try matrix(4, 3, 0.9)]) { v in
            try (Variable.einsum("...i,...i", v) * Variable(constant: try Tensor([1, -1, 2, 0.5]))).reduce(.sum)
        }
    }

    func testCrossAxes() throws {
        // vectors in columns of a [3, 2] against rows of b [2, 3], result vectors in rows (NumPy: axisa=0)
        let a = try Tensor([1, 0, 0, 1, 0, 0], shape: [3, 2]), b = try Tensor([0, 1, 0, 0, 0, 1], shape: [2, 3])
        let c = try Variable.cross(Variable(constant: a), Variable(constant: b), axisa: 0)
        XCTAssertEqual(c.value.shape, [2, 3])
        XCTAssertEqual(c.value.scalars, [0, 0, 1, 1, 0, 0])   // e1 x e2 = e3, e2 x e3 = e1
        let cc = try Variable.cross(Variable(constant: a), Variable(constant: b), axisa: 0, axisc: 0)
        XCTAssertEqual(cc.value.shape, [3, 2])
        XCTAssertEqual(cc.value.scalars, [0, 1, 0, 0, 1, 0])
        // 2-vectors: z components, and (x, y, 0) against a 3-vector
        XCTAssertEqual(try Variable.cross(Variable(constant: try Tensor([1, 2])), Variable(constant: try Tensor([3, 4]))).value.scalars, [-2])
        XCTAssertEqual(try Variable.cross(Variable(constant: try Tensor([1, 2])), Variable(constant: try Tensor([3, 4, 5]))).value.scalars, [10, -5, -2])
        XCTAssertThrowsError(try Variable.cross(Variable(constant: a), Variable(constant: b), axisa: 0, axisc: 2))
        let w = try matrix(4, 3, 0.7)
        try check([try matrix(3, 4, 0.2), try matrix(4, 3, 0.5)]) { v in
            try (Variable.cross(v[0], v[1], axisa: 0, axisb: 1, axisc: 1) * Variable(constant: w)).reduce(.sum)
        }
    }

    /// dy/dt = -k y: y(T) = y0 e^(-kT), d y(T)/dk = -T y0 e^(-kT), d y(T)/dy0 = e^(-kT).
    func testODEGradientExactDecay() throws {
        let y0 = 1.5, k = 0.8, T = 2.0
        let t = (0...20).map { Double($0) * T / 20 }
        for adaptive in [false, true] {
            let (_, g) = try Autograd.valueAndGrad([Tensor(scalar: y0), Tensor(scalar: k)]) { v in
                let f: ODE.TrackedRHS = { y, _ in try (v[1] * y).unary(.negate) }
                return try solve(f, v[0], t, adaptive: adaptive, plain: { y, _ in y.map { -k * $0 } }).last!
            }
            let tol = adaptive ? 1e-8 : 2e-6
            XCTAssertEqual(g[0].scalars[0], exp(-k * T), accuracy: tol)
            XCTAssertEqual(g[1].scalars[0], -T * y0 * exp(-k * T), accuracy: tol)
            if !adaptive {
                // RK4's exact discrete answer: y_N = y0 R(-k h)^N, R(z) = 1 + z + z^2/2 + z^3/6 + z^4/24
                let h = T / 20, z = -k * h
                let r = 1 + z + z * z / 2 + z * z * z / 6 + z * z * z * z / 24, dr = 1 + z + z * z / 2 + z * z * z / 6
                XCTAssertEqual(g[0].scalars[0], pow(r, 20), accuracy: 1e-14)
                XCTAssertEqual(g[1].scalars[0], y0 * 20 * pow(r, 19) * dr * -h, accuracy: 1e-14)
            }
        }
    }

    /// The replayed steps against central differences of the same discrete solution: RK4, and
    /// Dormand-Prince with its step sizes held (exact up to rounding), w.r.t. y0 and a parameter.
    func testODEGradientMatchesFiniteDifferences() throws {
        let t = [0, 0.3, 0.7, 1.2, 2.0]
        let w = try matrix(4, 2, 0.35)
        let y0 = try Tensor([0.5, -0.3]), p = try Tensor([1.3, 0.4])
        // a damped nonlinear oscillator with parameters p: [y1, -p0 sin(y0) - p1 y1]
        func rhs(_ y: Variable, _ p: Variable) throws -> Variable {
            let s = try y.get([.at(0)]).unary(.sin), v = try y.get([.at(1)])
            let acc = try (p.get([.at(0)]) * s + p.get([.at(1)]) * v).unary(.negate)
            return try Variable.stack([v, acc])
        }
        func plainRHS(_ p: [Double]) -> ODE.RHS { { y, _ in [y[1], -p[0] * sin(y[0]) - p[1] * y[1]] } }
        var stats = ODE.Stats(record: true)
        _ = try ODE.dopri5(plainRHS(p.scalars), y0.scalars, t, rtol: 1e-6, atol: 1e-9, stats: &stats)
        let path = stats.path
        XCTAssertGreaterThan(path.count, 3)
        for adaptive in [false, true] {
            try check([y0, p], tolerance: 1e-7) { v in
                let f: ODE.TrackedRHS = { y, _ in try rhs(y, v[1]) }
                let ys = adaptive ? try ODE.dopri5(f, v[0], t[0], path: path) : try ODE.rk4(f, v[0], t)
                XCTAssertEqual(ys.count, t.count)
                return try (Variable.stack(ys).get([.slice(1, nil, nil)]) * Variable(constant: w)).reduce(.sum)
            }
        }
        // the replay computes what the adaptive run did
        var s2 = ODE.Stats(record: true)
        let plain = try ODE.dopri5(plainRHS(p.scalars), y0.scalars, t, rtol: 1e-6, atol: 1e-9, stats: &s2)
        let replay = try ODE.dopri5({ y, _ in try rhs(y, Variable(constant: p)) }, Variable(constant: y0), t[0], path: s2.path)
        for (a, b) in zip(plain, replay) { for (x, y) in zip(a, b.value.scalars) { XCTAssertEqual(x, y, accuracy: 1e-13) } }
    }

    /// y(T) by RK4 on the grid t or by the replay of an adaptive run (rtol 1e-11).
    func solve(_ f: ODE.TrackedRHS, _ y0: Variable, _ t: [Double], adaptive: Bool, plain: ODE.RHS) throws -> [Variable] {
        if !adaptive { return try ODE.rk4(f, y0, t) }
        var stats = ODE.Stats(record: true)
        _ = try ODE.dopri5(plain, y0.value.scalars, t, rtol: 1e-11, atol: 1e-13, stats: &stats)
        return try ODE.dopri5(f, y0, t[0], path: stats.path)
    }
}
