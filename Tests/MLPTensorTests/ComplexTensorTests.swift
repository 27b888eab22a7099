import ComplexModule
import Foundation
import MLPTensor
import XCTest

/// Complex128 tensors against exact answers: hand products, the DFT by its
/// definition, exp of diagonal and nilpotent matrices, and NumPy's own bytes.
final class ComplexTensorTests: XCTestCase {
    typealias C = ComplexNumber

    func CT(_ v: [C], _ shape: [Int]) throws -> ComplexTensor { try ComplexTensor(v, shape: shape) }

    func assertClose(_ a: ComplexTensor, _ b: ComplexTensor, _ tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        XCTAssertTrue(a.allClose(b, rtol: tol, atol: tol), "\(a) vs \(b)", file: file, line: line)
    }

    func testMatmulAgainstHandProduct() throws {
        let a = try CT([C(1, 2), C(3, -1), C(0, 0.5), C(-2, 0)], [2, 2])
        let b = try CT([C(2, -1), C(0, 1), C(4, 0), C(1, -3)], [2, 2])
        let p = try ComplexTensor.matmul(a, b)
        // (1+2i)(2-i) + (3-i)4 = 4+3i + 12-4i = 16-i; (1+2i)i + (3-i)(1-3i) = -2+i + 0-10i = -2-9i
        // 0.5i(2-i) + (-2)4 = 0.5+i - 8 = -7.5+i; 0.5i*i + (-2)(1-3i) = -0.5 -2+6i = -2.5+6i
        assertClose(p, try CT([C(16, -1), C(-2, -9), C(-7.5, 1), C(-2.5, 6)], [2, 2]))
        // vector @ vector without conjugation, as NumPy's matmul
        let v = try CT([C(0, 1), C(2, -1)], [2])
        XCTAssertEqual(try ComplexTensor.matmul(v, v).element(0), C(2, -4))
        XCTAssertThrowsError(try ComplexTensor.matmul(a, try CT([C(1, 0)], [1])))
    }

    func testBroadcastArithmetic() throws {
        let a = try CT([C(1, 1), C(2, 0), C(0, -1)], [3, 1])
        let b = try CT([C(0, 1), C(1, 0)], [2])
        let m = try ComplexTensor.binary(.mul, a, b)
        XCTAssertEqual(m.shape, [3, 2])
        XCTAssertEqual(m.elements, [C(-1, 1), C(1, 1), C(0, 2), C(2, 0), C(1, 0), C(0, -1)])
        let d = try ComplexTensor.binary(.div, m, b)
        assertClose(d, try CT([C(1, 1), C(1, 1), C(2, 0), C(2, 0), C(0, -1), C(0, -1)], [3, 2]))
        // NumPy's division by zero: each part divided as reals
        let z = ComplexTensor.divide(C(1, 0), C(0, 0))
        XCTAssertTrue(z.rawStorage.x.isInfinite && z.rawStorage.y.isNaN)
    }

    func testFFTMatchesDefinition() throws {
        let n = 7
        let x = (0..<n).map { C(Double($0 * $0 % 5) - 1.5, Double($0) * 0.25) }
        let f = try FFT.fft(try CT(x, [n]), n: nil, axis: -1, inverse: false)
        let want = (0..<n).map { j in
            (0..<n).reduce(C(0, 0)) { s, k in
                let t = -2 * Double.pi * Double(j * k) / Double(n)
                return s + x[k] * C(cos(t), sin(t))
            }
        }
        assertClose(f, try CT(want, [n]), 1e-12)
        let back = try FFT.fft(f, n: nil, axis: 0, inverse: true)
        assertClose(back, try CT(x, [n]), 1e-12)
        // rfft of a real signal: the first n/2+1 outputs of the full transform
        let r = try FFT.rfft(try Tensor([1, 2, 3, 4]), n: nil, axis: -1)
        XCTAssertEqual(r.elements, [C(10, 0), C(-2, 2), C(-2, 0)])
        XCTAssertThrowsError(try FFT.rfft(try Tensor([Double]()), n: nil, axis: 0))
    }

