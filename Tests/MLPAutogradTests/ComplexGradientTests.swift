// Gradients of real losses through complex intermediates (ComplexVariable):
// every complex op, fft / ifft / rfft (with n and axis) and eig against central
// finite differences, and Parseval's exact gradient.
import XCTest
import MLPTensor
import MLPAutograd
import MLPTestSupport

final class ComplexGradientTests: XCTestCase {
    func input(_ shape: [Int], _ seed: UInt64, lo: Double = -1, hi: Double = 1) -> Tensor { Tensor.uniform(shape, seed: seed, lo: lo, hi: hi) }

    /// A real loss of a complex result: a fixed random weighting of its re and im parts
    /// (so the whole of ȳ is exercised).
    func weighted(_ z: ComplexVariable, _ seed: UInt64) throws -> Variable {
        let wr = Variable(constant: input(z.shape, seed)), wi = Variable(constant: input(z.shape, seed + 1))
        return try (z.re * wr).reduce(.sum) + (z.im * wi).reduce(.sum)
    }

    /// f's tape gradient against central differences (and not all zero).
    func check(_ xs: [Tensor], tol: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line,
               _ f: @escaping ([Variable]) throws -> Variable) throws {
        let (err, size) = try Autograd.gradientError(xs, f)
        XCTAssertLessThan(err, tol, "relative error", file: file, line: line)
        XCTAssertGreaterThan(size, 0, "gradient is all zero", file: file, line: line)
    }

    func testArithmeticWithBroadcasting() throws {
        let a = input([3, 4], 1), b = input([3, 4], 2), c = input([4], 3, lo: 0.5, hi: 2), d = input([4], 4, lo: 0.5, hi: 2)
        let k = try! ComplexVariable(constant: ComplexTensor(real: input([3, 1], 5), imag: input([3, 1], 6)))
        func z(_ v: [Variable]) -> ComplexVariable { ComplexVariable(re: v[0], im: v[1]) }
        func w(_ v: [Variable]) -> ComplexVariable { ComplexVariable(re: v[2], im: v[3]) }
        try check([a, b, c, d]) { v in try self.weighted(try z(v) + w(v) * k, 10) }
        try check([a, b, c, d]) { v in try self.weighted(try z(v) - w(v), 11) }
        try check([a, b, c, d]) { v in try self.weighted(try z(v) * w(v), 12) }
        try check([a, b, c, d]) { v in try self.weighted(try z(v) / w(v), 13) }
        try check([a, b, c, d]) { v in try self.weighted(try k / w(v), 14) }
        // a real tensor mixed in
        try check([a, b, c]) { v in try self.weighted(try z(v) * ComplexVariable(real: v[2]), 15) }
    }

    func testFunctionsAndParts() throws {
        let a = input([2, 3], 21), b = input([2, 3], 22)
        func z(_ v: [Variable]) -> ComplexVariable { ComplexVariable(re: v[0], im: v[1]) }
        try check([a, b]) { v in try self.weighted(try z(v).exp(), 30) }
        let functions: [(ComplexVariable) throws -> ComplexVariable] = [
            { try $0.log() }, { try $0.sqrt() }, { try $0.sin() }, { try $0.cos() }, { try $0.tan() },
            { try $0.sinh() }, { try $0.cosh() }, { try $0.tanh() }]
        for (k, f) in functions.enumerated() {
            try check([a, b]) { v in try self.weighted(try f(z(v)), 90 + UInt64(k)) }
        }
        try check([a, b]) { v in try self.weighted(try z(v).conj().negated(), 31) }
        try check([a, b]) { v in try self.weighted(try z(v).power(3), 32) }
        try check([a, b]) { v in try self.weighted(try z(v).power(-2), 33) }
        try check([a, b]) { v in try (z(v).abs() * Variable(constant: self.input([2, 3], 34))).reduce(.sum) }
        try check([a, b]) { v in try (z(v).angle() * Variable(constant: self.input([2, 3], 35))).reduce(.sum) }
        try check([a, b]) { v in try self.weighted(try z(v).reduce(.sum, axis: 0, keepdims: false), 36) }
        try check([a, b]) { v in try self.weighted(try z(v).reduce(.mean, axis: nil, keepdims: false), 37) }
        try check([a, b]) { v in try self.weighted(try z(v).get([.all, .slice(1, nil, nil)]).permute([1, 0]), 38) }
        let m = input([3, 2], 39), n = input([3, 2], 40)
        try check([a, b, m, n]) { v in try self.weighted(try ComplexVariable.matmul(z(v), ComplexVariable(re: v[2], im: v[3])), 41) }
    }

    /// abs(z)^2 has the gradient 2 z, also at z = 0 (abs's gradient there is taken as 0).
    func testAbsSquaredAtZero() throws {
        let re = try Tensor([0, 3]), im = try Tensor([0, -4])
        let (_, g) = try Autograd.valueAndGrad([re, im]) { v in
            try ComplexVariable(re: v[0], im: v[1]).abs().unary(.square).reduce(.sum)
        }
        XCTAssertEqual(g[0].scalars, [0, 6])
        XCTAssertEqual(g[1].scalars, [0, -8])
    }

