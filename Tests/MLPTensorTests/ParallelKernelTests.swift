#if canImport(Glibc)
import Glibc
#endif
import MLPTensor
import XCTest

/// The threaded kernels (exp, element-wise binary ops, sums): the same bits
/// whatever the number of threads, and exp accurate over its whole range.
final class ParallelKernelTests: XCTestCase {
    override func tearDown() { Tensor.kernelThreads = savedThreads }
    let savedThreads = Tensor.kernelThreads

    func randomTensor(_ n: Int, seed: UInt64, scale: Double) -> Tensor {
        var g = Xoshiro256(seed: seed)
        return try! Tensor((0..<n).map { _ in (g.uniform() * 2 - 1) * scale })
    }

    func sameBits(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        for i in 0..<a.count {
            let x = a[flat: i], y = b[flat: i]
            if x.bitPattern != y.bitPattern && !(x.isNaN && y.isNaN) {
                XCTFail("\(what): element \(i) differs: \(x) vs \(y)", file: file, line: line); return
            }
        }
    }

    func testExpWholeRangeAndThreads() throws {
        // values over exp's whole domain and its edges: overflow, underflow to
        // subnormal and to 0, tiny arguments, inf, nan; odd length for the tail
        var xs: [Double] = [0, -0.0, 1, -1, 1e-300, -1e-300, .leastNonzeroMagnitude, 709.78, 709.79, 710, 1e308, .greatestFiniteMagnitude,
                            -708.39, -708.4, -720, -740, -744.4, -745.13, -745.14, -746, -1e308,
                            .infinity, -.infinity, .nan, -.nan]
        var g = Xoshiro256(seed: 21)
        for i in 0..<300_001 {
            switch i % 4 {
            case 0: xs.append(-746 + g.uniform() * 1456)        // whole range, incl. subnormal results
            case 1: xs.append(-746 + g.uniform() * 38)          // subnormal results and underflow
            case 2: xs.append((g.uniform() * 2 - 1) * 20)
            default: xs.append((g.uniform() * 2 - 1) * 1e-8)
            }
        }
        let t = try Tensor(xs)
        Tensor.kernelThreads = 1
        let one = try t.map(.exp)
        var worstRel = 0.0, worstSubnormalUlps: Int64 = 0
        for i in 0..<t.count {
            let x = xs[i], e = one[flat: i], r = Glibc.exp(x)
            let m = mlpExp(x)
            XCTAssertTrue(e.bitPattern == m.bitPattern || (e.isNaN && m.isNaN), "vector vs scalar exp(\(x))")
            if r.isNaN { XCTAssertTrue(e.isNaN, "exp(\(x))"); continue }
            if r.isInfinite || r == 0 { XCTAssertEqual(e, r, "exp(\(x))"); continue }
            if r < Double.leastNormalMagnitude {
                // subnormal: compare in units of the smallest subnormal
                let d = Swift.abs(Int64(bitPattern: e.bitPattern) &- Int64(bitPattern: r.bitPattern))
                worstSubnormalUlps = Swift.max(worstSubnormalUlps, d)
            } else {
                worstRel = Swift.max(worstRel, Swift.abs(e - r) / r)
            }
        }
        XCTAssertLessThanOrEqual(worstRel, 2.3e-16, "max relative error vs glibc exp")   // about 1 ulp
        XCTAssertLessThanOrEqual(worstSubnormalUlps, 1)
        for threads in [2, 3, 4] {
            Tensor.kernelThreads = threads
            sameBits(try t.map(.exp), one, "exp with \(threads) threads")
        }
    }

    func testBinaryOpsThreads() throws {
        // 200,003: pieces of 2^13; 1,100,001: 8.8 MB, huge-page pieces of 2^18
        for n in [200_003, 1_100_001] { try checkBinaryOpsThreads(n) }
        let big = randomTensor(1_100_001, seed: 5, scale: 40)
        Tensor.kernelThreads = 1
        let e1 = try big.map(.exp)
        Tensor.kernelThreads = 3
        sameBits(try big.map(.exp), e1, "exp of 1,100,001, 3 threads")
    }

    func checkBinaryOpsThreads(_ n: Int) throws {
        let a = randomTensor(n, seed: 1, scale: 3), b = randomTensor(n, seed: 2, scale: 3), c = randomTensor(n, seed: 3, scale: 3)
        Tensor.kernelThreads = 1
        let r1 = try a * b + c, s1 = try a * 2.5 - 1, d1 = try a / b
        var i1 = a; i1.storage_touch(); try i1.apply(.mul, b); try i1.apply(.add, c)
        for threads in [2, 3] {
            Tensor.kernelThreads = threads
            sameBits(try a * b + c, r1, "a * b + c, \(threads) threads")
            sameBits(try a * 2.5 - 1, s1, "a * 2.5 - 1, \(threads) threads")
            sameBits(try a / b, d1, "a / b, \(threads) threads")
            var i2 = a; i2.storage_touch(); try i2.apply(.mul, b); try i2.apply(.add, c)
            sameBits(i2, i1, "in place, \(threads) threads")
        }
        for i in Swift.stride(from: 0, to: n, by: 997) {
            XCTAssertEqual(r1[flat: i], a[flat: i] * b[flat: i] + c[flat: i])
        }
        XCTAssertEqual(a[flat: 0], randomTensor(1, seed: 1, scale: 3)[flat: 0])   // operands untouched
    }

    func testSumDeterministicAndAccurate() {
        for n in [1, 7, 16_384, 16_385, 100_000, 1_000_003] {
            let t = randomTensor(n, seed: UInt64(n), scale: 1)
            Tensor.kernelThreads = 1
            let s1 = t.sumAll()
            for threads in [2, 3, 4, 7] {
                Tensor.kernelThreads = threads
                XCTAssertEqual(t.sumAll().bitPattern, s1.bitPattern, "n \(n), \(threads) threads")
                XCTAssertEqual(try t.sum().item().bitPattern, s1.bitPattern)
            }
            // compensated reference
            var s = 0.0, comp = 0.0
            for i in 0..<n { let y = t[flat: i] - comp; let u = s + y; comp = (u - s) - y; s = u }
            XCTAssertEqual(s1, s, accuracy: 1e-13 * Double(n).squareRoot() + 1e-15)
        }
    }
}

extension Tensor {
    /// Makes this copy's storage unique (a write through the subscript copies it).
    mutating func storage_touch() { self[flat: 0] = self[flat: 0] }
}
