#if canImport(Glibc)
import Glibc
#endif
import MLPTensor
import XCTest

final class FastMathTests: XCTestCase {
    func ulps(_ a: Double, _ b: Double) -> Int64 {
        if a == b { return 0 }
        return Swift.abs(Int64(bitPattern: a.bitPattern) &- Int64(bitPattern: b.bitPattern))
    }

    func testExpAccuracy() throws {
        var g = Xoshiro256(seed: 9)
        var worst: Int64 = 0, differ = 0
        for i in 0..<200_000 {
            let x: Double
            switch i % 3 {
            case 0: x = (g.uniform() * 2 - 1) * 708   // full normal range
            case 1: x = (g.uniform() * 2 - 1) * 5
            default: x = (g.uniform() * 2 - 1) * 1e-3
            }
            let u = ulps(mlpExp(x), Glibc.exp(x))
            worst = Swift.max(worst, u)
            if u != 0 { differ += 1 }
        }
        XCTAssertLessThanOrEqual(worst, 1)
        XCTAssertLessThan(differ, 1000)   // glibc's exp is also ~0.5 ulp: the same bits in > 99.5% of cases
        print("mlpExp vs glibc exp: \(differ) of 200000 differ, worst \(worst) ulp")
        XCTAssertEqual(mlpExp(0), 1)
        // the vector kernel gives the same bits as the scalar function
        let xs = T([0, 1, -1, 700, 709.7, 710, -720, -800, .nan, .infinity, -.infinity, 1e-300, -3.5, 2.25, 100, -100, 0.5], [17])
        let ex = try xs.map(.exp)
        for i in 0..<xs.count {
            let a = ex[flat: i], b = mlpExp(xs[flat: i])
            XCTAssertTrue(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "exp(\(xs[flat: i])): \(a) vs \(b)")
        }
        var g2 = Xoshiro256(seed: 4)
        let ys = try! Tensor((0..<1003).map { _ in (g2.uniform() * 2 - 1) * 50 }, shape: [1003])
        let ey = try ys.map(.exp)
        for i in 0..<ys.count { XCTAssertEqual(ey[flat: i].bitPattern, mlpExp(ys[flat: i]).bitPattern) }
        XCTAssertEqual(mlpExp(1), Glibc.exp(1))
        XCTAssertEqual(mlpExp(710), .infinity)
        XCTAssertEqual(mlpExp(.infinity), .infinity)
        XCTAssertEqual(mlpExp(-.infinity), 0)
        XCTAssertEqual(mlpExp(-800), 0)
        XCTAssertTrue(mlpExp(.nan).isNaN)
        XCTAssertEqual(mlpExp(709.7), Glibc.exp(709.7), accuracy: Glibc.exp(709.7) * 1e-15)
        XCTAssertEqual(mlpExp(-720), Glibc.exp(-720), accuracy: 0x1p-1063)  // subnormal (about 1e-320)
        XCTAssertEqual(mlpExp(-708), Glibc.exp(-708), accuracy: Glibc.exp(-708) * 1e-15)
    }
}