    func testFFTAndIFFTWithPaddingCuttingAndAxes() throws {
        let a = input([5, 6], 50), b = input([5, 6], 51)
        func z(_ v: [Variable]) -> ComplexVariable { ComplexVariable(re: v[0], im: v[1]) }
        for inverse in [false, true] {
            for n in [nil, 4, 9] as [Int?] {
                for axis in [-1, 0] {
                    try check([a, b]) { v in try self.weighted(try z(v).fft(n: n, axis: axis, inverse: inverse), 52) }
                }
            }
        }
        // a real input, and a nonlinear loss
        try check([a]) { v in try ComplexVariable(real: v[0]).fft(n: nil, axis: -1, inverse: false).abs().unary(.square).reduce(.sum) }
    }

    func testRFFTWithPaddingCuttingAndAxes() throws {
        let a = input([5, 6], 60)
        for n in [nil, 4, 5, 9, 10] as [Int?] {
            for axis in [-1, 0] {
                try check([a]) { v in try self.weighted(try ComplexVariable.rfft(v[0], n: n, axis: axis), 61) }
            }
        }
    }

    /// Parseval: sum |fft(x)|^2 = n sum x^2, so the gradient is exactly 2 n x; through
    /// rfft, the edge bins count once and the others twice.
    func testParsevalGradientIsExactly2nx() throws {
        let x = input([8], 70)
        let (value, g) = try Autograd.valueAndGrad([x]) { v in
            try ComplexVariable(real: v[0]).fft(n: nil, axis: -1, inverse: false).abs().unary(.square).reduce(.sum)
        }
        let expected = try x * 16
        XCTAssertEqual(value, 8 * (try x.map(.square).sumAll()), accuracy: 1e-12)
        for (u, e) in zip(g[0].scalars, expected.scalars) { XCTAssertEqual(u, e, accuracy: 1e-12) }
    }

    /// A real non-symmetric matrix with complex eigenvalues, and a symmetric one (real).
    func testEigValuesAndVectors() throws {
        let a = input([4, 4], 80)
        let (w, v) = try a.complex().eig()
        XCTAssertTrue(try w.imag().map(.abs).sumAll() > 0.1, "the test matrix has complex eigenvalues")
        _ = v
        func eig(_ x: Variable) throws -> (values: ComplexVariable, vectors: ComplexVariable) {
            let r = try x.value.eig()
            if let w = r.values, let v = r.vectors { return try ComplexVariable.eig(x, nil, values: w.complex(), vectors: v.complex()) }
            return try ComplexVariable.eig(x, nil, values: r.complexValues!, vectors: r.complexVectors!)
        }
        try check([a]) { v in try self.weighted(try eig(v[0]).values, 81) }
        // eigenvectors through a loss that does not depend on their phase
        try check([a]) { v in
            let vec = try eig(v[0]).vectors
            return try (vec.abs().unary(.square) * Variable(constant: self.input([4, 4], 82))).reduce(.sum)
        }
        let s = try a + a.transposed()
        try check([s]) { v in try self.weighted(try eig(v[0]).values, 83) }
        try check([s]) { v in try (eig(v[0]).vectors.re.unary(.square) * Variable(constant: self.input([4, 4], 84))).reduce(.sum) }
        // a complex matrix
        let b = input([3, 3], 85), c = input([3, 3], 86)
        try check([b, c]) { v in
            let (w, vec) = try ComplexVariable(re: v[0], im: v[1]).value.eig()
            return try self.weighted(try ComplexVariable.eig(v[0], v[1], values: w, vectors: vec).values, 87)
        }
    }

    func testEigVectorPhaseDependentLossIsAnError() throws {
        let a = input([4, 4], 80)
        let r = try a.eig()
        XCTAssertNil(r.values)
        XCTAssertThrowsError(try Autograd.valueAndGrad([a]) { v in
            try ComplexVariable.eig(v[0], nil, values: r.complexValues!, vectors: r.complexVectors!).vectors.re.reduce(.sum)
        }) { XCTAssertTrue("\($0)".contains("phase"), "\($0)") }
    }

    func testRepeatedEigenvaluesHaveNoEigenvectorGradient() throws {
        let a = try Tensor.eye(3)
        let r = try a.eig()
        XCTAssertThrowsError(try Autograd.valueAndGrad([a]) { v in
            try ComplexVariable.eig(v[0], nil, values: r.values!.complex(), vectors: r.vectors!.complex()).vectors.re.unary(.square).reduce(.sum)
        }) { XCTAssertTrue("\($0)".contains("are equal"), "\($0)") }
        // the eigenvalues' gradient exists: d trace / dA = I
        let (_, g) = try Autograd.valueAndGrad([a]) { v in
            try ComplexVariable.eig(v[0], nil, values: r.values!.complex(), vectors: r.vectors!.complex()).values.re.reduce(.sum)
        }
        XCTAssertEqual(g[0].scalars, try Tensor.eye(3).scalars)
    }
}