    func testExpmExact() throws {
        // diagonal: exp of each entry; nilpotent: I + N
        let d = try CT([C(0, Double.pi), C(0, 0), C(0, 0), C(1, 0)], [2, 2])
        assertClose(try d.expm(), try CT([C(-1, 0), C(0, 0), C(0, 0), C(M_E, 0)], [2, 2]), 1e-14)
        let nil2 = try CT([C(0, 0), C(5, 2), C(0, 0), C(0, 0)], [2, 2])
        assertClose(try nil2.expm(), try CT([C(1, 0), C(5, 2), C(0, 0), C(1, 0)], [2, 2]), 1e-15)
        // a rotation generator with a large norm (scaling and squaring): exp([[0, -t], [t, 0]])
        let t = 40.0
        let g = try CT([C(0, 0), C(-t, 0), C(t, 0), C(0, 0)], [2, 2])
        assertClose(try g.expm(), try CT([C(cos(t), 0), C(-sin(t), 0), C(sin(t), 0), C(cos(t), 0)], [2, 2]), 1e-11)
    }

    func testEigRealWithComplexPair() throws {
        let r = try Tensor(rows: [[0, -2], [2, 0]]).eig()
        XCTAssertNil(r.values)
        let w = try XCTUnwrap(r.complexValues)
        // +-2i, to LAPACK's rounding (2.0000000000000004 here)
        XCTAssertEqual(Set(w.elements.map { ($0.rawStorage.y * 1e12).rounded() / 1e12 }), [2, -2])
        XCTAssertEqual(w.elements.map { $0.rawStorage.x }, [0, 0])
        let sym = try Tensor(rows: [[2, 1], [1, 2]]).eig()
        XCTAssertEqual(sym.values.map { Set($0.scalars.map { ($0 * 1e12).rounded() / 1e12 }) }, [1, 3])
    }

    func testNpyComplexBytesAsNumPy() throws {
        let z = try CT([C(1, 2), C(-0.5, 0), C(0, 3)], [3])
        let bytes = ArrayFiles.npyEncode(z)
        let header = String(decoding: bytes[10..<70], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }"))
        XCTAssertEqual(bytes.count, 128 + 48)
        guard case .complex(let back) = try ArrayFiles.npyDecodeArray(bytes) else { return XCTFail("not complex") }
        XCTAssertEqual(back.elements, z.elements)
        XCTAssertThrowsError(try ArrayFiles.npyDecode(bytes))   // the real reader says it is complex
    }

    /// numpy reads our complex128 file as the same values, and np.save of them
    /// writes the same bytes (skipped without python3 and numpy).
    func testNumPyReadsOurComplexNpy() throws {
        let z = try CT([C(1, 2), C(-0.5, 0), C(0, 3), C(1e-300, -.infinity), C(0.1, 0.2), C(3, -4)], [2, 3])
        let path = NSTemporaryDirectory() + "mlp-complex-\(getpid()).npy"
        try Data(ArrayFiles.npyEncode(z)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
        import numpy as np, io
        a = np.load('\(path)')
        b = io.BytesIO(); np.save(b, a)
        want = np.array([[1+2j, -0.5, 3j], [complex(1e-300, -np.inf), 0.1+0.2j, 3-4j]])
        print(a.dtype, a.shape, bool((a == want).all()), b.getvalue() == open('\(path)', 'rb').read())
        """]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw XCTSkip("python3 is not available") }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        if p.terminationStatus != 0 && out.isEmpty { throw XCTSkip("python3 with numpy is not available") }
        XCTAssertEqual(out, "complex128 (2, 3) True True")
    }

    func testPrinting() throws {
        XCTAssertEqual(ComplexTensor.format(C(1, 2)), "1+2i")
        XCTAssertEqual(ComplexTensor.format(C(0.5, -0.25)), "0.5-0.25i")
        XCTAssertEqual(ComplexTensor.format(C(1, -0.0)), "1-0i")
        XCTAssertEqual(ComplexTensor.format(ComplexNumber(1, .nan)), "1+nan*i")
        XCTAssertEqual(try CT([C(1, 2), C(-3, 0.5)], [2]).description, "tensor([   1+2i, -3+0.5i])")
    }
}
